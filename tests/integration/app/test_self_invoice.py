"""The self-invoice portal on the embedded cloud from template.yaml: the order found through the
table's gsi3 (tenant-led number keys), a fresh link that answers the same lifecycle task."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from postventa.domain.self_invoice import order_number_key
from postventa.domain.tenants import Tenant
from tests.support.builders import VALID_FORM
from tests.support.events import http_event
from tests.support.http import wait_for

from .conftest import PUBLIC, App, sample

pytestmark = pytest.mark.integration

ORDER = "5873214500123"  # the sample's id; its number is "#2001", total 1057.10


def portal(app: App, data: dict[str, str] | None = None, cookie: str = "") -> dict[str, Any]:
    body = urlencode(data).encode() if data is not None else b""
    event = http_event(
        "POST" if data is not None else "GET",
        "/facturar",
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded", "origin": PUBLIC},
        route="/facturar",
        base64_body=bool(body),
        cookies=[cookie] if cookie else None,
    )
    response: dict[str, Any] = app.call("BillingFormFunction", event)
    return response


def test_an_order_is_found_by_store_number_and_total_and_its_data_completes_the_lifecycle(
    app: App,
) -> None:
    app.post_webhook(sample())
    app.drain()
    app.wait_status("solicitud_enviada")
    app.link_token()  # the emailed link exists: its task token is the one to answer

    [found] = app.adapters.orders.find_by_number("demo", order_number_key("#2001"))
    assert found.ref.order_id == ORDER and str(found.total_paid) == "1057.10"
    app.adapters.tenants.put(Tenant(tenant_id="otra", name="Otra tienda"))
    assert app.adapters.orders.find_by_number("otra", "2001") == []  # keys led by the tenant

    page = portal(app)
    cookie = page["cookies"][0].split(";")[0]
    fields = {"tienda": "demo", "pedido": "2001", "total": "1,057.10", "csrf": cookie[15:]}
    assert cookie.startswith("postventa_csrf=")
    redirect = portal(app, fields, cookie)
    assert redirect["statusCode"] == 303
    token = redirect["headers"]["Location"].rsplit("/", 1)[1]

    wrong = portal(app, {**fields, "total": "1057.11"}, cookie)
    other_store = portal(app, {**fields, "tienda": "otra"}, cookie)
    assert wrong["statusCode"] == other_store["statusCode"] == 404

    done = app.form_post(token, VALID_FORM)
    assert done["statusCode"] == 200 and "Recibimos tus datos" in done["body"]
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "SUCCEEDED"
    assert app.wait_status("facturada").fiscal_data["rfc_confirmado"] is False

    again = portal(app, fields, cookie)  # the buyer looks again once it is invoiced
    assert again["statusCode"] == 200 and "Tu pedido ya está facturado" in again["body"]
    assert "co*****@kemper.example" in again["body"]


def test_an_order_paid_longer_ago_than_the_deadline_gets_no_link(app: App) -> None:
    from datetime import UTC, datetime

    old = sample()
    # Paid in 2025, updated today (a body last updated days ago is a replay the webhook drops).
    old.update(processed_at="2025-06-12T11:02:36-06:00", created_at="2025-06-12T11:02:37-06:00")
    app.post_webhook(old)
    app.drain()
    record = wait_for(
        lambda: (o := app.order()) is not None and o.billing_request_skipped and o,
        timeout=20,
        what="the billing request task to skip the order",
    )
    assert record.billing_request_skipped == "plazo_vencido"
    assert record.order.paid_at < datetime(2025, 7, 1, tzinfo=UTC)
    assert app.emails() == []  # no link for a time long over
