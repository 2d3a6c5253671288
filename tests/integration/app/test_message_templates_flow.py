"""A seller's own billing message on the embedded cloud: saved through the seller API, used by
the lifecycle's billing request, recorded in the order's history."""

from __future__ import annotations

import pytest

from postventa.domain.orders import OrderRef
from tests.support.http import wait_for

from .conftest import App, body_json, sample

pytestmark = pytest.mark.integration

TEMPLATE = {
    "subject": "{{ tienda }} · factura del pedido {{ pedido }}",
    "text": "Hola {{ comprador }}: pide tu factura de {{ total }} antes del {{ fecha_limite }} "
    "en {{ liga }}",
}


def test_a_saved_template_is_the_billing_email_of_the_next_order(app: App) -> None:
    refused = app.api(
        "/api/v1/message-templates/shopify",
        method="PUT",
        body={"subject": "{{ cliente }}", "text": "sin liga"},
    )
    assert refused["statusCode"] == 422
    assert [d["code"] for d in body_json(refused)["details"]] == [
        "campo_desconocido",
        "falta_liga",
    ]
    saved = app.api("/api/v1/message-templates/shopify", method="PUT", body=TEMPLATE)
    assert saved["statusCode"] == 200, saved["body"]

    app.post_webhook(sample())
    app.drain()
    token = app.link_token()
    [email] = app.emails()
    assert email.subject == "Tienda Demo · factura del pedido #2001"
    assert email.text.startswith(
        "Hola Mariana López Hernández: pide tu factura de $1,057.10 MXN antes del "
    )
    assert email.text.rstrip().endswith(f"/facturar/{token}")
    assert f'href="https://facturas.example.test/facturar/{token}"' in email.html
    wait_for(lambda: "BillingRequested" in app.history(), timeout=20, what="history")
    ref = OrderRef(tenant_id="demo", channel="shopify", order_id="5873214500123")
    [requested] = [
        e for e in app.adapters.orders.history(ref) if e.event_type == "BillingRequested"
    ]
    assert requested.detail == {"plantilla": "propia"}
