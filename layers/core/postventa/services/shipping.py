"""The custom shipping notice (DOMAIN.md: Mercado Libre only): for sellers who ship with their
own carrier, one message with the carrier, the tracking number and the carrier's tracking link,
sent once when the shipment is marked shipped.

Two ways it is marked shipped:
- Mercado Libre's `shipments` notification of a shipment the seller sends themselves (mode
  custom / me1) whose status became `shipped`: sent when the seller turned the notice on (saved
  a shipping template for the channel), with what the shipment says (tracking number, carrier;
  it has no tracking link, so the seller's template writes the carrier's page with {{ guia }});
- the seller API (`POST /api/v1/orders/{channel}/{order_id}/shipment`) with the carrier, guide
  and tracking link a label service gave them (Skydropx, Envioclick ...): sent then.

Once per order: a claim in the table before sending, released if the send fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from postventa.channels.base import ChannelPayloadError, QueuedWebhook, Shipment
from postventa.channels.messaging import MessagingUnavailableError
from postventa.channels.registry import get_adapter
from postventa.domain.clock import iso
from postventa.domain.messages import (
    SHIPPING_NOTICE,
    SHIPPING_RULES,
    MessageTemplate,
    Part,
    ShippingValues,
    TemplateBody,
    TemplateRejectedError,
    is_shortener,
)
from postventa.domain.orders import Channel, OrderRecord, OrderRef
from postventa.domain.ports import Adapters
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.messaging.templating import (
    default_shipping_template,
    render_message,
    render_outcome,
)
from postventa.observability import bind_order, logger
from postventa.services.channel_context import channel_context
from postventa.services.events import announce
from postventa.services.message_switches import set_shipping_notice

_URL = re.compile(r"^https://[^\s<>\"']{4,500}$")


class ShipmentBody(BaseModel):
    """The seller's "shipped with my own carrier"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    carrier: str = Field(min_length=2, max_length=60, description="Estafeta, DHL, ...")
    tracking_number: str = Field(min_length=3, max_length=60)
    tracking_url: str = Field(min_length=10, max_length=500)

    @field_validator("tracking_url")
    @classmethod
    def _tracking_url(cls, value: str) -> str:
        if not _URL.match(value):
            raise ValueError("la liga de rastreo debe empezar con https://")
        if is_shortener(value):
            raise ValueError(
                "la liga de rastreo no puede ser acortada (Mercado Libre bloquea esos mensajes)"
            )
        return value


@dataclass(frozen=True)
class NoticeOutcome:
    sent: bool
    reason: str  # enviado | ya_enviado | desactivado | sin_rastreo | <messaging reason>


def _notice_key(ref: OrderRef) -> str:
    return f"shipping_notice|{ref.order_id}"


def send_shipping_notice(
    record: OrderRecord, carrier: str, tracking_number: str, tracking_url: str, adapters: Adapters
) -> NoticeOutcome:
    order = record.order
    if order.channel not in SHIPPING_RULES:
        raise ConflictError("El aviso de envío personalizado solo existe para Mercado Libre.")
    ref = order.ref
    tenant = adapters.tenants.get(ref.tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    if not adapters.connections.notice_once(ref.tenant_id, ref.channel, _notice_key(ref)):
        return NoticeOutcome(False, "ya_enviado")
    rules = SHIPPING_RULES[order.channel]
    saved = adapters.message_templates.get(ref.tenant_id, ref.channel, SHIPPING_NOTICE.name)
    body = saved.body if saved else default_shipping_template()
    values = ShippingValues(
        comprador=order.buyer.name or "",
        pedido=order.display_number,
        tienda=tenant.name,
        paqueteria=carrier,
        guia=tracking_number,
        liga_rastreo=tracking_url,
    )
    try:
        try:
            message = render_message(rules, body, values, kind=SHIPPING_NOTICE)
        except TemplateRejectedError:
            if saved is None:
                raise
            message = render_message(
                rules, default_shipping_template(), values, kind=SHIPPING_NOTICE
            )
        adapter = get_adapter(order.channel.value)
        adapter.send_shipping_message(
            order, message.text, channel_context(adapters, ref.tenant_id, order.channel)
        )
    except MessagingUnavailableError as exc:
        announce(adapters, "ShippingNoticeNotSent", ref, reason=exc.reason)
        return NoticeOutcome(False, exc.reason)
    except Exception:
        adapters.connections.forget_notice(ref.tenant_id, ref.channel, _notice_key(ref))
        raise
    announce(adapters, "ShippingNoticeSent", ref, paqueteria=carrier)
    logger.info("shipping notice sent")
    return NoticeOutcome(True, "enviado")


def mark_shipped(ref: OrderRef, body: ShipmentBody, adapters: Adapters) -> dict[str, Any]:
    """The seller's API call: the order left with their carrier."""
    bind_order(ref.tenant_id, ref.channel, ref.order_id)
    record = adapters.orders.get(ref)
    if record is None:
        raise NotFoundError("Pedido no encontrado.")
    outcome = send_shipping_notice(
        record, body.carrier, body.tracking_number, body.tracking_url, adapters
    )
    return {"sent": outcome.sent, "reason": outcome.reason}


def shipment_notified(message: QueuedWebhook, adapters: Adapters) -> NoticeOutcome:
    """Mercado Libre says a shipment changed: when the seller ships it themselves and it left,
    send the notice (if turned on) with what Mercado Libre knows of it."""
    from postventa.channels.mercadolibre import SHIPMENT_RESOURCE, parse_notification, shipment_from

    notification = parse_notification(message.text)
    match = SHIPMENT_RESOURCE.match(notification.resource)
    if not match:
        raise ChannelPayloadError("La notificación de envío no es válida.")
    tenant_id = message.tenant_id
    api = adapters.marketplaces.client(tenant_id, Channel.MERCADOLIBRE)
    body = api.shipment(match.group(1))
    shipment = shipment_from(body)
    if not (shipment.shipped and shipment.custom_carrier):
        return NoticeOutcome(False, "no_aplica")
    order_id = body.get("order_id")
    if not order_id:
        return NoticeOutcome(False, "sin_pedido")
    order = api.order(str(order_id))
    key = str(order.get("pack_id") or order.get("id"))
    context = order.get("context") or {}
    channel = Channel.MERCADOSHOPS if context.get("channel") == "mshops" else Channel.MERCADOLIBRE
    record = adapters.orders.get(OrderRef(tenant_id=tenant_id, channel=channel.value, order_id=key))
    if record is None:
        return NoticeOutcome(False, "pedido_desconocido")
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None or not tenant.messaging_for(channel.value).shipping_notice:
        return NoticeOutcome(False, "desactivado")  # the seller's switch (panel, Mensajes)
    return _notify(record, shipment, adapters)


def _notify(record: OrderRecord, shipment: Shipment, adapters: Adapters) -> NoticeOutcome:
    if not shipment.tracking_number:
        return NoticeOutcome(False, "sin_rastreo")
    return send_shipping_notice(
        record,
        shipment.carrier or "tu paquetería",
        shipment.tracking_number,
        shipment.tracking_url or "",
        adapters,
    )


def require_channel(channel: str) -> Channel:
    try:
        known = Channel(channel)
    except ValueError:
        raise NotFoundError("Canal no soportado.") from None
    if known not in SHIPPING_RULES:
        raise BadRequestError("El aviso de envío personalizado solo existe para Mercado Libre.")
    return known


# ---------------------------------------------------------------- the seller's template
_SAMPLE = ShippingValues(
    comprador="María Fernanda González Ruiz",
    pedido="2000009876543210",
    tienda="",
    paqueteria="Estafeta Mexicana",
    guia="1234567890123456789012",
    liga_rastreo="https://rastreo.paqueteria.example/guia/1234567890123456789012",
)


def _template_view(
    channel: Channel, body: TemplateBody, own: bool, updated_at: str | None
) -> dict[str, Any]:
    rules = SHIPPING_RULES[channel]
    view: dict[str, Any] = {
        "channel": channel.value,
        "active": own,
        "template": body.model_dump(exclude_none=True),
        "fields": [
            {"name": n, "use": "{{ " + n + " }}", "description": d}
            for n, d in SHIPPING_NOTICE.fields.items()
        ],
        "max_chars": rules.max_chars[Part.TEXT],
        "source": rules.source,
    }
    if updated_at:
        view["updated_at"] = updated_at
    return view


def show_shipping_template(tenant_id: str, channel: str, adapters: Adapters) -> dict[str, Any]:
    known = require_channel(channel)
    saved = adapters.message_templates.get(tenant_id, known.value, SHIPPING_NOTICE.name)
    body = saved.body if saved else default_shipping_template()
    return _template_view(known, body, saved is not None, saved.updated_at if saved else None)


def save_shipping_template(
    tenant_id: str, channel: str, body: TemplateBody, adapters: Adapters, *, switch: bool = True
) -> dict[str, Any]:
    """Save the tenant's shipping notice, after rendering it with values as long as real ones
    get; 422 with every problem otherwise. `switch`: saving also turns the notice on (the API,
    which has no switch of its own); the panel has its switch beside it and passes False."""
    known = require_channel(channel)
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    sample = ShippingValues(**{**vars(_SAMPLE), "tienda": tenant.name})
    _, problems = render_outcome(SHIPPING_RULES[known], body, sample, kind=SHIPPING_NOTICE)
    if problems:
        raise TemplateRejectedError(problems)
    saved = MessageTemplate(
        tenant_id=tenant_id, channel=known, body=body, updated_at=iso(adapters.clock.now())
    )
    adapters.message_templates.put(saved, SHIPPING_NOTICE.name)
    if switch:
        set_shipping_notice(tenant_id, known, True, adapters)
    return _template_view(known, body, True, saved.updated_at)


def delete_shipping_template(
    tenant_id: str, channel: str, adapters: Adapters, *, switch: bool = True
) -> dict[str, Any]:
    """Back to the default text; with `switch` (the API) the automatic notice is also turned
    off (the seller API's explicit "shipped" still sends the default)."""
    known = require_channel(channel)
    if not adapters.message_templates.delete(tenant_id, known.value, SHIPPING_NOTICE.name):
        raise NotFoundError("No tienes un aviso de envío propio para este canal.")
    if switch:
        set_shipping_notice(tenant_id, known, False, adapters)
    return _template_view(known, default_shipping_template(), False, None)
