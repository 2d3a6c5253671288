"""The channel port: every sales channel verifies, classifies and normalizes the same way."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from pydantic import BaseModel, Field, model_validator

from postventa.domain.orders import Channel, Order
from postventa.errors import BadRequestError, UnauthorizedError


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


class ChannelAdapter(Protocol):
    channel: Channel

    def verify(
        self, raw_body: bytes, headers: Mapping[str, str], secrets: Mapping[str, Any]
    ) -> None:
        """Raise UnauthorizedError unless the delivery is authentic. Runs before JSON parsing."""

    def classify(self, payload: Any, headers: Mapping[str, str]) -> Delivery: ...

    def normalize(self, message: QueuedWebhook, secrets: Mapping[str, Any] | None) -> Order | None:
        """The paid order, or None when the resource is not (yet) an invoiceable order."""


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


def refuse_foreign_currency(channel: str, currency: str) -> None:
    """No adapter sets Order.exchange_rate yet (an exchange-rate source is still to come), and a
    CFDI in another currency needs one: refuse such an order here, saying why, instead of letting
    Order's validation fail behind a generic message."""
    if currency.strip().upper() != "MXN":
        raise ChannelPayloadError(
            f"El pedido de {channel} está en {currency.strip().upper() or 'otra moneda'}: para "
            "facturar en moneda extranjera el CFDI necesita el tipo de cambio (pesos por unidad), "
            "y Postventa todavía no lo obtiene. Este pedido no se puede facturar por ahora."
        )


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
