"""The seller's fiscal setup from the panel: issuer data, CSD, PAC and its account, product keys
(one at a time or from a CSV), default key, auto-invoicing, deadline, global invoice periodicity
and the ERP's URL. Everything is checked before it is saved; secrets go to Secrets Manager only.

Checks come from the CFDI engine (`postventa.cfdi.issuer.validate_issuer`: SAT's rules for the
emisor; `postventa.cfdi.csd_check`: the CSD; SAT's catalogs for product keys), so the panel and
the stamping path agree on what can invoice.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from postventa.domain.global_periods import Periodicidad
from postventa.domain.ports import Adapters
from postventa.domain.tenants import IssuerFiscalData, Tenant
from postventa.errors import BadRequestError, NotFoundError
from postventa.observability import logger

#: Product keys live in the tenant's record (the stamping path reads them with the issuer); a
#: DynamoDB item holds 400 KB, about 4,000 keys: this many leaves room for the rest.
MAX_PRODUCT_KEYS = 3_000
MAX_CSV_ROWS = 5_000
DAY = 24 * 3600


@dataclass(frozen=True)
class Problem:
    """One thing to fix, beside the field it concerns (Spanish)."""

    field: str
    message: str


class SettingsRefusedError(BadRequestError):
    """What was posted cannot be saved: every problem at once (422)."""

    status_code = 422
    code = "configuracion_invalida"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def tenant_of(tenant_id: str, adapters: Adapters) -> Tenant:
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    return tenant


def _save(adapters: Adapters, tenant: Tenant, **changes: Any) -> Tenant:
    updated = tenant.model_copy(update=changes)
    adapters.tenants.put(updated)
    return updated


def _issuer_problems(tenant: Tenant) -> list[Problem]:
    """validate_issuer on the tenant's identity with its invoicing settings."""
    from postventa.cfdi.issuer import validate_issuer

    if tenant.issuer is None:
        return [Problem("rfc", "Registra primero los datos fiscales del emisor.")]
    identity = tenant.issuer
    data = {
        **tenant.invoicing,
        "rfc": identity.rfc,
        "nombre": identity.nombre,
        "regimen_fiscal": identity.regimen_fiscal,
        "lugar_expedicion": identity.codigo_postal,
    }
    return [Problem(_FORM_FIELD.get(p.campo, p.campo), p.mensaje) for p in validate_issuer(data)]


# The engine names its fields after the CFDI; the panel's form after what the seller reads.
_FORM_FIELD = {"lugar_expedicion": "codigo_postal"}


# ---------------------------------------------------------------- issuer
class IssuerForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    rfc: str = Field(min_length=12, max_length=13)
    nombre: str = Field(min_length=1, max_length=254)
    regimen_fiscal: str = Field(pattern=r"^[0-9]{3}$")
    codigo_postal: str = Field(pattern=r"^[0-9]{5}$")
    serie: str = Field("F", min_length=1, max_length=25, pattern=r"^[^|]{1,25}$")

    @field_validator("rfc")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


_ISSUER_MESSAGES = {
    "rfc": "El RFC tiene 12 caracteres (persona moral) o 13 (persona física).",
    "nombre": "Escribe el nombre o razón social como aparece en tu Constancia.",
    "regimen_fiscal": "Elige tu régimen fiscal.",
    "codigo_postal": "El código postal del lugar de expedición tiene 5 dígitos.",
    "serie": "La serie tiene de 1 a 25 caracteres y no lleva «|».",
}


def parse_issuer(values: dict[str, str]) -> IssuerForm:
    try:
        return IssuerForm.model_validate(values)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise SettingsRefusedError([Problem(f, _ISSUER_MESSAGES[f]) for f in fields]) from None


def save_issuer(tenant_id: str, form: IssuerForm, adapters: Adapters) -> Tenant:
    """The issuer's identity and serie, saved only when SAT's rules for the emisor pass and the
    stored CSD (if any) is of the same RFC."""
    tenant = tenant_of(tenant_id, adapters)
    issuer = IssuerFiscalData(
        rfc=form.rfc,
        nombre=" ".join(form.nombre.split()).upper(),
        regimen_fiscal=form.regimen_fiscal,
        codigo_postal=form.codigo_postal,
    )
    candidate = tenant.model_copy(
        update={"issuer": issuer, "invoicing": {**tenant.invoicing, "serie": form.serie}}
    )
    problems = _issuer_problems(candidate)
    stored_rfc = (tenant.csd_summary or {}).get("rfc")
    if stored_rfc and stored_rfc != issuer.rfc:
        problems.append(
            Problem(
                "rfc",
                f"Tu CSD registrado es del RFC {stored_rfc}: para cambiar de RFC sube después "
                "el CSD del nuevo.",
            )
        )
    if problems:
        raise SettingsRefusedError(problems)
    logger.info("issuer saved")
    return _save(adapters, tenant, issuer=issuer, invoicing=candidate.invoicing)


# ---------------------------------------------------------------- CSD
def upload_csd(
    tenant_id: str, certificate: bytes, key: bytes, password: str, adapters: Adapters
) -> Tenant:
    """Checked on the spot (postventa.cfdi.csd_check); stored in Secrets Manager only when every
    check passes. Raises CsdRejectedError naming each failed check."""
    from postventa.cfdi.csd_check import check_csd
    from postventa.cfdi.issuer import CsdCredentials

    tenant = tenant_of(tenant_id, adapters)
    if tenant.issuer is None:
        raise SettingsRefusedError([Problem("cer", "Registra primero los datos del emisor.")])
    facts = check_csd(
        certificate, key, password, issuer_rfc=tenant.issuer.rfc, now=adapters.clock.now()
    )
    credentials = CsdCredentials(certificate=certificate, key=key, password=SecretStr(password))
    secret = adapters.credentials.put_csd(
        tenant_id, credentials, no_certificado=facts.no_certificado
    )
    logger.info("csd stored")
    return _save(adapters, tenant, csd_secret_ref=secret, csd_summary=facts.summary())


# ---------------------------------------------------------------- PAC
class PacForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    proveedor: str
    pruebas: bool = True
    usuario: str = Field("", max_length=200)
    contrasena: str = Field("", max_length=500)
    token: str = Field("", max_length=4000)


def pac_secret_name(tenant_id: str) -> str:
    from postventa.storage.secrets import secret_name

    return f"{secret_name(tenant_id)}/pac"


def save_pac(tenant_id: str, form: PacForm, adapters: Adapters) -> Tenant:
    """The PAC that stamps and, for a real one, its account (Secrets Manager). Leaving the
    account's fields empty keeps the stored one."""
    from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
    from postventa.cfdi.pac.factory import PacProvider

    tenant = tenant_of(tenant_id, adapters)
    try:
        provider = PacProvider(form.proveedor)
    except ValueError:
        raise SettingsRefusedError([Problem("proveedor", "Elige un PAC de la lista.")]) from None
    invoicing = {
        **tenant.invoicing,
        "pac": {"name": provider.value, "test_environment": form.pruebas},
    }
    changes: dict[str, Any] = {"invoicing": invoicing}
    given = bool(form.usuario or form.contrasena or form.token)
    if provider is not PacProvider.SANDBOX and (given or not tenant.pac_credentials_secret):
        problems = _pac_account_problems(provider.value, form)
        if problems:
            raise SettingsRefusedError(problems)
        credentials = PacCredentials(
            user=form.usuario or None,
            password=SecretStr(form.contrasena) if form.contrasena else None,
            token=SecretStr(form.token) if form.token else None,
            environment=PacEnvironment.TEST if form.pruebas else PacEnvironment.PRODUCTION,
        )
        secret = pac_secret_name(tenant_id)
        adapters.credentials.put_pac_credentials(secret, credentials)
        changes["pac_credentials_secret"] = secret
    logger.info("pac saved", extra={"provider": provider.value})
    return _save(adapters, tenant, **changes)


def _pac_account_problems(provider: str, form: PacForm) -> list[Problem]:
    user_and_password = bool(form.usuario and form.contrasena)
    if provider == "swsapien" and (form.token or user_and_password):
        return []
    if provider != "swsapien" and user_and_password:
        return []
    if provider == "swsapien":
        message = "SW Sapien necesita tu token o tu usuario y contraseña."
    else:
        message = "Escribe el usuario y la contraseña de tu cuenta del PAC."
    return [Problem("usuario", message)]


# ---------------------------------------------------------------- invoicing policy
class InvoicingForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    facturar_automatico: bool = False
    plazo_dias: int = Field(ge=1, le=365)
    periodicidad: Periodicidad


def save_invoicing(
    tenant_id: str, form: InvoicingForm, adapters: Adapters, *, max_deadline_seconds: int
) -> Tenant:
    """Auto-invoicing, the buyer's deadline (at most the deployment's) and the global invoice's
    periodicity: 05 (bimestral) only for régimen 621 (Anexo 20, Guía de llenado, InformacionGlobal:
    "05 Bimestral ... aplica para el Régimen de Incorporación Fiscal")."""
    tenant = tenant_of(tenant_id, adapters)
    problems = []
    deadline = form.plazo_dias * DAY
    if deadline > max_deadline_seconds:
        problems.append(
            Problem(
                "plazo_dias",
                f"El plazo puede ser de hasta {max_deadline_seconds // DAY} días en esta "
                "instalación.",
            )
        )
    regimen = tenant.issuer.regimen_fiscal if tenant.issuer else ""
    if form.periodicidad is Periodicidad.BIMESTRAL and regimen != "621":
        problems.append(
            Problem(
                "periodicidad",
                "La periodicidad bimestral solo aplica al Régimen de Incorporación Fiscal (621).",
            )
        )
    if problems:
        raise SettingsRefusedError(problems)
    return _save(
        adapters,
        tenant,
        auto_invoice=form.facturar_automatico,
        billing_deadline_seconds=deadline,
        global_invoice=tenant.global_invoice.model_copy(update={"periodicity": form.periodicidad}),
    )


# ---------------------------------------------------------------- product keys
_TAXES = {"iva16", "iva8", "iva0", "exento", "no_objeto"}
_HEADER = ["sku", "clave_prod_serv", "clave_unidad", "unidad", "impuesto"]


def product_keys_problem(
    tenant: Tenant, clave_prod_serv: str, clave_unidad: str, unidad: str, impuesto: str
) -> tuple[dict[str, Any] | None, str]:
    """The keys as the engine stores them, or why not (SAT's catalogs, border IVA)."""
    from postventa.cfdi.issuer import ProductKeys, TaxTreatment, border_vat_refusal
    from postventa.cfdi.validation import sat_catalogs

    clave_prod_serv, clave_unidad = clave_prod_serv.strip(), clave_unidad.strip().upper()
    impuesto = (impuesto or "iva16").strip().lower()
    if not re.fullmatch(r"[0-9]{8}", clave_prod_serv) or not sat_catalogs.clave_prod_serv_existe(
        clave_prod_serv
    ):
        return None, f"La clave {clave_prod_serv!r} no está en el catálogo c_ClaveProdServ del SAT."
    if not sat_catalogs.clave_unidad_existe(clave_unidad):
        return None, f"La unidad {clave_unidad!r} no está en el catálogo c_ClaveUnidad del SAT."
    if impuesto not in _TAXES:
        return None, (
            f"El impuesto {impuesto!r} no es uno de: iva16, iva8, iva0, exento, no_objeto."
        )
    if len(unidad.strip()) > 20:
        return None, "La descripción de la unidad admite 20 caracteres."
    keys = ProductKeys(
        clave_prod_serv=clave_prod_serv,
        clave_unidad=clave_unidad,
        unidad=unidad.strip() or None,
        tax=TaxTreatment(impuesto),
    )
    if keys.tax is TaxTreatment.IVA8 and tenant.issuer is not None:
        refusal = border_vat_refusal(tenant.issuer.codigo_postal, keys)
        if refusal:
            return None, refusal
    return keys.model_dump(mode="json", exclude_none=True), ""


def save_default_keys(
    tenant_id: str, clave_prod_serv: str, clave_unidad: str, impuesto: str, adapters: Adapters
) -> Tenant:
    """The keys of any SKU without its own (empty clears them: such SKUs stop the invoice)."""
    tenant = tenant_of(tenant_id, adapters)
    invoicing = dict(tenant.invoicing)
    if not clave_prod_serv.strip():
        invoicing.pop("default_product_keys", None)
        return _save(adapters, tenant, invoicing=invoicing)
    keys, problem = product_keys_problem(tenant, clave_prod_serv, clave_unidad, "", impuesto)
    if keys is None:
        raise SettingsRefusedError([Problem("clave_defecto", problem)])
    invoicing["default_product_keys"] = keys
    return _save(adapters, tenant, invoicing=invoicing)


def remove_product_key(tenant_id: str, sku: str, adapters: Adapters) -> Tenant:
    tenant = tenant_of(tenant_id, adapters)
    products = dict(tenant.invoicing.get("products") or {})
    if products.pop(sku, None) is None:
        raise NotFoundError("Ese SKU no tiene claves registradas.")
    return _save(adapters, tenant, invoicing={**tenant.invoicing, "products": products})


@dataclass(frozen=True)
class RejectedRow:
    line: int
    sku: str
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """Excel saves "CSV UTF-8" (with a BOM) or the system's ANSI code page (cp1252 in Spanish)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def import_product_keys(tenant_id: str, data: bytes, adapters: Adapters) -> ImportReport:
    """Each valid row adds or replaces its SKU's keys; each malformed row is reported by line
    and the rest imported. Columns: sku, clave_prod_serv, clave_unidad, unidad (optional),
    impuesto (optional: iva16 by default); comma or semicolon separated, with a header row."""
    tenant = tenant_of(tenant_id, adapters)
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(rows, [])]
    if header[:3] != _HEADER[:3]:
        raise SettingsRefusedError(
            [
                Problem(
                    "archivo",
                    "La primera línea debe ser el encabezado: sku, clave_prod_serv, "
                    "clave_unidad, unidad, impuesto.",
                )
            ]
        )
    report = ImportReport()
    accepted: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if line > MAX_CSV_ROWS + 1:
            report.rejected.append(RejectedRow(line, "", "El archivo pasa de 5,000 renglones."))
            break
        values = dict(zip(header, (cell.strip() for cell in row), strict=False))
        sku = values.get("sku", "")
        if len(row) < 3 or not sku or len(sku) > 100:
            report.rejected.append(
                RejectedRow(line, sku, "Faltan columnas, o el SKU está vacío o es muy largo.")
            )
            continue
        if sku in seen:
            report.rejected.append(
                RejectedRow(line, sku, f"El SKU ya viene en la línea {seen[sku]}.")
            )
            continue
        keys, problem = product_keys_problem(
            tenant,
            values.get("clave_prod_serv", ""),
            values.get("clave_unidad", ""),
            values.get("unidad", ""),
            values.get("impuesto", ""),
        )
        if keys is None:
            report.rejected.append(RejectedRow(line, sku, problem))
            continue
        seen[sku] = line
        accepted[sku] = keys
    products = {**(tenant.invoicing.get("products") or {}), **accepted}
    if len(products) > MAX_PRODUCT_KEYS:
        raise SettingsRefusedError(
            [
                Problem(
                    "archivo",
                    f"Con este archivo tendrías {len(products):,} SKU; el máximo es "
                    f"{MAX_PRODUCT_KEYS:,}. Usa la clave por omisión para los demás.",
                )
            ]
        )
    _save(adapters, tenant, invoicing={**tenant.invoicing, "products": products})
    report.imported = len(accepted)
    logger.info(
        "product keys imported",
        extra={"imported": report.imported, "rejected": len(report.rejected)},
    )
    return report


# ---------------------------------------------------------------- the view
@dataclass(frozen=True)
class FiscalSettings:
    tenant: Tenant
    problems: list[Problem]  # what still stops invoicing, as validate_issuer sees it
    erp: dict[str, Any] | None
    has_pac_account: bool
    csd_days_left: int | None


def view(tenant_id: str, adapters: Adapters) -> FiscalSettings:
    from postventa.domain.clock import parse_iso

    tenant = tenant_of(tenant_id, adapters)
    endpoint = adapters.erp_endpoints.get(tenant_id)
    days_left = None
    if tenant.csd_summary and tenant.csd_summary.get("vigente_hasta"):
        remaining = parse_iso(tenant.csd_summary["vigente_hasta"]) - adapters.clock.now()
        days_left = remaining.days
    return FiscalSettings(
        tenant=tenant,
        problems=_issuer_problems(tenant) if tenant.issuer else [],
        erp=endpoint.public_view() if endpoint else None,
        has_pac_account=bool(tenant.pac_credentials_secret),
        csd_days_left=days_left,
    )
