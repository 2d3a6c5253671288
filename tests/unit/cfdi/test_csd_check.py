"""An uploaded CSD is checked on the spot: a CSD and not a FIEL, the issuer's RFC, in force, the
key opens with the password and matches the certificate; each failure says which, in Spanish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from postventa.cfdi.certs import generate_certificate, generate_test_csd
from postventa.cfdi.csd_check import CsdRejectedError, check_csd
from tests.support.csd import EKU_NO_CERTIFICADO, EKU_RFC, eku_csd, fiel_like


def _codes(certificate: bytes, key: bytes, password: str = "12345678a", **kw: object) -> list[str]:
    with pytest.raises(CsdRejectedError) as refused:
        check_csd(certificate, key, password, issuer_rfc=kw.pop("rfc", EKU_RFC), **kw)  # type: ignore[arg-type]
    return [p.code for p in refused.value.problems]


def test_the_test_csd_is_accepted_with_its_public_facts() -> None:
    csd = eku_csd()
    facts = check_csd(csd.certificate, csd.key, csd.password, issuer_rfc="eku9003173c9")
    assert facts.rfc == EKU_RFC
    assert facts.no_certificado == EKU_NO_CERTIFICADO
    assert facts.valid_from < datetime.now(UTC) < facts.valid_to
    assert set(facts.summary()) == {"no_certificado", "rfc", "vigente_desde", "vigente_hasta"}


def test_a_pem_certificate_and_key_are_accepted_too() -> None:
    from cryptography import x509

    csd = eku_csd()
    pem = x509.load_der_x509_certificate(csd.certificate).public_bytes(serialization.Encoding.PEM)
    assert check_csd(pem, csd.key, csd.password, issuer_rfc=EKU_RFC).rfc == EKU_RFC


def test_a_fiel_is_refused_as_a_fiel() -> None:
    certificate, key = fiel_like()
    with pytest.raises(CsdRejectedError) as refused:
        check_csd(certificate, key, "12345678a", issuer_rfc=EKU_RFC)
    [problem] = refused.value.problems
    assert problem.code == "es_fiel"
    assert "e.firma (FIEL)" in problem.message


def test_another_rfcs_csd_is_refused_naming_both() -> None:
    other = generate_test_csd("XIA190128J61", "XENON INDUSTRIAL ARTICLES")
    with pytest.raises(CsdRejectedError) as refused:
        check_csd(other.certificate, other.key, other.password, issuer_rfc=EKU_RFC)
    [problem] = refused.value.problems
    assert problem.code == "rfc_distinto"
    assert "XIA190128J61" in problem.message and EKU_RFC in problem.message


def test_an_expired_or_future_csd_is_refused() -> None:
    old = generate_certificate(
        EKU_RFC, "X", valid_from=datetime.now(UTC) - timedelta(days=900), valid_days=365
    )
    assert _codes(old.certificate, old.key) == ["vencido"]
    csd = eku_csd()
    early = datetime.now(UTC) - timedelta(days=30)
    assert _codes(csd.certificate, csd.key, csd.password, now=early) == ["aun_no_vigente"]


def test_a_wrong_password_and_a_key_of_another_certificate_are_refused() -> None:
    csd = eku_csd()
    assert _codes(csd.certificate, csd.key, "otra-contraseña") == ["llave_no_abre"]
    stranger = generate_test_csd(EKU_RFC, "ESCUELA KEMPER URGATE")
    assert _codes(csd.certificate, stranger.key, stranger.password) == ["llave_no_corresponde"]


def test_files_that_are_not_a_certificate_or_a_key_say_so() -> None:
    csd = eku_csd()
    assert _codes(b"no soy un certificado", csd.key, csd.password) == ["cer_invalido"]
    assert _codes(csd.certificate, b"tampoco una llave") == ["llave_no_abre"]
    swapped = _codes(csd.key, csd.certificate, csd.password)  # .cer and .key swapped
    assert swapped == ["cer_invalido", "llave_no_abre"]
