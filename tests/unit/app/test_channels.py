"""Channel adapters: signatures verified in constant time before parsing; orders normalized."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from postventa.channels.base import sign_base64_hmac, verify_base64_hmac
from postventa.channels.mercadolibre import MercadoLibreAdapter
from postventa.channels.shopify import ShopifyAdapter, normalize_order
from postventa.channels.woocommerce import WooCommerceAdapter
from postventa.channels.woocommerce import normalize_order as normalize_woo
from postventa.errors import UnauthorizedError
from postventa.services.demo import sample_orders_paid

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "payloads"


def shopify_fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "shopify_orders_create.json").read_text())
    return data


def test_shopify_signature_matches_base64_hmac_sha256_of_the_raw_body() -> None:
    raw = b'{"id": 1}'
    good = sign_base64_hmac(raw, "s3cret")
    ShopifyAdapter().verify(raw, {"X-Shopify-Hmac-Sha256": good}, {"webhook_secret": "s3cret"})


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-shopify-hmac-sha256": ""}, {"x-shopify-hmac-sha256": "AAAA"}],
    ids=["missing", "empty", "wrong"],
)
def test_shopify_rejects_missing_or_wrong_signatures(headers: dict[str, str]) -> None:
    with pytest.raises(UnauthorizedError):
        ShopifyAdapter().verify(b"{}", headers, {"webhook_secret": "s3cret"})


def test_signature_over_a_different_body_is_rejected() -> None:
    signature = sign_base64_hmac(b'{"total_price": "10.00"}', "s3cret")
    with pytest.raises(UnauthorizedError):
        verify_base64_hmac(b'{"total_price": "1.00"}', signature, "s3cret")


def test_woocommerce_uses_its_own_signature_header() -> None:
    raw = b'{"id": 7}'
    sig = sign_base64_hmac(raw, "k")
    WooCommerceAdapter().verify(raw, {"X-WC-Webhook-Signature": sig}, {"webhook_secret": "k"})
    with pytest.raises(UnauthorizedError):
        WooCommerceAdapter().verify(raw, {"X-Shopify-Hmac-Sha256": sig}, {"webhook_secret": "k"})


def test_only_orders_paid_is_invoiceable_and_event_id_is_the_delivery_id() -> None:
    adapter = ShopifyAdapter()
    paid = adapter.classify({}, {"X-Shopify-Topic": "orders/paid", "X-Shopify-Event-Id": "e1"})
    created = adapter.classify({}, {"X-Shopify-Topic": "orders/create"})
    assert paid.invoiceable and paid.delivery_id == "e1"
    assert not created.invoiceable


def test_shopify_fixture_lines_discounts_shipping_and_buyer_are_normalized() -> None:
    body = shopify_fixture()["body"]
    body["currency"] = "MXN"  # the public sample is in USD, which needs an exchange rate
    order = normalize_order("t1", body)
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("SKU2006-001", Decimal(1), Decimal("89.99"), Decimal("0.00")),
        ("SKU2006-020", Decimal(1), Decimal("159.99"), Decimal("5.00")),
    ]
    assert order.shipping == Decimal("10.00")
    assert order.total_paid == Decimal("254.98")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid
    assert order.payment_method == "visa, bogus"
    assert order.buyer.email == "jon@doe.ca" and order.buyer.name == "John Smith"
    assert order.order_number == "#9999"


def test_foreign_currency_without_exchange_rate_is_a_clear_payload_error() -> None:
    from postventa.channels.base import ChannelPayloadError

    with pytest.raises(ChannelPayloadError, match=r"está en USD: .*tipo de cambio"):
        normalize_order("t1", shopify_fixture()["body"])


def test_demo_sample_is_a_paid_mexican_order_whose_parts_add_up_to_the_total() -> None:
    order = normalize_order("demo", sample_orders_paid())
    assert order.currency == "MXN" and order.total_paid == Decimal("1057.10")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid
    assert order.lines[0].description == "Playera de algodón orgánico - Mediana / Azul marino"


def test_woocommerce_line_totals_become_gross_prices_with_the_discount() -> None:
    order = normalize_woo(
        "t1",
        {
            "id": 55,
            "number": "55",
            "status": "processing",
            "currency": "MXN",
            "date_paid_gmt": "2025-06-01T10:00:00",
            "total": "1160.00",
            "shipping_total": "100.00",
            "shipping_tax": "16.00",
            "payment_method_title": "Tarjeta",
            "billing": {"email": "a@b.mx", "first_name": "Ana", "last_name": "Ruiz"},
            "line_items": [
                {
                    "sku": "X",
                    "name": "Silla",
                    "quantity": 2,
                    "subtotal": "1000.00",
                    "subtotal_tax": "160.00",
                    "total": "900.00",
                    "total_tax": "144.00",
                }
            ],
        },
    )
    line = order.lines[0]
    assert line.unit_price == Decimal("580") and line.discount == Decimal("116.00")
    assert line.gross_amount + order.shipping == order.total_paid


def test_mercadolibre_verifies_by_fetching_the_order_with_the_sellers_token() -> None:
    from datetime import UTC, datetime

    from postventa.channels.base import QueuedWebhook

    calls: list[tuple[str, str]] = []

    def fetch(resource: str, token: str) -> dict[str, Any]:
        calls.append((resource, token))
        return {
            "id": 2195160686,
            "status": "paid",
            "seller": {"id": 468424240},
            "date_closed": "2025-06-01T10:00:00.000-04:00",
            "currency_id": "MXN",
            "total_amount": 500,
            "paid_amount": 599,
            "order_items": [
                {
                    "item": {"title": "Lámpara", "seller_sku": "L-1"},
                    "quantity": 1,
                    "unit_price": 500,
                    "full_unit_price": 500,
                }
            ],
            "payments": [{"payment_method_id": "visa", "shipping_cost": 99}],
            "buyer": {"nickname": "COMPRADOR1"},
        }

    notification = json.loads((FIXTURES / "mercadolibre_orders_v2_notification.json").read_text())
    body = json.dumps(notification["payload"])
    adapter = MercadoLibreAdapter(fetch=fetch)
    adapter.verify(body.encode(), {}, {"user_id": 468424240})
    with pytest.raises(UnauthorizedError):
        adapter.verify(body.encode(), {}, {"user_id": 1})
    message = QueuedWebhook(
        tenant_id="t1", channel="mercadolibre", body=body, received_at=datetime.now(UTC)
    )
    order = adapter.normalize(message, {"access_token": "APP_USR-x"})
    assert calls == [("/orders/2195160686", "APP_USR-x")]
    assert order is not None and order.total_paid == Decimal("599")
    assert order.shipping == Decimal("99") and order.buyer.email is None
