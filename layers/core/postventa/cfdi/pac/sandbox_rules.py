"""Rule checks the sandbox PAC runs on a sealed, XSD-valid CFDI, so that it rejects what a real PAC
rejects. Each check is a function (comprobante element, context) -> violations; SandboxPac runs a
list of them (DEFAULT_RULES) and answers with the first violation's code, listing all of them in
the error's details. SAT's full validation matrix will arrive as another list of checks with the
same signature and plug in beside these.

Codes are those of SAT's CFDI 4.0 validation matrix as PACs answer them (docs/decisions/
0007-fiscal-rules.md says where each came from); a rule the matrix has no code for here carries a
descriptive code instead of an invented number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from postventa.cfdi import catalogs
from postventa.cfdi.issuer import ProductKeys, border_vat_refusal
from postventa.cfdi.names import NOMBRE_PUBLICO_EN_GENERAL, normalize_nombre, sin_acentos
from postventa.cfdi.rfc import RFC_GENERICO_EXTRANJERO, RFC_GENERICO_NACIONAL, TipoPersona
from postventa.cfdi.rfc import tipo_persona as persona_of

NS = "{http://www.sat.gob.mx/cfd/4}"
REGIMEN_RIF = "621"
ANO_YEARS_BACK = 5


@dataclass(frozen=True)
class RuleViolation:
    code: str  # CFDI40xxx where the matrix has one
    message: str  # Spanish, as the seller reads it


@dataclass(frozen=True)
class RuleContext:
    now: datetime  # the PAC's clock (aware)
    fecha: datetime  # the CFDI's Fecha (naive, local at LugarExpedicion)


class RuleCheck(Protocol):
    def __call__(self, comprobante: Any, context: RuleContext) -> Iterable[RuleViolation]: ...


def run_rules(
    rules: Sequence[RuleCheck], comprobante: Any, context: RuleContext
) -> list[RuleViolation]:
    return [violation for rule in rules for violation in rule(comprobante, context)]


def arithmetic(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """SAT's arithmetic (importes, bases, taxes, totals): postventa.cfdi.totals.audit_amounts."""
    from postventa.cfdi.totals import audit_amounts

    for problem in audit_amounts(comprobante):
        code, _, text = problem.partition(":")
        yield RuleViolation(code, f"Importes inconsistentes: {text.strip()}")


def emisor(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """CFDI40139: SAT's register holds a company's name without its régimen societario, so a
    Nombre that carries one cannot match; CFDI40141: RegimenFiscal for the RFC's persona type."""
    node = comprobante.find(f"{NS}Emisor")
    rfc, nombre, regimen = node.get("Rfc", ""), node.get("Nombre", ""), node.get("RegimenFiscal")
    tipo = persona_of(rfc)
    if tipo is TipoPersona.MORAL and normalize_nombre(nombre, tipo) != normalize_nombre(nombre):
        yield RuleViolation(
            "CFDI40139",
            "El campo Nombre del emisor debe pertenecer al nombre asociado al RFC: se registra "
            "sin el régimen societario.",
        )
    row = catalogs.regimenes_fiscales().get(regimen or "")
    if row is None:
        yield RuleViolation(
            "CFDI40140", "El campo RegimenFiscal no contiene un valor del catálogo."
        )
    elif tipo is not None and not (row.fisica if tipo is TipoPersona.FISICA else row.moral):
        yield RuleViolation(
            "CFDI40141",
            "La clave del campo RegimenFiscal debe corresponder con el tipo de persona "
            "(física o moral).",
        )


def generic_receptor(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """Público en general: an Ingreso to XAXX010101000 / PUBLICO EN GENERAL carries
    InformacionGlobal and InformacionGlobal goes only to that receptor (CFDI40130); the name
    PUBLICO EN GENERAL belongs to XAXX010101000 only (CFDI40146); a generic RFC's
    DomicilioFiscalReceptor is the LugarExpedicion (CFDI40149)."""
    receptor = comprobante.find(f"{NS}Receptor")
    rfc, nombre = receptor.get("Rfc", ""), receptor.get("Nombre", "")
    publico = rfc == RFC_GENERICO_NACIONAL and nombre == NOMBRE_PUBLICO_EN_GENERAL
    global_node = comprobante.find(f"{NS}InformacionGlobal")
    if global_node is not None and not publico:
        yield RuleViolation(
            "CFDI40130",
            'Con InformacionGlobal el Rfc del receptor debe ser "XAXX010101000" y su Nombre '
            '"PUBLICO EN GENERAL".',
        )
    if global_node is None and publico and comprobante.get("TipoDeComprobante") == "I":
        yield RuleViolation(
            "CFDI40130",
            'Un CFDI de ingreso a "XAXX010101000" y "PUBLICO EN GENERAL" debe llevar el nodo '
            "InformacionGlobal (factura global).",
        )
    if rfc != RFC_GENERICO_NACIONAL and sin_acentos(nombre) == NOMBRE_PUBLICO_EN_GENERAL:
        yield RuleViolation(
            "CFDI40146",
            'Con el Nombre "PUBLICO EN GENERAL" el Rfc del receptor debe ser "XAXX010101000".',
        )
    generic = rfc in (RFC_GENERICO_NACIONAL, RFC_GENERICO_EXTRANJERO)
    if generic and receptor.get("DomicilioFiscalReceptor") != comprobante.get("LugarExpedicion"):
        yield RuleViolation(
            "CFDI40149",
            "Con un RFC genérico, el campo DomicilioFiscalReceptor debe ser igual al "
            "LugarExpedicion.",
        )


def foreign_receptor(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """ResidenciaFiscal and NumRegIdTrib: only for XEXX010101000 (CFDI40151, CFDI40154), never
    MEX (CFDI40152), NumRegIdTrib with its country (CFDI40153) in the country's c_Pais format
    (CFDI40156)."""
    receptor = comprobante.find(f"{NS}Receptor")
    rfc = receptor.get("Rfc", "")
    residencia = receptor.get("ResidenciaFiscal")
    registro = receptor.get("NumRegIdTrib")
    foreign = rfc == RFC_GENERICO_EXTRANJERO
    if residencia is not None and not foreign:
        yield RuleViolation(
            "CFDI40151",
            "El campo ResidenciaFiscal no debe existir con un RFC de México o el genérico "
            "nacional.",
        )
    if residencia == "MEX":
        yield RuleViolation("CFDI40152", 'El campo ResidenciaFiscal no puede ser "MEX".')
    if registro is None:
        return
    if not foreign:
        yield RuleViolation(
            "CFDI40154",
            "El campo NumRegIdTrib solo se registra con el RFC genérico extranjero.",
        )
    if residencia is None:
        yield RuleViolation(
            "CFDI40153", "Con NumRegIdTrib debe registrarse el campo ResidenciaFiscal."
        )
        return
    formato = catalogs.formato_registro_tributario(residencia)
    if formato is not None and not re.fullmatch(formato, registro):
        yield RuleViolation(
            "CFDI40156",
            f"El campo NumRegIdTrib no cumple con el patrón publicado en c_Pais para {residencia}.",
        )


def informacion_global(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """Periodicidad 05 only for an emisor in régimen 621 (CFDI40132); Meses 01-12 unless
    Periodicidad is 05, then 13-18 (CFDI40134, CFDI40135); Año the year of Fecha or up to five
    years before (CFDI40136, matrix of December 2024)."""
    node = comprobante.find(f"{NS}InformacionGlobal")
    if node is None:
        return
    periodicidad, meses, ano = node.get("Periodicidad"), node.get("Meses", ""), node.get("Año")
    emisor_node = comprobante.find(f"{NS}Emisor")
    if periodicidad == "05" and emisor_node.get("RegimenFiscal") != REGIMEN_RIF:
        yield RuleViolation("CFDI40132", "El campo RegimenFiscal, no contiene el valor 621.")
    bimestral = meses in {f"{m}" for m in range(13, 19)}
    if periodicidad == "05" and not bimestral:
        yield RuleViolation(
            "CFDI40135", 'El campo Meses no contiene alguno de los valores "13" a "18".'
        )
    if periodicidad != "05" and bimestral:
        yield RuleViolation(
            "CFDI40134", 'El campo Meses no contiene alguno de los valores "01" a "12".'
        )
    year = context.fecha.year
    if ano is None or not ano.isdigit() or not year - ANO_YEARS_BACK <= int(ano) <= year:
        yield RuleViolation(
            "CFDI40136",
            "El campo Año no es igual al año en curso o no contiene un valor de hasta "
            f"{ANO_YEARS_BACK} ejercicios anteriores.",
        )


def border_vat(comprobante: Any, context: RuleContext) -> Iterator[RuleViolation]:
    """IVA 8 % (estímulo de la región fronteriza) only where c_CodigoPostal marks the
    LugarExpedicion and c_ClaveProdServ allows the product; no matrix code is quoted for it
    here, so the answer carries a descriptive one."""
    lugar = comprobante.get("LugarExpedicion", "")
    conceptos = comprobante.find(f"{NS}Conceptos")
    for n, concepto in enumerate(conceptos.iterchildren(f"{NS}Concepto"), start=1):
        border_rates = [
            traslado
            for traslado in concepto.iter(f"{NS}Traslado")
            if traslado.get("Impuesto") == "002" and traslado.get("TasaOCuota") == "0.080000"
        ]
        if not border_rates:
            continue
        keys = ProductKeys(
            clave_prod_serv=concepto.get("ClaveProdServ"),
            clave_unidad=concepto.get("ClaveUnidad"),
        )
        refusal = border_vat_refusal(lugar, keys)
        if refusal is not None:
            yield RuleViolation("iva_fronterizo", f"Concepto {n}: {refusal}")


DEFAULT_RULES: tuple[RuleCheck, ...] = (
    arithmetic,
    emisor,
    generic_receptor,
    foreign_receptor,
    informacion_global,
    border_vat,
)
