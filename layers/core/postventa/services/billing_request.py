"""First lifecycle task: send the buyer a personal link to the billing form, through the order's
channel, in the tenant's own words for that channel."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from postventa.channels.messaging import MessagingUnavailableError
from postventa.domain.billing_links import link_expiry
from postventa.domain.clock import epoch
from postventa.domain.global_periods import global_period_end
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters
from postventa.domain.status import BILLING_REQUESTED
from postventa.domain.tenants import Tenant
from postventa.observability import logger
from postventa.services.billing_messages import (
    ComposedMessage,
    compose_billing_message,
    order_values,
)
from postventa.services.events import announce
from postventa.services.order_context import load_order


class BillingRequestTask(BaseModel):
    """The state machine's payload for SendBillingRequest (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    order: OrderRef
    deadline_seconds: int = Field(gt=0)


SWITCHED_OFF = "desactivado_por_vendedor"


@dataclass(frozen=True)
class BillingRequestOutcome:
    sent: bool
    # enviado | sin_email | canal_sin_mensajeria | canal_desconectado | plazo_vencido |
    # desactivado_por_vendedor | <the channel's own reason>
    reason: str


def send_billing_request(task: BillingRequestTask, adapters: Adapters) -> BillingRequestOutcome:
    ref = task.order
    record, tenant = load_order(ref, adapters)
    unreachable = adapters.messenger.unreachable_reason(record.order)
    if unreachable is None and not tenant.messaging_for(ref.channel).billing_request:
        unreachable = SWITCHED_OFF  # the seller turned the billing request off for the channel
    if unreachable is not None:
        # No way to reach the buyer on this channel (no email; a marketplace whose messenger
        # does not exist yet, never emailed behind its back): the deadline will route the order
        # to the global invoice.
        adapters.orders.note(ref, billing_request_skipped=unreachable)
        logger.info("billing request not sent", extra={"reason": unreachable})
        return BillingRequestOutcome(sent=False, reason=unreachable)
    paid_at = record.order.paid_at
    # The tenant's deadline counts from the payment, and the sale's global-invoice period bounds
    # it (decision 0015); the lifecycle's own wait (the task's seconds, capped by the
    # deployment's BillingDeadlineSeconds) bounds it too: the link never outlives the wait.
    now = adapters.clock.now()
    expires_at = link_expiry(
        paid_at,
        now,
        tenant.billing_deadline_seconds,
        period_end=global_period_end(tenant, paid_at),
    )
    if expires_at is not None:
        expires_at = min(expires_at, epoch(now) + task.deadline_seconds)
    if expires_at is None:
        # Paid longer ago than the deadline: no link; the deadline routes it to the global invoice.
        adapters.orders.note(ref, billing_request_skipped="plazo_vencido")
        logger.info("billing request not sent: the deadline counted from payment has passed")
        return BillingRequestOutcome(sent=False, reason="plazo_vencido")
    token = adapters.links.create(ref, task_token=task.task_token, expires_at=expires_at)
    try:
        composed = send_billing_message(adapters, record, tenant, token, expires_at, reminder=False)
    except MessagingUnavailableError as exc:
        # The marketplace will not take the message (no messages left for the sale, the
        # conversation blocked): like an unreachable buyer, the deadline routes the order to
        # the global invoice; the seller sees why in the history.
        adapters.orders.note(ref, billing_request_skipped=exc.reason)
        announce(adapters, "BillingRequestNotSent", ref, reason=exc.reason)
        logger.info("billing request refused by the channel", extra={"reason": exc.reason})
        return BillingRequestOutcome(sent=False, reason=exc.reason)
    adapters.orders.apply(ref, BILLING_REQUESTED)
    # The history says which template went out (and why the tenant's own was set aside).
    detail: dict[str, object] = {"plantilla": composed.template}
    if composed.refused:
        detail["plantilla_rechazada"] = list(composed.refused)
    announce(adapters, "BillingRequested", ref, **detail)
    logger.info("billing request sent")
    return BillingRequestOutcome(sent=True, reason="enviado")


def send_billing_message(
    adapters: Adapters,
    record: OrderRecord,
    tenant: Tenant,
    token: str,
    expires_at: int,
    *,
    reminder: bool,
) -> ComposedMessage:
    """Render the tenant's message for the order's channel and send it through the messenger."""
    values = order_values(adapters, record, tenant, token, expires_at, reminder=reminder)
    composed = compose_billing_message(adapters, record, tenant, values)
    adapters.messenger.send_billing_message(record.order, composed.message)
    return composed
