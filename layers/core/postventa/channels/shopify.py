"""Shopify: HMAC-signed webhooks; only orders/paid starts invoicing (created is not paid).

shopify.dev, "About webhooks" / "Verify webhooks" / "Ignore duplicates": X-Shopify-Hmac-Sha256 is
base64(HMAC-SHA256(secret, raw body)); X-Shopify-Event-Id is the same on every retry of one
event (our dedupe key); deliveries are retried for hours, may arrive twice and out of order.

The order as it is now, not as it was created: REST orders carry `current_quantity` per line and
`current_total_price` (after order edits and refunds), so an edited or partly refunded order is
invoiced for what the buyer finally paid. A gift card a shop sells (`gift_card: true`) is not a
sale of goods: the goods are sold, and invoiced, when the card is redeemed; its lines leave the
invoice and its price the total. An order that only sells gift cards is refused with that reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from postventa.channels.base import (
    BaseAdapter,
    ChannelContext,
    ChannelPayloadError,
    Delivery,
    QueuedWebhook,
    check_order_payload,
    header,
    money,
    plain_text,
    verify_base64_hmac,
)
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine

INVOICE_TOPIC = "orders/paid"
# A signed body whose order was last updated longer ago than we remember delivery ids (3 days,
# storage/webhooks.py) is a replay or a retry far past Shopify's retry window: ignored.
STALE_AFTER = timedelta(days=3)


def _updated_at(payload: Mapping[str, Any]) -> datetime | None:
    text = payload.get("updated_at") or payload.get("processed_at")
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ShopifyAdapter(BaseAdapter):
    channel = Channel.SHOPIFY

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        verify_base64_hmac(
            raw_body, header(headers, "X-Shopify-Hmac-Sha256"), secrets.get("webhook_secret")
        )

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        topic = header(headers, "X-Shopify-Topic")
        delivery_id = header(headers, "X-Shopify-Event-Id") or header(
            headers, "X-Shopify-Webhook-Id"
        )
        invoiceable = topic == INVOICE_TOPIC
        if invoiceable:
            check_order_payload(payload, "line_items")
        return Delivery(topic=topic, delivery_id=delivery_id, invoiceable=invoiceable)

    def is_stale(self, payload: Any, now: datetime) -> bool:
        updated = _updated_at(payload) if isinstance(payload, dict) else None
        return updated is not None and now - updated > STALE_AFTER

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        payload = json.loads(message.text)
        if payload.get("financial_status") not in (None, "paid", "partially_refunded"):
            return None
        return normalize_order(message.tenant_id, payload)


def _current_quantity(item: Mapping[str, Any]) -> Decimal:
    if item.get("current_quantity") is not None:
        return money(item.get("current_quantity"), "line_items.current_quantity")
    return money(item.get("quantity"), "line_items.quantity")


def normalize_order(tenant_id: str, body: dict[str, Any]) -> Order:
    """A Shopify order JSON (REST webhook shape) as the product's Order, amounts IVA included."""
    taxes_included = bool(body.get("taxes_included", True))
    currency = str(body.get("currency") or "MXN")
    lines = []
    gift_cards = Decimal(0)
    for item in body.get("line_items") or []:
        ordered = money(item.get("quantity"), "line_items.quantity")
        quantity = _current_quantity(item)
        unit_price = money(item.get("price"), "line_items.price")
        allocations = item.get("discount_allocations") or []
        discount = (
            sum((money(a.get("amount"), "discount_allocations") for a in allocations), Decimal(0))
            if allocations
            else money(item.get("total_discount"), "line_items.total_discount")
        )
        tax = sum(
            (money(t.get("price"), "tax_lines") for t in item.get("tax_lines") or []), Decimal(0)
        )
        if ordered and quantity != ordered:  # edited or refunded: its share of the line
            discount = discount * quantity / ordered
            tax = tax * quantity / ordered
        if not taxes_included and tax and quantity:
            unit_price += tax / quantity
        if item.get("gift_card"):
            gift_cards += quantity * unit_price - discount
            continue
        if quantity <= 0:
            continue  # removed by an edit or fully refunded
        title = plain_text(item.get("title") or item.get("name"))
        variant = plain_text(item.get("variant_title"))
        try:
            lines.append(
                OrderLine(
                    sku=str(
                        item.get("sku") or item.get("variant_id") or item.get("id") or "SIN-SKU"
                    )[:100],
                    description=(f"{title} - {variant}" if variant else title or "Producto")[:1000],
                    quantity=quantity,
                    unit_price=unit_price,
                    discount=discount.quantize(Decimal("0.01")),
                )
            )
        except ValidationError as exc:
            raise ChannelPayloadError("Una partida del pedido de Shopify no es válida.") from exc
    total = money(body.get("current_total_price") or body.get("total_price"), "total_price")
    if not lines:
        raise ChannelPayloadError(
            f"El pedido de Shopify {body.get('name') or body.get('id')} ({total} {currency}) "
            "solo vende tarjetas de regalo (o se reembolsó completo): una tarjeta de regalo se "
            "factura cuando se usa para comprar, no cuando se vende."
        )
    shipping = Decimal(0)
    for ship in body.get("shipping_lines") or []:
        shipping += money(ship.get("price"), "shipping_lines.price")
        for alloc in ship.get("discount_allocations") or []:
            shipping -= money(alloc.get("amount"), "shipping_lines.discount_allocations")
        if not taxes_included:
            for tax_line in ship.get("tax_lines") or []:
                shipping += money(tax_line.get("price"), "shipping_lines.tax_lines")
    customer = body.get("customer") or {}
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p) or (
        body.get("billing_address") or {}
    ).get("name")
    gateways = body.get("payment_gateway_names") or []
    try:
        return Order(
            tenant_id=tenant_id,
            channel=Channel.SHOPIFY,
            order_id=str(body["id"]),
            order_number=str(body.get("name") or body.get("order_number") or body["id"]),
            paid_at=datetime.fromisoformat(
                str(body.get("processed_at") or body.get("updated_at") or body["created_at"])
            ),
            currency=currency,
            lines=lines,
            shipping=max(shipping, Decimal(0)),
            total_paid=max(total - gift_cards, Decimal(0)),
            payment_method=body.get("gateway") or (", ".join(gateways) if gateways else None),
            buyer=BuyerContact(
                name=name or None,
                email=body.get("email") or body.get("contact_email") or customer.get("email"),
            ),
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de Shopify no tiene los datos necesarios para facturar."
        ) from exc
