"""The periodic global invoice reaches the seller's ERP (decisions 0014 and 0015): each CFDI the
global job stamps, and each one a late request's re-issue cancels, becomes one signed POST with
no order but the period, the run and the orders it covers. Events come from the real job (the
engine and the sandbox PAC on a simulated clock), so publisher and forwarder agree."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from postventa.domain.clock import epoch
from postventa.domain.erp import DeliveryStatus, PostResult
from postventa.domain.orders import Order
from postventa.services import erp, global_invoices, late_requests
from postventa.services.erp import Forwarded, MalformedErpMessageError, RetryLaterError
from tests.support.builders import VALID_FORM
from tests.support.erp_receiver import verify_headers
from tests.support.events import eventbridge_event, global_invoice_cancelled, global_invoice_stamped
from tests.support.fakes import FakeAdapters
from tests.support.global_invoices import (
    CFDI,
    after_issue_time,
    global_adapters,
    global_tenant,
    sell,
    stamped_xml,
)

URL = "https://erp.tienda.example/postventa"


@pytest.fixture
def adapters() -> FakeAdapters:
    return global_adapters()


def configured(adapters: FakeAdapters, tenant_id: str = "tienda", url: str = URL) -> str:
    view, _ = erp.configure(tenant_id, erp.ErpSettingsBody(url=url), adapters)
    return str(view["signing_secret"])


def bus_events(adapters: FakeAdapters, detail_type: str) -> list[dict[str, Any]]:
    """What the services published of one type, as the ERP rule delivers it (the detail goes
    through JSON as the EventBridge adapter sends it)."""
    return [
        eventbridge_event(kind, json.loads(json.dumps(detail, default=str)))
        for kind, detail in adapters.events.published
        if kind == detail_type
    ]


def issue(adapters: FakeAdapters, count: int) -> list[Order]:
    """`count` sales of November nobody asked to invoice, in the month's global invoice."""
    orders = [
        sell(adapters, str(i), datetime(2026, 11, 10, 15, i, tzinfo=UTC)) for i in range(count)
    ]
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.state == "emitida"
    return orders


def forward(adapters: FakeAdapters, event: dict[str, Any] | str, attempt: int = 1) -> Forwarded:
    body = event if isinstance(event, str) else json.dumps(event)
    return erp.forward_message(body, attempt=attempt, receipt_handle="rh-1", adapters=adapters)


def posted_bodies(adapters: FakeAdapters) -> list[dict[str, Any]]:
    return [json.loads(p.body) for p in adapters.erp_poster.posted]


# ---------------------------------------------------------------------- stamped
def test_each_global_cfdi_reaches_the_erp_with_its_period_orders_receptor_and_xml(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant(max_concepts=2))
    secret = configured(adapters)
    orders = issue(adapters, 3)
    events = bus_events(adapters, "GlobalInvoiceStamped")
    assert len(events) == 2  # the cap splits the month in two CFDIs: one POST each
    for event in events:
        assert forward(adapters, event) is Forwarded.DELIVERED

    [run] = adapters.global_invoices.runs.values()
    cfdis = adapters.global_invoices.cfdis("tienda", run.run_id)
    roots = stamped_xml(adapters, "tienda", run.run_id)
    covered: list[dict[str, str]] = []
    for posted, cfdi, root in zip(adapters.erp_poster.posted, cfdis, roots, strict=True):
        assert posted.headers["X-Postventa-Event"] == "global_invoice.stamped"
        assert verify_headers(secret, posted.headers, posted.body, now=epoch(adapters.clock.now()))
        body = json.loads(posted.body)
        assert body["event"] == "global_invoice.stamped" and "order" not in body
        info, invoice = body["global_invoice"], body["invoice"]
        # The period, and what InformacionGlobal states for it in the stamped XML.
        assert info["period"] == {
            "key": "2026-11-01.04",
            "first_day": "2026-11-01",
            "last_day": "2026-11-30",
            "periodicidad": "04",
            "meses": "11",
            "anio": "2026",
        }
        xml_info = root.find(f"{CFDI}InformacionGlobal")
        assert xml_info is not None
        assert (xml_info.get("Periodicidad"), xml_info.get("Meses"), xml_info.get("Año")) == (
            info["period"]["periodicidad"],
            info["period"]["meses"],
            info["period"]["anio"],
        )
        assert (info["run_id"], info["cfdi_index"]) == (run.run_id, cfdi.index)
        assert info["order_count"] == cfdi.order_count == len(info["orders"])
        assert "replaces" not in info
        covered += info["orders"]
        # The invoice block, like an order's, with the receptor the XML names.
        assert (invoice["uuid"], invoice["serie"], invoice["folio"]) == (
            cfdi.uuid,
            root.get("Serie"),
            root.get("Folio"),
        )
        assert (invoice["currency"], invoice["total"]) == ("MXN", cfdi.total)
        assert invoice["totals"]["total"] == root.get("Total")
        assert invoice["totals"]["subtotal"] == root.get("SubTotal")
        assert invoice["receptor"] == {
            "rfc": "XAXX010101000",
            "nombre": "PUBLICO EN GENERAL",
            "regimen_fiscal": "616",
            "codigo_postal": root.get("LugarExpedicion"),
            "uso_cfdi": "S01",
        }
        xml = adapters.documents.get("tienda", cfdi.xml_key or "")
        assert xml is not None and base64.b64decode(invoice["xml_base64"]) == xml
        assert invoice["xml_sha256"] == hashlib.sha256(xml).hexdigest()
    # Every sale of the month is in exactly one of the POSTs, by channel and order id.
    assert sorted(o["order_id"] for o in covered) == sorted(o.order_id for o in orders)
    assert {o["channel"] for o in covered} == {"shopify"}


def test_the_delivery_log_shows_a_global_by_its_period_and_run(adapters: FakeAdapters) -> None:
    configured(adapters)
    issue(adapters, 1)
    [event] = bus_events(adapters, "GlobalInvoiceStamped")
    adapters.erp_poster.answers = [PostResult(status_code=503, error="El ERP respondió HTTP 503.")]
    with pytest.raises(RetryLaterError):
        forward(adapters, event)

    [listed] = erp.list_deliveries("tienda", adapters)["deliveries"]
    assert listed["event_type"] == "GlobalInvoiceStamped"
    assert listed["uuid"] == event["detail"]["uuid"]
    assert (listed["period"], listed["run_id"]) == ("2026-11-01.04", "2026-11-01.04#001")
    assert "channel" not in listed and "order_id" not in listed
    assert listed["status"] == "reintentando" and listed["last_status_code"] == 503

    adapters.clock.advance(seconds=60)
    assert forward(adapters, event, attempt=2) is Forwarded.DELIVERED
    first, second = posted_bodies(adapters)
    assert first == second  # the retry sends the same body


def test_the_same_global_event_delivered_twice_posts_once(adapters: FakeAdapters) -> None:
    configured(adapters)
    issue(adapters, 2)
    [event] = bus_events(adapters, "GlobalInvoiceStamped")
    assert forward(adapters, event) is Forwarded.DELIVERED
    assert forward(adapters, event, attempt=2) is Forwarded.ALREADY_SETTLED
    assert len(adapters.erp_poster.posted) == 1
    assert len(adapters.erp_deliveries.records) == 1
    logged = adapters.erp_deliveries.get("tienda", event["id"])
    assert logged is not None and logged.attempts == 1
    assert logged.status is DeliveryStatus.DELIVERED

    # The seller's redeliver rebuilds the same body from the logged event.
    erp.redeliver("tienda", event["id"], adapters)
    [queued] = adapters.erp_queue.sent
    assert forward(adapters, queued) is Forwarded.DELIVERED
    first, second = posted_bodies(adapters)
    assert first == second


# ---------------------------------------------------------------------- cancelled
def test_a_late_request_sends_the_cancelled_global_then_the_one_that_replaces_it(
    adapters: FakeAdapters,
) -> None:
    configured(adapters)
    keep, late, also_kept = issue(adapters, 3)
    [first] = bus_events(adapters, "GlobalInvoiceStamped")
    old_uuid = first["detail"]["uuid"]
    adapters.clock.advance(days=3)
    at = adapters.clock.now().isoformat()
    assert late_requests.record_late_request(late.ref, dict(VALID_FORM), at, adapters)
    late_requests.reissue_for_tenant("tienda", adapters)

    [cancelled] = bus_events(adapters, "GlobalInvoiceCancelled")
    assert cancelled["detail"] | {"occurred_at": None} == {
        "tenant_id": "tienda",
        "occurred_at": None,
        "run_id": "2026-11-01.04#001",
        "period": "2026-11-01.04",
        "index": 0,
        "uuid": old_uuid,
        "motivo": "04",
        "status": "aceptada",
    }
    _, reissued = bus_events(adapters, "GlobalInvoiceStamped")
    for event in (first, cancelled, reissued):
        assert forward(adapters, event) is Forwarded.DELIVERED

    stamped, cancellation, replacement = posted_bodies(adapters)
    assert cancellation["event"] == "global_invoice.cancelled" and "order" not in cancellation
    assert cancellation["invoice"] == {"uuid": old_uuid, "motivo": "04", "status": "aceptada"}
    assert cancellation["global_invoice"] == {
        "run_id": "2026-11-01.04#001",
        "cfdi_index": 0,
        "period": stamped["global_invoice"]["period"],
    }
    assert adapters.erp_poster.posted[1].headers["X-Postventa-Event"] == (
        "global_invoice.cancelled"
    )
    info = replacement["global_invoice"]
    assert info["replaces"] == old_uuid and info["run_id"] == f"2026-11-01.04#R-{old_uuid}"
    assert [o["order_id"] for o in info["orders"]] == [keep.order_id, also_kept.order_id]
    assert replacement["invoice"]["uuid"] not in (old_uuid, None)
    # The audit never sees these events: they name no order (the rule's pattern is checked
    # in tests/unit/infra/test_erp_wiring.py); the orders' history is written by the services.
    assert all("order_id" not in e["detail"] for e in (first, cancelled, reissued))


def test_a_global_the_pac_refuses_to_cancel_sends_nothing_to_the_erp(
    adapters: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postventa.cfdi.errors import PacDataRejectedError
    from tests.support.global_invoices import pac

    _, late = issue(adapters, 2)
    at = adapters.clock.now().isoformat()
    assert late_requests.record_late_request(late.ref, dict(VALID_FORM), at, adapters)

    def refuses(request: object) -> object:
        raise PacDataRejectedError("205: El UUID no existe.", pac_code="205")

    monkeypatch.setattr(pac(adapters).pac, "cancel", refuses)
    late_requests.reissue_for_tenant("tienda", adapters)
    assert bus_events(adapters, "GlobalInvoiceCancelled") == []  # the global stays valid


# ---------------------------------------------------------------------- tenants
def test_a_global_of_one_tenant_only_ever_reaches_that_tenants_erp(
    adapters: FakeAdapters,
) -> None:
    configured(adapters, "tienda", URL)
    configured(adapters, "otra", "https://erp.otra.example/postventa")
    issue(adapters, 1)
    [event] = bus_events(adapters, "GlobalInvoiceStamped")
    assert forward(adapters, event) is Forwarded.DELIVERED
    [posted] = adapters.erp_poster.posted
    assert posted.url == URL
    assert [key for key in adapters.erp_deliveries.records] == [("tienda", event["id"])]
    assert erp.list_deliveries("otra", adapters)["deliveries"] == []


def test_the_same_global_claimed_by_another_tenant_reads_nothing_and_posts_nothing(
    adapters: FakeAdapters,
) -> None:
    """An event naming tenant B with tenant A's XML key: refused before any read."""
    configured(adapters, "otra", "https://erp.otra.example/postventa")
    issue(adapters, 1)
    [event] = bus_events(adapters, "GlobalInvoiceStamped")
    event["detail"]["tenant_id"] = "otra"  # xml_key still under invoices/tienda/
    with pytest.raises(RetryLaterError):
        forward(adapters, event)
    assert adapters.erp_poster.posted == []
    logged = adapters.erp_deliveries.get("otra", event["id"])
    assert logged is not None and "InvoiceKeyError" in (logged.last_error or "")


def test_an_xml_key_outside_the_runs_documents_is_refused(adapters: FakeAdapters) -> None:
    """Even one of the tenant's own documents, if it is not the run's, is never sent."""
    configured(adapters)
    adapters.documents.objects["invoices/tienda/2026/11/otra-factura.xml"] = b"<x/>"
    event = global_invoice_stamped(xml_key="invoices/tienda/2026/11/otra-factura.xml")
    with pytest.raises(RetryLaterError):
        forward(adapters, event)
    assert adapters.erp_poster.posted == []
    logged = adapters.erp_deliveries.get("tienda", event["id"])
    assert logged is not None and "InvoiceKeyError" in (logged.last_error or "")


# ---------------------------------------------------------------------- malformed
@pytest.mark.parametrize(
    "change",
    [
        {"run_id": None},
        {"xml_key": None},
        {"index": -1},
        {"run_id": "2026-11-01.04#001/../../otra"},  # not a run id: no key is built from it
        {"period": "2026-10-01.04"},  # the run is of another period
        {"period": "2026-11-05.04", "run_id": "2026-11-05.04#001"},  # not a period's first day
        {"tenant_id": "../otra"},
    ],
    ids=["no run", "no xml", "index", "run id", "other period", "not a period", "tenant"],
)
def test_a_malformed_global_event_is_an_error_for_the_dlq(
    adapters: FakeAdapters, change: dict[str, Any]
) -> None:
    configured(adapters)
    event = global_invoice_stamped()
    event["detail"].update(change)
    event["detail"] = {k: v for k, v in event["detail"].items() if v is not None}
    with pytest.raises(MalformedErpMessageError):
        forward(adapters, event)
    assert adapters.erp_poster.posted == [] and adapters.erp_deliveries.records == {}


def test_a_cancelled_global_without_its_motivo_is_an_error_naming_it(
    adapters: FakeAdapters,
) -> None:
    event = global_invoice_cancelled()
    del event["detail"]["motivo"]
    with pytest.raises(MalformedErpMessageError, match="motivo"):
        forward(adapters, event)
