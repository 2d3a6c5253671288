"""SAT's CFDI 4.0 validation matrix, checked offline before a folio is spent.

`validate_document(xml, now=...)` runs every rule of `rules.RULES` that can be decided from the
XML, the SAT catalogs and a clock, and returns every violation with SAT's code, the field it
refuses and a Spanish message. The sandbox PAC runs it on every stamp (after its XSD check);
`check_before_sending` runs it on the sealed document before any PAC sees it (stamping path and
global invoices) and raises `MatrixRejectionError`. `inner_sat_code` and `field_for_code` turn a
real PAC's rejection (often code 301 wrapping a CFDI40xxx) into the field the buyer or seller
must fix.

Fecha is read in the time zone of LugarExpedicion as `postventa.cfdi.timezones` (the product's
one Mexico mapping) defines it. XSD validity is not part of this: `postventa.cfdi.xsd` checks it
first (code 301).

What the rules find in a document depends only on its bytes (the catalogs and time zones are
fixed for the process), except the 72-hour rule (401), which also reads the stamping clock. So
the verdict of the other rules is remembered per process, keyed by the SHA-256 of the exact
bytes: the sandbox PAC, judging the bytes the pre-send check just judged, only hashes them and
runs the clock rule. Any other bytes, even one differing in a single byte, are judged in full.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from postventa.cfdi.errors import CfdiError
from postventa.cfdi.timezones import zone_if_known
from postventa.cfdi.validation.document import NS, ClockReading, Document
from postventa.cfdi.validation.rules import (
    CHECKED_RULES,
    CLOCK_RULES,
    DOCUMENT_RULES,
    MATRIX_RULES,
    POSITION,
    RULES,
    RULES_BY_CODE,
    Kind,
    Rule,
)

__all__ = [
    "CHECKED_RULES",
    "MATRIX_RULES",
    "RECEPTOR_FORM_FIELDS",
    "RULES",
    "RULES_BY_CODE",
    "DocumentoNoValidableError",
    "Kind",
    "MatrixRejectionError",
    "Rule",
    "Violation",
    "check_before_sending",
    "field_for_code",
    "inner_sat_code",
    "receptor_field_for_code",
    "validate_document",
    "violation",
]


@dataclass(frozen=True, slots=True)
class Violation:
    code: str  # SAT's code (CFDI40xxx) or the classic stamping code (303, 305, 401)
    field: str  # what is refused, e.g. "Receptor.DomicilioFiscalReceptor"
    message: str  # Spanish, for the seller: SAT's message and what exactly was found
    detail: str  # what exactly was found ("concepto 3: Importe 10.00 fuera de ..."), or ""

    @property
    def receptor_field(self) -> str | None:
        """The buyer form's field to correct ("nombre", "codigo_postal"...), or None when the
        rule does not concern the buyer's data."""
        return RECEPTOR_FORM_FIELDS.get(self.field)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "receptor_field": self.receptor_field,
        }


def violation(code: str, detail: str = "") -> Violation:
    """A violation of the table's rule `code`, with SAT's field and message (for checks outside
    the table that report a matrix code, such as the sandbox's simulated register checks)."""
    rule = RULES_BY_CODE[code]
    message = f"{rule.message} ({detail})" if detail else rule.message
    return Violation(rule.code, rule.field, message, detail)


class DocumentoNoValidableError(CfdiError):
    """The bytes are not a CFDI 4.0 the matrix can read (not XML, or another root element)."""

    code = "cfdi_no_valido"


class MatrixRejectionError(CfdiError):
    """The sealed CFDI breaks offline rules of SAT's validation matrix, so it was not sent to
    the PAC (no folio spent). `violations`: every one, in the matrix's order. `sat_code`,
    `field` and `receptor_field` are the first one's, named as on PacDataRejectedError, so the
    correction loop reads both errors alike."""

    code = "matriz_sat_incumplida"

    def __init__(self, violations: Sequence[Violation]) -> None:
        if not violations:
            raise ValueError("a MatrixRejectionError needs at least one violation")
        first = violations[0]
        more = len(violations) - 1
        tail = f" (y {more} más)" if more else ""
        super().__init__(
            "El comprobante no cumple las reglas de validación del SAT y no se envió a timbrar: "
            f"{first.code}: {first.message}{tail}",
            details={"violations": [v.as_dict() for v in violations]},
        )
        self.violations = tuple(violations)
        self.sat_code = first.code
        self.field: str | None = first.field
        self.receptor_field = first.receptor_field


def validate_document(
    xml: bytes,
    *,
    now: datetime,
    tz_for_cp: Callable[[str], tzinfo | None] = zone_if_known,
    future_tolerance: timedelta = timedelta(0),
    skip: Collection[str] = (),
    element: Any = None,
) -> list[Violation]:
    """Every violation of the offline rules, in the matrix's order (empty: nothing to refuse).

    `now`: the stamping clock (timezone-aware). `tz_for_cp`: LugarExpedicion's postal code ->
    time zone (None for a code outside c_CodigoPostal), for the rules on Fecha (72 hours, not in
    the future, certificate validity); the default is the product's mapping, and only with it
    is the verdict remembered per document.
    `future_tolerance`: clock skew accepted for a Fecha ahead of `now` (SAT's rule: none).
    `skip`: codes not to report (e.g. {"305"} with SAT's expired public test CSDs).
    `element`: `xml` already parsed with lxml (saves a parse; must be exactly these bytes).
    Raises DocumentoNoValidableError when `xml` is not a CFDI 4.0 document."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    remember = tz_for_cp is zone_if_known
    digest = hashlib.sha256(xml).digest() if remember else b""
    verdict = _remembered(digest) if remember else None
    if verdict is None:
        verdict = _judge(xml, element, tz_for_cp)
        if remember:
            _remember(digest, verdict)
    violations = [v for v in verdict.violations if v.code not in skip]
    clock = ClockReading(verdict.fecha, now, future_tolerance)
    clocked = [
        _violation(rule, detail)
        for rule in CLOCK_RULES
        if rule.code not in skip and rule.clock_check is not None
        for detail in rule.clock_check(clock)
    ]
    if clocked:
        violations = sorted(violations + clocked, key=lambda v: POSITION[v.code])
    return violations


def check_before_sending(
    xml: bytes, *, now: datetime, skip: Collection[str] = (), element: Any = None
) -> None:
    """The pre-send check: MatrixRejectionError, with every violation, unless the sealed `xml`
    passes every offline rule at `now` (the clock the PAC will judge it by; no clock skew
    accepted). `skip`: codes the receiving PAC waives (the local sandbox with SAT's expired test
    CSDs waives 305)."""
    violations = validate_document(xml, now=now, skip=skip, element=element)
    if violations:
        raise MatrixRejectionError(violations)


@dataclass(frozen=True, slots=True)
class _Verdict:
    violations: tuple[Violation, ...]  # of DOCUMENT_RULES, none skipped
    fecha: datetime | None  # Fecha at LugarExpedicion, for the clock rules


def _judge(xml: bytes, element: Any, tz_for_cp: Callable[[str], tzinfo | None]) -> _Verdict:
    root = _parse(xml) if element is None else element
    if root.tag != f"{NS}Comprobante" or root.get("Version") != "4.0":
        raise DocumentoNoValidableError("El documento no es un CFDI versión 4.0.")
    doc = Document(xml, root, tz_for_cp)
    found = tuple(
        _violation(rule, detail)
        for rule in DOCUMENT_RULES
        if rule.check is not None
        for detail in rule.check(doc)
    )
    return _Verdict(found, doc.fecha_aware)


def _violation(rule: Rule, detail: str) -> Violation:
    message = f"{rule.message} ({detail})" if detail else rule.message
    return Violation(rule.code, rule.field, message, detail)


# Verdicts by SHA-256 of the exact document bytes (see the module docstring); bounded, oldest
# out first. Failures are remembered too: they are as much a function of the bytes as passes.
_VERDICTS: OrderedDict[bytes, _Verdict] = OrderedDict()
_VERDICTS_MAX = 512
_verdicts_lock = threading.Lock()


def _remembered(digest: bytes) -> _Verdict | None:
    with _verdicts_lock:
        verdict = _VERDICTS.get(digest)
        if verdict is not None:
            _VERDICTS.move_to_end(digest)
        return verdict


def _remember(digest: bytes, verdict: _Verdict) -> None:
    with _verdicts_lock:
        _VERDICTS[digest] = verdict
        while len(_VERDICTS) > _VERDICTS_MAX:
            _VERDICTS.popitem(last=False)


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
_SAT_CODE = re.compile(r"CFDI1?40\d{3}(?!\d)", re.IGNORECASE)

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
