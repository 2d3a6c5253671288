"""Gross -> net arithmetic: Base + IVA == paid, inside SAT's tolerances, order totals reconciled."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.cfdi.errors import InvoiceBuildError
from postventa.cfdi.issuer import TaxTreatment
from postventa.cfdi.totals import (
    GrossLine,
    audit_amounts,
    importe_bounds,
    net_concept,
    reconcile,
    split_gross,
    tax_bounds,
)


def test_split_gross_of_ten_thousand_two_hundred_gives_exact_cents() -> None:
    # satcfdi alone turns 10,200.00 gross into 10,200.01 (PLATFORM-NOTES)
    base, tax = split_gross(D("10200.00"), D("0.16"))
    assert base + tax == D("10200.00")
    assert (base, tax) == (D("8793.10"), D("1406.90"))


def test_tax_bounds_follow_sat_formula() -> None:
    low, high = tax_bounds(D("100.03"), D("0.16"))
    assert (low, high) == (D("16.00"), D("16.01"))


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10**9),
    rate=st.sampled_from([D("0.16"), D("0.08")]),
)
def test_split_gross_always_lands_inside_sat_tolerance(cents: int, rate: D) -> None:
    paid = D(cents) / 100
    base, tax = split_gross(paid, rate)
    low, high = tax_bounds(base, rate)
    assert base + tax == paid
    assert base > 0
    assert low <= tax <= high


def test_net_concept_with_discount_keeps_base_plus_tax_equal_to_paid() -> None:
    a = net_concept(D("3"), D("300.00"), D("250.00"), TaxTreatment.IVA16)
    assert a.base + a.tax_amount == D("250.00")  # type: ignore[operator]
    assert a.importe - a.descuento == a.base
    low, high = importe_bounds(a.cantidad, a.valor_unitario)
    assert low <= a.importe <= high


def test_fully_discounted_line_is_not_object_of_tax() -> None:
    a = net_concept(D("1"), D("116.00"), D("0.00"), TaxTreatment.IVA16)
    assert a.tax is TaxTreatment.NO_OBJETO
    assert a.importe == a.descuento == D("100.00")
    assert a.total == 0


def test_exempt_line_has_no_tax_amount_and_iva0_has_zero() -> None:
    assert net_concept(D("1"), D("50"), D("50"), TaxTreatment.EXENTO).tax_amount is None
    assert net_concept(D("1"), D("50"), D("50"), TaxTreatment.IVA0).tax_amount == D("0.00")


def test_reconcile_absorbs_sub_cent_rounding_of_fractional_quantities() -> None:
    lines = [
        GrossLine(D("1.5"), D("1.5") * D("33.33"), D("0"), TaxTreatment.IVA16),  # 49.995
        GrossLine(D("0.333"), D("0.333") * D("10.01"), D("0"), TaxTreatment.IVA16),  # 3.33333
    ]
    paid = reconcile(lines, D("53.32"))
    assert sum(p for _, p in paid) == D("53.32")


def test_reconcile_rejects_a_total_that_lines_do_not_explain() -> None:
    lines = [GrossLine(D("1"), D("100.00"), D("0"), TaxTreatment.IVA16)]
    with pytest.raises(InvoiceBuildError) as err:
        reconcile(lines, D("100.50"))
    assert "no coincide" in err.value.message


def test_reconcile_rejects_discount_larger_than_line() -> None:
    with pytest.raises(InvoiceBuildError):
        reconcile([GrossLine(D("1"), D("10"), D("11"), TaxTreatment.IVA16)], D("0"))


_AUDITED = """<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0"
 SubTotal="10878.44" Descuento="86.21" Total="12519.00">
<cfdi:Conceptos>
 <cfdi:Concepto Cantidad="1" ValorUnitario="8793.10" Importe="8793.10" ObjetoImp="02">
  <cfdi:Impuestos><cfdi:Traslados><cfdi:Traslado Base="8793.10" Impuesto="002"
   TipoFactor="Tasa" TasaOCuota="0.160000" Importe="1406.90"/></cfdi:Traslados></cfdi:Impuestos>
 </cfdi:Concepto>
 <cfdi:Concepto Cantidad="2" ValorUnitario="1000.00" Importe="2000.00" Descuento="86.21"
  ObjetoImp="02">
  <cfdi:Impuestos><cfdi:Traslados><cfdi:Traslado Base="1913.79" Impuesto="002"
   TipoFactor="Tasa" TasaOCuota="0.160000" Importe="306.21"/></cfdi:Traslados></cfdi:Impuestos>
 </cfdi:Concepto>
 <cfdi:Concepto Cantidad="1" ValorUnitario="85.34" Importe="85.34" ObjetoImp="02">
  <cfdi:Impuestos><cfdi:Traslados><cfdi:Traslado Base="85.34" Impuesto="002"
   TipoFactor="Tasa" TasaOCuota="0.160000" Importe="13.66"/></cfdi:Traslados></cfdi:Impuestos>
 </cfdi:Concepto>
</cfdi:Conceptos>
<cfdi:Impuestos TotalImpuestosTrasladados="1726.77"><cfdi:Traslados><cfdi:Traslado
 Base="10792.23" Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.160000" Importe="1726.77"/>
</cfdi:Traslados></cfdi:Impuestos>
</cfdi:Comprobante>"""
_C = "{http://www.sat.gob.mx/cfd/4}"


def _audited() -> Any:
    from lxml import etree

    return etree.fromstring(_AUDITED.encode())


def _concepto(root: Any, n: int) -> Any:
    return root.findall(f"{_C}Conceptos/{_C}Concepto")[n]


def _drop(element: Any) -> None:
    element.getparent().remove(element)


_MUTATIONS: list[tuple[str, Callable[[Any], None], str]] = [
    (
        "importe outside cantidad x valor unitario",  # Cantidad="1": SAT tolerates 0.5-1.5x
        lambda r: _concepto(r, 0).set("Importe", "20000.00"),
        "CFDI40154",
    ),
    ("valor unitario zero", lambda r: _concepto(r, 2).set("ValorUnitario", "0"), "CFDI40153"),
    ("descuento above importe", lambda r: _concepto(r, 1).set("Descuento", "2000.01"), "CFDI40155"),
    (
        "objeto 02 without impuestos",
        lambda r: _drop(_concepto(r, 0).find(f"{_C}Impuestos")),
        "CFDI40157",
    ),
    ("objeto 01 with impuestos", lambda r: _concepto(r, 0).set("ObjetoImp", "01"), "CFDI40157"),
    (
        "traslado base not importe - descuento",
        lambda r: _concepto(r, 1).find(f".//{_C}Traslado").set("Base", "1913.80"),
        "CFDI40161",
    ),
    (
        "traslado base zero",
        lambda r: _concepto(r, 2).find(f".//{_C}Traslado").set("Base", "0.00"),
        "CFDI40161",
    ),
    (
        "traslado importe outside tolerance",
        lambda r: _concepto(r, 2).find(f".//{_C}Traslado").set("Importe", "13.70"),
        "CFDI40167",
    ),
    ("subtotal", lambda r: r.set("SubTotal", "10878.45"), "CFDI40108"),
    ("descuento", lambda r: r.set("Descuento", "86.20"), "CFDI40110"),
    (
        "resumen base",
        lambda r: r.find(f"{_C}Impuestos/{_C}Traslados/{_C}Traslado").set("Base", "10792.24"),
        "CFDI40188",
    ),
    (
        "resumen importe",
        lambda r: r.find(f"{_C}Impuestos/{_C}Traslados/{_C}Traslado").set("Importe", "1726.78"),
        "CFDI40189",
    ),
    (
        "resumen missing the rate",
        lambda r: r.find(f"{_C}Impuestos/{_C}Traslados/{_C}Traslado").set("TasaOCuota", "0.080000"),
        "CFDI40187",
    ),
    (
        "total impuestos trasladados",
        lambda r: r.find(f"{_C}Impuestos").set("TotalImpuestosTrasladados", "1726.76"),
        "CFDI40181",
    ),
    ("total", lambda r: r.set("Total", "12519.01"), "CFDI40119"),
]


def test_audit_accepts_a_consistent_invoice() -> None:
    assert audit_amounts(_audited()) == []


@pytest.mark.parametrize(("case", "mutate", "code"), _MUTATIONS, ids=[m[0] for m in _MUTATIONS])
def test_audit_reports_each_arithmetic_rule_by_its_code(
    case: str, mutate: Callable[[Any], None], code: str
) -> None:
    root = _audited()
    mutate(root)
    problems = audit_amounts(root)
    assert code in {p.split(":", 1)[0] for p in problems}, (case, problems)


def _with_retention() -> Any:
    """A freight concepto with 4 % IVA withheld (satcfdi-generated sample): Total subtracts it."""
    from pathlib import Path

    from lxml import etree

    path = Path(__file__).resolve().parents[2] / "fixtures" / "cfdi" / "ingreso_usd.xml"
    return etree.parse(str(path)).getroot()


def test_audit_subtracts_retained_taxes_from_the_total() -> None:
    assert audit_amounts(_with_retention()) == []


_RETENTION_MUTATIONS: list[tuple[str, Callable[[Any], None], str]] = [
    (
        "total impuestos retenidos",
        lambda r: r.find(f"{_C}Impuestos").set("TotalImpuestosRetenidos", "4.83"),
        "CFDI40180",
    ),
    (
        "resumen retencion importe",
        lambda r: r.find(f"{_C}Impuestos/{_C}Retenciones/{_C}Retencion").set("Importe", "4.83"),
        "CFDI40185",
    ),
    (
        "concepto retencion outside tolerance",
        lambda r: r.find(f"{_C}Conceptos//{_C}Retencion").set("Importe", "5.82"),
        "CFDI40173",
    ),
    (
        "resumen without the retencion",
        lambda r: _drop(r.find(f"{_C}Impuestos/{_C}Retenciones")),
        "CFDI40184",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "code"), _RETENTION_MUTATIONS, ids=[m[0] for m in _RETENTION_MUTATIONS]
)
def test_audit_checks_retained_taxes(case: str, mutate: Callable[[Any], None], code: str) -> None:
    root = _with_retention()
    mutate(root)
    assert code in {p.split(":", 1)[0] for p in audit_amounts(root)}, case
