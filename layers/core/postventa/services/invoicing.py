"""The invoice lifecycle's steps after the buyer's data, except stamping (services/invoices.py):
the seller's inbox, folios, the correction loop and failures. Each function is one state of the
state machine (infra/statemachines/invoice_lifecycle.asl.json) or one seller action that answers
a waiting state; every status change is a transition of domain/status.py and a history event.

Tasks that wait (the inbox, the folios, the buyer's correction) keep their task token on the
order (or, for the buyer, in the billing link); the seller's action or the buyer's form answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from postventa.domain.billing_links import correction_expiry
from postventa.domain.global_periods import answer_seconds
from postventa.domain.invoices import Correction
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters, TaskClosedError
from postventa.domain.status import (
    FOLIO_RESERVED,
    FOLIOS_EXHAUSTED,
    HELD_IN_INBOX,
    INVOICING_FAILED,
    RETRIED_FROM_START,
    RETRIED_WITH_DATA,
    SELLER_REJECTED_DATA,
    OrderStatus,
)
from postventa.errors import ConflictError, PostventaError
from postventa.formatting import amount, date_es
from postventa.messaging.email import render_email
from postventa.observability import logger
from postventa.services.events import announce
from postventa.services.order_context import load_order


class LifecycleTask(BaseModel):
    """What the state machine sends to InvoiceTasksFunction (references only, no personal data)."""

    task: Literal[
        "decide",
        "hold_in_inbox",
        "reserve_folio",
        "wait_for_folios",
        "ask_for_correction",
        "record_failure",
    ]
    order: OrderRef
    task_token: str | None = None
    deadline_seconds: int | None = Field(None, gt=0)
    failure: dict[str, Any] | None = None
    # Decide: what the buyer's form answered the waiting task with (references only), or None
    # when the execution resumes with data it already had (a retry).
    billing: dict[str, Any] | None = None


def run_task(task: LifecycleTask, adapters: Adapters) -> dict[str, Any]:
    """One state of the lifecycle; waiting states return at once (their token is answered later)."""
    ref = task.order
    match task.task:
        case "decide":
            return {"route": decide(ref, adapters, data_received=task.billing is not None).route}
        case "hold_in_inbox":
            hold_in_inbox(ref, _token(task), adapters)
        case "reserve_folio":
            return reserve_folio(ref, adapters)
        case "wait_for_folios":
            wait_for_folios(ref, _token(task), adapters)
        case "ask_for_correction":
            ask_for_correction(ref, _token(task), task.deadline_seconds or 7 * 24 * 3600, adapters)
        case "record_failure":
            record_failure(ref, task.failure or {}, adapters)
    return {}


def _token(task: LifecycleTask) -> str:
    if not task.task_token:
        raise ValueError(f"{task.task} waits for a task token and got none")
    return task.task_token


class CorrectionRoundsExhaustedError(PostventaError):
    """The buyer was asked to correct their data as many times as the tenant allows."""

    code = "correcciones_agotadas"


@dataclass(frozen=True)
class Decision:
    route: Literal["inbox", "invoice"]


# ---------------------------------------------------------------- after the buyer's data
def decide(ref: OrderRef, adapters: Adapters, *, data_received: bool = False) -> Decision:
    """Straight to invoicing, or first to the seller's inbox (auto-invoicing off).

    `data_received`: the buyer's form just answered (the first time or after a correction), so
    the history says so here, in the same state (one Step Functions transition instead of two of
    its own: docs/decisions/0011)."""
    _record, tenant = load_order(ref, adapters)
    if data_received:
        announce(adapters, "BillingDataReceived", ref)
    return Decision("invoice" if tenant.auto_invoice else "inbox")


def hold_in_inbox(ref: OrderRef, task_token: str, adapters: Adapters) -> None:
    record, tenant = load_order(ref, adapters)
    if adapters.orders.apply(ref, HELD_IN_INBOX, extra={"waiting_token": task_token}):
        announce(adapters, "OrderHeldInInbox", ref)
        if tenant.contact_email:
            adapters.mailer.send(
                render_email(
                    "seller_notice",
                    f"Pedido {record.order.display_number}: datos fiscales por revisar",
                    tenant.contact_email,
                    {
                        "seller_name": tenant.name,
                        "lines": [
                            f"El comprador del pedido {record.order.display_number} "
                            f"({amount(record.order.total_paid, record.order.currency)}) envió "
                            "sus datos fiscales.",
                            "La facturación automática está apagada: apruébalo o recházalo "
                            "con un motivo desde tu panel o la API.",
                        ],
                    },
                )
            )
    else:  # a retry of this task: keep the newest token
        adapters.orders.note(ref, waiting_token=task_token)


def answer_inbox(
    ref: OrderRef, adapters: Adapters, *, approve: bool, reason: str | None = None
) -> None:
    """The seller's decision on an order in the inbox: approve (it is invoiced) or reject with
    a reason the buyer reads beside the form (they get a link to correct their data)."""
    record, _tenant = load_order(ref, adapters)
    if record.status is not OrderStatus.IN_INBOX or not record.waiting_token:
        raise ConflictError("El pedido no está en la bandeja de aprobación.")
    if not approve:
        if not reason or not reason.strip():
            raise ConflictError("Para rechazar los datos escribe el motivo que leerá el comprador.")
        correction = Correction(
            field=None,
            message=reason.strip()[:500],
            source="vendedor",
            round=record.correction_rounds + 1,
        )
        if not adapters.orders.apply(ref, SELLER_REJECTED_DATA, extra={"correction": correction}):
            raise ConflictError("El pedido ya no está en la bandeja de aprobación.")
    try:
        adapters.lifecycle.complete_task(
            record.waiting_token, {"approved": approve, "reason": reason or ""}
        )
    except TaskClosedError:
        raise ConflictError("El pedido ya no espera una decisión.") from None
    adapters.orders.note(ref, waiting_token=None)
    announce(adapters, "InboxApproved" if approve else "InboxRejected", ref)


# ---------------------------------------------------------------- folios
def reserve_folio(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    """Hold a folio for this order's invoice (the same one on a retry), or say there is none.

    The Stamp state reserves first (services/invoices.py); the `reserve_folio` task stays for
    executions started before the ReserveFolio state was folded into Stamp."""
    load_order(ref, adapters)
    reservation = adapters.folios.reserve(ref)
    if reservation is None:
        if adapters.orders.apply(ref, FOLIOS_EXHAUSTED):
            announce(adapters, "FoliosExhausted", ref)
        return {"reserved": False}
    if adapters.orders.apply(ref, FOLIO_RESERVED):
        announce(adapters, "FolioReserved", ref, folio=reservation.number)
    return {"reserved": True, "folio": reservation.number}


def wait_for_folios(ref: OrderRef, task_token: str, adapters: Adapters) -> None:
    """Park the order until folios are added (`add_folios` wakes it); the seller is told once
    per time the account runs dry."""
    _record, tenant = load_order(ref, adapters)
    adapters.orders.note(ref, waiting_token=task_token)
    account = adapters.folios.account(ref.tenant_id)
    if account is not None and account.available > 0:
        _wake(ref, task_token, adapters)  # folios arrived while this task was starting
        return
    if tenant.contact_email and adapters.folios.notice_empty_once(ref.tenant_id):
        adapters.mailer.send(
            render_email(
                "seller_notice",
                "Te quedaste sin folios: hay facturas esperando",
                tenant.contact_email,
                {
                    "seller_name": tenant.name,
                    "lines": [
                        "Tu cuenta no tiene folios para timbrar. Los pedidos con datos fiscales "
                        "esperan en «sin folios» y se facturan solos en cuanto agregues folios.",
                    ],
                },
            )
        )


def add_folios(tenant_id: str, count: int, adapters: Adapters) -> dict[str, Any]:
    """Add folios and wake every order that waits for them."""
    if count <= 0 or count > 1_000_000:
        raise ConflictError("La cantidad de folios debe ser un número entre 1 y 1,000,000.")
    account = adapters.folios.add(tenant_id, count)
    woken = 0
    for record in adapters.orders.list_by_status(tenant_id, OrderStatus.NO_FOLIOS):
        if record.waiting_token and _wake(record.ref, record.waiting_token, adapters):
            woken += 1
    logger.info("folios added", extra={"count": count, "woken": woken})
    return {"disponibles": account.available, "pedidos_reanudados": woken}


def _wake(ref: OrderRef, task_token: str, adapters: Adapters) -> bool:
    try:
        adapters.lifecycle.complete_task(task_token, {"folios": "agregados"})
    except TaskClosedError:
        return False
    adapters.orders.note(ref, waiting_token=None)
    return True


# ---------------------------------------------------------------- the buyer corrects
def ask_for_correction(
    ref: OrderRef, task_token: str, deadline_seconds: int, adapters: Adapters
) -> None:
    """Email the buyer a new link to the form, pre-filled, with the complaint beside the field;
    after the tenant's rounds, give up (the state machine records the failure)."""
    record, tenant = load_order(ref, adapters)
    rounds = record.correction_rounds + 1
    if rounds > tenant.correction_rounds:
        raise CorrectionRoundsExhaustedError(
            f"El comprador corrigió sus datos {record.correction_rounds} veces y el PAC los "
            "sigue rechazando."
        )
    email = (record.fiscal_data or {}).get("email") or record.order.buyer.email
    if not email and not _reachable_on_channel(record, adapters):
        raise CorrectionRoundsExhaustedError(
            "No hay un correo del comprador para pedirle la corrección."
        )
    expires_at = correction_expiry(adapters.clock.now(), deadline_seconds)
    token = adapters.links.create(ref, task_token=task_token, expires_at=expires_at, round=rounds)
    if not email:
        # The data came from the channel (Mercado Libre's billing info) and the channel hides
        # the buyer's address: ask through the channel's messaging, with the new link.
        from postventa.services.billing_request import send_billing_message

        send_billing_message(adapters, record, tenant, token, expires_at, reminder=False)
        adapters.orders.note(ref, correction_rounds=rounds)
        announce(adapters, "CorrectionRequested", ref, round=rounds, source="canal")
        return
    correction = record.correction or Correction(
        message="Revisa tus datos fiscales.", source="pac", round=rounds
    )
    adapters.mailer.send(
        render_email(
            "correction_request",
            f"Corrige tus datos para facturar el pedido {record.order.display_number}",
            str(email),
            {
                "buyer_name": record.order.buyer.name or "",
                "seller_name": tenant.name,
                "order_number": record.order.display_number,
                "reason": correction.message,
                "link": f"{adapters.settings.public_base_url.rstrip('/')}/facturar/{token}",
                "expires_on": date_es(expires_at),
            },
        )
    )
    adapters.orders.note(ref, correction_rounds=rounds)
    announce(adapters, "CorrectionRequested", ref, round=rounds, source=correction.source)


def _reachable_on_channel(record: OrderRecord, adapters: Adapters) -> bool:
    """The buyer can be messaged through the order's own channel (a marketplace's messaging)."""
    from postventa.domain.messages import rules_for

    order = record.order
    return (
        rules_for(order.channel).delivery == "mensajeria"
        and adapters.messenger.unreachable_reason(order) is None
    )


# ---------------------------------------------------------------- failures and retries
def record_failure(ref: OrderRef, failure: dict[str, Any], adapters: Adapters) -> None:
    """The invoice cannot be made until the seller acts: the reason, and what fixes it.

    `failure` is the stamping step's own outcome ({code, reason, action}) or, for an error the
    state machine caught, its {Error, Cause}; the Cause stays in the execution for operators."""
    load_order(ref, adapters)
    adapters.folios.release(ref)
    code = str(failure.get("code") or failure.get("Error") or "error")
    reason = str(
        failure.get("reason")
        or _KNOWN_FAILURES.get(code)
        or "La factura no se pudo generar por un error inesperado."
    )
    action = str(failure.get("action") or "Revisa el motivo y reintenta el pedido.")
    if adapters.orders.apply(
        ref,
        INVOICING_FAILED,
        extra={"error_code": code, "error_reason": reason, "error_action": action},
    ):
        announce(adapters, "InvoiceFailed", ref, code=code)
    logger.warning("invoicing failed", extra={"error": code})


_KNOWN_FAILURES = {
    CorrectionRoundsExhaustedError.code: "El comprador no logró corregir sus datos fiscales en "
    "las rondas permitidas.",
    "TransientError": "El PAC o un servicio no respondió durante horas; la factura no se emitió.",
    "States.Timeout": "Nadie aprobó ni rechazó el pedido en la bandeja a tiempo.",
}


def retry(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    """The seller fixed the cause: invoice again with the data we have, or ask the buyer again
    from the start when there is none. A new lifecycle execution, so the old one's history stays."""
    record, tenant = load_order(ref, adapters)
    if record.status is not OrderStatus.ERROR:
        raise ConflictError("Solo se reintenta un pedido en error.")
    with_data = bool(record.fiscal_data)
    transition = RETRIED_WITH_DATA if with_data else RETRIED_FROM_START
    attempt = record.lifecycle_attempt + 1
    extra = {
        "error_code": None,
        "error_reason": None,
        "error_action": None,
        "correction_rounds": 0,
        "correction": None,
        "lifecycle_attempt": attempt,
    }
    if not adapters.orders.apply(ref, transition, extra=extra):
        raise ConflictError("El pedido cambió de estado; vuelve a cargarlo.")
    seconds = answer_seconds(tenant, record.order.paid_at, adapters.clock.now())
    started = adapters.lifecycle.start(ref, seconds, attempt=attempt, with_data=with_data)
    announce(adapters, "OrderRetried", ref, with_data=with_data)
    return {"reintentado": started, "desde": "facturación" if with_data else "solicitud"}
