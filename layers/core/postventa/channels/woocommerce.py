"""WooCommerce: X-WC-Webhook-Signature = base64 HMAC-SHA256 of the body; paid = processing or
completed.

WooCommerce's REST API v3 order (woocommerce.github.io/woocommerce-rest-api-docs): line totals
`subtotal`/`total` with their `*_tax` (the price before and after the line's coupons),
`shipping_total` + `shipping_tax`, `fee_lines` (a surcharge or, negative, a discount added at
checkout; each with `total` and `total_tax`), `total` (what the buyer paid), `date_paid_gmt`.
Product names come HTML-encoded as WordPress stores them (`&ndash;`, `&amp;`): decoded here.

When a webhook is created, WooCommerce first POSTs a ping whose body is `webhook_id=N`, unsigned
(WC_Webhook::deliver_ping), and saves the webhook only if that answers 200.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
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

PAID_STATUSES = frozenset({"processing", "completed"})
_ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.paid"})
_PING = re.compile(rb"^webhook_id=\d{1,20}$")
# Gift-card plugins mark the lines that sell a card in the line's meta data.
_GIFT_CARD_META = re.compile(r"gift_?card", re.IGNORECASE)


class WooCommerceAdapter(BaseAdapter):
    channel = Channel.WOOCOMMERCE

    def is_handshake(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """WooCommerce's ping on creating a webhook: answered 200, nothing else done."""
        return not header(headers, "X-WC-Webhook-Signature") and bool(_PING.match(raw_body))

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        verify_base64_hmac(
            raw_body, header(headers, "X-WC-Webhook-Signature"), secrets.get("webhook_secret")
        )

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        topic = header(headers, "X-WC-Webhook-Topic")
        invoiceable = (
            topic in _ORDER_TOPICS
            and isinstance(payload, dict)
            and payload.get("status") in PAID_STATUSES
        )
        if invoiceable:
            check_order_payload(payload, "line_items")
        return Delivery(
            topic=topic,
            delivery_id=header(headers, "X-WC-Webhook-Delivery-ID"),
            invoiceable=invoiceable,
        )

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        body = json.loads(message.text)
        if body.get("status") not in PAID_STATUSES:
            return None
        return normalize_order(message.tenant_id, body)


def _is_gift_card(item: Mapping[str, Any]) -> bool:
    return any(
        isinstance(meta, dict) and _GIFT_CARD_META.search(str(meta.get("key") or ""))
        for meta in item.get("meta_data") or []
    )


def spread_discount(lines: list[OrderLine], amount: Decimal) -> list[OrderLine]:
    """A discount on the whole order (a negative fee) spread over the lines by their amount,
    the cent left over on the largest line."""
    if amount <= 0:
        return lines
    gross = [line.gross_amount for line in lines]
    base = sum(gross, Decimal(0))
    if base <= 0 or amount > base:
        raise ChannelPayloadError("El descuento del pedido es mayor que sus partidas.")
    shares = [(amount * g / base).quantize(Decimal("0.01")) for g in gross]
    largest = gross.index(max(gross))
    shares[largest] += amount - sum(shares, Decimal(0))
    return [
        line.model_copy(update={"discount": line.discount + share})
        for line, share in zip(lines, shares, strict=True)
    ]


def normalize_order(tenant_id: str, body: dict[str, Any]) -> Order:
    currency = str(body.get("currency") or "MXN")
    lines: list[OrderLine] = []
    gift_cards = Decimal(0)
    for item in body.get("line_items") or []:
        quantity = money(item.get("quantity"), "line_items.quantity")
        before = money(item.get("subtotal"), "subtotal") + money(
            item.get("subtotal_tax"), "subtotal_tax"
        )
        after = money(item.get("total"), "total") + money(item.get("total_tax"), "total_tax")
        if _is_gift_card(item):
            gift_cards += after
            continue
        try:
            lines.append(
                OrderLine(
                    sku=str(
                        item.get("sku") or item.get("product_id") or item.get("id") or "SIN-SKU"
                    )[:100],
                    description=(plain_text(item.get("name")) or "Producto")[:1000],
                    quantity=quantity,
                    unit_price=before / quantity if quantity else Decimal(0),
                    discount=max(before - after, Decimal(0)),
                )
            )
        except ValidationError as exc:
            raise ChannelPayloadError(
                "Una partida del pedido de WooCommerce no es válida."
            ) from exc
    order_discount = Decimal(0)
    for fee in body.get("fee_lines") or []:
        amount = money(fee.get("total"), "fee_lines.total") + money(
            fee.get("total_tax"), "fee_lines.total_tax"
        )
        if amount < 0:
            order_discount -= amount
        elif amount > 0:
            lines.append(
                OrderLine(
                    sku=f"CARGO-{fee.get('id') or len(lines) + 1}",
                    description=(plain_text(fee.get("name")) or "Cargo adicional")[:1000],
                    quantity=Decimal(1),
                    unit_price=amount,
                )
            )
    total = money(body.get("total"), "total")
    if not lines:
        raise ChannelPayloadError(
            f"El pedido de WooCommerce {body.get('number') or body.get('id')} ({total} "
            f"{currency}) solo vende tarjetas de regalo: una tarjeta de regalo se factura cuando "
            "se usa para comprar, no cuando se vende."
        )
    lines = spread_discount(lines, order_discount)
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
            currency=currency,
            lines=lines,
            shipping=money(body.get("shipping_total"), "shipping_total")
            + money(body.get("shipping_tax"), "shipping_tax"),
            total_paid=total - gift_cards,
            payment_method=body.get("payment_method") or body.get("payment_method_title"),
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
