"""validate_receptor: every CFDI 4.0 buyer rule we can check offline, by class of rule."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from postventa.cfdi.catalogs import regimenes_fiscales, usos_cfdi
from postventa.cfdi.errors import ReceptorInvalidError
from postventa.cfdi.receptor import (
    FIELDS,
    RFC_DIGITO_VERIFICADOR,
    Receptor,
    ReceptorResult,
    receptor_publico_en_general,
    require_receptor,
    validate_receptor,
)
from postventa.cfdi.rfc import TipoPersona

MORAL_RFC = "EKU9003173C9"
FISICA_RFC = "CACX7605101P8"


def moral(**overrides: Any) -> dict[str, Any]:
    data = {
        "rfc": MORAL_RFC,
        "nombre": "ESCUELA KEMPER URGATE",
        "regimen_fiscal": "601",
        "codigo_postal": "42501",
        "uso_cfdi": "G03",
    }
    return {**data, **overrides}


def fisica(**overrides: Any) -> dict[str, Any]:
    data = {
        "rfc": FISICA_RFC,
        "nombre": "XOCHILT CASAS CHAVEZ",
        "regimen_fiscal": "612",
        "codigo_postal": "06600",
        "uso_cfdi": "G03",
    }
    return {**data, **overrides}


def errors(data: dict[str, Any], **context: Any) -> dict[str, list[str]]:
    return validate_receptor(data, **context).errores


class TestValidReceptors:
    def test_persona_moral_is_normalized(self) -> None:
        result = validate_receptor(
            moral(rfc=" eku-900317-3c9 ", nombre="Escuela Kemper Urgate, S.A. de C.V.")
        )
        assert result.valido and result.errores == {}
        assert result.receptor == Receptor(
            rfc="EKU9003173C9",
            nombre="ESCUELA KEMPER URGATE",
            regimen_fiscal="601",
            codigo_postal="42501",
            uso_cfdi="G03",
        )
        assert result.tipo_persona is TipoPersona.MORAL
        assert result.receptor.tipo_persona is TipoPersona.MORAL

    def test_persona_fisica_keeps_a_name_that_looks_like_a_regime(self) -> None:
        result = validate_receptor(fisica(nombre="juan sa"))
        assert result.receptor is not None
        assert result.receptor.nombre == "JUAN SA"
        assert result.receptor.tipo_persona is TipoPersona.FISICA

    def test_catalog_values_typed_with_their_description_are_accepted(self) -> None:
        result = validate_receptor(
            fisica(regimen_fiscal="612 - Personas Físicas con Actividades", uso_cfdi="g03 Gastos")
        )
        assert result.receptor is not None
        assert (result.receptor.regimen_fiscal, result.receptor.uso_cfdi) == ("612", "G03")

    def test_numbers_as_values_are_read_as_text(self) -> None:
        result = validate_receptor(fisica(regimen_fiscal=612, codigo_postal=44100))
        assert result.valido

    def test_email_domain_is_lowercased(self) -> None:
        result = validate_receptor(fisica(email="  Ana.Lopez@Example.COM "))
        assert result.receptor is not None and result.receptor.email == "Ana.Lopez@example.com"

    def test_accepts_a_pydantic_model_as_input(self) -> None:
        source = Receptor.model_validate(fisica())
        assert validate_receptor(source).receptor == source

    def test_receptor_is_frozen(self) -> None:
        receptor = require_receptor(fisica())
        with pytest.raises(ValidationError):
            receptor.rfc = MORAL_RFC  # type: ignore[misc]


class TestEveryProblemAtOnce:
    def test_all_fields_reported_in_one_result(self) -> None:
        result = validate_receptor(
            {
                "rfc": "EKU900317",
                "nombre": "A|B",
                "regimen_fiscal": "999",
                "codigo_postal": "17000",
                "uso_cfdi": "P01",
                "email": "no-es-correo",
            }
        )
        assert not result.valido and result.receptor is None
        assert set(result.errores) == {
            "rfc",
            "nombre",
            "regimen_fiscal",
            "codigo_postal",
            "uso_cfdi",
            "email",
        }
        assert result.normalizado["rfc"] == "EKU900317"

    def test_empty_input_says_what_is_required(self) -> None:
        result = validate_receptor({})
        assert result.errores == {
            "rfc": ["El RFC es obligatorio."],
            "nombre": ["El nombre o razón social es obligatorio."],
            "codigo_postal": ["El código postal es obligatorio."],
            "regimen_fiscal": ["El régimen fiscal es obligatorio."],
            "uso_cfdi": ["El uso del CFDI es obligatorio."],
        }

    def test_to_dict_shape(self) -> None:
        body = validate_receptor(moral(uso_cfdi="D01")).to_dict()
        assert body["valido"] is False
        assert body["receptor"]["rfc"] == MORAL_RFC and body["receptor"]["tipo_persona"] == "moral"
        assert set(body["receptor"]) == {*FIELDS, "tipo_persona"}
        assert list(body["errores"]) == ["uso_cfdi"]

    def test_require_receptor_raises_with_every_problem(self) -> None:
        with pytest.raises(ReceptorInvalidError) as caught:
            require_receptor(moral(rfc="EKU9003173C8", codigo_postal="1700"))
        assert set(caught.value.problems) == {"rfc", "codigo_postal"}
        assert caught.value.to_dict()["details"] == caught.value.problems
        assert caught.value.status_code == 422

    @settings(max_examples=150, deadline=None)
    @given(
        st.dictionaries(
            st.sampled_from(FIELDS),
            st.one_of(st.text(max_size=40), st.integers(), st.none(), st.floats(allow_nan=True)),
        ),
        st.booleans(),
        st.one_of(st.none(), st.text(max_size=6)),
    )
    def test_never_raises_on_arbitrary_input(
        self, data: dict[str, Any], es_global: bool, lugar: str | None
    ) -> None:
        result = validate_receptor(data, es_global=es_global, lugar_expedicion=lugar)
        assert isinstance(result, ReceptorResult)
        assert result.valido == (result.receptor is not None)
        assert all(messages for messages in result.errores.values())


class TestRfcThroughTheValidator:
    def test_length_message(self) -> None:
        assert errors(moral(rfc="EKU9003173C"))["rfc"] == [
            "El RFC tiene 11 caracteres; debe tener 12 (persona moral) o 13 (persona física)."
        ]

    def test_a_wrong_check_digit_is_a_warning_under_rfc_with_its_own_code(self) -> None:
        result = validate_receptor(moral(rfc="EKU9003173C8"))
        assert result.errores == {}
        [warning] = result.advertencias["rfc"]
        assert warning.codigo == RFC_DIGITO_VERIFICADOR == "rfc_digito_verificador"
        assert warning.mensaje.startswith("El dígito verificador del RFC no corresponde")
        assert not warning.confirmada
        # it blocks until the buyer confirms: no Receptor to invoice with yet
        assert not result.valido and result.requiere_confirmacion and result.receptor is None
        assert result.to_dict()["advertencias"]["rfc"][0]["codigo"] == "rfc_digito_verificador"

    def test_the_buyer_confirms_the_rfc_and_the_receptor_is_accepted(self) -> None:
        result = validate_receptor(moral(rfc="EKU9003173C8"), rfc_confirmado=True)
        assert result.valido and not result.requiere_confirmacion
        assert result.receptor is not None and result.receptor.rfc == "EKU9003173C8"
        assert result.advertencias["rfc"][0].confirmada  # still reported, now confirmed

    def test_an_unconfirmed_warning_makes_require_receptor_raise_with_it(self) -> None:
        with pytest.raises(ReceptorInvalidError) as raised:
            require_receptor(moral(rfc="EKU9003173C8"))
        assert "rfc" in raised.value.problems
        assert require_receptor(moral(rfc="EKU9003173C8"), rfc_confirmado=True).rfc == (
            "EKU9003173C8"
        )

    def test_confirming_does_not_hide_real_errors(self) -> None:
        result = validate_receptor(
            moral(rfc="EKU9003173C8", regimen_fiscal="612"), rfc_confirmado=True
        )
        assert set(result.errores) == {"regimen_fiscal"} and not result.valido

    def test_a_decomposed_enye_is_one_letter_through_the_validator(self) -> None:
        result = validate_receptor(fisica(rfc="MUN\u0303O800101AB1"))
        assert result.normalizado["rfc"] == "MUÑO800101AB1"
        assert "rfc" not in result.errores


class TestGenericRfcs:
    def test_xaxx_in_a_nominative_invoice_is_an_error(self) -> None:
        found = errors(
            fisica(
                rfc="XAXX010101000",
                nombre="PUBLICO EN GENERAL",
                regimen_fiscal="616",
                uso_cfdi="S01",
            ),
            lugar_expedicion="06600",
        )
        assert list(found) == ["rfc"]
        assert "solo se usa en la factura global" in found["rfc"][0]

    def test_global_invoice_fills_the_only_valid_values(self) -> None:
        receptor = receptor_publico_en_general("06600")
        assert receptor.model_dump(exclude_none=True) == {
            "rfc": "XAXX010101000",
            "nombre": "PUBLICO EN GENERAL",
            "regimen_fiscal": "616",
            "codigo_postal": "06600",
            "uso_cfdi": "S01",
        }
        assert receptor.es_publico_en_general

    def test_global_name_accents_and_case_are_normalized(self) -> None:
        result = validate_receptor(
            {"rfc": "xaxx010101000", "nombre": "Público en general."},
            es_global=True,
            lugar_expedicion="06600",
        )
        assert result.receptor is not None and result.receptor.nombre == "PUBLICO EN GENERAL"

    def test_global_with_wrong_values_reports_each(self) -> None:
        found = errors(
            {
                "rfc": "XAXX010101000",
                "nombre": "MOSTRADOR",
                "regimen_fiscal": "612",
                "codigo_postal": "01000",
                "uso_cfdi": "G03",
            },
            es_global=True,
            lugar_expedicion="06600",
        )
        assert found == {
            "nombre": [
                "Con el RFC genérico XAXX010101000 el nombre debe ser exactamente "
                '"PUBLICO EN GENERAL".'
            ],
            "codigo_postal": [
                "Con el RFC genérico XAXX010101000 el código postal debe ser el del lugar de "
                "expedición (06600)."
            ],
            "regimen_fiscal": [
                "Con el RFC genérico XAXX010101000 el régimen fiscal debe ser 616 "
                "(Sin obligaciones fiscales)."
            ],
            "uso_cfdi": [
                "Con el RFC genérico XAXX010101000 el uso del CFDI debe ser S01 "
                "(Sin efectos fiscales)."
            ],
        }

    def test_global_invoice_needs_xaxx(self) -> None:
        found = errors(fisica(), es_global=True, lugar_expedicion="06600")
        assert "XAXX010101000" in found["rfc"][0]

    def test_global_without_lugar_expedicion_needs_the_cp(self) -> None:
        assert errors({}, es_global=True) == {"codigo_postal": ["El código postal es obligatorio."]}

    def test_lugar_expedicion_must_be_in_the_catalog(self) -> None:
        assert "lugar_expedicion" in errors({}, es_global=True, lugar_expedicion="17000")

    def test_foreign_buyer_with_defaults(self) -> None:
        result = validate_receptor(
            {
                "rfc": "XEXX010101000",
                "nombre": "John Smith",
                "residencia_fiscal": "usa",
                "num_reg_id_trib": "123456789",
            },
            lugar_expedicion="06600",
        )
        assert result.receptor is not None
        assert result.receptor.model_dump() == {
            "rfc": "XEXX010101000",
            "nombre": "JOHN SMITH",
            "regimen_fiscal": "616",
            "codigo_postal": "06600",
            "uso_cfdi": "S01",
            "email": None,
            "residencia_fiscal": "USA",
            "num_reg_id_trib": "123456789",
        }
        assert result.receptor.es_extranjero

    def test_foreign_names_keep_their_suffixes(self) -> None:
        receptor = require_receptor(
            {"rfc": "XEXX010101000", "nombre": "ACME SA"}, lugar_expedicion="06600"
        )
        assert receptor.nombre == "ACME SA"

    def test_foreign_buyer_rules(self) -> None:
        found = errors(
            {
                "rfc": "XEXX010101000",
                "nombre": "JOHN",
                "regimen_fiscal": "601",
                "codigo_postal": "01000",
                "uso_cfdi": "G01",
            },
            lugar_expedicion="06600",
        )
        assert set(found) == {"regimen_fiscal", "codigo_postal", "uso_cfdi"}

    def test_foreign_buyer_in_a_global_invoice_is_an_error(self) -> None:
        found = errors(
            {"rfc": "XEXX010101000", "nombre": "JOHN"}, es_global=True, lugar_expedicion="06600"
        )
        assert list(found) == ["rfc"]

    def test_residencia_fiscal_only_for_foreign_buyers(self) -> None:
        found = errors(fisica(residencia_fiscal="USA", num_reg_id_trib="123"))
        assert set(found) == {"residencia_fiscal", "num_reg_id_trib"}

    @pytest.mark.parametrize(
        ("residencia", "fragment"), [("MEX", "no puede ser México"), ("XYZ", "no existe")]
    )
    def test_residencia_fiscal_must_be_a_foreign_country(
        self, residencia: str, fragment: str
    ) -> None:
        found = errors(
            {"rfc": "XEXX010101000", "nombre": "JOHN", "residencia_fiscal": residencia},
            lugar_expedicion="06600",
        )
        assert fragment in found["residencia_fiscal"][0]

    def test_num_reg_id_trib_needs_a_residencia(self) -> None:
        found = errors(
            {"rfc": "XEXX010101000", "nombre": "JOHN", "num_reg_id_trib": "123"},
            lugar_expedicion="06600",
        )
        assert list(found) == ["residencia_fiscal"]


class TestRegimen:
    @pytest.mark.parametrize("clave", ["999", "609", "628", "630", "abc"])
    def test_unknown_in_cfdi_40(self, clave: str) -> None:
        assert (
            "no existe en el catálogo" in errors(fisica(regimen_fiscal=clave))["regimen_fiscal"][0]
        )

    def test_moral_regimen_with_a_fisica_rfc(self) -> None:
        assert errors(fisica(regimen_fiscal="601")) == {
            "regimen_fiscal": [
                "El régimen 601 (General de Ley Personas Morales) es solo para personas morales; "
                "el RFC de 13 caracteres es de persona física."
            ]
        }

    def test_fisica_regimen_with_a_moral_rfc(self) -> None:
        found = errors(moral(regimen_fiscal="612"))
        assert "es solo para personas físicas" in found["regimen_fiscal"][0]

    @pytest.mark.parametrize("factory", [moral, fisica])
    def test_626_fits_both_persona_types(self, factory: Any) -> None:
        assert validate_receptor(factory(regimen_fiscal="626")).valido


class TestUso:
    def test_uso_not_allowed_for_regimen_616(self) -> None:
        found = errors(fisica(regimen_fiscal="616", uso_cfdi="G03"))
        assert found["uso_cfdi"] == [
            "El uso G03 no está permitido para el régimen 616 (Sin obligaciones fiscales). "
            "Usos permitidos para ese régimen: G02, S01."
        ]

    def test_616_with_s01_is_valid(self) -> None:
        assert validate_receptor(fisica(regimen_fiscal="616", uso_cfdi="S01")).valido

    def test_g03_not_for_605(self) -> None:
        message = errors(fisica(regimen_fiscal="605", uso_cfdi="G03"))["uso_cfdi"][0]
        assert message.startswith("El uso G03 no está permitido para el régimen 605")
        assert "D01" in message and "CN01" not in message and "CP01" not in message

    def test_deduccion_personal_for_a_persona_moral(self) -> None:
        assert errors(moral(uso_cfdi="D01")) == {
            "uso_cfdi": [
                "El uso D01 (Honorarios médicos, dentales y gastos hospitalarios) solo aplica a "
                "personas físicas; el RFC es de persona moral."
            ]
        }

    def test_p01_has_its_own_message(self) -> None:
        assert "ya no existe en CFDI 4.0" in errors(fisica(uso_cfdi="P01"))["uso_cfdi"][0]

    def test_unknown_uso(self) -> None:
        assert "no existe en el catálogo" in errors(fisica(uso_cfdi="G99"))["uso_cfdi"][0]

    def test_cp01_only_in_payment_receipts(self) -> None:
        assert "comprobantes de pago" in errors(fisica(uso_cfdi="CP01"))["uso_cfdi"][0]
        assert validate_receptor(fisica(uso_cfdi="CP01"), tipo_comprobante="P").valido
        assert "CP01" in errors(fisica(uso_cfdi="G03"), tipo_comprobante="P")["uso_cfdi"][0]

    def test_cn01_only_in_payroll(self) -> None:
        assert "nómina" in errors(fisica(regimen_fiscal="605", uso_cfdi="CN01"))["uso_cfdi"][0]

    def test_unknown_tipo_comprobante_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError):
            validate_receptor(fisica(), tipo_comprobante="X")  # type: ignore[arg-type]


def _matrix_cases() -> list[tuple[str, str]]:
    return [(r, u) for r in sorted(regimenes_fiscales()) for u in sorted(usos_cfdi())]


@pytest.mark.parametrize(("regimen", "uso"), _matrix_cases())
def test_every_regimen_uso_pair_follows_the_catalog(regimen: str, uso: str) -> None:
    """Through the whole validator, for an RFC of each persona type the régimen admits."""
    row_r, row_u = regimenes_fiscales()[regimen], usos_cfdi()[uso]
    for tipo, factory in ((TipoPersona.FISICA, fisica), (TipoPersona.MORAL, moral)):
        if not (row_r.fisica if tipo is TipoPersona.FISICA else row_r.moral):
            continue
        persona_ok = row_u.fisica if tipo is TipoPersona.FISICA else row_u.moral
        expected = persona_ok and regimen in row_u.regimenes and uso not in ("CP01", "CN01")
        result = validate_receptor(factory(regimen_fiscal=regimen, uso_cfdi=uso))
        assert result.valido is expected, (regimen, uso, tipo, result.errores)


class TestCodigoPostal:
    def test_four_digits_hint_the_leading_zero(self) -> None:
        assert errors(fisica(codigo_postal="6600")) == {
            "codigo_postal": [
                "El código postal debe tener 5 dígitos (no omitas el cero inicial, por ejemplo "
                "06600)."
            ]
        }

    @pytest.mark.parametrize("cp", ["066000", "0660A", "CP06600"])
    def test_not_five_digits(self, cp: str) -> None:
        assert errors(fisica(codigo_postal=cp)) == {
            "codigo_postal": ["El código postal debe tener 5 dígitos."]
        }

    def test_not_in_catalog(self) -> None:
        assert errors(fisica(codigo_postal="17000")) == {
            "codigo_postal": [
                "El código postal 17000 no existe en el catálogo del SAT (c_CodigoPostal)."
            ]
        }

    def test_inner_spaces_removed(self) -> None:
        result = validate_receptor(fisica(codigo_postal=" 06 600 "))
        assert result.receptor is not None and result.receptor.codigo_postal == "06600"


class TestEmail:
    @pytest.mark.parametrize(
        "email",
        [
            "ana@example.com",
            "ana.lopez+facturas@sub.example.com.mx",
            "a_b-c@ex-ample.mx",
            "x@xn--bcher-kva.ch",
        ],
    )
    def test_valid(self, email: str) -> None:
        assert validate_receptor(fisica(email=email)).valido

    @pytest.mark.parametrize(
        ("email", "fragment"),
        [
            ("ana.example.com", "le falta la @"),
            ("ana @example.com", "espacios"),
            ("ana@example", "no es válido"),
            ("ana@@example.com", "no es válido"),
            ("ana..lopez@example.com", "no es válido"),
            (".ana@example.com", "no es válido"),
            ("ana@-example.com", "no es válido"),
            ("ana@example.c", "no es válido"),
            ("ñandú@example.com", "no es válido"),
            ("a" * 65 + "@example.com", "no es válido"),
            ("a@" + "b" * 250 + ".com", "el máximo es 254"),
        ],
    )
    def test_invalid(self, email: str, fragment: str) -> None:
        messages = errors(fisica(email=email))["email"]
        assert len(messages) == 1 and fragment in messages[0]

    def test_empty_email_is_optional(self) -> None:
        result = validate_receptor(fisica(email="  "))
        assert result.receptor is not None and result.receptor.email is None


def test_receptor_module_does_not_import_satcfdi_or_boto3() -> None:
    code = (
        "import sys; from postventa.cfdi.receptor import validate_receptor;"
        "validate_receptor({'rfc': 'EKU9003173C9'});"
        "bad = [m for m in ('satcfdi', 'boto3', 'lxml') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class TestGenericNamesAndForeignTaxIds:
    def test_a_real_rfc_named_publico_en_general_is_refused(self) -> None:
        # no taxpayer is registered as PUBLICO EN GENERAL: the PAC's name check would fail
        for nombre in ("PUBLICO EN GENERAL", "Público en General"):
            found = errors(fisica(nombre=nombre))
            assert list(found) == ["nombre"], nombre
            assert "XAXX010101000" in found["nombre"][0]

    @pytest.mark.parametrize("pais", ["USA", "CAN"])
    def test_num_reg_id_trib_follows_the_format_c_pais_publishes(self, pais: str) -> None:
        base = {"rfc": "XEXX010101000", "nombre": "JOHN DOE", "residencia_fiscal": pais}
        ok = validate_receptor({**base, "num_reg_id_trib": "123456789"}, lugar_expedicion="06600")
        assert ok.valido and ok.receptor is not None
        assert ok.receptor.num_reg_id_trib == "123456789"
        bad = errors({**base, "num_reg_id_trib": "12345678"}, lugar_expedicion="06600")
        assert list(bad) == ["num_reg_id_trib"]
        assert "9 dígitos" in bad["num_reg_id_trib"][0]

    def test_separators_typed_in_a_digits_only_tax_id_are_dropped(self) -> None:
        result = validate_receptor(
            {
                "rfc": "XEXX010101000",
                "nombre": "ACME INC",
                "residencia_fiscal": "USA",
                "num_reg_id_trib": "12-3456789",
            },
            lugar_expedicion="06600",
        )
        assert result.valido and result.normalizado["num_reg_id_trib"] == "123456789"

    def test_a_country_without_a_published_format_takes_any_tax_id(self) -> None:
        result = validate_receptor(
            {
                "rfc": "XEXX010101000",
                "nombre": "HANS MULLER",
                "residencia_fiscal": "DEU",
                "num_reg_id_trib": "DE 123/456/78901",
            },
            lugar_expedicion="06600",
        )
        assert result.valido
