"""The order's history, written from every order domain event on the bus."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from postventa.domain.clock import iso, parse_iso
from postventa.domain.orders import OrderRef
from postventa.domain.ports import Adapters, HistoryEntry

_ORDER_FIELDS = ("tenant_id", "channel", "order_id")


class OrderEvent(EventBridgeModel):
    """An order domain event as EventBridge delivers it: Powertools' envelope, every field
    required (version, id, detail-type, source, account, time, region, resources); the detail
    identifies the order and carries no personal data."""

    detail: dict[str, Any]


def record_order_event(event: OrderEvent, adapters: Adapters) -> bool:
    """Append the event to its order's history; False for a redelivered event.

    The entry's time is the moment the publisher says it happened (`occurred_at`, milliseconds,
    or the state machine's EnteredTime), falling back to the event's own one-second time."""
    detail = dict(event.detail)
    ref = OrderRef(**{k: str(detail[k]) for k in _ORDER_FIELDS})
    occurred = str(detail.pop("occurred_at", "") or "")
    # One format for every entry (Step Functions writes microseconds and +00:00), so the history
    # sorts by time whoever wrote it.
    at = iso(parse_iso(occurred)) if occurred else iso(event.time)
    extra = {k: v for k, v in detail.items() if k not in _ORDER_FIELDS}
    entry = HistoryEntry(event_type=event.detail_type, at=at, event_id=event.id, detail=extra)
    return adapters.orders.record_event(ref, entry)
