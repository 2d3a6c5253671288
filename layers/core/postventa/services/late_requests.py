"""A buyer who asks for their own invoice after the deadline.

Refusing is listed by SAT as an improper practice, so the product re-issues by SAT's procedure
(docs/decisions/0015):

- the order is still `global` (no global invoice includes it yet): it is invoiced on its own, at
  once (`global` -> `datos_recibidos`, a new lifecycle with the buyer's data);
- a global invoice includes it: the request is recorded (`solicitud_tardia`) and the daily job
  (`reissue_for_tenant`) takes every request of the day against each global CFDI together:
  cancel that CFDI with motivo 04 ("operación nominativa relacionada en una factura global"),
  issue a new global without those sales (TipoRelacion 04 naming the cancelled one), then give
  each sale its own invoice (`solicitud_tardia` -> `datos_recibidos` -> ... -> `facturada`);
- after the tenant's cut-off (default: the end of the sale's fiscal year, never past the
  deadline to cancel the global, CFF 29-A) the buyer is told, politely, to contact the seller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from postventa.domain.cancellations import GlobalCfdiKey
from postventa.domain.clock import iso
from postventa.domain.global_invoices import (
    CfdiState,
    GlobalCfdi,
    GlobalRun,
    ReplacedCfdi,
    RunState,
)
from postventa.domain.global_periods import (
    Period,
    Periodicidad,
    late_requests_until,
    parse_period,
    tenant_period,
    tenant_zone,
)
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters, HistoryEntry
from postventa.domain.status import (
    LATE_DATA_BEFORE_GLOBAL,
    LATE_REQUEST_FAILED,
    LATE_REQUEST_RECEIVED,
    REMOVED_FROM_GLOBAL,
    OrderStatus,
)
from postventa.domain.tenants import Tenant
from postventa.observability import logger
from postventa.services.events import announce


class LateCase(StrEnum):
    BEFORE_GLOBAL = "antes_de_la_global"  # no global invoice includes the sale yet
    REISSUE = "factura_global"  # a global includes it: it is re-issued without the sale


@dataclass(frozen=True)
class LateWindow:
    case: LateCase
    open: bool
    until: datetime | None = None  # the cut-off, when a global includes the sale


def window(record: OrderRecord, tenant: Tenant, now: datetime) -> LateWindow | None:
    """Whether the buyer of an order past its deadline may still ask, and which case applies;
    None when the order is not past its deadline (the normal form applies)."""
    if record.status not in (OrderStatus.GLOBAL, OrderStatus.IN_GLOBAL_INVOICE):
        return None
    period = _period_of(record, tenant)
    until = min(late_requests_until(tenant, period), _cancellable_until(tenant, period))
    if record.status is OrderStatus.GLOBAL:  # no global holds it: invoiced on its own, any time
        return LateWindow(LateCase.BEFORE_GLOBAL, True, until if now < until else None)
    return LateWindow(LateCase.REISSUE, now < until, until)


def _period_of(record: OrderRecord, tenant: Tenant) -> Period:
    """The period of the global that holds the sale (it keeps its periodicity if the tenant's
    changed since), or the one the sale falls in now."""
    if record.global_invoice is not None:
        periodicity = Periodicidad(record.global_invoice.period.rpartition(".")[2])
        return parse_period(periodicity, record.global_invoice.period)
    return tenant_period(tenant, record.order.paid_at)


def _cancellable_until(tenant: Tenant, period: Period) -> datetime:
    """The last moment the period's global can be cancelled (CFF 29-A), counted from the day
    after the period, when it is issued."""
    from postventa.cfdi.cancel import cancellation_deadline

    rfc = tenant.issuer.rfc if tenant.issuer else ""
    last = cancellation_deadline(period.last_day + timedelta(days=1), rfc)
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=tenant_zone(tenant))


def record_late_request(
    ref: OrderRef, fiscal_data: dict[str, Any], at: str, adapters: Adapters
) -> bool:
    """Take the buyer's data for an order past its deadline; False when the window is closed
    or the order moved on meanwhile (the caller reads it again)."""
    record = adapters.orders.get(ref)
    tenant = adapters.tenants.get(ref.tenant_id)
    if record is None or tenant is None:
        return False
    late = window(record, tenant, adapters.clock.now())
    if late is None or not late.open:
        return False
    extra: dict[str, Any] = {"fiscal_data": fiscal_data, "billing_data_at": at}
    if late.case is LateCase.BEFORE_GLOBAL:
        attempt = record.lifecycle_attempt + 1
        if not adapters.orders.apply(
            ref, LATE_DATA_BEFORE_GLOBAL, extra={**extra, "lifecycle_attempt": attempt}
        ):
            return False
        announce(adapters, "LateRequestReceived", ref, caso=late.case.value)
        adapters.lifecycle.start(
            ref, tenant.billing_deadline_seconds, attempt=attempt, with_data=True
        )
        return True
    if not adapters.orders.apply(ref, LATE_REQUEST_RECEIVED, extra=extra):
        return False
    announce(adapters, "LateRequestReceived", ref, caso=late.case.value)
    return True


# ------------------------------------------------------------------------------- the daily job
@dataclass
class ReissueReport:
    requests: int = 0
    reissues: int = 0  # global CFDIs being re-issued (one per CFDI, whatever its requests)
    released: int = 0  # sales no global held any more: invoiced on their own at once
    waiting: int = 0


class _Waiting:
    """The sale's global is not issued yet, or a re-issue of it is already under way."""


_WAIT = _Waiting()


class _Locator:
    """Which stamped, current global CFDI holds a sale (following re-issues), with each run's
    manifest read once."""

    def __init__(self, tenant: Tenant, adapters: Adapters) -> None:
        self.tenant, self.adapters = tenant, adapters
        self._indexes: dict[str, dict[OrderRef, int]] = {}

    def index(self, run: GlobalRun) -> dict[OrderRef, int]:
        from postventa.services.global_invoices import read_manifest

        if run.run_id not in self._indexes:
            self._indexes[run.run_id] = {
                ref: i
                for i in range(run.cfdi_count)
                for ref in read_manifest(self.adapters, run.tenant_id, run.run_id, i)
            }
        return self._indexes[run.run_id]

    def locate(self, record: OrderRecord) -> GlobalCfdi | _Waiting | None:
        """The CFDI to re-issue; _WAIT; None when no global holds the sale."""
        store = self.adapters.global_invoices
        run_id = record.global_invoice.run_id if record.global_invoice else None
        while run_id is not None:
            run = store.get_run(record.ref.tenant_id, run_id)
            if run is None or run.state is RunState.CLAIMING:
                return _WAIT  # being created, or still taking orders
            index = self.index(run).get(record.ref)
            if index is None:
                removed = run.replaces.removed if run.replaces else []
                return _WAIT if record.ref in removed and not run.released_at else None
            if run.state is not RunState.ISSUED:
                return _WAIT
            cfdi = store.get_cfdi(run.tenant_id, run.run_id, index)
            if cfdi is None or cfdi.replaced_by is None:
                return cfdi
            run_id = cfdi.replaced_by
        return None


def reissue_for_tenant(tenant_id: str, adapters: Adapters) -> ReissueReport:
    """The day's late requests: each global CFDI they concern is re-issued once, for all of
    them together; sales no global holds any more are invoiced at once."""
    from postventa.services.global_invoices import advance_run

    report = ReissueReport()
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        return report
    locator = _Locator(tenant, adapters)
    groups: dict[tuple[str, int], tuple[GlobalCfdi, list[OrderRef]]] = {}
    for record in adapters.orders.list_by_status(tenant_id, OrderStatus.LATE_REQUEST):
        report.requests += 1
        found = locator.locate(record)
        if isinstance(found, _Waiting):
            report.waiting += 1
        elif found is None:
            report.released += _release(tenant, record.ref, None, adapters)
        else:
            group = groups.setdefault((found.run_id, found.index), (found, []))
            group[1].append(record.ref)
    for cfdi, removed in groups.values():
        if _start_reissue(tenant, cfdi, removed, adapters):
            report.reissues += 1
    for run in adapters.global_invoices.open_runs(tenant_id):
        if run.replaces is not None:
            advance_run(tenant, run.run_id, adapters)
    logger.info(
        "late requests handled",
        extra={"requests": report.requests, "reissues": report.reissues},
    )
    return report


def reissue_run_id(run: GlobalRun, uuid: str) -> str:
    """A re-issue's run id follows from the CFDI it replaces, so creating it twice is one run."""
    return f"{run.period.key}#R-{uuid.upper()}"


def _start_reissue(
    tenant: Tenant, cfdi: GlobalCfdi, removed: list[OrderRef], adapters: Adapters
) -> bool:
    from postventa.services.global_invoices import read_manifest, write_manifest

    store = adapters.global_invoices
    original = store.get_run(tenant.tenant_id, cfdi.run_id)
    if original is None or cfdi.uuid is None:
        return False
    run_id = reissue_run_id(original, cfdi.uuid)
    if not store.mark_replaced(cfdi, run_id):
        return False  # a re-issue of this CFDI is already under way
    gone = set(removed)
    keep = [
        r
        for r in read_manifest(adapters, tenant.tenant_id, cfdi.run_id, cfdi.index)
        if r not in gone
    ]
    records = [adapters.orders.get(r) for r in keep]
    total = sum((r.order.total_paid for r in records if r is not None), start=Decimal(0))
    now = iso(adapters.clock.now())
    runs = store.runs_of_period(tenant.tenant_id, original.period.key)
    run = GlobalRun(
        tenant_id=tenant.tenant_id,
        run_id=run_id,
        periodicity=original.periodicity,
        first_day=original.first_day,
        last_day=original.last_day,
        seq=max((r.seq for r in runs), default=0) + 1,
        state=RunState.CANCELLING,
        created_at=now,
        updated_at=now,
        replaces=ReplacedCfdi(
            run_id=cfdi.run_id, index=cfdi.index, uuid=cfdi.uuid, removed=removed
        ),
        cfdi_count=1 if keep else 0,
        order_count=len(keep),
        total=str(total),
    )
    if keep:
        write_manifest(adapters, run, 0, keep)
        store.put_cfdi(
            GlobalCfdi(
                tenant_id=tenant.tenant_id,
                run_id=run_id,
                index=0,
                order_count=len(keep),
                total=str(total),
            )
        )
    store.create_run(run)
    for ref in removed:
        announce(adapters, "GlobalInvoiceReissueStarted", ref, uuid=cfdi.uuid, reemplazo=run_id)
    logger.info("global invoice CFDI being re-issued", extra={"run": run_id})
    return True


def await_replaced_cancellation(tenant: Tenant, run: GlobalRun, adapters: Adapters) -> GlobalRun:
    """A re-issue's first step: the replaced CFDI cancelled with motivo 04 (a global invoice
    needs no acceptance, RMF 2.7.1.35 VII, so the answer is usually immediate)."""
    from postventa.services import cancellations
    from postventa.services.global_invoices import read_manifest, save_step

    replaced = run.replaces
    if replaced is None:
        return run
    cfdi = adapters.global_invoices.get_cfdi(tenant.tenant_id, replaced.run_id, replaced.index)
    if cfdi is None or cfdi.xml_key is None:
        raise LookupError(f"the CFDI {replaced.uuid} a re-issue replaces is missing")
    cancellation = adapters.cancellations.get(tenant.tenant_id, replaced.uuid)
    if cancellation is None:
        key = GlobalCfdiKey(run_id=replaced.run_id, index=replaced.index)
        cancellation = cancellations.open_global_cancellation(
            tenant, key, replaced.uuid, cfdi.xml_key, adapters
        )
    elif not cancellation.state.is_final:
        cancellation = (
            cancellations.process(tenant.tenant_id, replaced.uuid, adapters) or cancellation
        )
    if not cancellation.state.is_final:
        return run  # waiting for SAT: the next run asks again
    if not cancellation.state.cancelled:
        return _abandon(tenant, run, cfdi, cancellation.reason or "", adapters)
    if cfdi.state is not CfdiState.CANCELLED:
        adapters.global_invoices.put_cfdi(cfdi.model_copy(update={"state": CfdiState.CANCELLED}))
        refs = read_manifest(adapters, tenant.tenant_id, replaced.run_id, replaced.index)
        entry = HistoryEntry(
            event_type="GlobalInvoiceCancelled",
            at=cancellation.decided_at or iso(adapters.clock.now()),
            event_id=f"global-cancelled-{replaced.uuid}",
            detail={"uuid": replaced.uuid, "motivo": "04", "reemplazo": run.run_id},
        )
        adapters.orders.record_events([(ref, entry) for ref in refs])
    if run.cfdi_count:
        return save_step(run, adapters, RunState.CANCELLING, state=RunState.READY)
    return save_step(
        run,
        adapters,
        RunState.CANCELLING,
        state=RunState.ISSUED,
        issued_at=iso(adapters.clock.now()),
    )


def _abandon(
    tenant: Tenant, run: GlobalRun, cfdi: GlobalCfdi, reason: str, adapters: Adapters
) -> GlobalRun:
    """The global could not be cancelled: it stays valid with every sale; the requests wait for
    the seller (the order shows why)."""
    from postventa.services.global_invoices import RunProblem, save_step

    adapters.global_invoices.put_cfdi(cfdi.model_copy(update={"replaced_by": None}))
    removed = run.replaces.removed if run.replaces else []
    why = (
        "No se pudo cancelar la factura global que incluye esta venta, así que no se puede "
        f"emitir su factura: {reason}"
    )
    for ref in removed:
        if adapters.orders.apply(
            ref,
            LATE_REQUEST_FAILED,
            extra={
                "error_code": "reexpedicion_no_procede",
                "error_reason": why,
                "error_action": "Revisa el motivo con tu contador; la venta sigue en la factura "
                "global vigente.",
            },
        ):
            announce(adapters, "LateRequestFailed", ref, uuid=cfdi.uuid)
    now = iso(adapters.clock.now())
    save_step(
        run,
        adapters,
        RunState.CANCELLING,
        state=RunState.ISSUED,
        cfdi_count=0,
        order_count=0,
        issued_at=now,
        released_at=now,
    )
    raise RunProblem("reexpedicion_no_procede", why, "Revisa el motivo con tu contador.")


def release_removed(tenant: Tenant, run: GlobalRun, adapters: Adapters) -> GlobalRun:
    """After the new global: each sale it left out gets its own invoice."""
    from postventa.services.global_invoices import save_step

    replaced = run.replaces
    for ref in replaced.removed if replaced else []:
        _release(tenant, ref, replaced.uuid if replaced else None, adapters)
    return save_step(run, adapters, RunState.ISSUED, released_at=iso(adapters.clock.now()))


def _release(tenant: Tenant, ref: OrderRef, replaced: str | None, adapters: Adapters) -> int:
    """The sale leaves the global invoices: a new lifecycle invoices it with the buyer's data."""
    record = adapters.orders.get(ref)
    if record is None:
        return 0
    attempt = record.lifecycle_attempt + 1
    moved = adapters.orders.apply(
        ref, REMOVED_FROM_GLOBAL, extra={"lifecycle_attempt": attempt, "global_invoice": None}
    )
    if moved:
        announce(adapters, "RemovedFromGlobalInvoice", ref, uuid=replaced)
    elif record.status is OrderStatus.DATA_RECEIVED and record.global_invoice is None:
        attempt = record.lifecycle_attempt  # moved by an attempt that stopped before starting
    else:
        return 0
    adapters.lifecycle.start(ref, tenant.billing_deadline_seconds, attempt=attempt, with_data=True)
    return 1
