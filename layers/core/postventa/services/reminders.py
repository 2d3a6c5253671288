"""Daily reminder: buyers who got a billing link and have not used it get one reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postventa.domain.orders import OrderStatus
from postventa.messaging.email import send_email
from postventa.observability import logger
from postventa.services.billing_request import billing_email
from postventa.storage import form_tokens, orders
from postventa.storage.table import epoch
from postventa.storage.tenants import get_tenant, list_tenant_ids


@dataclass
class ReminderReport:
    checked: int = 0
    sent: int = 0


def send_due_reminders(now: int | None = None) -> ReminderReport:
    now = now if now is not None else epoch()
    report = ReminderReport()
    for tenant_id in list_tenant_ids():
        tenant = get_tenant(tenant_id)
        if tenant is None:
            continue
        for stored in orders.list_orders_by_status(tenant_id, OrderStatus.BILLING_REQUESTED):
            report.checked += 1
            order = stored.order
            requested_at = str(stored.item.get("gsi2sk", ""))
            if not requested_at or "reminder_sent_at" in stored.item or not order.buyer.email:
                continue
            age = now - datetime.fromisoformat(requested_at.replace("Z", "+00:00")).timestamp()
            if age < tenant.reminder_after_seconds:
                continue
            link = form_tokens.latest_form_link(tenant_id, order.channel.value, order.order_id)
            # Only while the lifecycle still waits and the link has at least a day left.
            if link is None or link.used_at or link.link_expires_at - now < 24 * 3600:
                continue
            if not orders.claim_once(
                tenant_id, order.channel.value, order.order_id, "reminder_sent_at"
            ):
                continue
            token = form_tokens.create_form_link(
                tenant_id,
                order.channel.value,
                order.order_id,
                task_token=link.task_token,
                link_expires_at=link.link_expires_at,
            )
            send_email(
                billing_email(
                    stored, tenant, order.buyer.email, token, link.link_expires_at, reminder=True
                )
            )
            report.sent += 1
    logger.info("reminders done", extra={"checked": report.checked, "sent": report.sent})
    return report
