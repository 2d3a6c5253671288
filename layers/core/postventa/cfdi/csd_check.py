"""Checking a CSD a seller uploads (.cer, .key, password) before anything is stored.

What makes a certificate a CSD and not an e.firma (FIEL), from the certificates SAT itself
publishes for testing (its test CSD EKU9003173C9 and the FIEL of AAA010101AAA in SAT's
Cert_Sellos.zip, read with `openssl x509 -text`):

- a CSD carries two extensions, basicConstraints and keyUsage = digitalSignature +
  nonRepudiation (and an OU, the branch name);
- a FIEL's keyUsage adds dataEncipherment and keyAgreement, and it carries extendedKeyUsage
  emailProtection + clientAuth (and Netscape's cert type) — four extensions, the count satcfdi's
  Certificate.type uses to tell them apart.

A certificate is refused as a FIEL when it has any of the FIEL's marks, and as "not a CSD" when
its keyUsage lacks a CSD's two bits. The RFC is x500UniqueIdentifier's first value (a persona
moral's certificate adds its legal representative's RFC after " / "). Whether SAT issued the
certificate (its chain to SAT's certification authority) is left to the PAC, which checks it
against SAT's list of certificates (LCO) at the first stamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postventa.errors import PostventaError


@dataclass(frozen=True)
class CsdProblem:
    code: str
    message: str  # Spanish, for the seller


class CsdRejectedError(PostventaError):
    status_code = 422
    code = "csd_rechazado"

    def __init__(self, problems: list[CsdProblem]) -> None:
        self.problems = problems
        super().__init__(
            "El CSD no se puede usar: " + " ".join(p.message for p in problems),
            details=[{"codigo": p.code, "mensaje": p.message} for p in problems],
        )


@dataclass(frozen=True)
class CsdFacts:
    """What the panel shows of an accepted CSD (nothing secret)."""

    no_certificado: str
    rfc: str
    valid_from: datetime
    valid_to: datetime

    def summary(self) -> dict[str, str]:
        return {
            "no_certificado": self.no_certificado,
            "rfc": self.rfc,
            "vigente_desde": self.valid_from.isoformat(),
            "vigente_hasta": self.valid_to.isoformat(),
        }


def _load_certificate(data: bytes) -> Any:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def _load_key(data: bytes, password: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    secret = password.encode("utf-8")
    for load in (serialization.load_der_private_key, serialization.load_pem_private_key):
        try:
            return load(data, password=secret)
        except (ValueError, TypeError):
            continue
    return None


def _rfc_of(certificate: Any) -> str:
    from cryptography.x509.oid import NameOID

    values = certificate.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    if not values:
        return ""
    return str(values[0].value).split("/")[0].strip().upper()


def _kind_problem(certificate: Any) -> CsdProblem | None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    try:
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        extended = []
    fiel_uses = {ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH}
    if (usage is not None and (usage.data_encipherment or usage.key_agreement)) or (
        fiel_uses & set(extended)
    ):
        return CsdProblem(
            "es_fiel",
            "Este certificado es de e.firma (FIEL), no un Certificado de Sello Digital (CSD). "
            "Para facturar se usa el CSD: lo tramitas con tu e.firma en el portal del SAT "
            "(Certifica o «Solicitud de certificados de sello digital»).",
        )
    if usage is None or not (usage.digital_signature and usage.content_commitment):
        return CsdProblem(
            "no_es_csd",
            "Este certificado no es un Certificado de Sello Digital (CSD) del SAT: no sirve "
            "para sellar facturas.",
        )
    return None


def _serial_number(certificate: Any) -> str:
    """SAT's NoCertificado: the serial number's bytes are its 20 ASCII digits."""
    raw = certificate.serial_number.to_bytes((certificate.serial_number.bit_length() + 7) // 8)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return ""
    return text if text.isdigit() else ""


def _date(moment: datetime) -> str:
    from postventa.formatting import date_es

    return date_es(int(moment.timestamp()))


def check_csd(
    certificate: bytes, key: bytes, password: str, *, issuer_rfc: str, now: datetime | None = None
) -> CsdFacts:
    """The CSD's public facts when every check passes; CsdRejectedError with each check that
    failed otherwise (in the order a seller fixes them)."""
    now = now or datetime.now(UTC)
    problems: list[CsdProblem] = []
    cert = _load_certificate(certificate)
    if cert is None:
        problems.append(
            CsdProblem(
                "cer_invalido",
                "El archivo .cer no es un certificado (se espera el .cer que entrega el SAT).",
            )
        )
    else:
        kind = _kind_problem(cert)
        if kind is not None:
            problems.append(kind)
        rfc = _rfc_of(cert)
        if rfc != issuer_rfc.strip().upper():
            problems.append(
                CsdProblem(
                    "rfc_distinto",
                    f"El certificado es del RFC {rfc or '(sin RFC)'} y tu emisor es "
                    f"{issuer_rfc.upper()}: sube el CSD de tu RFC o corrige los datos del emisor.",
                )
            )
        if now < cert.not_valid_before_utc:
            problems.append(
                CsdProblem(
                    "aun_no_vigente",
                    f"El certificado entra en vigor el {_date(cert.not_valid_before_utc)}.",
                )
            )
        elif now >= cert.not_valid_after_utc:
            problems.append(
                CsdProblem(
                    "vencido",
                    f"El certificado venció el {_date(cert.not_valid_after_utc)}: tramita uno "
                    "nuevo en el portal del SAT.",
                )
            )
    private_key = _load_key(key, password)
    if private_key is None:
        problems.append(
            CsdProblem(
                "llave_no_abre",
                "La contraseña no abre la llave privada (.key), o el archivo no es la llave de "
                "un CSD. Revisa la contraseña de tu CSD (no es la de la e.firma).",
            )
        )
    elif cert is not None and (
        private_key.public_key().public_numbers() != cert.public_key().public_numbers()
    ):
        problems.append(
            CsdProblem(
                "llave_no_corresponde",
                "La llave privada (.key) no corresponde a este certificado (.cer): súbelos del "
                "mismo CSD.",
            )
        )
    if problems:
        raise CsdRejectedError(problems)
    return _facts(cert)


def _facts(cert: Any) -> CsdFacts:
    return CsdFacts(
        no_certificado=_serial_number(cert),
        rfc=_rfc_of(cert),
        valid_from=cert.not_valid_before_utc,
        valid_to=cert.not_valid_after_utc,
    )


def certificate_facts(certificate: bytes) -> CsdFacts | None:
    """The public facts of a stored certificate (no checks: it passed them when uploaded)."""
    cert = _load_certificate(certificate)
    return _facts(cert) if cert is not None else None
