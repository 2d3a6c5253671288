"""Finkok adapter at the HTTP boundary: satcfdi's client really builds and posts the SOAP envelope;
`responses` answers with recorded-shape Finkok replies from tests/fixtures/pac/finkok."""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from lxml import etree

from postventa.cfdi.errors import (
    PacAlreadyStampedError,
    PacAuthError,
    PacDataRejectedError,
    PacNoCreditError,
    PacTransientError,
)
from postventa.cfdi.pac._http import SAT_CANCEL_RULES, PacCredentials, classify
from postventa.cfdi.pac.base import (
    CancellationMotivo,
    CancellationRequest,
    CancellationStatus,
    CfdiState,
)
from postventa.cfdi.pac.finkok import FINKOK_RULES, FinkokPac

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "pac"
STAMP_URL = "https://demo-facturacion.finkok.com/servicios/soap/stamp.wsdl"
CANCEL_URL = "https://demo-facturacion.finkok.com/servicios/soap/cancel.wsdl"
UUID = "AF124DC7-BD75-5EFF-8EDF-28C1E7D43B1D"
NS = {
    "stamp": "http://facturacion.finkok.com/stamp",
    "cancel": "http://facturacion.finkok.com/cancel",
}


def fixture(name: str) -> bytes:
    return (FIX / "finkok" / name).read_bytes()


@pytest.fixture
def sealed() -> bytes:
    return (FIX / "sealed-ingreso.xml").read_bytes()


@pytest.fixture
def pac() -> FinkokPac:
    return FinkokPac(PacCredentials(user="demo@example.com", password="s3cret"))


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def sent_envelope(call: responses.Call) -> etree._Element:
    body = call.request.body
    return etree.fromstring(body if isinstance(body, bytes) else body.encode())


def test_stamp_posts_the_sealed_xml_with_credentials_and_returns_the_tfd(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-ok.xml"), content_type="text/xml")

    result = pac.stamp(sealed)

    assert result.uuid == UUID
    assert result.fecha_timbrado == datetime(2024, 6, 12, 10, 31, 5)
    assert result.no_certificado_sat == "30001000000500003456"
    assert b"TimbreFiscalDigital" in result.xml
    (call,) = http.calls
    assert call.request.url == STAMP_URL
    envelope = sent_envelope(call)
    assert envelope.findtext(".//stamp:username", namespaces=NS) == "demo@example.com"
    assert envelope.findtext(".//stamp:password", namespaces=NS) == "s3cret"
    sent_xml = base64.b64decode(envelope.findtext(".//stamp:stamp/stamp:xml", namespaces=NS))
    assert b'Folio="1001"' in sent_xml and b"Sello=" in sent_xml
    assert call.request.headers["Content-Type"].startswith("text/xml")


def test_307_with_the_previous_xml_in_the_answer_returns_that_stamp(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-307-with-xml.xml"))

    result = pac.stamp(sealed)

    assert result.uuid == UUID
    assert len(http.calls) == 1


def test_307_without_xml_recovers_the_existing_stamp_through_stamped(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-307-empty.xml"))
    http.post(STAMP_URL, body=fixture("stamped-ok.xml"))

    result = pac.stamp(sealed)

    assert result.uuid == UUID
    second = sent_envelope(http.calls[1])
    assert second.find(".//stamp:stamped", NS) is not None


def test_307_when_stamped_cannot_find_it_yet_is_a_retryable_already_stamped_error(
    pac, http, sealed
):
    http.post(STAMP_URL, body=fixture("stamp-307-empty.xml"))
    http.post(STAMP_URL, body=fixture("stamped-603.xml"))

    with pytest.raises(PacAlreadyStampedError) as info:
        pac.stamp(sealed)
    assert info.value.pac_code == "307"
    assert isinstance(info.value, PacTransientError)


@pytest.mark.parametrize(
    ("fixture_name", "error", "pac_code"),
    [
        ("stamp-301-cfdi40145.xml", PacDataRejectedError, "CFDI40145"),
        ("stamp-300-auth.xml", PacAuthError, "300"),
        ("stamp-702-emisor.xml", PacAuthError, "702"),
        ("stamp-708-sat.xml", PacTransientError, "708"),
        ("stamp-no-credit.xml", PacNoCreditError, None),
        ("soap-fault.xml", PacTransientError, None),
    ],
)
def test_stamp_errors_map_to_typed_errors(pac, http, sealed, fixture_name, error, pac_code):
    http.post(STAMP_URL, body=fixture(fixture_name))

    with pytest.raises(error) as info:
        pac.stamp(sealed)
    assert type(info.value) is error
    assert info.value.pac_code == pac_code


def test_a_301_wrapping_a_matrix_code_names_the_field_and_the_buyers_form_field(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-301-cfdi40145.xml"))

    with pytest.raises(PacDataRejectedError) as info:
        pac.stamp(sealed)
    error = info.value
    assert error.sat_code == "CFDI40145"
    assert error.field == "Receptor.Nombre"
    assert error.receptor_field == "nombre"
    assert "debe pertenecer al nombre asociado al RFC" in error.message  # Finkok's own words


def test_a_5xx_html_page_is_transient(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("http-503.html"), status=503, content_type="text/html")

    with pytest.raises(PacTransientError) as info:
        pac.stamp(sealed)
    assert info.value.pac_code == "HTTP503"


def test_a_timeout_is_transient(pac, http, sealed):
    http.post(STAMP_URL, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(PacTransientError) as info:
        pac.stamp(sealed)
    assert info.value.pac_code == "timeout"


def test_a_refused_connection_is_transient(pac, http, sealed):
    http.post(STAMP_URL, body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(PacTransientError):
        pac.stamp(sealed)


def test_every_request_carries_a_timeout(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-ok.xml"))
    pac.stamp(sealed)
    assert http.calls[0].request.req_kwargs["timeout"] == pac.transport.timeout


def test_unreadable_input_xml_is_rejected_before_calling_finkok(pac, http):
    with pytest.raises(PacDataRejectedError):
        pac.stamp(b"<not-a-cfdi")
    assert len(http.calls) == 0


# -- cancel ------------------------------------------------------------------------------------

SIGNED = (
    b'<Cancelacion xmlns="http://cancelacfd.sat.gob.mx" RfcEmisor="EKU9003173C9" '
    b'Fecha="2024-06-13T09:00:00"><Folios><Folio UUID="AF124DC7-BD75-5EFF-8EDF-28C1E7D43B1D" '
    b'Motivo="02"/></Folios><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></Cancelacion>'
)


def cancel_request(signed: bytes | None = SIGNED) -> CancellationRequest:
    return CancellationRequest(
        uuid=UUID.lower(),
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("1740.00"),
        motivo=CancellationMotivo.WITHOUT_RELATION,
        signed_request=signed,
    )


def test_cancel_sends_the_signed_request_and_reads_an_immediate_cancellation(pac, http):
    http.post(CANCEL_URL, body=fixture("cancel-201-sin-aceptacion.xml"))

    result = pac.cancel(cancel_request())

    assert result.uuid == UUID
    assert result.status is CancellationStatus.ACCEPTED
    assert result.requires_acceptance is False
    assert result.acknowledgement is not None and b"CancelaCFDResponse" in result.acknowledgement
    envelope = sent_envelope(http.calls[0])
    sent_b64 = envelope.findtext(".//cancel:cancel_signature/cancel:xml", namespaces=NS)
    sent = base64.b64decode(sent_b64)
    assert b'Motivo="02"' in sent and UUID.encode() in sent


def test_cancel_in_process_is_pending_acceptance(pac, http):
    http.post(CANCEL_URL, body=fixture("cancel-201-en-proceso.xml"))

    result = pac.cancel(cancel_request())

    assert result.status is CancellationStatus.PENDING
    assert result.requires_acceptance is True


def test_cancel_of_an_already_cancelled_cfdi_is_accepted(pac, http):
    http.post(CANCEL_URL, body=fixture("cancel-202-previo.xml"))
    assert pac.cancel(cancel_request()).status is CancellationStatus.ACCEPTED


@pytest.mark.parametrize(
    ("fixture_name", "error", "pac_code"),
    [
        ("cancel-205-no-existe.xml", PacTransientError, "205"),
        ("cancel-no-cancelable.xml", PacDataRejectedError, "no_cancelable"),
        ("cancel-auth.xml", PacAuthError, None),
    ],
)
def test_cancel_errors_map_to_typed_errors(pac, http, fixture_name, error, pac_code):
    http.post(CANCEL_URL, body=fixture(fixture_name))

    with pytest.raises(error) as info:
        pac.cancel(cancel_request())
    assert type(info.value) is error
    assert info.value.pac_code == pac_code


def test_cancel_without_a_signed_request_is_refused_without_calling_finkok(pac, http):
    with pytest.raises(PacDataRejectedError):
        pac.cancel(cancel_request(signed=None))
    assert len(http.calls) == 0


# -- status ------------------------------------------------------------------------------------


def test_status_asks_get_sat_status_with_the_cfdi_keys(pac, http):
    http.post(CANCEL_URL, body=fixture("sat-status-vigente-en-proceso.xml"))

    result = pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1740.00"))

    assert result.state is CfdiState.VALID
    assert result.cancellation is CancellationStatus.PENDING
    assert result.cancellable == "Cancelable con aceptación"
    envelope = sent_envelope(http.calls[0])
    op = envelope.find(".//cancel:get_sat_status", NS)
    assert op is not None
    assert op.findtext("cancel:taxpayer_id", namespaces=NS) == "EKU9003173C9"
    assert op.findtext("cancel:rtaxpayer_id", namespaces=NS) == "ICV060329BY0"
    assert op.findtext("cancel:uuid", namespaces=NS) == UUID
    assert op.findtext("cancel:total", namespaces=NS) == "1740.00"


def test_status_after_the_deadline_reports_expired_and_cancelled(pac, http):
    http.post(CANCEL_URL, body=fixture("sat-status-cancelado-plazo-vencido.xml"))

    result = pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1740.00"))

    assert result.state is CfdiState.CANCELLED
    assert result.cancellation is CancellationStatus.EXPIRED


def test_status_error_with_bad_credentials_is_an_auth_error(pac, http):
    http.post(CANCEL_URL, body=fixture("sat-status-error.xml"))

    with pytest.raises(PacAuthError):
        pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1740.00"))


def test_production_credentials_use_the_production_host(http, sealed):
    pac = FinkokPac(PacCredentials(user="u", password="p", environment="production"))
    http.post(
        "https://facturacion.finkok.com/servicios/soap/stamp.wsdl", body=fixture("stamp-ok.xml")
    )
    assert pac.stamp(sealed).uuid == UUID


def test_missing_credentials_is_an_auth_error():
    with pytest.raises(PacAuthError):
        FinkokPac(PacCredentials(token="x"))


# -- the tables themselves, row by row ---------------------------------------------------------


@pytest.mark.parametrize(
    "rule", [r for r in FINKOK_RULES if r.code is not None], ids=lambda r: r.code
)
def test_each_finkok_code_row_maps_to_its_error(rule):
    error = classify(FINKOK_RULES, rule.code, f"{rule.code} - mensaje de Finkok")
    assert type(error) is rule.error
    assert error.pac_code == rule.code


@pytest.mark.parametrize("rule", SAT_CANCEL_RULES, ids=lambda r: r.code)
def test_each_sat_cancellation_code_row_maps_to_its_error(rule):
    error = classify(SAT_CANCEL_RULES, rule.code, rule.code)
    assert type(error) is rule.error
    assert error.message == rule.message


@pytest.mark.parametrize(
    ("code", "text", "error", "pac_code"),
    [
        ("399", "399 - Error no clasificado", PacDataRejectedError, "399"),
        ("720", "720 - Otro error de Finkok", PacDataRejectedError, "720"),
        (None, "[Error #CFDI40157] RegimenFiscalReceptor", PacDataRejectedError, "CFDI40157"),
        (None, "Saldo insuficiente de timbres", PacNoCreditError, None),
        (None, "No se pudo conectar con el servicio, intente más tarde", PacTransientError, None),
    ],
)
def test_finkok_fallback_rows(code, text, error, pac_code):
    result = classify(FINKOK_RULES, code, text)
    assert type(result) is error
    assert result.pac_code == pac_code


@pytest.mark.parametrize(
    ("text", "sat_code", "field", "receptor_field"),
    [
        (
            "301 - Error de validaciones adicionales [Error #CFDI40157] RegimenFiscalReceptor",
            "CFDI40157",
            "Receptor.RegimenFiscalReceptor",
            "regimen_fiscal",
        ),
        (
            "301 - [Error #CFDI40148] El campo DomicilioFiscalReceptor del receptor...",
            "CFDI40148",
            "Receptor.DomicilioFiscalReceptor",
            "codigo_postal",
        ),
        (
            "301 - [Error #CFDI140226] Cuando en el campo ObjetoImp se registre el valor 06...",
            "CFDI140226",
            "Concepto.ObjetoImp",
            None,  # the seller's product setup, not the buyer's data
        ),
        ("301 - [Error #CFDI40141] RegimenFiscal", "CFDI40141", "Emisor.RegimenFiscal", None),
        ("301 - XML mal formado", None, None, None),
    ],
)
def test_a_301_carries_the_inner_sat_code_and_what_it_refuses(
    text, sat_code, field, receptor_field
):
    result = classify(FINKOK_RULES, "301", text)
    assert type(result) is PacDataRejectedError
    assert (result.sat_code, result.field, result.receptor_field) == (
        sat_code,
        field,
        receptor_field,
    )
    assert result.pac_code == (sat_code or "301")


def test_a_stamp_that_comes_with_an_alert_incidencia_is_still_a_stamp(pac, http, sealed):
    http.post(STAMP_URL, body=fixture("stamp-ok-with-alert.xml"))
    assert pac.stamp(sealed).uuid == UUID
