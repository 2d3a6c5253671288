"""The offline checks of SAT's CFDI 4.0 validation matrix, one small function per rule.

Each check reads a `Document` and yields one Spanish detail per violation it finds (an empty
string when the rule's own message says it all); `rules.RULES` ties each function to its code.
Names follow the codes so the table and the functions can be read side by side. The wording of
each validation is SAT's matrix of 2024-12-13 (see docs/decisions/0008-validation-matrix.md).
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

from postventa.cfdi import catalogs
from postventa.cfdi.validation import sat_catalogs as cat
from postventa.cfdi.validation._sat_tables import (
    ADUANAS,
    CLAVES_CON_IVA_TRASLADADO,
    FORMATO_REGISTRO_TRIBUTARIO,
    TIPOS_FACTOR,
)
from postventa.cfdi.validation.document import (
    Attrs,
    ClockReading,
    Concepto,
    Document,
    number,
    places,
)

RFC_PUBLICO_EN_GENERAL = "XAXX010101000"
RFC_EXTRANJERO = "XEXX010101000"
RFC_TERCERO_EXTRANJERO = "EXT990101NI1"
NOMBRE_PUBLICO_EN_GENERAL = "PUBLICO EN GENERAL"
REGIMEN_SIN_OBLIGACIONES = "616"
STAMP_WINDOW = timedelta(hours=72)
ZERO = Decimal(0)
_FECHA = re.compile(
    r"(20[1-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T"
    r"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])"
)
_TIPO_CAMBIO = re.compile(r"[0-9]{1,18}(\.[0-9]{1,6})?")
# Anexo 20, Guía de llenado: year (2) + 2 spaces + aduana (2) + 2 spaces + patente (4) + 2 spaces
# + last digit of the year (1) + progressive number (6)
_PEDIMENTO = re.compile(r"([0-9]{2})  ([0-9]{2})  ([0-9]{4})  ([0-9])([0-9]{6})")
_MESES_BIMESTRALES = frozenset(str(m) for m in range(13, 19))
_MESES_MENSUALES = frozenset(f"{m:02d}" for m in range(1, 13))


# -- helpers ----------------------------------------------------------------------------------
def _generic(rfc: str | None) -> bool:
    return rfc in (RFC_PUBLICO_EN_GENERAL, RFC_EXTRANJERO)


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(_unit(decimals), rounding=ROUND_HALF_UP)


def _too_many_decimals(doc: Document, raw: str | None) -> bool:
    allowed = doc.moneda_decimales
    return raw is not None and allowed is not None and places(raw) > allowed


def _sum_matches(declared_raw: str | None, total: Decimal, doc: Document) -> bool:
    """`declared` equals the sum rounded to the currency's decimals (or to its own decimals when
    the currency is unknown, which CFDI40113 reports)."""
    declared = number(declared_raw)
    if declared is None:
        return True  # absent or unreadable: the XSD's, or another rule's, business
    decimals = doc.moneda_decimales
    return declared == _round(total, places(declared_raw) if decimals is None else decimals)


@lru_cache(maxsize=64)
def _unit(decimals: int) -> Decimal:
    """10^-decimals."""
    return Decimal(1).scaleb(-decimals)


def _bounds(
    a_raw: str | None, b_raw: str | None, target_raw: str, *, b_exact: bool = False
) -> tuple[Decimal, Decimal] | None:
    """SAT's [lower, upper] for a product a x b (Anexo 20, Guía de llenado, pregunta 41): each
    factor +/- half a unit of its last recorded decimal (the rate of a tax is exact), the lower
    bound truncated and the upper one rounded up to the decimals of the value checked."""
    a, b = number(a_raw), number(b_raw)
    if a is None or b is None:
        return None
    half_a = _unit(places(a_raw)) / 2
    half_b = ZERO if b_exact else _unit(places(b_raw)) / 2
    unit = _unit(places(target_raw))
    low = ((a - half_a) * (b - half_b)).quantize(unit, rounding=ROUND_DOWN)
    high = ((a + half_a) * (b + half_b)).quantize(unit, rounding=ROUND_CEILING)
    return max(low, ZERO), high


def _outside_product(
    value_raw: str | None, a_raw: str | None, b_raw: str | None, *, b_exact: bool = False
) -> str | None:
    """None when `value` lies within SAT's bounds of a x b, else the Spanish detail.

    Fast path first: a value written with d decimals that is less than 10^-d away from the exact
    product is that product truncated or rounded up, and both lie within the bounds (for
    non-negative factors each bound moves away from the product)."""
    value, a, b = number(value_raw), number(a_raw), number(b_raw)
    if value is None or a is None or b is None:
        return None
    if a >= 0 and b >= 0 and abs(value - a * b) < _unit(places(value_raw)):
        return None
    bounds = _bounds(a_raw, b_raw, value_raw or "", b_exact=b_exact)
    if bounds is None or bounds[0] <= value <= bounds[1]:
        return None
    return f"{value_raw} fuera de [{bounds[0]}, {bounds[1]}]"


def _not_in(value: str | None, allowed: Iterable[str]) -> bool:
    return value is not None and value not in allowed


def _taxes(doc: Document, kind: str) -> Iterator[tuple[Concepto, Attrs]]:
    for concepto in doc.conceptos:
        for tax in concepto.traslados if kind == "traslado" else concepto.retenciones:
            yield concepto, tax


# -- Comprobante --------------------------------------------------------------------------------
def cfdi40101(doc: Document) -> Iterator[str]:
    fecha = doc.attrs.get("Fecha") or ""
    if not _FECHA.fullmatch(fecha) or doc.fecha is None:
        yield f"Fecha {fecha!r}"


def cfdi40102(doc: Document) -> Iterator[str]:
    from postventa.cfdi.seal import cadena_original_of_document

    certificate = doc.certificate
    if certificate is None:
        return  # CFDI40106 reports an unreadable certificate
    try:
        signature = base64.b64decode(doc.attrs.get("Sello") or "", validate=True)
    except ValueError:
        yield "el Sello no está en base64"
        return
    cadena = cadena_original_of_document(doc.data, doc.root)
    if not certificate.verify_sha256(cadena.encode(), signature):
        yield ""


def cfdi40103(doc: Document) -> Iterator[str]:
    if doc.tipo in ("T", "N", "P") and "FormaPago" in doc.attrs:
        yield f"TipoDeComprobante {doc.tipo}"


def cfdi40104(doc: Document) -> Iterator[str]:
    forma = doc.attrs.get("FormaPago")
    if _not_in(forma, cat.keys("c_FormaPago")):
        yield f"FormaPago {forma}"


def cfdi40105(doc: Document) -> Iterator[str]:
    if doc.attrs.get("MetodoPago") == "PPD" and doc.attrs.get("FormaPago") != "99":
        yield f"MetodoPago PPD con FormaPago {doc.attrs.get('FormaPago')}"


def cfdi40106(doc: Document) -> Iterator[str]:
    certificate = doc.certificate
    if certificate is None:
        yield "el Certificado no es un certificado X.509 en base64"
    elif certificate.no_certificado != doc.attrs.get("NoCertificado"):
        yield "NoCertificado no corresponde al número del certificado"


def cfdi40107(doc: Document) -> Iterator[str]:
    if _too_many_decimals(doc, doc.attrs.get("SubTotal")):
        yield f"SubTotal {doc.attrs.get('SubTotal')}, {doc.moneda} admite {doc.moneda_decimales}"


def cfdi40108(doc: Document) -> Iterator[str]:
    if doc.tipo not in ("I", "E", "N"):
        return
    total = sum((number(c.attrs.get("Importe")) or ZERO for c in doc.conceptos), ZERO)
    if not _sum_matches(doc.attrs.get("SubTotal"), total, doc):
        yield f"SubTotal {doc.attrs.get('SubTotal')}, suma de importes {total}"


def cfdi40109(doc: Document) -> Iterator[str]:
    subtotal = number(doc.attrs.get("SubTotal"))
    if doc.tipo in ("T", "P") and subtotal is not None and subtotal != 0:
        yield f"SubTotal {doc.attrs.get('SubTotal')}"


def cfdi40110(doc: Document) -> Iterator[str]:
    descuento, subtotal = number(doc.attrs.get("Descuento")), number(doc.attrs.get("SubTotal"))
    if descuento is not None and subtotal is not None and descuento > subtotal:
        yield f"Descuento {descuento} > SubTotal {subtotal}"


def cfdi40111(doc: Document) -> Iterator[str]:
    with_discount = [c for c in doc.conceptos if "Descuento" in c.attrs]
    declared = doc.attrs.get("Descuento")
    if doc.tipo not in ("I", "E", "N"):
        if declared is not None or with_discount:
            yield f"TipoDeComprobante {doc.tipo} con Descuento"
        return
    if not with_discount:
        if declared is not None:
            yield "ningún concepto tiene Descuento: el del comprobante debe omitirse"
        return
    total = sum((number(c.attrs.get("Descuento")) or ZERO for c in with_discount), ZERO)
    if declared is None:
        yield f"falta el Descuento del comprobante (suma de conceptos {total})"
    elif not _sum_matches(declared, total, doc):
        yield f"Descuento {declared}, suma de conceptos {total}"


def cfdi40112(doc: Document) -> Iterator[str]:
    if _too_many_decimals(doc, doc.attrs.get("Descuento")):
        yield f"Descuento {doc.attrs.get('Descuento')}"


def cfdi40113(doc: Document) -> Iterator[str]:
    if doc.moneda_decimales is None:
        yield f"Moneda {doc.moneda!r}"


def cfdi40114(doc: Document) -> Iterator[str]:
    raw = doc.attrs.get("TipoCambio")
    if doc.moneda == "MXN" and raw is not None and number(raw) != 1:
        yield f"TipoCambio {raw}"


def cfdi40115(doc: Document) -> Iterator[str]:
    if doc.moneda not in ("MXN", "XXX") and "TipoCambio" not in doc.attrs:
        yield f"Moneda {doc.moneda}"


def cfdi40116(doc: Document) -> Iterator[str]:
    if doc.moneda == "XXX" and "TipoCambio" in doc.attrs:
        yield ""


def cfdi40117(doc: Document) -> Iterator[str]:
    raw = doc.attrs.get("TipoCambio")
    if raw is not None and not _TIPO_CAMBIO.fullmatch(raw):
        yield f"TipoCambio {raw!r}"


def cfdi40119(doc: Document) -> Iterator[str]:
    get = doc.attrs.get
    subtotal, descuento = number(get("SubTotal")), number(get("Descuento")) or ZERO
    total = number(get("Total"))
    if subtotal is None or total is None:
        return
    summary = doc.impuestos or {}
    trasladados = number(summary.get("TotalImpuestosTrasladados")) or ZERO
    retenidos = number(summary.get("TotalImpuestosRetenidos")) or ZERO
    locales = doc.implocal or {}
    trasladados += number(locales.get("TotaldeTraslados")) or ZERO
    retenidos += number(locales.get("TotaldeRetenciones")) or ZERO
    expected = subtotal - descuento + trasladados - retenidos
    if not _sum_matches(get("Total"), expected, doc):
        yield f"Total {get('Total')}, esperado {expected}"


def cfdi40121(doc: Document) -> Iterator[str]:
    if doc.tipo not in cat.keys("c_TipoDeComprobante"):
        yield f"TipoDeComprobante {doc.tipo!r}"


def cfdi40122(doc: Document) -> Iterator[str]:
    if doc.attrs.get("Exportacion") == "02" and not doc.comercio_exterior:
        yield ""


def cfdi40123(doc: Document) -> Iterator[str]:
    exportacion = doc.attrs.get("Exportacion")
    if exportacion not in cat.keys("c_Exportacion"):
        yield f"Exportacion {exportacion!r}"


def cfdi40124(doc: Document) -> Iterator[str]:
    metodo = doc.attrs.get("MetodoPago")
    if _not_in(metodo, cat.keys("c_MetodoPago")):
        yield f"MetodoPago {metodo}"


def cfdi40125(doc: Document) -> Iterator[str]:
    if doc.tipo in ("T", "P") and "MetodoPago" in doc.attrs:
        yield f"TipoDeComprobante {doc.tipo}"


def cfdi40126(doc: Document) -> Iterator[str]:
    lugar = doc.attrs.get("LugarExpedicion") or ""
    if not catalogs.codigo_postal_existe(lugar):
        yield f"LugarExpedicion {lugar!r}"


# -- InformacionGlobal ---------------------------------------------------------------------------
def cfdi40130(doc: Document) -> Iterator[str]:
    receptor = doc.receptor
    if (
        doc.tipo == "I"
        and receptor.get("Rfc") == RFC_PUBLICO_EN_GENERAL
        and receptor.get("Nombre") == NOMBRE_PUBLICO_EN_GENERAL
        and doc.informacion_global is None
    ):
        yield ""


def _global(doc: Document, attr: str) -> str | None:
    return None if doc.informacion_global is None else doc.informacion_global.get(attr)


def cfdi40131(doc: Document) -> Iterator[str]:
    periodicidad = _global(doc, "Periodicidad")
    if _not_in(periodicidad, cat.keys("c_Periodicidad")):
        yield f"Periodicidad {periodicidad}"


def cfdi40132(doc: Document) -> Iterator[str]:
    if _global(doc, "Periodicidad") == "05" and doc.emisor.get("RegimenFiscal") != "621":
        yield f"Periodicidad 05 (bimestral) con RegimenFiscal {doc.emisor.get('RegimenFiscal')}"


def cfdi40133(doc: Document) -> Iterator[str]:
    meses = _global(doc, "Meses")
    if _not_in(meses, cat.keys("c_Meses")):
        yield f"Meses {meses}"


def cfdi40134(doc: Document) -> Iterator[str]:
    periodicidad, meses = _global(doc, "Periodicidad"), _global(doc, "Meses")
    if periodicidad not in (None, "05") and _not_in(meses, _MESES_MENSUALES):
        yield f"Periodicidad {periodicidad} con Meses {meses}"


def cfdi40135(doc: Document) -> Iterator[str]:
    meses = _global(doc, "Meses")
    if _global(doc, "Periodicidad") == "05" and _not_in(meses, _MESES_BIMESTRALES):
        yield f"Periodicidad 05 con Meses {meses}"


def cfdi40136(doc: Document) -> Iterator[str]:
    """The matrix of 2024-12-13 allows the current year or up to five previous ones; the current
    year is the one of Fecha (the Guía de llenado for the factura global measures it there)."""
    raw = _global(doc, "Año")
    if raw is None or doc.fecha is None:
        return
    year = int(raw) if raw.isdigit() else None
    if year is None or not doc.fecha.year - 5 <= year <= doc.fecha.year:
        yield f"Año {raw}, Fecha de {doc.fecha.year}"


def cfdi40137(doc: Document) -> Iterator[str]:
    for relacionados in doc.relacionados:
        tipo = relacionados.get("TipoRelacion")
        if tipo not in cat.keys("c_TipoRelacion"):
            yield f"TipoRelacion {tipo!r}"


# -- Emisor / Receptor ----------------------------------------------------------------------------
def _persona(rfc: str | None) -> str | None:
    return {12: "moral", 13: "fisica"}.get(len(rfc or ""))


def cfdi40140(doc: Document) -> Iterator[str]:
    regimen = doc.emisor.get("RegimenFiscal")
    if regimen not in catalogs.regimenes_fiscales():
        yield f"RegimenFiscal {regimen!r}"


def _regimen_fits(rfc: str | None, regimen: str | None) -> bool:
    row = catalogs.regimenes_fiscales().get(regimen or "")
    persona = _persona(rfc)
    if row is None or persona is None:
        return True  # the catalog rule, or the XSD's RFC pattern, reports it
    return row.fisica if persona == "fisica" else row.moral


def cfdi40141(doc: Document) -> Iterator[str]:
    rfc, regimen = doc.emisor.get("Rfc"), doc.emisor.get("RegimenFiscal")
    if not _regimen_fits(rfc, regimen):
        yield f"RegimenFiscal {regimen} con un RFC de {len(rfc or '')} caracteres"


def cfdi40146(doc: Document) -> Iterator[str]:
    rfc = doc.receptor.get("Rfc")
    if doc.receptor.get("Nombre") == NOMBRE_PUBLICO_EN_GENERAL and rfc != RFC_PUBLICO_EN_GENERAL:
        yield f"Nombre PUBLICO EN GENERAL con RFC {rfc}"


def cfdi40149(doc: Document) -> Iterator[str]:
    rfc, domicilio = doc.receptor.get("Rfc"), doc.receptor.get("DomicilioFiscalReceptor")
    lugar = doc.attrs.get("LugarExpedicion")
    if _generic(rfc) and domicilio != lugar:
        yield f"RFC {rfc}: DomicilioFiscalReceptor {domicilio}, LugarExpedicion {lugar}"


def cfdi40150(doc: Document) -> Iterator[str]:
    residencia = doc.receptor.get("ResidenciaFiscal")
    if _not_in(residencia, catalogs.paises()):
        yield f"ResidenciaFiscal {residencia}"


def cfdi40151(doc: Document) -> Iterator[str]:
    rfc = doc.receptor.get("Rfc")
    if "ResidenciaFiscal" in doc.receptor and rfc != RFC_EXTRANJERO:
        yield f"RFC {rfc}"


def cfdi40152(doc: Document) -> Iterator[str]:
    if doc.receptor.get("ResidenciaFiscal") == "MEX":
        yield ""


def cfdi40153(doc: Document) -> Iterator[str]:
    receptor = doc.receptor
    if (
        receptor.get("Rfc") == RFC_EXTRANJERO
        and (doc.comercio_exterior or "NumRegIdTrib" in receptor)
        and "ResidenciaFiscal" not in receptor
    ):
        yield ""


def cfdi40154(doc: Document) -> Iterator[str]:
    rfc = doc.receptor.get("Rfc")
    if "NumRegIdTrib" in doc.receptor and rfc != RFC_EXTRANJERO:
        yield f"RFC {rfc}"


def cfdi40155(doc: Document) -> Iterator[str]:
    receptor = doc.receptor
    if (
        receptor.get("Rfc") == RFC_EXTRANJERO
        and doc.comercio_exterior
        and "NumRegIdTrib" not in receptor
    ):
        yield "falta NumRegIdTrib con el complemento de comercio exterior"


def cfdi40156(doc: Document) -> Iterator[str]:
    registro = doc.receptor.get("NumRegIdTrib")
    pattern = FORMATO_REGISTRO_TRIBUTARIO.get(doc.receptor.get("ResidenciaFiscal") or "")
    if registro is not None and pattern is not None and not re.fullmatch(pattern, registro):
        yield f"NumRegIdTrib {registro!r} para {doc.receptor.get('ResidenciaFiscal')}: {pattern}"


def cfdi40157(doc: Document) -> Iterator[str]:
    regimen = doc.receptor.get("RegimenFiscalReceptor")
    if regimen not in catalogs.regimenes_fiscales():
        yield f"RegimenFiscalReceptor {regimen!r}"


def cfdi40158(doc: Document) -> Iterator[str]:
    rfc, regimen = doc.receptor.get("Rfc"), doc.receptor.get("RegimenFiscalReceptor")
    if not _generic(rfc) and not _regimen_fits(rfc, regimen):
        yield f"RegimenFiscalReceptor {regimen} con un RFC de {len(rfc or '')} caracteres"


def cfdi40159(doc: Document) -> Iterator[str]:
    rfc, regimen = doc.receptor.get("Rfc"), doc.receptor.get("RegimenFiscalReceptor")
    if _generic(rfc) and regimen != REGIMEN_SIN_OBLIGACIONES:
        yield f"RFC {rfc} con RegimenFiscalReceptor {regimen}"


def cfdi40160(doc: Document) -> Iterator[str]:
    uso = doc.receptor.get("UsoCFDI")
    if uso not in catalogs.usos_cfdi():
        yield f"UsoCFDI {uso!r}"


def cfdi40161(doc: Document) -> Iterator[str]:
    rfc = doc.receptor.get("Rfc")
    uso = catalogs.usos_cfdi().get(doc.receptor.get("UsoCFDI") or "")
    regimen = doc.receptor.get("RegimenFiscalReceptor") or ""
    persona = _persona(rfc)
    if uso is None or persona is None:
        return
    if not (uso.fisica if persona == "fisica" else uso.moral):
        yield f"UsoCFDI {uso.clave} no aplica a un RFC de {len(rfc or '')} caracteres"
    elif regimen in catalogs.regimenes_fiscales() and regimen not in uso.regimenes:
        yield f"UsoCFDI {uso.clave} no aplica al régimen {regimen}"


# -- Conceptos ------------------------------------------------------------------------------------
def cfdi40162(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        clave = c.attrs.get("ClaveProdServ") or ""
        if not cat.clave_prod_serv_existe(clave):
            yield f"concepto {c.n}: ClaveProdServ {clave!r}"


def cfdi40164(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        clave = c.attrs.get("ClaveProdServ")
        if clave in CLAVES_CON_IVA_TRASLADADO and not any(
            t.get("Impuesto") == "002" for t in c.traslados
        ):
            yield f"concepto {c.n}: ClaveProdServ {clave} requiere IVA trasladado"


def cfdi40165(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        clave = c.attrs.get("ClaveUnidad") or ""
        if not cat.clave_unidad_existe(clave):
            yield f"concepto {c.n}: ClaveUnidad {clave!r}"


def cfdi40166(doc: Document) -> Iterator[str]:
    if doc.tipo not in ("I", "E", "N"):
        return
    for c in doc.conceptos:
        valor = number(c.attrs.get("ValorUnitario"))
        if valor is not None and valor <= 0:
            yield f"concepto {c.n}: ValorUnitario {c.attrs.get('ValorUnitario')}"


def _importe_outside(attrs: Attrs) -> str | None:
    return _outside_product(attrs.get("Importe"), attrs.get("Cantidad"), attrs.get("ValorUnitario"))


def cfdi40167(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        problem = _importe_outside(c.attrs)
        if problem:
            yield f"concepto {c.n}: Importe {problem}"


def cfdi40168(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        descuento = c.attrs.get("Descuento")
        if descuento is not None and places(descuento) > places(c.attrs.get("Importe")):
            yield f"concepto {c.n}: Descuento {descuento}, Importe {c.attrs.get('Importe')}"


def cfdi40169(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        descuento, importe = number(c.attrs.get("Descuento")), number(c.attrs.get("Importe"))
        if descuento is not None and importe is not None and descuento > importe:
            yield f"concepto {c.n}: Descuento {descuento} > Importe {importe}"


def cfdi40170(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        objeto = c.attrs.get("ObjetoImp")
        if objeto not in cat.keys("c_ObjetoImp"):
            yield f"concepto {c.n}: ObjetoImp {objeto!r}"


def cfdi40171(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        if c.attrs.get("ObjetoImp") == "02" and not c.impuestos:
            yield f"concepto {c.n}"


def cfdi40172(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        if c.attrs.get("ObjetoImp") in ("01", "03", "04", "05") and c.impuestos:
            yield f"concepto {c.n}: ObjetoImp {c.attrs.get('ObjetoImp')}"


def cfdi40173(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        if c.impuestos and not c.traslados and not c.retenciones:
            yield f"concepto {c.n}"


def base_not_positive(kind: str) -> Callable[[Document], Iterator[str]]:
    """The check for a concepto's traslados or retenciones (`kind`): one rule each."""

    def check(doc: Document) -> Iterator[str]:
        for c, tax in _taxes(doc, kind):
            base = number(tax.get("Base"))
            if base is not None and base <= 0:
                yield f"concepto {c.n}: Base {tax.get('Base')}"

    return check


def impuesto_not_in_catalog(kind: str) -> Callable[[Document], Iterator[str]]:
    """The check for a concepto's traslados or retenciones (`kind`): one rule each."""

    def check(doc: Document) -> Iterator[str]:
        for c, tax in _taxes(doc, kind):
            if tax.get("Impuesto") not in cat.keys("c_Impuesto"):
                yield f"concepto {c.n}: Impuesto {tax.get('Impuesto')!r}"

    return check


def factor_not_in_catalog(kind: str) -> Callable[[Document], Iterator[str]]:
    """The check for a concepto's traslados or retenciones (`kind`): one rule each."""

    def check(doc: Document) -> Iterator[str]:
        for c, tax in _taxes(doc, kind):
            if tax.get("TipoFactor") not in TIPOS_FACTOR:
                yield f"concepto {c.n}: TipoFactor {tax.get('TipoFactor')!r}"

    return check


def tasa_not_in_catalog(kind: str) -> Callable[[Document], Iterator[str]]:
    """The check for a concepto's traslados or retenciones (`kind`): one rule each."""

    def check(doc: Document) -> Iterator[str]:
        for c, tax in _taxes(doc, kind):
            tasa = number(tax.get("TasaOCuota"))
            factor = tax.get("TipoFactor") or ""
            if tasa is None or factor == "Exento":
                continue
            impuesto = tax.get("Impuesto") or ""
            if not cat.tasa_o_cuota_valida(impuesto, factor, tasa, traslado=kind == "traslado"):
                yield f"concepto {c.n}: {impuesto} {factor} {tax.get('TasaOCuota')}"

    return check


def tax_importe_outside(kind: str) -> Callable[[Document], Iterator[str]]:
    """The check for a concepto's traslados or retenciones (`kind`): one rule each."""

    def check(doc: Document) -> Iterator[str]:
        for c, tax in _taxes(doc, kind):
            if tax.get("TipoFactor") == "Exento":
                continue
            problem = _outside_product(
                tax.get("Importe"), tax.get("Base"), tax.get("TasaOCuota"), b_exact=True
            )
            if problem:
                yield f"concepto {c.n}: Importe {problem}"

    return check


def cfdi40177(doc: Document) -> Iterator[str]:
    for c, tax in _taxes(doc, "traslado"):
        if tax.get("TipoFactor") == "Exento" and ("TasaOCuota" in tax or "Importe" in tax):
            yield f"concepto {c.n}"


def cfdi40178(doc: Document) -> Iterator[str]:
    for c, tax in _taxes(doc, "traslado"):
        if tax.get("TipoFactor") in ("Tasa", "Cuota") and (
            "TasaOCuota" not in tax or "Importe" not in tax
        ):
            yield f"concepto {c.n}: TipoFactor {tax.get('TipoFactor')}"


def cfdi40184(doc: Document) -> Iterator[str]:
    for c, tax in _taxes(doc, "retencion"):
        if tax.get("TipoFactor") == "Exento":
            yield f"concepto {c.n}"


def cfdi40188(doc: Document) -> Iterator[str]:
    propios = {doc.emisor.get("Rfc"), doc.receptor.get("Rfc")}
    for c in doc.conceptos:
        if c.terceros is not None and c.terceros.get("RfcACuentaTerceros") in propios:
            yield f"concepto {c.n}: RfcACuentaTerceros {c.terceros.get('RfcACuentaTerceros')}"


def cfdi40191(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        regimen = (c.terceros or {}).get("RegimenFiscalACuentaTerceros")
        if c.terceros is not None and regimen not in catalogs.regimenes_fiscales():
            yield f"concepto {c.n}: RegimenFiscalACuentaTerceros {regimen!r}"


def _pedimento_problem(numero: str) -> str | None:
    """The structure the Guía de llenado defines and the customs office in c_Aduana."""
    match = _PEDIMENTO.fullmatch(numero)
    if match is None:
        return f"NumeroPedimento {numero!r} no tiene la forma 'AA  AD  PPPP  NNNNNNN'"
    if match.group(2) not in ADUANAS:
        return f"NumeroPedimento {numero!r}: la aduana {match.group(2)} no está en c_Aduana"
    return None


def _pedimentos(c: Concepto, of_partes: bool) -> list[str]:
    return c.pedimentos_partes if of_partes else c.pedimentos


def pedimentos_valid(*, of_partes: bool) -> Callable[[Document], Iterator[str]]:
    """NumeroPedimento of the conceptos (or of their Partes) follows the pedimento rules."""
    where = ", parte" if of_partes else ""

    def check(doc: Document) -> Iterator[str]:
        for c in doc.conceptos:
            for numero in _pedimentos(c, of_partes):
                problem = _pedimento_problem(numero)
                if problem:
                    yield f"concepto {c.n}{where}: {problem}"

    return check


def pedimentos_without_comercio_exterior(*, of_partes: bool) -> Callable[[Document], Iterator[str]]:
    """No NumeroPedimento (of conceptos, or of Partes) with the Comercio Exterior complement."""
    where = ", parte" if of_partes else ""

    def check(doc: Document) -> Iterator[str]:
        if doc.comercio_exterior:
            for c in doc.conceptos:
                if _pedimentos(c, of_partes):
                    yield f"concepto {c.n}{where}"

    return check


def cfdi40196(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        for parte in c.partes:
            clave = parte.get("ClaveProdServ") or ""
            if not cat.clave_prod_serv_existe(clave):
                yield f"concepto {c.n}, parte: ClaveProdServ {clave!r}"


def cfdi40197(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        for parte in c.partes:
            valor = number(parte.get("ValorUnitario"))
            if valor is not None and valor <= 0:
                yield f"concepto {c.n}, parte: ValorUnitario {parte.get('ValorUnitario')}"


def cfdi40198(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        for parte in c.partes:
            problem = _importe_outside(parte)
            if problem:
                yield f"concepto {c.n}, parte: Importe {problem}"


# -- Impuestos (resumen del comprobante) -----------------------------------------------------------
def _summary(doc: Document, attr: str) -> str | None:
    return None if doc.impuestos is None else doc.impuestos.get(attr)


def cfdi40201(doc: Document) -> Iterator[str]:
    if doc.tipo in ("T", "P") and doc.impuestos is not None:
        yield f"TipoDeComprobante {doc.tipo}"


def summary_total_decimals(attr: str) -> Callable[[Document], Iterator[str]]:
    """TotalImpuestosRetenidos / TotalImpuestosTrasladados with the currency's decimals."""

    def check(doc: Document) -> Iterator[str]:
        raw = _summary(doc, attr)
        if _too_many_decimals(doc, raw):
            yield f"{attr} {raw}"

    return check


def summary_total_matches(attr: str, kind: str) -> Callable[[Document], Iterator[str]]:
    """A summary total equals the sum of the summary's Retencion (or Traslado) Importe."""

    def check(doc: Document) -> Iterator[str]:
        raw = _summary(doc, attr)
        rows = doc.retenciones if kind == "retencion" else doc.traslados
        total = sum((number(row.get("Importe")) or ZERO for row in rows), ZERO)
        if raw is not None and not _sum_matches(raw, total, doc):
            yield f"{attr} {raw}, suma {total}"

    return check


def cfdi40206(doc: Document) -> Iterator[str]:
    if doc.retenciones_node and _summary(doc, "TotalImpuestosRetenidos") is None:
        yield ""


def cfdi40207(doc: Document) -> Iterator[str]:
    for retencion in doc.retenciones:
        if retencion.get("Impuesto") not in cat.keys("c_Impuesto"):
            yield f"Impuesto {retencion.get('Impuesto')!r}"


def cfdi40208(doc: Document) -> Iterator[str]:
    seen: set[str | None] = set()
    for retencion in doc.retenciones:
        impuesto = retencion.get("Impuesto")
        if impuesto in seen:
            yield f"Impuesto {impuesto} repetido"
        seen.add(impuesto)


def cfdi40209(doc: Document) -> Iterator[str]:
    with_amount = any("Importe" in r for r in doc.retenciones)
    if with_amount and _summary(doc, "TotalImpuestosRetenidos") is None:
        yield ""


def cfdi40210(doc: Document) -> Iterator[str]:
    for retencion in doc.retenciones:
        if _too_many_decimals(doc, retencion.get("Importe")):
            yield f"Retención {retencion.get('Impuesto')}: Importe {retencion.get('Importe')}"


def cfdi40211(doc: Document) -> Iterator[str]:
    by_impuesto: dict[str | None, Decimal] = defaultdict(Decimal)
    for _, tax in _taxes(doc, "retencion"):
        by_impuesto[tax.get("Impuesto")] += number(tax.get("Importe")) or ZERO
    declared: dict[str | None, list[str]] = defaultdict(list)  # CFDI40208 reports repeats
    for retencion in doc.retenciones:
        declared[retencion.get("Impuesto")].append(retencion.get("Importe") or "0")
    for impuesto in sorted(set(by_impuesto) | set(declared), key=str):
        total = by_impuesto.get(impuesto, ZERO)
        if impuesto not in declared:
            yield f"falta la retención {impuesto} del resumen (suma de conceptos {total})"
            continue
        raws = declared[impuesto]
        if not _sum_matches(_sum_raw(raws), total, doc):
            yield f"Retención {impuesto}: Importe {' + '.join(raws)}, suma de conceptos {total}"


def _sum_raw(raws: list[str]) -> str:
    """Several written amounts as one, keeping the largest number of decimals written."""
    total = sum((number(raw) or ZERO for raw in raws), ZERO)
    decimals = max(places(raw) for raw in raws)
    return str(total.quantize(_unit(decimals)))


def cfdi40212(doc: Document) -> Iterator[str]:
    taxed = any(t.get("TipoFactor") != "Exento" for _, t in _taxes(doc, "traslado"))
    if taxed and _summary(doc, "TotalImpuestosTrasladados") is None:
        yield ""


def cfdi40213(doc: Document) -> Iterator[str]:
    for traslado in doc.traslados:
        if traslado.get("TipoFactor") == "Exento" and (
            "TasaOCuota" in traslado or "Importe" in traslado
        ):
            yield f"Traslado {traslado.get('Impuesto')} Exento"


def cfdi40214(doc: Document) -> Iterator[str]:
    for traslado in doc.traslados:
        if _too_many_decimals(doc, traslado.get("Base")):
            yield f"Traslado {traslado.get('Impuesto')}: Base {traslado.get('Base')}"


_GroupKey = tuple[str | None, str | None, Decimal | None]


def _key(tax: Attrs) -> _GroupKey:
    """(Impuesto, TipoFactor, TasaOCuota); an Exento traslado has no rate."""
    factor = tax.get("TipoFactor")
    tasa = None if factor == "Exento" else number(tax.get("TasaOCuota"))
    return tax.get("Impuesto"), factor, tasa


def _concept_groups(doc: Document) -> dict[_GroupKey, list[Decimal]]:
    """Concept traslados grouped by (Impuesto, TipoFactor, TasaOCuota): [sum Base, sum Importe].
    Three rules read it: computed once per document."""
    cached = doc.memo.get("traslado_groups")
    if cached is not None:
        return cached
    groups: dict[_GroupKey, list[Decimal]] = {}
    for _, tax in _taxes(doc, "traslado"):
        sums = groups.setdefault(_key(tax), [ZERO, ZERO])
        sums[0] += number(tax.get("Base")) or ZERO
        sums[1] += number(tax.get("Importe")) or ZERO
    doc.memo["traslado_groups"] = groups
    return groups


def _label(key: _GroupKey) -> str:
    impuesto, factor, tasa = key
    return " ".join(str(part) for part in (impuesto, factor, tasa) if part is not None)


def _declared_groups(doc: Document, attr: str) -> dict[_GroupKey, list[str]]:
    """Summary traslados' `attr` per group (CFDI40218 reports a group written twice)."""
    declared: dict[_GroupKey, list[str]] = defaultdict(list)
    for traslado in doc.traslados:
        raw = traslado.get(attr)
        if raw is not None:
            declared[_key(traslado)].append(raw)
    return declared


def _summary_bases(doc: Document, *, exento: bool) -> Iterator[str]:
    """Each summary Traslado group's Base (the Exento ones or the others) against the sum of its
    concept group, and concept groups missing from the summary."""
    groups = _concept_groups(doc)
    declared = _declared_groups(doc, "Base")
    for key in sorted(set(groups) | set(declared), key=str):
        if (key[1] == "Exento") != exento:
            continue
        total = groups.get(key, [ZERO, ZERO])[0]
        raws = declared.get(key)
        if raws is None:
            yield f"falta el traslado {_label(key)} del resumen (Base de conceptos {total})"
        elif not _sum_matches(_sum_raw(raws), total, doc):
            yield f"Traslado {_label(key)}: Base {' + '.join(raws)}, conceptos {total}"


def cfdi40215(doc: Document) -> Iterator[str]:
    return _summary_bases(doc, exento=False)


def cfdi40216(doc: Document) -> Iterator[str]:
    return _summary_bases(doc, exento=True)


def cfdi40217(doc: Document) -> Iterator[str]:
    for traslado in doc.traslados:
        if traslado.get("Impuesto") not in cat.keys("c_Impuesto"):
            yield f"Impuesto {traslado.get('Impuesto')!r}"


def cfdi40218(doc: Document) -> Iterator[str]:
    seen: set[_GroupKey] = set()
    for traslado in doc.traslados:
        key = _key(traslado)
        if key in seen:
            yield f"Traslado {_label(key)} repetido"
        seen.add(key)


def cfdi40219(doc: Document) -> Iterator[str]:
    for traslado in doc.traslados:
        tasa, factor = number(traslado.get("TasaOCuota")), traslado.get("TipoFactor") or ""
        impuesto = traslado.get("Impuesto") or ""
        if factor == "Exento":
            continue  # a rate on an exempt row is CFDI40213's
        if tasa is not None and not cat.tasa_o_cuota_valida(impuesto, factor, tasa, traslado=True):
            yield f"Traslado {impuesto} {factor} {traslado.get('TasaOCuota')}"


def cfdi40220(doc: Document) -> Iterator[str]:
    for traslado in doc.traslados:
        if _too_many_decimals(doc, traslado.get("Importe")):
            yield f"Traslado {traslado.get('Impuesto')}: Importe {traslado.get('Importe')}"


def cfdi40221(doc: Document) -> Iterator[str]:
    """Importe per group; a group missing from the summary is reported once, by CFDI40215."""
    groups = _concept_groups(doc)
    for key, raws in _declared_groups(doc, "Importe").items():
        total = groups.get(key, [ZERO, ZERO])[1]
        if not _sum_matches(_sum_raw(raws), total, doc):
            yield f"Traslado {_label(key)}: Importe {' + '.join(raws)}, conceptos {total}"


def cfdi40222(doc: Document) -> Iterator[str]:
    if doc.attrs.get("Exportacion") in ("01", "03") and doc.comercio_exterior:
        yield f"Exportacion {doc.attrs.get('Exportacion')}"


def cfdi140223(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        terceros = c.terceros or {}
        if (
            terceros.get("RfcACuentaTerceros") == RFC_TERCERO_EXTRANJERO
            and terceros.get("RegimenFiscalACuentaTerceros") != REGIMEN_SIN_OBLIGACIONES
        ):
            yield f"concepto {c.n}: {terceros.get('RegimenFiscalACuentaTerceros')}"


def _concept_tax_impuestos(c: Concepto) -> set[str | None]:
    return {t.get("Impuesto") for t in (*c.traslados, *c.retenciones)}


def cfdi140226(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        if c.attrs.get("ObjetoImp") in ("06", "08") and _concept_tax_impuestos(c) & {"002", "003"}:
            yield f"concepto {c.n}: ObjetoImp {c.attrs.get('ObjetoImp')}"


def cfdi140227(doc: Document) -> Iterator[str]:
    for c in doc.conceptos:
        if c.attrs.get("ObjetoImp") != "07":
            continue
        if "002" in _concept_tax_impuestos(c):
            yield f"concepto {c.n}: IVA con ObjetoImp 07"
        if not any(t.get("Impuesto") == "003" for t in c.traslados):
            yield f"concepto {c.n}: falta el traslado de IEPS con ObjetoImp 07"


# -- SAT's stamping rules outside the matrix (RMF; classic PAC codes) ------------------------------
def certificado_del_emisor(doc: Document) -> Iterator[str]:
    certificate = doc.certificate
    if certificate is not None and certificate.rfc != doc.emisor.get("Rfc"):
        yield "el RFC del certificado es distinto del RFC del emisor"


def vigencia_del_certificado(doc: Document) -> Iterator[str]:
    certificate, fecha = doc.certificate, doc.fecha_aware
    if certificate is None or fecha is None:
        return
    if not certificate.not_before <= fecha <= certificate.not_after:
        yield (
            f"Fecha {doc.fecha}, certificado vigente del {certificate.not_before:%Y-%m-%d} "
            f"al {certificate.not_after:%Y-%m-%d}"
        )


def plazo_de_certificacion(clock: ClockReading) -> Iterator[str]:
    """The one rule that depends on the stamping clock (it is kept out of the per-document memo
    of `validate_document`)."""
    fecha = clock.fecha
    if fecha is None:
        return
    if clock.now - fecha > STAMP_WINDOW:
        yield "el CFDI tiene más de 72 horas de emitido"
    elif fecha - clock.now > clock.future_tolerance:
        yield "la Fecha es posterior a la hora actual del lugar de expedición"
