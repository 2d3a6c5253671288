"""Liverpool: orders polled from its Mirakl-style seller API (OR11), the invoice attached to the
order as a document (OR74), the billing message in an order thread to the customer (OR43).

Thin on purpose: Liverpool's API is documented to sellers only, so this follows Mirakl's public
seller API and reads no more of an order than invoicing needs. An OR11 order (asked with
`order_tax_mode=TAX_INCLUDED`, so amounts include IVA): `order_id`, `commercial_id`,
`created_date`, `order_state`, `customer_debited_date` (when the customer was charged),
`currency_iso_code`, `customer` (`firstname`, `lastname`), `order_lines` (`offer_sku`,
`product_title`, `quantity`, `price_unit`, `price` = the line after promotions,
`shipping_price`, `order_line_state`), `total_price` (lines plus shipping: what was paid).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from postventa.channels.base import (
    BaseAdapter,
    Capabilities,
    ChannelContext,
    ChannelPayloadError,
    Delivery,
    InvoiceDocuments,
    QueuedWebhook,
    UploadResult,
    money,
    plain_text,
)
from postventa.channels.http import FilePart
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.errors import UnauthorizedError

POLL_TOPIC = "OR11"
NEVER_PAID = frozenset({"REFUSED", "CANCELED"})
DROPPED_LINES = frozenset({"REFUSED", "CANCELED"})
BILLING_TOPIC = "Factura de tu compra"


class LiverpoolAdapter(BaseAdapter):
    channel = Channel.LIVERPOOL
    capabilities = Capabilities(fetch=True, messaging=True, invoice_upload=True)

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        raise UnauthorizedError("Liverpool no envía webhooks: sus pedidos se consultan.")

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        order = payload if isinstance(payload, dict) else {}
        return Delivery(
            topic=POLL_TOPIC,
            delivery_id=f"{order.get('order_id')}|{order.get('last_updated_date')}",
            invoiceable=is_paid(order),
        )

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        try:
            order = json.loads(message.text)
        except ValueError as exc:
            raise ChannelPayloadError("El pedido de Liverpool no es JSON válido.") from exc
        if not isinstance(order, dict):
            raise ChannelPayloadError("El pedido de Liverpool no es un objeto.")
        if not is_paid(order):
            return None
        return normalize_order(message.tenant_id, order)

    def send_billing_message(self, order: Order, message: Any, context: ChannelContext) -> str:
        answer = context.api().create_thread(order.order_id, message.text, BILLING_TOPIC)
        return str(answer.get("message_id") or answer.get("thread_id") or "")

    def upload_invoice(
        self, order: Order, documents: InvoiceDocuments, context: ChannelContext
    ) -> UploadResult:
        files = [
            FilePart("files", f"{documents.name}.pdf", "application/pdf", documents.pdf),
            FilePart("files", f"{documents.name}.xml", "application/xml", documents.xml),
        ]
        answer = context.api().upload_documents(order.order_id, files)
        if int(answer.get("errors_count") or 0):
            codes = [
                str(e.get("code") or e.get("message") or "")
                for doc in answer.get("order_documents") or []
                for e in doc.get("errors") or []
            ]
            return UploadResult(False, "rechazada:" + ",".join(c for c in codes if c)[:200])
        return UploadResult(True, "subida")


def is_paid(order: Mapping[str, Any]) -> bool:
    """The customer was charged and the order is still alive."""
    return bool(order.get("customer_debited_date")) and order.get("order_state") not in NEVER_PAID


def normalize_order(tenant_id: str, order: Mapping[str, Any]) -> Order:
    lines: list[OrderLine] = []
    shipping = Decimal(0)
    for line in order.get("order_lines") or []:
        if line.get("order_line_state") in DROPPED_LINES:
            continue
        quantity = money(line.get("quantity"), "order_lines.quantity")
        unit = money(line.get("price_unit"), "order_lines.price_unit")
        price = money(line.get("price"), "order_lines.price")
        shipping += money(line.get("shipping_price"), "order_lines.shipping_price")
        try:
            lines.append(
                OrderLine(
                    sku=str(line.get("offer_sku") or line.get("product_sku") or "SIN-SKU")[:100],
                    description=(plain_text(line.get("product_title")) or "Producto")[:1000],
                    quantity=quantity,
                    unit_price=max(unit, price / quantity if quantity else unit),
                    discount=max(unit * quantity - price, Decimal(0)),
                )
            )
        except ValidationError as exc:
            raise ChannelPayloadError("Una partida del pedido de Liverpool no es válida.") from exc
    customer = order.get("customer") or {}
    try:
        return Order(
            tenant_id=tenant_id,
            channel=Channel.LIVERPOOL,
            order_id=str(order["order_id"]),
            order_number=str(order.get("commercial_id") or order["order_id"]),
            paid_at=datetime.fromisoformat(
                str(order.get("customer_debited_date") or order["created_date"]).replace(
                    "Z", "+00:00"
                )
            ),
            currency=str(order.get("currency_iso_code") or "MXN"),
            lines=lines,
            shipping=shipping,
            total_paid=money(order.get("total_price"), "total_price"),
            # Liverpool charges the customer and pays the seller: an intermediary collected it.
            payment_method="liverpool",
            buyer=BuyerContact(
                name=" ".join(
                    str(p) for p in (customer.get("firstname"), customer.get("lastname")) if p
                )
                or None,
                email=order.get("customer_notification_email"),
            ),
            channel_refs={"state": str(order.get("order_state") or "")},
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de Liverpool no tiene los datos necesarios para facturar."
        ) from exc
