"""Receptor name normalization: capital regime removed only at the end and only for morales."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.cfdi.names import (
    NOMBRE_PUBLICO_EN_GENERAL,
    nombre_problems,
    normalize_nombre,
    sin_acentos,
    strip_capital_regime,
)
from postventa.cfdi.rfc import TipoPersona

MORAL = TipoPersona.MORAL
FISICA = TipoPersona.FISICA


class TestCapitalRegimeRemoval:
    @pytest.mark.parametrize(
        "raw",
        [
            "Comercializadora del Norte S.A. de C.V.",
            "COMERCIALIZADORA DEL NORTE SA DE CV",
            "COMERCIALIZADORA DEL NORTE, S.A. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S.A DE C.V",
            "COMERCIALIZADORA DEL NORTE SA. DE CV.",
            "COMERCIALIZADORA DEL NORTE S. A. DE C. V.",
            "COMERCIALIZADORA DEL NORTE S.A.DE C.V.",
            "COMERCIALIZADORA DEL NORTE S A DE C V",
            "COMERCIALIZADORA DEL NORTE S. DE R.L. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S DE RL DE CV",
            "COMERCIALIZADORA DEL NORTE S. DE R.L.",
            "COMERCIALIZADORA DEL NORTE SAPI DE CV",
            "COMERCIALIZADORA DEL NORTE S.A.P.I. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S.A.B. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S.A.S. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S.A.S.",
            "COMERCIALIZADORA DEL NORTE S.C.",
            "COMERCIALIZADORA DEL NORTE A.C.",
            "COMERCIALIZADORA DEL NORTE S.A.",
            "COMERCIALIZADORA DEL NORTE S. EN C.",
            "COMERCIALIZADORA DEL NORTE S. EN C. POR A.",
            "COMERCIALIZADORA DEL NORTE S. EN N.C.",
            "COMERCIALIZADORA DEL NORTE S.C. DE R.L. DE C.V.",
            "COMERCIALIZADORA DEL NORTE S.P.R. DE R.L.",
            "COMERCIALIZADORA DEL NORTE I.A.P.",
            "COMERCIALIZADORA DEL NORTE SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
            "Comercializadora del Norte, Sociedad Anónima de Capital Variable",
            "COMERCIALIZADORA DEL NORTE SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
            "COMERCIALIZADORA DEL NORTE SOCIEDAD CIVIL",
            "COMERCIALIZADORA DEL NORTE ASOCIACIÓN CIVIL",
            "COMERCIALIZADORA DEL NORTE S.A. DE CAPITAL VARIABLE",
        ],
    )
    def test_removed_for_personas_morales(self, raw: str) -> None:
        assert normalize_nombre(raw, MORAL) == "COMERCIALIZADORA DEL NORTE"

    @pytest.mark.parametrize("raw", ["JUAN SA", "MARIA PEREZ S.A.", "PEDRO AC", "ANA SC"])
    def test_kept_for_personas_fisicas(self, raw: str) -> None:
        assert normalize_nombre(raw, FISICA) == raw.rstrip(".")

    def test_kept_when_the_persona_type_is_unknown(self) -> None:
        assert normalize_nombre("ACME SA DE CV", None) == "ACME SA DE CV"

    @pytest.mark.parametrize(
        "raw",
        [
            "SA DE CV COMERCIAL",
            "S.A. DE C.V. DEL NORTE",
            "CASA DEL SAC",
            "FERRETERIA CASA",  # "SA" inside a word is not a regime
            "GRUPO ACME",
        ],
    )
    def test_only_a_suffix_is_removed(self, raw: str) -> None:
        assert normalize_nombre(raw, MORAL) == raw

    def test_repeated_regimes_are_all_removed(self) -> None:
        assert normalize_nombre("ACME S.A. DE C.V., S.A.", MORAL) == "ACME"

    def test_a_name_that_is_only_a_regime_is_not_emptied(self) -> None:
        assert normalize_nombre("S.A. DE C.V.", MORAL) != ""

    def test_strip_capital_regime_keeps_unrelated_names(self) -> None:
        assert strip_capital_regime("TIENDA DE RAFAEL") == "TIENDA DE RAFAEL"

    def test_sofom_suffix_is_not_guessed(self) -> None:
        # How SAT registers SOFOM names is unverified: leave them untouched.
        raw = "FINANCIERA SA DE CV SOFOM ENR"
        assert normalize_nombre(raw, MORAL) == raw


class TestCharactersAndSpacing:
    def test_uppercase_with_accents_and_enie_kept(self) -> None:
        assert normalize_nombre("José Ñúñez Güemes", FISICA) == "JOSÉ ÑÚÑEZ GÜEMES"

    def test_spaces_collapsed_and_trimmed(self) -> None:
        assert normalize_nombre("  ana \t maría\n lópez  ", FISICA) == "ANA MARÍA LÓPEZ"

    def test_no_trailing_dot(self) -> None:
        assert normalize_nombre("JUAN PEREZ JR.", FISICA) == "JUAN PEREZ JR"
        assert normalize_nombre("JUAN PEREZ . .", FISICA) == "JUAN PEREZ"

    def test_inner_dots_kept(self) -> None:
        assert normalize_nombre("A.B.C. COMERCIAL", FISICA) == "A.B.C. COMERCIAL"

    def test_invisible_characters_removed(self) -> None:
        assert normalize_nombre("\ufeffANA\u200b LOPEZ", FISICA) == "ANA LOPEZ"

    def test_decomposed_accents_are_composed(self) -> None:
        assert normalize_nombre("jose\u0301", FISICA) == "JOSÉ"

    def test_empty(self) -> None:
        assert normalize_nombre(None) == ""
        assert normalize_nombre("   ") == ""


class TestProblems:
    def test_valid_name_has_no_problems(self) -> None:
        assert nombre_problems("ESCUELA KEMPER URGATE") == []

    def test_pipe_is_not_allowed(self) -> None:
        assert nombre_problems("ACME | FILIAL") == [
            "El nombre contiene caracteres no permitidos: |."
        ]

    def test_control_characters_are_not_allowed(self) -> None:
        assert "no permitidos" in nombre_problems("ACME\x01")[0]

    def test_length_limit_is_300(self) -> None:
        assert nombre_problems("A" * 300) == []
        assert nombre_problems("A" * 301) == ["El nombre tiene 301 caracteres; el máximo es 300."]

    def test_empty_is_required(self) -> None:
        assert nombre_problems("") == ["El nombre o razón social es obligatorio."]


class TestSinAcentos:
    def test_removes_accents_keeps_enie(self) -> None:
        assert sin_acentos("PÚBLICO EN GENERAL") == NOMBRE_PUBLICO_EN_GENERAL
        assert sin_acentos("ÑANDÚ Ñandú") == "ÑANDU Ñandu"


NAME_PIECES = st.sampled_from(
    [
        "ACME",
        "JUAN",
        "Ñandú",
        "josé",
        "SA",
        "S.A.",
        "DE",
        "C.V.",
        "CV",
        "S. DE R.L.",
        "A.C.",
        "SOCIEDAD",
        "ANÓNIMA",
        "CAPITAL VARIABLE",
        ",",
        ".",
        " ",
        "  ",
        "\t",
        "\u200b",
        "|",
    ]
)
NAMES = st.one_of(
    st.lists(NAME_PIECES, max_size=10).map(" ".join),
    st.lists(NAME_PIECES, max_size=10).map("".join),
    st.text(max_size=60),
)


class TestIdempotence:
    @settings(max_examples=400, deadline=None)
    @given(NAMES, st.sampled_from([MORAL, FISICA, None]))
    def test_normalizing_twice_changes_nothing(self, raw: str, tipo: TipoPersona | None) -> None:
        once = normalize_nombre(raw, tipo)
        assert normalize_nombre(once, tipo) == once

    @settings(max_examples=200, deadline=None)
    @given(NAMES, st.sampled_from([MORAL, FISICA]))
    def test_result_is_trimmed_single_spaced_without_trailing_dot(
        self, raw: str, tipo: TipoPersona
    ) -> None:
        name = normalize_nombre(raw, tipo)
        assert name == name.strip()
        assert "  " not in name
        assert not name.endswith((".", ","))
        assert re.search("[a-z]", name) is None
