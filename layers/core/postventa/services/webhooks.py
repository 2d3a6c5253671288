"""Receiving a channel webhook: verify before parsing, queue the raw payload, answer fast."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from postventa.aws import client
from postventa.channels.base import QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from postventa.observability import logger
from postventa.settings import get_settings
from postventa.storage.secrets import channel_secrets
from postventa.storage.webhooks import forget_delivery, remember_delivery

_SAFE_TENANT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class WebhookOutcome:
    queued: bool
    reason: str  # queued | ignored_topic | duplicate


def receive_webhook(
    channel: str, tenant_id: str, raw_body: bytes, headers: Mapping[str, str]
) -> WebhookOutcome:
    settings = get_settings()
    if len(raw_body) > settings.max_webhook_body_bytes:
        raise PayloadTooLargeError("El cuerpo del webhook es demasiado grande.")
    adapter = get_adapter(channel)
    if not _SAFE_TENANT.match(tenant_id):
        raise NotFoundError("Tienda no encontrada.")
    secrets = channel_secrets(tenant_id, adapter.channel.value)
    if secrets is None:
        raise NotFoundError("Tienda no encontrada o canal no configurado.")
    adapter.verify(raw_body, headers, secrets)
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("El cuerpo del webhook no es JSON válido.") from None
    delivery = adapter.classify(payload, headers)
    if not delivery.invoiceable:
        logger.info("webhook ignored", extra={"topic": delivery.topic, "channel": channel})
        return WebhookOutcome(queued=False, reason="ignored_topic")
    if delivery.delivery_id and not remember_delivery(
        tenant_id, adapter.channel.value, delivery.delivery_id
    ):
        logger.info("webhook redelivery ignored", extra={"channel": channel})
        return WebhookOutcome(queued=False, reason="duplicate")
    message = QueuedWebhook(
        tenant_id=tenant_id,
        channel=adapter.channel,
        topic=delivery.topic,
        delivery_id=delivery.delivery_id,
        body=raw_body.decode("utf-8"),
        received_at=datetime.now(UTC),
    )
    try:
        client("sqs").send_message(
            QueueUrl=settings.orders_queue_url, MessageBody=message.model_dump_json()
        )
    except Exception:
        if delivery.delivery_id:
            forget_delivery(tenant_id, adapter.channel.value, delivery.delivery_id)
        raise
    return WebhookOutcome(queued=True, reason="queued")
