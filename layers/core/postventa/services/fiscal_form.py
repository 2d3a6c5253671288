"""The fiscal data a buyer submits: parsing the form body and validating it by SAT's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs

FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_FIELD = 300


def parse_form(body: str) -> dict[str, str]:
    """application/x-www-form-urlencoded -> {field: value} for the known fields only."""
    raw = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    return {f: (raw.get(f) or [""])[0].strip()[:_MAX_FIELD] for f in FIELDS}


def check(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(normalized values, {field: [Spanish messages]}) through the CFDI engine's receptor
    validation; the buyer's email is also required here (the invoice is sent to it)."""
    from postventa.cfdi.receptor import validate_receptor

    result = validate_receptor(dict(values))
    normalized = {f: str(result.normalizado.get(f) or values.get(f) or "") for f in FIELDS}
    problems = {k: list(v) for k, v in result.errores.items() if k in FIELDS and v}
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
