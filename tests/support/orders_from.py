"""Channel payloads as the product's orders (for tests that store an order directly)."""

from __future__ import annotations

from typing import Any

from postventa.channels.shopify import normalize_order
from postventa.domain.orders import Order


def shopify_order(body: dict[str, Any], tenant_id: str = "demo") -> Order:
    return normalize_order(tenant_id, body)
