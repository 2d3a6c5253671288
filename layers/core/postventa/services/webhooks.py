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
from typing import Any

from postventa.channels.base import ChannelAdapter, Delivery, QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.domain.channels import connection_channel
from postventa.domain.ports import Adapters
from postventa.errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PostventaError,
    UnauthorizedError,
)
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
    reason: str  # queued | ignored_topic | duplicate | ping | stale | ignored:<code>
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
    tenant_id: str | None,
    raw_body: bytes,
    headers: Mapping[str, str],
    adapters: Adapters,
) -> WebhookOutcome:
    """Verify and queue one delivery. `tenant_id` is None on a marketplace's application-wide
    route (Mercado Libre notifies one URL for every seller: the account names the tenant).

    A channel that switches a topic off after failures (Mercado Libre) gets 200 for everything
    we refuse, with a log line and nothing queued; the others get the error's status."""
    adapter = get_adapter(channel)
    try:
        return _receive(adapter, tenant_id, raw_body, headers, adapters)
    except PostventaError as exc:
        if not adapter.acknowledge_always:
            raise
        logger.info("webhook ignored", extra={"channel": channel, "reason": exc.code})
        return WebhookOutcome(queued=False, reason=f"ignored:{exc.code}")


def _account_secrets(
    adapter: ChannelAdapter, tenant_id: str | None, raw_body: bytes, adapters: Adapters
) -> tuple[str, dict[str, str]]:
    """The tenant that owns the channel account a notification names (and that account as the
    adapter's secret to verify against); a route's tenant must be that owner."""
    account = adapter.account_of(raw_body)
    owner = adapters.connections.tenant_for_account(
        connection_channel(adapter.channel).value, account
    )
    if owner is None or (tenant_id is not None and owner != tenant_id):
        raise UnauthorizedError("La notificación no corresponde a una cuenta conectada.")
    return owner, {"account_id": account}


def _receive(
    adapter: ChannelAdapter,
    tenant_id: str | None,
    raw_body: bytes,
    headers: Mapping[str, str],
    adapters: Adapters,
) -> WebhookOutcome:
    channel = adapter.channel.value
    if len(raw_body) > adapters.settings.max_webhook_body_bytes:
        raise PayloadTooLargeError("El cuerpo del webhook es demasiado grande.")
    if tenant_id is not None and not _SAFE_TENANT.match(tenant_id):
        raise NotFoundError("Tienda no encontrada.")
    if adapter.is_handshake(raw_body, headers):
        logger.info("webhook handshake answered", extra={"channel": channel})
        return WebhookOutcome(queued=False, reason="ping")
    secrets: Mapping[str, Any] | None
    if adapter.capabilities.fetch and adapter.acknowledge_always:
        tenant_id, secrets = _account_secrets(adapter, tenant_id, raw_body, adapters)
    elif tenant_id is None:
        raise NotFoundError("Falta la tienda en la URL del webhook.")
    else:
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
    if adapter.is_stale(payload, adapters.clock.now()):
        logger.info("stale webhook ignored", extra={"channel": channel})
        return WebhookOutcome(queued=False, reason="stale")
    return queue_delivery(adapter, tenant_id, delivery, text, raw_body, adapters)


def queue_delivery(
    adapter: ChannelAdapter,
    tenant_id: str,
    delivery: Delivery,
    text: str,
    raw_body: bytes,
    adapters: Adapters,
) -> WebhookOutcome:
    """Put one verified, invoiceable delivery on the orders queue once (its delivery id
    remembered; forgotten again if queueing fails, so the channel's retry gets through)."""
    channel = adapter.channel.value
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


def receive_queued_notification(
    channel: str, raw_body: bytes, adapters: Adapters
) -> WebhookOutcome:
    """A marketplace notification that reached us through its own queue (Amazon's SQS: the
    queue's policy lets only Amazon send, so there is nothing to verify): the account it names
    gives the tenant; what we do not act on is dropped with a log line (never redelivered)."""
    adapter = get_adapter(channel)
    try:
        text = webhook_text(raw_body)
        payload = json.loads(text)
        tenant_id, _account = _account_secrets(adapter, None, raw_body, adapters)
        delivery = adapter.classify(payload, {})
    except (PostventaError, ValueError, RecursionError) as exc:
        code = exc.code if isinstance(exc, PostventaError) else "json_invalido"
        logger.info("queued notification ignored", extra={"channel": channel, "reason": code})
        return WebhookOutcome(queued=False, reason=f"ignored:{code}")
    if not delivery.invoiceable:
        logger.info(
            "queued notification ignored", extra={"topic": delivery.topic, "channel": channel}
        )
        return WebhookOutcome(queued=False, reason="ignored_topic")
    return queue_delivery(adapter, tenant_id, delivery, text, raw_body, adapters)
