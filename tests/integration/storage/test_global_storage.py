"""The global invoice's and the cancellations' adapters on moto in-process: runs created once,
leases, conditional steps, CFDIs replaced once; cancellations opened once, listed until final,
saved by version; orders moved many at a time with the same conditions as one by one; history
written again without duplicates; a folio per document; a large stamp in the sandbox's memory."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from postventa.domain.cancellations import CancellationState, InvoiceCancellation
from postventa.domain.global_invoices import GlobalCfdi, GlobalRun, RunState
from postventa.domain.global_periods import Periodicidad
from postventa.domain.invoices import DocumentRef, FolioState
from postventa.domain.ports import HistoryEntry
from postventa.domain.status import DEADLINE_PASSED, INCLUDED_IN_GLOBAL, OrderStatus
from postventa.errors import BadRequestError
from postventa.storage.cancellations import DynamoCancellations
from postventa.storage.folios import DynamoFolios
from postventa.storage.global_invoices import DynamoGlobalInvoices
from postventa.storage.orders import DynamoOrders
from tests.support import builders
from tests.support.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws")]

AT = "2026-11-20T16:00:00.000Z"


def run(seq: int = 1, state: RunState = RunState.CLAIMING, day: int = 1) -> GlobalRun:
    return GlobalRun(
        tenant_id="tienda",
        run_id=f"2026-11-{day:02d}.04#{seq:03d}",
        periodicity=Periodicidad.MENSUAL,
        first_day=date(2026, 11, day),
        last_day=date(2026, 11, 30),
        seq=seq,
        state=state,
        created_at=AT,
        updated_at=AT,
    )


def test_a_run_is_created_once_leased_by_one_worker_and_stepped_conditionally(
    table: Any,
) -> None:
    store = DynamoGlobalInvoices(table)
    first = run()
    assert store.create_run(first) and not store.create_run(first)
    leased = store.lease("tienda", first.run_id, now=1000, seconds=60)
    assert leased is not None and leased.lease_until == 1060
    assert store.lease("tienda", first.run_id, now=1030, seconds=60) is None
    assert store.lease("tienda", first.run_id, now=1061, seconds=60) is not None  # lapsed
    store.unlease("tienda", first.run_id)
    ready = first.model_copy(update={"state": RunState.READY, "cfdi_count": 2})
    assert store.save_run(ready, expect=RunState.CLAIMING)
    assert not store.save_run(ready, expect=RunState.CLAIMING)  # the step was done already
    got = store.get_run("tienda", first.run_id)
    assert got is not None and got.state is RunState.READY and got.cfdi_count == 2
    assert [r.run_id for r in store.runs_of_period("tienda", "2026-11-01.04")] == [first.run_id]
    assert store.open_runs("tienda") == [got]


def test_runs_are_listed_newest_period_first_with_a_cursor_only_the_tenant_can_use(
    table: Any,
) -> None:
    store = DynamoGlobalInvoices(table)
    for day in (1, 2, 3):
        store.create_run(run(day=day))
    page = store.list_runs("tienda", 2)
    assert [r.first_day.day for r in page.runs] == [3, 2] and page.next_cursor
    rest = store.list_runs("tienda", 2, page.next_cursor)
    assert [r.first_day.day for r in rest.runs] == [1] and rest.next_cursor is None
    with pytest.raises(BadRequestError):
        store.list_runs("otra", 2, page.next_cursor)


def test_a_cfdi_is_replaced_by_one_reissue_only(table: Any) -> None:
    store = DynamoGlobalInvoices(table)
    cfdi = GlobalCfdi(tenant_id="tienda", run_id="r#001", index=0, order_count=3, total="10.00")
    store.put_cfdi(cfdi)
    assert store.mark_replaced(cfdi, "r#R-A") and not store.mark_replaced(cfdi, "r#R-B")
    [stored] = store.cfdis("tienda", "r#001")
    assert stored.replaced_by == "r#R-A"


def cancellation(state: CancellationState = CancellationState.REQUESTED) -> InvoiceCancellation:
    return InvoiceCancellation(
        tenant_id="tienda",
        uuid="5FB2822E-396D-4725-8521-CDC4BDD20CCF",
        motivo="02",
        state=state,
        request_id="a",
        requested_at=AT,
        updated_at=AT,
        xml_key="invoices/tienda/x.xml",
        order=builders.order().ref,
    )


def test_a_cancellation_is_opened_once_listed_until_final_and_saved_by_version(
    table: Any,
) -> None:
    store = DynamoCancellations(table)
    asked = cancellation()
    assert store.open(asked) == asked
    assert store.open(asked.model_copy(update={"request_id": "b"})).request_id == "a"
    [open_one] = store.unfinished("tienda")
    stale = open_one.model_copy()
    pending = open_one.model_copy(update={"state": CancellationState.PENDING})
    assert store.save(pending) and pending.version == 1
    assert not store.save(stale)  # read before the other writer: refused
    done = pending.model_copy(update={"state": CancellationState.ACCEPTED})
    assert store.save(done)
    assert store.unfinished("tienda") == []
    got = store.get("tienda", asked.uuid.lower())
    assert got is not None and got.state is CancellationState.ACCEPTED and got.version == 2


def test_many_orders_move_together_and_an_order_that_moved_on_is_left_alone(
    table: Any,
) -> None:
    orders = DynamoOrders(table, FakeClock())
    refs = []
    for i in range(130):  # more than one batch of writes in flight
        order = builders.order(str(i))
        orders.add(order)
        orders.apply(order.ref, DEADLINE_PASSED)
        refs.append(order.ref)
    answered = refs[5]  # the buyer got there first
    from postventa.domain.status import LATE_DATA_BEFORE_GLOBAL

    assert orders.apply(answered, LATE_DATA_BEFORE_GLOBAL)
    moved = orders.apply_many(refs, INCLUDED_IN_GLOBAL, extra={"error_code": None})
    assert len(moved) == 129 and answered not in moved
    in_global = list(orders.list_by_status("tienda", OrderStatus.IN_GLOBAL_INVOICE))
    assert len(in_global) == 129
    record = orders.get(answered)
    assert record is not None and record.status is OrderStatus.DATA_RECEIVED
    assert orders.apply_many(refs, INCLUDED_IN_GLOBAL) == []
    since = list(orders.list_by_status("tienda", OrderStatus.IN_GLOBAL_INVOICE, since="2099"))
    assert since == []


def test_history_written_again_keeps_one_entry(table: Any) -> None:
    orders = DynamoOrders(table, FakeClock())
    order = builders.order()
    orders.add(order)
    entry = HistoryEntry(
        event_type="IncludedInGlobalInvoice", at=AT, event_id="global-U", detail={"uuid": "U"}
    )
    orders.record_events([(order.ref, entry)])
    orders.record_events([(order.ref, entry)])
    assert orders.history(order.ref) == [entry]


def test_a_global_cfdi_holds_its_own_folio(table: Any) -> None:
    folios = DynamoFolios(table, FakeClock())
    folios.add("tienda", 2)
    order = builders.order()
    cfdi = DocumentRef.global_cfdi("tienda", "2026-11-01.04#001", 0)
    first = folios.reserve(order.ref)
    second = folios.reserve(cfdi)
    assert first is not None and second is not None and first.number != second.number
    assert folios.reserve(cfdi) == second  # a retry finds its live reservation
    folios.spend(cfdi)
    folios.release(order.ref)
    reservation = folios.reservation(cfdi)
    assert reservation is not None and reservation.state is FolioState.SPENT
    account = folios.account("tienda")
    assert account is not None and account.available == 1


def sandbox_record(xml: bytes, **changes: Any) -> Any:
    from datetime import datetime
    from decimal import Decimal

    from postventa.cfdi.pac.sandbox import SandboxRecord

    values: dict[str, Any] = {
        "uuid": "5FB2822E-396D-4725-8521-CDC4BDD20CCF",
        "xml": xml,
        "fecha_timbrado": datetime(2026, 11, 20, 10, 0),
        "no_certificado_sat": "30001000000500003456",
        "rfc_emisor": "EKU9003173C9",
        "rfc_receptor": "XAXX010101000",
        "total_mxn": Decimal("100.00"),
        "tipo_comprobante": "I",
        "fecha_emision": datetime(2026, 11, 20, 9, 0),
    }
    return SandboxRecord(**{**values, **changes})


def test_the_sandbox_pac_remembers_a_stamp_larger_than_a_dynamodb_item(table: Any) -> None:
    from postventa.storage.sandbox_pac import DynamoSandboxStore

    xml = b"<cfdi:Comprobante>" + b"<cfdi:Concepto Importe='100.00'/>" * 20_000 + b"</x>"
    assert len(xml) > 400 * 1024
    store = DynamoSandboxStore(table)
    store.save("huella", sandbox_record(xml, es_global=True))
    found = store.by_fingerprint("huella")
    assert found is not None and found.xml == xml


def test_the_sandbox_pac_remembers_a_cancellation_waiting_for_the_receptor(table: Any) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from postventa.cfdi.pac.base import CancellationStatus
    from postventa.storage.sandbox_pac import DynamoSandboxStore

    asked = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    record = sandbox_record(b"<cfdi:Comprobante/>", rfc_receptor="EKU9003173C9")
    store = DynamoSandboxStore(table)
    store.save("huella", record)
    store.update(
        replace(record, cancellation=CancellationStatus.PENDING, cancel_requested_at=asked)
    )
    found = store.by_uuid(record.uuid)
    assert found is not None and found.cancellation is CancellationStatus.PENDING
    assert found.cancel_requested_at == asked
