"""The sweep: no order may sit in `recibido` or `datos_recibidos` unnoticed.

An order is `recibido` for the seconds between ingest and its billing request, and
`datos_recibidos` for the seconds between the buyer's data (or the channel's) and the lifecycle's
next step. One still there after STUCK_AFTER_SECONDS lost its way: its lifecycle never started
(the start failed after the order was stored and the queue gave up), or it ended without going
on. The sweep starts the missing lifecycle (the execution name makes that safe to repeat; an order
with data starts at the invoice, as a retry does) or, when the lifecycle is over, puts the order in
`error` with a reason the seller reads and the retry that fixes it. One tenant per call (the
schedule fans out per tenant: services/scheduled_jobs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from postventa.domain.clock import epoch, parse_iso
from postventa.domain.global_periods import answer_seconds
from postventa.domain.ports import Adapters
from postventa.domain.status import LIFECYCLE_LOST, OrderStatus
from postventa.observability import logger
from postventa.services.events import announce

STUCK_AFTER_SECONDS = 15 * 60
_LOST_BEFORE_ASKING = (
    "El proceso de facturación de este pedido terminó sin pedirle sus datos al comprador. "
    "Reintenta el pedido o inclúyelo en la factura global."
)
_LOST_WITH_DATA = (
    "El proceso de facturación de este pedido terminó con los datos del comprador pero sin "
    "facturarlo."
)


@dataclass
class SweepReport:
    checked: int = 0
    restarted: int = 0
    flagged: int = 0


def sweep_stuck_orders(adapters: Adapters, tenant_id: str) -> SweepReport:
    now = adapters.clock.now()
    report = SweepReport()
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        return report
    stuck = (
        record
        for status in (OrderStatus.RECEIVED, OrderStatus.DATA_RECEIVED)
        for record in adapters.orders.list_by_status(tenant_id, status)
    )
    for record in stuck:
        report.checked += 1
        if epoch(now) - epoch(parse_iso(record.status_changed_at)) < STUCK_AFTER_SECONDS:
            continue
        attempt = record.lifecycle_attempt
        with_data = record.status is OrderStatus.DATA_RECEIVED
        status = adapters.lifecycle.status(record.ref, attempt)
        if status is None:
            seconds = answer_seconds(tenant, record.order.paid_at, now)
            adapters.lifecycle.start(record.ref, seconds, attempt=attempt, with_data=with_data)
            announce(adapters, "LifecycleRestarted", record.ref)
            report.restarted += 1
        elif status != "RUNNING" and adapters.orders.apply(
            record.ref,
            LIFECYCLE_LOST,
            extra={
                "error_code": "ciclo_interrumpido",
                "error_reason": _LOST_WITH_DATA if with_data else _LOST_BEFORE_ASKING,
                "error_action": "Reintenta el pedido.",
            },
        ):
            announce(adapters, "OrderStuck", record.ref, lifecycle=status)
            report.flagged += 1
    logger.info(
        "sweep done",
        extra={"checked": report.checked, "restarted": report.restarted, "flagged": report.flagged},
    )
    return report
