"""The periodic global invoice (factura global a PUBLICO EN GENERAL), issued exactly once.

The job for a tenant (`run_for_tenant`, every hour) issues the global invoice of each period
whose close is ISSUE_DELAY behind (RMF 2.7.1.21 gives 24 hours) and carries on any run a problem
stopped. A period is invoiced once, whatever happens to the job:

- a run is created once per (tenant, period, sequence) (a conditional put), and only the worker
  holding its lease works on it, so two copies of the job never work one run;
- each order is taken by one conditional transition (`global` -> `en_factura_global`, naming the
  run), so an order is in one run only, and a buyer asking at that moment either wins (their own
  invoice) or finds it in the global (the re-issue path);
- the run is then frozen: which orders go in which CFDI is written (manifests in S3, one CFDI
  item each) before anything is sealed;
- each CFDI is sealed and the sealed XML stored before it goes to the PAC; a retry sends the same
  bytes, and a PAC answers a document it stamped with the same stamp (decision 0011); a document
  the PAC never stamped and now finds too old (401, Fecha outside its window) is sealed again with
  the same folio;
- its folio (one per CFDI, `DocumentRef.global_cfdi`) is spent when the stamp is recorded.

Problems the seller fixes (no CSD, no folios, keys, the PAC's account) stop the run at its step
with the reason; the seller is emailed once per reason and the next run carries on.
Docs: docs/decisions/0015-global-invoice-and-cancellations.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from postventa.domain.clock import epoch, iso, parse_iso
from postventa.domain.global_invoices import (
    RUN_LEASE_SECONDS,
    CfdiState,
    GlobalCfdi,
    GlobalRun,
    RunState,
    run_id_for,
)
from postventa.domain.global_periods import (
    Period,
    issue_due_by,
    issue_opens_at,
    tenant_period,
    tenant_zone,
)
from postventa.domain.invoices import DocumentRef, GlobalInvoiceRef
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.ports import Adapters, Attachment, HistoryEntry
from postventa.domain.status import INCLUDED_IN_GLOBAL, OrderStatus
from postventa.domain.tenants import Tenant
from postventa.formatting import amount, period_es
from postventa.messaging.email import render_email
from postventa.observability import logger
from postventa.storage.keys import global_invoice_prefix

# (step, done, of): "pedidos", "cfdi" -- what a long run reports (the CLI draws a bar).
Progress = Callable[[str, int, int], None]

# Orders are taken after their run is created; listing what a run took reads the status index
# from a little before, in case two workers' clocks differ.
CLAIM_CLOCK_SKEW = timedelta(minutes=5)
# Attachments of one email to the seller stay under this (SES takes 10 MB per raw message,
# base64 makes files a third larger).
EMAIL_ATTACHMENTS_BYTES = 6 * 1024 * 1024


class RunProblem(Exception):
    """Something the seller must fix (or, `notify` False, that passes by itself) stopped a run."""

    def __init__(self, code: str, reason: str, action: str, *, notify: bool = True) -> None:
        super().__init__(reason)
        self.code, self.reason, self.action, self.notify = code, reason, action, notify


NO_FOLIOS = RunProblem(
    "sin_folios",
    "Tu cuenta no tiene folios para timbrar la factura global.",
    "Agrega folios: la factura global se emite en la siguiente ejecución (cada hora).",
)


@dataclass
class RunReport:
    tenant_id: str
    run_id: str
    period: str
    state: str
    cfdis: int = 0
    orders: int = 0
    total: str = "0"
    uuids: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_reason: str | None = None
    busy: bool = False  # another worker holds the run


@dataclass
class JobReport:
    tenant_id: str
    runs: list[RunReport] = field(default_factory=list)


def _report(run: GlobalRun, cfdis: Sequence[GlobalCfdi] = (), *, busy: bool = False) -> RunReport:
    return RunReport(
        tenant_id=run.tenant_id,
        run_id=run.run_id,
        period=run.period.key,
        state=run.state.value,
        cfdis=run.cfdi_count,
        orders=run.order_count,
        total=run.total,
        uuids=[c.uuid for c in cfdis if c.uuid],
        error_code=run.error_code,
        error_reason=run.error_reason,
        busy=busy,
    )


# ------------------------------------------------------------------------------- the job
def run_for_tenant(
    tenant_id: str, adapters: Adapters, *, progress: Progress | None = None
) -> JobReport:
    """The scheduled job for one tenant: carry on every unfinished run, then issue every period
    whose global invoice is due."""
    report = JobReport(tenant_id)
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        return report
    carried_on: set[str] = set()
    for run in adapters.global_invoices.open_runs(tenant_id):
        report.runs.append(advance_run(tenant, run.run_id, adapters, progress=progress))
        if run.state is RunState.CLAIMING:
            carried_on.add(run.period.key)
    for period in due_periods(tenant, adapters):
        if period.key not in carried_on:
            report.runs.append(issue_period(tenant, period, adapters, progress=progress))
    return report


def due_periods(tenant: Tenant, adapters: Adapters) -> list[Period]:
    """Periods with orders waiting for their global invoice whose issue time has come."""
    now = adapters.clock.now()
    zone = tenant_zone(tenant)
    periods = {
        tenant_period(tenant, r.order.paid_at)
        for r in adapters.orders.list_by_status(tenant.tenant_id, OrderStatus.GLOBAL)
    }
    return sorted(p for p in periods if issue_opens_at(p, zone) <= now)


def period_orders(tenant: Tenant, period: Period, adapters: Adapters) -> list[OrderRecord]:
    """The period's orders still waiting for a global invoice (status `global`)."""
    return sorted(_waiting_in(tenant, period, adapters), key=_paid_order)


def _waiting_in(tenant: Tenant, period: Period, adapters: Adapters) -> Iterable[OrderRecord]:
    for record in adapters.orders.list_by_status(tenant.tenant_id, OrderStatus.GLOBAL):
        if tenant_period(tenant, record.order.paid_at) == period:
            yield record


def _paid_order(record: OrderRecord) -> tuple[str, str, str]:
    return (iso(record.order.paid_at), record.ref.channel, record.ref.order_id)


@dataclass(frozen=True)
class Preview:
    """What a period's global invoice would take now."""

    period: Period
    orders: int
    total: Decimal
    first: str | None  # order numbers
    last: str | None
    runs: list[GlobalRun]  # the period's runs so far


def preview(tenant: Tenant, period: Period, adapters: Adapters) -> Preview:
    waiting = period_orders(tenant, period, adapters)
    return Preview(
        period=period,
        orders=len(waiting),
        total=sum((r.order.total_paid for r in waiting), Decimal(0)),
        first=waiting[0].order.display_number if waiting else None,
        last=waiting[-1].order.display_number if waiting else None,
        runs=adapters.global_invoices.runs_of_period(tenant.tenant_id, period.key),
    )


def issue_period(
    tenant: Tenant, period: Period, adapters: Adapters, *, progress: Progress | None = None
) -> RunReport:
    """Issue the period's global invoice now: a new run for the orders waiting in `global` (or
    the period's run still taking them), then every step to the end."""
    runs = adapters.global_invoices.runs_of_period(tenant.tenant_id, period.key)
    taking = [r for r in runs if r.state is RunState.CLAIMING]
    if taking:
        return advance_run(tenant, taking[0].run_id, adapters, progress=progress)
    if not any(_waiting_in(tenant, period, adapters)):
        if runs:
            return _report(
                runs[-1], adapters.global_invoices.cfdis(tenant.tenant_id, runs[-1].run_id)
            )
        return RunReport(tenant.tenant_id, "", period.key, "sin_pedidos")
    seq = max((r.seq for r in runs), default=0) + 1
    now = iso(adapters.clock.now())
    run = GlobalRun(
        tenant_id=tenant.tenant_id,
        run_id=run_id_for(period, seq),
        periodicity=period.periodicidad,
        first_day=period.first_day,
        last_day=period.last_day,
        seq=seq,
        state=RunState.CLAIMING,
        created_at=now,
        updated_at=now,
    )
    if not adapters.global_invoices.create_run(run):  # another worker created it just now
        return issue_period(tenant, period, adapters, progress=progress)
    logger.info("global invoice run created", extra={"run": run.run_id})
    return advance_run(tenant, run.run_id, adapters, progress=progress)


def advance_run(
    tenant: Tenant, run_id: str, adapters: Adapters, *, progress: Progress | None = None
) -> RunReport:
    """Take the run's next steps under its lease (a run another worker holds is left alone)."""
    store = adapters.global_invoices
    now = adapters.clock.now()
    run = store.lease(tenant.tenant_id, run_id, now=epoch(now), seconds=RUN_LEASE_SECONDS)
    if run is None:
        current = store.get_run(tenant.tenant_id, run_id)
        if current is None:
            raise LookupError(f"no run {run_id}")
        return _report(current, busy=True)
    try:
        run = _steps(tenant, run, adapters, progress)
    except Exception as exc:
        problem = _problem_of(exc)
        run = _record_problem(
            tenant, store.get_run(tenant.tenant_id, run_id) or run, problem, adapters
        )
    finally:
        store.unlease(tenant.tenant_id, run_id)
    return _report(run, store.cfdis(tenant.tenant_id, run_id))


def _steps(
    tenant: Tenant, run: GlobalRun, adapters: Adapters, progress: Progress | None
) -> GlobalRun:
    from postventa.services import late_requests

    taken: dict[OrderRef, Order] | None = None  # the orders just taken, not read again
    if run.state is RunState.CLAIMING:
        run, taken = _claim_and_freeze(tenant, run, adapters, progress)
    if run.state is RunState.CANCELLING:
        run = late_requests.await_replaced_cancellation(tenant, run, adapters)
    if run.state is RunState.READY:
        run = _stamp_all(tenant, run, adapters, progress, taken)
    if run.state is RunState.ISSUED:
        _notify_seller(tenant, run, adapters)
        if run.replaces is not None and not run.released_at:
            run = late_requests.release_removed(tenant, run, adapters)
    return run


def save_step(run: GlobalRun, adapters: Adapters, expect: RunState, **changes: Any) -> GlobalRun:
    """The run after a step, written only while it is still in the state the step began in."""
    updated = run.model_copy(update={**changes, "updated_at": iso(adapters.clock.now())})
    if not adapters.global_invoices.save_run(updated, expect=expect):
        raise RuntimeError(f"run {run.run_id} changed under its lease")
    return updated


_NO_ERROR: dict[str, Any] = dict.fromkeys(
    ("error_code", "error_reason", "error_action", "error_at", "notified")
)


# ------------------------------------------------------------------------------- claiming
def _claim_and_freeze(
    tenant: Tenant, run: GlobalRun, adapters: Adapters, progress: Progress | None
) -> tuple[GlobalRun, dict[OrderRef, Order]]:
    """Take the period's waiting orders, then fix which go in which CFDI (the manifest)."""
    waiting = period_orders(tenant, run.period, adapters)
    if progress:
        progress("pedidos", 0, len(waiting))
    retaking = run.claim_started_at is not None  # an earlier attempt may have taken some
    if not retaking:
        run = save_step(
            run, adapters, RunState.CLAIMING, claim_started_at=iso(adapters.clock.now())
        )
    mark = GlobalInvoiceRef(run_id=run.run_id, period=run.period.key)
    moved: set[OrderRef] = set()
    for start in range(0, len(waiting), 1000):
        batch = [r.ref for r in waiting[start : start + 1000]]
        moved.update(
            adapters.orders.apply_many(batch, INCLUDED_IN_GLOBAL, extra={"global_invoice": mark})
        )
        if progress:
            progress("pedidos", min(start + 1000, len(waiting)), len(waiting))
    if retaking:
        taken = sorted(run_orders(tenant, run, adapters), key=_paid_order)
    else:
        taken = [r for r in waiting if r.ref in moved]
    if not taken:  # every buyer asked in time: nothing to invoice globally
        return save_step(run, adapters, RunState.CLAIMING, state=RunState.ISSUED, **_NO_ERROR), {}
    from postventa.cfdi.global_invoice import DEFAULT_MAX_CONCEPTS, chunk_orders, global_concepts
    from postventa.services.invoices import issuer_for

    items = global_concepts([r.order for r in taken], issuer_for(tenant))
    by_key = {r.order.key: r.ref for r in taken}
    cap = tenant.global_invoice.max_concepts or DEFAULT_MAX_CONCEPTS
    chunks = list(chunk_orders(items, cap))
    for index, chunk in enumerate(chunks):
        write_manifest(adapters, run, index, [by_key[i.order_key] for i in chunk])
        adapters.global_invoices.put_cfdi(
            GlobalCfdi(
                tenant_id=tenant.tenant_id,
                run_id=run.run_id,
                index=index,
                order_count=len(chunk),
                total=str(sum((i.total for i in chunk), Decimal(0))),
            )
        )
    logger.info("global invoice run frozen", extra={"run": run.run_id, "cfdis": len(chunks)})
    frozen = save_step(
        run,
        adapters,
        RunState.CLAIMING,
        state=RunState.READY,
        cfdi_count=len(chunks),
        order_count=len(taken),
        total=str(sum((r.order.total_paid for r in taken), Decimal(0))),
    )
    return frozen, {r.ref: r.order for r in taken}


def run_orders(tenant: Tenant, run: GlobalRun, adapters: Adapters) -> Iterable[OrderRecord]:
    """The orders a run took that are still in a global invoice."""
    since = iso(parse_iso(run.created_at) - CLAIM_CLOCK_SKEW)
    for record in adapters.orders.list_by_status(
        tenant.tenant_id, OrderStatus.IN_GLOBAL_INVOICE, since=since
    ):
        if record.global_invoice is not None and record.global_invoice.run_id == run.run_id:
            yield record


def _manifest_key(tenant_id: str, run_id: str, index: int) -> str:
    return f"{global_invoice_prefix(tenant_id, run_id)}cfdi-{index:05d}.json"


def write_manifest(
    adapters: Adapters, run: GlobalRun, index: int, refs: Sequence[OrderRef]
) -> None:
    body = {"orders": [[r.channel, r.order_id] for r in refs]}
    adapters.documents.put(
        run.tenant_id,
        _manifest_key(run.tenant_id, run.run_id, index),
        json.dumps(body, separators=(",", ":")).encode(),
        "application/json",
    )


def read_manifest(adapters: Adapters, tenant_id: str, run_id: str, index: int) -> list[OrderRef]:
    """The orders of one CFDI of a run, in the CFDI's order."""
    data = adapters.documents.get(tenant_id, _manifest_key(tenant_id, run_id, index))
    if data is None:
        raise LookupError(f"manifest of {run_id} CFDI {index} is missing")
    return [
        OrderRef(tenant_id=tenant_id, channel=channel, order_id=order_id)
        for channel, order_id in json.loads(data)["orders"]
    ]


# ------------------------------------------------------------------------------- stamping
class _Stamping:
    """What stamping a run's CFDIs needs, loaded once and only when a CFDI needs it."""

    def __init__(
        self,
        tenant: Tenant,
        run: GlobalRun,
        adapters: Adapters,
        orders: dict[OrderRef, Order] | None = None,
    ) -> None:
        self.tenant, self.run, self.adapters = tenant, run, adapters
        self.prefix = global_invoice_prefix(tenant.tenant_id, run.run_id)
        self._issuer: Any = None
        self._csd: Any = None
        self._pac: Any = None
        self._orders = orders or None

    def sealed(self, cfdi: GlobalCfdi) -> bytes | None:
        """The sealed XML stored for `cfdi` before it went to the PAC, if any."""
        if not cfdi.sealed_key:
            return None
        return self.adapters.documents.get(self.tenant.tenant_id, cfdi.sealed_key)

    @property
    def issuer(self) -> Any:
        if self._issuer is None:
            from postventa.services.invoices import issuer_for

            self._issuer = issuer_for(self.tenant)
        return self._issuer

    @property
    def csd(self) -> Any:
        if self._csd is None:
            from postventa.services.invoices import csd_of

            self._csd = csd_of(self.tenant, self.adapters)
        return self._csd

    @property
    def pac(self) -> Any:
        if self._pac is None:
            self._pac = self.adapters.pacs.for_tenant(self.tenant)
        return self._pac

    def refs(self, cfdi: GlobalCfdi) -> list[OrderRef]:
        return read_manifest(self.adapters, self.tenant.tenant_id, self.run.run_id, cfdi.index)

    def orders(self, cfdi: GlobalCfdi) -> list[Order]:
        """The CFDI's orders as they were sold (read once for the whole run)."""
        if self._orders is None:
            self._orders = {
                r.ref: r.order for r in run_orders(self.tenant, self.run, self.adapters)
            }
        found: list[Order] = []
        for ref in self.refs(cfdi):
            order = self._orders.get(ref)
            if order is None:  # it left the global after the freeze (a late request)
                record = self.adapters.orders.get(ref)
                if record is None:
                    raise LookupError(f"order {ref.order_id} of a global invoice is missing")
                order = record.order
            found.append(order)
        return found

    def holder(self, cfdi: GlobalCfdi) -> DocumentRef:
        return DocumentRef.global_cfdi(self.tenant.tenant_id, self.run.run_id, cfdi.index)

    def put(self, cfdi: GlobalCfdi, **changes: Any) -> GlobalCfdi:
        updated = cfdi.model_copy(update=changes)
        self.adapters.global_invoices.put_cfdi(updated)
        return updated


def _stamp_all(
    tenant: Tenant,
    run: GlobalRun,
    adapters: Adapters,
    progress: Progress | None,
    taken: dict[OrderRef, Order] | None = None,
) -> GlobalRun:
    cfdis = sorted(adapters.global_invoices.cfdis(tenant.tenant_id, run.run_id), key=_index)
    cfdis = cfdis[: run.cfdi_count]
    work = _Stamping(tenant, run, adapters, taken)
    for done, cfdi in enumerate(cfdis, start=1):
        if cfdi.state is CfdiState.PLANNED:
            cfdi = _seal(work, cfdi)
        if cfdi.state is CfdiState.SEALED:
            cfdi = _stamp(work, cfdi)
        if cfdi.state is CfdiState.STAMPED:
            cfdi = _deliver(work, cfdi)
        if progress:
            progress("cfdi", done, len(cfdis))
    now = iso(adapters.clock.now())
    late = adapters.clock.now() > issue_due_by(run.period, tenant_zone(tenant))
    if late and run.replaces is None:
        logger.warning("global invoice issued after SAT's 24 hours", extra={"run": run.run_id})
    return save_step(
        run, adapters, RunState.READY, state=RunState.ISSUED, issued_at=now, **_NO_ERROR
    )


def _index(cfdi: GlobalCfdi) -> int:
    return cfdi.index


def _seal(work: _Stamping, cfdi: GlobalCfdi) -> GlobalCfdi:
    """Build and seal the CFDI with its own folio; the sealed XML is stored before it is sent."""
    from postventa.cfdi.global_invoice import GlobalPeriod, build_global_invoice, global_concepts
    from postventa.cfdi.relations import relacion_sustitucion
    from postventa.cfdi.stamping import seal_and_validate

    reservation = work.adapters.folios.reserve(work.holder(cfdi))
    if reservation is None:
        raise NO_FOLIOS
    run = work.run
    items = global_concepts(work.orders(cfdi), work.issuer)
    # A re-issue names the CFDI it replaces (Guía de llenado del CFDI global: TipoRelacion 04).
    relacionados = [relacion_sustitucion(run.replaces.uuid)] if run.replaces else []
    now = work.adapters.clock.now()
    draft = build_global_invoice(
        items,
        work.issuer,
        GlobalPeriod.of(run.period),
        reservation.number,
        now,
        relacionados=relacionados,
    )
    sealed = seal_and_validate(draft.comprobante, work.csd)
    key = f"{work.prefix}sealed-{reservation.number}.xml"
    work.adapters.documents.put(work.tenant.tenant_id, key, sealed, "application/xml")
    return work.put(
        cfdi,
        state=CfdiState.SEALED,
        folio=reservation.number,
        serie=str(draft.comprobante.get("Serie") or ""),
        sealed_key=key,
        sealed_at=iso(now),
    )


# SAT's validation code for a Fecha outside the PAC's window (72 hours): a sealed document that
# was never stamped and waited too long (a run stopped for days) is sealed again.
_FECHA_OUT_OF_RANGE = "401"


def _stamp(work: _Stamping, cfdi: GlobalCfdi) -> GlobalCfdi:
    from postventa.cfdi.errors import PacDataRejectedError
    from postventa.cfdi.stamping import stamp_xml
    from postventa.cfdi.validation import MatrixRejectionError

    sealed = work.sealed(cfdi)
    if sealed is None:
        cfdi = _seal(work, cfdi)
        sealed = work.sealed(cfdi) or b""
    try:
        result = stamp_xml(sealed, work.pac)  # SAT's matrix first, as for every CFDI we send
    except (PacDataRejectedError, MatrixRejectionError) as exc:
        # The 72-hour window (401), found offline by the matrix or by the PAC: seal it again.
        if _FECHA_OUT_OF_RANGE not in (getattr(exc, "pac_code", None), exc.sat_code):
            raise
        cfdi = _seal(work, cfdi)
        result = stamp_xml(work.sealed(cfdi) or b"", work.pac)
    from postventa.services.invoices import is_test_stamp

    xml_key = f"{work.prefix}{result.uuid}.xml"
    work.adapters.documents.put(work.tenant.tenant_id, xml_key, result.xml, "application/xml")
    work.adapters.folios.spend(work.holder(cfdi))
    logger.info("global invoice CFDI stamped", extra={"run": work.run.run_id, "uuid": result.uuid})
    return work.put(
        cfdi,
        state=CfdiState.STAMPED,
        uuid=result.uuid,
        xml_key=xml_key,
        stamped_at=iso(work.adapters.clock.now()),
        test_stamp=is_test_stamp(work.pac, work.tenant),
    )


def _deliver(work: _Stamping, cfdi: GlobalCfdi) -> GlobalCfdi:
    """PDF beside the XML; the UUID in each order's history; the bus told."""
    adapters, run = work.adapters, work.run
    pdf_key = (cfdi.xml_key or "").removesuffix(".xml") + ".pdf"
    if adapters.documents.get(run.tenant_id, pdf_key) is None:
        from postventa.cfdi.pdf import render_pdf

        xml = adapters.documents.get(run.tenant_id, cfdi.xml_key or "")
        if xml is None:
            raise LookupError(f"the stamped XML of {run.run_id} CFDI {cfdi.index} is missing")
        adapters.documents.put(run.tenant_id, pdf_key, render_pdf(xml), "application/pdf")
    refs = work.refs(cfdi)
    detail = {
        "uuid": cfdi.uuid,
        "serie": cfdi.serie,
        "folio": str(cfdi.folio),
        "periodo": run.period.key,
        "ejecucion": run.run_id,
    }
    if run.replaces is not None:
        detail["sustituye"] = run.replaces.uuid
        mark = GlobalInvoiceRef(run_id=run.run_id, period=run.period.key)
        for ref in refs:  # the sale moved to the re-issued global
            adapters.orders.note(ref, global_invoice=mark)
    kind = "GlobalInvoiceReissued" if run.replaces else "IncludedInGlobalInvoice"
    at = cfdi.stamped_at or iso(adapters.clock.now())
    adapters.orders.record_events(
        [
            (
                ref,
                HistoryEntry(event_type=kind, at=at, event_id=f"global-{cfdi.uuid}", detail=detail),
            )
            for ref in refs
        ]
    )
    adapters.events.publish(
        "GlobalInvoiceStamped",
        {
            "tenant_id": run.tenant_id,
            "occurred_at": at,
            "run_id": run.run_id,
            "period": run.period.key,
            "index": cfdi.index,  # its orders: the run's manifest of this index
            "uuid": cfdi.uuid,
            "serie": cfdi.serie,
            "folio": cfdi.folio,
            "total": cfdi.total,
            "orders": cfdi.order_count,
            "xml_key": cfdi.xml_key,
            **({"replaces": run.replaces.uuid} if run.replaces else {}),
        },
    )
    return work.put(cfdi, state=CfdiState.DELIVERED, pdf_key=pdf_key)


# ------------------------------------------------------------------------------- the seller
def _notify_seller(tenant: Tenant, run: GlobalRun, adapters: Adapters) -> None:
    """One email (split when the files are large) with every CFDI's XML and PDF, once."""
    if run.emailed_at or not run.cfdi_count:
        return
    stamped = [c for c in adapters.global_invoices.cfdis(tenant.tenant_id, run.run_id) if c.uuid]
    stamped = sorted(stamped, key=_index)[: run.cfdi_count]
    if tenant.contact_email:
        parts = _attachment_parts(stamped, adapters)
        for number, files in enumerate(parts, start=1):
            adapters.mailer.send(_seller_email(tenant, run, stamped, files, number, len(parts)))
    save_step(run, adapters, RunState.ISSUED, emailed_at=iso(adapters.clock.now()))


def _document(adapters: Adapters, cfdi: GlobalCfdi, key: str | None) -> bytes:
    """One of the CFDI's stored files (empty when it has none yet)."""
    if not key:
        return b""
    return adapters.documents.get(cfdi.tenant_id, key) or b""


def _attachment_parts(cfdis: Sequence[GlobalCfdi], adapters: Adapters) -> list[list[Attachment]]:
    parts: list[list[Attachment]] = [[]]
    size = 0
    for cfdi in cfdis:
        name = f"{cfdi.serie}{cfdi.folio}" if cfdi.folio else str(cfdi.uuid)
        files = [
            Attachment(f"{name}.xml", "application/xml", _document(adapters, cfdi, cfdi.xml_key)),
            Attachment(f"{name}.pdf", "application/pdf", _document(adapters, cfdi, cfdi.pdf_key)),
        ]
        weight = sum(len(f.data) for f in files)
        if parts[-1] and size + weight > EMAIL_ATTACHMENTS_BYTES:
            parts.append([])
            size = 0
        parts[-1].extend(files)
        size += weight
    return parts


def _seller_email(
    tenant: Tenant,
    run: GlobalRun,
    cfdis: Sequence[GlobalCfdi],
    files: list[Attachment],
    part: int,
    parts: int,
) -> Any:
    period = period_es(run.period.first_day, run.period.last_day)
    test = any(c.test_stamp for c in cfdis)
    subject = (
        f"Factura global de {period}"
        + (f" (parte {part} de {parts})" if parts > 1 else "")
        + (" (prueba, sin validez fiscal)" if test else "")
    )
    lines = [
        f"Emitimos la factura global de {period} a PUBLICO EN GENERAL: {run.order_count} "
        f"pedidos, total {amount(run.total_amount)}, en {run.cfdi_count} CFDI.",
        *(
            f"Folio {c.serie}{c.folio}: UUID {c.uuid}, {c.order_count} pedidos, "
            f"{amount(Decimal(c.total))}."
            for c in cfdis
        ),
    ]
    if run.replaces is not None:
        lines.insert(
            1,
            f"Sustituye a la factura global {run.replaces.uuid}, cancelada con el motivo 04 "
            f"porque {len(run.replaces.removed)} comprador(es) pidieron su propia factura.",
        )
    if test:
        lines.append("Timbrada en el ambiente de pruebas: no tiene validez fiscal.")
    if parts > 1:
        lines.append(f"Los archivos van en {parts} correos; este es el {part}.")
    email = render_email(
        "seller_notice",
        subject,
        str(tenant.contact_email),
        {"seller_name": tenant.name, "lines": lines},
    )
    return replace(email, attachments=tuple(files))


def _problem_of(exc: Exception) -> RunProblem:
    if isinstance(exc, RunProblem):
        return exc
    from postventa.cfdi.errors import PacTransientError
    from postventa.services.invoices import failure_of

    if isinstance(exc, PacTransientError):
        return RunProblem(
            "pac_no_disponible",
            f"El PAC no respondió ({exc.code}).",
            "No hace falta hacer nada: se reintenta en la siguiente ejecución.",
            notify=False,
        )
    failure = failure_of(exc)
    if failure is None:
        raise exc
    return RunProblem(failure.code, failure.reason, _global_action(failure.action))


def _global_action(action: str) -> str:
    """The lifecycle's advice ends in "reintenta el pedido"; a global invoice retries itself."""
    for tail in (" y reintenta el pedido.", " y reintenta.", ", y reintenta el pedido."):
        if action.endswith(tail):
            return (
                action.removesuffix(tail)
                + ": la factura global se emite en la siguiente ejecución."
            )
    return action


def _record_problem(
    tenant: Tenant, run: GlobalRun, problem: RunProblem, adapters: Adapters
) -> GlobalRun:
    """The run stays where it stopped, with the reason; the seller hears of each reason once."""
    now = iso(adapters.clock.now())
    tell = problem.notify and run.notified != problem.code and tenant.contact_email
    updated = run.model_copy(
        update={
            "error_code": problem.code,
            "error_reason": problem.reason,
            "error_action": problem.action,
            "error_at": now,
            "updated_at": now,
            "notified": problem.code if tell else run.notified,
        }
    )
    adapters.global_invoices.save_run(updated, expect=run.state)
    logger.warning("global invoice run stopped", extra={"run": run.run_id, "error": problem.code})
    if tell:
        period = period_es(run.period.first_day, run.period.last_day)
        adapters.mailer.send(
            render_email(
                "seller_notice",
                f"No pudimos emitir la factura global de {period}",
                str(tenant.contact_email),
                {
                    "seller_name": tenant.name,
                    "lines": [
                        f"La factura global de {period} no se pudo emitir: {problem.reason}",
                        problem.action,
                    ],
                },
            )
        )
    return updated
