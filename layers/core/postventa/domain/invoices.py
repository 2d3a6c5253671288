"""The invoice an order ends with, the folio it spends, and what the buyer is asked to fix."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FolioState(StrEnum):
    RESERVED = "reserved"  # held for this order's invoice; returned if it is never stamped
    SPENT = "spent"  # the invoice was stamped: counted for good
    RELEASED = "released"  # given back (a failure, a data rejection)


class FolioReservation(BaseModel):
    """One order's claim on the tenant's folios: at most one live reservation per order."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(gt=0, description="the CFDI Folio this invoice carries")
    state: FolioState


class DocumentRef(BaseModel):
    """A CFDI that is not an order's own first invoice and holds a folio of its own: a global
    invoice's CFDI (`global_cfdi`), or the substitute of an order's invoice (`substitute`)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    document: str = Field(pattern=r"^[A-Za-z0-9_.:#-]{1,200}$")

    @classmethod
    def global_cfdi(cls, tenant_id: str, run_id: str, index: int) -> DocumentRef:
        return cls(tenant_id=tenant_id, document=f"GLOBAL#{run_id}#{index:05d}")

    @classmethod
    def substitute(cls, tenant_id: str, channel: str, order_id: str, uuid: str) -> DocumentRef:
        """The substitute of the invoice `uuid` of an order (motivo 01)."""
        return cls(tenant_id=tenant_id, document=f"SUBSTITUTE#{channel}#{order_id}#{uuid}")


class FolioAccount(BaseModel):
    """A tenant's folios: how many stamps are left, and the next Folio number."""

    available: int = Field(ge=0)
    next_number: int = Field(gt=0)


class Invoice(BaseModel):
    """A stamped CFDI of an order (its documents in S3, under the tenant's prefix)."""

    uuid: str
    serie: str
    folio: str
    total: str  # decimal as text
    currency: str
    xml_key: str
    pdf_key: str | None = None
    stamped_at: str
    pac: str
    test_stamp: bool = Field(description="stamped by the sandbox or a PAC's test environment")


class Correction(BaseModel):
    """What the buyer is asked to fix: the field (as the billing form names it) and why."""

    field: str | None = None  # rfc, nombre, codigo_postal, regimen_fiscal, uso_cfdi, email
    message: str  # Spanish, shown beside the field
    source: str  # "pac" (the PAC refused it) or "vendedor" (the seller rejected it)
    round: int = Field(ge=1)


class GlobalInvoiceRef(BaseModel):
    """On an order: the global-invoice run that includes it (domain/global_invoices.py)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    period: str  # the period's key


class CancellationView(BaseModel):
    """On an order: one cancellation of one of its invoices, as the seller and the order's page
    read it (the registry in domain/cancellations.py is the source)."""

    uuid: str
    motivo: str
    estado: str
    solicitada: str
    sustituto: str | None = None  # motivo 01: the substitute's UUID
    responder_antes_de: str | None = None  # the receptor's 3 business days end (Mexico City)
    decidida: str | None = None
    motivo_rechazo: str | None = None  # Spanish: why it could not be done
