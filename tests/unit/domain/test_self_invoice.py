"""Order numbers and totals as buyers type them in the self-invoice portal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from postventa.domain.self_invoice import (
    MAX_ORDER_NUMBER,
    is_order_number,
    order_number_key,
    parse_total,
    same_total,
)


@pytest.mark.parametrize("typed", ["#1001", "1001", " # 1001 ", "１００１", "#1001\n"])
def test_an_order_number_is_one_key_however_it_is_typed(typed: str) -> None:
    assert order_number_key(typed) == "1001"


def test_order_numbers_keep_their_letters_and_dashes_in_capitals() -> None:
    assert order_number_key("702-1234567-1234567") == "702-1234567-1234567"
    assert order_number_key("ml-2000001") == "ML-2000001"
    assert not is_order_number("")
    assert not is_order_number("9" * (MAX_ORDER_NUMBER + 1))
    assert is_order_number("9" * MAX_ORDER_NUMBER)


@pytest.mark.parametrize(
    "typed",
    ["1057.10", "1057.1", "$1,057.10", "1,057.10 MXN", "MXN 1057.10", "1057,10", "$ 1 057.10"],
)
def test_a_total_is_read_to_the_cent_as_people_write_it(typed: str) -> None:
    assert parse_total(typed) == Decimal("1057.10")


@pytest.mark.parametrize(
    "typed", ["", "mil", "1057.105", "-1057.10", "1.057,10", "1,05,7.10", "1e3", "99999999999"]
)
def test_what_is_not_an_exact_amount_is_refused_not_rounded(typed: str) -> None:
    assert parse_total(typed) is None


def test_totals_match_only_to_the_cent() -> None:
    assert same_total(Decimal("1057.1"), Decimal("1057.10"))
    assert not same_total(Decimal("1057.10"), Decimal("1057.11"))
