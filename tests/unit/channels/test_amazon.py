"""Amazon: ORDER_CHANGE from our queue, getOrder with a restricted data token for the buyer, the
billing email to the anonymised address, sendInvoice; against the fake SP-API, whose usage
plans answer 429 to a client that does not keep to them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from postventa.channels.amazon import normalize_order
from postventa.channels.base import QueuedWebhook
from postventa.domain.invoices import Invoice
from postventa.domain.orders import Channel, OrderRef
from postventa.services.billing_request import BillingRequestTask, send_billing_request
from postventa.services.channel_delivery import publish_invoice
from postventa.services.ingest import ingest_message
from postventa.services.webhooks import receive_queued_notification
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import AMAZON_SELLER, Markets, connect_amazon, with_fake_markets

TENANT = "tienda"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant(TENANT))
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    notifications: list[str] = []
    markets = with_fake_markets(adapters)
    markets.fake.amazon.sink = notifications.append
    connect_amazon(adapters, markets, TENANT)
    return markets


def items() -> list[dict[str, Any]]:
    return [
        {
            "sku": "REBOZO-01",
            "title": "Rebozo de seda &amp; algodón",
            "quantity": 2,
            "price": 650.0,
            "discount": 100.0,
        },
        {"sku": "ARETES-02", "title": "Aretes de plata", "quantity": 1, "price": 899.0},
    ]


def from_queue(adapters: FakeAdapters, markets: Markets) -> None:
    for notification in markets.fake.amazon.notifications:
        receive_queued_notification("amazon", json.dumps(notification).encode(), adapters)
    markets.fake.amazon.notifications.clear()
    for message in list(adapters.queue.messages):
        ingest_message(QueuedWebhook.model_validate_json(message), adapters)
    adapters.queue.messages.clear()


def ref(order_id: str) -> OrderRef:
    return OrderRef(tenant_id=TENANT, channel="amazon", order_id=order_id)


def test_a_paid_order_change_becomes_an_order_with_the_buyers_relay_address(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items(), shipping=99.0)
    from_queue(adapters, markets)
    record = adapters.orders.get(ref(order_id))
    assert record is not None
    order = record.order
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("REBOZO-01", 2, Decimal("650"), Decimal("100")),
        ("ARETES-02", 1, Decimal("899"), Decimal("0")),
    ]
    assert order.lines[0].description == "Rebozo de seda & algodón"
    assert order.shipping == Decimal("99") and order.total_paid == Decimal("2198")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid
    # the buyer's data came only through the restricted data token
    assert order.buyer.email and order.buyer.email.endswith("@marketplace.amazon.com.mx")
    rdt_calls = [r for r in markets.transport.sent if "restrictedDataToken" in r.url]
    assert len(rdt_calls) == 1


def test_an_order_amazon_has_not_charged_yet_is_not_fetched(
    adapters: FakeAdapters, markets: Markets
) -> None:
    markets.fake.amazon.create_order(AMAZON_SELLER, items(), status="Pending")
    from_queue(adapters, markets)
    assert adapters.queue.messages == [] and adapters.orders.records == {}


def test_a_notification_for_a_seller_nobody_connected_is_dropped(
    adapters: FakeAdapters, markets: Markets
) -> None:
    markets.fake.amazon.create_order("A1OTROVENDEDOR", items())
    from_queue(adapters, markets)
    assert adapters.orders.records == {}


def test_the_same_notification_twice_is_queued_once(
    adapters: FakeAdapters, markets: Markets
) -> None:
    markets.fake.amazon.create_order(AMAZON_SELLER, items(), notify=False)
    order_id = next(iter(markets.fake.amazon.orders))
    raw = json.dumps(markets.fake.amazon.notify(order_id)).encode()
    assert receive_queued_notification("amazon", raw, adapters).queued
    assert receive_queued_notification("amazon", raw, adapters).reason == "duplicate"


def test_the_billing_email_goes_to_the_relay_address_from_the_approved_sender_without_a_link(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items())
    from_queue(adapters, markets)
    task = BillingRequestTask(task_token="t", order=ref(order_id), deadline_seconds=7 * 86400)
    assert send_billing_request(task, adapters).sent
    [email] = adapters.mailer.sent
    assert email.to.endswith("@marketplace.amazon.com.mx")
    assert "/facturar/" not in email.text and "RFC" in email.text  # Amazon restricts links


def test_a_seller_who_opts_in_sends_the_link_to_amazon_buyers(
    adapters: FakeAdapters, markets: Markets
) -> None:
    connection = adapters.connections.get(TENANT, "amazon")
    assert connection is not None
    adapters.connections.put(
        connection.model_copy(update={"settings": {**connection.settings, "include_link": True}})
    )
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items())
    from_queue(adapters, markets)
    task = BillingRequestTask(task_token="t", order=ref(order_id), deadline_seconds=7 * 86400)
    assert send_billing_request(task, adapters).sent
    assert "/facturar/" in adapters.mailer.sent[0].text


def test_the_invoice_goes_through_send_invoice_with_the_uploaded_pdf(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items())
    from_queue(adapters, markets)
    record = adapters.orders.get(ref(order_id))
    assert record is not None
    invoice = Invoice(
        uuid="U", serie="F", folio="9", total="2198.00", currency="MXN", xml_key="k.xml",
        stamped_at="2026-11-20T16:00:00.000Z", pac="sandbox", test_stamp=True,
    )  # fmt: skip
    published = publish_invoice(record, invoice, b"<xml/>", b"%PDF-1.4 factura", adapters)
    assert published.uploaded and published.notifies_buyer
    assert markets.fake.amazon.invoices == [{"order_id": order_id, "files": ["F9.pdf"]}]


def test_messaging_calls_keep_to_one_a_second_with_bursts_of_five(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items(), notify=False)
    api = adapters.marketplaces.amazon(TENANT)
    started = adapters.clock.now()
    for _ in range(8):
        assert api.messaging_actions(order_id) == ["sendInvoice"]
    waited = (adapters.clock.now() - started).total_seconds()
    # 5 at once, then one a second: the client waited instead of collecting 429s
    assert 2.5 <= waited <= 4.0
    assert 429 not in markets.transport.statuses


def test_a_seller_who_removes_our_app_breaks_the_connection(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.domain.channels import ConnectionStatus

    markets.fake.amazon.refresh_tokens.clear()  # the seller revoked the app in Seller Central
    order_id = markets.fake.amazon.create_order(AMAZON_SELLER, items())
    from_queue(adapters, markets)
    connection = adapters.connections.get(TENANT, "amazon")
    assert connection is not None and connection.status is ConnectionStatus.BROKEN
    assert adapters.connections.parked(TENANT, "amazon")
    assert adapters.orders.get(ref(order_id)) is None


def test_a_tax_exclusive_marketplace_adds_the_item_tax() -> None:
    order = normalize_order(
        "t",
        {
            "AmazonOrderId": "111-1",
            "PurchaseDate": "2026-11-20T16:00:00Z",
            "OrderStatus": "Shipped",
            "MarketplaceId": "ATVPDKIKX0DER",
            "OrderTotal": {"CurrencyCode": "USD", "Amount": "108.00"},
        },
        [
            {
                "SellerSKU": "S",
                "Title": "Mug",
                "QuantityOrdered": 1,
                "ItemPrice": {"Amount": "100.00"},
                "ItemTax": {"Amount": "8.00"},
            }
        ],
    )
    assert order.lines[0].unit_price == Decimal("108.00") and order.total_paid == Decimal("108.00")
    assert order.channel is Channel.AMAZON and order.payment_method == "amazon"
