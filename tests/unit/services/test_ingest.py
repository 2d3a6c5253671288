"""Ingest: normalize the queued webhook, store the order once, start one lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from postventa.channels.base import QueuedWebhook
from postventa.domain.status import OrderStatus
from postventa.errors import NotFoundError
from postventa.services.demo import sample_orders_paid
from postventa.services.ingest import ingest_message
from tests.support.fakes import FakeAdapters


def message(**changes: object) -> QueuedWebhook:
    values: dict[str, object] = {
        "tenant_id": "tienda",
        "channel": "shopify",
        "topic": "orders/paid",
        "body": _sample_text(),
        "received_at": datetime(2026, 11, 20, tzinfo=UTC),
    }
    values.update(changes)
    return QueuedWebhook.model_validate(values)


# Paid an hour before the fake clock's now (2026-11-20 16:00 UTC).
PAID_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _sample_text(paid_at: datetime = PAID_AT) -> str:
    import json

    return json.dumps(sample_orders_paid(paid_at=paid_at))


def test_a_paid_order_is_stored_announced_and_starts_its_lifecycle(adapters: FakeAdapters) -> None:
    outcome = ingest_message(message(), adapters)
    assert (outcome.invoiceable, outcome.stored, outcome.lifecycle_started) == (True, True, True)
    [record] = adapters.orders.records.values()
    assert record.status is OrderStatus.RECEIVED
    assert record.order.total_paid == sum(
        (line.gross_amount for line in record.order.lines), record.order.shipping
    )
    [(ref, deadline)] = adapters.lifecycle.started.values()
    # The tenant's seven days count from the payment, an hour ago.
    assert ref == record.ref and deadline == 7 * 24 * 3600 - 3600
    [(detail_type, detail)] = adapters.events.published
    assert detail_type == "OrderReceived" and detail["order_id"] == record.ref.order_id
    assert "email" not in str(detail)


def test_a_sale_paid_near_its_periods_close_waits_for_the_buyer_only_until_the_close(
    adapters: FakeAdapters,
) -> None:
    # Monthly global invoice (the default): November closes at midnight in Pachuca (UTC-6),
    # 2026-12-01 06:00 UTC, before the seven days are over.
    adapters.clock.current = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    paid = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    ingest_message(message(body=_sample_text(paid)), adapters)
    [(_, deadline)] = adapters.lifecycle.started.values()
    assert (
        deadline
        == (datetime(2026, 12, 1, 6, 0, tzinfo=UTC) - adapters.clock.now()).seconds + 24 * 3600
    )


def test_a_redelivered_message_stores_nothing_new_and_starts_nothing_new(
    adapters: FakeAdapters,
) -> None:
    ingest_message(message(), adapters)
    again = ingest_message(message(), adapters)
    assert (again.stored, again.lifecycle_started) == (False, False)
    assert len(adapters.orders.records) == 1 and len(adapters.events.published) == 1


def test_an_unpaid_order_is_not_invoiceable(adapters: FakeAdapters) -> None:
    import json

    body = {**sample_orders_paid(), "financial_status": "pending"}
    outcome = ingest_message(message(body=json.dumps(body)), adapters)
    assert not outcome.invoiceable and adapters.orders.records == {}


def test_a_claim_checked_body_is_read_back_from_the_tenants_prefix(adapters: FakeAdapters) -> None:
    raw = _sample_text().encode()
    key = adapters.payloads.put("tienda", "shopify", raw, datetime(2026, 11, 20, tzinfo=UTC))
    outcome = ingest_message(message(body=None, body_s3_key=key), adapters)
    assert outcome.stored


def test_an_unknown_tenant_is_an_error(adapters: FakeAdapters) -> None:
    with pytest.raises(NotFoundError):
        ingest_message(message(tenant_id="nadie"), adapters)


def test_a_dollar_order_gets_the_legal_rate_of_its_payment_day(adapters: FakeAdapters) -> None:
    import json

    body = {**sample_orders_paid(), "currency": "USD"}
    paid_on = datetime.fromisoformat(body["processed_at"]).date()
    adapters.rates.rates[("USD", paid_on)] = Decimal("18.1919")
    outcome = ingest_message(message(body=json.dumps(body)), adapters)
    assert outcome.lifecycle_started
    [record] = adapters.orders.records.values()
    assert record.order.exchange_rate == Decimal("18.1919")


def test_when_the_rate_is_not_available_yet_the_message_is_retried(adapters: FakeAdapters) -> None:
    import json

    from postventa.domain.exchange import RateUnavailableError

    adapters.rates.unavailable = True
    body = {**sample_orders_paid(), "currency": "USD"}
    with pytest.raises(RateUnavailableError):
        ingest_message(message(body=json.dumps(body)), adapters)
    assert adapters.orders.records == {} and adapters.lifecycle.started == {}


def test_an_order_in_a_currency_we_cannot_convert_is_kept_in_error_with_the_reason(
    adapters: FakeAdapters,
) -> None:
    import json

    body = {**sample_orders_paid(), "currency": "HKD"}
    outcome = ingest_message(message(body=json.dumps(body)), adapters)
    assert not outcome.invoiceable and outcome.stored
    [record] = adapters.orders.records.values()
    assert record.status is OrderStatus.ERROR and record.error_code == "moneda_no_soportada"
    assert "HKD" in (record.error_reason or "")
    assert adapters.lifecycle.started == {}
    assert adapters.events.types() == ["OrderNotInvoiceable"]


def test_a_delivery_that_cannot_become_an_order_is_rejected_with_its_body_kept(
    adapters: FakeAdapters,
) -> None:
    import json

    body = sample_orders_paid()
    del body["created_at"], body["processed_at"], body["updated_at"]
    outcome = ingest_message(message(body=json.dumps(body)), adapters)
    assert outcome.rejected == "channel_payload"
    [rejected] = adapters.rejections.list_recent("tienda", 10)
    assert "Shopify" in rejected.reason and rejected.payload_key
    assert json.loads(adapters.payloads.objects[rejected.payload_key]) == body
    assert adapters.orders.records == {}
