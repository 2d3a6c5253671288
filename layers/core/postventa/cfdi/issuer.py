"""The seller's (emisor) fiscal setup: who issues, product fiscal keys, payment forms, PAC choice.

Pure pydantic, no satcfdi: the light functions may import it. CSD material travels in
`CsdCredentials`, which this module never persists or logs.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
from postventa.cfdi.pac.factory import PacConfig, PacProvider
from postventa.domain.orders import Order

_RFC = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$")


class TaxTreatment(StrEnum):
    """How a product is taxed (IVA only: IEPS and retenciones are out of scope)."""

    IVA16 = "iva16"  # tasa general
    IVA8 = "iva8"  # región fronteriza (estímulo fiscal): the seller decides when it applies
    IVA0 = "iva0"  # tasa 0 % (e.g. alimentos, medicinas)
    EXENTO = "exento"  # objeto de impuesto but exempt: TipoFactor Exento, no Importe
    NO_OBJETO = "no_objeto"  # ObjetoImp 01: no Impuestos node at all

    @property
    def rate(self) -> Decimal | None:
        """IVA rate as a fraction; None when no IVA amount is computed."""
        return _RATES.get(self)

    @property
    def objeto_imp(self) -> str:
        return "01" if self is TaxTreatment.NO_OBJETO else "02"


_RATES: dict[TaxTreatment, Decimal] = {
    TaxTreatment.IVA16: Decimal("0.16"),
    TaxTreatment.IVA8: Decimal("0.08"),
    TaxTreatment.IVA0: Decimal("0"),
}


class ProductKeys(BaseModel):
    """SAT keys of one product (per SKU) or of the shipping concept."""

    model_config = ConfigDict(frozen=True)

    clave_prod_serv: str = Field(pattern=r"^[0-9]{8}$")
    clave_unidad: str = Field(min_length=1, max_length=3, pattern=r"^[A-Z0-9]{1,3}$")
    unidad: str | None = Field(None, max_length=20, description="seller's own unit text")
    tax: TaxTreatment = TaxTreatment.IVA16


DEFAULT_SHIPPING_KEYS = ProductKeys(
    clave_prod_serv="78102203",  # Servicios de envío, recogida o entrega de correo
    clave_unidad="E48",  # Unidad de servicio
    unidad="Servicio",
    tax=TaxTreatment.IVA16,
)

# Channel payment method (normalized lower-case) -> c_FormaPago. Paid orders are PUE, so the
# FormaPago must be the real instrument, never 99 (99 "Por definir" goes with PPD only).
DEFAULT_PAYMENT_FORMS: dict[str, str] = {
    "cash": "01",
    "efectivo": "01",
    "oxxo": "01",
    "ticket": "01",
    "check": "02",
    "transfer": "03",
    "bank_transfer": "03",
    "spei": "03",
    "credit_card": "04",
    "debit_card": "28",
    "prepaid_card": "28",
    "wallet": "06",
    "digital_wallet": "06",
    # Balance held at a payment intermediary (Mercado Pago, PayPal): the intermediary collected
    # the money for the seller -> 31 "Intermediario pagos". Some accountants use 06 instead:
    # sellers override it in `payment_forms`.
    "account_money": "31",
    "mercadopago": "31",
    "paypal": "31",
}


class PacChoice(BaseModel):
    """tenant.json's "pac": which provider stamps and whether on its test endpoint."""

    name: PacProvider = PacProvider.SANDBOX
    test_environment: bool = True  # the PAC's demo endpoint, for real adapters

    def config(self) -> PacConfig:
        return PacConfig(
            provider=self.name,
            environment=PacEnvironment.TEST if self.test_environment else PacEnvironment.PRODUCTION,
        )


class Issuer(BaseModel):
    """Emisor configuration of one tenant."""

    rfc: str
    nombre: str = Field(min_length=1, max_length=254, description="as in the SAT register")
    regimen_fiscal: str = Field(pattern=r"^[0-9]{3}$")
    lugar_expedicion: str = Field(pattern=r"^[0-9]{5}$", description="CP of the issuing place")
    serie: str = Field("F", max_length=25, pattern=r"^[^|]{1,25}$")
    products: dict[str, ProductKeys] = Field(default_factory=dict, description="keys per SKU")
    default_product_keys: ProductKeys | None = Field(
        None, description="used for SKUs without own keys; None -> such SKUs block the invoice"
    )
    shipping: ProductKeys = DEFAULT_SHIPPING_KEYS
    payment_forms: dict[str, str] = Field(
        default_factory=dict, description="overrides of DEFAULT_PAYMENT_FORMS"
    )
    fallback_forma_pago: str = Field(
        "31", pattern=r"^[0-9]{2}$", description="FormaPago when the method is unknown"
    )
    pac: PacChoice = Field(default_factory=PacChoice)

    @field_validator("rfc")
    @classmethod
    def _rfc(cls, v: str) -> str:
        v = v.strip().upper()
        if not _RFC.match(v):
            raise ValueError("RFC del emisor con formato inválido")
        return v

    @field_validator("nombre")
    @classmethod
    def _nombre(cls, v: str) -> str:
        return " ".join(v.split()).upper()

    def keys_for(self, sku: str) -> ProductKeys | None:
        return self.products.get(sku) or self.default_product_keys

    def forma_pago(self, payment_method: str | None) -> str:
        """c_FormaPago for a channel payment method; the fallback when unknown."""
        if not payment_method:
            return self.fallback_forma_pago
        key = payment_method.strip().lower()
        overrides = {k.lower(): v for k, v in self.payment_forms.items()}
        return overrides.get(key) or DEFAULT_PAYMENT_FORMS.get(key) or self.fallback_forma_pago


class CsdCredentials(BaseModel):
    """The seller's CSD: DER certificate, SAT .key (PKCS#8 encrypted DER), password. Never stored
    or logged by the CFDI engine; callers fetch it from their secret store for each use."""

    model_config = ConfigDict(frozen=True)

    certificate: bytes = Field(repr=False)
    key: bytes = Field(repr=False)
    password: SecretStr

    @classmethod
    def from_files(cls, cer: Path | str, key: Path | str, password: str) -> CsdCredentials:
        return cls(
            certificate=Path(cer).read_bytes(),
            key=Path(key).read_bytes(),
            password=SecretStr(password),
        )


class TenantConfig(BaseModel):
    """tenant.json (docs/formats/order-and-tenant-json.md): issuer + CSD file paths + password,
    and the PAC account when issuer.pac names a real provider."""

    issuer: Issuer
    csd_certificate_path: str
    csd_key_path: str
    csd_password: SecretStr
    pac_credentials: PacCredentials | None = None

    def credentials(self, base_dir: Path | None = None) -> CsdCredentials:
        base = base_dir or Path.cwd()
        return CsdCredentials.from_files(
            base / self.csd_certificate_path,
            base / self.csd_key_path,
            self.csd_password.get_secret_value(),
        )


def load_order_json(path: Path | str) -> Order:
    """Read an Order (postventa.domain.orders) from a JSON file."""
    return Order.model_validate_json(Path(path).read_text(encoding="utf-8"))


def load_tenant_json(path: Path | str) -> tuple[TenantConfig, CsdCredentials]:
    """Read tenant.json; CSD paths are relative to the JSON file's folder."""
    p = Path(path)
    raw = json.loads(p.read_text(encoding="utf-8"))
    tenant = TenantConfig.model_validate(raw)
    return tenant, tenant.credentials(p.parent)
