"""Daily reminder: buyers who got a billing link and have not used it get one reminder, in the
tenant's words for the order's channel, through the same messenger. One tenant per call (the
schedule fans out per tenant: services/scheduled_jobs.py)."""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.messaging import MessagingUnavailableError
from postventa.domain.billing_links import LinkState
from postventa.domain.clock import epoch, iso, parse_iso
from postventa.domain.ports import Adapters
from postventa.domain.status import OrderStatus
from postventa.observability import logger
from postventa.services.billing_request import send_billing_message
from postventa.services.events import announce

# A reminder is worth sending only while the link has at least this long left.
MIN_TIME_LEFT_SECONDS = 24 * 3600


@dataclass
class ReminderReport:
    checked: int = 0
    sent: int = 0


def send_due_reminders(adapters: Adapters, tenant_id: str) -> ReminderReport:
    now_dt = adapters.clock.now()
    now = epoch(now_dt)
    report = ReminderReport()
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        return report
    for record in adapters.orders.list_by_status(tenant_id, OrderStatus.BILLING_REQUESTED):
        report.checked += 1
        if record.reminder_sent_at or adapters.messenger.unreachable_reason(record.order):
            continue
        age = now - epoch(parse_iso(record.status_changed_at))
        if age < tenant.reminder_after_seconds:
            continue
        link = adapters.links.latest(record.ref)
        # Only while the lifecycle still waits and the link has time left.
        if (
            link is None
            or link.state(record.status, now, record.correction_rounds) is not LinkState.OPEN
            or link.expires_at - now < MIN_TIME_LEFT_SECONDS
        ):
            continue
        if not adapters.orders.claim_once(record.ref, "reminder_sent_at", iso(now_dt)):
            continue
        token = adapters.links.create(
            record.ref, task_token=link.task_token, expires_at=link.expires_at, round=link.round
        )
        try:
            send_billing_message(adapters, record, tenant, token, link.expires_at, reminder=True)
        except MessagingUnavailableError as exc:
            # A marketplace allows few messages a sale (Mercado Libre: one per reason): the
            # reminder is not possible there; the next orders still get theirs.
            announce(adapters, "ReminderNotSent", record.ref, reason=exc.reason)
            continue
        report.sent += 1
    logger.info("reminders done", extra={"checked": report.checked, "sent": report.sent})
    return report
