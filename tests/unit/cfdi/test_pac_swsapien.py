"""SW Sapien adapter at the HTTP boundary (satcfdi's REST client, `responses` as the server)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses

from postventa.cfdi.errors import (
    PacAlreadyStampedError,
    PacAuthError,
    PacDataRejectedError,
    PacNoCreditError,
    PacTransientError,
)
from postventa.cfdi.pac._http import PacCredentials
from postventa.cfdi.pac.base import (
    CancellationMotivo,
    CancellationRequest,
    CancellationStatus,
    CfdiState,
)
from postventa.cfdi.pac.swsapien import SWSapienPac, sw_error

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "pac"
HOST = "https://services.test.sw.com.mx"
STAMP_URL = f"{HOST}/v4/cfdi33/stamp/v4"
UUID = "AF124DC7-BD75-5EFF-8EDF-28C1E7D43B1D"
SAT_URL = "https://pruebacfdiconsultaqr.cloudapp.net/ConsultaCFDIService.svc"


def fixture(name: str) -> dict:
    return json.loads((FIX / "swsapien" / name).read_text())


@pytest.fixture
def sealed() -> bytes:
    return (FIX / "sealed-ingreso.xml").read_bytes()


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def pac() -> SWSapienPac:
    return SWSapienPac(PacCredentials(token="infinite-token"))


def test_stamp_uploads_the_xml_with_the_bearer_token(pac, http, sealed):
    http.post(STAMP_URL, json=fixture("stamp-v4-ok.json"))

    result = pac.stamp(sealed)

    assert result.uuid == UUID
    assert result.no_certificado_sat == "30001000000500003456"
    request = http.calls[0].request
    assert request.headers["Authorization"] == "Bearer infinite-token"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'Folio="1001"' in request.body and b'name="xml"' in request.body


def test_user_and_password_authenticate_first_and_reuse_the_token(http, sealed):
    pac = SWSapienPac(PacCredentials(user="demo", password="123456789"))
    http.post(f"{HOST}/security/authenticate", json=fixture("authenticate-ok.json"))
    http.post(STAMP_URL, json=fixture("stamp-v4-ok.json"))

    pac.stamp(sealed)
    pac.stamp(sealed)

    urls = [c.request.url for c in http.calls]
    assert urls == [f"{HOST}/security/authenticate", STAMP_URL, STAMP_URL]
    auth = http.calls[0].request.headers
    assert auth["user"] == "demo" and auth["password"] == "123456789"
    token = fixture("authenticate-ok.json")["data"]["token"]
    assert http.calls[2].request.headers["Authorization"] == f"Bearer {token}"


def test_an_expired_token_is_renewed_before_the_next_call(http, sealed):
    pac = SWSapienPac(PacCredentials(user="demo", password="123456789"))
    expired = fixture("authenticate-ok.json")
    expired["data"]["expires_in"] = 1_000_000_000  # 2001: already past
    http.post(f"{HOST}/security/authenticate", json=expired)
    http.post(STAMP_URL, json=fixture("stamp-v4-ok.json"))

    pac.stamp(sealed)
    pac.stamp(sealed)

    urls = [c.request.url for c in http.calls]
    assert urls.count(f"{HOST}/security/authenticate") == 2


def test_bad_login_is_an_auth_error(http, sealed):
    pac = SWSapienPac(PacCredentials(user="demo", password="wrong"))
    http.post(f"{HOST}/security/authenticate", json=fixture("auth-401.json"), status=401)

    with pytest.raises(PacAuthError):
        pac.stamp(sealed)


@pytest.mark.parametrize(
    ("fixture_name", "status", "error", "pac_code"),
    [
        ("stamp-cfdi40145.json", 400, PacDataRejectedError, "CFDI40145"),
        ("stamp-301-xml.json", 400, PacDataRejectedError, "301"),
        ("auth-401.json", 401, PacAuthError, "AU2000"),
        ("no-credit.json", 400, PacNoCreditError, None),
        ("stamp-cfdi40145.json", 502, PacTransientError, "HTTP502"),
    ],
)
def test_stamp_errors_map_to_typed_errors(pac, http, sealed, fixture_name, status, error, pac_code):
    http.post(STAMP_URL, json=fixture(fixture_name), status=status)

    with pytest.raises(error) as info:
        pac.stamp(sealed)
    assert type(info.value) is error
    assert info.value.pac_code == pac_code


@pytest.mark.parametrize(
    ("fixture_name", "sat_code", "field", "receptor_field"),
    [
        ("stamp-cfdi40145.json", "CFDI40145", "Receptor.Nombre", "nombre"),
        ("stamp-301-xml.json", None, None, None),  # no matrix code: nothing to point at
    ],
)
def test_a_rejection_names_the_matrix_code_and_the_field_it_refuses(
    pac, http, sealed, fixture_name, sat_code, field, receptor_field
):
    http.post(STAMP_URL, json=fixture(fixture_name), status=400)

    with pytest.raises(PacDataRejectedError) as info:
        pac.stamp(sealed)
    error = info.value
    assert (error.sat_code, error.field, error.receptor_field) == (sat_code, field, receptor_field)


def test_307_with_the_previous_cfdi_returns_it(pac, http, sealed):
    http.post(STAMP_URL, json=fixture("stamp-307-with-cfdi.json"), status=400)
    assert pac.stamp(sealed).uuid == UUID


def test_307_without_the_previous_cfdi_is_a_retryable_already_stamped_error(pac, http, sealed):
    http.post(STAMP_URL, json=fixture("stamp-307-bare.json"), status=400)

    with pytest.raises(PacAlreadyStampedError):
        pac.stamp(sealed)


def test_a_timeout_is_transient(pac, http, sealed):
    http.post(STAMP_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(PacTransientError):
        pac.stamp(sealed)


def test_a_non_json_error_page_is_classified_by_status(pac, http, sealed):
    http.post(STAMP_URL, body="<html>Bad Gateway</html>", status=400, content_type="text/html")
    with pytest.raises(PacDataRejectedError):
        pac.stamp(sealed)


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (
            400,
            {"message": "CFDI40143 - Este RFC del receptor no existe en la lista."},
            PacDataRejectedError,
        ),
        (400, {"message": "CFDI33118 - El campo Total no corresponde."}, PacDataRejectedError),
        (401, {"message": "Unauthorized"}, PacAuthError),
        (400, {"message": "AU4101 - El token proporcionado viene vacio."}, PacAuthError),
        (400, {"message": "Saldo insuficiente: no tienes timbres disponibles"}, PacNoCreditError),
        (503, None, PacTransientError),
        (
            400,
            {"message": "307. El comprobante contiene un timbre previo."},
            PacAlreadyStampedError,
        ),
    ],
)
def test_sw_error_table_row_by_row(status, payload, error):
    assert type(sw_error(status, payload)) is error


def cancel_request(signed: bytes | None) -> CancellationRequest:
    return CancellationRequest(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("1740.00"),
        motivo=CancellationMotivo.WITH_SUBSTITUTE,
        folio_sustitucion="11111111-2222-3333-4444-555555555555",
        signed_request=signed,
    )


def test_cancel_with_a_signed_request_posts_it_as_xml(pac, http):
    http.post(f"{HOST}/cfdi33/cancel/xml", json=fixture("cancel-ok.json"))
    signed = b'<Cancelacion xmlns="http://cancelacfd.sat.gob.mx" RfcEmisor="EKU9003173C9"/>'

    result = pac.cancel(cancel_request(signed))

    assert result.status is CancellationStatus.PENDING
    assert result.acknowledgement and b"CancelaCFDResponse" in result.acknowledgement
    assert b"cancelacfd.sat.gob.mx" in http.calls[0].request.body


def test_cancel_without_signature_uses_the_csd_stored_at_sw(pac, http):
    url = f"{HOST}/cfdi33/cancel/EKU9003173C9/{UUID}/01/11111111-2222-3333-4444-555555555555"
    http.post(url, json=fixture("cancel-ok.json"))

    result = pac.cancel(cancel_request(None))

    assert result.uuid == UUID
    assert http.calls[0].request.url == url


def test_cancel_of_a_folio_the_sat_does_not_know_yet_is_transient(pac, http):
    http.post(f"{HOST}/cfdi33/cancel/xml", json=fixture("cancel-205.json"))
    with pytest.raises(PacTransientError) as info:
        pac.cancel(cancel_request(b"<Cancelacion/>"))
    assert info.value.pac_code == "205"


def test_status_queries_the_sat_consulta_service(pac, http):
    http.post(SAT_URL, body=(FIX / "sat" / "consulta-cancelado-rechazo.xml").read_bytes())

    result = pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1740.00"))

    assert result.state is CfdiState.VALID
    assert result.cancellation is CancellationStatus.REJECTED
    body = http.calls[0].request.body
    body = body.decode() if isinstance(body, bytes) else body
    assert f"id={UUID}" in body and "re=EKU9003173C9" in body and "tt=1740.00" in body


def test_status_of_an_unknown_uuid_is_not_found(pac, http):
    http.post(SAT_URL, body=(FIX / "sat" / "consulta-no-encontrado.xml").read_bytes())
    result = pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1"))
    assert result.state is CfdiState.NOT_FOUND


def test_status_when_the_sat_is_down_is_transient(pac, http):
    http.post(SAT_URL, body="", status=503)
    with pytest.raises(PacTransientError):
        pac.status(UUID, "EKU9003173C9", "ICV060329BY0", Decimal("1"))
