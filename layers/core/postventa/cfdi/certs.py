"""Self-signed test certificates shaped like SAT's: a CSD for any RFC and a PAC certificate.

What satcfdi's Signer and Certificate read (PLATFORM-NOTES): the serial number is the 20-digit
NoCertificado written as ASCII bytes; x500UniqueIdentifier holds the RFC; a CSD has exactly two
extensions (basicConstraints, keyUsage); a PAC certificate's OU is "PAC<RFC>". The private key is
what SAT ships as .key: PKCS#8, password-encrypted, DER.

They are for the sandbox PAC, tests and the demo tenant only: SAT and real PACs reject them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from postventa.cfdi.issuer import CsdCredentials

TEST_PASSWORD = "12345678a"  # noqa: S105 - the same password SAT uses for its public test CSDs


@dataclass(frozen=True)
class TestCertificate:
    certificate: bytes = field(repr=False)  # DER
    key: bytes = field(repr=False)  # PKCS#8 encrypted DER (SAT .key)
    password: str = field(repr=False)
    no_certificado: str
    rfc: str

    def credentials(self) -> CsdCredentials:
        from pydantic import SecretStr

        return CsdCredentials(
            certificate=self.certificate, key=self.key, password=SecretStr(self.password)
        )


def test_no_certificado(rfc: str, kind: str = "csd") -> str:
    """A stable 20-digit number per RFC, prefixed like SAT's test range (3000100000...)."""
    digest = int.from_bytes(hashlib.sha256(f"{kind}:{rfc}".encode()).digest()[:8], "big")
    return "30001" + f"{digest % 10**15:015d}"


def generate_certificate(
    rfc: str,
    name: str,
    *,
    password: str = TEST_PASSWORD,
    no_certificado: str | None = None,
    organizational_unit: str | None = None,
    valid_from: datetime | None = None,
    valid_days: int = 4 * 365,
    key_size: int = 2048,
    fiel: bool = False,
) -> TestCertificate:
    """A self-signed certificate + SAT-format key that satcfdi's Signer.load accepts; `fiel`
    shapes it as an e.firma instead of a CSD (the uses postventa.cfdi.csd_check refuses)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import NameOID

    rfc = rfc.strip().upper()
    number = no_certificado or test_no_certificado(rfc)
    if len(number) != 20 or not number.isdigit():
        raise ValueError("no_certificado must be 20 digits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), name),  # name
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, rfc, _ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
    ]
    if organizational_unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    subject = x509.Name(attributes)
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS POSTVENTA"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "POSTVENTA SANDBOX (NO VALIDO ANTE EL SAT)"
            ),
        ]
    )
    start = (valid_from or datetime.now(tz=UTC)) - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(number.encode("ascii"), "big"))
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=fiel,
                key_agreement=fiel,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if fiel:  # what SAT's e.firma adds: e-mail protection and client authentication
        from cryptography.x509.oid import ExtendedKeyUsageOID

        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    certificate = builder.sign(key, hashes.SHA256())
    return TestCertificate(
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        ),
        password=password,
        no_certificado=number,
        rfc=rfc,
    )


def generate_test_csd(
    rfc: str,
    name: str,
    *,
    password: str = TEST_PASSWORD,
    no_certificado: str | None = None,
    valid_from: datetime | None = None,
    valid_days: int = 4 * 365,
) -> TestCertificate:
    """A test CSD for any RFC: what the demo tenant seeding and the tests use."""
    return generate_certificate(
        rfc,
        name,
        password=password,
        no_certificado=no_certificado,
        valid_from=valid_from,
        valid_days=valid_days,
    )


SANDBOX_PAC_RFC = "SPR190613I52"  # the RFC SAT's own test stamps carry as RfcProvCertif


def generate_pac_certificate(
    rfc: str = SANDBOX_PAC_RFC, name: str = "POSTVENTA PAC DE PRUEBAS", **kwargs: object
) -> TestCertificate:
    """A PAC certificate (OU = "PAC<RFC>") for signing TimbreFiscalDigital in the sandbox."""
    return generate_certificate(
        rfc,
        name,
        organizational_unit=f"PAC{rfc.upper()}",
        no_certificado=test_no_certificado(rfc.upper(), "pac"),
        **kwargs,  # type: ignore[arg-type]
    )
