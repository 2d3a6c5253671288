"""Catalog look-ups for the matrix rules, each cached for the life of the process.

Sources: satcfdi's SAT catalog db for the large ones (c_ClaveProdServ, c_ClaveUnidad) and
c_Moneda's decimals; the keys of the small 4.0 catalogs as SAT's catCFDI.xsd enumerates them
(`_sat_tables.CATALOGOS`); the project's own CFDI 4.0 catalogs (`postventa.cfdi.catalogs`:
c_RegimenFiscal with its Física/Moral columns, c_UsoCFDI with its régimen matrix, c_Pais) and the
rows satcfdi does not carry (`_sat_tables`). satcfdi's db mixes CFDI 3.3 and 4.0 keys; for
régimen and uso the project's 4.0-only catalogs decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache, lru_cache

from postventa.cfdi.validation._sat_tables import CATALOGOS, TASAS_O_CUOTAS


def keys(catalog: str) -> frozenset[str]:
    """Every key of one of the small CFDI 4.0 catalogs ("c_FormaPago" ...)."""
    return CATALOGOS[catalog]


@cache
def _monedas() -> Mapping[str, int]:
    from satcfdi.catalogs import select_all

    return {str(key): int(row[1]) for key, row in select_all("C756_c_Moneda").items()}


def moneda_decimales(moneda: str) -> int | None:
    """Decimals c_Moneda allows for the currency; None when it is not in the catalog."""
    return _monedas().get(moneda)


@lru_cache(maxsize=16384)
def in_large_catalog(table: str, key: str) -> bool:
    from satcfdi.catalogs import select

    return select(table, key) is not None


def clave_prod_serv_existe(clave: str) -> bool:
    return in_large_catalog("C756_c_ClaveProdServ", clave)


def clave_unidad_existe(clave: str) -> bool:
    return in_large_catalog("C756_c_ClaveUnidad", clave)


@lru_cache(maxsize=1024)
def tasa_o_cuota_valida(impuesto: str, factor: str, valor: Decimal, *, traslado: bool) -> bool:
    """True when `valor` is a fixed value, or inside a range, of c_TasaOCuota for that
    impuesto, factor and kind (traslado or retención)."""
    for row in TASAS_O_CUOTAS:
        if row.impuesto != impuesto or row.factor != factor:
            continue
        if not (row.traslado if traslado else row.retencion):
            continue
        if row.minimo is None and valor == row.maximo:
            return True
        if row.minimo is not None and row.minimo <= valor <= row.maximo:
            return True
    return False
