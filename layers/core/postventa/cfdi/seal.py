"""Sealing with the seller's CSD: load, sign (Sello, NoCertificado, Certificado), verify.

satcfdi does the heavy lifting (Signer, XSLT cadena original); imports happen inside functions.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

from postventa.cfdi.errors import CfdiError
from postventa.cfdi.issuer import CsdCredentials

if TYPE_CHECKING:
    from satcfdi.cfdi import CFDI
    from satcfdi.models import Signer


class CsdError(CfdiError):
    """The CSD cannot be used (wrong password, key and certificate do not match, expired...)."""

    code = "csd_invalido"


def load_signer(certificate: bytes, key: bytes, password: str | bytes) -> Signer:
    """A satcfdi Signer from DER certificate, SAT .key (PKCS#8 encrypted DER) and password."""
    from satcfdi.models import Signer

    try:
        return Signer.load(certificate=certificate, key=key, password=password)
    except (ValueError, TypeError) as exc:
        raise CsdError(
            "No fue posible abrir el CSD: revise la contraseña y que el .key corresponda al .cer."
        ) from exc
    except Exception as exc:  # OpenSSL / satcfdi errors (e.g. key and certificate mismatch)
        raise CsdError(f"CSD inválido: {type(exc).__name__}.") from exc


def signer_from_credentials(csd: CsdCredentials) -> Signer:
    return load_signer(csd.certificate, csd.key, csd.password.get_secret_value())


def certificate_rfc(signer: Signer) -> str:
    rfc = signer.rfc
    return str(rfc) if rfc else ""


def certificate_validity(signer: Signer) -> tuple[datetime, datetime]:
    cert = signer.certificate.to_cryptography()
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def seal(comprobante: CFDI, signer: Signer) -> CFDI:
    """Fill NoCertificado, Certificado and Sello (SHA256withRSA over the cadena original)."""
    emisor_rfc = comprobante["Emisor"]["Rfc"]
    if certificate_rfc(signer) != emisor_rfc:
        raise CsdError("El CSD no pertenece al RFC del emisor.")
    comprobante.sign(signer)
    return comprobante


def cadena_original(comprobante: CFDI) -> str:
    """The CFDI's cadena original (SAT XSLT), whatever the Sello currently holds."""
    return str(comprobante.cadena_original())


def no_certificado(signer: Signer) -> str:
    """The 20-digit certificate number SAT assigns (NoCertificado)."""
    return str(signer.certificate_number)


def verify_seal(comprobante: CFDI | bytes) -> bool:
    """True when Sello verifies against the certificate embedded in the CFDI."""
    from satcfdi.cfdi import CFDI as SatCfdi
    from satcfdi.models import Certificate

    cfdi: Any = SatCfdi.from_string(comprobante) if isinstance(comprobante, bytes) else comprobante
    try:
        cert = Certificate.load_certificate(base64.b64decode(cfdi["Certificado"]))
        signature = base64.b64decode(cfdi["Sello"])
    except Exception:
        return False
    if no_certificado_of(cert) != cfdi.get("NoCertificado"):
        return False
    return bool(cert.verify_sha256(cadena_original(cfdi).encode(), signature))


def no_certificado_of(cert: Any) -> str:
    return str(cert.certificate_number)
