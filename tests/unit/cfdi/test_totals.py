"""Gross -> net arithmetic: Base + IVA == paid, inside SAT's tolerances, order totals reconciled."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.cfdi.errors import InvoiceBuildError
from postventa.cfdi.issuer import TaxTreatment
from postventa.cfdi.totals import (
    GrossLine,
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
