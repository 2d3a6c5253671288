"""Receiving a channel webhook: verify before parsing, queue the raw payload, answer fast.

Every body up to Settings.max_webhook_body_bytes is queued. The queued message carries the body
JSON-escaped (a backslash before every quote and backslash, control characters as six-byte
\\uXXXX), so a body near the limit can make a message larger than SQS accepts: a message
whose encoded size exceeds INLINE_MESSAGE_LIMIT_BYTES, or that holds characters SQS refuses,
goes as a claim check instead: the raw body in the documents bucket, its key on the queue
(storage/payloads.py). Ingest loads it back.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from postventa.channels.base import QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.domain.ports import Adapters
from postventa.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from postventa.observability import logger

_SAFE_TENANT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# A queue created with the long-standing default MaximumMessageSize refuses messages over
# 256 KiB (262,144 bytes; the API maximum is 1 MiB since 2025, but only where the queue allows
# it). Stay well under 256 KiB whatever the queue says. Measured on the UTF-8 encoded message,
# as SQS counts.
INLINE_MESSAGE_LIMIT_BYTES = 200 * 1024


@functools.cache
def _sqs_refused() -> re.Pattern[str]:
    """Characters SQS refuses in a message body (it accepts #x9 | #xA | #xD | #x20-#xD7FF |
    #xE000-#xFFFD | #x10000-#x10FFFF); JSON escapes control characters but not U+FFFE/U+FFFF.
    Compiled on first use (~5 ms): functions that import this module for webhook_text never
    need it."""
    return re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class WebhookOutcome:
    queued: bool
    reason: str  # queued | ignored_topic | duplicate
    stored_in_s3: bool = False


def webhook_text(raw_body: bytes) -> str:
    """The body as text: UTF-8 only (what Shopify, WooCommerce and Mercado Libre send).

    json.loads would also accept UTF-16/32 bytes; those are refused here so the text queued is
    exactly the text parsed. A leading UTF-8 byte order mark is dropped (RFC 8259 allows
    ignoring it; json.loads on text refuses it).
    """
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("El cuerpo del webhook debe ser JSON codificado en UTF-8.") from None
    return text.removeprefix("\ufeff")


def fits_inline(message_json: str, limit: int = INLINE_MESSAGE_LIMIT_BYTES) -> bool:
    """Whether the serialized queue message can travel as is (size as SQS counts it)."""
    return len(message_json.encode("utf-8")) <= limit and not _sqs_refused().search(message_json)


def receive_webhook(
    channel: str,
    tenant_id: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    adapters: Adapters,
) -> WebhookOutcome:
    if len(raw_body) > adapters.settings.max_webhook_body_bytes:
        raise PayloadTooLargeError("El cuerpo del webhook es demasiado grande.")
    adapter = get_adapter(channel)
    if not _SAFE_TENANT.match(tenant_id):
        raise NotFoundError("Tienda no encontrada.")
    secrets = adapters.secrets.channel(tenant_id, adapter.channel.value)
    if secrets is None:
        raise NotFoundError("Tienda no encontrada o canal no configurado.")
    adapter.verify(raw_body, headers, secrets)
    text = webhook_text(raw_body)
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise BadRequestError("El cuerpo del webhook no es JSON válido.") from None
    delivery = adapter.classify(payload, headers)
    if not delivery.invoiceable:
        logger.info("webhook ignored", extra={"topic": delivery.topic, "channel": channel})
        return WebhookOutcome(queued=False, reason="ignored_topic")
    deliveries = adapters.deliveries
    if delivery.delivery_id and not deliveries.remember(
        tenant_id, adapter.channel.value, delivery.delivery_id
    ):
        logger.info("webhook redelivery ignored", extra={"channel": channel})
        return WebhookOutcome(queued=False, reason="duplicate")
    received_at = adapters.clock.now()
    message = QueuedWebhook(
        tenant_id=tenant_id,
        channel=adapter.channel,
        topic=delivery.topic,
        delivery_id=delivery.delivery_id,
        body=text,
        received_at=received_at,
    )
    message_json = message.model_dump_json()
    stored_in_s3 = not fits_inline(message_json)
    try:
        if stored_in_s3:
            key = adapters.payloads.put(tenant_id, adapter.channel.value, raw_body, received_at)
            message_json = QueuedWebhook.model_validate(
                {**message.model_dump(), "body": None, "body_s3_key": key}
            ).model_dump_json()
            logger.info(
                "webhook payload kept in S3",
                extra={"channel": channel, "body_bytes": len(raw_body)},
            )
        adapters.queue.send(message_json)
    except Exception:
        if delivery.delivery_id:
            deliveries.forget(tenant_id, adapter.channel.value, delivery.delivery_id)
        raise
    return WebhookOutcome(queued=True, reason="queued", stored_in_s3=stored_in_s3)
