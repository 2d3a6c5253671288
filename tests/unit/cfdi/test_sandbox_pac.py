"""Sandbox PAC: real checks (XSD, then SAT's validation matrix: sello, certificate, 72 h...), TFD
signed by a PAC cert, idempotent duplicates, fault injection, folio balance, cancel/status with
SAT acceptance rules; and the stamping path's pre-send check in front of it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from postventa.cfdi import certs, seal
from postventa.cfdi.build import PlainReceptor
from postventa.cfdi.errors import PacDataRejectedError, PacNoCreditError, PacTransientError
from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys
from postventa.cfdi.pac.base import (
    CancellationMotivo,
    CancellationRequest,
    CancellationStatus,
    CfdiState,
)
from postventa.cfdi.pac.sandbox import FaultInjection, InMemorySandboxStore, SandboxPac
from postventa.cfdi.stamping import seal_and_validate, stamp_order
from postventa.cfdi.validation import MatrixRejectionError
from postventa.domain.orders import Order
from tests.support.csd import eku_csd

NOW = datetime(2024, 5, 2, 18, 0, tzinfo=UTC)  # 12:00 in CP 42501
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={"A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87")},
)
BUYER = PlainReceptor("XIQB891116QE4", "KARLA FUENTE NOLASCO", "605", "01160", "S01")
# the test CSD is valid from the day the suite runs, not at these 2024 dates: the sandbox's
# certificate validity check is on only where a test says so
SAT_CSD = eku_csd().credentials()


@cache
def pac_cert() -> certs.TestCertificate:
    return certs.generate_pac_certificate()


def order(total: str = "2320.00", oid: str = "1") -> Order:
    return Order(
        tenant_id="t1",
        channel="mercadolibre",
        order_id=oid,
        paid_at=NOW,
        lines=[{"sku": "A", "description": "Silla", "quantity": 1, "unit_price": total}],
        total_paid=D(total),
        payment_method="account_money",
    )


def pac(**kw: Any) -> SandboxPac:
    kw.setdefault("check_certificate_validity", False)
    return SandboxPac(pac_certificate=pac_cert(), clock=lambda: NOW, **kw)


def stamp(p: SandboxPac, o: Order | None = None, **kw: Any) -> Any:
    return stamp_order(
        o or order(),
        ISSUER,
        kw.pop("receptor", BUYER),
        kw.pop("csd", SAT_CSD),
        p,
        folio=kw.pop("folio", 1),
        fecha=kw.pop("fecha", NOW - timedelta(minutes=5)),
    )


def test_stamp_adds_a_tfd_whose_sello_sat_verifies_with_the_pac_certificate() -> None:
    from satcfdi.cfdi import CFDI
    from satcfdi.models import Certificate

    p = pac()
    result = stamp(p)
    root = etree.fromstring(result.xml)
    tfd = root.find(f".//{TFD}")
    assert tfd is not None
    assert tfd.get("UUID") == result.uuid
    assert tfd.get("SelloCFD") == root.get("Sello")
    assert tfd.get("RfcProvCertif") == certs.SANDBOX_PAC_RFC
    assert tfd.get("NoCertificadoSAT") == pac_cert().no_certificado == result.no_certificado_sat
    tfd_obj = CFDI.from_xml(tfd)
    cert = Certificate.load_certificate(pac_cert().certificate)
    assert cert.verify_sha256(
        tfd_obj.cadena_original().encode(), base64.b64decode(tfd.get("SelloSAT"))
    )
    assert seal.verify_seal(result.xml)
    assert result.total == D("2320.00")


def test_same_xml_twice_returns_the_same_uuid_and_spends_one_folio() -> None:
    store = InMemorySandboxStore(folios=5)
    p = pac(store=store)
    comprobante = __import__("postventa.cfdi.build", fromlist=["x"]).build_invoice(
        order(), ISSUER, BUYER, 1, NOW - timedelta(minutes=5)
    )
    xml = seal_and_validate(comprobante, SAT_CSD)
    first, second = p.stamp(xml), p.stamp(xml)
    assert first.uuid == second.uuid
    assert first.xml == second.xml
    assert store.folio_balance() == 4


def test_tampered_total_is_rejected_as_invalid_sello() -> None:
    from postventa.cfdi.build import build_invoice

    xml = seal_and_validate(
        build_invoice(order(), ISSUER, BUYER, 1, NOW - timedelta(minutes=5)), SAT_CSD
    )
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(xml.replace(b'Total="2320.00"', b'Total="2000.00"'))
    assert err.value.pac_code == "CFDI40102"


def test_certificate_of_another_rfc_is_rejected() -> None:
    other = certs.generate_test_csd("AAA010101AAA", "OTRA EMPRESA")
    from postventa.cfdi.build import build_invoice

    cfdi = build_invoice(order(), ISSUER, BUYER, 1, NOW - timedelta(minutes=5))
    cfdi.sign(seal.signer_from_credentials(other.credentials()))  # bypass seal()'s own check
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(cfdi.xml_bytes(include_schema_location=True))
    assert err.value.pac_code == "303"


def _sealed_xml() -> bytes:
    from postventa.cfdi.build import build_invoice

    return seal_and_validate(
        build_invoice(order(), ISSUER, BUYER, 1, NOW - timedelta(minutes=5)), SAT_CSD
    )


def test_bytes_differing_from_an_already_validated_cfdi_are_xsd_checked_in_full() -> None:
    xml = _sealed_xml()  # validated (and remembered) by seal_and_validate
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(xml.replace(b'UsoCFDI="S01"', b'UsoCFDI="Z99"'))
    assert err.value.pac_code == "301"
    assert any("UsoCFDI" in e for e in err.value.details)


def test_catalog_key_outside_sat_catalog_is_rejected_by_the_pac() -> None:
    xml = _sealed_xml()
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(xml.replace(b'ClaveProdServ="43211503"', b'ClaveProdServ="99999999"'))
    assert err.value.pac_code == "301"


@pytest.mark.parametrize(
    "damage",
    [
        lambda xml: xml[: xml.rindex(b"</cfdi:Comprobante>")],  # truncated: no closing tag
        lambda xml: xml.replace(b'Descripcion="Silla"', b'Descripcion="Silla & Mesa"'),
    ],
    ids=["truncated", "bare-ampersand"],
)
def test_xml_that_is_not_well_formed_is_301_not_repaired(damage: Any) -> None:
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(damage(_sealed_xml()))
    assert err.value.pac_code == "301"
    assert "mal formado" in err.value.message


def test_garbage_certificado_is_cfdi40106_an_invalid_cer() -> None:
    xml = _sealed_xml()
    root = etree.fromstring(xml)
    bad = xml.replace(root.get("Certificado").encode(), base64.b64encode(b"no es un certificado"))
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(bad)
    assert err.value.pac_code == err.value.sat_code == "CFDI40106"
    assert err.value.field == "Comprobante.Certificado"


def test_inconsistent_total_with_a_valid_sello_fails_the_arithmetic_audit() -> None:
    from postventa.cfdi.build import build_invoice

    comprobante = build_invoice(order(), ISSUER, BUYER, 1, NOW - timedelta(minutes=5))
    comprobante["Total"] = D("2319.99")  # sealed as is: only the PAC's arithmetic can catch it
    xml = seal_and_validate(comprobante, SAT_CSD)
    assert seal.verify_seal(xml)
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(xml)
    assert err.value.pac_code == "CFDI40119"


def _sealed_at(fecha: datetime, csd: CsdCredentials = SAT_CSD) -> bytes:
    from postventa.cfdi.build import build_invoice

    return seal_and_validate(build_invoice(order(), ISSUER, BUYER, 1, fecha), csd)


@pytest.mark.parametrize("age", [timedelta(hours=73), timedelta(minutes=-30)])
def test_fecha_outside_the_72_hour_window_is_rejected_by_the_sandbox(age: timedelta) -> None:
    with pytest.raises(PacDataRejectedError) as err:
        pac().stamp(_sealed_at(NOW - age))
    assert err.value.pac_code == err.value.sat_code == "401"
    assert err.value.field == "Comprobante.Fecha"


@pytest.mark.parametrize("age", [timedelta(hours=73), timedelta(minutes=-30)])
def test_the_stamping_path_catches_a_fecha_outside_the_window_before_sending(
    age: timedelta,
) -> None:
    store = InMemorySandboxStore(folios=3)
    with pytest.raises(MatrixRejectionError) as err:
        stamp(pac(store=store), fecha=NOW - age)
    assert err.value.sat_code == "401" and err.value.field == "Comprobante.Fecha"
    assert store.folio_balance() == 3


def test_generated_csd_must_be_valid_at_fecha() -> None:
    csd = certs.generate_test_csd("EKU9003173C9", "ESCUELA KEMPER URGATE", valid_from=NOW)
    p = pac(check_certificate_validity=True)
    assert stamp(p, csd=csd.credentials()).uuid
    expired = _sealed_at(
        NOW - timedelta(minutes=5)
    )  # the generated CSD is valid from yesterday: not yet in 2024
    with pytest.raises(PacDataRejectedError) as err:
        pac(check_certificate_validity=True).stamp(expired)
    assert err.value.pac_code == "305"
    with pytest.raises(MatrixRejectionError) as caught:  # the stamping path: not even sent
        stamp(pac(check_certificate_validity=True), csd=SAT_CSD)
    assert caught.value.sat_code == "305"


def test_a_sandbox_that_waives_the_certificate_validity_is_not_second_guessed() -> None:
    sandbox = pac(check_certificate_validity=False)
    assert sandbox.waived_codes == frozenset({"305"})
    assert stamp(sandbox, csd=SAT_CSD).uuid


def test_the_pre_send_check_spends_no_folio_and_sends_nothing() -> None:
    store = InMemorySandboxStore(folios=1)
    sandbox = pac(store=store)
    foreign_with_mexico = PlainReceptor(
        "XEXX010101000", "JOHN DOE", "616", "42501", "S01", residencia_fiscal="MEX"
    )
    with pytest.raises(MatrixRejectionError) as err:
        stamp(sandbox, receptor=foreign_with_mexico)
    assert err.value.sat_code == "CFDI40152"
    assert err.value.receptor_field == "residencia_fiscal"
    assert store.folio_balance() == 1
    assert stamp(sandbox).uuid  # the folio is still there for a correct invoice


def test_the_sandbox_does_not_judge_again_the_bytes_the_pre_send_check_judged(
    judgements: list[bytes],
) -> None:
    result = stamp(pac())
    assert len(judgements) == 1  # the pre-send check; the sandbox found the verdict remembered
    assert result.uuid
    pac().stamp(judgements[0] + b" ")  # other bytes: judged in full
    assert len(judgements) == 2


def test_the_stamp_path_gives_the_matrix_the_parse_it_already_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from postventa.cfdi import validation

    def no_parse(xml: bytes) -> Any:
        raise AssertionError("the matrix parsed the document again")

    monkeypatch.setattr(validation, "_parse", no_parse)
    monkeypatch.setattr(validation, "_VERDICTS", type(validation._VERDICTS)())
    assert stamp(pac(), order(oid="parse-once")).uuid


def test_forced_rejection_only_for_the_listed_receptor() -> None:
    faults = FaultInjection(reject_code="CFDI40145", reject_rfcs=frozenset({"XIQB891116QE4"}))
    with pytest.raises(PacDataRejectedError) as err:
        stamp(pac(faults=faults))
    assert err.value.pac_code == err.value.sat_code == "CFDI40145"
    assert (err.value.field, err.value.receptor_field) == ("Receptor.Nombre", "nombre")
    assert "debe pertenecer al nombre asociado al RFC" in err.value.message  # SAT's wording
    publico = PlainReceptor("XAXX010101000", "PUBLICO EN GENERAL", "616", "42501", "S01")
    assert stamp(pac(faults=faults), receptor=publico).uuid


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("CFDI40157", "no contiene un valor del catálogo c_RegimenFiscal"),
        ("CFDI40158", "debe corresponder con el tipo de persona"),
        ("CFDI40147", "lista de RFC inscritos no cancelados"),
    ],
)
def test_a_forced_matrix_code_says_what_sats_matrix_says(code: str, meaning: str) -> None:
    with pytest.raises(PacDataRejectedError) as err:
        stamp(pac(faults=FaultInjection(reject_code=code)))
    assert err.value.sat_code == code
    assert meaning in err.value.message


def test_outage_and_seeded_transient_errors() -> None:
    with pytest.raises(PacTransientError):
        stamp(pac(faults=FaultInjection(outage=True)))
    p = pac(faults=FaultInjection(transient_error_rate=0.5, seed=7))
    outcomes = []
    for i in range(10):
        try:
            stamp(p, order(oid=str(i)), folio=i)
            outcomes.append("ok")
        except PacTransientError:
            outcomes.append("err")
    p2 = pac(faults=FaultInjection(transient_error_rate=0.5, seed=7))
    again = []
    for i in range(10):
        try:
            stamp(p2, order(oid=str(i)), folio=i)
            again.append("ok")
        except PacTransientError:
            again.append("err")
    assert outcomes == again
    assert "ok" in outcomes and "err" in outcomes


def test_no_folios_left_is_pac_no_credit() -> None:
    p = pac(store=InMemorySandboxStore(folios=1))
    stamp(p)
    with pytest.raises(PacNoCreditError):
        stamp(p, order(oid="2"), folio=2)


def _cancel(p: SandboxPac, uuid: str, total: D) -> Any:
    return p.cancel(
        CancellationRequest(
            uuid, "EKU9003173C9", "XIQB891116QE4", total, CancellationMotivo.WITHOUT_RELATION
        )
    )


def test_small_invoice_cancels_without_acceptance() -> None:
    p = pac()
    stamped = stamp(p, order("500.00"))
    assert _cancel(p, stamped.uuid, D("500")).status is CancellationStatus.ACCEPTED
    status = p.status(stamped.uuid, "EKU9003173C9", "XIQB891116QE4", D("500"))
    assert status.state is CfdiState.CANCELLED


def test_large_invoice_after_next_business_day_waits_for_acceptance_then_expires() -> None:
    clock = [NOW]
    p = SandboxPac(
        pac_certificate=pac_cert(), clock=lambda: clock[0], check_certificate_validity=False
    )
    stamped = stamp(p, order("5000.00"))
    clock[0] = NOW + timedelta(days=7)
    result = _cancel(p, stamped.uuid, D("5000"))
    assert result.status is CancellationStatus.PENDING and result.requires_acceptance
    assert p.status(stamped.uuid, "EKU9003173C9", "XIQB891116QE4", D("5000")).state is (
        CfdiState.VALID
    )
    clock[0] = NOW + timedelta(days=20)
    status = p.status(stamped.uuid, "EKU9003173C9", "XIQB891116QE4", D("5000"))
    assert (status.state, status.cancellation) == (CfdiState.CANCELLED, CancellationStatus.EXPIRED)


def test_unknown_uuid_status_is_not_found() -> None:
    assert pac().status("X", "EKU9003173C9", "XAXX010101000", D(1)).state is CfdiState.NOT_FOUND


def test_two_sandboxes_without_seed_never_reuse_a_uuid() -> None:
    assert stamp(pac()).uuid != stamp(pac()).uuid


def test_cli_build_writes_stamped_xml_and_exits_1_on_bad_total(tmp_path: Path) -> None:
    import json

    from postventa.cli import main

    (tmp_path / "order.json").write_text(order().model_dump_json())
    tenant = {
        "issuer": ISSUER.model_dump(mode="json"),
        "csd_certificate_path": str(eku_csd().cer_path),
        "csd_key_path": str(eku_csd().key_path),
        "csd_password": eku_csd().password,
    }
    (tmp_path / "tenant.json").write_text(json.dumps(tenant))
    (tmp_path / "receptor.json").write_text(
        json.dumps(
            {
                "rfc": "XIQB891116QE4",
                "nombre": "KARLA FUENTE NOLASCO",
                "regimen_fiscal": "605",
                "codigo_postal": "01160",
                "uso_cfdi": "S01",
            }
        )
    )
    args = [
        "cfdi",
        "build",
        "--order",
        str(tmp_path / "order.json"),
        "--tenant",
        str(tmp_path / "tenant.json"),
        "--receptor",
        str(tmp_path / "receptor.json"),
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(args) == 0
    xml = (tmp_path / "out" / "F1.xml").read_bytes()
    assert b"TimbreFiscalDigital" in xml and seal.verify_seal(xml)
    bad = order().model_copy(update={"total_paid": D("1.00")})
    (tmp_path / "order.json").write_text(bad.model_dump_json())
    assert main(args) == 1
