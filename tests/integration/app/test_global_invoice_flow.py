"""The global invoice, late requests and cancellations on the embedded cloud from template.yaml:
the schedules fan out per tenant through the jobs queues, the fiscal worker stamps with the
sandbox PAC, the real state machine invoices what a late request leaves to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from tests.support.builders import VALID_FORM
from tests.support.http import wait_for

from .conftest import App, body_json, sample

pytestmark = pytest.mark.integration

CFDI = "{http://www.sat.gob.mx/cfd/4}"
ORDERS = (7001, 7002, 7003)


def _daily(app: App, **settings: Any) -> None:
    """The demo tenant issues a daily global invoice (its orders below were paid two days ago,
    so their day has closed and its global is due)."""
    from postventa.domain.global_periods import Periodicidad
    from postventa.domain.tenants import GlobalInvoiceSettings

    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(
        demo.model_copy(
            update={
                "global_invoice": GlobalInvoiceSettings(periodicity=Periodicidad.DIARIA, **settings)
            }
        )
    )


def _unanswered_orders_of_two_days_ago(app: App) -> datetime:
    paid = (datetime.now(UTC) - timedelta(days=2)).replace(hour=18, minute=0, second=0)
    for number in ORDERS:
        app.post_webhook(sample(**_paid(number, paid)))
    app.drain()
    for number in ORDERS:  # the lifecycle's deadline moved each to the global invoice
        app.wait_status("global", str(number))
    return paid


def _paid(number: int, paid: datetime) -> dict[str, Any]:
    from postventa.services.demo import sample_orders_paid

    return sample_orders_paid(number, paid_at=paid + timedelta(minutes=number % 10))


def _portal_link(app: App, number: str) -> str:
    """The form link the self-invoice portal gives for the order (store, number, total)."""
    from .test_self_invoice import portal

    cookie = portal(app)["cookies"][0].split(";")[0]
    fields = {"tienda": "demo", "pedido": number, "total": "1,057.10", "csrf": cookie[15:]}
    redirect = portal(app, fields, cookie)
    assert redirect["statusCode"] == 303, redirect.get("body")
    return str(redirect["headers"]["Location"].rsplit("/", 1)[1])


def _api(app: App, path: str, method: str = "GET", body: Any = None) -> Any:
    return body_json(app.api(path, method=method, body=body))


def test_a_periods_orders_become_one_cfdi_per_cap_chunk_exactly_once(app_factory: Any) -> None:
    app = app_factory(BillingDeadlineSeconds="2")
    _daily(app, max_concepts=2)
    _unanswered_orders_of_two_days_ago(app)
    seller_mail_before = len(app.emails())

    app.run_schedule("GlobalInvoices", timeout=120)
    app.run_schedule("GlobalInvoices", timeout=120)  # the next hour's run: nothing twice

    [run] = _api(app, "/api/v1/global-invoices")["facturas_globales"]
    assert (run["estado"], run["pedidos"], run["cfdis"], run["periodicidad"]) == (
        "emitida",
        3,
        2,
        "01",
    )
    detail = _api(app, f"/api/v1/global-invoices/{run['periodo']}/{run['ejecucion']}")
    cfdis = detail["cfdis"]
    assert [c["pedidos"] for c in cfdis] == [2, 1] and len({c["folio"] for c in cfdis}) == 2
    assert app.adapters.folios.account("demo").available == 98  # a folio per CFDI, once
    uuids = {c["uuid"] for c in cfdis}
    for number in ORDERS:
        record = app.order(str(number))
        assert record.status.value == "en_factura_global"
        history = app.adapters.orders.history(record.ref)
        [entry] = [h for h in history if h.event_type == "IncludedInGlobalInvoice"]
        assert entry.detail["uuid"] in uuids
    # The seller got every CFDI's XML and PDF, once; the XML is a daily global to the public.
    [mail] = [e for e in app.emails()[: len(app.emails()) - seller_mail_before] if e.attachments]
    xml = next(a for a in mail.attachments if a.filename.endswith(".xml")).data
    root = etree.fromstring(xml)
    info = root.find(f"{CFDI}InformacionGlobal")
    assert info is not None and info.get("Periodicidad") == "01"
    assert root.find(f"{CFDI}Receptor").get("Rfc") == "XAXX010101000"
    assert len(mail.attachments) == 4


def test_a_late_request_reissues_the_global_then_invoices_the_buyer(app_factory: Any) -> None:
    app = app_factory(BillingDeadlineSeconds="2")
    _daily(app, late_request_days=30)  # (the default cut-off, Dec 31, would close it on Jan 1)
    _unanswered_orders_of_two_days_ago(app)
    app.run_schedule("GlobalInvoices", timeout=120)
    [first] = _api(app, "/api/v1/global-invoices")["facturas_globales"]
    old_uuid = _api(app, f"/api/v1/global-invoices/{first['periodo']}/{first['ejecucion']}")[
        "cfdis"
    ][0]["uuid"]

    # The buyer of 7002 comes back days later (its sale was paid before its day closed, so no
    # link went out from here): the self-invoice portal finds the order and opens a late request.
    token = _portal_link(app, "7002")
    page = app.form_get(token)
    assert page["statusCode"] == 200 and "sustituiremos esa factura global" in page["body"]
    assert app.form_post(token, VALID_FORM)["statusCode"] == 200
    app.wait_status("solicitud_tardia", "7002")

    app.run_schedule("LateRequests", timeout=120)  # the evening's batch
    record = app.wait_status("facturada", "7002")  # its own invoice, through the lifecycle
    assert record.invoice.uuid != old_uuid and record.fiscal_data["rfc"] == VALID_FORM["rfc"]
    runs = _api(app, "/api/v1/global-invoices")["facturas_globales"]
    [reissue] = [r for r in runs if "sustituye" in r]
    assert reissue["sustituye"] == {"uuid": old_uuid, "pedidos_retirados": ["7002"]}
    assert (reissue["estado"], reissue["pedidos"]) == ("emitida", 2)
    [new] = _api(app, f"/api/v1/global-invoices/{reissue['periodo']}/{reissue['ejecucion']}")[
        "cfdis"
    ]
    run_id = f"{reissue['periodo']}#{reissue['ejecucion']}"
    xml = app.adapters.documents.get(
        "demo", app.adapters.global_invoices.cfdis("demo", run_id)[0].xml_key
    )
    related = etree.fromstring(xml).find(f"{CFDI}CfdiRelacionados")
    assert related.get("TipoRelacion") == "04" and related[0].get("UUID") == old_uuid
    cancellation = app.adapters.cancellations.get("demo", old_uuid)
    assert (cancellation.motivo, cancellation.state.value) == ("04", "aceptada")
    for number in ("7001", "7003"):
        kept = app.order(number)
        assert kept.status.value == "en_factura_global"
        assert kept.global_invoice.run_id.endswith(reissue["ejecucion"])
    wanted = ["LateRequestReceived", "GlobalInvoiceCancelled", "RemovedFromGlobalInvoice"]
    wait_for(
        lambda: all(w in app.history("7002") for w in wanted) and new["uuid"],
        what=f"history {wanted}",
    )
    assert "InvoiceStamped" in app.history("7002")


def test_a_cancellation_waiting_for_acceptance_is_accepted_on_a_later_check(
    app_factory: Any,
) -> None:
    app = app_factory()
    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(
        demo.model_copy(update={"sandbox_faults": {"receptor_must_accept": True}})
    )
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    stamped = app.wait_status("facturada")
    answer = app.api(
        "/api/v1/orders/shopify/5873214500123/cancel", method="POST", body={"motivo": "02"}
    )
    assert answer["statusCode"] == 202
    app.drain()  # the fiscal worker sends it
    pending = app.wait_status("cancelacion_pendiente")
    assert pending.cancellations[0].estado == "pendiente"
    app.run_schedule("Cancellations")  # nobody answered yet
    assert app.order().status.value == "cancelacion_pendiente"

    app.adapters.tenants.put(  # the buyer accepts in SAT's portal
        demo.model_copy(
            update={"sandbox_faults": {"receptor_must_accept": True, "receptor_answer": "aceptar"}}
        )
    )
    app.run_schedule("Cancellations")
    done = app.wait_status("cancelada")
    [view] = done.cancellations
    assert (view.uuid, view.estado) == (stamped.invoice.uuid, "aceptada")
    wait_for(lambda: "InvoiceCancelled" in app.history(), what="the cancellation in history")
    order_view = body_json(app.api("/api/v1/orders/shopify/5873214500123"))
    assert order_view["status"] == "cancelada"
    assert order_view["cancellations"][0]["estado"] == "aceptada"
