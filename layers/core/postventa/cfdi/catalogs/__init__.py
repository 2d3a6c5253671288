"""SAT catalogs the buyer validation needs, shipped as small JSON files next to this module.

Loaded lazily on first use and cached for the life of the process; no satcfdi import, so the light
billing-form function can use it. `_generate.py` rebuilds the files; README.md names the sources.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

__all__ = [
    "CodigoPostal",
    "RegimenFiscal",
    "UsoCfdi",
    "clave_con_estimulo_frontera",
    "codigo_postal_existe",
    "datos_codigo_postal",
    "estado_de_codigo_postal",
    "formato_registro_tributario",
    "paises",
    "regimenes_fiscales",
    "usos_cfdi",
]


@dataclass(frozen=True, slots=True)
class RegimenFiscal:
    """One row of c_RegimenFiscal (CFDI 4.0) with SAT's Física/Moral columns."""

    clave: str
    descripcion: str
    fisica: bool
    moral: bool


@dataclass(frozen=True, slots=True)
class UsoCfdi:
    """One row of c_UsoCFDI (CFDI 4.0): persona types and the receptor régimenes it allows."""

    clave: str
    descripcion: str
    fisica: bool
    moral: bool
    regimenes: frozenset[str]


def _load(name: str) -> dict[str, Any]:
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def regimenes_fiscales() -> Mapping[str, RegimenFiscal]:
    """c_RegimenFiscal keyed by clave ("601" ...), only the keys valid in CFDI 4.0."""
    rows = _load("regimenes_fiscales.json")["regimenes"]
    return MappingProxyType(
        {
            clave: RegimenFiscal(clave, row["descripcion"], row["fisica"], row["moral"])
            for clave, row in rows.items()
        }
    )


@cache
def usos_cfdi() -> Mapping[str, UsoCfdi]:
    """c_UsoCFDI keyed by clave ("G03" ...), with its allowed receptor régimenes."""
    rows = _load("usos_cfdi.json")["usos"]
    return MappingProxyType(
        {
            clave: UsoCfdi(
                clave,
                row["descripcion"],
                row["fisica"],
                row["moral"],
                frozenset(row["regimenes"]),
            )
            for clave, row in rows.items()
        }
    )


@dataclass(frozen=True, slots=True)
class CodigoPostal:
    """What c_CodigoPostal says about one code (besides municipio and localidad)."""

    estado: str  # c_Estado: "CMX", "BCN" ...
    huso: str  # "Descripción del Huso Horario", e.g. "Tiempo del Noroeste"
    estimulo_frontera: str  # "Estímulo Franja Fronteriza": "0" none, "1" norte, "2" sur

    @property
    def region_fronteriza(self) -> bool:
        return self.estimulo_frontera in ("1", "2")


@dataclass(frozen=True, slots=True)
class _PostalCodes:
    present: bytes  # one byte per code 00000..99999: 1 if the code is in c_CodigoPostal
    starts: tuple[int, ...]
    rows: tuple[CodigoPostal, ...]  # what every code of the run starting at starts[i] shares


@cache
def _postal_codes() -> _PostalCodes:
    data = _load("codigos_postales.json")
    husos: dict[str, str] = data["husos"]
    present = bytearray(100_000)
    starts: list[int] = []
    rows: list[CodigoPostal] = []
    for rango in data["rangos"]:
        span, estado, huso, estimulo = rango.split(" ")
        first, last = (int(part) for part in span.split("-"))
        present[first : last + 1] = b"\x01" * (last - first + 1)
        starts.append(first)
        rows.append(CodigoPostal(estado, husos[huso], estimulo))
    return _PostalCodes(bytes(present), tuple(starts), tuple(rows))


def _as_number(codigo_postal: str) -> int | None:
    if len(codigo_postal) != 5 or not codigo_postal.isascii() or not codigo_postal.isdigit():
        return None
    return int(codigo_postal)


def codigo_postal_existe(codigo_postal: str) -> bool:
    """True when the 5-digit code is in SAT's c_CodigoPostal."""
    number = _as_number(codigo_postal)
    return number is not None and _postal_codes().present[number] == 1


def datos_codigo_postal(codigo_postal: str) -> CodigoPostal | None:
    """State, time-zone description and border mark of a code in c_CodigoPostal, else None."""
    number = _as_number(codigo_postal)
    table = _postal_codes()
    if number is None or not table.present[number]:
        return None
    return table.rows[bisect_right(table.starts, number) - 1]


def estado_de_codigo_postal(codigo_postal: str) -> str | None:
    """c_Estado key ("CMX", "JAL" ...) of a code in c_CodigoPostal, else None."""
    row = datos_codigo_postal(codigo_postal)
    return row.estado if row is not None else None


@cache
def _paises() -> dict[str, Any]:
    return _load("paises.json")


@cache
def paises() -> Mapping[str, str]:
    """c_Pais: ISO 3166-1 alpha-3 key -> Spanish name."""
    return MappingProxyType(dict(_paises()["paises"]))


def formato_registro_tributario(pais: str) -> str | None:
    """c_Pais "Formato de Registro de Identidad Tributaria" (a regular expression) of a country,
    None when SAT publishes none for it."""
    formato: str | None = _paises()["registro_tributario"].get(pais)
    return formato


@cache
def _sin_estimulo_frontera() -> tuple[tuple[str, str], ...]:
    rangos = _load("claves_sin_estimulo_frontera.json")["rangos"]
    return tuple((r[:8], r[9:]) for r in rangos)


def clave_con_estimulo_frontera(clave_prod_serv: str) -> bool:
    """True when c_ClaveProdServ marks the key 1 in "Estímulo Franja Fronteriza" (the border IVA
    stimulus may apply to it); False for the keys marked 0 (real estate, intangibles...)."""
    return not any(first <= clave_prod_serv <= last for first, last in _sin_estimulo_frontera())
