"""SAT's CFDI 4.0 validation matrix, checked offline before a folio is spent.

`validate_document(xml, now=...)` runs every rule of `rules.RULES` that can be decided from the
XML, the SAT catalogs and a clock, and returns every violation with SAT's code, the field it
refuses and a Spanish message. The sandbox PAC runs it on every stamp; the stamping path runs it
before sending a document to a real PAC. `inner_sat_code` and `field_for_code` turn a real PAC's
rejection (often code 301 wrapping a CFDI40xxx) into the field the buyer or seller must fix.

XSD validity is not part of this: `postventa.cfdi.xsd` checks it first (code 301).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from postventa.cfdi.errors import CfdiError
from postventa.cfdi.validation.document import NS, Document
from postventa.cfdi.validation.rules import (
    CHECKED_RULES,
    MATRIX_RULES,
    RULES,
    RULES_BY_CODE,
    Kind,
    Rule,
)
from postventa.cfdi.validation.timezones import default_tz_for_cp

__all__ = [
    "CHECKED_RULES",
    "MATRIX_RULES",
    "RECEPTOR_FORM_FIELDS",
    "RULES",
    "DocumentoNoValidableError",
    "Kind",
    "Rule",
    "Violation",
    "default_tz_for_cp",
    "field_for_code",
    "inner_sat_code",
    "receptor_field_for_code",
    "validate_document",
]


@dataclass(frozen=True, slots=True)
class Violation:
    code: str  # SAT's code (CFDI40xxx) or the classic stamping code (303, 305, 401)
    field: str  # what is refused, e.g. "Receptor.DomicilioFiscalReceptor"
    message: str  # Spanish, for the seller: SAT's message and what exactly was found
    detail: str  # what exactly was found ("concepto 3: Importe 10.00 fuera de ..."), or ""


class DocumentoNoValidableError(CfdiError):
    """The bytes are not a CFDI 4.0 the matrix can read (not XML, or another root element)."""

    code = "cfdi_no_valido"


def validate_document(
    xml: bytes,
    *,
    now: datetime,
    tz_for_cp: Callable[[str], tzinfo] = default_tz_for_cp,
    future_tolerance: timedelta = timedelta(0),
    skip: Collection[str] = (),
    element: Any = None,
) -> list[Violation]:
    """Every violation of the offline rules, in the matrix's order (empty: nothing to refuse).

    `now`: the stamping clock (timezone-aware). `tz_for_cp`: LugarExpedicion's postal code ->
    time zone, for the rules on Fecha (72 hours, not in the future, certificate validity).
    `future_tolerance`: clock skew accepted for a Fecha ahead of `now` (SAT's rule: none).
    `skip`: codes not to check (e.g. {"305"} with SAT's expired public test CSDs).
    `element`: `xml` already parsed with lxml (saves a parse; must be exactly these bytes).
    Raises DocumentoNoValidableError when `xml` is not a CFDI 4.0 document."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    root = _parse(xml) if element is None else element
    if root.tag != f"{NS}Comprobante" or root.get("Version") != "4.0":
        raise DocumentoNoValidableError("El documento no es un CFDI versión 4.0.")
    doc = Document(xml, root, now, tz_for_cp, future_tolerance)
    violations: list[Violation] = []
    for rule in CHECKED_RULES:
        if rule.code in skip:
            continue
        assert rule.check is not None
        for detail in rule.check(doc):
            message = f"{rule.message} ({detail})" if detail else rule.message
            violations.append(Violation(rule.code, rule.field, message, detail))
    return violations


def _parse(xml: bytes) -> Any:
    """Strict parse: no recovery (what is not well-formed XML is refused, as a PAC does), no
    entities, no network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentoNoValidableError(f"El XML está mal formado: {exc}") from exc


# -- a real PAC's rejection -> the field to fix --------------------------------------------------
_SAT_CODE = re.compile(r"CFDI1?40\d{3}", re.IGNORECASE)

# Receptor attributes -> the buyer form's field names (postventa.cfdi.receptor.FIELDS)
RECEPTOR_FORM_FIELDS = {
    "Receptor.Rfc": "rfc",
    "Receptor.Nombre": "nombre",
    "Receptor.DomicilioFiscalReceptor": "codigo_postal",
    "Receptor.RegimenFiscalReceptor": "regimen_fiscal",
    "Receptor.UsoCFDI": "uso_cfdi",
    "Receptor.ResidenciaFiscal": "residencia_fiscal",
    "Receptor.NumRegIdTrib": "num_reg_id_trib",
}


def inner_sat_code(message: str) -> str | None:
    """The CFDI40xxx (or CFDI1402xx) code inside a PAC's message, e.g. a code-301 rejection
    "301 - XML mal formado: CFDI40145 El campo Nombre del receptor..." -> "CFDI40145".
    The first one when there are several; None when there is none."""
    match = _SAT_CODE.search(message or "")
    return match.group(0).upper() if match else None


def field_for_code(code: str) -> str | None:
    """The field a matrix code refuses ("CFDI40148" -> "Receptor.DomicilioFiscalReceptor")."""
    rule = RULES_BY_CODE.get(code.strip().upper())
    return rule.field if rule else None


def receptor_field_for_code(code: str) -> str | None:
    """The buyer form field to correct for a code ("CFDI40145" -> "nombre"), or None when the
    code does not concern the receptor (the seller's setup or the engine must change)."""
    field = field_for_code(code)
    return RECEPTOR_FORM_FIELDS.get(field) if field else None
