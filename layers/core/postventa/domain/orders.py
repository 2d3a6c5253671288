"""The normalized order every channel adapter produces and the CFDI engine invoices.

Amounts are Decimal in the order's currency, as the buyer paid them: marketplace prices include
IVA, so `unit_price`, `discount` and `shipping` are gross. `total_paid` is what the buyer paid;
the invoice's Total must equal it to the cent.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from postventa.domain.invoices import CancellationView, Correction, GlobalInvoiceRef, Invoice
from postventa.domain.status import OrderStatus

__all__ = [
    "BuyerContact",
    "Channel",
    "Order",
    "OrderLine",
    "OrderRecord",
    "OrderRef",
    "OrderStatus",
]


class Channel(StrEnum):
    MERCADOLIBRE = "mercadolibre"
    MERCADOSHOPS = "mercadoshops"
    AMAZON = "amazon"
    LIVERPOOL = "liverpool"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    PRESTASHOP = "prestashop"


class OrderRef(BaseModel):
    """Which order: a tenant's order on one channel. Every order read and write goes by it."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    channel: str
    order_id: str

    @property
    def execution_name(self) -> str:
        """The Step Functions execution name: one lifecycle per order (idempotency)."""
        return self.execution_name_for(0)

    def execution_name_for(self, attempt: int) -> str:
        """The execution of the order's `attempt` (0: the first; n: the seller's nth retry).

        Names allow 80 characters of [A-Za-z0-9_-]. A readable prefix helps an operator; the
        digest of the exact (tenant, channel, order, attempt) makes the name unique by
        construction, so look-alike ids (`77.1`, `77_1`, `77:1`; tenants `acme.mx` and
        `acme_mx`) never share one.
        """
        parts = [self.tenant_id, self.channel, self.order_id] + ([str(attempt)] if attempt else [])
        digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:24]
        readable = re.sub(
            r"[^A-Za-z0-9_-]", "_", f"{self.tenant_id}-{self.channel}-{self.order_id}"
        )
        suffix = f"-r{attempt}-{digest}" if attempt else f"-{digest}"
        return f"{readable[: 80 - len(suffix)]}{suffix}"


# Personal data must never reach a log or an execution's error through a validation message.
_PRIVATE = ConfigDict(hide_input_in_errors=True)

# The most lines one order may carry: a CFDI per order stays readable and its stored record well
# under DynamoDB's 400 KB item limit (500 lines of a 256 KiB webhook body).
MAX_ORDER_LINES = 500

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# One mailbox, ASCII, as SES accepts it: no lists ("a@x, b@y"), no display names, no spaces.
_EMAIL = re.compile(
    r"^(?=.{3,254}$)(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def is_safe_id(value: str) -> bool:
    """An id that can be part of a key, a path or a name: 1-64 of [A-Za-z0-9_.:-]."""
    return bool(_SAFE_ID.match(value))


def single_email(value: object) -> str | None:
    """The one address a channel gave for the buyer, or None when it is not exactly one valid
    mailbox (a list such as "victim@x.mx, third@evil.example" is not: nobody else gets the link)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if _EMAIL.match(text) else None


class OrderLine(BaseModel):
    model_config = _PRIVATE

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

    model_config = _PRIVATE

    name: str | None = None
    email: str | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _one_valid_address(cls, v: object) -> str | None:
        return single_email(v)


class Order(BaseModel):
    model_config = _PRIVATE

    tenant_id: str
    channel: Channel
    order_id: str = Field(description="the channel's id of the order")
    order_number: str | None = Field(None, description="the number a person sees, if different")
    paid_at: datetime
    currency: str = "MXN"
    exchange_rate: Decimal | None = Field(
        None, gt=0, description="MXN per unit of `currency`, when the channel gives it"
    )
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    shipping: Decimal = Field(Decimal("0"), ge=0, description="gross shipping charged")
    total_paid: Decimal = Field(ge=0)
    payment_method: str | None = Field(None, description="channel's payment gateway / method")
    buyer: BuyerContact = Field(default_factory=BuyerContact)
    channel_refs: dict[str, str] = Field(
        default_factory=dict,
        description="the channel's ids needed after ingest (cart/pack, site, shipment, "
        "marketplace); never personal data",
    )
    # The buyer's fiscal data when the channel already carries it (Mercado Libre's billing info):
    # ingest validates it and, when valid, invoices without asking. Not stored with the order
    # (ingest moves it to the record's fiscal data).
    channel_fiscal_data: dict[str, str] | None = Field(None, exclude=True)

    @field_validator("tenant_id", "order_id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        if not is_safe_id(v):
            raise ValueError("identificador inválido")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return v.upper()

    @property
    def key(self) -> str:
        """Order key inside a tenant: unique per channel."""
        return f"{self.channel.value}#{self.order_id}"

    @property
    def display_number(self) -> str:
        return self.order_number or self.order_id

    @property
    def ref(self) -> OrderRef:
        return OrderRef(
            tenant_id=self.tenant_id, channel=self.channel.value, order_id=self.order_id
        )


class OrderRecord(BaseModel):
    """An order as stored: the normalized order and its billing state (no storage keys)."""

    model_config = _PRIVATE

    order: Order
    status: OrderStatus
    status_changed_at: str = Field(description="ISO time the order entered `status`")
    created_at: str
    updated_at: str
    fiscal_data: dict[str, Any] | None = None
    billing_data_at: str | None = None
    billing_request_skipped: str | None = None
    reminder_sent_at: str | None = None
    error_code: str | None = Field(None, description="why the order is in `error` (stable code)")
    error_reason: str | None = Field(None, description="the same, in Spanish for the seller")
    error_action: str | None = Field(None, description="what the seller can do about it")
    invoice: Invoice | None = None
    correction: Correction | None = None
    correction_rounds: int = 0
    sealed_key: str | None = Field(None, description="the sealed XML sent (or to send) to the PAC")
    invoice_emailed_at: str | None = None
    invoice_uploaded_at: str | None = Field(
        None, description="the invoice went to the channel (Mercado Libre, Amazon, Liverpool)"
    )
    invoice_upload: str | None = Field(None, description="how the upload ended (stable code)")
    waiting_token: str | None = Field(None, description="the lifecycle task waiting on the seller")
    lifecycle_attempt: int = Field(0, ge=0, description="0: the first lifecycle; n: nth retry")
    global_invoice: GlobalInvoiceRef | None = Field(
        None, description="the global-invoice run that includes the sale"
    )
    cancellations: list[CancellationView] = Field(
        default_factory=list, description="cancellations of the order's invoices, newest last"
    )

    @property
    def ref(self) -> OrderRef:
        return self.order.ref

    def public_view(self) -> dict[str, Any]:
        """What the seller API returns (the seller's own data; no internal keys or tokens)."""
        view: dict[str, Any] = {
            "tenant_id": self.order.tenant_id,
            "channel": self.order.channel.value,
            "order_id": self.order.order_id,
            "order_number": self.order.display_number,
            "status": self.status.value,
            "order": self.order.model_dump(mode="json"),
        }
        view.update(
            self.model_dump(
                mode="json",
                exclude_none=True,
                exclude={"order", "status", "sealed_key", "waiting_token", "reminder_sent_at"},
            )
        )
        if self.invoice:
            view["invoice"] = self.invoice.model_dump(exclude={"xml_key", "pdf_key"})
        if not self.correction_rounds:
            view.pop("correction_rounds")
        if not self.cancellations:
            view.pop("cancellations")
        return view
