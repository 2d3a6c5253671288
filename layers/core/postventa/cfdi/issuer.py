"""The seller's (emisor) fiscal setup: who issues, product fiscal keys, payment forms, PAC choice.

Pure pydantic, no satcfdi: the light functions may import it. CSD material travels in
`CsdCredentials`, which this module never persists or logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from postventa.cfdi import catalogs
from postventa.cfdi.errors import UnknownPaymentMethodError
from postventa.cfdi.names import normalize_nombre
from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
from postventa.cfdi.pac.factory import PacConfig, PacProvider
from postventa.cfdi.rfc import TipoPersona, tipo_persona
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

# c_FormaPago (catCFDI_V_4) without 99 "Por definir": a paid order is PUE, and 99 goes with PPD
# only (Anexo 20, Guía de llenado: FormaPago; matrix CFDI40104/CFDI40105).
FORMAS_PAGO_PUE = frozenset(
    {"01", "02", "03", "04", "05", "06", "08", "12", "13", "14", "15", "17"}
    | {"23", "24", "25", "26", "27", "28", "29", "30", "31"}
)

# Channel payment method (normalized lower-case) -> c_FormaPago. Paid orders are PUE, so the
# FormaPago must be the real instrument, never 99 (99 "Por definir" goes with PPD only). A method
# not listed here nor in the seller's `payment_forms` stops the invoice (UnknownPaymentMethodError)
# unless the seller chose a `fallback_forma_pago`.
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
    # Marketplaces that charge the buyer themselves and pay the seller later (decision 0016):
    # the same intermediary collection.
    "amazon": "31",
    "liverpool": "31",
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
    fallback_forma_pago: str | None = Field(
        None,
        pattern=r"^[0-9]{2}$",
        description="FormaPago for a method nobody mapped; None stops such invoices",
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
        """c_FormaPago of a channel payment method: the seller's mapping, ours, or the fallback
        the seller chose; UnknownPaymentMethodError (naming the method) when there is none."""
        key = (payment_method or "").strip().lower()
        overrides = {k.strip().lower(): v for k, v in self.payment_forms.items()}
        forma = (overrides.get(key) or DEFAULT_PAYMENT_FORMS.get(key)) if key else None
        forma = forma or self.fallback_forma_pago
        if forma is None:
            raise UnknownPaymentMethodError(payment_method)
        return forma

    def iter_keys(self) -> Iterator[tuple[str, ProductKeys]]:
        """Every configured ProductKeys with where it is set (for checks over the whole setup)."""
        for sku, keys in self.products.items():
            yield f"products.{sku}", keys
        if self.default_product_keys is not None:
            yield "default_product_keys", self.default_product_keys
        yield "shipping", self.shipping


def border_vat_refusal(lugar_expedicion: str, keys: ProductKeys) -> str | None:
    """Why IVA 8 % cannot apply to a product sold from this place, in Spanish; None when it can.

    Decreto de estímulos fiscales región fronteriza norte (DOF 2018-12-31) and región fronteriza
    sur (DOF 2020-12-30), both extended since (last in December 2024): the 8 % IVA applies to
    sales in the region, which c_CodigoPostal marks in "Estímulo Franja Fronteriza" (1 norte,
    2 sur), and not to real estate or intangibles, which c_ClaveProdServ marks 0 in its own
    "Estímulo Franja Fronteriza" column."""
    place = catalogs.datos_codigo_postal(lugar_expedicion)
    if place is None or not place.region_fronteriza:
        return (
            f"La tasa de IVA del 8 % (estímulo de la región fronteriza) no aplica: el lugar de "
            f"expedición {lugar_expedicion} no está en la región fronteriza según el catálogo "
            "c_CodigoPostal del SAT. Usa la tasa del 16 %."
        )
    if not catalogs.clave_con_estimulo_frontera(keys.clave_prod_serv):
        return (
            f"La tasa de IVA del 8 % (estímulo de la región fronteriza) no aplica a la clave "
            f"{keys.clave_prod_serv}: el catálogo c_ClaveProdServ del SAT la excluye del "
            "estímulo (inmuebles, software e intangibles). Usa la tasa del 16 %."
        )
    return None


class IssuerProblem(BaseModel):
    """One problem of an issuer setup: the field, a stable code, a Spanish message for the seller
    and, when a real PAC would reject it, the SAT matrix code it would answer."""

    model_config = ConfigDict(frozen=True)

    campo: str
    codigo: str
    mensaje: str
    sat: str | None = None


_FIELD_MESSAGES = {
    "rfc": "El RFC del emisor no tiene el formato de un RFC (12 caracteres persona moral, 13 "
    "persona física).",
    "nombre": "El nombre o razón social del emisor es obligatorio (máximo 254 caracteres).",
    "regimen_fiscal": "El régimen fiscal del emisor debe ser una clave de 3 dígitos del catálogo "
    "c_RegimenFiscal, por ejemplo 601 o 612.",
    "lugar_expedicion": "El lugar de expedición debe ser un código postal de 5 dígitos.",
    "fallback_forma_pago": "La forma de pago por omisión debe ser una clave de 2 dígitos del "
    "catálogo c_FormaPago.",
}


def validate_issuer(data: Issuer | Mapping[str, Any]) -> list[IssuerProblem]:
    """Every problem of an issuer setup, in Spanish, to show when a tenant is configured rather
    than at its first stamp; an empty list means the setup can invoice.

    Checks what SAT would refuse for the emisor and what the invoices built from this setup would
    carry: the name without the régimen societario (SAT's register holds it without; CFDI40139),
    the régimen in c_RegimenFiscal (CFDI40140) and for the RFC's persona type (CFDI40141),
    LugarExpedicion in c_CodigoPostal (CFDI40126), IVA 8 % only where the border stimulus applies,
    and payment forms from c_FormaPago other than 99 (a paid order is PUE)."""
    if isinstance(data, Issuer):
        issuer = data
    else:
        try:
            issuer = Issuer.model_validate(data)
        except ValidationError as exc:
            return [_problem_from_validation(error) for error in exc.errors()]
    return [
        *_nombre_problems(issuer),
        *_regimen_problems(issuer),
        *_lugar_problems(issuer),
        *_border_vat_problems(issuer),
        *_forma_pago_problems(issuer),
    ]


def _problem_from_validation(error: Any) -> IssuerProblem:
    campo = ".".join(str(part) for part in error["loc"]) or "emisor"
    mensaje = _FIELD_MESSAGES.get(campo) or f"El campo {campo} del emisor no es válido."
    return IssuerProblem(campo=campo, codigo="formato", mensaje=mensaje)


def _nombre_problems(issuer: Issuer) -> list[IssuerProblem]:
    tipo = tipo_persona(issuer.rfc)
    if tipo is not TipoPersona.MORAL:
        return []
    sin_regimen = normalize_nombre(issuer.nombre, TipoPersona.MORAL)
    if sin_regimen == normalize_nombre(issuer.nombre):  # nothing but spacing or a final dot
        return []
    return [
        IssuerProblem(
            campo="nombre",
            codigo="nombre_con_regimen_societario",
            mensaje=(
                f"El nombre del emisor debe escribirse sin el régimen societario, como aparece "
                f"en la Constancia de Situación Fiscal: «{sin_regimen}» en lugar de "
                f"«{issuer.nombre}»."
            ),
            sat="CFDI40139",
        )
    ]


def _regimen_problems(issuer: Issuer) -> list[IssuerProblem]:
    row = catalogs.regimenes_fiscales().get(issuer.regimen_fiscal)
    if row is None:
        return [
            IssuerProblem(
                campo="regimen_fiscal",
                codigo="regimen_no_existe",
                mensaje=(
                    f"El régimen fiscal {issuer.regimen_fiscal} no existe en el catálogo "
                    "c_RegimenFiscal de CFDI 4.0."
                ),
                sat="CFDI40140",
            )
        ]
    tipo = tipo_persona(issuer.rfc)
    if tipo is None or (row.fisica if tipo is TipoPersona.FISICA else row.moral):
        return []
    return [
        IssuerProblem(
            campo="regimen_fiscal",
            codigo="regimen_no_corresponde_a_persona",
            mensaje=(
                f"El régimen {issuer.regimen_fiscal} ({row.descripcion}) no es de "
                f"{tipo.etiqueta_plural}, y el RFC {issuer.rfc} es de {tipo.etiqueta}."
            ),
            sat="CFDI40141",
        )
    ]


def _lugar_problems(issuer: Issuer) -> list[IssuerProblem]:
    if catalogs.codigo_postal_existe(issuer.lugar_expedicion):
        return []
    return [
        IssuerProblem(
            campo="lugar_expedicion",
            codigo="lugar_expedicion_no_existe",
            mensaje=(
                f"El lugar de expedición {issuer.lugar_expedicion} no es un código postal del "
                "catálogo c_CodigoPostal del SAT."
            ),
            sat="CFDI40126",
        )
    ]


def _border_vat_problems(issuer: Issuer) -> list[IssuerProblem]:
    problems = []
    for campo, keys in issuer.iter_keys():
        if keys.tax is not TaxTreatment.IVA8:
            continue
        refusal = border_vat_refusal(issuer.lugar_expedicion, keys)
        if refusal is not None:
            problems.append(
                IssuerProblem(
                    campo=f"{campo}.tax", codigo="iva_fronterizo_no_aplica", mensaje=refusal
                )
            )
    return problems


def _forma_pago_problems(issuer: Issuer) -> list[IssuerProblem]:
    forms = [(f"payment_forms.{method}", forma) for method, forma in issuer.payment_forms.items()]
    if issuer.fallback_forma_pago is not None:
        forms.append(("fallback_forma_pago", issuer.fallback_forma_pago))
    problems = []
    for campo, forma in forms:
        if forma in FORMAS_PAGO_PUE:
            continue
        if forma == "99":
            mensaje = (
                "La forma de pago 99 (Por definir) solo se usa con el método PPD; un pedido "
                "pagado se factura PUE con la forma de pago real."
            )
        else:
            mensaje = f"La forma de pago {forma} no existe en el catálogo c_FormaPago del SAT."
        problems.append(
            IssuerProblem(
                campo=campo, codigo="forma_pago_invalida", mensaje=mensaje, sat="CFDI40104"
            )
        )
    return problems


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
