"""Sealing with the seller's CSD: load, sign (Sello, NoCertificado, Certificado), verify.

satcfdi does the heavy lifting (Signer, XSLT cadena original); imports happen inside functions.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
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


_SIGNERS: OrderedDict[bytes, Signer] = OrderedDict()
_SIGNERS_MAX = 16
_signers_lock = threading.Lock()


def signer_from_credentials(csd: CsdCredentials) -> Signer:
    """The CSD's Signer, cached in process memory (decrypting a SAT .key costs ~45 ms); keyed by
    a digest of certificate, key and password, so a changed CSD or password loads afresh."""
    password = csd.password.get_secret_value()
    digest = hashlib.sha256(csd.certificate + b"\0" + csd.key + b"\0" + password.encode()).digest()
    with _signers_lock:
        signer = _SIGNERS.get(digest)
        if signer is not None:
            _SIGNERS.move_to_end(digest)
            return signer
    signer = load_signer(csd.certificate, csd.key, password)
    with _signers_lock:
        _SIGNERS[digest] = signer
        while len(_SIGNERS) > _SIGNERS_MAX:
            _SIGNERS.popitem(last=False)
    return signer


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


def seal_to_xml(comprobante: CFDI, signer: Signer) -> Any:
    """Seal and return the lxml element, rendering the XML once (satcfdi's sign() + xml_bytes()
    render it twice and the XSLT runs on the first rendering anyway)."""
    emisor_rfc = comprobante["Emisor"]["Rfc"]
    if certificate_rfc(signer) != emisor_rfc:
        raise CsdError("El CSD no pertenece al RFC del emisor.")
    comprobante["NoCertificado"] = signer.certificate_number
    comprobante["Certificado"] = signer.certificate_base64()
    element = comprobante.to_xml(include_schema_location=True)
    sello = signer.sign_sha256(cadena_original_of_element(element).encode())
    comprobante["Sello"] = sello
    element.set("Sello", sello)
    return element


def cadena_original_of_element(element: Any) -> str:
    """Cadena original straight from an lxml CFDI 4.0 / TFD 1.1 element (SAT XSLT)."""
    from satcfdi.transform import xslt_transform

    return str(xslt_transform(element.tag, element.get("Version"))(element))


def cadena_original(comprobante: CFDI) -> str:
    """The CFDI's cadena original (SAT XSLT), whatever the Sello currently holds."""
    return str(comprobante.cadena_original())


def no_certificado(signer: Signer) -> str:
    """The 20-digit certificate number SAT assigns (NoCertificado)."""
    return str(signer.certificate_number)


def verify_seal(comprobante: CFDI | bytes) -> bool:
    """True when Sello verifies against the certificate embedded in the CFDI."""
    from lxml import etree
    from satcfdi.models import Certificate
    from satcfdi.utils import parser

    if isinstance(comprobante, bytes):
        element = etree.fromstring(comprobante, parser=parser)
    else:
        element = comprobante.to_xml()
    try:
        cert = Certificate.load_certificate(base64.b64decode(element.get("Certificado")))
        signature = base64.b64decode(element.get("Sello"))
    except Exception:
        return False
    if no_certificado_of(cert) != element.get("NoCertificado"):
        return False
    return bool(cert.verify_sha256(cadena_original_of_element(element).encode(), signature))


def no_certificado_of(cert: Any) -> str:
    return str(cert.certificate_number)
