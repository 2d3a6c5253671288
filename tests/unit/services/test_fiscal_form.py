"""The fiscal data a buyer types: only valid choices, one message per mistake, and the
"mi RFC es correcto" confirmation of a check digit that does not follow SAT's algorithm."""

from __future__ import annotations

import pytest

from postventa.cfdi import catalogs
from postventa.cfdi.receptor import validate_receptor
from postventa.services.fiscal_form import (
    CONFIRM_FIELD,
    RfcConfirmation,
    RfcKind,
    check,
    choices_for,
    parse_form,
    regimen_choices,
    rfc_kind,
    uso_choices,
)
from tests.support.builders import VALID_FORM

# SAT's public test RFCs: a persona física (13) and a persona moral (12).
FISICA = {
    "rfc": "XOJI740919U48",
    "nombre": "INGRID XODAR JIMENEZ",
    "regimen_fiscal": "605",
    "codigo_postal": "76028",
    "uso_cfdi": "S01",
    "email": "ingrid@example.com",
}
MORAL = VALID_FORM  # EKU9003173C9, 601, G03
DIGIT_OFF = "XOJI740919U47"  # FISICA's RFC with another check digit
GENERIC_MESSAGE = "solo se usa en la factura global"


# ---------------------------------------------------------------- only valid choices
def test_a_persona_fisica_rfc_offers_only_the_regimenes_of_personas_fisicas() -> None:
    offered = choices_for({"rfc": FISICA["rfc"]}).regimenes
    rows = catalogs.regimenes_fiscales()
    assert offered == tuple(k for k in sorted(rows) if rows[k].fisica)
    assert "605" in offered and "601" not in offered and "626" in offered


def test_a_persona_moral_rfc_offers_only_the_regimenes_of_personas_morales() -> None:
    offered = choices_for({"rfc": MORAL["rfc"]}).regimenes
    rows = catalogs.regimenes_fiscales()
    assert offered == tuple(k for k in sorted(rows) if rows[k].moral)
    assert "601" in offered and "605" not in offered


def test_the_uso_list_follows_the_regimen_chosen() -> None:
    usos = choices_for({"rfc": FISICA["rfc"], "regimen_fiscal": "605"}).usos
    assert usos == ("D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "S01")
    assert "G03" not in usos  # SAT's c_UsoCFDI: G03 is not for sueldos y salarios
    assert "G03" in choices_for({"rfc": MORAL["rfc"], "regimen_fiscal": "601"}).usos


def test_the_foreign_generic_rfc_offers_616_and_s01_only() -> None:
    assert choices_for({"rfc": "XEXX010101000"}) == choices_for({"rfc": "xexx-010101-000"})
    offered = choices_for({"rfc": "XEXX010101000", "regimen_fiscal": "601"})
    assert offered.regimenes == ("616",) and offered.usos == ("S01",)


@pytest.mark.parametrize("rfc", ["", "XOJI7409", "XAXX010101000"])
def test_an_rfc_not_known_yet_or_refused_narrows_nothing(rfc: str) -> None:
    assert rfc_kind(rfc) is RfcKind.UNKNOWN
    assert choices_for({"rfc": rfc}).regimenes == tuple(sorted(catalogs.regimenes_fiscales()))


def test_cn01_and_cp01_are_never_offered_on_this_ingreso_form() -> None:
    for kind in RfcKind:
        for regimen in ("", *regimen_choices(kind)):
            usos = uso_choices(kind, regimen)
            assert "CN01" not in usos and "CP01" not in usos, (kind, regimen)
    assert "CN01" in catalogs.usos_cfdi() and "CP01" in catalogs.usos_cfdi()


@pytest.mark.parametrize("sample", [FISICA, MORAL], ids=["fisica", "moral"])
def test_every_choice_offered_passes_the_engine_and_every_regimen_withheld_fails_it(
    sample: dict[str, str],
) -> None:
    """The lists and the CFDI engine's validation never disagree (one source: its catalogs)."""
    offered = choices_for(sample).regimenes
    for regimen in catalogs.regimenes_fiscales():
        usos = choices_for({**sample, "regimen_fiscal": regimen}).usos
        if regimen not in offered:
            errors = validate_receptor({**sample, "regimen_fiscal": regimen}).errores
            assert "regimen_fiscal" in errors, regimen
            continue
        assert usos, regimen  # every régimen offered has at least one uso
        for uso in usos:
            result = validate_receptor({**sample, "regimen_fiscal": regimen, "uso_cfdi": uso})
            assert result.valido, (regimen, uso, result.errores)
        for uso in set(catalogs.usos_cfdi()) - set(usos):
            result = validate_receptor({**sample, "regimen_fiscal": regimen, "uso_cfdi": uso})
            assert "uso_cfdi" in result.errores, (regimen, uso)


def test_a_rejected_post_comes_back_with_the_lists_for_the_rfc_and_regimen_typed() -> None:
    checked = check({**FISICA, "uso_cfdi": "G03"})
    assert checked.choices == choices_for(FISICA)
    assert "601" not in checked.choices.regimenes and "G03" not in checked.choices.usos


# ---------------------------------------------------------------- one mistake, one message
def test_the_generic_rfc_gets_one_message_not_three_contradicting_it() -> None:
    checked = check({**FISICA, "rfc": "XAXX010101000"})
    assert list(checked.errors) == ["rfc"]
    [message] = checked.errors["rfc"]
    assert GENERIC_MESSAGE in message
    assert "debe ser" not in message


def test_generic_rfc_with_the_generic_name_regimen_and_uso_is_still_one_message() -> None:
    typed = {
        **FISICA,
        "rfc": "xaxx010101000",
        "nombre": "Público en General",
        "regimen_fiscal": "616",
        "uso_cfdi": "S01",
    }
    checked = check(typed)
    assert [m for ms in checked.errors.values() for m in ms] == checked.errors["rfc"]
    assert len(checked.errors["rfc"]) == 1 and GENERIC_MESSAGE in checked.errors["rfc"][0]
    assert checked.values["rfc"] == "XAXX010101000"
    assert checked.values["regimen_fiscal"] == "616"  # what was typed stays


def test_generic_rfc_does_not_fill_or_hide_the_other_fields_mistakes() -> None:
    checked = check({**FISICA, "rfc": "XAXX010101000", "nombre": "", "codigo_postal": "123"})
    assert set(checked.errors) == {"rfc", "nombre", "codigo_postal"}
    assert checked.errors["nombre"] == ["El nombre o razón social es obligatorio."]
    assert checked.values["nombre"] == ""  # not "PUBLICO EN GENERAL" put in by the engine


def test_a_regimen_that_does_not_fit_the_rfc_is_one_message_not_a_second_about_the_uso() -> None:
    checked = check({**FISICA, "regimen_fiscal": "601", "uso_cfdi": "D01"})
    assert list(checked.errors) == ["regimen_fiscal"]
    assert "solo para personas morales" in checked.errors["regimen_fiscal"][0]
    # The engine alone reports both: the uso judged against the wrong régimen.
    assert (
        "uso_cfdi"
        in validate_receptor({**FISICA, "regimen_fiscal": "601", "uso_cfdi": "D01"}).errores
    )


def test_a_uso_wrong_for_the_rfc_itself_is_still_reported_beside_a_wrong_regimen() -> None:
    checked = check({**MORAL, "regimen_fiscal": "605", "uso_cfdi": "D01"})
    assert set(checked.errors) == {"regimen_fiscal", "uso_cfdi"}
    assert "personas físicas" in checked.errors["uso_cfdi"][0]


def test_what_was_typed_is_kept_and_normalized() -> None:
    checked = check(
        {**FISICA, "rfc": " xoji-740919-u48 ", "nombre": "ingrid xodar jiménez", "email": ""}
    )
    assert checked.values["rfc"] == "XOJI740919U48"
    assert checked.values["nombre"] == "INGRID XODAR JIMÉNEZ"  # as SAT writes it, accents kept
    assert checked.errors == {"email": ["El correo es obligatorio."]}


# ---------------------------------------------------------------- mi RFC es correcto
def test_a_check_digit_off_is_a_warning_offered_for_confirmation() -> None:
    checked = check({**FISICA, "rfc": DIGIT_OFF})
    assert checked.rfc_confirmation is RfcConfirmation.OFFERED
    [message] = checked.errors["rfc"]
    assert "dígito verificador" in message
    assert set(checked.errors) == {"rfc"}


def test_a_confirmed_rfc_passes_and_the_confirmation_is_recorded() -> None:
    checked = check({**FISICA, "rfc": DIGIT_OFF, CONFIRM_FIELD: DIGIT_OFF.lower()})
    assert checked.errors == {}
    assert checked.rfc_confirmation is RfcConfirmation.GIVEN
    assert checked.fiscal_data["rfc_confirmado"] is True
    assert checked.fiscal_data["rfc"] == DIGIT_OFF


def test_a_confirmation_of_another_rfc_confirms_nothing() -> None:
    checked = check({**FISICA, "rfc": DIGIT_OFF, CONFIRM_FIELD: "XOJI740919U46"})
    assert checked.rfc_confirmation is RfcConfirmation.OFFERED and "rfc" in checked.errors


def test_a_confirmation_of_an_rfc_that_needs_none_is_not_recorded() -> None:
    checked = check({**FISICA, CONFIRM_FIELD: FISICA["rfc"]})
    assert checked.errors == {} and checked.rfc_confirmation is RfcConfirmation.NOT_NEEDED
    assert checked.fiscal_data["rfc_confirmado"] is False


def test_the_confirmed_rfc_stays_confirmed_while_other_fields_are_corrected() -> None:
    checked = check({**FISICA, "rfc": DIGIT_OFF, CONFIRM_FIELD: DIGIT_OFF, "codigo_postal": ""})
    assert set(checked.errors) == {"codigo_postal"}
    assert checked.rfc_confirmation is RfcConfirmation.GIVEN


# ---------------------------------------------------------------- the generic foreign RFC
def test_a_foreign_buyer_gets_the_sellers_cp_the_generic_rfc_requires() -> None:
    typed = {**FISICA, "rfc": "XEXX010101000", "nombre": "John Doe", "codigo_postal": ""}
    typed.update(regimen_fiscal="", uso_cfdi="")
    checked = check(typed, lugar_expedicion="42501")
    assert checked.errors == {}
    assert checked.values["codigo_postal"] == "42501"
    assert (checked.values["regimen_fiscal"], checked.values["uso_cfdi"]) == ("616", "S01")


def test_parse_form_keeps_the_confirmation_and_refuses_a_body_that_is_not_our_form() -> None:
    posted = parse_form(f"rfc={DIGIT_OFF}&{CONFIRM_FIELD}={DIGIT_OFF}&csrf=abc&otro=x")
    assert posted[CONFIRM_FIELD] == DIGIT_OFF and "otro" not in posted
    with pytest.raises(ValueError, match="too many fields"):
        parse_form("&".join(f"c{i}=x" for i in range(30)))
