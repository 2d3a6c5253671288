"""Cancelling invoices, and following each cancellation until SAT's answer is final.

- The seller's action (`request_cancellation`, seller API, no CFDI layer): checks what it can
  there (a valid invoice; the motivo's rules; the CFF 29-A deadline; for motivo 01 the fiscal
  data the substitute carries), records the request, moves the order and queues the work.
- The fiscal worker (`process`, CFDI layer): for motivo 01 issues the substitute first (its own
  folio, CfdiRelacionados TipoRelacion 04 naming the invoice it replaces, emailed to the buyer),
  then signs the request with the CSD and sends it to the PAC; follows the answer.
- The scheduled check (`check_tenant`, hourly): sends again what the PAC could not take (an
  outage) and asks about every cancellation waiting for the receptor (RMF 2.7.1.35: three
  business days; silence accepts), until accepted, rejected or expired.

The order shows each state (`cancellations` on the order, and its history); a rejected
cancellation leaves the invoice valid and says so. Rules: postventa.cfdi.cancel (motivos,
deadline, acceptance), docs/decisions/0007 and 0015.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.cancellations import CancellationState, GlobalCfdiKey, InvoiceCancellation
from postventa.domain.clock import iso, parse_iso
from postventa.domain.global_invoices import run_period_key
from postventa.domain.invoices import CancellationView, DocumentRef
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters
from postventa.domain.status import (
    CANCELLATION_FAILED,
    CANCELLATION_REJECTED,
    CANCELLATION_REQUESTED,
    INVOICE_CANCELLED,
    SUBSTITUTE_STAMPED,
    SUBSTITUTION_FAILED,
    SUBSTITUTION_STARTED,
    OrderStatus,
    Transition,
)
from postventa.domain.tenants import Tenant
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.observability import bind_order, logger
from postventa.services.events import announce

S = CancellationState
RFC_PUBLICO_EN_GENERAL = "XAXX010101000"
# Fields of the buyer's fiscal data a motivo-01 substitute may correct.
CORRECTABLE = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi")


class CancelBody(BaseModel):
    """POST /api/v1/orders/{channel}/{id}/cancel."""

    model_config = ConfigDict(extra="forbid")

    motivo: Literal["01", "02", "03", "04"]
    datos_fiscales: dict[str, str] | None = Field(
        None, description="motivo 01: corrected fiscal data the substitute carries"
    )


def _job(tenant_id: str, uuid: str) -> str:
    return json.dumps({"job": "cancellation", "tenant_id": tenant_id, "uuid": uuid})


# ------------------------------------------------------------------------------- the seller
def request_cancellation(ref: OrderRef, body: CancelBody, adapters: Adapters) -> dict[str, Any]:
    """Record the seller's request and queue it; the answer says where it stands."""
    from postventa.cfdi.cancel import check_cancellation_deadline, validate_motivo

    bind_order(ref.tenant_id, ref.channel, ref.order_id)
    record = adapters.orders.get(ref)
    tenant = adapters.tenants.get(ref.tenant_id)
    if record is None or tenant is None:
        raise NotFoundError("Pedido no encontrado.")
    invoice = record.invoice
    if record.status is not OrderStatus.INVOICED or invoice is None:
        raise ConflictError("Solo se cancela la factura vigente de un pedido facturado.")
    fiscal = dict(record.fiscal_data or {})
    es_global = str(fiscal.get("rfc", "")).upper() == RFC_PUBLICO_EN_GENERAL
    substitute = None
    if body.motivo == "01":
        substitute = _substitute_data(fiscal, body.datos_fiscales or {}, tenant)
    elif body.datos_fiscales:
        raise BadRequestError("Solo el motivo 01 lleva datos fiscales para el CFDI sustituto.")
    else:  # motivo 01's substitute UUID does not exist yet: checked when it is issued
        validate_motivo(invoice.uuid, body.motivo, None, es_global=es_global)
    rfc_emisor = tenant.issuer.rfc if tenant.issuer else ""
    now = adapters.clock.now()
    check_cancellation_deadline(parse_iso(invoice.stamped_at), rfc_emisor, now)

    asked = InvoiceCancellation(
        tenant_id=ref.tenant_id,
        uuid=invoice.uuid,
        motivo=body.motivo,
        state=S.SUBSTITUTING if substitute else S.REQUESTED,
        request_id=uuid4().hex,
        requested_at=iso(now),
        updated_at=iso(now),
        xml_key=invoice.xml_key,
        order=ref,
        substitute_data=substitute,
    )
    cancellation = _open(asked, adapters)
    transition = SUBSTITUTION_STARTED if substitute else CANCELLATION_REQUESTED
    extra = {"cancellations": _views(record, cancellation)}
    if not adapters.orders.apply(ref, transition, extra=extra):
        _finish(cancellation, S.REFUSED, adapters, reason="El pedido cambió de estado.")
        raise ConflictError("El pedido cambió de estado; vuelve a cargarlo.")
    announce(adapters, "CancellationRequested", ref, uuid=invoice.uuid, motivo=body.motivo)
    adapters.jobs.send("fiscal", [_job(ref.tenant_id, invoice.uuid)])
    return {"cancelacion": cancellation.view().model_dump(exclude_none=True)}


def _open(asked: InvoiceCancellation, adapters: Adapters) -> InvoiceCancellation:
    """The new cancellation, or a finished unsuccessful one asked again; never a second one
    while one is under way, nor one of a cancelled invoice."""
    stored = adapters.cancellations.open(asked)
    if stored.request_id == asked.request_id:
        return stored
    if not stored.state.is_final:
        raise ConflictError("Ya hay una cancelación en curso para esta factura.")
    if stored.state.cancelled:
        raise ConflictError("Esta factura ya está cancelada.")
    again = asked.model_copy(update={"version": stored.version})
    if not adapters.cancellations.save(again):
        raise ConflictError("Ya hay una cancelación en curso para esta factura.")
    return again


def _substitute_data(
    fiscal: dict[str, Any], corrections: dict[str, str], tenant: Tenant
) -> dict[str, Any]:
    """The buyer's fiscal data with the seller's corrections, valid by SAT's rules (a 400 with
    every field's problem otherwise)."""
    from postventa.cfdi.receptor import validate_receptor

    unknown = sorted(set(corrections) - set(CORRECTABLE))
    if unknown:
        raise BadRequestError(
            "Solo se corrigen estos datos fiscales: " + ", ".join(CORRECTABLE) + ".",
            details={"datos_fiscales": unknown},
        )
    merged = {**fiscal, **{k: v.strip() for k, v in corrections.items()}}
    lugar = tenant.issuer.codigo_postal if tenant.issuer else None
    result = validate_receptor(
        {k: merged.get(k, "") for k in CORRECTABLE},
        es_global=str(merged.get("rfc", "")).upper() == RFC_PUBLICO_EN_GENERAL,
        lugar_expedicion=lugar,
        rfc_confirmado=merged.get("rfc_confirmado") is True,
    )
    problems = {k: list(v) for k, v in result.errores.items() if v}
    problems.update({k: list(v) for k, v in result.pendientes().items() if v})
    if problems:
        raise BadRequestError(
            "Los datos fiscales del CFDI sustituto no son válidos.", details=problems
        )
    return {**merged, **{k: v for k, v in result.normalizado.items() if k in CORRECTABLE and v}}


def _views(record: OrderRecord, cancellation: InvoiceCancellation) -> list[CancellationView]:
    """The order's cancellations with this one's state (replaced, or added last)."""
    view = cancellation.view()
    kept = [v for v in record.cancellations if v.uuid != cancellation.uuid]
    return [*kept, view]


# ------------------------------------------------------------------------------- the worker
def process(tenant_id: str, uuid: str, adapters: Adapters) -> InvoiceCancellation | None:
    """Take the cancellation as far as it goes now (idempotent: the queue's message, a retry
    and the scheduled check may all call it)."""
    cancellation = adapters.cancellations.get(tenant_id, uuid)
    tenant = adapters.tenants.get(tenant_id)
    if cancellation is None or tenant is None or cancellation.state.is_final:
        return cancellation
    if cancellation.order is not None:
        bind_order(tenant_id, cancellation.order.channel, cancellation.order.order_id)
    if cancellation.state is S.SUBSTITUTING:
        cancellation = _substitute(tenant, cancellation, adapters)
    if cancellation.state is S.REQUESTED:
        return _send(tenant, cancellation, adapters)
    if cancellation.state is S.PENDING:
        return _follow(tenant, cancellation, adapters)
    return cancellation


def check_tenant(tenant_id: str, adapters: Adapters) -> dict[str, int]:
    """The scheduled check: every unfinished cancellation of the tenant, once."""
    checked = finished = 0
    for cancellation in adapters.cancellations.unfinished(tenant_id):
        checked += 1
        after = process(tenant_id, cancellation.uuid, adapters)
        finished += bool(after is not None and after.state.is_final)
    logger.info("cancellations checked", extra={"checked": checked, "finished": finished})
    return {"revisadas": checked, "terminadas": finished}


def open_global_cancellation(
    tenant: Tenant, key: GlobalCfdiKey, uuid: str, xml_key: str, adapters: Adapters
) -> InvoiceCancellation:
    """Motivo 04 for a global invoice's CFDI a re-issue replaces (sent at once)."""
    now = iso(adapters.clock.now())
    asked = InvoiceCancellation(
        tenant_id=tenant.tenant_id,
        uuid=uuid,
        motivo="04",
        state=S.REQUESTED,
        request_id=uuid4().hex,
        requested_at=now,
        updated_at=now,
        xml_key=xml_key,
        global_cfdi=key,
    )
    adapters.cancellations.open(asked)
    return process(tenant.tenant_id, uuid, adapters) or asked


def _cfdi(cancellation: InvoiceCancellation, adapters: Adapters) -> Any:
    from postventa.cfdi.parse import parse_cfdi

    xml = adapters.documents.get(cancellation.tenant_id, cancellation.xml_key)
    if xml is None:
        raise LookupError(f"the XML of {cancellation.uuid} is missing")
    return parse_cfdi(xml)


def _send(
    tenant: Tenant, cancellation: InvoiceCancellation, adapters: Adapters
) -> InvoiceCancellation:
    """Sign the request with the CSD and give it to the PAC."""
    from postventa.cfdi.cancel import (
        CancellationRequestError,
        cancellation_request,
        start_cancellation,
    )
    from postventa.cfdi.errors import PacDataRejectedError, PacError, PacTransientError
    from postventa.cfdi.seal import CsdError, signer_from_credentials
    from postventa.services.invoices import SetupError, csd_of

    now = adapters.clock.now()
    cfdi = _cfdi(cancellation, adapters)
    try:
        request = cancellation_request(
            uuid=cancellation.uuid,
            rfc_emisor=cfdi.emisor.rfc,
            rfc_receptor=cfdi.receptor.rfc,
            total=cfdi.total * (cfdi.tipo_cambio or Decimal(1)),
            motivo=cancellation.motivo,
            issued_at=datetime.fromisoformat(cfdi.fecha),
            es_global=cfdi.informacion_global is not None,
            folio_sustitucion=cancellation.substitute_uuid,
            signer=signer_from_credentials(csd_of(tenant, adapters)),
            requested_at=now,
        )
        result = adapters.pacs.for_tenant(tenant).cancel(request)
    except PacTransientError as exc:
        logger.info("cancellation not taken yet", extra={"error": exc.code})
        return _saved(cancellation, adapters, attempts=cancellation.attempts + 1)
    except (CancellationRequestError, PacDataRejectedError, CsdError) as exc:
        return _finish(cancellation, S.REFUSED, adapters, reason=exc.message)
    except SetupError as exc:
        return _finish(cancellation, S.REFUSED, adapters, reason=exc.reason)
    except PacError as exc:
        return _finish(cancellation, S.REFUSED, adapters, reason=f"El PAC respondió: {exc.message}")
    state = start_cancellation(request, result, now)
    if state.is_final:
        return _finish(cancellation, S(state.status.value), adapters, by="pac")
    updated = _saved(
        cancellation,
        adapters,
        state=S.PENDING,
        requires_acceptance=result.requires_acceptance,
        respond_by=state.respond_by.isoformat(timespec="seconds"),
        attempts=cancellation.attempts + 1,
    )
    _show(updated, adapters, "CancellationPending", respond_by=updated.respond_by)
    return updated


def _follow(
    tenant: Tenant, cancellation: InvoiceCancellation, adapters: Adapters
) -> InvoiceCancellation:
    """Ask the PAC (SAT) whether the receptor answered; the clock decides after three days."""
    from postventa.cfdi.cancel import CancellationState as EngineState
    from postventa.cfdi.cancel import advance, mexico_local
    from postventa.cfdi.errors import PacError
    from postventa.cfdi.pac.base import CancellationMotivo, CancellationStatus

    now = adapters.clock.now()
    cfdi = _cfdi(cancellation, adapters)
    try:
        answer = adapters.pacs.for_tenant(tenant).status(
            cancellation.uuid,
            cfdi.emisor.rfc,
            cfdi.receptor.rfc,
            cfdi.total * (cfdi.tipo_cambio or Decimal(1)),
        )
    except PacError as exc:  # SAT's status service down: the clock still runs
        logger.info("cancellation status not available", extra={"error": exc.code})
        answer = None
    requested = mexico_local(parse_iso(cancellation.requested_at))
    state = EngineState(
        uuid=cancellation.uuid.upper(),
        motivo=CancellationMotivo(cancellation.motivo),
        status=CancellationStatus.PENDING,
        requires_acceptance=bool(cancellation.requires_acceptance),
        requested_at=requested,
        respond_by=datetime.fromisoformat(cancellation.respond_by or requested.isoformat()),
    )
    after = advance(state, answer, now)
    if not after.is_final:
        return cancellation
    return _finish(cancellation, S(after.status.value), adapters, by=after.source.value)


def _saved(
    cancellation: InvoiceCancellation, adapters: Adapters, **changes: Any
) -> InvoiceCancellation:
    updated = cancellation.model_copy(update={**changes, "updated_at": iso(adapters.clock.now())})
    if not adapters.cancellations.save(updated):
        raise RuntimeError(f"cancellation {cancellation.uuid} changed meanwhile; try again")
    return updated


# What the order does when its cancellation ends (motivo 01 leaves it with its substitute).
_ORDER_MOVES: dict[CancellationState, Transition] = {
    S.ACCEPTED: INVOICE_CANCELLED,
    S.EXPIRED: INVOICE_CANCELLED,
    S.REJECTED: CANCELLATION_REJECTED,
    S.REFUSED: CANCELLATION_FAILED,
}
_REASONS = {
    S.REJECTED: "La persona que recibió la factura rechazó la cancelación: la factura sigue "
    "vigente. Acuerda con ella y vuelve a solicitarla si corresponde.",
}
_HISTORY = {
    S.ACCEPTED: "InvoiceCancelled",
    S.EXPIRED: "InvoiceCancelled",
    S.REJECTED: "CancellationRejected",
    S.REFUSED: "CancellationRefused",
}


def _finish(
    cancellation: InvoiceCancellation,
    state: CancellationState,
    adapters: Adapters,
    *,
    reason: str | None = None,
    by: str = "pac",
) -> InvoiceCancellation:
    reason = reason or _REASONS.get(state)
    if state is S.REFUSED and reason:
        reason = f"{reason} La factura sigue vigente."
    done = _saved(
        cancellation,
        adapters,
        state=state,
        decided_at=iso(adapters.clock.now()),
        decided_by=by,
        reason=reason,
    )
    ref = done.order
    if ref is not None:
        record = adapters.orders.get(ref)
        views = _views(record, done) if record else [done.view()]
        # Motivo 01: the order already carries the substitute; the old invoice's fate is only
        # recorded. Otherwise the order follows its invoice.
        move = None if done.substitute_uuid else _ORDER_MOVES[state]
        if move is None or not adapters.orders.apply(ref, move, extra={"cancellations": views}):
            adapters.orders.note(ref, cancellations=views)
        if state.cancelled:
            announce(
                adapters,
                "InvoiceCancelled",
                ref,
                uuid=done.uuid,
                motivo=done.motivo,
                status=state.value,
            )
        else:
            announce(adapters, _HISTORY[state], ref, uuid=done.uuid, reason=reason)
    elif done.global_cfdi is not None and state.cancelled:
        _announce_global_cancelled(done, done.global_cfdi, adapters)
    logger.info("cancellation finished", extra={"uuid": done.uuid, "state": state.value})
    return done


def _announce_global_cancelled(
    done: InvoiceCancellation, cfdi: GlobalCfdiKey, adapters: Adapters
) -> None:
    """A CFDI of the global invoice is cancelled (tenant-level, no order: the audit's rule
    takes only events naming an order; the ERP's takes this one, decision 0014)."""
    adapters.events.publish(
        "GlobalInvoiceCancelled",
        {
            "tenant_id": done.tenant_id,
            "occurred_at": done.decided_at or iso(adapters.clock.now()),
            "run_id": cfdi.run_id,
            "period": run_period_key(cfdi.run_id),
            "index": cfdi.index,
            "uuid": done.uuid,
            "motivo": done.motivo,
            "status": done.state.value,
        },
    )


def _show(cancellation: InvoiceCancellation, adapters: Adapters, event: str, **extra: Any) -> None:
    """The order's view of its cancellations, and a line in its history."""
    ref = cancellation.order
    if ref is None:
        return
    record = adapters.orders.get(ref)
    if record is not None:
        adapters.orders.note(ref, cancellations=_views(record, cancellation))
    announce(adapters, event, ref, uuid=cancellation.uuid, **extra)


# ------------------------------------------------------------------------------- motivo 01
def _substitute(
    tenant: Tenant, cancellation: InvoiceCancellation, adapters: Adapters
) -> InvoiceCancellation:
    """Issue the substitute (TipoRelacion 04 naming the invoice it replaces) before the
    cancellation is sent; the order's invoice becomes the substitute."""
    from postventa.cfdi.errors import PacTransientError, ReceptorInvalidError
    from postventa.cfdi.relations import relacion_sustitucion
    from postventa.cfdi.stamping import stamp_xml
    from postventa.services import invoices

    ref = cancellation.order
    record = adapters.orders.get(ref) if ref else None
    if ref is None or record is None:
        return _finish(cancellation, S.REFUSED, adapters, reason="El pedido ya no existe.")
    holder = DocumentRef.substitute(ref.tenant_id, ref.channel, ref.order_id, cancellation.uuid)
    reservation = adapters.folios.reserve(holder)
    if reservation is None:  # the scheduled check tries again once folios are added
        return _saved(
            cancellation,
            adapters,
            reason="Sin folios para timbrar el CFDI sustituto: agrega folios y se emite solo.",
        )
    fiscal = dict(cancellation.substitute_data or {})
    try:
        sealed = invoices.sealed_order_document(
            record,
            tenant,
            reservation.number,
            adapters,
            fiscal_data=fiscal,
            relacionados=[relacion_sustitucion(cancellation.uuid)],
        )
        pac = adapters.pacs.for_tenant(tenant)
        result = stamp_xml(sealed, pac)  # SAT's matrix first, as for every CFDI we send
    except PacTransientError as exc:
        logger.info("substitute not stamped yet", extra={"error": exc.code})
        return _saved(cancellation, adapters, attempts=cancellation.attempts + 1)
    except ReceptorInvalidError as exc:
        return _substitute_failed(cancellation, holder, adapters, exc.message)
    except Exception as exc:
        failure = invoices.failure_of(exc)
        if failure is None:
            raise
        return _substitute_failed(cancellation, holder, adapters, failure.reason)
    invoice = invoices.stored_invoice(ref, tenant, result, pac, adapters)
    adapters.folios.spend(holder)
    done = _saved(
        cancellation, adapters, state=S.REQUESTED, substitute_uuid=invoice.uuid, reason=None
    )
    moved = adapters.orders.apply(
        ref,
        SUBSTITUTE_STAMPED,
        extra={
            "invoice": invoice,
            "fiscal_data": fiscal,
            "sealed_key": None,
            "invoice_emailed_at": None,
            "cancellations": _views(record, done),
        },
    )
    if moved:
        invoices.announce_stamped(adapters, ref, invoice, sustituye=cancellation.uuid)
        try:
            invoices.deliver(ref, adapters)
        except Exception:  # the substitute is valid; the seller can resend the email
            logger.exception("substitute stamped but not emailed")
    return done


def _substitute_failed(
    cancellation: InvoiceCancellation, holder: DocumentRef, adapters: Adapters, reason: str
) -> InvoiceCancellation:
    adapters.folios.release(holder)
    done = _saved(
        cancellation,
        adapters,
        state=S.REFUSED,
        decided_at=iso(adapters.clock.now()),
        reason=f"No se pudo emitir el CFDI sustituto: {reason} La factura sigue vigente.",
    )
    ref = done.order
    if ref is not None:
        record = adapters.orders.get(ref)
        views = _views(record, done) if record else [done.view()]
        adapters.orders.apply(
            ref, SUBSTITUTION_FAILED, extra={"cancellations": views, "sealed_key": None}
        )
        announce(adapters, "CancellationRefused", ref, uuid=done.uuid, reason=done.reason)
    return done
