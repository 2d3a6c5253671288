"""Ingesting one queued webhook: normalize, store once, announce, start the lifecycle once."""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.base import QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.errors import NotFoundError
from postventa.messaging.events import order_detail, publish
from postventa.observability import bind_order, logger
from postventa.services.webhooks import webhook_text
from postventa.storage.orders import put_new_order
from postventa.storage.payloads import get_webhook_payload
from postventa.storage.secrets import channel_secrets
from postventa.storage.tenants import get_tenant
from postventa.workflow.lifecycle import start_lifecycle


@dataclass(frozen=True)
class IngestOutcome:
    invoiceable: bool
    stored: bool = False
    lifecycle_started: bool = False


def load_body(message: QueuedWebhook) -> QueuedWebhook:
    """The message with its payload inline: a claim-checked body is read from S3 (and kept
    there: the lifecycle rule on `webhooks/` expires it)."""
    if message.body is not None or message.body_s3_key is None:
        return message
    raw = get_webhook_payload(message.tenant_id, message.body_s3_key)
    return message.model_copy(update={"body": webhook_text(raw), "body_s3_key": None})


def ingest_message(message: QueuedWebhook) -> IngestOutcome:
    tenant = get_tenant(message.tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    message = load_body(message)
    adapter = get_adapter(message.channel.value)
    order = adapter.normalize(message, channel_secrets(tenant.tenant_id, message.channel.value))
    if order is None:
        logger.info("resource is not a paid order; nothing to invoice")
        return IngestOutcome(invoiceable=False)
    bind_order(order.tenant_id, order.channel.value, order.order_id)
    stored = put_new_order(order)
    if stored:
        publish(
            "OrderReceived",
            order_detail(
                order.tenant_id,
                order.channel.value,
                order.order_id,
                total=str(order.total_paid),
                currency=order.currency,
            ),
        )
    started = start_lifecycle(order, tenant.billing_deadline_seconds)
    logger.info("order ingested", extra={"stored": stored, "lifecycle_started": started})
    return IngestOutcome(invoiceable=True, stored=stored, lifecycle_started=started)
