"""Facturama adapter at the HTTP boundary (satcfdi's REST client, `responses` as the server)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses

from postventa.cfdi.errors import (
    PacAuthError,
    PacDataRejectedError,
    PacNoCreditError,
    PacTransientError,
)
from postventa.cfdi.pac._http import PacCredentials
from postventa.cfdi.pac.base import CancellationMotivo, CancellationRequest, CancellationStatus
from postventa.cfdi.pac.facturama import FacturamaPac, facturama_error

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "pac"
HOST = "https://apisandbox.facturama.mx"
FACTURAMA_ID = "kAdX2p9yLKdAqGHRy7yPmQ2"
UUID = "AF124DC7-BD75-5EFF-8EDF-28C1E7D43B1D"


def fixture(name: str) -> object:
    return json.loads((FIX / "facturama" / name).read_text())


@pytest.fixture
def sealed() -> bytes:
    return (FIX / "sealed-ingreso.xml").read_bytes()


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def pac() -> FacturamaPac:
    return FacturamaPac(PacCredentials(user="pruebas", password="pruebas2011"))


def test_stamp_issues_the_cfdi_as_json_and_downloads_the_stamped_xml(pac, http, sealed):
    http.post(f"{HOST}/api-lite/3/cfdis", json=fixture("issue-ok.json"), status=201)
    http.get(f"{HOST}/api/Cfdi/xml/issuedLite/{FACTURAMA_ID}", json=fixture("download-xml.json"))

    result = pac.stamp(sealed)

    assert result.uuid == UUID
    issue = http.calls[0].request
    expected = "Basic " + base64.b64encode(b"pruebas:pruebas2011").decode()
    assert issue.headers["Authorization"] == expected
    body = json.loads(issue.body)
    assert body["CfdiType"] == "I"
    assert body["Receiver"] == {
        "Rfc": "ICV060329BY0",
        "Name": "INMOBILIARIA CVA",
        "CfdiUse": "G03",
        "FiscalRegime": "601",
        "TaxZipCode": "33826",
    }
    assert body["Serie"] == "PV" and body["Folio"] == "1001"
    assert body["Items"][0]["Total"] == 1740.0


@pytest.mark.parametrize(
    ("fixture_name", "status", "error", "pac_code"),
    [
        ("error-400-receptor.json", 400, PacDataRejectedError, "CFDI40145"),
        ("error-400-no-folios.json", 400, PacNoCreditError, "HTTP400"),
        ("error-400-receptor.json", 401, PacAuthError, "CFDI40145"),
        ("error-400-receptor.json", 500, PacTransientError, "HTTP500"),
    ],
)
def test_stamp_errors_map_to_typed_errors(pac, http, sealed, fixture_name, status, error, pac_code):
    http.post(f"{HOST}/api-lite/3/cfdis", json=fixture(fixture_name), status=status)

    with pytest.raises(error) as info:
        pac.stamp(sealed)
    assert type(info.value) is error
    if error is not PacAuthError:
        assert info.value.pac_code == pac_code


def test_a_model_state_rejection_names_the_matrix_code_and_the_buyers_field(pac, http, sealed):
    http.post(f"{HOST}/api-lite/3/cfdis", json=fixture("error-400-receptor.json"), status=400)

    with pytest.raises(PacDataRejectedError) as info:
        pac.stamp(sealed)
    error = info.value
    assert (error.sat_code, error.field, error.receptor_field) == (
        "CFDI40145",
        "Receptor.Nombre",
        "nombre",
    )


def test_a_timeout_is_transient(pac, http, sealed):
    http.post(f"{HOST}/api-lite/3/cfdis", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(PacTransientError):
        pac.stamp(sealed)


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (
            400,
            {"Message": "La solicitud no es válida.", "ModelState": {"x": ["CFDI40148 CP"]}},
            PacDataRejectedError,
        ),
        (400, {"Message": "No cuentas con folios suficientes"}, PacNoCreditError),
        (401, "Authorization has been denied for this request.", PacAuthError),
        (404, {"Message": "No encontrado"}, PacDataRejectedError),
        (400, {"Message": "No se encontró el CSD del emisor EKU9003173C9"}, PacDataRejectedError),
    ],
)
def test_facturama_error_table_row_by_row(status, payload, error):
    assert type(facturama_error(status, payload)) is error


def cancel_request() -> CancellationRequest:
    return CancellationRequest(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("1740.00"),
        motivo=CancellationMotivo.NOT_CARRIED_OUT,
    )


def test_cancel_finds_the_facturama_id_then_deletes_with_the_motivo(pac, http):
    http.get(f"{HOST}/api-lite/cfdis", json=fixture("list-by-uuid.json"))
    http.delete(f"{HOST}/api-lite/cfdis/{FACTURAMA_ID}", json=fixture("cancel-canceled.json"))

    result = pac.cancel(cancel_request())

    assert result.status is CancellationStatus.ACCEPTED
    assert result.acknowledgement == b"<Acuse/>"
    lookup, delete = (c.request for c in http.calls)
    assert "keyword=" + UUID in lookup.url
    assert delete.url.endswith(f"/api-lite/cfdis/{FACTURAMA_ID}?motive=03")


def test_cancel_pending_acceptance(pac, http):
    http.get(f"{HOST}/api-lite/cfdis", json=fixture("list-by-uuid.json"))
    http.delete(f"{HOST}/api-lite/cfdis/{FACTURAMA_ID}", json=fixture("cancel-pending.json"))

    result = pac.cancel(cancel_request())

    assert result.status is CancellationStatus.PENDING
    assert result.requires_acceptance is True


def test_cancel_of_an_unknown_uuid_is_rejected(pac, http):
    http.get(f"{HOST}/api-lite/cfdis", json=[])
    with pytest.raises(PacDataRejectedError):
        pac.cancel(cancel_request())
    assert len(http.calls) == 1
