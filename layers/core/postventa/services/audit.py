"""The order's history, written from every order domain event on the bus."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from postventa.storage import orders

_ORDER_FIELDS = ("tenant_id", "channel", "order_id")


class OrderEvent(EventBridgeModel):
    """An order domain event as EventBridge delivers it: Powertools' envelope, every field
    required (version, id, detail-type, source, account, time, region, resources); the detail
    identifies the order and carries no personal data."""

    detail: dict[str, Any]


def record_order_event(event: OrderEvent) -> bool:
    """Append the event to its order's history; False for a redelivered event."""
    tenant_id, channel, order_id = (str(event.detail[k]) for k in _ORDER_FIELDS)
    extra = {k: v for k, v in event.detail.items() if k not in _ORDER_FIELDS}
    return orders.record_event(
        tenant_id,
        channel,
        order_id,
        event_type=event.detail_type,
        at=event.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        event_id=event.id,
        detail=extra,
    )
