"""The channels' flows on the embedded cloud from template.yaml, against the fake marketplaces
over HTTP: Mercado Libre from OAuth to the invoice in the pack's fiscal documents, an order that
carried its billing info, Amazon's queue, Liverpool's polling schedule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from postventa.cli.local import (
    DEMO_LIVERPOOL_KEY,
    DEMO_LIVERPOOL_SHOP,
    DEMO_ML_CART,
    DEMO_ML_SELLER,
    DEMO_ML_SHIPPING,
)
from tests.support.builders import VALID_FORM
from tests.support.http import wait_for

from .conftest import PUBLIC, App, body_json

pytestmark = pytest.mark.integration


def connect_mercadolibre(app: App) -> None:
    started = app.api("/api/v1/channels/mercadolibre/authorize", method="POST", body={})
    url = body_json(started)["authorization_url"]
    # the seller's browser: Mercado Libre's authorization page redirects to our route
    answer = app.markets.handle("GET", url, {}, b"")
    assert answer.status == 302 and answer.headers["location"].startswith(f"{PUBLIC}/oauth/")
    page = app.oauth_return(answer.headers["location"])
    assert page["statusCode"] == 200 and "Mercado Libre conectado" in page["body"]


def cart(app: App, **kwargs: Any) -> str:
    created = app.markets.mercadolibre.create_sale(
        DEMO_ML_SELLER, DEMO_ML_CART, shipping_cost=DEMO_ML_SHIPPING, **kwargs
    )
    return str(created["key"])


def test_a_mercado_libre_cart_goes_from_oauth_to_its_invoice_in_the_packs_documents(
    app: App,
) -> None:
    connect_mercadolibre(app)
    key = cart(app)
    app.drain()
    ml = app.markets.mercadolibre
    [message] = wait_for(lambda: ml.sent_messages(key), timeout=20, what="the billing message")
    assert message.option_id == "SEND_INVOICE_LINK" and len(message.text) <= 350
    token = re.search(r"/facturar/([A-Za-z0-9_-]{40,})", message.text)
    assert token
    assert app.emails() == []  # nothing went around Mercado Libre
    done = app.form_post(token.group(1), {**VALID_FORM})
    assert done["statusCode"] == 200
    record = wait_for(
        lambda: (r := app.record("mercadolibre", key)) and r.invoice_upload == "subida" and r,
        timeout=30,
        what="the invoice uploaded",
    )
    assert record.status.value == "facturada" and record.order.total_paid == 879
    docs = ml.fiscal_documents[key]
    assert [d["content_type"] for d in docs] == ["application/pdf", "application/xml"]
    assert docs[0]["data"].startswith(b"%PDF") and b"Comprobante" in docs[1]["data"]
    # Mercado Libre notifies the buyer: no invoice email from us
    assert [e for e in app.emails() if "factura" in e.subject.lower()] == []
    view = body_json(app.api(f"/api/v1/orders/mercadolibre/{key}"))
    assert [h["event_type"] for h in view["history"]][-1] == "InvoiceUploaded"


def test_an_order_with_billing_info_is_invoiced_without_asking_the_buyer(app: App) -> None:
    connect_mercadolibre(app)
    key = cart(
        app,
        billing_info={
            "name": "ESCUELA KEMPER URGATE",
            "identification": {"type": "RFC", "number": "EKU9003173C9"},
            "taxes": {"taxpayer_type": {"id": "601"}, "cfdi": {"id": "G03"}},
            "address": {"zip_code": "42501"},
        },
    )
    app.drain()
    record = wait_for(
        lambda: (r := app.record("mercadolibre", key)) and r.status.value == "facturada" and r,
        timeout=30,
        what="the order invoiced",
    )
    assert record.fiscal_data["rfc"] == "EKU9003173C9"
    assert app.markets.mercadolibre.sent_messages(key) == []  # never asked
    wait_for(lambda: key in app.markets.mercadolibre.fiscal_documents, timeout=20, what="upload")


def test_an_amazon_order_change_on_the_queue_asks_the_buyer_through_the_relay(app: App) -> None:
    refresh = app.markets.amazon.add_seller("A3POSTVENTADEMO")
    connected = app.api(
        "/api/v1/channels/amazon",
        method="PUT",
        body={"refresh_token": refresh, "selling_partner_id": "A3POSTVENTADEMO"},
    )
    assert connected["statusCode"] == 201
    order_id = app.markets.amazon.create_order(
        "A3POSTVENTADEMO", [{"sku": "REB-01", "title": "Rebozo", "quantity": 1, "price": 1299.0}]
    )
    app.drain()
    record = wait_for(lambda: app.record("amazon", order_id), timeout=20, what="the Amazon order")
    assert record.order.total_paid == 1299 and record.order.buyer.email.endswith(".amazon.com.mx")
    [email] = wait_for(app.emails, timeout=20, what="the relay email")
    assert email.to == [record.order.buyer.email] and "/facturar/" not in email.text


def test_liverpool_orders_arrive_when_the_schedule_polls(app: App) -> None:
    connected = app.api(
        "/api/v1/channels/liverpool", method="PUT", body={"api_key": DEMO_LIVERPOOL_KEY}
    )
    assert body_json(connected)["account_id"] == str(DEMO_LIVERPOOL_SHOP)
    ids = [
        app.markets.liverpool.create_order(
            DEMO_LIVERPOOL_SHOP,
            [{"sku": f"S{i}", "title": "Sartén", "quantity": 1, "price_unit": 899.0}],
        )
        for i in range(3)
    ]
    [rule] = [r for r in app.cloud.stack.schedules if "ChannelPoller" in r]
    app.cloud.fire_schedule(rule)
    app.drain()
    for order_id in ids:
        record = wait_for(lambda i=order_id: app.record("liverpool", i), timeout=20, what=order_id)
        assert record.order.total_paid == 899
    listed = app.markets.liverpool.list_calls
    app.cloud.fire_schedule(rule)  # within the minute: the poll does not call OR11
    app.drain()
    assert app.markets.liverpool.list_calls == listed
    # each buyer was asked in an order thread (Liverpool's messaging)
    threads = app.markets.liverpool.threads
    wait_for(lambda: len(threads) == 3, timeout=20, what="the billing messages")
    assert sorted(t["order_id"] for t in threads) == sorted(ids)
    assert all("/facturar/" in t["body"] and t["to"] == ["CUSTOMER"] for t in threads)
