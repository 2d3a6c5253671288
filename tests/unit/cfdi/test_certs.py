"""Generated test certificates load in satcfdi and sign like SAT's."""

from __future__ import annotations

import pytest
from satcfdi.models import Signer

from postventa.cfdi import certs


def test_generated_csd_loads_with_its_rfc_name_and_20_digit_number() -> None:
    csd = certs.generate_test_csd("AAA010101AAA", "MI TIENDA", password="secreta1")
    signer = Signer.load(csd.certificate, csd.key, "secreta1")
    assert str(signer.rfc) == "AAA010101AAA"
    assert signer.legal_name == "MI TIENDA"
    assert signer.certificate_number == csd.no_certificado
    assert len(csd.no_certificado) == 20 and csd.no_certificado.isdigit()
    assert signer.type is not None and signer.type.name == "CSD"
    signature = signer.sign_sha256(b"hola")
    import base64

    assert signer.verify_sha256(b"hola", base64.b64decode(signature))


def test_key_is_password_protected() -> None:
    csd = certs.generate_test_csd("AAA010101AAA", "MI TIENDA")
    with pytest.raises((ValueError, TypeError)):
        Signer.load(csd.certificate, csd.key, "otra")


def test_pac_certificate_exposes_its_rfc_through_ou() -> None:
    pac = certs.generate_pac_certificate()
    signer = Signer.load(pac.certificate, pac.key, pac.password)
    assert str(signer.rfc_pac) == certs.SANDBOX_PAC_RFC
