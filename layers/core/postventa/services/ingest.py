"""Ingesting one queued webhook: normalize, store once, announce, start the lifecycle once."""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.base import QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.domain.ports import Adapters
from postventa.errors import NotFoundError
from postventa.observability import bind_order, logger
from postventa.services.events import announce
from postventa.services.webhooks import webhook_text


@dataclass(frozen=True)
class IngestOutcome:
    invoiceable: bool
    stored: bool = False
    lifecycle_started: bool = False


def load_body(message: QueuedWebhook, adapters: Adapters) -> QueuedWebhook:
    """The message with its payload inline: a claim-checked body is read from S3 (and kept
    there: the lifecycle rule on `webhooks/` expires it)."""
    if message.body is not None or message.body_s3_key is None:
        return message
    raw = adapters.payloads.get(message.tenant_id, message.body_s3_key)
    return message.model_copy(update={"body": webhook_text(raw), "body_s3_key": None})


def ingest_message(message: QueuedWebhook, adapters: Adapters) -> IngestOutcome:
    tenant = adapters.tenants.get(message.tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    message = load_body(message, adapters)
    adapter = get_adapter(message.channel.value)
    secrets = adapters.secrets.channel(tenant.tenant_id, adapter.channel.value)
    order = adapter.normalize(message, secrets)
    if order is None:
        logger.info("resource is not a paid order; nothing to invoice")
        return IngestOutcome(invoiceable=False)
    bind_order(order.tenant_id, order.channel.value, order.order_id)
    stored = adapters.orders.add(order)
    if stored:
        announce(
            adapters,
            "OrderReceived",
            order.ref,
            total=str(order.total_paid),
            currency=order.currency,
        )
    started = adapters.lifecycle.start(order.ref, tenant.billing_deadline_seconds)
    logger.info("order ingested", extra={"stored": stored, "lifecycle_started": started})
    return IngestOutcome(invoiceable=True, stored=stored, lifecycle_started=started)
