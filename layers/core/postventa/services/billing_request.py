"""First lifecycle task: email the buyer a personal link to the billing form."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from postventa.domain.orders import OrderStatus
from postventa.errors import NotFoundError
from postventa.messaging.email import Email, render_email, send_email
from postventa.messaging.events import order_detail, publish
from postventa.observability import bind_order, logger
from postventa.services.formatting import amount, date_es
from postventa.settings import get_settings
from postventa.storage import form_tokens, orders
from postventa.storage.orders import StoredOrder
from postventa.storage.table import epoch
from postventa.storage.tenants import Tenant, get_tenant


class OrderRef(BaseModel):
    tenant_id: str
    channel: str
    order_id: str


class BillingRequestTask(BaseModel):
    """The state machine's payload for SendBillingRequest (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    order: OrderRef
    deadline_seconds: int = Field(gt=0)


@dataclass(frozen=True)
class BillingRequestOutcome:
    sent: bool
    reason: str


def link_expiry(now: int, deadline_seconds: int) -> int:
    """A link lives the shorter of the product's TTL and the tenant's billing deadline."""
    ttl = get_settings().form_token_ttl_days * 24 * 3600
    return now + min(ttl, deadline_seconds)


def form_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/facturar/{token}"


def send_billing_request(task: BillingRequestTask) -> BillingRequestOutcome:
    ref = task.order
    bind_order(ref.tenant_id, ref.channel, ref.order_id)
    stored = orders.get_order(ref.tenant_id, ref.channel, ref.order_id)
    tenant = get_tenant(ref.tenant_id)
    if stored is None or tenant is None:
        raise NotFoundError("Pedido no encontrado.")
    email = stored.order.buyer.email
    if not email:
        # No way to reach the buyer: the deadline will route the order to the global invoice.
        orders.set_attributes(
            ref.tenant_id, ref.channel, ref.order_id, {"billing_request_skipped": "sin_email"}
        )
        logger.info("billing request not sent: order has no buyer email")
        return BillingRequestOutcome(sent=False, reason="sin_email")
    expires_at = link_expiry(epoch(), task.deadline_seconds)
    token = form_tokens.create_form_link(
        ref.tenant_id,
        ref.channel,
        ref.order_id,
        task_token=task.task_token,
        link_expires_at=expires_at,
    )
    send_email(billing_email(stored, tenant, email, token, expires_at, reminder=False))
    orders.change_status(
        ref.tenant_id,
        ref.channel,
        ref.order_id,
        to=OrderStatus.BILLING_REQUESTED,
        allowed_from=(OrderStatus.RECEIVED,),
    )
    publish("BillingRequested", order_detail(ref.tenant_id, ref.channel, ref.order_id))
    logger.info("billing request sent")
    return BillingRequestOutcome(sent=True, reason="enviado")


def billing_email(
    stored: StoredOrder, tenant: Tenant, to: str, token: str, expires_at: int, *, reminder: bool
) -> Email:
    order = stored.order
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
            "link": form_url(token),
            "expires_on": date_es(expires_at),
            "reminder": reminder,
        },
    )
