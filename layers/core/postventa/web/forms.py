"""The buyer's fiscal data form: parsing, validation and the select options."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple
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


class Choice(NamedTuple):
    """One <option>: the SAT code as value, a label short enough for a closed select on a
    phone, and the catalog's full description (listed under the select)."""

    value: str
    label: str
    description: str


# The SAT descriptions run up to 88 characters; a closed <select> on a 375 px phone shows about
# 30. These names are how people say them; the full descriptions are listed under the select.
REGIMEN_SHORT = {
    "601": "General de Ley",
    "603": "Sin fines de lucro",
    "605": "Sueldos y salarios",
    "607": "Enajenación de bienes",
    "610": "Residente en el extranjero",
    "611": "Dividendos",
    "612": "Empresarial y profesional",
    "614": "Intereses",
    "615": "Premios",
    "620": "Cooperativas de producción",
    "622": "Agropecuarias y pesqueras",
    "623": "Grupos de sociedades",
    "625": "Plataformas tecnológicas",
    "626": "Simplificado de Confianza",
}
USO_SHORT = {
    "G02": "Devoluciones y descuentos",
    "I02": "Mobiliario de oficina",
    "I04": "Equipo de cómputo",
    "I05": "Moldes y herramental",
    "D01": "Honorarios médicos",
    "D02": "Gastos por incapacidad",
    "D05": "Intereses hipotecarios",
    "D06": "Aportaciones al SAR",
    "D07": "Seguros de gastos médicos",
    "D08": "Transporte escolar",
    "D09": "Ahorro y pensiones",
    "D10": "Colegiaturas",
}


def _choice(code: str, description: str, short: Mapping[str, str]) -> Choice:
    return Choice(code, f"{code} · {short.get(code, description)}", description)


def regimen_options() -> list[Choice]:
    from postventa.cfdi import catalogs

    return [
        _choice(k, r.descripcion, REGIMEN_SHORT)
        for k, r in sorted(catalogs.regimenes_fiscales().items())
    ]


def uso_options() -> list[Choice]:
    from postventa.cfdi import catalogs

    return [_choice(k, u.descripcion, USO_SHORT) for k, u in sorted(catalogs.usos_cfdi().items())]
