"""Issuer setup, checked when a tenant is configured: every problem in Spanish, each with its own
code (and the matrix code a real PAC would answer), instead of a refusal at the first stamp."""

from __future__ import annotations

from typing import Any

import pytest

from postventa.cfdi.issuer import Issuer, ProductKeys, border_vat_refusal, validate_issuer

GOOD: dict[str, Any] = {
    "rfc": "EKU9003173C9",
    "nombre": "ESCUELA KEMPER URGATE",
    "regimen_fiscal": "601",
    "lugar_expedicion": "42501",
    "products": {"A": {"clave_prod_serv": "43211503", "clave_unidad": "H87"}},
    "payment_forms": {"paypal": "06"},
}


def codes(data: dict[str, Any]) -> dict[str, str]:
    return {p.campo: p.codigo for p in validate_issuer(data)}


def test_a_correct_setup_has_no_problems() -> None:
    assert validate_issuer(GOOD) == []
    assert validate_issuer(Issuer.model_validate(GOOD)) == []


@pytest.mark.parametrize(
    "nombre", ["Escuela Kemper Urgate, S.A. de C.V.", "ESCUELA KEMPER URGATE SA DE CV"]
)
def test_a_company_name_with_its_regimen_societario_is_a_problem(nombre: str) -> None:
    [problem] = validate_issuer({**GOOD, "nombre": nombre})
    assert (problem.campo, problem.codigo, problem.sat) == (
        "nombre",
        "nombre_con_regimen_societario",
        "CFDI40139",
    )
    assert "«ESCUELA KEMPER URGATE»" in problem.mensaje


def test_a_persona_fisica_may_be_called_what_her_name_is() -> None:
    fisica = {**GOOD, "rfc": "XIQB891116QE4", "nombre": "KARLA SA", "regimen_fiscal": "612"}
    assert validate_issuer(fisica) == []


def test_a_regimen_for_the_other_persona_type_is_a_problem() -> None:
    [problem] = validate_issuer({**GOOD, "regimen_fiscal": "612"})
    assert (problem.codigo, problem.sat) == ("regimen_no_corresponde_a_persona", "CFDI40141")
    assert "persona moral" in problem.mensaje
    fisica_in_601 = {**GOOD, "rfc": "XIQB891116QE4", "nombre": "KARLA", "regimen_fiscal": "601"}
    assert codes(fisica_in_601) == {"regimen_fiscal": "regimen_no_corresponde_a_persona"}


def test_a_regimen_outside_the_catalog_and_an_unknown_place_are_problems() -> None:
    found = codes({**GOOD, "regimen_fiscal": "609", "lugar_expedicion": "00001"})
    assert found == {
        "regimen_fiscal": "regimen_no_existe",
        "lugar_expedicion": "lugar_expedicion_no_existe",
    }


def test_every_problem_is_reported_at_once() -> None:
    data = {
        **GOOD,
        "nombre": "ACME SA DE CV",
        "regimen_fiscal": "612",
        "products": {"F": {"clave_prod_serv": "43211503", "clave_unidad": "H87", "tax": "iva8"}},
        "payment_forms": {"bitcoin": "99"},
        "fallback_forma_pago": "07",
    }
    assert codes(data) == {
        "nombre": "nombre_con_regimen_societario",
        "regimen_fiscal": "regimen_no_corresponde_a_persona",
        "products.F.tax": "iva_fronterizo_no_aplica",
        "payment_forms.bitcoin": "forma_pago_invalida",
        "fallback_forma_pago": "forma_pago_invalida",
    }


def test_malformed_fields_are_problems_in_spanish_not_an_exception() -> None:
    problems = validate_issuer({**GOOD, "rfc": "12", "lugar_expedicion": "425"})
    assert {p.campo for p in problems} == {"rfc", "lugar_expedicion"}
    assert all(p.codigo == "formato" for p in problems)
    assert "código postal de 5 dígitos" in next(
        p.mensaje for p in problems if p.campo == "lugar_expedicion"
    )


def test_forma_pago_99_is_not_for_a_paid_order() -> None:
    [problem] = validate_issuer({**GOOD, "payment_forms": {"cash": "99"}})
    assert "PPD" in problem.mensaje


class TestBorderVat:
    KEYS = ProductKeys(clave_prod_serv="43211503", clave_unidad="H87", tax="iva8")

    @pytest.mark.parametrize("lugar", ["22000", "32000", "88500", "84000", "30700"])
    def test_allowed_where_c_codigo_postal_marks_the_border_region(self, lugar: str) -> None:
        # Tijuana, Juárez, Reynosa, Nogales (norte) and Tapachula (sur)
        assert border_vat_refusal(lugar, self.KEYS) is None

    def test_refused_away_from_the_border_naming_the_place(self) -> None:
        refusal = border_vat_refusal("42501", self.KEYS)
        assert refusal is not None and "42501" in refusal and "c_CodigoPostal" in refusal

    @pytest.mark.parametrize("clave", ["43231500", "95141601", "01010101"])
    def test_refused_for_keys_the_catalog_excludes_naming_the_key(self, clave: str) -> None:
        keys = ProductKeys(clave_prod_serv=clave, clave_unidad="H87", tax="iva8")
        refusal = border_vat_refusal("22000", keys)
        assert refusal is not None and clave in refusal and "c_ClaveProdServ" in refusal

    def test_a_setup_with_iva_8_in_tijuana_is_fine(self) -> None:
        tijuana = {
            **GOOD,
            "lugar_expedicion": "22000",
            "products": {
                "F": {"clave_prod_serv": "43211503", "clave_unidad": "H87", "tax": "iva8"}
            },
        }
        assert validate_issuer(tijuana) == []
