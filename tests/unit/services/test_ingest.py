"""Ingest: normalize the queued webhook, store the order once, start one lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

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


def _sample_text() -> str:
    import json

    return json.dumps(sample_orders_paid())


def test_a_paid_order_is_stored_announced_and_starts_its_lifecycle(adapters: FakeAdapters) -> None:
    outcome = ingest_message(message(), adapters)
    assert (outcome.invoiceable, outcome.stored, outcome.lifecycle_started) == (True, True, True)
    [record] = adapters.orders.records.values()
    assert record.status is OrderStatus.RECEIVED
    assert record.order.total_paid == sum(
        (line.gross_amount for line in record.order.lines), record.order.shipping
    )
    [(ref, deadline)] = adapters.lifecycle.started.values()
    assert ref == record.ref and deadline == 7 * 24 * 3600
    [(detail_type, detail)] = adapters.events.published
    assert detail_type == "OrderReceived" and detail["order_id"] == record.ref.order_id
    assert "email" not in str(detail)


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
