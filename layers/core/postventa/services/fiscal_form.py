"""The fiscal data a buyer submits: parsing the form body, validating it by SAT's rules through
the CFDI engine, and which régimen and uso choices fit what the buyer typed.

Three promises to the buyer (docs/decisions/0013-buyer-pages.md):
- only valid choices: the régimen list follows the RFC's persona type and the uso list the
  régimen, both from the engine's own catalogs (c_RegimenFiscal's Física/Moral columns and
  c_UsoCFDI's régimen column); CN01 and CP01 never appear on this ingreso form;
- one mistake, one message: a field judged wrong does not also make the fields that depend on it
  wrong (a generic RFC does not turn the name, régimen and uso into errors; a régimen that does
  not fit the RFC does not turn the uso into one);
- a check digit that does not match SAT's algorithm is a warning the buyer may confirm ("mi RFC
  es correcto"), bound to the RFC it confirms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from postventa.cfdi import catalogs
from postventa.cfdi.names import NOMBRE_PUBLICO_EN_GENERAL, sin_acentos
from postventa.cfdi.receptor import (
    REGIMEN_SIN_OBLIGACIONES,
    USO_NOMINA,
    USO_PAGOS,
    USO_SIN_EFECTOS,
    ReceptorResult,
    validate_receptor,
)
from postventa.cfdi.rfc import RFC_GENERICO_EXTRANJERO, RFC_GENERICO_NACIONAL, normalize_rfc

FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email")
CSRF_FIELD = "csrf"
# The checkbox "Mi RFC es correcto": its value is the RFC it confirms, so a confirmation never
# carries over to an RFC the buyer typed afterwards.
CONFIRM_FIELD = "rfc_confirmado"
# Our form posts its fields, the confirmation and the csrf token; anything much larger is not it.
_MAX_FIELDS = 20


class MalformedFormError(ValueError):
    """A body our form cannot have sent (too many fields)."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_FIELD = 300


class RfcKind(StrEnum):
    """What the typed RFC says about the choices that fit it."""

    UNKNOWN = "desconocido"  # not typed yet, not 12/13 characters, or refused on this form
    FISICA = "fisica"  # 13 characters
    MORAL = "moral"  # 12 characters
    GENERIC = "generico"  # XEXX010101000: foreign resident, 616 and S01 only


class RfcConfirmation(StrEnum):
    """The check-digit warning and the buyer's answer to it."""

    NOT_NEEDED = "no_aplica"
    OFFERED = "ofrecida"  # the warning is the RFC's only problem: the checkbox is shown
    GIVEN = "confirmada"  # the buyer confirmed this very RFC


# RFCs whose kind is not their length's: the foreign generic one allows only 616 and S01; the
# national generic one (público en general) is refused on this form, so it narrows nothing (the
# buyer is about to type their own).
KIND_BY_RFC: Mapping[str, RfcKind] = {
    RFC_GENERICO_EXTRANJERO: RfcKind.GENERIC,
    RFC_GENERICO_NACIONAL: RfcKind.UNKNOWN,
}
# SAT: an RFC of 12 characters is a persona moral's, of 13 a persona física's.
KIND_BY_LENGTH: Mapping[int, RfcKind] = {12: RfcKind.MORAL, 13: RfcKind.FISICA}


@dataclass(frozen=True)
class Choices:
    """SAT codes the selects offer, in catalog order."""

    regimenes: tuple[str, ...]
    usos: tuple[str, ...]


@dataclass(frozen=True)
class CheckedForm:
    """A submission as judged: values normalized (kept for the page), one message per mistake
    by field, the RFC confirmation and the choices that fit what was typed."""

    values: dict[str, str]
    errors: dict[str, list[str]]
    rfc_confirmation: RfcConfirmation
    choices: Choices

    @property
    def fiscal_data(self) -> dict[str, Any]:
        """What is recorded on the order; `rfc_confirmado` tells the stamping step to pass
        `validate_receptor(..., rfc_confirmado=True)`."""
        data: dict[str, Any] = {f: self.values[f] for f in FIELDS}
        data[CONFIRM_FIELD] = self.rfc_confirmation is RfcConfirmation.GIVEN
        return data


def parse_form(body: str) -> dict[str, str]:
    """application/x-www-form-urlencoded -> {field: value} for the known fields, the RFC
    confirmation and the csrf token only; MalformedFormError for a body with more fields than
    our form has."""
    try:
        raw = parse_qs(body, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        raise MalformedFormError("too many fields") from None
    names = (*FIELDS, CONFIRM_FIELD, CSRF_FIELD)
    return {f: (raw.get(f) or [""])[0].strip()[:_MAX_FIELD] for f in names}


def rfc_kind(rfc: str) -> RfcKind:
    """The kind of a normalized RFC (the page's script applies the same two tables)."""
    return KIND_BY_RFC.get(rfc) or KIND_BY_LENGTH.get(len(rfc)) or RfcKind.UNKNOWN


def regimen_choices(kind: RfcKind) -> tuple[str, ...]:
    """c_RegimenFiscal keys that fit the RFC kind (its Física/Moral columns)."""
    rows = catalogs.regimenes_fiscales()
    if kind is RfcKind.GENERIC:
        return (REGIMEN_SIN_OBLIGACIONES,)
    return tuple(
        k
        for k, row in sorted(rows.items())
        if kind is RfcKind.UNKNOWN or (row.fisica if kind is RfcKind.FISICA else row.moral)
    )


def uso_choices(kind: RfcKind, regimen: str) -> tuple[str, ...]:
    """c_UsoCFDI keys for an ingreso invoice that fit the RFC kind and, when it is one of that
    kind's régimenes, the régimen (the catalog's "Régimen Fiscal Receptor" column)."""
    if kind is RfcKind.GENERIC:
        return (USO_SIN_EFECTOS,)
    known = regimen if regimen in regimen_choices(kind) else ""
    return tuple(
        k
        for k, row in catalogs.usos_cfdi().items()
        if k not in (USO_PAGOS, USO_NOMINA)  # CFDI de pagos and nómina only, never an ingreso
        and (kind is RfcKind.UNKNOWN or (row.fisica if kind is RfcKind.FISICA else row.moral))
        and (not known or known in row.regimenes)
    )


def choices_for(values: Mapping[str, str]) -> Choices:
    """The choices for what the buyer typed."""
    kind = rfc_kind(normalize_rfc(values.get("rfc", "")))
    return Choices(regimen_choices(kind), uso_choices(kind, values.get("regimen_fiscal", "")))


def blank(values: Mapping[str, str]) -> CheckedForm:
    """A form not submitted yet (or prefilled): its values, the choices they allow, no errors."""
    shown = {f: values.get(f, "") for f in FIELDS}
    return CheckedForm(shown, {}, RfcConfirmation.NOT_NEEDED, choices_for(shown))


def check(posted: Mapping[str, str], *, lugar_expedicion: str | None = None) -> CheckedForm:
    """Judge a submission through the CFDI engine's receptor validation (ingreso), one message
    per mistake; the buyer's email is also required here (the invoice is sent to it).
    `lugar_expedicion`: the seller's CP, which a generic RFC's CP must repeat (CFDI40149)."""
    raw = {f: posted.get(f, "") for f in FIELDS}
    rfc = normalize_rfc(raw["rfc"])
    confirmed = bool(rfc) and normalize_rfc(posted.get(CONFIRM_FIELD, "")) == rfc
    result = _validate(raw, confirmed, lugar_expedicion)
    judged, errors, normalized = raw, _by_field(result.errores), dict(result.normalizado)
    if _is_publico_en_general(rfc) and errors.get("rfc"):
        # The RFC's message says the generic RFC is for the global invoice and what to do; the
        # other fields are judged as if no RFC was typed, or the engine would also demand the
        # generic RFC's name, régimen and uso, contradicting it.
        judged = {**raw, "rfc": ""}
        without = _validate(judged, False, lugar_expedicion)
        errors = {"rfc": errors["rfc"], **_by_field(without.errores, skip="rfc")}
        normalized = {**without.normalizado, "rfc": rfc}
        if _names_publico_en_general(str(normalized.get("nombre") or "")):
            errors.pop("nombre", None)  # the same mistake as the RFC's, already explained
    if errors.get("regimen_fiscal") and errors.get("uso_cfdi"):
        # The régimen is wrong: the uso is judged by the RFC alone, not against that régimen.
        again = _validate({**judged, "regimen_fiscal": ""}, confirmed, lugar_expedicion)
        _replace(errors, "uso_cfdi", again.errores.get("uso_cfdi"))
    warning = result.pendientes().get("rfc", [])
    confirmation = _confirmation(result, bool(warning) and not errors.get("rfc"))
    if warning:
        errors.setdefault("rfc", []).extend(warning)
    values = {f: str(normalized.get(f) or raw.get(f) or "") for f in FIELDS}
    if "email" not in errors:
        if not values["email"]:
            errors["email"] = ["El correo es obligatorio."]
        elif not _EMAIL.match(values["email"]):
            errors["email"] = ["El correo no es válido."]
    return CheckedForm(values, errors, confirmation, choices_for(values))


# --- internals ---------------------------------------------------------------------------------


def _validate(
    raw: Mapping[str, str], confirmed: bool, lugar_expedicion: str | None
) -> ReceptorResult:
    return validate_receptor(
        raw, rfc_confirmado=confirmed, lugar_expedicion=lugar_expedicion, tipo_comprobante="I"
    )


def _by_field(errores: Mapping[str, list[str]], skip: str = "") -> dict[str, list[str]]:
    """The engine's messages by form field; a message about a field the form does not have
    (none today: the form sends no foreign-resident fields) is shown beside the RFC."""
    problems: dict[str, list[str]] = {}
    for field, messages in errores.items():
        if field == skip or not messages:
            continue
        problems.setdefault(field if field in FIELDS else "rfc", []).extend(messages)
    return problems


def _replace(errors: dict[str, list[str]], field: str, messages: list[str] | None) -> None:
    if messages:
        errors[field] = list(messages)
    else:
        errors.pop(field, None)


def _confirmation(result: ReceptorResult, offer: bool) -> RfcConfirmation:
    warnings = result.advertencias.get("rfc", [])
    if any(w.confirmada for w in warnings):
        return RfcConfirmation.GIVEN
    return RfcConfirmation.OFFERED if offer else RfcConfirmation.NOT_NEEDED


def _is_publico_en_general(rfc: str) -> bool:
    return rfc == RFC_GENERICO_NACIONAL


def _names_publico_en_general(nombre: str) -> bool:
    return sin_acentos(nombre) == NOMBRE_PUBLICO_EN_GENERAL
