"""Liverpool (Mirakl OR11) polling: per-tenant fan-out, at most once a minute, a cursor that
never misses or doubles an order across pages, restarts and overlapping runs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from postventa.channels.base import QueuedWebhook
from postventa.domain.orders import OrderRef
from postventa.services.ingest import ingest_message
from postventa.services.polling import PollRequest, fan_out, poll_tenant
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import LIVERPOOL_SHOP, Markets, connect_liverpool, with_fake_markets

TENANT = "tienda"
REQUEST = PollRequest(tenant_id=TENANT, channel="liverpool")


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant(TENANT))
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    markets = with_fake_markets(adapters)
    connect_liverpool(adapters, markets, TENANT)
    return markets


def order(markets: Markets, state: str = "SHIPPING", price: float = 1299.0) -> str:
    return markets.fake.liverpool.create_order(
        LIVERPOOL_SHOP,
        [
            {
                "sku": "SARTEN-28",
                "title": "Sartén de hierro 28 cm",
                "quantity": 1,
                "price_unit": price,
            }
        ],
        state=state,
        shipping=149.0,
    )


def queued_ids(adapters: FakeAdapters) -> list[str]:
    return [
        json.loads(QueuedWebhook.model_validate_json(m).text)["order_id"]
        for m in adapters.queue.messages
    ]


def plenty() -> float:
    return 300.0


def test_the_schedule_sends_one_poll_per_tenant_with_liverpool_connected(
    adapters: FakeAdapters, markets: Markets
) -> None:
    adapters.tenants.put(builders.tenant("otra"))
    connect_liverpool(adapters, markets, "otra", shop_id=2002)
    sent: list[str] = []
    assert fan_out(adapters, sent.append) == 2
    assert {PollRequest.model_validate_json(m).tenant_id for m in sent} == {TENANT, "otra"}


def test_paid_orders_are_queued_and_normalized_with_tax_included(
    adapters: FakeAdapters, markets: Markets
) -> None:
    paid = order(markets)
    order(markets, state="WAITING_DEBIT_PAYMENT")
    outcome = poll_tenant(REQUEST, adapters, plenty)
    assert outcome.reason == "completo" and outcome.seen == 2 and outcome.queued == 1
    assert queued_ids(adapters) == [paid]
    ingest_message(QueuedWebhook.model_validate_json(adapters.queue.messages[0]), adapters)
    record = adapters.orders.get(OrderRef(tenant_id=TENANT, channel="liverpool", order_id=paid))
    assert record is not None and record.order.total_paid == Decimal("1448")
    assert record.order.order_number == paid.removesuffix("-A") and record.order.shipping == 149


def test_a_second_poll_within_a_minute_does_nothing(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order(markets)
    assert poll_tenant(REQUEST, adapters, plenty).polled
    calls = markets.fake.liverpool.calls
    assert poll_tenant(REQUEST, adapters, plenty).reason == "ocupado"
    assert markets.fake.liverpool.calls == calls
    adapters.clock.advance(seconds=61)
    assert poll_tenant(REQUEST, adapters, plenty).polled


def test_every_order_across_pages_is_queued_once_even_when_runs_overlap_and_restart(
    adapters: FakeAdapters, markets: Markets
) -> None:
    ids = [order(markets) for _ in range(250)]  # three pages of 100
    # a run that stops half way (the Lambda's time running out) keeps its progress
    budget = iter([300.0, 300.0, 5.0])
    first = poll_tenant(REQUEST, adapters, lambda: next(budget))
    assert first.reason == "parcial" and first.pages == 2
    # meanwhile an old order is updated and new ones arrive
    markets.fake.liverpool.update(ids[10], order_state="SHIPPED")
    newer = [order(markets) for _ in range(3)]
    adapters.clock.advance(seconds=61)
    second = poll_tenant(REQUEST, adapters, plenty)
    assert second.reason == "completo"
    adapters.clock.advance(seconds=61)
    poll_tenant(REQUEST, adapters, plenty)  # a later run sees the overlap again
    assert sorted(set(queued_ids(adapters))) == sorted(ids + newer)
    assert len(queued_ids(adapters)) == len(ids + newer)  # none twice


def test_a_revoked_api_key_breaks_the_connection_and_keeps_the_cursor(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.domain.channels import ConnectionStatus

    order(markets)
    markets.fake.liverpool.shops.clear()  # the seller regenerated the key in Liverpool
    outcome = poll_tenant(REQUEST, adapters, plenty)
    assert not outcome.polled and outcome.reason == "conexion_rota"
    connection = adapters.connections.get(TENANT, "liverpool")
    assert connection is not None and connection.status is ConnectionStatus.BROKEN
    assert adapters.connections.poll_state(TENANT, "liverpool").cursor is None


def test_the_invoice_is_attached_as_an_order_document(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.domain.invoices import Invoice
    from postventa.services.channel_delivery import publish_invoice

    paid = order(markets)
    poll_tenant(REQUEST, adapters, plenty)
    ingest_message(QueuedWebhook.model_validate_json(adapters.queue.messages[0]), adapters)
    record = adapters.orders.get(OrderRef(tenant_id=TENANT, channel="liverpool", order_id=paid))
    assert record is not None
    invoice = Invoice(
        uuid="U", serie="F", folio="3", total="1448.00", currency="MXN", xml_key="k.xml",
        stamped_at="2026-11-20T16:00:00.000Z", pac="sandbox", test_stamp=True,
    )  # fmt: skip
    published = publish_invoice(record, invoice, b"<xml/>", b"%PDF factura", adapters)
    assert published.uploaded and not published.notifies_buyer  # our email still goes
    assert [d["file_name"] for d in markets.fake.liverpool.documents[paid]] == ["F3.pdf", "F3.xml"]
