"""Sealing with the seller's CSD: load, sign (Sello, NoCertificado, Certificado), verify.

satcfdi does the heavy lifting (Signer, XSLT cadena original); imports happen inside functions.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What sealing and the PAC checks read from an X.509 certificate, parsed once.

    satcfdi's Certificate re-reads the certificate through pyOpenSSL on every property access
    (RFC, NoCertificado, base64, public key: ~0.1 ms each); this keeps the results."""

    der: bytes
    no_certificado: str  # the 20-digit number SAT assigns (from the serial number)
    rfc: str  # x500UniqueIdentifier's first RFC ("" when absent)
    base64: str  # what goes in Certificado
    not_before: datetime  # UTC
    not_after: datetime  # UTC
    public_key: Any  # cryptography RSAPublicKey

    def verify_sha256(self, data: bytes, signature: bytes) -> bool:
        """SHA256withRSA (PKCS#1 v1.5), as SAT's Sello."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self.public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


_CERTS: OrderedDict[bytes, CertificateInfo] = OrderedDict()
_CERTS_MAX = 64
_certs_lock = threading.Lock()


def certificate_info(der: bytes) -> CertificateInfo:
    """Parse a DER certificate (cached per process, keyed by the whole DER: a certificate that
    differs in any byte is parsed afresh). Raises ValueError when it is not a certificate."""
    with _certs_lock:
        info = _CERTS.get(der)
        if info is not None:
            _CERTS.move_to_end(der)
            return info
    from satcfdi.models import Certificate

    try:
        certificate = Certificate.load_certificate(der)
        crypto_cert = certificate.certificate.to_cryptography()
        rfc = certificate.rfc
        info = CertificateInfo(
            der=der,
            no_certificado=str(certificate.certificate_number),
            rfc=str(rfc) if rfc else "",
            base64=base64.b64encode(der).decode(),
            not_before=crypto_cert.not_valid_before_utc,
            not_after=crypto_cert.not_valid_after_utc,
            public_key=crypto_cert.public_key(),
        )
    except Exception as exc:  # pyOpenSSL / cryptography parse errors
        raise ValueError(f"certificado inválido: {type(exc).__name__}") from exc
    with _certs_lock:
        _CERTS[der] = info
        while len(_CERTS) > _CERTS_MAX:
            _CERTS.popitem(last=False)
    return info


_SIGNER_INFO: weakref.WeakKeyDictionary[Any, CertificateInfo] = weakref.WeakKeyDictionary()


def signer_info(signer: Signer) -> CertificateInfo:
    """The signer's certificate, parsed once per Signer object."""
    info = _SIGNER_INFO.get(signer)
    if info is None:
        info = certificate_info(bytes(signer.certificate_bytes()))
        _SIGNER_INFO[signer] = info
    return info


def certificate_rfc(signer: Signer) -> str:
    return signer_info(signer).rfc


def certificate_validity(signer: Signer) -> tuple[datetime, datetime]:
    info = signer_info(signer)
    return info.not_before, info.not_after


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
    return _seal_element(comprobante, signer)[0]


def _seal_element(comprobante: CFDI, signer: Signer) -> tuple[Any, str]:
    """(sealed element, the cadena original its Sello signs)."""
    if certificate_rfc(signer) != comprobante["Emisor"]["Rfc"]:
        raise CsdError("El CSD no pertenece al RFC del emisor.")
    info = signer_info(signer)
    comprobante["NoCertificado"] = info.no_certificado
    comprobante["Certificado"] = info.base64
    element = comprobante.to_xml(include_schema_location=True)
    cadena = cadena_original_of_element(element)
    sello = signer.sign_sha256(cadena.encode())
    comprobante["Sello"] = sello
    element.set("Sello", sello)  # the cadena never includes Sello (nor Certificado)
    return element, cadena


def seal_to_bytes(comprobante: CFDI, signer: Signer) -> bytes:
    """Seal, serialize and XSD-validate the bytes (`xsd.serialize_validated`): what goes to the
    PAC. Remembers the cadena original of exactly these bytes for `cadena_original_of_document`,
    so a PAC check in this process (the sandbox) does not run the XSLT a second time."""
    return seal_to_document(comprobante, signer)[0]


def seal_to_document(comprobante: CFDI, signer: Signer) -> tuple[bytes, Any]:
    """`seal_to_bytes`, also returning the bytes as parsed back for their XSD validation, so the
    check that reads them next (SAT's matrix before sending) does not parse them again."""
    from postventa.cfdi import xsd

    element, cadena = _seal_element(comprobante, signer)
    data, parsed = xsd.serialize_parsed(element)
    digest = hashlib.sha256(data).digest()
    with _cadenas_lock:
        _CADENAS[digest] = cadena
        while len(_CADENAS) > _CADENAS_MAX:
            _CADENAS.popitem(last=False)
    return data, parsed


# Cadenas originales by SHA-256 of the exact document bytes they were computed for (only
# `seal_to_bytes` records: it computed the cadena on the very element it serialized, and the
# cadena is a pure function of the document). Any other document, even one differing in a
# single byte, gets the XSLT.
_CADENAS: OrderedDict[bytes, str] = OrderedDict()
_CADENAS_MAX = 1024
_cadenas_lock = threading.Lock()


def cadena_original_of_document(data: bytes, element: Any) -> str:
    """Cadena original of a serialized CFDI; `element` is `data` parsed (used when the bytes
    were not sealed by `seal_to_bytes` in this process)."""
    digest = hashlib.sha256(data).digest()
    with _cadenas_lock:
        cadena = _CADENAS.get(digest)
    if cadena is not None:
        return cadena
    return cadena_original_of_element(element)


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
    from satcfdi.utils import parser

    if isinstance(comprobante, bytes):
        element = etree.fromstring(comprobante, parser=parser)
    else:
        element = comprobante.to_xml()
    try:
        cert = certificate_info(base64.b64decode(element.get("Certificado")))
        signature = base64.b64decode(element.get("Sello"))
    except Exception:
        return False
    if cert.no_certificado != element.get("NoCertificado"):
        return False
    return cert.verify_sha256(cadena_original_of_element(element).encode(), signature)


def no_certificado_of(cert: Any) -> str:
    return str(cert.certificate_number)
