"""`postventa cfdi build` with the two documented JSON files, and `postventa cfdi pdf`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postventa.cli import main
from tests.support.csd import eku_csd

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "tests" / "fixtures" / "cfdi" / "ingreso_3_conceptos.xml"

ORDER = {
    "tenant_id": "demo",
    "channel": "shopify",
    "order_id": "1001",
    "order_number": "#1001",
    "paid_at": "2026-11-23T10:00:00-06:00",
    "currency": "MXN",
    "lines": [
        {"sku": "TAZA-01", "description": "Taza de barro", "quantity": "2", "unit_price": "174.00"}
    ],
    "shipping": "99.00",
    "total_paid": "447.00",
    "payment_method": "credit_card",
}
TENANT = {
    "issuer": {
        "rfc": "EKU9003173C9",
        "nombre": "ESCUELA KEMPER URGATE",
        "regimen_fiscal": "601",
        "lugar_expedicion": "42501",
        "serie": "F",
        "products": {"TAZA-01": {"clave_prod_serv": "52151600", "clave_unidad": "H87"}},
    },
    "csd_certificate_path": str(eku_csd().cer_path),
    "csd_key_path": str(eku_csd().key_path),
    "csd_password": eku_csd().password,
}
RECEPTOR = {
    "rfc": "XIQB891116QE4",
    "nombre": "Karla Fuente Nolasco",
    "regimen_fiscal": "605",
    "codigo_postal": "01160",
    "uso_cfdi": "S01",
}


def _write(tmp_path: Path, order: dict, tenant: dict = TENANT) -> list[str]:
    (tmp_path / "order.json").write_text(json.dumps(order), encoding="utf-8")
    (tmp_path / "tenant.json").write_text(json.dumps(tenant), encoding="utf-8")
    return [
        "cfdi",
        "build",
        "--order",
        str(tmp_path / "order.json"),
        "--tenant",
        str(tmp_path / "tenant.json"),
        "--out",
        str(tmp_path / "out"),
    ]


def test_build_reads_the_receptor_from_order_json_and_writes_xml_and_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_write(tmp_path, {**ORDER, "receptor": RECEPTOR})) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == "447.00"
    xml = Path(summary["xml"]).read_bytes()
    assert b'Total="447.00"' in xml and b"TimbreFiscalDigital" in xml
    assert b'Nombre="KARLA FUENTE NOLASCO"' in xml
    assert Path(summary["pdf"]).read_bytes().startswith(b"%PDF")


def test_each_build_takes_the_next_folio_of_the_serie_unless_one_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _write(tmp_path, {**ORDER, "receptor": RECEPTOR})
    folios = []
    for extra in ([], [], ["--folio", "40"], []):
        assert main(args + extra) == 0
        folios.append(json.loads(capsys.readouterr().out)["folio"])
    assert folios == ["1", "2", "40", "41"]
    counters = json.loads((tmp_path / "tenant.folios.json").read_text(encoding="utf-8"))
    assert counters == {TENANT["issuer"].get("serie", "F"): 42}


def test_a_failed_build_does_not_spend_a_folio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_write(tmp_path, ORDER)) == 1  # no receptor data
    assert not (tmp_path / "tenant.folios.json").exists()


def test_build_without_receptor_data_says_what_is_missing_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_write(tmp_path, ORDER)) == 1
    error = json.loads(capsys.readouterr().err)
    assert "receptor" in error["message"]
    assert not (tmp_path / "out").exists()


def test_build_with_invalid_receptor_lists_each_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**RECEPTOR, "rfc": "XIQB891116QE5", "codigo_postal": "00999"}
    assert main(_write(tmp_path, {**ORDER, "receptor": bad})) == 1
    error = json.loads(capsys.readouterr().err)
    assert set(error["details"]) >= {"rfc", "codigo_postal"}


def test_a_confirmed_rfc_with_a_check_digit_that_does_not_match_is_invoiced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unconfirmed = {**RECEPTOR, "rfc": "XIQB891116QE5"}
    assert main(_write(tmp_path, {**ORDER, "receptor": unconfirmed})) == 1
    assert "dígito verificador" in json.loads(capsys.readouterr().err)["details"]["rfc"][0]
    confirmed = {**unconfirmed, "rfc_confirmado": True}
    assert main(_write(tmp_path, {**ORDER, "receptor": confirmed})) == 0
    xml = Path(json.loads(capsys.readouterr().out)["xml"]).read_bytes()
    assert b'Rfc="XIQB891116QE5"' in xml


def test_build_usage_shows_the_receptor_file_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cfdi", "build", "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    assert "--receptor receptor.json" in usage and "--tenant tenant.json" in usage


def test_a_real_pac_without_its_account_is_refused_not_stamped_by_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = {**TENANT, "issuer": {**TENANT["issuer"], "pac": {"name": "finkok"}}}
    assert main(_write(tmp_path, {**ORDER, "receptor": RECEPTOR}, tenant)) == 1
    error = json.loads(capsys.readouterr().err)
    assert error["error"] == "pac_autenticacion"
    assert '"finkok"' in error["message"] and "pac_credentials" in error["message"]
    assert "usuario y la contraseña de Finkok" in error["message"]
    assert not (tmp_path / "out").exists()


def test_the_pac_of_tenant_json_is_built_with_its_account_and_environment() -> None:
    from postventa.cfdi.issuer import TenantConfig
    from postventa.cfdi.pac.finkok import FinkokPac
    from postventa.cfdi.pac.sandbox import SandboxPac
    from postventa.cfdi.stamping import pac_for_tenant

    finkok = TenantConfig.model_validate(
        {
            **TENANT,
            "issuer": {**TENANT["issuer"], "pac": {"name": "finkok", "test_environment": False}},
            "pac_credentials": {"user": "cuenta@example.com", "password": "secreto"},
        }
    )
    pac = pac_for_tenant(finkok)
    assert isinstance(pac, FinkokPac)
    assert pac.credentials.environment.value == "production"
    assert pac.credentials.user == "cuenta@example.com"
    assert isinstance(pac_for_tenant(TenantConfig.model_validate(TENANT)), SandboxPac)


def test_pdf_renders_a_stamped_xml_next_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = tmp_path / "factura.xml"
    xml.write_bytes(SAMPLE.read_bytes())
    assert main(["cfdi", "pdf", str(xml)]) == 0
    assert (tmp_path / "factura.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads(capsys.readouterr().out)["pdf"].endswith("factura.pdf")


def test_pdf_of_a_missing_or_broken_file_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cfdi", "pdf", str(tmp_path / "no-existe.xml")]) == 1
    assert "No se pudo leer" in json.loads(capsys.readouterr().err)["message"]
    broken = tmp_path / "roto.xml"
    broken.write_text("<cfdi:Comprobante")
    assert main(["cfdi", "pdf", str(broken)]) == 1
    assert json.loads(capsys.readouterr().err)["message"]
