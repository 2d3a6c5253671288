"""The buyer's fiscal data form: parsing, validation and the select options."""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_FIELD = 300


def parse_form(body: str) -> dict[str, str]:
    """application/x-www-form-urlencoded -> {field: value} for the known fields only."""
    raw = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    return {f: (raw.get(f) or [""])[0].strip()[:_MAX_FIELD] for f in FIELDS}


def normalize(values: Mapping[str, str]) -> dict[str, str]:
    """Upper-case RFC and name as SAT registers them; collapse spaces."""
    out = {k: " ".join(str(v).split()) for k, v in values.items()}
    out["rfc"] = out.get("rfc", "").upper().replace(" ", "").replace("-", "")
    out["nombre"] = unicodedata.normalize("NFC", out.get("nombre", "").upper())
    out["email"] = out.get("email", "").lower()
    return out


def validate(values: Mapping[str, str]) -> dict[str, list[str]]:
    """{field: [Spanish messages]}; empty when the data can go to the invoice.

    Uses the CFDI engine's receptor validation (`postventa.cfdi.receptor.validate_receptor`)
    when it is installed; otherwise the checks below (RFC check digit, catalogs, CP existence).
    """
    receptor = _receptor_module()
    if receptor is not None:
        problems: dict[str, list[str]] = dict(receptor.validate_receptor(dict(values)))
    else:
        problems = _basic_problems(values)
    email = values.get("email", "")
    if not email:
        problems.setdefault("email", []).append("El correo es obligatorio.")
    elif not _EMAIL.match(email):
        problems.setdefault("email", []).append("El correo no es válido.")
    return {k: v for k, v in problems.items() if v}


def _receptor_module() -> Any:
    try:
        return importlib.import_module("postventa.cfdi.receptor")
    except ModuleNotFoundError:
        return None


def _basic_problems(values: Mapping[str, str]) -> dict[str, list[str]]:
    from postventa.cfdi import catalogs
    from postventa.cfdi.rfc import TipoPersona, rfc_problems, tipo_persona

    problems: dict[str, list[str]] = {}
    rfc = values.get("rfc", "")
    if rfc_msgs := rfc_problems(rfc):
        problems["rfc"] = rfc_msgs
    if not values.get("nombre"):
        problems["nombre"] = ["La razón social o nombre es obligatorio."]
    regimen = values.get("regimen_fiscal", "")
    regimenes = catalogs.regimenes_fiscales()
    tipo = tipo_persona(rfc) if "rfc" not in problems else None
    if regimen not in regimenes:
        problems["regimen_fiscal"] = ["Selecciona tu régimen fiscal."]
    elif tipo is TipoPersona.FISICA and not regimenes[regimen].fisica:
        problems["regimen_fiscal"] = ["Ese régimen no corresponde a una persona física."]
    elif tipo is TipoPersona.MORAL and not regimenes[regimen].moral:
        problems["regimen_fiscal"] = ["Ese régimen no corresponde a una persona moral."]
    cp = values.get("codigo_postal", "")
    if not re.fullmatch(r"[0-9]{5}", cp):
        problems["codigo_postal"] = ["El código postal debe tener 5 dígitos."]
    elif not catalogs.codigo_postal_existe(cp):
        problems["codigo_postal"] = ["Ese código postal no existe en el catálogo del SAT."]
    uso = values.get("uso_cfdi", "")
    usos = catalogs.usos_cfdi()
    if uso not in usos:
        problems["uso_cfdi"] = ["Selecciona el uso del CFDI."]
    elif regimen in regimenes and regimen not in usos[uso].regimenes:
        problems["uso_cfdi"] = [
            f"El uso {uso} no se permite con el régimen {regimen}; elige otro uso."
        ]
    return problems


def regimen_options() -> list[tuple[str, str]]:
    from postventa.cfdi import catalogs

    return [(k, f"{k} - {r.descripcion}") for k, r in sorted(catalogs.regimenes_fiscales().items())]


def uso_options() -> list[tuple[str, str]]:
    from postventa.cfdi import catalogs

    return [(k, f"{k} - {u.descripcion}") for k, u in sorted(catalogs.usos_cfdi().items())]
