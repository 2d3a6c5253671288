"""A seller (tenant): its shop, billing policy and fiscal identity (secrets live elsewhere)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IssuerFiscalData(BaseModel):
    """The seller's fiscal identity as the CFDI Emisor (the CSD itself lives in Secrets Manager)."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str


class Tenant(BaseModel):
    tenant_id: str
    name: str
    channels: list[str] = Field(default_factory=list)
    billing_deadline_seconds: int = Field(7 * 24 * 3600, gt=0)
    reminder_after_seconds: int = Field(2 * 24 * 3600, gt=0)
    issuer: IssuerFiscalData | None = None
    csd_secret_ref: str | None = Field(None, description="Secrets Manager name of the CSD")
    pac: str = "sandbox"
