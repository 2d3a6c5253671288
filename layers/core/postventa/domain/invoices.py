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
