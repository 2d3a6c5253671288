"""The fiscal data a buyer submits: parsing the form body and validating it by SAT's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs

FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email")
CSRF_FIELD = "csrf"
# Our form posts its fields and the csrf token; anything much larger is not our form.
_MAX_FIELDS = 20


class MalformedFormError(ValueError):
    """A body our form cannot have sent (too many fields)."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_FIELD = 300


def parse_form(body: str) -> dict[str, str]:
    """application/x-www-form-urlencoded -> {field: value} for the known fields and the csrf
    token only; MalformedFormError for a body with more fields than our form has."""
    try:
        raw = parse_qs(body, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        raise MalformedFormError("too many fields") from None
    return {f: (raw.get(f) or [""])[0].strip()[:_MAX_FIELD] for f in (*FIELDS, CSRF_FIELD)}


def check(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(normalized values, {field: [Spanish messages]}) through the CFDI engine's receptor
    validation; the buyer's email is also required here (the invoice is sent to it)."""
    from postventa.cfdi.receptor import validate_receptor

    result = validate_receptor({f: values.get(f, "") for f in FIELDS})
    normalized = {f: str(result.normalizado.get(f) or values.get(f) or "") for f in FIELDS}
    problems = {k: list(v) for k, v in result.errores.items() if k in FIELDS and v}
    # A check digit that does not match is a warning the buyer may confirm; until the form
    # offers "mi RFC es correcto" (validate_receptor(rfc_confirmado=True)) it stays blocking.
    for field, messages in result.pendientes().items():
        problems.setdefault(field, []).extend(messages)
    email = normalized["email"]
    if "email" not in problems:
        if not email:
            problems["email"] = ["El correo es obligatorio."]
        elif not _EMAIL.match(email):
            problems["email"] = ["El correo no es válido."]
    other = [m for k, v in result.errores.items() if k not in FIELDS for m in v]
    if other:
        problems.setdefault("rfc", []).extend(other)
    return normalized, problems
