"""Shopify: HMAC-signed webhooks; only orders/paid starts invoicing (created is not paid)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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

INVOICE_TOPIC = "orders/paid"


class ShopifyAdapter:
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
        return Delivery(
            topic=topic,
            delivery_id=delivery_id,
            invoiceable=topic == INVOICE_TOPIC and isinstance(payload, dict),
        )

    def normalize(self, message: QueuedWebhook, secrets: Mapping[str, Any] | None) -> Order | None:
        import json

        payload = json.loads(message.text)
        if payload.get("financial_status") not in (None, "paid"):
            return None
        return normalize_order(message.tenant_id, payload)


def normalize_order(tenant_id: str, body: dict[str, Any]) -> Order:
    """A Shopify order JSON (REST webhook shape) as the product's Order, amounts IVA included."""
    refuse_foreign_currency("Shopify", str(body.get("currency") or "MXN"))
    taxes_included = bool(body.get("taxes_included", True))
    lines = []
    for item in body.get("line_items") or []:
        quantity = money(item.get("quantity"), "line_items.quantity")
        unit_price = money(item.get("price"), "line_items.price")
        allocations = item.get("discount_allocations") or []
        discount = (
            sum((money(a.get("amount"), "discount_allocations") for a in allocations), Decimal(0))
            if allocations
            else money(item.get("total_discount"), "line_items.total_discount")
        )
        if not taxes_included:
            tax = sum(
                (money(t.get("price"), "tax_lines") for t in item.get("tax_lines") or []),
                Decimal(0),
            )
            if tax and quantity:
                unit_price += tax / quantity
        title = str(item.get("title") or item.get("name") or "").strip()
        variant = str(item.get("variant_title") or "").strip()
        lines.append(
            OrderLine(
                sku=str(item.get("sku") or item.get("variant_id") or item.get("id") or "SIN-SKU"),
                description=f"{title} - {variant}" if variant else title or "Producto",
                quantity=quantity,
                unit_price=unit_price,
                discount=discount,
            )
        )
    shipping = Decimal(0)
    for ship in body.get("shipping_lines") or []:
        shipping += money(ship.get("price"), "shipping_lines.price")
        for alloc in ship.get("discount_allocations") or []:
            shipping -= money(alloc.get("amount"), "shipping_lines.discount_allocations")
        if not taxes_included:
            for tax in ship.get("tax_lines") or []:
                shipping += money(tax.get("price"), "shipping_lines.tax_lines")
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
            currency=str(body.get("currency") or "MXN"),
            lines=lines,
            shipping=max(shipping, Decimal(0)),
            total_paid=money(body.get("total_price"), "total_price"),
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
