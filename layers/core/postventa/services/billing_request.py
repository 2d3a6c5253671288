"""First lifecycle task: email the buyer a personal link to the billing form."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from postventa.domain.billing_links import global_period_end, link_expiry
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters, Email
from postventa.domain.status import BILLING_REQUESTED
from postventa.domain.tenants import Tenant
from postventa.errors import NotFoundError
from postventa.formatting import amount, date_es
from postventa.messaging.email import render_email
from postventa.observability import bind_order, logger
from postventa.services.events import announce


class BillingRequestTask(BaseModel):
    """The state machine's payload for SendBillingRequest (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    order: OrderRef
    deadline_seconds: int = Field(gt=0)


@dataclass(frozen=True)
class BillingRequestOutcome:
    sent: bool
    reason: str  # enviado | sin_email | plazo_vencido


def form_url(adapters: Adapters, token: str) -> str:
    return f"{adapters.settings.public_base_url.rstrip('/')}/facturar/{token}"


def send_billing_request(task: BillingRequestTask, adapters: Adapters) -> BillingRequestOutcome:
    ref = task.order
    bind_order(ref.tenant_id, ref.channel, ref.order_id)
    record = adapters.orders.get(ref)
    tenant = adapters.tenants.get(ref.tenant_id)
    if record is None or tenant is None:
        raise NotFoundError("Pedido no encontrado.")
    email = record.order.buyer.email
    if not email:
        # No way to reach the buyer: the deadline will route the order to the global invoice.
        adapters.orders.note(ref, billing_request_skipped="sin_email")
        logger.info("billing request not sent: order has no buyer email")
        return BillingRequestOutcome(sent=False, reason="sin_email")
    paid_at = record.order.paid_at
    expires_at = link_expiry(
        paid_at,
        adapters.clock.now(),
        task.deadline_seconds,
        period_end=global_period_end(tenant, paid_at),
    )
    if expires_at is None:
        # Paid longer ago than the deadline: no link; the deadline routes it to the global invoice.
        adapters.orders.note(ref, billing_request_skipped="plazo_vencido")
        logger.info("billing request not sent: the deadline counted from payment has passed")
        return BillingRequestOutcome(sent=False, reason="plazo_vencido")
    token = adapters.links.create(ref, task_token=task.task_token, expires_at=expires_at)
    adapters.mailer.send(
        billing_email(adapters, record, tenant, email, token, expires_at, reminder=False)
    )
    adapters.orders.apply(ref, BILLING_REQUESTED)
    announce(adapters, "BillingRequested", ref)
    logger.info("billing request sent")
    return BillingRequestOutcome(sent=True, reason="enviado")


def billing_email(
    adapters: Adapters,
    record: OrderRecord,
    tenant: Tenant,
    to: str,
    token: str,
    expires_at: int,
    *,
    reminder: bool,
) -> Email:
    order = record.order
    subject = (
        f"Recordatorio: solicita tu factura del pedido {order.display_number}"
        if reminder
        else f"Solicita tu factura del pedido {order.display_number}"
    )
    return render_email(
        "billing_request",
        subject,
        to,
        {
            "buyer_name": order.buyer.name or "",
            "seller_name": tenant.name,
            "order_number": order.display_number,
            "total": amount(order.total_paid, order.currency),  # "$1,057.10 MXN"
            "link": form_url(adapters, token),
            "expires_on": date_es(expires_at),
            "reminder": reminder,
        },
    )
