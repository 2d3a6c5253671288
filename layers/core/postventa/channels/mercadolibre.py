"""Mercado Libre (and Mercado Shops, which sells through the same account).

Notifications (developers.mercadolibre.com.mx, "Recibe notificaciones"): a POST to our
application's one callback URL with `resource`, `user_id` (the seller), `topic`,
`application_id`, `attempts`, `sent`, `received` (and `_id` on newer deliveries). They carry no
signature, so a notification only says "look at this": the webhook answers 200 within
milliseconds whatever it is (Mercado Libre retries anything else for an hour and switches a topic
off after repeated failures), and ingest fetches the order with the seller's own token; an order
whose seller is not the notification's user is refused there.

Carts ("packs"): a cart purchase is several orders sharing `pack_id`; Mercado Libre keys its
messages and fiscal documents by the pack (a single order's pack is the order id itself). So the
pack is the product's order: `order_id` = pack id (or the order id), lines from every order of
the pack, one billing request and one invoice; the pack is invoiced once every order in it is
paid (or cancelled), whichever order's notification arrives first or last.

Billing info: an order may carry `buyer.billing_info.id`; GET /orders/billing-info/{site}/{id}
then gives the buyer's RFC, name, régimen (`taxes.taxpayer_type.id`), CFDI use (`taxes.cfdi.id`)
and CP. The generic RFC XAXX010101000 means the buyer did not ask for an invoice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from postventa.channels.base import (
    BaseAdapter,
    Capabilities,
    ChannelContext,
    ChannelPayloadError,
    Delivery,
    InvoiceDocuments,
    QueuedWebhook,
    Shipment,
    UploadResult,
    money,
    plain_text,
)
from postventa.channels.http import ChannelApiError, ChannelAuthError, FilePart
from postventa.channels.tokens import ConnectionBrokenError
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.errors import UnauthorizedError

ORDERS_TOPIC = "orders_v2"
SHIPMENTS_TOPIC = "shipments"
TOPICS = frozenset({ORDERS_TOPIC, SHIPMENTS_TOPIC})
ORDER_RESOURCE = re.compile(r"^/orders/(\d{1,20})$")
SHIPMENT_RESOURCE = re.compile(r"^/shipments/(\d{1,20})$")
GENERIC_RFC = "XAXX010101000"
# Orders that will never be paid (they leave the pack's count) and the statuses still on the way.
FINAL_UNPAID = frozenset({"cancelled", "invalid"})
# A pack while Mercado Libre is still creating its orders (docs "Packs": filling, filled).
PACK_NOT_READY = frozenset({"filling", "filled"})
# Billing-message reasons of the action guide that take free text, preferred first.
FREE_TEXT_OPTIONS = ("SEND_INVOICE_LINK", "OTHER")
SHIPPING_OPTIONS = ("OTHER",)
# Shipping modes where the seller ships with a carrier of their own choice ("custom"; "me1" is
# Mercado Envíos 1, the seller's own contract) as opposed to Mercado Libre's logistics.
CUSTOM_SHIPPING_MODES = frozenset({"custom", "me1", "not_specified"})


class Notification(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    resource: str = Field(max_length=200)
    user_id: int
    topic: str = Field(max_length=50)
    application_id: int | None = None
    attempts: int | None = None
    sent: str | None = None
    received: str | None = None
    id: str | None = Field(None, alias="_id", max_length=100)

    @property
    def delivery_id(self) -> str:
        """The same across Mercado Libre's retries of one notification: `_id` when present,
        else the resource and when Mercado Libre received the event."""
        return self.id or f"{self.topic}|{self.resource}|{self.received or self.sent or ''}"


def parse_notification(raw: bytes | str) -> Notification:
    try:
        return Notification.model_validate_json(raw)
    except ValidationError as exc:
        raise ChannelPayloadError("La notificación de Mercado Libre no es válida.") from exc


class MercadoLibreAdapter(BaseAdapter):
    channel = Channel.MERCADOLIBRE
    capabilities = Capabilities(
        fetch=True, messaging=True, invoice_upload=True, notifies_buyer=True, tracking=True
    )
    acknowledge_always = True

    def account_of(self, raw_body: bytes) -> str:
        return str(parse_notification(raw_body).user_id)

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        """No signature exists: the notification must at least name the tenant's seller."""
        notification = parse_notification(raw_body)
        expected = secrets.get("user_id") or secrets.get("account_id")
        if str(notification.user_id) != str(expected):
            raise UnauthorizedError("La notificación no corresponde a esta cuenta de vendedor.")

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        notification = Notification.model_validate(payload)
        resource = notification.resource
        invoiceable = (
            notification.topic == ORDERS_TOPIC and bool(ORDER_RESOURCE.match(resource))
        ) or (notification.topic == SHIPMENTS_TOPIC and bool(SHIPMENT_RESOURCE.match(resource)))
        return Delivery(
            topic=notification.topic,
            delivery_id=notification.delivery_id,
            invoiceable=invoiceable,
        )

    # ---------------------------------------------------------------- orders
    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        notification = parse_notification(message.text)
        match = ORDER_RESOURCE.match(notification.resource)
        if notification.topic != ORDERS_TOPIC or not match:
            return None
        api = context.api()
        if str(notification.user_id) != str(api.account_id):
            raise UnauthorizedError("La notificación no corresponde a esta cuenta de vendedor.")
        order = api.order(match.group(1))
        seller = str((order.get("seller") or {}).get("id"))
        if seller != str(api.account_id):
            raise UnauthorizedError("El pedido no pertenece a esta cuenta de vendedor.")
        pack_id = order.get("pack_id")
        if pack_id:
            pack = api.pack(str(pack_id))
            if str(pack.get("status") or "") in PACK_NOT_READY:
                return None  # Mercado Libre is still building the cart: a later notice comes
            ids = [str(o.get("id")) for o in pack.get("orders") or [] if o.get("id")]
            if str(order.get("id")) not in ids:
                return None  # the pack does not list this order yet: a later notice completes it
            orders = [order if i == str(order.get("id")) else api.order(i) for i in ids]
            if any(str((o.get("seller") or {}).get("id")) != seller for o in orders):
                raise UnauthorizedError("El carrito incluye pedidos de otra cuenta de vendedor.")
        else:
            orders = [order]
        statuses = [str(o.get("status") or "") for o in orders]
        if any(s not in ("paid", *FINAL_UNPAID) for s in statuses) or "paid" not in statuses:
            return None  # not paid yet (or nothing was): nothing to invoice for now
        paid = [o for o in orders if o.get("status") == "paid"]
        normalized = normalize_pack(message.tenant_id, str(pack_id or order["id"]), paid)
        billing = _billing_info(api, paid)
        if billing is not None:
            normalized = normalized.model_copy(update={"channel_fiscal_data": billing})
        return normalized

    # ---------------------------------------------------------------- messages
    def send_billing_message(self, order: Order, message: Any, context: ChannelContext) -> str:
        return _send_free_text(context.api(), order.order_id, message.text, FREE_TEXT_OPTIONS)

    def send_shipping_message(self, order: Order, text: str, context: ChannelContext) -> str:
        return _send_free_text(context.api(), order.order_id, text, SHIPPING_OPTIONS)

    # ---------------------------------------------------------------- the invoice
    def upload_invoice(
        self, order: Order, documents: InvoiceDocuments, context: ChannelContext
    ) -> UploadResult:
        from postventa.channels.mercadolibre_api import FISCAL_DOCUMENT_MAX_BYTES

        if len(documents.pdf) > FISCAL_DOCUMENT_MAX_BYTES:
            return UploadResult(False, "pdf_demasiado_grande")
        files = [
            FilePart("fiscal_document", f"{documents.name}.pdf", "application/pdf", documents.pdf),
            FilePart("fiscal_document", f"{documents.name}.xml", "application/xml", documents.xml),
        ]
        try:
            answer = context.api().upload_fiscal_documents(order.order_id, files)
        except ChannelApiError as exc:
            if exc.status == 409 or "already" in exc.code:
                return UploadResult(False, "ya_subida")
            raise
        return UploadResult(True, "subida", tuple(str(i) for i in answer.get("ids") or []))

    # ---------------------------------------------------------------- shipping
    def shipment(self, order: Order, context: ChannelContext) -> Shipment | None:
        shipment_id = order.channel_refs.get("shipment_id")
        if not shipment_id:
            return None
        return shipment_from(context.api().shipment(shipment_id))


def shipment_from(body: Mapping[str, Any]) -> Shipment:
    """GET /shipments/{id}: status, tracking and whether the seller ships it themselves."""
    status = str(body.get("status") or "")
    mode = str(body.get("mode") or body.get("logistic_type") or "")
    carrier = body.get("tracking_method") or (body.get("shipping_option") or {}).get("name")
    return Shipment(
        shipment_id=str(body.get("id") or ""),
        status=status,
        shipped=status in ("shipped", "delivered"),
        carrier=str(carrier) if carrier else None,
        tracking_number=str(body["tracking_number"]) if body.get("tracking_number") else None,
        custom_carrier=mode in CUSTOM_SHIPPING_MODES,
        details={"mode": mode},
    )


def _send_free_text(api: Any, pack_id: str, text: str, options: tuple[str, ...]) -> str:
    """Send `text` under the first free-text reason of the action guide that is enabled and has
    messages left; MessagingUnavailableError (with the channel's reason) when none has."""
    from postventa.channels.messaging import MessagingUnavailableError, marketplace_length

    guide = api.action_guide(pack_id)
    by_id = {str(o.get("id")): o for o in _options(guide.get("options") or [])}
    for option_id in options:
        option = by_id.get(option_id)
        if option is None or not option.get("enabled", True):
            continue
        if str(option.get("type", "")).lower() != "free_text":
            continue
        if int(option.get("cap_available") or 0) < 1:
            continue
        limit = int(option.get("char_limit") or 350)
        if marketplace_length(text) > limit:
            raise MessagingUnavailableError(
                "excede_limite",
                f"El mensaje tiene {marketplace_length(text)} caracteres y Mercado Libre admite "
                f"{limit} en «{option_id}».",
            )
        answer = api.send_option(pack_id, option_id, text)
        return str(answer.get("id") or answer.get("message_id") or option_id)
    raise MessagingUnavailableError(
        "sin_mensajes_disponibles",
        "Mercado Libre no permite enviar más mensajes de ese tipo en esta venta "
        "(sin motivo de texto libre con mensajes disponibles).",
    )


def _options(options: list[Any]) -> list[dict[str, Any]]:
    """Every option of the action guide, child options included."""
    out: list[dict[str, Any]] = []
    for option in options:
        if isinstance(option, dict):
            out.append(option)
            out.extend(_options(option.get("child_options") or []))
    return out


def _billing_info(api: Any, orders: list[dict[str, Any]]) -> dict[str, str] | None:
    """The buyer's fiscal data when an order of the pack carries it (MLM billing info v2), as
    the billing form's fields; None when absent or not a nominal invoice request."""
    for order in orders:
        info_id = ((order.get("buyer") or {}).get("billing_info") or {}).get("id")
        site = (order.get("context") or {}).get("site") or _site_of(order)
        if not info_id or not site:
            continue
        try:
            body = api.billing_info(str(site), str(info_id))
        except ConnectionBrokenError:
            raise
        except (ChannelApiError, ChannelAuthError):
            return None  # no billing info we may read: the buyer is asked as usual
        return fiscal_data_from_billing_info(body)
    return None


def _site_of(order: Mapping[str, Any]) -> str | None:
    for payment in order.get("payments") or []:
        if payment.get("site_id"):
            return str(payment["site_id"])
    return None


def fiscal_data_from_billing_info(body: Mapping[str, Any]) -> dict[str, str] | None:
    info = ((body.get("buyer") or {}).get("billing_info")) or {}
    identification = info.get("identification") or {}
    if str(identification.get("type") or "").upper() != "RFC":
        return None
    rfc = str(identification.get("number") or "").strip().upper()
    if not rfc or rfc == GENERIC_RFC:
        return None  # the buyer did not ask for a nominal invoice
    taxes = info.get("taxes") or {}
    address = info.get("address") or {}
    name = " ".join(
        part for part in (str(info.get("name") or ""), str(info.get("last_name") or "")) if part
    )
    return {
        "rfc": rfc,
        "nombre": name,
        "regimen_fiscal": str((taxes.get("taxpayer_type") or {}).get("id") or ""),
        "uso_cfdi": str((taxes.get("cfdi") or {}).get("id") or ""),
        "codigo_postal": str(address.get("zip_code") or ""),
        "email": "",
    }


def normalize_pack(tenant_id: str, pack_id: str, orders: list[dict[str, Any]]) -> Order:
    """Paid orders of one cart (one order when there is no cart) as one Order keyed by the pack."""
    lines: list[OrderLine] = []
    shipping = Decimal(0)
    total_paid = Decimal(0)
    methods: list[str] = []
    approved_at: list[str] = []
    shipment_ids: list[str] = []
    for body in orders:
        for entry in body.get("order_items") or []:
            lines.append(_line(entry))
        payments = [p for p in body.get("payments") or [] if p.get("status") in (None, "approved")]
        order_shipping = sum(
            (money(p.get("shipping_cost"), "payments.shipping_cost") for p in payments),
            Decimal(0),
        )
        shipping += order_shipping
        paid = [p.get("total_paid_amount") for p in payments if p.get("total_paid_amount")]
        if paid:
            total_paid += sum((money(v, "payments.total_paid_amount") for v in paid), Decimal(0))
        elif body.get("paid_amount") is not None:
            total_paid += money(body.get("paid_amount"), "paid_amount")
        else:
            total_paid += money(body.get("total_amount"), "total_amount") + order_shipping
        methods.extend(
            str(p.get("payment_type") or p.get("payment_method_id") or "") for p in payments
        )
        approved_at.extend(str(p["date_approved"]) for p in payments if p.get("date_approved"))
        shipment_id = (body.get("shipping") or {}).get("id")
        if shipment_id and str(shipment_id) not in shipment_ids:
            shipment_ids.append(str(shipment_id))
    first = orders[0]
    buyer = first.get("buyer") or {}
    context = first.get("context") or {}
    channel = Channel.MERCADOSHOPS if context.get("channel") == "mshops" else Channel.MERCADOLIBRE
    refs = {"pack_id": pack_id, "orders": ",".join(str(o.get("id")) for o in orders)}
    site = context.get("site") or _site_of(first)
    if site:
        refs["site_id"] = str(site)
    if shipment_ids:
        refs["shipment_id"] = shipment_ids[0]
    if buyer.get("id"):
        refs["buyer_id"] = str(buyer["id"])
    try:
        return Order(
            tenant_id=tenant_id,
            channel=channel,
            order_id=pack_id,
            order_number=pack_id,
            paid_at=datetime.fromisoformat(
                max(approved_at)
                if approved_at
                else str(first.get("date_closed") or first["date_created"])
            ),
            currency=str(first.get("currency_id") or "MXN"),
            lines=lines,
            shipping=shipping,
            total_paid=total_paid,
            payment_method=next((m for m in methods if m), None),
            buyer=BuyerContact(
                name=" ".join(p for p in (buyer.get("first_name"), buyer.get("last_name")) if p)
                or buyer.get("nickname"),
                email=None,  # Mercado Libre hides the buyer's address: its messaging reaches them
            ),
            channel_refs=refs,
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de Mercado Libre no tiene los datos necesarios para facturar."
        ) from exc


def _line(entry: Mapping[str, Any]) -> OrderLine:
    item = entry.get("item") or {}
    quantity = money(entry.get("quantity"), "order_items.quantity")
    unit = money(entry.get("unit_price"), "order_items.unit_price")
    full = money(entry.get("full_unit_price") or entry.get("unit_price"), "full_unit_price")
    full = max(full, unit)
    variation = ", ".join(
        str(a.get("value_name"))
        for a in item.get("variation_attributes") or []
        if a.get("value_name")
    )
    title = plain_text(item.get("title")) or "Producto"
    try:
        return OrderLine(
            sku=str(
                item.get("seller_sku")
                or item.get("seller_custom_field")
                or item.get("id")
                or "SIN-SKU"
            )[:100],
            description=(f"{title} - {variation}" if variation else title)[:1000],
            quantity=quantity,
            unit_price=full,
            discount=(full - unit) * quantity,
        )
    except ValidationError as exc:
        raise ChannelPayloadError("Una partida del pedido de Mercado Libre no es válida.") from exc


class MercadoShopsAdapter(MercadoLibreAdapter):
    """Mercado Shops orders: the same account, notifications and APIs as Mercado Libre (its
    orders say `context.channel = "mshops"`); only the channel they are recorded under differs."""

    channel = Channel.MERCADOSHOPS
