"""Sealing with the SAT test CSD: NoCertificado, Sello verification, tampering, bad password."""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal as D

import pytest

from postventa.cfdi import seal
from postventa.cfdi.build import PlainReceptor, build_invoice
from postventa.cfdi.issuer import Issuer, ProductKeys
from postventa.domain.orders import Order
from tests.support.csd import EKU_NO_CERTIFICADO, eku_csd

CER = eku_csd().certificate
KEY = eku_csd().key
ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={"A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87")},
)
ORDER = Order(
    tenant_id="t1",
    channel="amazon",
    order_id="702-1",
    paid_at=datetime(2024, 1, 2),
    lines=[{"sku": "A", "description": "Teclado", "quantity": 1, "unit_price": "580"}],
    total_paid=D("580"),
    payment_method="credit_card",
)
RECEPTOR = PlainReceptor("XAXX010101000", "PUBLICO EN GENERAL", "616", "42501", "S01")


def _sealed() -> object:
    cfdi = build_invoice(ORDER, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 1, 2, 10))
    return seal.seal(cfdi, seal.load_signer(CER, KEY, "12345678a"))


def test_sealed_cfdi_carries_the_20_digit_no_certificado_and_a_verifiable_sello() -> None:
    cfdi = _sealed()
    assert cfdi["NoCertificado"] == EKU_NO_CERTIFICADO  # type: ignore[index]
    assert seal.verify_seal(cfdi.xml_bytes())  # type: ignore[attr-defined]


def test_cadena_original_starts_with_version_and_serie() -> None:
    assert seal.cadena_original(_sealed()).startswith("||4.0|F|1|2024-01-02T10:00:00|")  # type: ignore[arg-type]


def test_tampered_total_breaks_the_sello() -> None:
    xml = _sealed().xml_bytes()  # type: ignore[attr-defined]
    assert seal.verify_seal(xml.replace(b'Total="580.00"', b'Total="58.00"')) is False


def test_wrong_password_is_a_spanish_csd_error() -> None:
    with pytest.raises(seal.CsdError) as err:
        seal.load_signer(CER, KEY, "incorrecta")
    assert "contraseña" in err.value.message


def test_csd_of_another_rfc_cannot_seal() -> None:
    other = ISSUER.model_copy(update={"rfc": "AAA010101AAA"})
    cfdi = build_invoice(ORDER, other, RECEPTOR, folio=1)
    with pytest.raises(seal.CsdError):
        seal.seal(cfdi, seal.load_signer(CER, KEY, "12345678a"))


def test_certificate_info_reads_what_satcfdi_reads() -> None:
    from satcfdi.models import Certificate

    info = seal.certificate_info(CER)
    cert = Certificate.load_certificate(CER)
    assert info.no_certificado == cert.certificate_number == EKU_NO_CERTIFICADO
    assert info.rfc == str(cert.rfc) == "EKU9003173C9"
    assert info.base64 == cert.certificate_base64()
    assert seal.certificate_info(CER) is info  # parsed once
    assert seal.signer_info(seal.load_signer(CER, KEY, "12345678a")) == info
    with pytest.raises(ValueError):
        seal.certificate_info(b"no es un certificado")


def test_sello_does_not_verify_with_another_certificate() -> None:
    from postventa.cfdi import certs

    other = certs.generate_test_csd("EKU9003173C9", "ESCUELA KEMPER URGATE")
    xml = _sealed().xml_bytes()  # type: ignore[attr-defined]
    swapped = xml.replace(
        base64.b64encode(CER), base64.b64encode(other.credentials().certificate)
    ).replace(EKU_NO_CERTIFICADO.encode(), other.no_certificado.encode())
    assert seal.verify_seal(xml) is True
    assert seal.verify_seal(swapped) is False


def test_remembered_cadena_is_the_xslt_of_exactly_the_sealed_bytes() -> None:
    from lxml import etree

    cfdi = build_invoice(ORDER, ISSUER, RECEPTOR, folio=7, fecha=datetime(2024, 1, 2, 10))
    data = seal.seal_to_bytes(cfdi, seal.load_signer(CER, KEY, "12345678a"))
    root = etree.fromstring(data)
    assert root.get("Sello")  # the cadena never depends on Sello: computed before, still equal
    assert seal.cadena_original_of_document(data, root) == seal.cadena_original_of_element(root)
    other = data.replace(b'Folio="7"', b'Folio="8"')  # one byte: not remembered, XSLT again
    cadena = seal.cadena_original_of_document(other, etree.fromstring(other))
    assert cadena.startswith("||4.0|F|8|")
    assert seal.verify_seal(data) and not seal.verify_seal(other)
