"""The normalized order every channel adapter produces and the CFDI engine invoices.

Amounts are Decimal in the order's currency, as the buyer paid them: marketplace prices include
IVA, so `unit_price`, `discount` and `shipping` are gross. `total_paid` is what the buyer paid;
the invoice's Total must equal it to the cent.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator


class Channel(StrEnum):
    MERCADOLIBRE = "mercadolibre"
    MERCADOSHOPS = "mercadoshops"
    AMAZON = "amazon"
    LIVERPOOL = "liverpool"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    PRESTASHOP = "prestashop"


class OrderStatus(StrEnum):
    """Billing status of an order (DOMAIN.md: pendiente, facturado, cancelado/error)."""

    RECEIVED = "recibido"
    BILLING_REQUESTED = "solicitud_enviada"  # link sent, waiting for the buyer's data
    DATA_RECEIVED = "datos_recibidos"
    INVOICED = "facturado"
    GLOBAL = "global"  # deadline passed: goes into the periodic global invoice
    CANCELLED = "cancelado"
    ERROR = "error"


class OrderLine(BaseModel):
    sku: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=1000)
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal = Field(ge=0, description="gross unit price, IVA included")
    discount: Decimal = Field(Decimal("0"), ge=0, description="gross discount on the whole line")

    @property
    def gross_amount(self) -> Decimal:
        return self.quantity * self.unit_price - self.discount


class BuyerContact(BaseModel):
    """How to reach the buyer (not fiscal data: that comes from the billing form)."""

    name: str | None = None
    email: str | None = None


_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Order(BaseModel):
    tenant_id: str
    channel: Channel
    order_id: str = Field(description="the channel's id of the order")
    order_number: str | None = Field(None, description="the number a person sees, if different")
    paid_at: datetime
    currency: str = "MXN"
    exchange_rate: Decimal | None = Field(None, description="MXN per unit, required for USD")
    lines: list[OrderLine] = Field(min_length=1)
    shipping: Decimal = Field(Decimal("0"), ge=0, description="gross shipping charged")
    total_paid: Decimal = Field(ge=0)
    payment_method: str | None = Field(None, description="channel's payment gateway / method")
    buyer: BuyerContact = Field(default_factory=BuyerContact)

    @field_validator("tenant_id", "order_id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        if not _SAFE_ID.match(v):
            raise ValueError("identificador inválido")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return v.upper()

    @model_validator(mode="after")
    def _rate_for_foreign_currency(self) -> Order:
        if self.currency != "MXN" and self.exchange_rate is None:
            raise ValueError("exchange_rate es obligatorio cuando la moneda no es MXN")
        return self

    @property
    def key(self) -> str:
        """Order key inside a tenant: unique per channel."""
        return f"{self.channel.value}#{self.order_id}"

    @property
    def display_number(self) -> str:
        return self.order_number or self.order_id

    @property
    def execution_name(self) -> str:
        """Step Functions execution name: one lifecycle per order, ever (idempotency)."""
        raw = f"{self.tenant_id}-{self.channel.value}-{self.order_id}"
        return re.sub(r"[^A-Za-z0-9_-]", "_", raw)[:80]
