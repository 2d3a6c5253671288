"""Ingesting one queued webhook: normalize, store once, announce, start the lifecycle once.

Three kinds of failure, three endings:
- the delivery cannot become an order (the channel's payload lacks what we need, the seller's
  channel account is not authorized): a rejection the seller can read, with the raw body kept;
  the message is done (retrying cannot help);
- the channel refused our authorization for good (the seller revoked it): the connection is
  marked broken and the seller told (channels/tokens.py); the delivery is parked and fetched
  again when the seller connects again;
- the order is stored but cannot be invoiced as it is (a currency whose legal rate we cannot
  obtain): the order in `error` with the reason, no lifecycle;
- anything else (AWS, a channel or Banxico not answering): raised, so SQS retries it and, if it
  keeps failing, keeps it in the dead-letter queue for `postventa dlq redrive`.
"""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.base import ChannelPayloadError, QueuedWebhook
from postventa.channels.http import ChannelApiError, ChannelAuthError
from postventa.channels.registry import get_adapter
from postventa.channels.tokens import ConnectionBrokenError
from postventa.domain.channels import connection_channel
from postventa.domain.clock import iso
from postventa.domain.exchange import UnsupportedCurrencyError
from postventa.domain.global_periods import answer_seconds
from postventa.domain.orders import Order
from postventa.domain.ports import Adapters, RejectedWebhook
from postventa.domain.status import BUYER_DATA_SUBMITTED, ORDER_NOT_INVOICEABLE
from postventa.errors import NotFoundError, PostventaError, UnauthorizedError
from postventa.observability import bind_order, logger
from postventa.services.channel_context import channel_context
from postventa.services.events import announce
from postventa.services.webhooks import webhook_text


@dataclass(frozen=True)
class IngestOutcome:
    invoiceable: bool
    stored: bool = False
    lifecycle_started: bool = False
    rejected: str | None = None  # the rejection's code, when the delivery is not an order
    with_channel_data: bool = False  # the channel gave valid fiscal data: invoiced unasked
    parked: bool = False  # the connection is broken: fetched again once it is fixed


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
    if message.topic in SHIPMENT_TOPICS:
        from postventa.services.shipping import shipment_notified

        shipment_notified(message, adapters)
        return IngestOutcome(invoiceable=False)
    context = channel_context(adapters, tenant.tenant_id, adapter.channel)
    try:
        order = adapter.normalize(message, context)
    except ConnectionBrokenError:
        return _park(message, adapters)
    except (ChannelApiError, ChannelAuthError) as exc:  # 403/404 on this resource
        refused = ChannelPayloadError(
            f"{adapter.channel.value} no entregó el pedido (respondió {exc.status}).",
        )
        return _reject(message, payload_key, refused, adapters)
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
    # Whichever delivery stored the order, each one tries the channel's data before starting the
    # lifecycle (the write is conditional: one succeeds), so two racing deliveries of a cart
    # both start it with the data, never one without it.
    with_data = _take_channel_data(order, adapters, report_refusal=stored)
    if not with_data and not stored:
        record = adapters.orders.get(order.ref)
        with_data = bool(record and record.status.has_buyer_data and record.lifecycle_attempt == 0)
    # The buyer has until the tenant's deadline or the close of the sale's global-invoice period
    # (docs/decisions/0015): then the order goes into that period's global invoice.
    seconds = answer_seconds(tenant, order.paid_at, adapters.clock.now())
    started = adapters.lifecycle.start(order.ref, seconds, with_data=with_data)
    logger.info(
        "order ingested",
        extra={"stored": stored, "lifecycle_started": started, "with_channel_data": with_data},
    )
    return IngestOutcome(
        invoiceable=True, stored=stored, lifecycle_started=started, with_channel_data=with_data
    )


# Topics that are about a shipment, not an order (Mercado Libre's `shipments`).
SHIPMENT_TOPICS = frozenset({"shipments"})


def _take_channel_data(order: Order, adapters: Adapters, *, report_refusal: bool) -> bool:
    """The buyer's fiscal data the channel carried, when SAT's rules accept it: recorded as the
    buyer's (so the order is invoiced without asking); otherwise the buyer is asked as usual and
    the history says which fields were refused (never their values)."""
    data = order.channel_fiscal_data
    if not data:
        return False
    from postventa.cfdi.receptor import validate_receptor

    result = validate_receptor(data)
    problems = sorted({*result.errores, *result.pendientes()})
    if problems:
        if report_refusal:
            announce(adapters, "ChannelBillingDataRefused", order.ref, fields=problems)
        return False
    fiscal = {k: str(v) for k, v in result.normalizado.items() if v is not None}
    fiscal.setdefault("email", "")
    applied = adapters.orders.apply(
        order.ref,
        BUYER_DATA_SUBMITTED,
        extra={"fiscal_data": fiscal, "billing_data_at": iso(adapters.clock.now())},
    )
    if applied:
        announce(adapters, "BillingDataReceived", order.ref, source="canal")
    return applied


def _park(message: QueuedWebhook, adapters: Adapters) -> IngestOutcome:
    """The connection is broken: keep the delivery until the seller connects again."""
    serving = connection_channel(message.channel).value
    key = f"{message.topic}|{message.delivery_id or message.text}"
    adapters.connections.park(message.tenant_id, serving, key, message.model_dump_json())
    logger.warning("delivery parked: channel connection broken", extra={"channel": serving})
    return IngestOutcome(invoiceable=False, parked=True)


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
