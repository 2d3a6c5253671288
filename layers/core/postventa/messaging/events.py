"""Domain events on the EventBridge bus (source `postventa`): OrderReceived, BillingRequested..."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SOURCE = "postventa"


class EventBridgePublisher:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> None:
        """Publish one event; raises when EventBridge reports a failed entry."""
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(dict(detail), default=str),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge rejected {detail_type}")
