"""Stores that send the order itself: Shopify (edited and refunded orders, gift cards, stale
deliveries), WooCommerce (the creation ping, fee lines, HTML entities, paid statuses) and
PrestaShop (our signed contract, replays refused). Payloads written from each documented
format."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from postventa.channels.base import ChannelPayloadError, sign_base64_hmac
from postventa.channels.prestashop import PrestaShopAdapter, sign_post
from postventa.channels.shopify import normalize_order as shopify_order
from postventa.channels.woocommerce import normalize_order as woo_order
from postventa.errors import UnauthorizedError
from postventa.services.webhooks import receive_webhook
from tests.support import builders
from tests.support.fakes import FakeAdapters

SECRET = "secreto-de-la-tienda"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant())
    for channel in ("shopify", "woocommerce", "prestashop"):
        fake.secrets.put_channel("tienda", channel, {"webhook_secret": SECRET})
    return fake


# ---------------------------------------------------------------- Shopify
def shopify_body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    body: dict[str, Any] = {
        "id": 820982911946154508,
        "name": "#1042",
        "email": "comprador@example.com",
        "created_at": now,
        "updated_at": now,
        "processed_at": now,
        "currency": "MXN",
        "financial_status": "paid",
        "taxes_included": True,
        "total_price": "1500.00",
        "current_total_price": "1500.00",
        "gateway": "shopify_payments",
        "line_items": [
            {
                "id": 1,
                "sku": "JARRO-01",
                "title": "Jarro de barro",
                "variant_title": "Chico",
                "quantity": 2,
                "current_quantity": 2,
                "price": "500.00",
                "gift_card": False,
                "discount_allocations": [{"amount": "100.00"}],
                "tax_lines": [],
            },
            {
                "id": 2,
                "sku": "GIFT-500",
                "title": "Tarjeta de regalo",
                "quantity": 1,
                "current_quantity": 1,
                "price": "500.00",
                "gift_card": True,
                "discount_allocations": [],
                "tax_lines": [],
            },
        ],
        "shipping_lines": [{"price": "100.00", "discount_allocations": [], "tax_lines": []}],
        "customer": {"first_name": "Ana", "last_name": "Ruiz"},
    }
    body.update(changes)
    return body


def test_a_sold_gift_card_leaves_the_invoice_and_its_price_the_total() -> None:
    order = shopify_order("t", shopify_body())
    assert [line.sku for line in order.lines] == ["JARRO-01"]
    assert order.total_paid == Decimal("1000.00")  # 1,500 paid less the 500 gift card
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid


def test_an_order_that_only_sells_gift_cards_is_refused_naming_why() -> None:
    body = shopify_body(total_price="500.00", current_total_price="500.00", shipping_lines=[])
    body["line_items"] = [body["line_items"][1]]
    with pytest.raises(ChannelPayloadError, match=r"\(500.00 MXN\) solo vende tarjetas de regalo"):
        shopify_order("t", body)


def test_an_edited_order_is_invoiced_for_its_current_quantities_and_total() -> None:
    body = shopify_body(total_price="1500.00", current_total_price="1050.00")
    body["line_items"][0]["current_quantity"] = 1  # one jarro refunded
    order = shopify_order("t", body)
    [line] = order.lines
    assert line.quantity == 1 and line.discount == Decimal("50.00")  # its share of 100
    assert order.total_paid == Decimal("550.00")
    assert line.gross_amount + order.shipping == order.total_paid


def shopify_post(adapters: FakeAdapters, body: dict[str, Any], event: str = "ev-1") -> Any:
    raw = json.dumps(body).encode()
    headers = {
        "x-shopify-topic": "orders/paid",
        "x-shopify-hmac-sha256": sign_base64_hmac(raw, SECRET),
        "x-shopify-event-id": event,
    }
    return receive_webhook("shopify", "tienda", raw, headers, adapters)


def test_a_stale_delivery_of_a_signed_body_is_acknowledged_and_ignored(
    adapters: FakeAdapters,
) -> None:
    old = (adapters.clock.now() - timedelta(days=4)).isoformat()
    outcome = shopify_post(adapters, shopify_body(updated_at=old, processed_at=old))
    assert not outcome.queued and outcome.reason == "stale" and adapters.queue.messages == []
    fresh = adapters.clock.now().isoformat()
    assert shopify_post(adapters, shopify_body(updated_at=fresh), "ev-2").queued


def test_a_bad_shopify_signature_is_a_401_and_nothing_is_queued(adapters: FakeAdapters) -> None:
    raw = json.dumps(shopify_body()).encode()
    headers = {
        "x-shopify-topic": "orders/paid",
        "x-shopify-hmac-sha256": sign_base64_hmac(raw, "otro"),
    }
    with pytest.raises(UnauthorizedError) as caught:
        receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert caught.value.status_code == 401 and adapters.queue.messages == []


# ---------------------------------------------------------------- WooCommerce
def test_woocommerces_creation_ping_is_answered_without_a_signature(adapters: FakeAdapters) -> None:
    outcome = receive_webhook("woocommerce", "tienda", b"webhook_id=17", {}, adapters)
    assert not outcome.queued and outcome.reason == "ping"
    with pytest.raises(UnauthorizedError):  # anything else unsigned is refused
        receive_webhook("woocommerce", "tienda", b'{"id": 1}', {}, adapters)


def woo_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": 321,
        "number": "321",
        "status": "processing",
        "currency": "MXN",
        "prices_include_tax": True,
        "date_paid_gmt": "2026-11-20T16:00:00",
        "total": "1200.00",
        "shipping_total": "86.21",
        "shipping_tax": "13.79",
        "payment_method": "stripe",
        "payment_method_title": "Tarjeta de crédito (Stripe)",
        "billing": {"first_name": "Luis", "last_name": "Mora", "email": "luis@example.com"},
        "line_items": [
            {
                "id": 1,
                "name": "Cojín bordado &ndash; Oaxaca",
                "sku": "COJIN-OAX",
                "quantity": 2,
                "subtotal": "862.07",
                "subtotal_tax": "137.93",
                "total": "862.07",
                "total_tax": "137.93",
                "meta_data": [],
            }
        ],
        "fee_lines": [
            {"id": 9, "name": "Envoltura para regalo", "total": "129.31", "total_tax": "20.69"},
            {
                "id": 10,
                "name": "Descuento por pago en línea",
                "total": "-43.10",
                "total_tax": "-6.90",
            },
        ],
    }
    body.update(changes)
    return body


def test_woocommerce_fee_lines_are_invoiced_and_a_negative_fee_discounts_the_lines() -> None:
    order = woo_order("t", woo_body())
    assert [line.description for line in order.lines] == [
        "Cojín bordado – Oaxaca",
        "Envoltura para regalo",
    ]
    assert order.lines[1].unit_price == Decimal("150.00")
    assert sum(line.discount for line in order.lines) == Decimal("50.00")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid
    assert order.payment_method == "stripe"  # the gateway's id maps; its title is for people


@pytest.mark.parametrize("status", ["pending", "on-hold", "cancelled", "refunded", "failed"])
def test_woocommerce_orders_not_yet_paid_are_acknowledged_and_not_queued(
    adapters: FakeAdapters, status: str
) -> None:
    raw = json.dumps(woo_body(status=status)).encode()
    headers = {
        "x-wc-webhook-topic": "order.updated",
        "x-wc-webhook-signature": sign_base64_hmac(raw, SECRET),
        "x-wc-webhook-delivery-id": "d1",
    }
    assert (
        receive_webhook("woocommerce", "tienda", raw, headers, adapters).reason == "ignored_topic"
    )


# ---------------------------------------------------------------- PrestaShop
def prestashop_post(**order: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "event": "order.validated",
        "shop": {"id": 1, "url": "https://tienda.example"},
        "order": {
            "id": 58,
            "reference": "XKBKNABJK",
            "date_add": "2026-11-20 10:00:00",
            "currency": "MXN",
            "payment": "Pago con tarjeta",
            "module": "ps_checkout",
            "paid": True,
            "total_paid_tax_incl": "1239.00",
            "total_shipping_tax_incl": "99.00",
            "total_discounts_tax_incl": "60.00",
            "customer": {"firstname": "Eva", "lastname": "Soto", "email": "eva@example.com"},
            "lines": [
                {
                    "reference": "VELA-01",
                    "name": "Vela de soya &amp; cera",
                    "quantity": 3,
                    "unit_price_tax_incl": "400.00",
                    "total_price_tax_incl": "1200.00",
                },
            ],
            **order,
        },
    }


def test_a_signed_prestashop_post_is_queued_and_normalized(adapters: FakeAdapters) -> None:
    from postventa.channels.base import QueuedWebhook
    from postventa.services.ingest import ingest_message

    raw, headers = sign_post(prestashop_post(), SECRET, "entrega-1")
    assert receive_webhook("prestashop", "tienda", raw, headers, adapters).queued
    ingest_message(QueuedWebhook.model_validate_json(adapters.queue.messages[0]), adapters)
    [record] = adapters.orders.records.values()
    order = record.order
    assert order.order_number == "XKBKNABJK" and order.lines[0].description == "Vela de soya & cera"
    assert order.total_paid == Decimal("1239.00") and order.lines[0].discount == Decimal("60.00")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid


def test_a_replayed_or_old_prestashop_post_is_refused(adapters: FakeAdapters) -> None:
    raw, headers = sign_post(prestashop_post(), SECRET, "entrega-1")
    assert receive_webhook("prestashop", "tienda", raw, headers, adapters).queued
    assert receive_webhook("prestashop", "tienda", raw, headers, adapters).reason == "duplicate"
    old_raw, old_headers = sign_post(
        prestashop_post(), SECRET, "entrega-2", now=int(time.time()) - 600
    )
    with pytest.raises(UnauthorizedError, match="cinco minutos"):
        PrestaShopAdapter().verify(old_raw, old_headers, {"webhook_secret": SECRET})


def test_an_unpaid_prestashop_order_is_acknowledged_and_ignored(adapters: FakeAdapters) -> None:
    raw, headers = sign_post(prestashop_post(paid=False), SECRET, "entrega-3")
    assert receive_webhook("prestashop", "tienda", raw, headers, adapters).reason == "ignored_topic"
