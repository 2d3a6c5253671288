"""Webhook delivery ids already accepted (Shopify/WooCommerce retry the same delivery)."""

from __future__ import annotations

from typing import Any

from postventa.domain.clock import epoch, iso
from postventa.domain.ports import Clock
from postventa.storage import keys
from postventa.storage.table import conditional

_REMEMBER_SECONDS = 3 * 24 * 3600  # longer than Shopify's 4 h / WooCommerce's retry window


class DynamoWebhookDeliveries:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def remember(self, tenant_id: str, channel: str, delivery_id: str) -> bool:
        now = self._clock.now()
        item = {
            **keys.webhook_delivery_key(tenant_id, channel, delivery_id),
            "type": "webhook_delivery",
            "tenant_id": tenant_id,
            "received_at": iso(now),
            "expires_at": epoch(now) + _REMEMBER_SECONDS,
        }
        return conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )

    def forget(self, tenant_id: str, channel: str, delivery_id: str) -> None:
        """Called when queueing failed, so the channel's retry is processed."""
        self._table.delete_item(Key=keys.webhook_delivery_key(tenant_id, channel, delivery_id))
