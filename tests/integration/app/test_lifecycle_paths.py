"""The lifecycle's other ways into stamping, on the real ASL: the seller's approval and the
seller's retry of an order that already has the buyer's data. Each records the buyer's data
once in the history and spends one folio."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.builders import VALID_FORM
from tests.support.events import http_event
from tests.support.http import wait_for

from .conftest import App, body_json, sample

pytestmark = pytest.mark.integration

ORDER = "5873214500123"


def _seller_post(app: App, path: str, body: dict[str, Any] | None = None) -> Any:
    event = http_event(
        "POST",
        path,
        body=json.dumps(body or {}).encode(),
        headers={"authorization": "Bearer demo-api-key", "content-type": "application/json"},
        route="/api/v1/{proxy+}",
    )
    return app.call("SellerApiFunction", event)


def _invoiced(app: App) -> Any:
    record = app.wait_status("facturada", ORDER)
    wait_for(lambda: any(e.attachments for e in app.emails()), what="the invoice email")
    return record


def test_with_auto_invoicing_off_the_sellers_approval_stamps_the_order(app: App) -> None:
    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(demo.model_copy(update={"auto_invoice": False}))
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    app.wait_status("en_bandeja")
    wait_for(lambda: app.order().waiting_token, what="the order parked in the inbox")
    answer = _seller_post(app, f"/api/v1/orders/shopify/{ORDER}/approve")
    assert answer["statusCode"] == 200, answer["body"]
    _invoiced(app)
    assert app.adapters.folios.account("demo").available == 99
    wanted = ["BillingDataReceived", "OrderHeldInInbox", "InboxApproved", "FolioReserved"]
    wait_for(lambda: all(w in app.history() for w in wanted), what=f"history has {wanted}")
    assert app.history().count("BillingDataReceived") == 1


def test_a_retried_order_with_the_buyers_data_is_stamped_without_asking_again(
    app: App,
) -> None:
    demo = app.adapters.tenants.get("demo")
    without_keys = {**demo.invoicing, "products": {}, "default_product_keys": None}
    app.adapters.tenants.put(demo.model_copy(update={"invoicing": without_keys}))
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    record = app.wait_status("error")
    assert record.error_code == "claves_no_registradas"
    assert app.adapters.folios.account("demo").available == 100  # given back

    app.adapters.tenants.put(demo)  # the seller registered the keys
    answer = _seller_post(app, f"/api/v1/orders/shopify/{ORDER}/retry")
    assert body_json(answer) == {"reintentado": True, "desde": "facturación"}
    _invoiced(app)
    assert len([e for e in app.emails() if "Solicita tu factura" in e.subject]) == 1
    assert app.adapters.folios.account("demo").available == 99
    wait_for(lambda: "InvoiceEmailed" in app.history(), what="the invoice in the history")
    assert app.history().count("BillingDataReceived") == 1  # the retry brought no new data
