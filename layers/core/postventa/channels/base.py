"""The channel port: one adapter per sales channel, each doing what its channel allows.

Every adapter verifies inbound traffic (before parsing), classifies it (invoiceable or ignored,
with the channel's delivery id for dedupe) and normalizes it to the product's Order (lines,
gross prices, discounts, shipping, buyer contact, payment method, paid or not, cart/pack
grouping), fetching details from the channel's API when a notification is thin. Where the
channel allows it, the adapter also sends the billing message, uploads the stamped invoice and
reads the shipment's carrier and tracking; what a channel cannot do raises
ChannelCapabilityError (and `capabilities` says so up front). The tenant's account on the
channel reaches an adapter as a ChannelContext (its secrets and API client, built lazily).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field, model_validator

from postventa.domain.orders import MAX_ORDER_LINES, Channel, Order, is_safe_id
from postventa.errors import BadRequestError, PostventaError, UnauthorizedError

if TYPE_CHECKING:
    from postventa.domain.messages import RenderedMessage


class ChannelPayloadError(BadRequestError):
    """The channel sent something we cannot turn into an order."""

    code = "channel_payload"


class QueuedWebhook(BaseModel):
    """What the webhook function puts on the orders queue: the verified raw payload.

    The payload travels inline (`body`) or, when the message would be too large for SQS, as a
    claim check (`body_s3_key`, the object in the documents bucket; storage/payloads.py). Exactly
    one of the two is set; ingest loads the body before the adapter normalizes (`text`).
    """

    tenant_id: str
    channel: Channel
    topic: str | None = None
    delivery_id: str | None = None
    body: str | None = None
    body_s3_key: str | None = None
    received_at: datetime

    @model_validator(mode="after")
    def _one_payload_location(self) -> QueuedWebhook:
        if (self.body is None) == (self.body_s3_key is None):
            raise ValueError("exactly one of body and body_s3_key must be set")
        return self

    @property
    def text(self) -> str:
        """The verified raw payload as text; only after ingest loaded a claim-checked body."""
        if self.body is None:
            raise ValueError(f"payload not loaded from {self.body_s3_key}")
        return self.body


class Delivery(BaseModel):
    """How a verified webhook is classified before queueing."""

    topic: str | None = None
    delivery_id: str | None = Field(None, description="channel's id of this delivery (dedupe)")
    invoiceable: bool = Field(description="False: acknowledged and ignored (e.g. orders/create)")


class ChannelCapabilityError(PostventaError):
    """The channel does not allow this (e.g. uploading an invoice to Shopify)."""

    status_code = 409
    code = "canal_sin_capacidad"


class ChannelContext:
    """One tenant's account on one channel, as an adapter uses it: the channel's secrets (a
    signing secret, tokens) and its API client, both fetched only when asked for."""

    def __init__(
        self,
        tenant_id: str,
        channel: Channel,
        *,
        secrets: Callable[[], Mapping[str, Any] | None] = lambda: None,
        api: Callable[[], Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.channel = channel
        self._secrets = secrets
        self._api = api
        self.settings = dict(settings or {})

    def secrets(self) -> Mapping[str, Any] | None:
        return self._secrets()

    def api(self) -> Any:
        if self._api is None:
            raise ChannelCapabilityError(f"{self.channel.value} no tiene API que consultar.")
        return self._api()


@dataclass(frozen=True)
class Capabilities:
    fetch: bool = False  # the notification is thin: the order is fetched from the channel
    messaging: bool = False  # the billing message goes through the channel's own messaging
    invoice_upload: bool = False  # the stamped invoice is attached to the order on the channel
    notifies_buyer: bool = False  # ... and the channel then tells the buyer itself
    tracking: bool = False  # the shipment's carrier and tracking can be read


@dataclass(frozen=True)
class InvoiceDocuments:
    """The stamped invoice as the channel receives it."""

    name: str  # e.g. "DEMO-17" (no extension)
    xml: bytes
    pdf: bytes


@dataclass(frozen=True)
class UploadResult:
    uploaded: bool
    reason: str  # subida | ya_subida | pdf_demasiado_grande | no_disponible ...
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    status: str  # the channel's own (e.g. Mercado Libre's ready_to_ship, shipped, delivered)
    shipped: bool
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    custom_carrier: bool = False  # the seller ships with their own carrier (not the channel's)
    details: dict[str, str] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    channel: Channel
    capabilities: Capabilities
    # Answer 200 to everything, refusals included, and only log: Mercado Libre retries any other
    # answer for an hour and switches a topic off after repeated failures.
    acknowledge_always: bool

    def is_handshake(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """A channel's own check of our URL (WooCommerce's ping): answered 200, nothing done."""

    def account_of(self, raw_body: bytes) -> str:
        """The channel account an application-wide notification names (Mercado Libre's
        user_id): it tells which tenant the notification is for."""

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        """Raise UnauthorizedError unless the delivery is authentic. Runs before JSON parsing."""

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery: ...

    def is_stale(self, payload: Any, now: datetime) -> bool:
        """A signed delivery too old to act on (a replay, a retry past the channel's window)."""

    def normalize(self, message: QueuedWebhook, context: ChannelContext) -> Order | None:
        """The paid order, or None when the resource is not (yet) an invoiceable order."""

    def send_billing_message(
        self, order: Order, message: RenderedMessage, context: ChannelContext
    ) -> str:
        """Send the billing message through the channel; returns the channel's message id."""

    def upload_invoice(
        self, order: Order, documents: InvoiceDocuments, context: ChannelContext
    ) -> UploadResult: ...

    def shipment(self, order: Order, context: ChannelContext) -> Shipment | None: ...

    def send_shipping_message(self, order: Order, text: str, context: ChannelContext) -> str: ...


class BaseAdapter:
    """What a channel cannot do, said once: every optional capability refuses by default."""

    channel: Channel
    capabilities = Capabilities()
    acknowledge_always = False

    def _unsupported(self, what: str) -> ChannelCapabilityError:
        return ChannelCapabilityError(f"{self.channel.value} no permite {what}.")

    def is_handshake(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        return False

    def account_of(self, raw_body: bytes) -> str:
        raise self._unsupported("notificaciones a nivel aplicación")

    def is_stale(self, payload: Any, now: datetime) -> bool:
        return False

    def send_billing_message(
        self, order: Order, message: RenderedMessage, context: ChannelContext
    ) -> str:
        raise self._unsupported("enviar mensajes al comprador")

    def upload_invoice(
        self, order: Order, documents: InvoiceDocuments, context: ChannelContext
    ) -> UploadResult:
        raise self._unsupported("subir la factura al pedido")

    def shipment(self, order: Order, context: ChannelContext) -> Shipment | None:
        raise self._unsupported("consultar el envío")

    def send_shipping_message(self, order: Order, text: str, context: ChannelContext) -> str:
        raise self._unsupported("enviar el aviso de envío")


def verify_base64_hmac(raw_body: bytes, signature: str | None, secret: str | None) -> None:
    """base64(HMAC-SHA256(secret, raw body)) compared in constant time."""
    if not signature:
        raise UnauthorizedError("Falta la firma del webhook.")
    if not secret:
        raise UnauthorizedError("El canal no tiene un secreto de webhook configurado.")
    expected = sign_base64_hmac(raw_body, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8")):
        raise UnauthorizedError("La firma del webhook no es válida.")


def sign_base64_hmac(raw_body: bytes, secret: str) -> str:
    """The signature a channel sends (verification compares against it; demo and tests post it)."""
    return base64.b64encode(
        hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    ).decode("ascii")


def money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation as exc:
        raise ChannelPayloadError(f"Importe inválido en {field}.") from exc
    if not amount.is_finite():
        raise ChannelPayloadError(f"Importe inválido en {field}.")
    return amount


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (API Gateway v2 lower-cases them; tests may not)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def check_order_payload(payload: Any, lines_field: str) -> None:
    """What the webhook can decide before queueing an order that carries itself (Shopify,
    WooCommerce): it has a usable id and a number of lines we can invoice. A refusal is a 400
    the channel sees, instead of a message that can only fail later."""
    if not isinstance(payload, dict):
        raise ChannelPayloadError("El cuerpo del webhook no es un pedido.")
    order_id = payload.get("id")
    if (
        order_id is None
        or isinstance(order_id, bool | dict | list)
        or not is_safe_id(str(order_id))
    ):
        raise ChannelPayloadError(
            "El pedido no trae un identificador válido "
            "(de 1 a 64 letras, números, '.', ':', '_' o '-')."
        )
    lines = payload.get(lines_field)
    if not isinstance(lines, list) or not lines:
        raise ChannelPayloadError("El pedido no tiene partidas que facturar.")
    if len(lines) > MAX_ORDER_LINES:
        raise ChannelPayloadError(
            f"El pedido tiene {len(lines):,} partidas; facturamos pedidos de hasta "
            f"{MAX_ORDER_LINES} partidas."
        )


_TAG = re.compile(r"<[^>]{0,200}>")


def plain_text(value: Any) -> str:
    """A channel's product name as a person reads it: HTML entities decoded (`&ndash;` -> `–`,
    `&amp;` -> `&`), tags dropped, whitespace collapsed."""
    if value is None:
        return ""
    text = html.unescape(_TAG.sub(" ", str(value)))
    return " ".join(text.split())
