"""One test per offline rule of SAT's CFDI 4.0 matrix, from the rule's own wording: a valid
document passes (test_engine_documents) and the same document with one field changed the way the
rule forbids, then re-sealed, fails with exactly that code.

Where SAT's matrix states the same condition twice, or the rule's condition necessarily breaks a
second rule (a concepto's tax outside c_Impuesto also has no rate in c_TasaOCuota), `also` names
the other codes and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from postventa.cfdi import certs
from postventa.cfdi.seal import load_signer
from postventa.cfdi.validation import CHECKED_RULES, RULES_BY_CODE, validate_document

Mutation = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Case:
    code: str
    base: str
    mutate: Mutation
    also: frozenset[str] = field(default_factory=frozenset)
    why_also: str = ""
    reseal: bool = True
    validate: dict[str, Any] = field(default_factory=dict)
    name: str = ""


def attr(path: str | None, **values: str | None) -> Mutation:
    """Set (or with None, remove) attributes of the root or of the node at `path`."""

    def mutate(root: Any, kit: Any) -> None:
        node = root if path is None else kit.el(root, path)
        for key, value in values.items():
            key = "Año" if key == "Ano" else key
            if value is None:
                node.attrib.pop(key, None)
            else:
                node.set(key, value)

    return mutate


def concepto_attr(n: int, recompute: bool = True, **values: str) -> Mutation:
    def mutate(root: Any, kit: Any) -> None:
        concepto = kit.conceptos(root)[n - 1]
        for key, value in values.items():
            concepto.set(key, value)
        if recompute:
            kit.recompute(root)

    return mutate


def tax_attr(n: int, kind: str, recompute: bool = True, index: int = 0, **values: str | None):
    """Change the index-th Traslado/Retencion of concepto n, then make the summary agree."""

    def mutate(root: Any, kit: Any) -> None:
        taxes = list(kit.conceptos(root)[n - 1].iter(kit.NS + kind))
        for key, value in values.items():
            if value is None:
                taxes[index].attrib.pop(key, None)
            else:
                taxes[index].set(key, value)
        if recompute:
            kit.recompute(root)

    return mutate


def bump(path: str | None, name: str, delta: str, *also: tuple[str | None, str]) -> Mutation:
    """Add `delta` to an amount (and to others, to keep the document otherwise consistent)."""

    def mutate(root: Any, kit: Any) -> None:
        for node_path, attr_name in ((path, name), *also):
            node = root if node_path is None else kit.el(root, node_path)
            value = Decimal(node.get(attr_name)) + Decimal(delta)
            node.set(attr_name, kit.money(value))

    return mutate


def rewrite(path: str | None, name: str, decimals: int) -> Mutation:
    """Same amount, written with more decimals."""

    def mutate(root: Any, kit: Any) -> None:
        node = root if path is None else kit.el(root, path)
        node.set(name, str(Decimal(node.get(name)).quantize(Decimal(1).scaleb(-decimals))))

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(root: Any, kit: Any) -> None:
        for mutation in mutations:
            mutation(root, kit)

    return mutate


def recompute(root: Any, kit: Any) -> None:
    kit.recompute(root)


def add_relacionado(tipo: str) -> Mutation:
    def mutate(root: Any, kit: Any) -> None:
        relacionados = kit.sub(root, "CfdiRelacionados", 0, TipoRelacion=tipo)
        kit.sub(relacionados, "CfdiRelacionado", UUID="6F0D3A6E-0C43-4E1D-9B0A-1C2D3E4F5A6B")

    return mutate


def free_concepto(root: Any, kit: Any) -> None:
    """A gift line: ValorUnitario 0, Importe 0, no taxes."""
    kit.sub(
        kit.el(root, "Conceptos"),
        "Concepto",
        ClaveProdServ="43211503",
        Cantidad="1",
        ClaveUnidad="H87",
        Descripcion="Regalo",
        ValorUnitario="0",
        Importe="0.00",
        ObjetoImp="01",
    )


def empty_impuestos(n: int | None) -> Mutation:
    def mutate(root: Any, kit: Any) -> None:
        if n is None:
            kit.el(root, "Conceptos").addnext(root.makeelement(kit.NS + "Impuestos"))
        else:
            kit.sub(kit.conceptos(root)[n - 1], "Impuestos")

    return mutate


def comercio_exterior(root: Any, kit: Any) -> None:
    kit.add_comercio_exterior(root)


def duplicate_summary(kind: str) -> Mutation:
    """Write one summary row as two halves of the same impuesto (and rate)."""

    def mutate(root: Any, kit: Any) -> None:
        row = next(root.find(kit.NS + "Impuestos").iter(kit.NS + kind))
        twin = root.makeelement(row.tag, dict(row.attrib))
        for name in ("Base", "Importe"):
            if row.get(name) is not None:
                half = kit.money(Decimal(row.get(name)) / 2)
                row.set(name, half)
                twin.set(name, kit.money(Decimal(twin.get(name)) - Decimal(half)))
        row.addnext(twin)

    return mutate


def resign_with_future_csd(root: Any, kit: Any) -> bytes:
    """Sealed with a CSD whose validity starts two days after Fecha."""
    csd = certs.generate_test_csd(
        "EKU9003173C9", "ESCUELA KEMPER URGATE", valid_from=kit.NOW + timedelta(days=3)
    )
    signer = load_signer(csd.certificate, csd.key, csd.password)
    root.set("NoCertificado", csd.no_certificado)
    root.set("Certificado", __import__("base64").b64encode(csd.certificate).decode())
    return bytes(kit.seal(root, signer))


def fecha_in_wrong_zone(root: Any, kit: Any) -> None:
    """Tijuana (CP 22000) seller whose Fecha was computed with satcfdi's zone for 'Tiempo del
    Noroeste' (America/Matamoros): two hours ahead of the local time."""
    root.set("LugarExpedicion", "22000")
    wrong = kit.NOW.astimezone(ZoneInfo("America/Matamoros")).replace(tzinfo=None)
    root.set("Fecha", wrong.isoformat(timespec="seconds"))


TRAS = "Impuestos/Traslados/Traslado"
RET = "Impuestos/Retenciones/Retencion"
C1_TERCEROS = "Conceptos/Concepto/ACuentaTerceros"
C1_PARTE = "Conceptos/Concepto/Parte"
SUMMARY_RULE = "the summary mirrors the conceptos, so the same value reaches the summary rule"

CASES = [
    Case("CFDI40101", "ingreso", attr(None, Fecha="2026-02-30T10:00:00")),
    Case("CFDI40102", "ingreso", attr(None, Folio="999"), reseal=False),
    Case("CFDI40103", "traslado", attr(None, FormaPago="01")),
    Case("CFDI40104", "ingreso", attr(None, FormaPago="98")),
    Case("CFDI40105", "ingreso", attr(None, MetodoPago="PPD")),
    Case("CFDI40106", "ingreso", attr(None, NoCertificado="30001000000500003416")),
    Case("CFDI40107", "ingreso", rewrite(None, "SubTotal", 3)),
    Case("CFDI40108", "ingreso", bump(None, "SubTotal", "1", (None, "Total"))),
    Case("CFDI40109", "traslado", attr(None, SubTotal="1.00", Total="1.00")),
    Case(
        "CFDI40110",
        "ingreso",
        chain(attr(None, Descuento="20000.00"), attr(None, Total="0")),
        also=frozenset({"CFDI40111", "CFDI40119"}),
        why_also="no Descuento above SubTotal can equal the conceptos' discounts (each at most "
        "its Importe), nor give a positive Total",
    ),
    Case(
        "CFDI40111", "ingreso", chain(bump(None, "Descuento", "0.01"), bump(None, "Total", "-0.01"))
    ),
    Case("CFDI40111", "traslado", attr(None, Descuento="0.00"), name="traslado-con-descuento"),
    Case("CFDI40112", "ingreso", rewrite(None, "Descuento", 3)),
    Case("CFDI40113", "usd", attr(None, Moneda="ZZZ")),
    Case("CFDI40114", "ingreso", attr(None, TipoCambio="17.50")),
    Case("CFDI40115", "usd", attr(None, TipoCambio=None)),
    Case("CFDI40116", "traslado", attr(None, Moneda="XXX", TipoCambio="1")),
    Case("CFDI40117", "usd", attr(None, TipoCambio="17.2345678")),
    Case("CFDI40119", "ingreso", bump(None, "Total", "0.01")),
    Case("CFDI40121", "usd", attr(None, TipoDeComprobante="X")),
    Case("CFDI40122", "ingreso", attr(None, Exportacion="02")),
    Case("CFDI40123", "ingreso", attr(None, Exportacion="05")),
    Case("CFDI40124", "ingreso", attr(None, MetodoPago="PIP")),
    Case("CFDI40125", "traslado", attr(None, MetodoPago="PUE")),
    Case("CFDI40126", "ingreso", attr(None, LugarExpedicion="00001")),
    Case("CFDI40130", "global", lambda root, kit: root.remove(kit.el(root, "InformacionGlobal"))),
    Case("CFDI40131", "global", attr("InformacionGlobal", Periodicidad="06")),
    Case("CFDI40132", "global", attr("InformacionGlobal", Periodicidad="05", Meses="13")),
    Case(
        "CFDI40133",
        "global",
        attr("InformacionGlobal", Meses="19"),
        also=frozenset({"CFDI40134"}),
        why_also="a month outside c_Meses is also outside 01-12 for a monthly period",
    ),
    Case("CFDI40134", "global", attr("InformacionGlobal", Meses="13")),
    Case("CFDI40135", "global621", attr("InformacionGlobal", Meses="01")),
    Case("CFDI40136", "global", attr("InformacionGlobal", Ano="2020")),
    Case("CFDI40137", "ingreso", add_relacionado("99")),
    Case("CFDI40140", "ingreso", attr("Emisor", RegimenFiscal="609")),
    Case("CFDI40141", "ingreso", attr("Emisor", RegimenFiscal="612")),
    Case("CFDI40146", "ingreso", attr("Receptor", Nombre="PUBLICO EN GENERAL")),
    Case("CFDI40149", "global", attr("Receptor", DomicilioFiscalReceptor="01160")),
    Case(
        "CFDI40149",
        "extranjero",
        attr("Receptor", DomicilioFiscalReceptor="01160"),
        name="extranjero",
    ),
    Case("CFDI40150", "extranjero", attr("Receptor", ResidenciaFiscal="XYZ")),
    Case("CFDI40151", "ingreso", attr("Receptor", ResidenciaFiscal="USA")),
    Case("CFDI40152", "extranjero", attr("Receptor", ResidenciaFiscal="MEX")),
    Case("CFDI40153", "extranjero", attr("Receptor", ResidenciaFiscal=None)),
    Case("CFDI40154", "ingreso", attr("Receptor", NumRegIdTrib="123456789")),
    Case(
        "CFDI40155",
        "extranjero",
        chain(comercio_exterior, attr(None, Exportacion="02"), attr("Receptor", NumRegIdTrib=None)),
    ),
    Case("CFDI40156", "extranjero", attr("Receptor", NumRegIdTrib="12-3456789")),
    Case("CFDI40157", "ingreso", attr("Receptor", RegimenFiscalReceptor="609")),
    Case("CFDI40158", "ingreso", attr("Receptor", RegimenFiscalReceptor="601")),
    Case("CFDI40159", "global", attr("Receptor", RegimenFiscalReceptor="605")),
    Case("CFDI40160", "ingreso", attr("Receptor", UsoCFDI="P01")),
    Case("CFDI40161", "ingreso", attr("Receptor", UsoCFDI="G01")),
    Case("CFDI40161", "usd", attr("Receptor", UsoCFDI="D01"), name="uso-de-persona-fisica"),
    Case("CFDI40162", "ingreso", concepto_attr(1, ClaveProdServ="99999999")),
    Case("CFDI40164", "traslado", concepto_attr(1, recompute=False, ClaveProdServ="80111700")),
    Case("CFDI40165", "ingreso", concepto_attr(1, ClaveUnidad="ZZZ")),
    Case("CFDI40166", "ingreso", free_concepto),
    Case("CFDI40167", "ingreso", concepto_attr(1, recompute=False, Cantidad="2")),
    Case(
        "CFDI40168",
        "ingreso",
        lambda root, kit: rewrite(None, "Descuento", 3)(kit.conceptos(root)[1], kit),
    ),
    Case(
        "CFDI40169",
        "ingreso",
        lambda root, kit: concepto_attr(
            2, Descuento=kit.money(Decimal(kit.conceptos(root)[1].get("Importe")) + 1)
        )(root, kit),
    ),
    Case("CFDI40170", "ingreso", concepto_attr(1, recompute=False, ObjetoImp="09")),
    Case("CFDI40171", "traslado", concepto_attr(1, recompute=False, ObjetoImp="02")),
    Case("CFDI40172", "ingreso", concepto_attr(1, recompute=False, ObjetoImp="03")),
    Case(
        "CFDI40173",
        "traslado",
        chain(concepto_attr(1, recompute=False, ObjetoImp="02"), empty_impuestos(1)),
    ),
    Case("CFDI40174", "ingreso", tax_attr(3, "Traslado", Base="0.00", Importe="0.00")),
    Case(
        "CFDI40175",
        "ingreso",
        tax_attr(3, "Traslado", Impuesto="004"),
        also=frozenset({"CFDI40179", "CFDI40217", "CFDI40219"}),
        why_also="c_TasaOCuota has no rate for an impuesto outside c_Impuesto; " + SUMMARY_RULE,
    ),
    Case(
        "CFDI40176",
        "ingreso",
        tax_attr(3, "Traslado", TipoFactor="Otro", TasaOCuota=None, Importe=None),
    ),
    Case(
        "CFDI40177",
        "ingreso",
        tax_attr(3, "Traslado", TipoFactor="Exento"),
        also=frozenset({"CFDI40213"}),
        why_also=SUMMARY_RULE,
    ),
    Case("CFDI40178", "ingreso", tax_attr(3, "Traslado", Importe=None)),
    Case(
        "CFDI40179",
        "ingreso",
        tax_attr(3, "Traslado", TasaOCuota="0.150000", Importe="12.80"),
        also=frozenset({"CFDI40219"}),
        why_also=SUMMARY_RULE,
    ),
    Case(
        "CFDI40180",
        "ingreso",
        lambda root, kit: tax_attr(
            3,
            "Traslado",
            Importe=kit.money(
                Decimal(next(kit.conceptos(root)[2].iter(kit.NS + "Traslado")).get("Importe"))
                + Decimal("0.05")
            ),
        )(root, kit),
    ),
    Case(
        "CFDI40181", "retenciones", tax_attr(1, "Retencion", index=1, Base="0.00", Importe="0.00")
    ),
    Case(
        "CFDI40182",
        "retenciones",
        tax_attr(1, "Retencion", index=1, Impuesto="004"),
        also=frozenset({"CFDI40185", "CFDI40207"}),
        why_also="c_TasaOCuota has no rate for an impuesto outside c_Impuesto; " + SUMMARY_RULE,
    ),
    Case(
        "CFDI40183",
        "retenciones",
        tax_attr(1, "Retencion", index=1, TipoFactor="Otro", TasaOCuota=None),
    ),
    Case("CFDI40184", "retenciones", tax_attr(1, "Retencion", index=1, TipoFactor="Exento")),
    Case(
        "CFDI40185",
        "retenciones",
        lambda root, kit: tax_attr(
            1,
            "Retencion",
            index=1,
            **kit.retencion(
                list(kit.conceptos(root)[0].iter(kit.NS + "Retencion"))[1].get("Base"),
                "001",
                "0.400000",
            ),
        )(root, kit),
    ),
    Case(
        "CFDI40186",
        "retenciones",
        lambda root, kit: tax_attr(
            1,
            "Retencion",
            index=1,
            Importe=kit.money(
                Decimal(list(kit.conceptos(root)[0].iter(kit.NS + "Retencion"))[1].get("Importe"))
                + Decimal("0.05")
            ),
        )(root, kit),
    ),
    Case("CFDI40188", "terceros", attr(C1_TERCEROS, RfcACuentaTerceros="EKU9003173C9")),
    Case("CFDI40191", "terceros", attr(C1_TERCEROS, RegimenFiscalACuentaTerceros="609")),
    Case(
        "CFDI40194",
        "partes",
        attr("Conceptos/Concepto/InformacionAduanera", NumeroPedimento="25  99  3807  5003832"),
    ),
    Case(
        "CFDI40194",
        "partes",
        attr("Conceptos/Concepto/InformacionAduanera", NumeroPedimento="25 47 3807 5003832"),
        name="sin-espacios",
    ),
    Case(
        "CFDI40195",
        "partes",
        chain(comercio_exterior, attr(None, Exportacion="02")),
        also=frozenset({"CFDI40200"}),
        why_also="the Parte carries a pedimento too, refused for the same reason",
    ),
    Case("CFDI40196", "partes", attr(C1_PARTE, ClaveProdServ="99999999")),
    Case("CFDI40197", "partes", attr(C1_PARTE, ValorUnitario="0", Importe="0.00")),
    Case("CFDI40198", "partes", attr(C1_PARTE, Importe="16.00")),
    Case(
        "CFDI40199",
        "partes",
        attr(f"{C1_PARTE}/InformacionAduanera", NumeroPedimento="25  99  3807  5003833"),
    ),
    Case(
        "CFDI40200",
        "partes",
        chain(
            comercio_exterior,
            attr(None, Exportacion="02"),
            lambda root, kit: kit.conceptos(root)[0].remove(
                kit.el(root, "Conceptos/Concepto/InformacionAduanera")
            ),
        ),
    ),
    Case("CFDI40201", "traslado", empty_impuestos(None)),
    Case("CFDI40202", "retenciones", rewrite("Impuestos", "TotalImpuestosRetenidos", 3)),
    Case(
        "CFDI40203",
        "retenciones",
        chain(bump("Impuestos", "TotalImpuestosRetenidos", "1"), bump(None, "Total", "-1")),
    ),
    Case("CFDI40204", "ingreso", rewrite("Impuestos", "TotalImpuestosTrasladados", 3)),
    Case(
        "CFDI40205", "ingreso", bump("Impuestos", "TotalImpuestosTrasladados", "1", (None, "Total"))
    ),
    Case(
        "CFDI40206",
        "retenciones",
        chain(bump(None, "Total", "0"), attr("Impuestos", TotalImpuestosRetenidos=None)),
        also=frozenset({"CFDI40209", "CFDI40119"}),
        why_also="CFDI40209 states the same condition; without the total the Total no longer "
        "adds up",
    ),
    Case(
        "CFDI40207",
        "retenciones",
        attr(f"{RET}", Impuesto="004"),
        also=frozenset({"CFDI40211"}),
        why_also="the concept retenciones of 002 are then missing from the summary",
    ),
    Case("CFDI40208", "retenciones", duplicate_summary("Retencion")),
    Case(
        "CFDI40209",
        "retenciones",
        attr("Impuestos", TotalImpuestosRetenidos=None),
        also=frozenset({"CFDI40206", "CFDI40119"}),
        why_also="CFDI40206 states the same condition; without the total the Total no longer "
        "adds up",
    ),
    Case("CFDI40210", "retenciones", rewrite(RET, "Importe", 3)),
    Case(
        "CFDI40211",
        "retenciones",
        chain(
            bump(RET, "Importe", "1", ("Impuestos", "TotalImpuestosRetenidos")),
            bump(None, "Total", "-1"),
        ),
    ),
    Case(
        "CFDI40212",
        "ingreso",
        attr("Impuestos", TotalImpuestosTrasladados=None),
        also=frozenset({"CFDI40119"}),
        why_also="without the total the Total no longer adds up",
    ),
    Case(
        "CFDI40213",
        "exento",
        lambda root, kit: [
            t.set("Importe", "0.00")
            for t in root.find(kit.NS + "Impuestos").iter(kit.NS + "Traslado")
            if t.get("TipoFactor") == "Exento"
        ],
    ),
    Case("CFDI40214", "ingreso", rewrite(TRAS, "Base", 3)),
    Case("CFDI40215", "ingreso", bump(TRAS, "Base", "1")),
    Case(
        "CFDI40216",
        "exento",
        lambda root, kit: [
            t.set("Base", kit.money(Decimal(t.get("Base")) + 1))
            for t in root.find(kit.NS + "Impuestos").iter(kit.NS + "Traslado")
            if t.get("TipoFactor") == "Exento"
        ],
    ),
    Case(
        "CFDI40217",
        "exento",
        lambda root, kit: [
            t.set("Impuesto", "004")
            for t in root.find(kit.NS + "Impuestos").iter(kit.NS + "Traslado")
            if t.get("TipoFactor") == "Exento"
        ],
        also=frozenset({"CFDI40216"}),
        why_also="the exempt base of IVA is then missing from the summary",
    ),
    Case("CFDI40218", "ingreso", duplicate_summary("Traslado")),
    Case(
        "CFDI40219",
        "ingreso",
        attr(TRAS, TasaOCuota="0.150000"),
        also=frozenset({"CFDI40215", "CFDI40221"}),
        why_also="the conceptos' 16 % group is then missing from the summary",
    ),
    Case("CFDI40220", "ingreso", rewrite(TRAS, "Importe", 3)),
    Case(
        "CFDI40221",
        "ingreso",
        bump(TRAS, "Importe", "1", ("Impuestos", "TotalImpuestosTrasladados"), (None, "Total")),
    ),
    Case("CFDI40222", "ingreso", comercio_exterior),
    Case("CFDI140223", "terceros", attr(C1_TERCEROS, RfcACuentaTerceros="EXT990101NI1")),
    Case("CFDI140226", "ingreso", concepto_attr(1, recompute=False, ObjetoImp="06")),
    Case("CFDI140227", "ingreso", concepto_attr(1, recompute=False, ObjetoImp="07")),
    Case("303", "ingreso", attr("Emisor", Rfc="AAA010101AAA")),
    Case("305", "ingreso", resign_with_future_csd, reseal=False),
    Case("401", "ingreso", lambda root, kit: None, validate={"now_shift": timedelta(hours=73)}),
    Case(
        "401",
        "ingreso",
        lambda root, kit: None,
        validate={"now_shift": -timedelta(minutes=6)},
        name="fecha-futura",
    ),
    Case("401", "ingreso", fecha_in_wrong_zone, name="tijuana-con-zona-de-satcfdi"),
]


def _id(case: Case) -> str:
    return f"{case.code}-{case.name}" if case.name else case.code


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_one_field_against_the_rule_fails_with_exactly_its_code(kit: Any, case: Case) -> None:
    root = kit.root(case.base)
    result = case.mutate(root, kit)
    if isinstance(result, bytes):
        xml = result
    elif case.reseal:
        xml = kit.seal(root)
    else:
        xml = bytes(__import__("lxml.etree").etree.tostring(root))
    options = dict(case.validate)
    now = kit.NOW + options.pop("now_shift", timedelta(0))
    violations = validate_document(xml, now=now, **options)
    assert {v.code for v in violations} == {case.code} | case.also
    rule = RULES_BY_CODE[case.code]
    mine = [v for v in violations if v.code == case.code]
    assert all(v.field == rule.field and v.message.startswith(rule.message) for v in mine)


def test_every_offline_check_has_a_failing_case() -> None:
    tested = {case.code for case in CASES}
    assert [rule.code for rule in CHECKED_RULES if rule.code not in tested] == []


def test_implied_codes_are_explained() -> None:
    assert [_id(c) for c in CASES if c.also and not c.why_also] == []
