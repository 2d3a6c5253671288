"""The billing form's select options: SAT codes with labels a buyer reads on a phone, and the
table the page's script narrows them with as the buyer types."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from postventa.cfdi import catalogs
from postventa.services import fiscal_form


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


def regimen_options(codes: Iterable[str]) -> list[Choice]:
    rows = catalogs.regimenes_fiscales()
    return [_choice(k, rows[k].descripcion, REGIMEN_SHORT) for k in codes]


def uso_options(codes: Iterable[str]) -> list[Choice]:
    rows = catalogs.usos_cfdi()
    return [_choice(k, rows[k].descripcion, USO_SHORT) for k in codes]


@functools.cache
def choices_table() -> str:
    """JSON for the form's script: every choice list the service allows (`fiscal_form`), by
    RFC kind and régimen, so the script narrows the selects exactly as the server does without
    a second copy of the rules. Lists are shared by index: the table stays about 2 KB."""
    lists: list[tuple[str, ...]] = []

    def ref(codes: tuple[str, ...]) -> int:
        if codes not in lists:
            lists.append(codes)
        return lists.index(codes)

    kinds = {}
    for kind in fiscal_form.RfcKind:
        regimenes = fiscal_form.regimen_choices(kind)
        usos = {r: ref(fiscal_form.uso_choices(kind, r)) for r in ("", *regimenes)}
        kinds[kind.value] = {"regimenes": ref(regimenes), "usos": usos}
    every = fiscal_form.choices_for({})
    labels = {c.value: c.label for c in regimen_options(every.regimenes) + uso_options(every.usos)}
    return json.dumps(
        {
            "listas": lists,
            "tipos": kinds,
            "etiquetas": labels,
            "porRfc": fiscal_form.KIND_BY_RFC,
            "porLongitud": fiscal_form.KIND_BY_LENGTH,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
