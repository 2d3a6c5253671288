"""The ERP hand-off on the embedded cloud from template.yaml: an InvoiceStamped event put on the
bus goes through the rule, the ERP queue and the forwarder to a local ERP that checks the
signature; the seller reads the delivery log and redelivers through the seller API."""

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
