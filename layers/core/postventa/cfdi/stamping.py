"""The stamping path the order lifecycle calls: build -> seal -> XSD -> SAT's matrix -> PAC stamp.

The matrix check runs on the sealed bytes before they leave the process, whichever PAC receives
them, so no folio is spent on an error we could have caught (`MatrixRejectionError`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from postventa.cfdi.build import ReceptorData, build_invoice
from postventa.cfdi.issuer import CsdCredentials, Issuer, TenantConfig
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
    from postventa.cfdi.seal import seal_to_bytes, signer_from_credentials

    return seal_to_bytes(comprobante, signer_from_credentials(csd))


def stamp_xml(xml: bytes, pac: Pac, *, element: Any = None) -> StampResult:
    """Send sealed, XSD-valid bytes to the PAC after SAT's validation matrix passed on them at
    the PAC's clock, without the rules that PAC waives (`check_before_sending`; raises
    `postventa.cfdi.validation.MatrixRejectionError` and sends nothing). `element`: the bytes
    already parsed, to save a parse. The verdict is remembered for these exact bytes, so a PAC
    in this process (the sandbox) does not judge them twice."""
    from postventa.cfdi.validation import check_before_sending

    check_before_sending(xml, now=pac.now(), skip=pac.waived_codes, element=element)
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
    leaves the process, CsdError for an unusable CSD, XsdValidationError, MatrixRejectionError
    (SAT's validation matrix refused the sealed document; nothing was sent), and the Pac*Error
    family from the PAC (PacTransientError is safe to retry with the same folio)."""
    from postventa.cfdi.seal import seal_to_document, signer_from_credentials

    comprobante = build_invoice(order, issuer, receptor, folio, fecha)
    xml, parsed = seal_to_document(comprobante, signer_from_credentials(csd))
    result = stamp_xml(xml, pac, element=parsed)
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


def pac_for_tenant(tenant: TenantConfig) -> Pac:
    """The PAC tenant.json names, built by the factory: the local sandbox, or a real provider with
    the account in tenant.json's pac_credentials; never a silent fallback to the sandbox."""
    from postventa.cfdi.errors import PacAuthError
    from postventa.cfdi.pac.factory import PacCredentials, PacProvider, get_pac

    choice = tenant.issuer.pac
    if choice.name is PacProvider.SANDBOX:
        # SAT's public test CSDs expired in 2023: the local sandbox skips the validity check
        return get_pac(choice.config(), sandbox_options={"check_certificate_validity": False})
    try:  # an empty account lets the adapter say which fields its provider needs
        return get_pac(choice.config(), tenant.pac_credentials or PacCredentials())
    except PacAuthError as exc:
        raise PacAuthError(
            f'tenant.json pide el PAC "{choice.name.value}", pero falta su cuenta: {exc.message} '
            'Agrégala en "pac_credentials" ("user" y "password"; SW Sapien acepta "token") o '
            'usa "pac": {"name": "sandbox"} para timbrar en local sin validez fiscal.',
            pac_code=exc.pac_code,
        ) from exc


def build_from_files(
    order_path: str,
    tenant_path: str,
    receptor_path: str | None,
    out_dir: str,
    folio: int = 1,
) -> dict[str, Any]:
    """`postventa cfdi build`: order.json (+ its `receptor`, or a separate receptor.json) and
    tenant.json -> sealed XML stamped by the PAC tenant.json names (the local sandbox unless it
    says otherwise) and its PDF in out_dir; returns the JSON summary.
    Formats: docs/formats/order-and-tenant-json.md."""
    import json
    from pathlib import Path

    from postventa.cfdi.errors import InvoiceBuildError
    from postventa.cfdi.issuer import load_order_json, load_tenant_json
    from postventa.cfdi.pdf import render_pdf
    from postventa.cfdi.receptor import require_receptor

    order = load_order_json(order_path)
    tenant, csd = load_tenant_json(tenant_path)
    issuer = tenant.issuer
    source = receptor_path or order_path
    raw = json.loads(Path(source).read_text(encoding="utf-8"))
    if receptor_path is None:
        raw = raw.get("receptor")
        if not isinstance(raw, dict):
            raise InvoiceBuildError(
                'Faltan los datos fiscales del receptor: agrega "receptor" a order.json '
                "o indica --receptor receptor.json."
            )
    receptor = require_receptor(
        raw,
        es_global=str(raw.get("rfc", "")).upper() == "XAXX010101000",
        lugar_expedicion=issuer.lugar_expedicion,
        rfc_confirmado=raw.get("rfc_confirmado") is True,  # the buyer's "mi RFC es correcto"
    )
    stamped = stamp_order(order, issuer, receptor, csd, pac_for_tenant(tenant), folio)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{stamped.serie}{stamped.folio}"
    xml_path = out / f"{name}.xml"
    xml_path.write_bytes(stamped.xml)
    pdf_path = out / f"{name}.pdf"
    pdf_path.write_bytes(render_pdf(stamped.xml))
    return {
        "uuid": stamped.uuid,
        "serie": stamped.serie,
        "folio": stamped.folio,
        "total": str(stamped.total),
        "moneda": stamped.currency,
        "pac": stamped.pac,
        "xml": str(xml_path),
        "pdf": str(pdf_path),
    }
