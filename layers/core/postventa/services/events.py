"""Announcing what happened to an order on the bus (the audit turns it into history)."""

from __future__ import annotations

from typing import Any

from postventa.domain.clock import iso
from postventa.domain.orders import OrderRef
from postventa.domain.ports import Adapters


def announce(adapters: Adapters, detail_type: str, ref: OrderRef, **extra: Any) -> None:
    """Publish an order event. Details identify the order and never carry personal data;
    `occurred_at` (milliseconds) orders the history even when EventBridge's one-second event
    times tie."""
    detail = {**ref.model_dump(), "occurred_at": iso(adapters.clock.now()), **extra}
    adapters.events.publish(detail_type, detail)
