"""The stamping path the order lifecycle calls: build -> seal -> XSD -> PAC stamp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from postventa.cfdi.build import ReceptorData, build_invoice
from postventa.cfdi.issuer import CsdCredentials, Issuer
from postventa.cfdi.pac.base import Pac, StampResult
from postventa.domain.orders import Order


@dataclass(frozen=True)
class StampedInvoice:
    uuid: str
    xml: bytes  # stamped CFDI, TimbreFiscalDigital included
    total: Decimal
    currency: str
    serie: str
    folio: str
    rfc_emisor: str
    rfc_receptor: str
    fecha: datetime  # CFDI Fecha (local time of LugarExpedicion)
    fecha_timbrado: datetime
    no_certificado: str  # the seller's CSD
    no_certificado_sat: str  # the PAC's / SAT's certificate
    pac: str


def seal_and_validate(comprobante: Any, csd: CsdCredentials) -> bytes:
    """Seal with the CSD and return XSD-valid bytes (what goes to the PAC)."""
    from lxml import etree

    from postventa.cfdi import xsd
    from postventa.cfdi.seal import seal_to_xml, signer_from_credentials

    element = seal_to_xml(comprobante, signer_from_credentials(csd))
    xsd.validate(element)
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))


def stamp_xml(xml: bytes, pac: Pac) -> StampResult:
    return pac.stamp(xml)


def stamp_order(
    order: Order,
    issuer: Issuer,
    receptor: ReceptorData,
    csd: CsdCredentials,
    pac: Pac,
    folio: int,
    fecha: datetime | None = None,
) -> StampedInvoice:
    """Invoice a paid order. Raises InvoiceBuildError / MissingFiscalKeysError before anything
    leaves the process, CsdError for an unusable CSD, XsdValidationError, and the Pac*Error family
    from the PAC (PacTransientError is safe to retry with the same folio)."""
    comprobante = build_invoice(order, issuer, receptor, folio, fecha)
    xml = seal_and_validate(comprobante, csd)
    result = stamp_xml(xml, pac)
    return StampedInvoice(
        uuid=result.uuid,
        xml=result.xml,
        total=comprobante["Total"],
        currency=comprobante["Moneda"],
        serie=comprobante["Serie"],
        folio=comprobante["Folio"],
        rfc_emisor=issuer.rfc,
        rfc_receptor=comprobante["Receptor"]["Rfc"],
        fecha=comprobante["Fecha"],
        fecha_timbrado=result.fecha_timbrado,
        no_certificado=comprobante["NoCertificado"],
        no_certificado_sat=result.no_certificado_sat,
        pac=pac.name,
    )
