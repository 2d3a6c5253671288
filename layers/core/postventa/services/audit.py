"""The order's history, written from every order domain event on the bus."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.storage import orders

_ORDER_FIELDS = ("tenant_id", "channel", "order_id")


class OrderEvent(BaseModel):
    """The EventBridge envelope fields we keep (detail identifies the order, no personal data).

    Parsed leniently (not Powertools' EventBridgeModel): moto's events lack `account`."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    detail_type: str = Field(alias="detail-type")
    time: str
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
        at=event.time,
        event_id=event.id,
        detail=extra,
    )
