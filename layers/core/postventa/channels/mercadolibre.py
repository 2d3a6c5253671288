"""Mercado Libre: unsigned notifications; authenticity comes from fetching the order with the
seller's OAuth token (in ingest, never in the webhook, which must answer within 500 ms)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from postventa.channels.base import (
    ChannelPayloadError,
    Delivery,
    QueuedWebhook,
    money,
)
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.errors import UnauthorizedError

API_BASE = "https://api.mercadolibre.com"
ORDERS_TOPIC = "orders_v2"

Fetcher = Callable[[str, str], dict[str, Any]]
"""(resource path such as /orders/123, seller access token) -> the resource's JSON."""


class Notification(BaseModel):
    resource: str
    user_id: int
    topic: str
    application_id: int | None = None
    attempts: int | None = None
    sent: str | None = None


def http_fetch(resource: str, access_token: str) -> dict[str, Any]:
    if not resource.startswith("/"):
        raise ChannelPayloadError("Recurso de Mercado Libre inválido.")
    request = urllib.request.Request(  # noqa: S310 - fixed https host
        API_BASE + resource, headers={"Authorization": f"Bearer {access_token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        data = json.loads(response.read())
    if not isinstance(data, dict):
        raise ChannelPayloadError("Respuesta inesperada de Mercado Libre.")
    return data


class MercadoLibreAdapter:
    channel = Channel.MERCADOLIBRE

    def __init__(self, fetch: Fetcher = http_fetch) -> None:
        self.fetch = fetch

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        """No signature exists: the notification must at least name the tenant's ML user."""
        try:
            notification = Notification.model_validate_json(raw_body)
        except ValidationError as exc:
            raise ChannelPayloadError("La notificación de Mercado Libre no es válida.") from exc
        if str(notification.user_id) != str(secrets.get("user_id")):
            raise UnauthorizedError("La notificación no corresponde a esta cuenta de vendedor.")

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery:
        topic = payload.get("topic") if isinstance(payload, dict) else None
        return Delivery(
            topic=topic,
            delivery_id=None,  # ML has no delivery id; the order key dedupes in ingest
            invoiceable=topic == ORDERS_TOPIC,
        )

    def normalize(self, message: QueuedWebhook, secrets: Mapping[str, Any] | None) -> Order | None:
        notification = Notification.model_validate_json(message.text)
        token = (secrets or {}).get("access_token")
        if not token:
            raise UnauthorizedError("La cuenta de Mercado Libre no tiene token de acceso.")
        body = self.fetch(notification.resource, str(token))
        if str((body.get("seller") or {}).get("id")) != str(notification.user_id):
            raise UnauthorizedError("El pedido no pertenece a esta cuenta de vendedor.")
        if body.get("status") != "paid":
            return None
        return normalize_order(message.tenant_id, body)


def normalize_order(tenant_id: str, body: dict[str, Any]) -> Order:
    lines = []
    for entry in body.get("order_items") or []:
        item = entry.get("item") or {}
        quantity = money(entry.get("quantity"), "order_items.quantity")
        full = money(entry.get("full_unit_price") or entry.get("unit_price"), "full_unit_price")
        unit = money(entry.get("unit_price"), "unit_price")
        lines.append(
            OrderLine(
                sku=str(item.get("seller_sku") or item.get("id") or "SIN-SKU"),
                description=str(item.get("title") or "Producto"),
                quantity=quantity,
                unit_price=full,
                discount=max((full - unit) * quantity, Decimal(0)),
            )
        )
    payments = body.get("payments") or []
    shipping = sum(
        (money(p.get("shipping_cost"), "payments.shipping_cost") for p in payments), Decimal(0)
    )
    buyer = body.get("buyer") or {}
    try:
        return Order(
            tenant_id=tenant_id,
            channel=Channel.MERCADOLIBRE,
            order_id=str(body["id"]),
            order_number=str(body.get("pack_id") or body["id"]),
            paid_at=datetime.fromisoformat(str(body.get("date_closed") or body["date_created"])),
            currency=str(body.get("currency_id") or "MXN"),
            lines=lines,
            shipping=shipping,
            total_paid=money(body.get("paid_amount") or body.get("total_amount"), "paid_amount")
            + (Decimal(0) if body.get("paid_amount") else shipping),
            payment_method=(payments[0].get("payment_method_id") if payments else None),
            buyer=BuyerContact(
                name=" ".join(p for p in (buyer.get("first_name"), buyer.get("last_name")) if p)
                or buyer.get("nickname"),
                email=None,  # ML hides the buyer's email: messages go through ML messaging
            ),
        )
    except (KeyError, ValueError, ValidationError) as exc:
        raise ChannelPayloadError(
            "El pedido de Mercado Libre no tiene los datos necesarios para facturar."
        ) from exc
