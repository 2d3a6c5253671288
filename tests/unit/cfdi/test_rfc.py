"""RFC format, date and SAT check digit, by class of rule; cross-checked against satcfdi."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.cfdi.rfc import (
    RFC_GENERICO_EXTRANJERO,
    RFC_GENERICO_NACIONAL,
    TipoPersona,
    check_digit,
    check_digit_mismatch,
    has_valid_check_digit,
    is_generic,
    is_valid_rfc,
    normalize_rfc,
    rfc_problems,
    tipo_persona,
)

# SAT's published test RFCs (CSD de pruebas) and other public ones; every one verified by satcfdi.
KNOWN_VALID_MORALES = [
    "EKU9003173C9",
    "XIA190128J61",
    "IIA040805DZ4",
    "ICV060329BY0",
    "EWE1709045U0",
    "H&E951128469",
    "IXS7607092R5",
    "IVD920810GU2",
    "L&O950913MSA",
    "OÑO120726RX3",
    "URE180429TM6",
    "ZUÑ920208KL4",
    "SAT970701NN3",
]
KNOWN_VALID_FISICAS = [
    "CACX7605101P8",
    "FUNK671228PH6",
    "JUFA7608212V6",
    "KICR630120NX3",
    "MISC491214B86",
    "WATM640917J45",
    "WERX631016S30",
    "XOJI740919U48",
    "CUSC850516316",
    "GODE561231GR8",
]
CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZÑ"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ"
DIGITS = "0123456789"


def weight(rfc: str, index: int) -> int:
    """Weight of character `index` in SAT's sum (a moral RFC is padded by one leading space)."""
    padded_index = index + (1 if len(rfc) == 12 else 0)
    return 13 - padded_index


@st.composite
def rfc_prefixes(draw: st.DrawFn) -> str:
    n_letters = draw(st.sampled_from([3, 4]))
    letters = draw(st.text(LETTERS, min_size=n_letters, max_size=n_letters))
    yy = draw(st.integers(0, 99))
    mm = draw(st.integers(1, 12))
    dd = draw(st.integers(1, 28))
    homoclave = draw(st.text(LETTERS[:26] + DIGITS, min_size=2, max_size=2))
    return f"{letters}{yy:02d}{mm:02d}{dd:02d}{homoclave}"


class TestKnownRfcs:
    @pytest.mark.parametrize("rfc", KNOWN_VALID_MORALES + KNOWN_VALID_FISICAS)
    def test_published_rfcs_are_valid(self, rfc: str) -> None:
        assert rfc_problems(rfc) == []
        assert has_valid_check_digit(rfc)
        assert is_valid_rfc(rfc)

    @pytest.mark.parametrize(
        ("prefix", "digit"),
        [
            ("EKU9003173C", "9"),
            ("L&O950913MS", "A"),
            ("CACX7605101P", "8"),
            ("XEXX010101000"[:-1], "0"),
        ],
    )
    def test_check_digit_of_known_prefixes(self, prefix: str, digit: str) -> None:
        assert check_digit(prefix) == digit

    def test_generic_rfcs_are_valid_although_xaxx_fails_the_check_digit(self) -> None:
        assert not has_valid_check_digit(RFC_GENERICO_NACIONAL)
        assert rfc_problems(RFC_GENERICO_NACIONAL) == []
        assert rfc_problems(RFC_GENERICO_EXTRANJERO) == []
        assert is_generic(RFC_GENERICO_NACIONAL) and is_generic(RFC_GENERICO_EXTRANJERO)
        assert not is_generic("EKU9003173C9")

    @pytest.mark.parametrize("rfc", KNOWN_VALID_MORALES + KNOWN_VALID_FISICAS)
    def test_satcfdi_agrees_on_known_rfcs(self, rfc: str) -> None:
        from satcfdi.models import RFC

        assert RFC(rfc).is_valid()


class TestCheckDigitProperties:
    @settings(max_examples=300, deadline=None)
    @given(rfc_prefixes())
    def test_a_computed_check_digit_makes_a_valid_rfc(self, prefix: str) -> None:
        rfc = prefix + check_digit(prefix)
        assert rfc_problems(rfc) == []

    @settings(max_examples=300, deadline=None)
    @given(rfc_prefixes(), st.data())
    def test_mutating_one_character_breaks_the_check_digit(
        self, prefix: str, data: st.DataObject
    ) -> None:
        rfc = prefix + check_digit(prefix)
        index = data.draw(st.integers(0, len(rfc) - 1))
        replacement = data.draw(st.sampled_from(CHECK_ALPHABET).filter(lambda c: c != rfc[index]))
        mutated = rfc[:index] + replacement + rfc[index + 1 :]
        delta = CHECK_ALPHABET.index(replacement) - CHECK_ALPHABET.index(rfc[index])
        if replacement == "Ñ" or rfc[index] == "Ñ":  # Ñ is worth 38 (after the space, 37)
            delta += 1 if replacement == "Ñ" else -1
        # Modulo 11 is blind where weight * delta is a multiple of 11 (weight 11, delta ±11...).
        detectable = (weight(rfc, index) * delta) % 11 != 0
        if detectable:
            assert not has_valid_check_digit(mutated)
            assert not is_valid_rfc(mutated)

    def test_the_character_with_weight_eleven_is_a_known_blind_spot(self) -> None:
        # Second letter of a persona moral, third of a física: any letter keeps the digit valid.
        assert all(has_valid_check_digit(f"E{c}U9003173C9") for c in "ABCDXYZ")
        assert all(has_valid_check_digit(f"CA{c}X7605101P8") for c in "ABCDXYZ")

    @settings(max_examples=300, deadline=None)
    @given(rfc_prefixes(), st.sampled_from(CHECK_ALPHABET[:11]))
    def test_agrees_with_satcfdi_on_any_well_formed_rfc(self, prefix: str, last: str) -> None:
        from satcfdi.models import RFC

        rfc = prefix + last
        if is_generic(rfc):
            return
        assert has_valid_check_digit(rfc) == RFC(rfc).is_valid()

    @pytest.mark.parametrize("prefix", ["EKU9003173", "EKU9003173C9X", ""])
    def test_check_digit_refuses_wrong_lengths(self, prefix: str) -> None:
        with pytest.raises(ValueError):
            check_digit(prefix)

    def test_check_digit_refuses_characters_outside_the_table(self) -> None:
        with pytest.raises(ValueError):
            check_digit("EKÜ9003173C")


class TestFormat:
    @pytest.mark.parametrize("rfc", ["EKU900317", "EKU9003173C", "EKU9003173C9XX", "A"])
    def test_length_other_than_12_or_13_is_reported_with_its_count(self, rfc: str) -> None:
        assert rfc_problems(rfc) == [
            f"El RFC tiene {len(rfc)} caracteres; debe tener 12 (persona moral) "
            "o 13 (persona física)."
        ]

    def test_eleven_characters_message_matches_the_product_text(self) -> None:
        assert rfc_problems("EKU9003173C") == [
            "El RFC tiene 11 caracteres; debe tener 12 (persona moral) o 13 (persona física)."
        ]

    def test_empty_rfc_is_required(self) -> None:
        assert rfc_problems("") == ["El RFC es obligatorio."]

    def test_a_wrong_check_digit_is_not_a_format_problem_but_a_mismatch(self) -> None:
        # SAT has assigned RFCs that fail its own algorithm: the caller warns, the PAC decides
        assert rfc_problems("EKU9003173C8") == []
        assert check_digit_mismatch("EKU9003173C8")
        assert not check_digit_mismatch("EKU9003173C9")
        assert not is_valid_rfc("EKU9003173C8")

    def test_generic_rfcs_and_malformed_ones_are_no_check_digit_mismatch(self) -> None:
        assert not check_digit_mismatch("XAXX010101000")
        assert not check_digit_mismatch("EKU9003173")  # a format error, reported as such

    def test_a_pasted_decomposed_enye_is_one_letter(self) -> None:
        decomposed = "MUN\u0303O800101AB1"  # N + COMBINING TILDE, as some PDFs paste it
        assert len(decomposed) == 14
        rfc = normalize_rfc(decomposed)
        assert rfc == "MUÑO800101AB1" and len(rfc) == 13
        assert rfc_problems(rfc) == []

    def test_invisible_characters_pasted_with_the_rfc_are_dropped(self) -> None:
        assert normalize_rfc("\u200bEKU9003173C9\ufeff") == "EKU9003173C9"

    @pytest.mark.parametrize("rfc", ["E1U9003173C9", "CAC17605101P8", "EK#9003173C9"])
    def test_non_letters_in_the_name_part_are_reported(self, rfc: str) -> None:
        assert any("deben ser letras" in p for p in rfc_problems(rfc))

    @pytest.mark.parametrize(
        ("fecha", "ok"),
        [
            ("000229", True),  # 2000 leap year
            ("960229", True),
            ("970229", False),
            ("900230", False),
            ("900431", False),
            ("901301", False),
            ("900001", False),
            ("900100", False),
            ("901231", True),
        ],
    )
    def test_date_must_be_a_real_calendar_date(self, fecha: str, ok: bool) -> None:
        prefix = f"EKU{fecha}3C"
        rfc = prefix + check_digit(prefix)
        date_errors = [p for p in rfc_problems(rfc) if "fecha" in p]
        assert (date_errors == []) is ok

    def test_letters_in_the_date_are_reported(self) -> None:
        assert any("AAMMDD" in p for p in rfc_problems("EKU9O03173C9"))

    def test_last_character_must_be_a_digit_or_a(self) -> None:
        assert any(
            "dígito verificador" in p and "letra A" in p for p in rfc_problems("EKU9003173CB")
        )

    def test_check_digit_is_only_judged_when_the_format_is_right(self) -> None:
        problems = rfc_problems("EKU9002303C9")
        assert len(problems) == 1 and "fecha" in problems[0]


class TestNormalizationAndType:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (" eku9003173c9 ", "EKU9003173C9"),
            ("EKU-900317-3C9", "EKU9003173C9"),
            ("eku 900317 3c9", "EKU9003173C9"),
            ("oño120726rx3", "OÑO120726RX3"),
            (None, ""),
        ],
    )
    def test_normalize(self, raw: str | None, expected: str) -> None:
        assert normalize_rfc(raw) == expected

    def test_type_comes_from_length(self) -> None:
        assert tipo_persona("EKU9003173C9") is TipoPersona.MORAL
        assert tipo_persona("CACX7605101P8") is TipoPersona.FISICA
        assert tipo_persona("EKU90031") is None
