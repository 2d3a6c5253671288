"""validate_document's contract (every violation, clear errors for bad input), the PAC-message
helpers the adapters use, and the default LugarExpedicion time zones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from postventa.cfdi.validation import (
    DocumentoNoValidableError,
    default_tz_for_cp,
    field_for_code,
    inner_sat_code,
    receptor_field_for_code,
    validate_document,
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


# -- time zones ---------------------------------------------------------------------------------
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
    ],
)
def test_default_time_zone_of_a_postal_code(cp: str, zone: str) -> None:
    assert default_tz_for_cp(cp) == ZoneInfo(zone)


def test_a_tijuana_fecha_in_local_time_passes_in_summer_and_winter(kit: Any) -> None:
    # daylight saving time in Tijuana (UTC-7) in July, standard time (UTC-8) in November
    for now in (datetime(2027, 7, 1, 18, tzinfo=ZoneInfo("UTC")), kit.NOW):
        root = kit.root("ingreso")
        root.set("LugarExpedicion", "22000")
        local = now.astimezone(ZoneInfo("America/Tijuana")) - timedelta(minutes=1)
        root.set("Fecha", local.replace(tzinfo=None).isoformat(timespec="seconds"))
        assert [v.code for v in validate_document(kit.seal(root), now=now)] == []
