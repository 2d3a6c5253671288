"""PrestaShop: no native webhooks, so a small module of ours (docs/prestashop/postventa) posts
each validated order from the `actionValidateOrder` hook, as the JSON contract in
docs/formats/prestashop-order.md, signed the way Postventa signs its own ERP posts:

    X-Postventa-Timestamp: Unix seconds when the module signed it
    X-Postventa-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + raw body))
    X-Postventa-Delivery:  the module's id for this post (the same on a retry)

A post signed more than five minutes away from our clock is refused (a replay), and the delivery
id is remembered, so a captured post cannot be queued twice. `order.paid` says whether the
payment module validated the order as paid (PrestaShop's `logable` order state: bank wire and
cash on delivery validate unpaid); an unpaid order is acknowledged and ignored.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from postventa.channels.base import (
    BaseAdapter,
    ChannelContext,
    ChannelPayloadError,
    Delivery,
    QueuedWebhook,
    check_order_payload,
    header,
    plain_text,
)
from postventa.domain.erp import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.errors import UnauthorizedError

CONTRACT_VERSION = 1
EVENT = "order.validated"
MAX_SKEW_SECONDS = 300


class _Line(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    reference: str = ""
    name: str
    quantity: Decimal = Field(gt=0)
    unit_price_tax_incl: Decimal = Field(ge=0)
    total_price_tax_incl: Decimal = Field(ge=0)


class _Customer(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    firstname: str = ""
    lastname: str = ""
    email: str | None = None


class _Order(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    id: int
    reference: str
    date_add: str
    currency: str = Field(min_length=3, max_length=3)
    payment: str = ""
    module: str = ""
    paid: bool
    total_paid_tax_incl: Decimal = Field(ge=0)
    total_shipping_tax_incl: Decimal = Field(Decimal(0), ge=0)
    total_discounts_tax_incl: Decimal = Field(Decimal(0), ge=0)
    customer: _Customer = Field(default_factory=_Customer)
    lines: list[_Line]


class _Post(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    version: int
    event: str
    order: _Order


class PrestaShopAdapter(BaseAdapter):
    channel = Channel.PRESTASHOP

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        secret = secrets.get("webhook_secret")
        timestamp = header(headers, TIMESTAMP_HEADER) or ""
        given = (header(headers, SIGNATURE_HEADER) or "").strip()
        if not secret:
            raise UnauthorizedError("El canal no tiene un secreto de webhook configurado.")
        if not timestamp.isdigit() or not given:
            raise UnauthorizedError("Falta la firma del pedido (X-Postventa-Signature).")
        if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
            raise UnauthorizedError(
                "La firma del pedido es de hace más de cinco minutos: revisa la hora del servidor "
                "de la tienda."
            )
        expected = signature(str(secret), timestamp, raw_body)
        if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
            raise UnauthorizedError("La firma del pedido no es válida.")

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        if not isinstance(payload, dict) or payload.get("event") != EVENT:
            return Delivery(topic=str((payload or {}).get("event")), invoiceable=False)
        order = payload.get("order")
        check_order_payload(order, "lines")
        return Delivery(
            topic=EVENT,
            delivery_id=header(headers, DELIVERY_HEADER),
            invoiceable=bool(isinstance(order, dict) and order.get("paid") is True),
        )

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        try:
            post = _Post.model_validate_json(message.text)
        except ValidationError as exc:
            raise ChannelPayloadError(
                "El pedido de PrestaShop no sigue el contrato (docs/formats/prestashop-order.md)."
            ) from exc
        if post.version != CONTRACT_VERSION:
            raise ChannelPayloadError(
                f"El módulo de PrestaShop envía la versión {post.version} del contrato; "
                f"aceptamos la {CONTRACT_VERSION}."
            )
        if not post.order.paid:
            return None
        return normalize_order(message.tenant_id, post.order)


def normalize_order(tenant_id: str, order: _Order) -> Order:
    lines = []
    for line in order.lines:
        listed = line.unit_price_tax_incl * line.quantity
        lines.append(
            OrderLine(
                sku=(line.reference or "SIN-SKU")[:100],
                description=(plain_text(line.name) or "Producto")[:1000],
                quantity=line.quantity,
                unit_price=line.unit_price_tax_incl,
                discount=max(listed - line.total_price_tax_incl, Decimal(0)),
            )
        )
    if order.total_discounts_tax_incl:  # cart rules on the whole order
        from postventa.channels.woocommerce import spread_discount

        lines = spread_discount(lines, order.total_discounts_tax_incl)
    try:
        paid_at = datetime.fromisoformat(order.date_add)
    except ValueError as exc:
        raise ChannelPayloadError("La fecha del pedido de PrestaShop no es válida.") from exc
    try:
        return Order(
            tenant_id=tenant_id,
            channel=Channel.PRESTASHOP,
            order_id=str(order.id),
            order_number=order.reference,
            paid_at=paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC),
            currency=order.currency,
            lines=lines,
            shipping=order.total_shipping_tax_incl,
            total_paid=order.total_paid_tax_incl,
            payment_method=order.module or order.payment or None,
            buyer=BuyerContact(
                name=" ".join(p for p in (order.customer.firstname, order.customer.lastname) if p)
                or None,
                email=order.customer.email,
            ),
        )
    except ValidationError as exc:
        raise ChannelPayloadError(
            "El pedido de PrestaShop no tiene los datos necesarios para facturar."
        ) from exc


def sign_post(
    body: dict[str, Any], secret: str, delivery_id: str, now: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers the module sends (the demo and the tests post with it)."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(now if now is not None else time.time()))
    return raw, {
        "content-type": "application/json",
        TIMESTAMP_HEADER.lower(): timestamp,
        SIGNATURE_HEADER.lower(): signature(secret, timestamp, raw),
        DELIVERY_HEADER.lower(): delivery_id,
    }
