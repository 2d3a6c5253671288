"""Domain events on the EventBridge bus (source `postventa`): OrderReceived, BillingRequested..."""

from __future__ import annotations

import json
from typing import Any

from postventa.aws import client
from postventa.settings import get_settings

SOURCE = "postventa"


def publish(detail_type: str, detail: dict[str, Any]) -> None:
    """Publish one event; raises when EventBridge reports a failed entry."""
    response = client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge rejected {detail_type}")


def order_detail(tenant_id: str, channel: str, order_id: str, **extra: Any) -> dict[str, Any]:
    """Event details identify the order; personal data never travels on the bus."""
    return {"tenant_id": tenant_id, "channel": channel, "order_id": order_id, **extra}
