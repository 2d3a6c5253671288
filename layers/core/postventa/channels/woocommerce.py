"""WooCommerce: X-WC-Webhook-Signature = base64 HMAC-SHA256 of the body; paid = processing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from postventa.channels.base import (
    ChannelPayloadError,
    Delivery,
    QueuedWebhook,
    header,
    money,
    refuse_foreign_currency,
    verify_base64_hmac,
)
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine

_PAID_STATUSES = frozenset({"processing", "completed"})
_ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.paid"})


class WooCommerceAdapter:
    channel = Channel.WOOCOMMERCE

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        verify_base64_hmac(
            raw_body, header(headers, "X-WC-Webhook-Signature"), secrets.get("webhook_secret")
        )

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        topic = header(headers, "X-WC-Webhook-Topic")
        return Delivery(
            topic=topic,
            delivery_id=header(headers, "X-WC-Webhook-Delivery-ID"),
            invoiceable=topic in _ORDER_TOPICS
            and isinstance(payload, dict)
            and payload.get("status") in _PAID_STATUSES,
        )

    def normalize(self, message: QueuedWebhook, secrets: Mapping[str, Any] | None) -> Order | None:
        body = json.loads(message.text)
        if body.get("status") not in _PAID_STATUSES:
            return None
        return normalize_order(message.tenant_id, body)


def normalize_order(tenant_id: str, body: dict[str, Any]) -> Order:
    refuse_foreign_currency("WooCommerce", str(body.get("currency") or "MXN"))
    lines = []
    for item in body.get("line_items") or []:
        quantity = money(item.get("quantity"), "line_items.quantity")
        before = money(item.get("subtotal"), "subtotal") + money(
            item.get("subtotal_tax"), "subtotal_tax"
        )
        after = money(item.get("total"), "total") + money(item.get("total_tax"), "total_tax")
        lines.append(
            OrderLine(
                sku=str(item.get("sku") or item.get("product_id") or item.get("id") or "SIN-SKU"),
                description=str(item.get("name") or "Producto"),
                quantity=quantity,
                unit_price=before / quantity if quantity else Decimal(0),
                discount=max(before - after, Decimal(0)),
            )
        )
    billing = body.get("billing") or {}
    paid = body.get("date_paid_gmt") or body.get("date_created_gmt")
    try:
        paid_at = datetime.fromisoformat(str(paid))
        if paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=UTC)
        return Order(
            tenant_id=tenant_id,
            channel=Channel.WOOCOMMERCE,
            order_id=str(body["id"]),
            order_number=str(body.get("number") or body["id"]),
            paid_at=paid_at,
            currency=str(body.get("currency") or "MXN"),
            lines=lines,
            shipping=money(body.get("shipping_total"), "shipping_total")
            + money(body.get("shipping_tax"), "shipping_tax"),
            total_paid=money(body.get("total"), "total"),
            payment_method=body.get("payment_method_title") or body.get("payment_method"),
            buyer=BuyerContact(
                name=" ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
                or None,
                email=billing.get("email") or None,
            ),
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de WooCommerce no tiene los datos necesarios para facturar."
        ) from exc
