"""Catalog look-ups for the matrix rules, each cached for the life of the process.

Sources: satcfdi's SAT catalog db (c_FormaPago, c_Moneda, c_TipoDeComprobante, c_Exportacion,
c_MetodoPago, c_Periodicidad, c_Meses, c_TipoRelacion, c_ObjetoImp, c_Impuesto, c_ClaveProdServ,
c_ClaveUnidad, c_CodigoPostal), the project's own CFDI 4.0 catalogs (`postventa.cfdi.catalogs`:
c_RegimenFiscal with its Física/Moral columns, c_UsoCFDI with its régimen matrix, c_Pais) and the
rows satcfdi does not carry (`_sat_tables`). satcfdi's db mixes CFDI 3.3 and 4.0 keys; for
régimen and uso the project's 4.0-only catalogs decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache, lru_cache

from postventa.cfdi.validation._sat_tables import TASAS_O_CUOTAS

# small catalogs loaded whole; the two large ones (52,000 and 95,000 keys) are looked up per key
_SMALL = {
    "c_FormaPago": "C756_c_FormaPago",
    "c_TipoDeComprobante": "C756_c_TipoDeComprobante",
    "c_Exportacion": "C756_c_Exportacion",
    "c_MetodoPago": "C756_c_MetodoPago",
    "c_Periodicidad": "C756_c_Periodicidad",
    "c_Meses": "C756_c_Meses",
    "c_TipoRelacion": "C756_c_TipoRelacion",
    "c_ObjetoImp": "C756_c_ObjetoImp",
    "c_Impuesto": "C756_c_Impuesto",
}


@cache
def keys(catalog: str) -> frozenset[str]:
    """Every key of one of the small catalogs named in `_SMALL` ("c_FormaPago" ...)."""
    from satcfdi.catalogs import select_all

    return frozenset(str(key) for key in select_all(_SMALL[catalog]))


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
