"""The invoice lifecycle after the buyer's data, step by step with fakes and the real engine:
folio, stamp (sandbox PAC), delivery, the correction loop, the inbox, failures and retries."""

from __future__ import annotations

import pytest
from lxml import etree

from postventa.domain.invoices import FolioState
from postventa.domain.status import BUYER_DATA_SUBMITTED, OrderStatus
from postventa.errors import ConflictError, TransientError
from postventa.services import invoices, invoicing
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters

TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    tenant = builders.invoicing_tenant()
    fake.tenants.put(tenant)
    fake.credentials.put_csd("tienda", builders.issuer_csd().credentials())
    fake.folios.add("tienda", 10)
    return fake


@pytest.fixture
def order(adapters: FakeAdapters):  # type: ignore[no-untyped-def]
    """An order whose buyer sent valid fiscal data."""
    order = builders.order(payment_method="credit_card")
    adapters.orders.add(order)
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": dict(VALID_FORM)})
    return order


def status(adapters: FakeAdapters, order) -> OrderStatus:  # type: ignore[no-untyped-def]
    record = adapters.orders.get(order.ref)
    assert record is not None
    return record.status


def to_stamp(adapters: FakeAdapters, order) -> dict:  # type: ignore[no-untyped-def]
    """The state machine's path: Decide, then Stamp (which holds the folio first)."""
    assert invoicing.decide(order.ref, adapters).route == "invoice"
    return invoices.stamp(order.ref, adapters)


# ---------------------------------------------------------------- the happy path
def test_a_folio_then_a_stamp_then_one_email_with_the_xml_and_the_pdf(
    adapters: FakeAdapters, order
) -> None:
    outcome = to_stamp(adapters, order)
    assert outcome["result"] == "stamped"
    record = adapters.orders.get(order.ref)
    assert record is not None and record.status is OrderStatus.INVOICED
    invoice = record.invoice
    assert invoice is not None and invoice.uuid == outcome["uuid"] and invoice.test_stamp
    assert (invoice.serie, invoice.folio, invoice.total) == ("T", "1", "599.00")
    assert adapters.folios.spent("tienda") == 1
    assert adapters.folios.account("tienda").available == 9
    xml = adapters.documents.get("tienda", invoice.xml_key)
    root = etree.fromstring(xml)
    assert root.get("Total") == "599.00" and root.find(f".//{TFD}").get("UUID") == invoice.uuid
    assert invoice.xml_key.startswith("invoices/tienda/shopify/1001/")

    assert invoices.deliver(order.ref, adapters) == {"emailed": True}
    assert invoices.deliver(order.ref, adapters) == {"emailed": False, "reason": "ya_enviada"}
    [email] = adapters.mailer.sent
    assert email.to == VALID_FORM["email"]
    assert "sin validez fiscal" in email.subject and "NO TIENE VALIDEZ FISCAL" in email.text
    names = sorted(a.filename for a in email.attachments)
    assert names == ["T1.pdf", "T1.xml"]
    pdf = next(a for a in email.attachments if a.filename.endswith(".pdf"))
    assert pdf.data.startswith(b"%PDF")
    assert "InvoiceStamped" in adapters.events.types()


def test_a_second_stamp_task_changes_nothing(adapters: FakeAdapters, order) -> None:
    first = to_stamp(adapters, order)
    assert invoices.stamp(order.ref, adapters) == first
    assert adapters.folios.spent("tienda") == 1


def test_a_crash_after_the_pac_answered_records_the_same_uuid_and_one_folio(
    adapters: FakeAdapters, order, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoicing.reserve_folio(order.ref, adapters)
    real = invoices._record_stamp
    stamped_uuids: list[str] = []

    def crash(record, tenant, result, pac, adapters_):  # type: ignore[no-untyped-def]
        stamped_uuids.append(result.uuid)
        raise RuntimeError("the function was killed")

    monkeypatch.setattr(invoices, "_record_stamp", crash)
    with pytest.raises(RuntimeError):
        invoices.stamp(order.ref, adapters)
    monkeypatch.setattr(invoices, "_record_stamp", real)
    outcome = invoices.stamp(order.ref, adapters)  # the state machine's retry
    assert outcome["uuid"] == stamped_uuids[0]
    assert adapters.folios.spent("tienda") == 1 and adapters.folios.account("tienda").available == 9


def test_a_pac_outage_is_retried_with_the_same_document_and_then_stamped(
    adapters: FakeAdapters, order
) -> None:
    tenant = adapters.tenants.get("tienda")
    adapters.tenants.put(tenant.model_copy(update={"sandbox_faults": {"outage": True}}))
    invoicing.reserve_folio(order.ref, adapters)
    with pytest.raises(TransientError):
        invoices.stamp(order.ref, adapters)
    sealed_key = adapters.orders.get(order.ref).sealed_key
    sealed = adapters.documents.get("tienda", sealed_key)
    assert status(adapters, order) is OrderStatus.STAMPING
    adapters.tenants.put(tenant)  # the PAC is back
    assert invoices.stamp(order.ref, adapters)["result"] == "stamped"
    assert adapters.orders.get(order.ref).sealed_key == sealed_key
    assert adapters.documents.get("tienda", sealed_key) == sealed
    assert adapters.folios.spent("tienda") == 1


# ---------------------------------------------------------------- the buyer corrects
def test_a_pac_refusing_the_buyers_name_asks_the_buyer_beside_that_field(
    adapters: FakeAdapters, order
) -> None:
    tenant = adapters.tenants.get("tienda")
    adapters.tenants.put(tenant.model_copy(update={"sandbox_faults": {"reject_code": "CFDI40145"}}))
    outcome = to_stamp(adapters, order)
    assert outcome == {"result": "data_rejected", "field": "nombre"}
    record = adapters.orders.get(order.ref)
    assert record.status is OrderStatus.CORRECTION
    assert record.correction.field == "nombre" and "nombre" in record.correction.message.lower()
    assert adapters.folios.reservation(order.ref).state is FolioState.RELEASED
    assert adapters.folios.account("tienda").available == 10

    invoicing.ask_for_correction(order.ref, "tt-correccion", 7 * 24 * 3600, adapters)
    [email] = adapters.mailer.sent
    assert "Corrige tus datos" in email.subject and record.correction.message in email.text
    [(link, _token)] = adapters.links.created
    assert link.round == 1 and link.task_token == "tt-correccion"

    from postventa.services.billing_form import FormToFill, show_form

    form = show_form(_token, adapters)
    assert isinstance(form, FormToFill) and not form.rejected
    assert form.values["rfc"] == VALID_FORM["rfc"]  # pre-filled with what they sent
    assert form.errors == {"nombre": [record.correction.message]}


def test_after_the_tenants_rounds_the_correction_loop_gives_up(
    adapters: FakeAdapters, order
) -> None:
    adapters.orders.note(order.ref, correction_rounds=3)
    with pytest.raises(invoicing.CorrectionRoundsExhaustedError):
        invoicing.ask_for_correction(order.ref, "tt", 3600, adapters)


# ---------------------------------------------------------------- the seller's inbox
def test_with_auto_invoicing_off_the_seller_approves_or_rejects_with_a_reason(
    adapters: FakeAdapters, order
) -> None:
    tenant = adapters.tenants.get("tienda")
    adapters.tenants.put(tenant.model_copy(update={"auto_invoice": False}))
    assert invoicing.decide(order.ref, adapters).route == "inbox"
    invoicing.hold_in_inbox(order.ref, "tt-bandeja", adapters)
    assert status(adapters, order) is OrderStatus.IN_INBOX
    assert "por revisar" in adapters.mailer.sent[0].subject
    with pytest.raises(ConflictError, match="motivo"):
        invoicing.answer_inbox(order.ref, adapters, approve=False, reason=" ")
    invoicing.answer_inbox(order.ref, adapters, approve=False, reason="El RFC es de otra empresa.")
    assert adapters.lifecycle.completed == [
        ("tt-bandeja", {"approved": False, "reason": "El RFC es de otra empresa."})
    ]
    record = adapters.orders.get(order.ref)
    assert record.status is OrderStatus.CORRECTION
    assert record.correction.source == "vendedor" and record.waiting_token is None
    with pytest.raises(ConflictError):
        invoicing.answer_inbox(order.ref, adapters, approve=True)


# ---------------------------------------------------------------- the buyer's data arrives
def test_decide_writes_the_data_received_entry_only_when_a_form_answered(
    adapters: FakeAdapters, order
) -> None:
    answer = {**order.ref.model_dump(), "billing_data_at": "2026-11-20T16:00:00.000Z"}
    task = {"task": "decide", "order": order.ref.model_dump(), "billing": answer}
    assert invoicing.run_task(invoicing.LifecycleTask.model_validate(task), adapters) == {
        "route": "invoice"
    }
    assert adapters.events.types() == ["BillingDataReceived"]
    # A retry resumes with the data it had (billing null): nothing new to record.
    retry = {**task, "billing": None}
    assert invoicing.run_task(invoicing.LifecycleTask.model_validate(retry), adapters) == {
        "route": "invoice"
    }
    # An execution started before the fold sends no billing field: its own state announced.
    older = {"task": "decide", "order": order.ref.model_dump()}
    invoicing.run_task(invoicing.LifecycleTask.model_validate(older), adapters)
    assert adapters.events.types() == ["BillingDataReceived"]


# ---------------------------------------------------------------- folios
def test_stamp_holds_the_folio_itself_and_a_retry_takes_no_second_one(
    adapters: FakeAdapters, order
) -> None:
    assert status(adapters, order) is OrderStatus.DATA_RECEIVED
    assert invoices.stamp(order.ref, adapters)["result"] == "stamped"
    assert invoices.stamp(order.ref, adapters)["result"] == "stamped"  # a redelivered task
    assert adapters.folios.spent("tienda") == 1
    assert adapters.folios.account("tienda").available == 9
    assert adapters.events.types().count("FolioReserved") == 1


def test_without_folios_stamp_parks_the_order_and_it_is_invoiced_once_folios_arrive(
    adapters: FakeAdapters, order
) -> None:
    adapters.folios.accounts["tienda"] = adapters.folios.accounts["tienda"].model_copy(
        update={"available": 0}
    )
    assert invoices.stamp(order.ref, adapters) == {"result": "no_folios"}
    assert status(adapters, order) is OrderStatus.NO_FOLIOS
    assert adapters.documents.objects == {}  # nothing built without a folio
    invoicing.wait_for_folios(order.ref, "tt-folios", adapters)
    assert invoicing.add_folios("tienda", 5, adapters)["pedidos_reanudados"] == 1
    assert invoices.stamp(order.ref, adapters)["result"] == "stamped"  # WaitForFolios -> Stamp
    assert status(adapters, order) is OrderStatus.INVOICED
    assert adapters.folios.spent("tienda") == 1


def test_the_reserve_folio_task_of_executions_started_before_the_fold_still_works(
    adapters: FakeAdapters, order
) -> None:
    adapters.folios.accounts["tienda"] = adapters.folios.accounts["tienda"].model_copy(
        update={"available": 0}
    )
    assert invoicing.reserve_folio(order.ref, adapters) == {"reserved": False}
    assert status(adapters, order) is OrderStatus.NO_FOLIOS
    invoicing.wait_for_folios(order.ref, "tt-folios", adapters)
    invoicing.wait_for_folios(order.ref, "tt-folios", adapters)  # a retry: no second notice
    assert [e.subject for e in adapters.mailer.sent] == [
        "Te quedaste sin folios: hay facturas esperando"
    ]
    assert invoicing.add_folios("tienda", 5, adapters) == {
        "disponibles": 5,
        "pedidos_reanudados": 1,
    }
    assert adapters.lifecycle.completed[0][0] == "tt-folios"
    assert invoicing.reserve_folio(order.ref, adapters)["reserved"]  # the state machine goes on
    assert status(adapters, order) is OrderStatus.STAMPING


# ---------------------------------------------------------------- failures and retries
def test_unknown_product_keys_stop_the_invoice_with_the_skus_and_what_to_do(
    adapters: FakeAdapters, order
) -> None:
    tenant = adapters.tenants.get("tienda")
    adapters.tenants.put(tenant.model_copy(update={"invoicing": {"pac": {"name": "sandbox"}}}))
    outcome = to_stamp(adapters, order)
    assert outcome["result"] == "failed" and outcome["code"] == "claves_no_registradas"
    assert "TAZA-01" in outcome["reason"] and "clave" in outcome["action"]
    invoicing.record_failure(order.ref, outcome, adapters)
    record = adapters.orders.get(order.ref)
    assert record.status is OrderStatus.ERROR and "TAZA-01" in record.error_reason
    assert adapters.folios.account("tienda").available == 10  # the folio came back

    adapters.tenants.put(tenant)  # the seller registered the keys
    assert invoicing.retry(order.ref, adapters) == {"reintentado": True, "desde": "facturación"}
    record = adapters.orders.get(order.ref)
    assert record.status is OrderStatus.DATA_RECEIVED and record.error_code is None
    name = order.ref.execution_name_for(1)
    assert adapters.lifecycle.with_data[name] is True


def test_a_missing_csd_is_a_failure_the_seller_can_fix(adapters: FakeAdapters, order) -> None:
    tenant = adapters.tenants.get("tienda")
    adapters.tenants.put(tenant.model_copy(update={"csd_secret_ref": None}))
    outcome = to_stamp(adapters, order)
    assert outcome["code"] == "csd_faltante" and "CSD" in outcome["action"]
