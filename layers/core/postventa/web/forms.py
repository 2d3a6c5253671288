"""The billing form's select options: SAT codes with labels a buyer reads on a phone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


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
