"""Cancelling an order's invoice and following it to the end: the seller's request, the fiscal
worker (CSD-signed request, sandbox PAC), the scheduled check until accepted, rejected or
expired; motivo 01 issues the substitute first and relates it with TipoRelacion 04."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from postventa.cfdi.pac.sandbox import FaultInjection, SandboxPac
from postventa.domain.cancellations import CancellationState
from postventa.domain.orders import Order
from postventa.domain.status import BUYER_DATA_SUBMITTED, OrderStatus
from postventa.errors import BadRequestError, ConflictError, PostventaError
from postventa.services import cancellations, invoices, invoicing, order_search
from postventa.services.cancellations import CancelBody
from postventa.services.scheduled_jobs import JobMessage, run_job
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters

CFDI = "{http://www.sat.gob.mx/cfd/4}"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    # The PAC and the product on one clock, starting now (the generated CSD is valid from
    # yesterday); the tests move it to see the receptor's three business days go by.
    fake.clock.current = datetime.now(UTC)
    fake.tenants.put(builders.invoicing_tenant())
    fake.credentials.put_csd("tienda", builders.issuer_csd().credentials())
    fake.folios.add("tienda", 10)
    return fake


def use_pac(adapters: FakeAdapters, **faults: Any) -> SandboxPac:
    pac = SandboxPac(faults=FaultInjection(**faults), clock=adapters.clock.now)
    adapters.pacs.pac = pac
    return pac


def invoiced(adapters: FakeAdapters, total: str = "599.00", **fiscal: str) -> Order:
    """An order stamped through the lifecycle's own steps."""
    order = builders.order(payment_method="credit_card")
    if total != "599.00":
        order = builders.order(
            payment_method="credit_card",
            lines=[{"sku": "TAZA-01", "description": "Taza", "quantity": 1, "unit_price": total}],
            shipping=0,
            total_paid=total,
        )
    adapters.orders.add(order)
    data = {**VALID_FORM, **fiscal}
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": data})
    invoicing.reserve_folio(order.ref, adapters)
    assert invoices.stamp(order.ref, adapters)["result"] == "stamped"
    return order


def record(adapters: FakeAdapters, order: Order) -> Any:
    found = adapters.orders.get(order.ref)
    assert found is not None
    return found


def cancel(adapters: FakeAdapters, order: Order, motivo: str, **body: Any) -> dict[str, Any]:
    answer = cancellations.request_cancellation(
        order.ref, CancelBody(motivo=motivo, **body), adapters
    )
    for message in adapters.jobs.take("fiscal"):  # the fiscal worker takes the queued job
        run_job(JobMessage.model_validate_json(message), "fiscal", adapters)
    return answer


def test_an_invoice_up_to_1000_pesos_is_cancelled_at_once_and_the_erp_hears_of_it(
    adapters: FakeAdapters,
) -> None:
    pac = use_pac(adapters)
    order = invoiced(adapters)
    uuid = record(adapters, order).invoice.uuid
    answer = cancel(adapters, order, "02")
    assert answer["cancelacion"]["estado"] == "solicitada"
    after = record(adapters, order)
    assert after.status is OrderStatus.CANCELLED
    [view] = after.cancellations
    assert (view.uuid, view.motivo, view.estado) == (uuid, "02", "aceptada")
    assert pac.store.by_uuid(uuid).state.value == "cancelado"  # type: ignore[union-attr]
    [event] = [d for t, d in adapters.events.published if t == "InvoiceCancelled"]
    assert (event["uuid"], event["motivo"], event["status"]) == (uuid, "02", "aceptada")
    assert {"tenant_id", "channel", "order_id", "occurred_at"} <= set(event)


def test_a_cancellation_needing_acceptance_is_followed_until_the_receptor_accepts(
    adapters: FakeAdapters,
) -> None:
    pac = use_pac(adapters, receptor_must_accept=True)
    order = invoiced(adapters)
    cancel(adapters, order, "03")
    pending = record(adapters, order)
    assert pending.status is OrderStatus.CANCELLATION_PENDING
    assert pending.cancellations[0].estado == "pendiente"
    assert pending.cancellations[0].responder_antes_de  # the receptor's three business days
    adapters.clock.advance(hours=1)
    assert cancellations.check_tenant("tienda", adapters) == {"revisadas": 1, "terminadas": 0}
    pac.faults.receptor_answer = "aceptar"  # the receptor accepts in SAT's portal
    adapters.clock.advance(hours=1)
    assert cancellations.check_tenant("tienda", adapters) == {"revisadas": 1, "terminadas": 1}
    done = record(adapters, order)
    assert done.status is OrderStatus.CANCELLED and done.cancellations[0].estado == "aceptada"
    assert cancellations.check_tenant("tienda", adapters) == {"revisadas": 0, "terminadas": 0}


def test_a_rejected_cancellation_leaves_the_invoice_valid_and_says_so(
    adapters: FakeAdapters,
) -> None:
    pac = use_pac(adapters, receptor_must_accept=True, receptor_answer="rechazar")
    order = invoiced(adapters)
    cancel(adapters, order, "02")
    cancellations.check_tenant("tienda", adapters)
    after = record(adapters, order)
    assert after.status is OrderStatus.INVOICED and after.invoice is not None
    [view] = after.cancellations
    assert view.estado == "rechazada" and "sigue vigente" in (view.motivo_rechazo or "")
    assert pac.store.by_uuid(view.uuid).state.value == "vigente"  # type: ignore[union-attr]
    assert "CancellationRejected" in adapters.events.types()
    assert "InvoiceCancelled" not in adapters.events.types()
    # The seller may ask again once the receptor agrees.
    pac.faults.receptor_answer = "aceptar"
    cancel(adapters, order, "02")
    cancellations.check_tenant("tienda", adapters)
    assert record(adapters, order).status is OrderStatus.CANCELLED


def test_silence_for_three_business_days_cancels_the_invoice(adapters: FakeAdapters) -> None:
    use_pac(adapters, receptor_must_accept=True)
    order = invoiced(adapters)
    cancel(adapters, order, "02")
    adapters.clock.advance(days=2)
    cancellations.check_tenant("tienda", adapters)
    assert record(adapters, order).status is OrderStatus.CANCELLATION_PENDING
    adapters.clock.advance(days=8)  # past any three business days, holidays included
    cancellations.check_tenant("tienda", adapters)
    after = record(adapters, order)
    assert after.status is OrderStatus.CANCELLED
    assert after.cancellations[0].estado == "plazo_vencido"


def test_a_pac_outage_keeps_the_request_and_the_check_sends_it_again(
    adapters: FakeAdapters,
) -> None:
    pac = use_pac(adapters)
    order = invoiced(adapters)
    pac.faults.outage = True
    cancel(adapters, order, "02")
    stored = adapters.cancellations.get("tienda", record(adapters, order).invoice.uuid)
    assert stored is not None and stored.state is CancellationState.REQUESTED
    assert stored.attempts == 1
    pac.faults.outage = False
    cancellations.check_tenant("tienda", adapters)
    assert record(adapters, order).status is OrderStatus.CANCELLED


def test_motivo_01_issues_the_substitute_first_relates_it_and_then_cancels(
    adapters: FakeAdapters,
) -> None:
    pac = use_pac(adapters)
    order = invoiced(adapters)
    old = record(adapters, order).invoice
    cancel(adapters, order, "01", datos_fiscales={"uso_cfdi": "G01"})
    after = record(adapters, order)
    new = after.invoice
    assert after.status is OrderStatus.INVOICED and new.uuid != old.uuid
    assert after.fiscal_data["uso_cfdi"] == "G01"
    root = etree.fromstring(adapters.documents.get(order.tenant_id, new.xml_key))
    assert root.find(f"{CFDI}Receptor").get("UsoCFDI") == "G01"
    related = root.find(f"{CFDI}CfdiRelacionados")
    assert related is not None and related.get("TipoRelacion") == "04"
    assert [r.get("UUID") for r in related] == [old.uuid]
    assert int(new.folio) == int(old.folio) + 1  # a folio of its own
    [view] = after.cancellations
    assert (view.uuid, view.sustituto, view.estado) == (old.uuid, new.uuid, "aceptada")
    assert pac.store.by_uuid(old.uuid).state.value == "cancelado"  # type: ignore[union-attr]
    # The buyer got the substitute; the ERP hears of the new invoice and the cancelled one.
    [email] = [e for e in adapters.mailer.sent if e.attachments]
    assert email.to == VALID_FORM["email"] and f"{new.serie}{new.folio}.xml" in {
        a.filename for a in email.attachments
    }
    stamped = [d for t, d in adapters.events.published if t == "InvoiceStamped"]
    assert stamped[-1]["uuid"] == new.uuid and stamped[-1]["sustituye"] == old.uuid
    [cancelled] = [d for t, d in adapters.events.published if t == "InvoiceCancelled"]
    assert cancelled["uuid"] == old.uuid


def test_a_substitute_the_pac_refuses_leaves_the_invoice_valid(
    adapters: FakeAdapters,
) -> None:
    use_pac(adapters, reject_code="CFDI40145", reject_rfcs=frozenset({"EKU9003173C9"}))
    adapters.pacs.pac.faults.reject_code = None
    order = invoiced(adapters)
    adapters.pacs.pac.faults.reject_code = "CFDI40145"
    old = record(adapters, order).invoice
    cancel(adapters, order, "01", datos_fiscales={"nombre": "ESCUELA KEMPER"})
    after = record(adapters, order)
    assert after.status is OrderStatus.INVOICED and after.invoice.uuid == old.uuid
    [view] = after.cancellations
    assert view.estado == "no_procede" and "sigue vigente" in (view.motivo_rechazo or "")
    assert adapters.folios.account("tienda").available == 9  # the substitute's folio came back


@pytest.mark.parametrize(
    ("motivo", "body", "error", "text"),
    [
        ("04", {}, PostventaError, "solo cancela una factura global"),
        ("02", {"datos_fiscales": {"uso_cfdi": "G01"}}, BadRequestError, "Solo el motivo 01"),
        ("01", {"datos_fiscales": {"rfc": "NO-ES-RFC"}}, BadRequestError, "no son válidos"),
        ("01", {"datos_fiscales": {"email": "x@y.mx"}}, BadRequestError, "Solo se corrigen"),
    ],
)
def test_a_request_that_breaks_a_rule_is_refused_and_changes_nothing(
    adapters: FakeAdapters, motivo: str, body: dict[str, Any], error: type, text: str
) -> None:
    use_pac(adapters)
    order = invoiced(adapters)
    with pytest.raises(error, match=text) as refused:
        cancellations.request_cancellation(order.ref, CancelBody(motivo=motivo, **body), adapters)
    assert refused.value.status_code in (400, 422)  # the body, or a SAT rule
    after = record(adapters, order)
    assert after.status is OrderStatus.INVOICED and after.cancellations == []
    assert adapters.jobs.sent == {}


def test_a_second_request_while_one_is_under_way_is_a_conflict(adapters: FakeAdapters) -> None:
    use_pac(adapters, receptor_must_accept=True)
    order = invoiced(adapters)
    cancel(adapters, order, "02")
    with pytest.raises(ConflictError):
        cancel(adapters, order, "03")


def test_an_order_without_an_invoice_has_nothing_to_cancel(adapters: FakeAdapters) -> None:
    order = builders.order()
    adapters.orders.add(order)
    with pytest.raises(ConflictError, match="vigente"):
        cancellations.request_cancellation(order.ref, CancelBody(motivo="02"), adapters)


def test_past_the_cff_29a_deadline_the_request_is_refused_with_the_date(
    adapters: FakeAdapters,
) -> None:
    use_pac(adapters)
    order = invoiced(adapters)
    invoice = record(adapters, order).invoice
    adapters.orders.note(
        order.ref, invoice=invoice.model_copy(update={"stamped_at": "2024-05-10T18:00:00.000Z"})
    )
    with pytest.raises(Exception, match="el plazo venció el 31/03/2025"):
        cancellations.request_cancellation(order.ref, CancelBody(motivo="02"), adapters)


def test_the_deadline_counts_from_the_invoice_not_the_request(adapters: FakeAdapters) -> None:
    use_pac(adapters)
    order = invoiced(adapters)
    adapters.clock.advance(days=30)  # a month later, whatever today is: inside CFF 29-A's term
    cancel(adapters, order, "02")
    assert record(adapters, order).status is OrderStatus.CANCELLED
    assert adapters.clock.now() - datetime.now(UTC) > timedelta(days=29)


# ---------------------------------------------------------------- from the panel's order page
def test_the_panel_cancels_with_a_motivo_and_only_the_fields_the_seller_changed(
    adapters: FakeAdapters,
) -> None:
    use_pac(adapters)
    order = invoiced(adapters)
    old = record(adapters, order).invoice
    assert "cancelar" in order_search.detail("tienda", "shopify", order.order_id, adapters).actions
    unchanged = {k: str(v) for k, v in VALID_FORM.items()}  # what the form shows, as it is
    with pytest.raises(BadRequestError, match="motivo"):
        order_search.cancel("tienda", "shopify", order.order_id, "04", unchanged, adapters)
    corrected = {**unchanged, "uso_cfdi": "G01", "csrf": "x"}
    done = order_search.cancel("tienda", "shopify", order.order_id, "01", corrected, adapters)
    assert done == "cancelar"
    [request] = adapters.cancellations.items.values()
    assert request.substitute_data is not None and request.substitute_data["uso_cfdi"] == "G01"
    with pytest.raises(ConflictError):  # one under way: the action is gone
        order_search.cancel("tienda", "shopify", order.order_id, "02", {}, adapters)
    for message in adapters.jobs.take("fiscal"):
        run_job(JobMessage.model_validate_json(message), "fiscal", adapters)
    after = record(adapters, order)
    assert after.invoice.uuid != old.uuid and after.fiscal_data["uso_cfdi"] == "G01"


def test_the_panel_sends_no_corrections_for_a_motivo_without_a_substitute(
    adapters: FakeAdapters,
) -> None:
    use_pac(adapters)
    order = invoiced(adapters)
    changed = {"nombre": "OTRO NOMBRE"}  # typed in the substitute's fields, then motivo 02
    order_search.cancel("tienda", "shopify", order.order_id, "02", changed, adapters)
    [request] = adapters.cancellations.items.values()
    assert (request.motivo, request.substitute_data) == ("02", None)
