"""The sandbox PAC's checks beyond SAT's validation matrix, run after the matrix
(`postventa.cfdi.validation`, which holds every rule decidable offline, each with its code).

What is left here is what a real PAC refuses that the offline table cannot decide on its own:

* `emisor_nombre`: a stand-in for the register check CFDI40139 (the Nombre must be the one SAT's
  register holds for the RFC). We have no register; but the register holds a company's name
  without its régimen societario, so a Nombre that carries one cannot match.
* `informacion_global_receptor`: InformacionGlobal is the node of the global invoice to
  PUBLICO EN GENERAL (Guía de llenado del CFDI global, nodo InformacionGlobal: "la información
  relacionada con el comprobante global de operaciones con el público en general"). The matrix's
  CFDI40130 only demands the node for that receptor; a node sent with a named buyer has no
  matrix code, so it answers with a descriptive one.
* `border_vat`: IVA 8 % only where the border stimulus applies (docs/decisions/0007).

Each check is a function (comprobante element, context) -> violations; SandboxPac runs a list
of them (DEFAULT_RULES, or its `rules=`) after the matrix, and answers with the first
violation of both, listing all of them in the error's details. A matrix code used here carries
SAT's meaning, field and message (`validation.violation`); anything else has a descriptive code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from postventa.cfdi.issuer import ProductKeys, border_vat_refusal
from postventa.cfdi.names import NOMBRE_PUBLICO_EN_GENERAL, normalize_nombre
from postventa.cfdi.rfc import RFC_GENERICO_NACIONAL, TipoPersona
from postventa.cfdi.rfc import tipo_persona as persona_of
from postventa.cfdi.validation import Violation, violation

NS = "{http://www.sat.gob.mx/cfd/4}"


@dataclass(frozen=True)
class RuleContext:
    now: datetime  # the PAC's clock (aware)
    fecha: datetime  # the CFDI's Fecha (naive, local at LugarExpedicion)


class RuleCheck(Protocol):
    def __call__(self, comprobante: Any, context: RuleContext) -> Iterable[Violation]: ...


def run_rules(
    rules: Sequence[RuleCheck], comprobante: Any, context: RuleContext
) -> list[Violation]:
    return [found for rule in rules for found in rule(comprobante, context)]


def emisor_nombre(comprobante: Any, context: RuleContext) -> Iterator[Violation]:
    """CFDI40139 as far as it can be told without the register: a persona moral's Nombre with
    its régimen societario ("SA DE CV"...) is not the name SAT's register holds."""
    node = comprobante.find(f"{NS}Emisor")
    nombre = node.get("Nombre", "")
    tipo = persona_of(node.get("Rfc", ""))
    if tipo is TipoPersona.MORAL and normalize_nombre(nombre, tipo) != normalize_nombre(nombre):
        yield violation(
            "CFDI40139",
            f"«{nombre}» lleva el régimen societario; el registro del SAT guarda el nombre sin él",
        )


def informacion_global_receptor(comprobante: Any, context: RuleContext) -> Iterator[Violation]:
    """InformacionGlobal only in a global invoice: receptor XAXX010101000 / PUBLICO EN GENERAL."""
    if comprobante.find(f"{NS}InformacionGlobal") is None:
        return
    receptor = comprobante.find(f"{NS}Receptor")
    rfc, nombre = receptor.get("Rfc", ""), receptor.get("Nombre", "")
    if rfc != RFC_GENERICO_NACIONAL or nombre != NOMBRE_PUBLICO_EN_GENERAL:
        yield Violation(
            "informacion_global_sin_publico_en_general",
            "InformacionGlobal",
            "El nodo InformacionGlobal solo se registra en la factura global: receptor con Rfc "
            f'"XAXX010101000" y Nombre "PUBLICO EN GENERAL" (se recibió {rfc}).',
            f"Rfc {rfc}",
        )


def border_vat(comprobante: Any, context: RuleContext) -> Iterator[Violation]:
    """IVA 8 % (estímulo de la región fronteriza) only where c_CodigoPostal marks the
    LugarExpedicion and c_ClaveProdServ allows the product; the matrix has no code for it, so
    the answer carries a descriptive one."""
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
            yield Violation(
                "iva_fronterizo",
                "Concepto.Traslado.TasaOCuota",
                f"Concepto {n}: {refusal}",
                f"concepto {n}",
            )


DEFAULT_RULES: tuple[RuleCheck, ...] = (emisor_nombre, informacion_global_receptor, border_vat)
