"""Amazon: ORDER_CHANGE notifications through our SQS queue, the order fetched with the seller's
token (buyer data with a restricted data token), the invoice through the Messaging API.

ORDER_CHANGE (Notifications API, payload version 1.0): `NotificationMetadata.NotificationId`
(dedupe), `Payload.OrderChangeNotification` with `SellerId`, `AmazonOrderId`,
`OrderChangeType` (OrderStatusChange, BuyerRequestedChange) and a `Summary` (`OrderStatus`,
`MarketplaceId`, `OrderItems`). The notification says the order changed; getOrder says what it
is now. An order is paid once it leaves Pending: Unshipped, PartiallyShipped, Shipped (Amazon
charges the buyer before releasing the order to the seller; "Pending" and "PendingAvailability"
are not charged yet; Canceled and Unfulfillable never will be).

Amounts: `ItemPrice` is the price of the whole quantity; on Amazon.com.mx, as in every
marketplace where displayed prices include tax, it includes IVA (`ItemTax` reports the part that
is tax). In a marketplace that shows prices before tax (Amazon.com) the tax is added.
`PromotionDiscount` is the line's discount, `ShippingPrice` minus `ShippingDiscount` what the
buyer paid for shipping; `OrderTotal` is what they paid.
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
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.errors import UnauthorizedError

ORDER_CHANGE = "ORDER_CHANGE"
PAID_STATUSES = frozenset({"Unshipped", "PartiallyShipped", "Shipped"})
# Marketplaces whose prices are shown (and reported) with tax included.
TAX_INCLUSIVE_MARKETPLACES = frozenset(
    {
        "A1AM78C64UM0Y8",  # Mexico
        "A2Q3Y263D00KWC",  # Brazil
        "A1F83G8C2ARO7P",  # United Kingdom
        "A1PA6795UKMFR9",  # Germany
        "A13V1IB3VIYZZH",  # France
        "APJ6JRA9NG5V4",  # Italy
        "A1RKKUPIHCS9HS",  # Spain
    }
)


def notification_summary(notification: Mapping[str, Any]) -> dict[str, Any]:
    change = (notification.get("Payload") or {}).get("OrderChangeNotification") or {}
    return dict(change) if isinstance(change, dict) else {}


class AmazonAdapter(BaseAdapter):
    channel = Channel.AMAZON
    capabilities = Capabilities(fetch=True, invoice_upload=True, notifies_buyer=True)

    def account_of(self, raw_body: bytes) -> str:
        try:
            notification = json.loads(raw_body)
        except ValueError as exc:
            raise ChannelPayloadError("La notificación de Amazon no es JSON válido.") from exc
        seller = notification_summary(notification if isinstance(notification, dict) else {})
        account = str(seller.get("SellerId") or "")
        if not account:
            raise ChannelPayloadError("La notificación de Amazon no nombra al vendedor.")
        return account

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        """Amazon's notifications come through our own SQS queue (its policy lets only Amazon's
        account send), never over HTTP: a POST claiming to be one is refused."""
        raise UnauthorizedError("Las notificaciones de Amazon llegan por su cola, no por HTTP.")

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        notification = payload if isinstance(payload, dict) else {}
        change = notification_summary(notification)
        metadata = notification.get("NotificationMetadata") or {}
        status = str((change.get("Summary") or {}).get("OrderStatus") or "")
        return Delivery(
            topic=str(notification.get("NotificationType") or ""),
            delivery_id=str(metadata.get("NotificationId") or "") or None,
            # Worth fetching only once the summary says the buyer was charged.
            invoiceable=notification.get("NotificationType") == ORDER_CHANGE
            and bool(change.get("AmazonOrderId"))
            and (not status or status in PAID_STATUSES),
        )

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        try:
            notification = json.loads(message.text)
        except ValueError as exc:
            raise ChannelPayloadError("La notificación de Amazon no es JSON válido.") from exc
        change = notification_summary(notification)
        order_id = str(change.get("AmazonOrderId") or "")
        if not order_id:
            raise ChannelPayloadError("La notificación de Amazon no nombra el pedido.")
        api = context.api()
        if str(change.get("SellerId") or "") != str(api.account_id):
            raise UnauthorizedError("La notificación no corresponde a esta cuenta de vendedor.")
        order = api.order_with_buyer(order_id)
        if order.get("OrderStatus") not in PAID_STATUSES:
            return None
        return normalize_order(message.tenant_id, order, api.order_items(order_id))

    def upload_invoice(
        self, order: Order, documents: InvoiceDocuments, context: ChannelContext
    ) -> UploadResult:
        from postventa.channels.amazon_api import INVOICE_ACTION, invoice_resource

        api = context.api()
        if INVOICE_ACTION not in api.messaging_actions(order.order_id):
            return UploadResult(False, "no_disponible")
        destination = api.upload(invoice_resource(order.order_id), documents.pdf, "application/pdf")
        api.send_invoice(order.order_id, destination, f"{documents.name}.pdf")
        return UploadResult(True, "subida", (destination,))


def _amount(value: Any, field: str) -> Decimal:
    return money((value or {}).get("Amount"), field) if isinstance(value, dict) else Decimal(0)


def normalize_order(tenant_id: str, order: Mapping[str, Any], items: list[dict[str, Any]]) -> Order:
    marketplace = str(order.get("MarketplaceId") or "")
    tax_included = marketplace in TAX_INCLUSIVE_MARKETPLACES
    lines: list[OrderLine] = []
    shipping = Decimal(0)
    for item in items:
        quantity = money(item.get("QuantityOrdered"), "QuantityOrdered")
        if quantity <= 0:
            continue  # cancelled out of the order
        price = _amount(item.get("ItemPrice"), "ItemPrice")
        discount = _amount(item.get("PromotionDiscount"), "PromotionDiscount")
        ship = _amount(item.get("ShippingPrice"), "ShippingPrice") - _amount(
            item.get("ShippingDiscount"), "ShippingDiscount"
        )
        if not tax_included:
            price += _amount(item.get("ItemTax"), "ItemTax")
            discount += _amount(item.get("PromotionDiscountTax"), "PromotionDiscountTax")
            ship += _amount(item.get("ShippingTax"), "ShippingTax") - _amount(
                item.get("ShippingDiscountTax"), "ShippingDiscountTax"
            )
        shipping += ship
        try:
            lines.append(
                OrderLine(
                    sku=str(item.get("SellerSKU") or item.get("ASIN") or "SIN-SKU")[:100],
                    description=(plain_text(item.get("Title")) or "Producto")[:1000],
                    quantity=quantity,
                    unit_price=price / quantity,
                    discount=discount,
                )
            )
        except ValidationError as exc:
            raise ChannelPayloadError("Una partida del pedido de Amazon no es válida.") from exc
    buyer = order.get("BuyerInfo") or {}
    total = order.get("OrderTotal") or {}
    details = order.get("PaymentMethodDetails") or []
    try:
        return Order(
            tenant_id=tenant_id,
            channel=Channel.AMAZON,
            order_id=str(order["AmazonOrderId"]),
            order_number=str(order["AmazonOrderId"]),
            paid_at=datetime.fromisoformat(str(order["PurchaseDate"]).replace("Z", "+00:00")),
            currency=str(total.get("CurrencyCode") or "MXN"),
            lines=lines,
            shipping=max(shipping, Decimal(0)),
            total_paid=money(total.get("Amount"), "OrderTotal"),
            # Amazon charged the buyer and pays the seller: an intermediary collected it.
            payment_method="amazon",
            buyer=BuyerContact(
                name=buyer.get("BuyerName") or (order.get("ShippingAddress") or {}).get("Name"),
                email=buyer.get("BuyerEmail"),  # the anonymised relay address
            ),
            channel_refs={
                "marketplace_id": marketplace,
                **({"payment": str(details[0])} if details else {}),
            },
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de Amazon no tiene los datos necesarios para facturar."
        ) from exc
