"""The customer record's rules: persona names, RFC by persona type, emails, SAT catalogs; how a
billing form's name is split; what the search index holds and how a query reads it."""

from __future__ import annotations

from typing import Any

import pytest

from postventa.domain.customers import (
    Customer,
    CustomerData,
    CustomerQuery,
    PersonType,
    diff,
    driving_condition,
    fold,
    index_terms,
    is_rename,
    matches,
    problems,
    split_full_name,
)

MORAL = {"tipo_persona": "moral", "nombre": "ESCUELA KEMPER URGATE", "rfc": "EKU9003173C9"}
FISICA = {
    "tipo_persona": "fisica",
    "nombre": "María Fernanda González Ruiz",
    "primer_nombre": "María",
    "segundo_nombre": "Fernanda",
    "primer_apellido": "González",
    "segundo_apellido": "Ruiz",
    "rfc": "GORM850101AB1",
}


def _problems(base: dict[str, Any], **changes: Any) -> dict[str, str]:
    return problems(CustomerData.model_validate({**base, **changes}))


def test_a_complete_moral_and_fisica_have_no_problems() -> None:
    assert _problems(MORAL, regimen_fiscal="601", uso_cfdi="G03", codigo_postal="42501") == {}
    assert _problems(FISICA, regimen_fiscal="612", uso_cfdi="G03") == {}


def test_a_fisica_needs_four_of_the_five_name_fields() -> None:
    assert _problems(FISICA, segundo_nombre="") == {}  # 4 of 5
    found = _problems(FISICA, segundo_nombre="", segundo_apellido="")
    assert "al menos 4 de estos 5" in found["primer_nombre"]


def test_a_moral_or_otro_has_one_name_only() -> None:
    assert "razón social" in _problems(MORAL, nombre="")["nombre"]
    assert "un solo nombre" in _problems(MORAL, primer_apellido="Pérez")["primer_nombre"]


@pytest.mark.parametrize(
    ("base", "changes", "fragment"),
    [
        (MORAL, {"rfc": "GORM850101AB1"}, "persona moral tiene 12"),
        (FISICA, {"rfc": "EKU9003173C9"}, "persona física tiene 13"),
        (MORAL, {"rfc": "XAXX010101000"}, "genérico"),
        (MORAL, {"rfc": "EKU90031"}, "caracteres"),
    ],
)
def test_the_rfc_fits_the_persona_type(
    base: dict[str, Any], changes: dict[str, Any], fragment: str
) -> None:
    assert fragment in _problems(base, **changes)["rfc"]


def test_otro_may_carry_a_generic_rfc() -> None:
    assert (
        _problems(MORAL, tipo_persona="otro", nombre="CLIENTE EXTRANJERO", rfc="XEXX010101000")
        == {}
    )


def test_emails_and_notify_lists_are_checked() -> None:
    assert "email" in _problems(MORAL, email="no-es-correo")
    assert "emails_notificar" in _problems(MORAL, emails_notificar=["ok@x.example", "mal"])
    repeated = _problems(MORAL, email="a@x.example", emails_notificar=["A@x.example"])
    assert "ya recibe" in repeated["emails_notificar"]


def test_billing_settings_follow_sats_catalogs() -> None:
    assert "612" in _problems(MORAL, regimen_fiscal="612")["regimen_fiscal"]  # física only
    assert "no aplica" in _problems(MORAL, regimen_fiscal="601", uso_cfdi="D01")["uso_cfdi"]
    assert "PPD" in _problems(MORAL, forma_pago="99", metodo_pago="PUE")["forma_pago"]
    assert "catálogo" in _problems(MORAL, codigo_postal="00001")["codigo_postal"]


def test_a_form_name_is_split_keeping_particles_with_their_word() -> None:
    assert split_full_name("JUAN CARLOS DE LA CRUZ PEREZ") == {
        "primer_nombre": "JUAN",
        "segundo_nombre": "CARLOS",
        "primer_apellido": "DE LA CRUZ",
        "segundo_apellido": "PEREZ",
    }
    assert split_full_name("ANA LOPEZ")["primer_apellido"] == "LOPEZ"


def test_index_terms_hold_every_searchable_value_folded() -> None:
    data = CustomerData.model_validate(
        {
            **FISICA,
            "email": "Maria@Example.com",
            "emails_notificar": ["pagos@example.com"],
            "celular": "(55) 1234-5678",
            "zona": "Norte Ñ",
            "facturacion_habilitada": False,
        }
    )
    terms = index_terms(data)
    assert ("palabra", "MARIA") in terms and ("palabra", "GONZALEZ") in terms
    assert {("email", "maria@example.com"), ("email", "pagos@example.com")} <= terms
    assert ("telefono", "5512345678") in terms
    assert ("zona", "NORTE N") in terms
    assert ("facturacion", "NO") in terms
    assert ("orden", "") in terms


def test_a_query_reads_its_most_selective_condition() -> None:
    query = CustomerQuery(texto="gonzález ruiz", zona="norte", regimen_fiscal="612")
    conditions = query.conditions()
    assert ("palabra", "GONZALEZ", True) in conditions and ("zona", "NORTE", False) in conditions
    assert driving_condition(conditions)[0] == "palabra"
    assert driving_condition(CustomerQuery(texto="GORM85").conditions()) == ("rfc", "GORM85", True)
    assert driving_condition(CustomerQuery(texto="55 1234").conditions())[0] == "telefono"
    assert driving_condition([]) == ("orden", "", True)


def test_matches_checks_every_condition() -> None:
    customer = Customer(
        **CustomerData.model_validate({**FISICA, "zona": "Norte"}).model_dump(),
        tenant_id="t",
        customer_id="1",
        created_at="x",
        updated_at="x",
    )
    assert matches(customer, CustomerQuery(texto="gonz ruiz", zona="NORTE").conditions())
    assert not matches(customer, CustomerQuery(texto="gonz", zona="sur").conditions())
    assert not matches(customer, CustomerQuery(texto="perez").conditions())


def test_diff_and_rename() -> None:
    before = CustomerData.model_validate(MORAL)
    after = before.model_copy(update={"nombre": "KEMPER", "zona": "Sur"})
    changes = {c.campo: (c.antes, c.despues) for c in diff(before.model_dump(), after.model_dump())}
    assert changes == {"nombre": ("ESCUELA KEMPER URGATE", "KEMPER"), "zona": ("", "Sur")}
    assert is_rename(before, after)
    assert not is_rename(before, before.model_copy(update={"zona": "Sur"}))
    assert fold("  Ñandú  GARCÍA ") == "NANDU GARCIA"
    assert PersonType("otro") is PersonType.OTRO
