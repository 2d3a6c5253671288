"""Webhook delivery ids already accepted (Shopify/WooCommerce retry the same delivery)."""

from __future__ import annotations

from postventa.storage import keys
from postventa.storage.table import epoch, is_conditional_failure, now_iso, table

_REMEMBER_SECONDS = 3 * 24 * 3600  # longer than Shopify's 4 h / WooCommerce's retry window


def remember_delivery(tenant_id: str, channel: str, delivery_id: str) -> bool:
    """True the first time a delivery id is seen, False for a redelivery."""
    try:
        table().put_item(
            Item={
                **keys.webhook_delivery_key(tenant_id, channel, delivery_id),
                "type": "webhook_delivery",
                "tenant_id": tenant_id,
                "received_at": now_iso(),
                "expires_at": epoch() + _REMEMBER_SECONDS,
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def forget_delivery(tenant_id: str, channel: str, delivery_id: str) -> None:
    """Called when queueing failed, so the channel's retry is processed."""
    table().delete_item(Key=keys.webhook_delivery_key(tenant_id, channel, delivery_id))
