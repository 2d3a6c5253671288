"""Ingesting one queued webhook: normalize, store once, announce, start the lifecycle once.

Three kinds of failure, three endings:
- the delivery cannot become an order (the channel's payload lacks what we need, the seller's
  channel account is not authorized): a rejection the seller can read, with the raw body kept;
  the message is done (retrying cannot help);
- the order is stored but cannot be invoiced as it is (a currency whose legal rate we cannot
  obtain): the order in `error` with the reason, no lifecycle;
- anything else (AWS, a channel or Banxico not answering): raised, so SQS retries it and, if it
  keeps failing, keeps it in the dead-letter queue for `postventa dlq redrive`.
"""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.base import ChannelPayloadError, QueuedWebhook
from postventa.channels.registry import get_adapter
from postventa.domain.clock import iso
from postventa.domain.exchange import UnsupportedCurrencyError
from postventa.domain.global_periods import answer_seconds
from postventa.domain.orders import Order
from postventa.domain.ports import Adapters, RejectedWebhook
from postventa.domain.status import ORDER_NOT_INVOICEABLE
from postventa.errors import NotFoundError, PostventaError, UnauthorizedError
from postventa.observability import bind_order, logger
from postventa.services.events import announce
from postventa.services.webhooks import webhook_text


@dataclass(frozen=True)
class IngestOutcome:
    invoiceable: bool
    stored: bool = False
    lifecycle_started: bool = False
    rejected: str | None = None  # the rejection's code, when the delivery is not an order


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
    payload_key = message.body_s3_key
    message = load_body(message, adapters)
    adapter = get_adapter(message.channel.value)
    secrets = adapters.secrets.channel(tenant.tenant_id, adapter.channel.value)
    try:
        order = adapter.normalize(message, secrets)
    except (ChannelPayloadError, UnauthorizedError) as exc:
        return _reject(message, payload_key, exc, adapters)
    if order is None:
        logger.info("resource is not a paid order; nothing to invoice")
        return IngestOutcome(invoiceable=False)
    bind_order(order.tenant_id, order.channel.value, order.order_id)
    try:
        order = with_exchange_rate(order, adapters)
    except UnsupportedCurrencyError as exc:
        return _not_invoiceable(order, exc, adapters)
    stored = adapters.orders.add(order)
    if stored:
        announce(
            adapters,
            "OrderReceived",
            order.ref,
            total=str(order.total_paid),
            currency=order.currency,
            exchange_rate=str(order.exchange_rate) if order.exchange_rate else None,
        )
    # The buyer has until the tenant's deadline or the close of the sale's global-invoice period
    # (docs/decisions/0015): then the order goes into that period's global invoice.
    seconds = answer_seconds(tenant, order.paid_at, adapters.clock.now())
    started = adapters.lifecycle.start(order.ref, seconds)
    logger.info("order ingested", extra={"stored": stored, "lifecycle_started": started})
    return IngestOutcome(invoiceable=True, stored=stored, lifecycle_started=started)


def with_exchange_rate(order: Order, adapters: Adapters) -> Order:
    """A foreign-currency order carries its rate: the channel's, or the legal one."""
    if order.currency == "MXN" or order.exchange_rate is not None:
        return order
    rate = adapters.rates.rate(order.currency, order.paid_at.date())
    return order.model_copy(update={"exchange_rate": rate})


def _not_invoiceable(order: Order, exc: PostventaError, adapters: Adapters) -> IngestOutcome:
    stored = adapters.orders.add(order)
    if stored:
        adapters.orders.apply(
            order.ref,
            ORDER_NOT_INVOICEABLE,
            extra={"error_code": exc.code, "error_reason": exc.message},
        )
        announce(adapters, "OrderNotInvoiceable", order.ref, code=exc.code)
    logger.warning("order stored in error", extra={"error": exc.code})
    return IngestOutcome(invoiceable=False, stored=stored)


def _reject(
    message: QueuedWebhook, payload_key: str | None, exc: PostventaError, adapters: Adapters
) -> IngestOutcome:
    """Keep the delivery's raw body and why it was refused; the message is done."""
    now = adapters.clock.now()
    if payload_key is None:
        payload_key = adapters.payloads.put(
            message.tenant_id, message.channel.value, message.text.encode("utf-8"), now
        )
    adapters.rejections.add(
        RejectedWebhook(
            tenant_id=message.tenant_id,
            channel=message.channel.value,
            received_at=iso(message.received_at),
            code=exc.code,
            reason=exc.message,
            payload_key=payload_key,
        )
    )
    logger.warning("webhook rejected at ingest", extra={"error": exc.code})
    return IngestOutcome(invoiceable=False, rejected=exc.code)
