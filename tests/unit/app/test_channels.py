"""Channel adapters: signatures verified in constant time before parsing; orders normalized."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from postventa.channels.base import sign_base64_hmac, verify_base64_hmac
from postventa.channels.shopify import ShopifyAdapter, normalize_order
from postventa.channels.woocommerce import WooCommerceAdapter
from postventa.channels.woocommerce import normalize_order as normalize_woo
from postventa.errors import UnauthorizedError
from postventa.services.demo import sample_orders_paid

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "payloads"


def shopify_fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "shopify_orders_paid.json").read_text())
    return data


# A known answer computed outside Python, so signing and verifying cannot agree on a wrong digest:
#   printf '%s' "$RAW" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
KNOWN_RAW = b'{"id":6120458703921,"total_price":"2405.50","currency":"MXN"}'
KNOWN_SIGNATURES = {
    "s3cret": "w4FD10glkD5mdEGt9CW8vKHKGp1TEom1mNJm421HbrA=",
    "k": "cUaTPtvSM5F9QJpFFLjS1S/Ou7hsjRRBRm2p35itRSk=",
}


def test_shopify_signature_matches_base64_hmac_sha256_of_the_raw_body() -> None:
    good = KNOWN_SIGNATURES["s3cret"]
    assert sign_base64_hmac(KNOWN_RAW, "s3cret") == good
    ShopifyAdapter().verify(
        KNOWN_RAW, {"X-Shopify-Hmac-Sha256": good}, {"webhook_secret": "s3cret"}
    )


def test_the_fixture_delivery_verifies_with_its_shops_secret_only() -> None:
    delivery = shopify_fixture()
    raw = json.dumps(delivery["body"], ensure_ascii=False, separators=(",", ":")).encode()
    ShopifyAdapter().verify(raw, delivery["headers"], {"webhook_secret": "secreto-de-prueba"})
    with pytest.raises(UnauthorizedError):
        ShopifyAdapter().verify(raw, delivery["headers"], {"webhook_secret": "otro-secreto"})


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
    raw, sig = KNOWN_RAW, KNOWN_SIGNATURES["k"]
    WooCommerceAdapter().verify(raw, {"X-WC-Webhook-Signature": sig}, {"webhook_secret": "k"})
    with pytest.raises(UnauthorizedError):
        WooCommerceAdapter().verify(raw, {"X-Shopify-Hmac-Sha256": sig}, {"webhook_secret": "k"})


def test_only_orders_paid_is_invoiceable_and_event_id_is_the_delivery_id() -> None:
    adapter = ShopifyAdapter()
    paid = adapter.classify(
        {"id": 1, "line_items": [{}]},
        {"X-Shopify-Topic": "orders/paid", "X-Shopify-Event-Id": "e1"},
    )
    created = adapter.classify({}, {"X-Shopify-Topic": "orders/create"})
    assert paid.invoiceable and paid.delivery_id == "e1"
    assert not created.invoiceable


def test_shopify_fixture_lines_discounts_shipping_and_buyer_are_normalized() -> None:
    order = normalize_order("t1", shopify_fixture()["body"])
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("TAL-PH-22", Decimal(4), Decimal("289.00"), Decimal("0.00")),
        ("BAR-JA-15", Decimal(1), Decimal("645.00"), Decimal("64.50")),
        ("VID-VS-06", Decimal(1), Decimal("520.00"), Decimal("0.00")),
    ]
    assert order.lines[0].description == "Plato hondo de talavera - Azul cobalto / 22 cm"
    assert order.shipping == Decimal("149.00")
    assert order.total_paid == Decimal("2405.50")
    assert sum(line.gross_amount for line in order.lines) + order.shipping == order.total_paid
    assert order.payment_method == "shopify_payments"
    assert order.buyer.email == "mariana.villasenor@example.com"
    assert order.buyer.name == "Mariana Villaseñor Ortega"
    assert order.order_number == "#1187"


def test_a_foreign_currency_order_normalizes_and_leaves_the_rate_to_ingest() -> None:
    body = shopify_fixture()["body"]
    body["currency"] = "USD"  # a shop selling in dollars: ingest gets the legal rate
    order = normalize_order("t1", body)
    assert order.currency == "USD" and order.exchange_rate is None


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
