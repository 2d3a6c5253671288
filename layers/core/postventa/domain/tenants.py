"""A seller (tenant): its shop, billing policy and fiscal identity (secrets live elsewhere)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.global_periods import Periodicidad


class IssuerFiscalData(BaseModel):
    """The seller's fiscal identity as the CFDI Emisor (the CSD itself lives in Secrets Manager)."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str


class ChannelMessaging(BaseModel):
    """The automatic messages a seller turned on or off for one channel (DOMAIN: each message is
    activated per channel)."""

    billing_request: bool = Field(True, description="ask the buyer for fiscal data with a link")
    shipping_notice: bool = Field(
        False, description="custom shipping notice with the carrier's tracking (Mercado Libre)"
    )


class GlobalInvoiceSettings(BaseModel):
    """How the tenant's global invoice (PUBLICO EN GENERAL) is issued
    (docs/decisions/0015-global-invoice-and-cancellations.md)."""

    model_config = ConfigDict(extra="forbid")

    periodicity: Periodicidad = Field(
        Periodicidad.MENSUAL, description="c_Periodicidad: 01 diaria ... 05 bimestral (RIF only)"
    )
    max_concepts: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="most conceptos per CFDI (some PACs cap them); None: the engine's default",
    )
    late_request_days: int | None = Field(
        None,
        ge=0,
        le=365,
        description="days after the period's close a buyer may still ask for their own invoice "
        "(the global is re-issued without the sale); None: until the end of the fiscal year",
    )


class Tenant(BaseModel):
    tenant_id: str
    name: str
    channels: list[str] = Field(default_factory=list)
    billing_deadline_seconds: int = Field(7 * 24 * 3600, gt=0)
    reminder_after_seconds: int = Field(2 * 24 * 3600, gt=0)
    issuer: IssuerFiscalData | None = None
    csd_secret_ref: str | None = Field(None, description="Secrets Manager name of the CSD")
    # The CFDI engine's issuer settings beyond the identity (postventa.cfdi.issuer.Issuer):
    # serie, products (fiscal keys per SKU), default_product_keys, shipping, payment_forms,
    # fallback_forma_pago, pac {name, test_environment}. Validated where invoices are built
    # (services/invoicing.py), so functions that never invoice never import the engine.
    invoicing: dict[str, Any] = Field(default_factory=dict)
    pac_credentials_secret: str | None = Field(
        None, description="Secrets Manager name of the PAC account (real PACs only)"
    )
    auto_invoice: bool = Field(True, description="off: orders wait in the seller's inbox")
    correction_rounds: int = Field(
        3, ge=1, le=10, description="times the buyer may correct data a PAC refused"
    )
    contact_email: str | None = Field(None, description="where the seller's notices go")
    messaging: dict[str, ChannelMessaging] = Field(
        default_factory=dict, description="per channel; a channel not here has the defaults"
    )
    csd_summary: dict[str, str] | None = Field(
        None, description="the stored CSD's public facts: no_certificado, rfc, valid dates"
    )
    global_invoice: GlobalInvoiceSettings = Field(default_factory=GlobalInvoiceSettings)
    sandbox_faults: dict[str, Any] | None = Field(
        None,
        description="sandbox PAC only: simulate an outage or a data rejection "
        "(postventa.cfdi.pac.sandbox.FaultInjection fields)",
    )

    def messaging_for(self, channel: str) -> ChannelMessaging:
        return self.messaging.get(channel) or ChannelMessaging()
