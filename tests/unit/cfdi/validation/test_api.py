"""validate_document's contract (every violation, clear errors for bad input, a verdict remembered
per exact bytes), the pre-send check's error, the PAC-message helpers the adapters use, and Fecha
read in the product's one time-zone mapping (postventa.cfdi.timezones)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from postventa.cfdi.validation import (
    DocumentoNoValidableError,
    MatrixRejectionError,
    Violation,
    check_before_sending,
    field_for_code,
    inner_sat_code,
    receptor_field_for_code,
    validate_document,
    violation,
)


def test_returns_every_violation_with_field_and_spanish_message(kit: Any) -> None:
    root = kit.root("ingreso")
    receptor = kit.el(root, "Receptor")
    receptor.set("UsoCFDI", "P01")
    receptor.set("RegimenFiscalReceptor", "609")
    root.set("FormaPago", "98")
    violations = validate_document(kit.seal(root), now=kit.NOW)
    assert [(v.code, v.field) for v in violations] == [
        ("CFDI40104", "Comprobante.FormaPago"),
        ("CFDI40157", "Receptor.RegimenFiscalReceptor"),
        ("CFDI40160", "Receptor.UsoCFDI"),
    ]
    assert violations[2].message == (
        "El campo UsoCFDI, no contiene un valor del catálogo c_UsoCFDI. (UsoCFDI 'P01')"
    )
    assert violations[2].detail == "UsoCFDI 'P01'"


def test_skip_leaves_out_the_named_codes(kit: Any) -> None:
    later = kit.NOW + timedelta(hours=80)
    assert [v.code for v in validate_document(kit.bases["ingreso"], now=later)] == ["401"]
    assert validate_document(kit.bases["ingreso"], now=later, skip={"401"}) == []


def test_a_parsed_element_can_be_passed_to_save_a_parse(kit: Any) -> None:
    from lxml import etree

    xml = kit.bases["ingreso"]
    assert validate_document(xml, now=kit.NOW, element=etree.fromstring(xml)) == []


def test_future_tolerance_accepts_a_skewed_clock(kit: Any) -> None:
    early = kit.NOW - timedelta(minutes=8)  # Fecha was NOW - 5 min
    assert [v.code for v in validate_document(kit.bases["ingreso"], now=early)] == ["401"]
    ok = validate_document(kit.bases["ingreso"], now=early, future_tolerance=timedelta(minutes=5))
    assert ok == []


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<no es xml", "mal formado"),
        (b"hola", "mal formado"),
        (b'<Comprobante xmlns="http://www.sat.gob.mx/cfd/3" Version="3.3"/>', "4.0"),
        (b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="3.3"/>', "4.0"),
    ],
)
def test_input_that_is_not_a_cfdi_40_gets_a_clear_error(xml: bytes, message: str) -> None:
    with pytest.raises(DocumentoNoValidableError, match=message):
        validate_document(xml, now=datetime.now(tz=ZoneInfo("UTC")))


def test_naive_clock_is_refused(kit: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_document(kit.bases["ingreso"], now=datetime(2026, 11, 20, 12))


# -- PAC messages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("301 - XML mal formado: CFDI40145 El campo Nombre del receptor...", "CFDI40145"),
        ("CFDI40148 - El campo DomicilioFiscalReceptor del receptor...", "CFDI40148"),
        ("Error: cfdi40161; La clave del campo UsoCFDI debe corresponder...", "CFDI40161"),
        ("301: CFDI140226 Cuando en el campo ObjetoImp se registre...", "CFDI140226"),
        ("[CFDI40157] El campo RegimenFiscalR... y CFDI40158", "CFDI40157"),
        ("301 - La estructura del comprobante es incorrecta", None),
        ("", None),
    ],
)
def test_inner_sat_code_pulls_the_matrix_code_out_of_a_pac_message(
    message: str, code: str | None
) -> None:
    assert inner_sat_code(message) == code


def test_field_for_code_names_what_the_pac_refused() -> None:
    assert field_for_code("CFDI40148") == "Receptor.DomicilioFiscalReceptor"
    assert field_for_code("cfdi40145 ") == "Receptor.Nombre"
    assert field_for_code("CFDI40167") == "Concepto.Importe"
    assert field_for_code("CFDI49999") is None


@pytest.mark.parametrize(
    ("code", "form_field"),
    [
        ("CFDI40143", "rfc"),
        ("CFDI40145", "nombre"),
        ("CFDI40146", "nombre"),
        ("CFDI40148", "codigo_postal"),
        ("CFDI40157", "regimen_fiscal"),
        ("CFDI40158", "regimen_fiscal"),
        ("CFDI40161", "uso_cfdi"),
        ("CFDI40150", "residencia_fiscal"),
        ("CFDI40156", "num_reg_id_trib"),
        ("CFDI40141", None),  # the seller's régimen: the tenant setup, not the buyer
        ("CFDI40167", None),
    ],
)
def test_receptor_field_for_code_maps_to_the_buyer_form(code: str, form_field: str | None) -> None:
    assert receptor_field_for_code(code) == form_field


# -- the verdict remembered per document ----------------------------------------------------
def test_the_same_bytes_are_judged_once_and_the_clock_rule_runs_every_time(
    kit: Any, judgements: list[bytes]
) -> None:
    xml = kit.bases["ingreso"]
    assert validate_document(xml, now=kit.NOW) == []
    later = kit.NOW + timedelta(hours=80)
    assert [v.code for v in validate_document(xml, now=later)] == ["401"]
    assert validate_document(xml, now=later, skip={"401"}) == []
    assert judgements == [xml]


def test_bytes_differing_in_one_byte_are_judged_in_full(kit: Any, judgements: list[bytes]) -> None:
    xml = kit.bases["ingreso"]
    tampered = xml.replace(b'Total="', b'Total="1', 1)
    assert validate_document(xml, now=kit.NOW) == []
    assert "CFDI40102" in [v.code for v in validate_document(tampered, now=kit.NOW)]
    assert judgements == [xml, tampered]


def test_a_remembered_failure_is_reported_again_with_skip_applied(
    kit: Any, judgements: list[bytes]
) -> None:
    root = kit.root("ingreso")
    root.set("FormaPago", "98")
    xml = kit.seal(root)
    assert [v.code for v in validate_document(xml, now=kit.NOW)] == ["CFDI40104"]
    assert [v.code for v in validate_document(xml, now=kit.NOW)] == ["CFDI40104"]
    assert validate_document(xml, now=kit.NOW, skip={"CFDI40104"}) == []
    assert len(judgements) == 1


def test_a_time_zone_lookup_of_the_callers_own_is_not_remembered(
    kit: Any, judgements: list[bytes]
) -> None:
    xml = kit.bases["ingreso"]
    validate_document(xml, now=kit.NOW)
    tokyo = validate_document(xml, now=kit.NOW, tz_for_cp=lambda cp: ZoneInfo("Asia/Tokyo"))
    assert [v.code for v in tokyo] == []  # 12:00 in Tokyo was hours before NOW: inside 72 h
    kiritimati = validate_document(
        xml, now=kit.NOW, tz_for_cp=lambda cp: ZoneInfo("Pacific/Kiritimati")
    )
    assert [v.code for v in kiritimati] == []
    honolulu = validate_document(
        xml, now=kit.NOW, tz_for_cp=lambda cp: ZoneInfo("Pacific/Honolulu")
    )
    assert [v.code for v in honolulu] == ["401"]  # 12:00 in Honolulu is 22:00 UTC: future
    assert len(judgements) == 4


# -- the pre-send check ---------------------------------------------------------------------
def test_the_pre_send_check_raises_with_every_violation_code_field_and_message(kit: Any) -> None:
    root = kit.root("ingreso")
    receptor = kit.el(root, "Receptor")
    receptor.set("Nombre", "PUBLICO EN GENERAL")
    receptor.set("UsoCFDI", "P01")
    with pytest.raises(MatrixRejectionError) as raised:
        check_before_sending(kit.seal(root), now=kit.NOW)
    error = raised.value
    assert [(v.code, v.field) for v in error.violations] == [
        ("CFDI40146", "Receptor.Nombre"),
        ("CFDI40160", "Receptor.UsoCFDI"),
    ]
    assert (error.sat_code, error.field, error.receptor_field) == (
        "CFDI40146",
        "Receptor.Nombre",
        "nombre",
    )
    assert error.code == "matriz_sat_incumplida" and error.status_code == 422
    assert error.message.startswith("El comprobante no cumple las reglas de validación del SAT")
    assert "XAXX010101000" in error.message and "(y 1 más)" in error.message
    assert error.details == {"violations": [v.as_dict() for v in error.violations]}
    assert error.details["violations"][1]["receptor_field"] == "uso_cfdi"


def test_the_pre_send_check_waives_only_what_it_is_told(kit: Any) -> None:
    later = kit.NOW + timedelta(hours=73)
    with pytest.raises(MatrixRejectionError) as raised:
        check_before_sending(kit.bases["ingreso"], now=later)
    assert raised.value.sat_code == "401" and raised.value.field == "Comprobante.Fecha"
    assert raised.value.receptor_field is None
    check_before_sending(kit.bases["ingreso"], now=later, skip={"401"})


def test_a_violation_of_a_table_rule_carries_sats_field_and_message() -> None:
    found = violation("CFDI40145", "JUAN PEREZ")
    assert found == Violation(
        "CFDI40145",
        "Receptor.Nombre",
        "El campo Nombre del receptor, debe pertenecer al nombre asociado al RFC registrado en el "
        "campo Rfc del Receptor. (JUAN PEREZ)",
        "JUAN PEREZ",
    )
    assert found.receptor_field == "nombre"
    assert violation("CFDI40141").receptor_field is None  # the seller's régimen


# -- Fecha at LugarExpedicion: the product's one time-zone mapping ---------------------------
@pytest.mark.parametrize(
    ("cp", "zone"),
    [
        ("22000", "America/Tijuana"),  # Tijuana, "Tiempo del Noroeste"
        ("83000", "America/Hermosillo"),  # Hermosillo: Pacífico without daylight saving
        ("82000", "America/Mazatlan"),  # Mazatlán, "Tiempo del Pacífico"
        ("23000", "America/Mazatlan"),  # La Paz, BCS (not Bolivia)
        ("77500", "America/Cancun"),  # "Tiempo del Sureste"
        ("06600", "America/Mexico_City"),
        ("32000", "America/Ciudad_Juarez"),  # Ciudad Juárez
        ("88500", "America/Matamoros"),  # Reynosa, "Tiempo del Centro en Frontera"
        # Where c_CodigoPostal's labels predate Chihuahua's reform of 2022-11-30 the law decides
        # (docs/decisions/0007): Ascensión is on Mountain time with US daylight saving, not on
        # Matamoros's clock as its "Centro en Frontera" label reads; Ojinaga follows the US
        # calendar on Central time, an hour ahead of Mexico City in summer.
        ("31820", "America/Ciudad_Juarez"),
        ("32880", "America/Ojinaga"),
    ],
)
def test_fecha_is_read_in_the_local_time_of_the_place_of_issue(
    kit: Any, cp: str, zone: str
) -> None:
    """A Fecha written at the place's local time one minute ago, and one 71 h 59 min ago, both
    pass in summer and in winter: read one hour off either way, one of them would not (401)."""
    for now in (datetime(2027, 7, 1, 18, tzinfo=ZoneInfo("UTC")), kit.NOW):
        local_now = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        for age in (timedelta(minutes=1), timedelta(hours=71, minutes=59)):
            root = kit.root("ingreso")
            root.set("LugarExpedicion", cp)
            root.set("Fecha", (local_now - age).isoformat(timespec="seconds"))
            # 305 waived: the kit's CSD starts at NOW, after a Fecha 72 hours earlier
            found = validate_document(kit.seal(root), now=now, skip={"305"})
            assert found == [], (cp, now, age)


def test_a_place_of_issue_outside_the_catalog_is_cfdi40126_and_its_clock_is_not_guessed(
    kit: Any,
) -> None:
    root = kit.root("ingreso")
    root.set("LugarExpedicion", "00001")
    root.set("Fecha", "2026-11-25T12:00:00")  # in the future at any Mexican place
    assert [v.code for v in validate_document(kit.seal(root), now=kit.NOW)] == ["CFDI40126"]
