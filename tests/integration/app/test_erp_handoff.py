"""The ERP hand-off on the embedded cloud from template.yaml: an InvoiceStamped event put on the
bus goes through the rule, the ERP queue and the forwarder to a local ERP that checks the
signature; the seller reads the delivery log and redelivers through the seller API. A global
invoice issued by the product, and its cancellation and re-issue after a late request, reach the
ERP the same way."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.erp_receiver import LocalErp
from tests.support.events import STAMPED_XML, http_event, invoice_stamped

from .conftest import App

pytestmark = pytest.mark.integration


def seller(app: App, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The seller API as API Gateway calls it, with the demo tenant's key."""
    event = http_event(
        method,
        path,
        body=json.dumps(body).encode() if body is not None else b"",
        headers={"authorization": "Bearer demo-api-key", "content-type": "application/json"},
        route="/api/v1/{proxy+}",
    )
    response = app.call("SellerApiFunction", event)
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def erp() -> Iterator[LocalErp]:
    with LocalErp() as running:
        yield running


def stamp(app: App) -> dict[str, Any]:
    """What the lifecycle leaves behind a stamped invoice: the order with the buyer's fiscal
    data, the XML in the documents bucket, and InvoiceStamped on the bus."""
    order = builders.order("9001", tenant_id="demo")
    app.adapters.orders.add(order)
    app.adapters.orders.note(order.ref, fiscal_data=dict(VALID_FORM))
    event = invoice_stamped(tenant_id="demo", order_id="9001")
    detail = event["detail"]
    app.cloud.client("s3").put_object(
        Bucket=app.cloud.stack.buckets["DocumentsBucket"], Key=detail["xml_key"], Body=STAMPED_XML
    )
    answer = app.cloud.client("events").put_events(
        Entries=[
            {
                "Source": "postventa",
                "DetailType": "InvoiceStamped",
                "Detail": json.dumps(detail),
                "EventBusName": app.cloud.stack.event_buses["EventBus"],
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0
    return detail


def test_a_stamped_invoice_reaches_the_erp_signed_and_can_be_redelivered(
    app: App, erp: LocalErp
) -> None:
    status, settings = seller(app, "PUT", "/api/v1/erp", {"url": erp.url})
    assert status == 201
    erp.secret = settings["signing_secret"]
    status, tested = seller(app, "POST", "/api/v1/erp/test")
    assert status == 200 and tested["delivered"] is True
    assert [r.json["event"] for r in erp.received] == ["ping"]

    detail = stamp(app)
    app.drain()

    _ping, received = erp.received
    assert received.verified and received.path == "/postventa/facturas"
    assert received.headers["X-Postventa-Event"] == "invoice.stamped"
    body = received.json
    assert body["invoice"]["uuid"] == detail["uuid"] and body["invoice"]["total"] == "599.00"
    assert body["invoice"]["receptor"]["rfc"] == VALID_FORM["rfc"]
    assert base64.b64decode(body["invoice"]["xml_base64"]) == STAMPED_XML
    assert body["order"] == {"channel": "shopify", "order_id": "9001", "order_number": "#9001"}

    status, log = seller(app, "GET", "/api/v1/erp/deliveries")
    [delivery] = log["deliveries"]
    assert status == 200 and delivery["status"] == "entregada" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 200 and delivery["uuid"] == detail["uuid"]

    app.drain()  # nothing left to send: one POST per event
    assert len(erp.received) == 2

    path = f"/api/v1/erp/deliveries/{delivery['delivery_id']}/redeliver"
    status, requeued = seller(app, "POST", path)
    assert status == 202 and requeued["round"] == 1
    app.drain()
    again = erp.received[2]
    assert again.verified and again.json == body  # the same body, signed anew
    _, log = seller(app, "GET", "/api/v1/erp/deliveries")
    [delivery] = log["deliveries"]
    assert (delivery["status"], delivery["round"], delivery["attempts"]) == ("entregada", 1, 1)


def test_an_erp_that_fails_first_gets_the_invoice_on_the_next_attempt(
    app: App, erp: LocalErp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The forwarder runs in this process: its one-minute first delay becomes one second.
    monkeypatch.setattr("postventa.services.erp.retry_delay", lambda attempt: 1)
    _, settings = seller(app, "PUT", "/api/v1/erp", {"url": erp.url})
    erp.secret, erp.statuses = settings["signing_secret"], [503]

    stamp(app)
    app.drain()  # waits for the hidden message to come back, then delivers it

    first, second = erp.received
    assert first.verified and second.verified and first.json == second.json
    timestamps = [r.headers["X-Postventa-Timestamp"] for r in (first, second)]
    assert all(t.isdigit() for t in timestamps)
    _, log = seller(app, "GET", "/api/v1/erp/deliveries")
    [delivery] = log["deliveries"]
    assert (delivery["status"], delivery["attempts"]) == ("entregada", 2)
    assert "last_error" not in delivery and "next_retry_at" not in delivery


def test_a_global_invoice_and_the_reissue_a_late_request_makes_reach_the_erp_signed(
    app_factory: Any, erp: LocalErp
) -> None:
    """Through the product: the hourly job stamps the daily global, the ERP gets it; a buyer
    asks late, the evening's job cancels it (motivo 04) and re-issues it, the ERP gets both."""
    from tests.support.http import wait_for

    from .test_global_invoice_flow import _daily, _portal_link, _unanswered_orders_of_two_days_ago

    app = app_factory(BillingDeadlineSeconds="2")
    _daily(app, late_request_days=30)
    _, settings = seller(app, "PUT", "/api/v1/erp", {"url": erp.url})
    erp.secret = settings["signing_secret"]
    _unanswered_orders_of_two_days_ago(app)

    app.run_schedule("GlobalInvoices", timeout=120)
    [stamped] = wait_for(lambda: erp.received, what="the global invoice at the ERP")
    assert stamped.verified and stamped.headers["X-Postventa-Event"] == "global_invoice.stamped"
    body = stamped.json
    assert "order" not in body and body["tenant_id"] == "demo"
    info, invoice = body["global_invoice"], body["invoice"]
    assert sorted(o["order_id"] for o in info["orders"]) == ["7001", "7002", "7003"]
    assert info["order_count"] == 3 and info["period"]["periodicidad"] == "01"
    [cfdi] = app.adapters.global_invoices.cfdis("demo", info["run_id"])
    xml = app.adapters.documents.get("demo", cfdi.xml_key)
    assert base64.b64decode(invoice["xml_base64"]) == xml and invoice["uuid"] == cfdi.uuid
    assert invoice["receptor"]["rfc"] == "XAXX010101000"
    assert info["period"]["key"] == info["run_id"].partition("#")[0]

    token = _portal_link(app, "7002")
    assert app.form_post(token, VALID_FORM)["statusCode"] == 200
    app.wait_status("solicitud_tardia", "7002")
    app.run_schedule("LateRequests", timeout=120)
    app.wait_status("facturada", "7002")
    app.drain()

    wait_for(lambda: len(erp.received) >= 4, what="cancellation, re-issue and own invoice")
    assert all(r.verified for r in erp.received) and len(erp.received) == 4
    by_event: dict[str, list[Any]] = {}
    for received in erp.received[1:]:
        by_event.setdefault(received.json["event"], []).append(received.json)
    [cancelled] = by_event["global_invoice.cancelled"]
    assert cancelled["invoice"] == {"uuid": cfdi.uuid, "motivo": "04", "status": "aceptada"}
    [reissued] = by_event["global_invoice.stamped"]
    assert reissued["global_invoice"]["replaces"] == cfdi.uuid
    assert [o["order_id"] for o in reissued["global_invoice"]["orders"]] == ["7001", "7003"]
    [own] = by_event["invoice.stamped"]
    assert own["order"]["order_id"] == "7002"

    _, log = seller(app, "GET", "/api/v1/erp/deliveries")
    kinds = sorted(d["event_type"] for d in log["deliveries"])
    assert kinds == [
        "GlobalInvoiceCancelled",
        "GlobalInvoiceStamped",
        "GlobalInvoiceStamped",
        "InvoiceStamped",
    ]
    assert all(d["status"] == "entregada" for d in log["deliveries"])
    globals_ = [d for d in log["deliveries"] if d["event_type"].startswith("Global")]
    assert all(d["period"] == info["period"]["key"] and "order_id" not in d for d in globals_)
