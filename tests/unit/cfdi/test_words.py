"""Amounts in Spanish words, by class of rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.cfdi.words import amount_in_words, integer_in_words


def pesos(value: str) -> str:
    return amount_in_words(Decimal(value), "MXN")


class TestUnits:
    @pytest.mark.parametrize(
        ("n", "words"),
        [
            (0, "CERO"),
            (1, "UNO"),
            (9, "NUEVE"),
            (15, "QUINCE"),
            (16, "DIECISÉIS"),
            (20, "VEINTE"),
            (21, "VEINTIUNO"),
            (22, "VEINTIDÓS"),
            (23, "VEINTITRÉS"),
            (26, "VEINTISÉIS"),
            (30, "TREINTA"),
            (31, "TREINTA Y UNO"),
            (99, "NOVENTA Y NUEVE"),
        ],
    )
    def test_counting_words_below_one_hundred(self, n: int, words: str) -> None:
        assert integer_in_words(n) == words


class TestApocopeBeforeNoun:
    def test_one_peso_is_singular_with_un(self) -> None:
        assert pesos("1") == "UN PESO 00/100 M.N."

    def test_twenty_one_pesos_is_veintiun(self) -> None:
        assert pesos("21") == "VEINTIÚN PESOS 00/100 M.N."

    def test_thirty_one_pesos_is_treinta_y_un(self) -> None:
        assert pesos("31.01") == "TREINTA Y UN PESOS 01/100 M.N."

    def test_one_cent_only_reads_cero_pesos(self) -> None:
        assert pesos("0.01") == "CERO PESOS 01/100 M.N."

    def test_feminine_currency_uses_una_and_feminine_hundreds(self) -> None:
        assert amount_in_words(Decimal("1"), "GBP") == "UNA LIBRA ESTERLINA 00/100 GBP"
        assert amount_in_words(Decimal("221"), "GBP") == (
            "DOSCIENTAS VEINTIUNA LIBRAS ESTERLINAS 00/100 GBP"
        )
        assert amount_in_words(Decimal("500000"), "GBP") == (
            "QUINIENTAS MIL LIBRAS ESTERLINAS 00/100 GBP"
        )

    def test_millions_stay_masculine_for_feminine_currency(self) -> None:
        assert amount_in_words(Decimal("200000000"), "GBP") == (
            "DOSCIENTOS MILLONES DE LIBRAS ESTERLINAS 00/100 GBP"
        )


class TestHundreds:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ("100", "CIEN PESOS"),
            ("101", "CIENTO UN PESOS"),
            ("120.50", "CIENTO VEINTE PESOS"),
            ("500", "QUINIENTOS PESOS"),
            ("700", "SETECIENTOS PESOS"),
            ("900", "NOVECIENTOS PESOS"),
            ("999", "NOVECIENTOS NOVENTA Y NUEVE PESOS"),
        ],
    )
    def test_cien_alone_ciento_before_more_and_irregular_hundreds(
        self, value: str, words: str
    ) -> None:
        assert pesos(value).startswith(words + " ")

    def test_brief_example(self) -> None:
        assert pesos("120.50") == "CIENTO VEINTE PESOS 50/100 M.N."


class TestThousands:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ("1000", "MIL PESOS"),
            ("1001", "MIL UN PESOS"),
            ("2000", "DOS MIL PESOS"),
            ("21000", "VEINTIÚN MIL PESOS"),
            ("31000", "TREINTA Y UN MIL PESOS"),
            ("100000", "CIEN MIL PESOS"),
            ("101000", "CIENTO UN MIL PESOS"),
            ("1234.56", "MIL DOSCIENTOS TREINTA Y CUATRO PESOS"),
            ("999999", "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE PESOS"),
        ],
    )
    def test_mil_never_un_mil_and_apocope_before_mil(self, value: str, words: str) -> None:
        assert pesos(value).startswith(words + " ")


class TestMillions:
    def test_exact_million_takes_de(self) -> None:
        assert pesos("1000000") == "UN MILLÓN DE PESOS 00/100 M.N."

    def test_exact_millions_plural_takes_de(self) -> None:
        assert pesos("2000000.10") == "DOS MILLONES DE PESOS 10/100 M.N."

    def test_million_with_more_has_no_de(self) -> None:
        assert pesos("1100000") == "UN MILLÓN CIEN MIL PESOS 00/100 M.N."

    def test_twenty_one_millions(self) -> None:
        assert pesos("21000001") == "VEINTIÚN MILLONES UN PESOS 00/100 M.N."

    def test_thousand_millions(self) -> None:
        assert pesos("1000000000") == "MIL MILLONES DE PESOS 00/100 M.N."

    def test_maximum(self) -> None:
        assert pesos("999999999999.99") == (
            "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE MILLONES "
            "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE PESOS 99/100 M.N."
        )


class TestCurrenciesAndCents:
    def test_usd(self) -> None:
        assert amount_in_words(Decimal("120.50"), "USD") == "CIENTO VEINTE DÓLARES 50/100 USD"

    def test_one_dollar_singular(self) -> None:
        assert amount_in_words(Decimal("1.00"), "USD") == "UN DÓLAR 00/100 USD"

    def test_unknown_currency_uses_its_code(self) -> None:
        assert amount_in_words(Decimal("100"), "CHF") == "CIEN 00/100 CHF"

    def test_cents_round_half_up(self) -> None:
        assert pesos("10.005") == "DIEZ PESOS 01/100 M.N."
        assert pesos("0.994") == "CERO PESOS 99/100 M.N."
        assert pesos("0.995") == "UN PESO 00/100 M.N."

    def test_rejects_negative_and_too_large(self) -> None:
        with pytest.raises(ValueError):
            pesos("-1")
        with pytest.raises(ValueError):
            pesos("1000000000000")


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=0, max_value=999_999_999_999))
    def test_words_are_well_formed(self, n: int) -> None:
        words = integer_in_words(n, ending="n")
        assert "  " not in words
        assert not words.startswith("UN MIL ")  # "mil", never "un mil"
        assert "CIENTO MIL" not in words  # "cien mil"
        assert words == words.strip()
        assert "UNO MIL" not in words and "UNO MILL" not in words

    @settings(max_examples=200, deadline=None)
    @given(st.integers(min_value=0, max_value=99_999_999_999_999))
    def test_cents_always_two_digits_over_100(self, cents: int) -> None:
        text = pesos(str(Decimal(cents) / 100))
        assert text.endswith(f" {cents % 100:02d}/100 M.N.")
