"""Stamping an order's invoice and delivering it (the functions with the CfdiLayer).

Exactly once, across retries and crashes:
- the sealed XML is stored (S3) and its key recorded on the order *before* it goes to the PAC; a
  retry sends those same bytes again instead of building a new document;
- the PAC answers a document it stamped before with the same stamp (a real PAC's 307; our
  sandbox remembers in the table), so a crash after the PAC answered and before we recorded
  the UUID costs nothing: the retry records the same UUID;
- the folio reserved for the order is spent when the stamp is recorded, released when the
  invoice cannot be made; a retry never takes a second one.

Outcomes the state machine routes on: "stamped"; "no_folios" (the order waits in `sin_folios`
until folios are added, then Stamp runs again); "data_rejected" (the buyer must correct: the
order is in `correccion`); "failed" (the seller must act: code, reason and action). Transient
troubles (a PAC outage, throttling) raise TransientError so the state machine retries for hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from postventa.domain.clock import iso
from postventa.domain.invoices import Correction, Invoice
from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters, Attachment
from postventa.domain.status import PAC_REJECTED_DATA, STAMPED, OrderStatus
from postventa.domain.tenants import Tenant
from postventa.errors import NotFoundError, TransientError
from postventa.formatting import amount
from postventa.messaging.email import render_email
from postventa.observability import logger
from postventa.services.customers import invoice_recipients
from postventa.services.events import announce
from postventa.services.invoicing import reserve_folio
from postventa.services.order_context import load_order
from postventa.storage.keys import invoice_prefix

# What the seller can do about each failure the engine, the CSD or the PAC reports.
_ACTIONS = {
    "claves_no_registradas": "Registra la clave de producto y unidad del SAT de esos SKU (o una "
    "clave por omisión) en la configuración fiscal y reintenta el pedido.",
    "forma_pago_sin_asignar": "Asigna una forma de pago del SAT a ese método de pago en la "
    "configuración fiscal y reintenta el pedido.",
    "iva_fronterizo_no_aplica": "Corrige la tasa de IVA de esos productos en la configuración "
    "fiscal y reintenta el pedido.",
    "csd_invalido": "Sube un CSD vigente (certificado .cer, llave .key y su contraseña) y "
    "reintenta el pedido.",
    "csd_faltante": "Sube tu CSD (certificado .cer, llave .key y contraseña) y reintenta.",
    "pac_autenticacion": "Revisa el usuario y la contraseña de tu cuenta del PAC y reintenta.",
    "pac_sin_timbres": "Compra timbres en tu cuenta del PAC y reintenta el pedido.",
    "factura_no_generable": "Revisa el motivo en el pedido y reintenta cuando esté corregido.",
    "emisor_invalido": "Corrige los datos fiscales de tu empresa y reintenta el pedido.",
}


class InvoiceTask(BaseModel):
    """What the state machine sends to StampInvoiceFunction."""

    task: Literal["stamp", "deliver"]
    order: OrderRef


def run_invoice_task(task: InvoiceTask, adapters: Adapters) -> dict[str, Any]:
    if task.task == "stamp":
        return stamp(task.order, adapters)
    return deliver(task.order, adapters)


@dataclass(frozen=True)
class Failure:
    """Why an invoice could not be made, in words the seller reads, and what fixes it."""

    code: str
    reason: str
    action: str

    @classmethod
    def of(cls, code: str, reason: str) -> Failure:
        return cls(code, reason, _ACTIONS.get(code, "Revisa el motivo y reintenta el pedido."))

    def outcome(self) -> dict[str, Any]:
        return {"result": "failed", "code": self.code, "reason": self.reason, "action": self.action}


def _failed(exc: Exception) -> dict[str, Any]:
    """The stamping step's outcome for a failure the seller fixes; anything else propagates."""
    failure = failure_of(exc)
    if failure is None:
        raise exc
    return failure.outcome()


def failure_of(exc: Exception) -> Failure | None:
    """The seller's side of a failure to build, seal or stamp a CFDI (setup, keys, CSD, the
    PAC's account or refusal); None when the exception is none of those."""
    from postventa.cfdi.errors import (
        InvoiceBuildError,
        PacAuthError,
        PacDataRejectedError,
        PacError,
        PacNoCreditError,
    )
    from postventa.cfdi.seal import CsdError
    from postventa.cfdi.validation import MatrixRejectionError

    if isinstance(exc, SetupError):
        return Failure.of(exc.code, exc.reason)
    if isinstance(exc, MatrixRejectionError):  # checked offline: nothing reached the PAC
        return Failure.of(exc.code, f"La factura no cumple una regla del SAT: {exc.message}")
    if isinstance(exc, PacDataRejectedError):
        return Failure.of(exc.code, f"El PAC rechazó la factura: {exc.message}")
    if isinstance(exc, PacAuthError | PacNoCreditError):
        return Failure.of(exc.code, exc.message)
    if isinstance(exc, CsdError):
        return Failure.of("csd_invalido", exc.message)
    if isinstance(exc, InvoiceBuildError):
        return Failure.of(exc.code, exc.message)
    if isinstance(exc, PacError):
        return Failure.of(exc.code, f"El PAC respondió con un error: {exc.message}")
    return None


def issuer_for(tenant: Tenant) -> Any:
    """The engine's Issuer: the tenant's fiscal identity plus its invoicing settings."""
    from postventa.cfdi.issuer import Issuer

    if tenant.issuer is None:
        raise SetupError("emisor_invalido", "La tienda no tiene registrados sus datos fiscales.")
    identity = tenant.issuer
    return Issuer.model_validate(
        {
            **tenant.invoicing,
            "rfc": identity.rfc,
            "nombre": identity.nombre,
            "regimen_fiscal": identity.regimen_fiscal,
            "lugar_expedicion": identity.codigo_postal,
        }
    )


class SetupError(Exception):
    """The tenant is not set up to invoice (no fiscal identity, no CSD)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def csd_of(tenant: Tenant, adapters: Adapters) -> Any:
    """The tenant's CSD (Secrets Manager), or SetupError saying it has none."""
    if not tenant.csd_secret_ref:
        raise SetupError("csd_faltante", "La tienda no tiene un CSD registrado para sellar.")
    try:
        return adapters.credentials.load_csd(tenant.csd_secret_ref)
    except NotFoundError as exc:
        raise SetupError("csd_faltante", exc.message) from None


def stamp(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    from postventa.cfdi.errors import (
        PacDataRejectedError,
        PacTransientError,
        ReceptorInvalidError,
    )
    from postventa.cfdi.stamping import stamp_xml
    from postventa.cfdi.validation import MatrixRejectionError

    record, tenant = load_order(ref, adapters)
    if record.status is OrderStatus.INVOICED and record.invoice:
        return {"result": "stamped", "uuid": record.invoice.uuid}  # a redelivered task
    if record.status is not OrderStatus.STAMPING:  # the folio first (a retry already holds it)
        if not reserve_folio(ref, adapters)["reserved"]:
            return {"result": "no_folios"}
        record, tenant = load_order(ref, adapters)
    reservation = adapters.folios.reservation(ref)
    if reservation is None or record.status is not OrderStatus.STAMPING:
        raise RuntimeError(f"stamp called for an order in {record.status} without a folio")
    try:
        sealed = _sealed_document(record, tenant, reservation.number, adapters)
        pac = adapters.pacs.for_tenant(tenant)
        result = stamp_xml(sealed, pac)  # SAT's matrix first: nothing is sent that would fail
    except ReceptorInvalidError as exc:
        return _ask_buyer(record, None, exc.message + _problems(exc.problems), adapters)
    except PacTransientError as exc:
        raise TransientError(f"PAC: {exc.code}") from exc
    except (PacDataRejectedError, MatrixRejectionError) as exc:
        field = _buyer_field(exc)
        if field is not None:
            return _ask_buyer(record, field, exc.message, adapters)
        return _failed(exc)
    except Exception as exc:
        return _failed(exc)
    return _record_stamp(record, tenant, result, pac, adapters)


def _sealed_document(record: OrderRecord, tenant: Tenant, folio: int, adapters: Adapters) -> bytes:
    return sealed_order_document(record, tenant, folio, adapters)


def sealed_order_document(
    record: OrderRecord,
    tenant: Tenant,
    folio: int,
    adapters: Adapters,
    *,
    fiscal_data: dict[str, Any] | None = None,
    relacionados: Sequence[Any] = (),
) -> bytes:
    """The bytes to send for the order's invoice with `folio`: the ones stored by an earlier
    attempt for this folio, or a new document built, sealed and stored before anything leaves.
    `fiscal_data` (default: the buyer's) and `relacionados` serve a substitute (motivo 01)."""
    key = (
        f"{invoice_prefix(record.ref.tenant_id, record.ref.channel, record.ref.order_id)}"
        f"sealed-{folio}.xml"
    )
    if record.sealed_key == key:
        stored = adapters.documents.get(record.ref.tenant_id, key)
        if stored is not None:
            return stored
    from postventa.cfdi.build import build_invoice
    from postventa.cfdi.receptor import require_receptor
    from postventa.cfdi.stamping import seal_and_validate

    issuer = issuer_for(tenant)
    fiscal = dict((record.fiscal_data or {}) if fiscal_data is None else fiscal_data)
    receptor = require_receptor(
        fiscal,
        es_global=str(fiscal.get("rfc", "")).upper() == "XAXX010101000",
        lugar_expedicion=issuer.lugar_expedicion,
        rfc_confirmado=fiscal.get("rfc_confirmado") is True,
    )
    csd = csd_of(tenant, adapters)
    comprobante = build_invoice(  # Fecha on the product's clock, the one the PAC is asked at
        record.order, issuer, receptor, folio, adapters.clock.now(), relacionados=relacionados
    )
    sealed = seal_and_validate(comprobante, csd)
    adapters.documents.put(record.ref.tenant_id, key, sealed, "application/xml")
    adapters.orders.note(record.ref, sealed_key=key)
    return sealed


def _buyer_field(exc: Any) -> str | None:
    """The billing-form field a refusal concerns (None: not the buyer's data): what the PAC
    adapter or SAT's matrix named, else the SAT code inside the PAC's own message."""
    from postventa.cfdi.validation import inner_sat_code, receptor_field_for_code

    if getattr(exc, "receptor_field", None):
        return str(exc.receptor_field)
    for code in (inner_sat_code(exc.message), getattr(exc, "pac_code", None)):
        if code and (field := receptor_field_for_code(str(code))):
            return field
    return None


def _problems(problems: dict[str, list[str]]) -> str:
    return " " + " ".join(m for messages in problems.values() for m in messages)


def _ask_buyer(
    record: OrderRecord, field: str | None, message: str, adapters: Adapters
) -> dict[str, Any]:
    """The buyer's data was refused: give the folio back and ask them to correct it."""
    adapters.folios.release(record.ref)
    correction = Correction(
        field=field, message=message, source="pac", round=record.correction_rounds + 1
    )
    if adapters.orders.apply(
        record.ref, PAC_REJECTED_DATA, extra={"correction": correction, "sealed_key": None}
    ):
        announce(adapters, "PacRejectedData", record.ref, field=field)
    logger.info("pac rejected the buyer's data", extra={"field": field})
    return {"result": "data_rejected", "field": field}


def stored_invoice(
    ref: OrderRef, tenant: Tenant, result: Any, pac: Any, adapters: Adapters
) -> Invoice:
    """Keep the PAC's stamped XML under the order's prefix; the Invoice the order records."""
    from postventa.cfdi.parse import parse_cfdi

    key = f"{invoice_prefix(ref.tenant_id, ref.channel, ref.order_id)}{result.uuid}.xml"
    adapters.documents.put(ref.tenant_id, key, result.xml, "application/xml")
    cfdi = parse_cfdi(result.xml)
    return Invoice(
        uuid=result.uuid,
        serie=cfdi.serie or "",
        folio=cfdi.folio or "",
        total=str(cfdi.total),
        currency=cfdi.moneda,
        xml_key=key,
        stamped_at=iso(adapters.clock.now()),
        pac=pac.name,
        test_stamp=is_test_stamp(pac, tenant),
    )


def announce_stamped(adapters: Adapters, ref: OrderRef, invoice: Invoice, **extra: Any) -> None:
    announce(
        adapters,
        "InvoiceStamped",
        ref,
        uuid=invoice.uuid,
        serie=invoice.serie,
        folio=invoice.folio,
        total=invoice.total,
        currency=invoice.currency,
        xml_key=invoice.xml_key,
        **extra,
    )


def _record_stamp(
    record: OrderRecord, tenant: Tenant, result: Any, pac: Any, adapters: Adapters
) -> dict[str, Any]:
    ref = record.ref
    invoice = stored_invoice(ref, tenant, result, pac, adapters)
    adapters.folios.spend(ref)
    if adapters.orders.apply(ref, STAMPED, extra={"invoice": invoice, "correction": None}):
        announce_stamped(adapters, ref, invoice)
    logger.info("invoice stamped", extra={"uuid": invoice.uuid})
    return {"result": "stamped", "uuid": invoice.uuid}


def is_test_stamp(pac: Any, tenant: Tenant) -> bool:
    choice = tenant.invoicing.get("pac") or {}
    return pac.name == "sandbox" or bool(choice.get("test_environment", True))


# ---------------------------------------------------------------- delivery
def deliver(ref: OrderRef, adapters: Adapters, *, resend: bool = False) -> dict[str, Any]:
    """The PDF next to the XML, and one email to the buyer with both attached (once: a retry
    after the email went out sends nothing; `resend` is the seller's explicit "send again")."""
    record, tenant = load_order(ref, adapters)
    invoice = record.invoice
    if invoice is None:
        raise NotFoundError("El pedido no tiene factura.")
    xml = adapters.documents.get(ref.tenant_id, invoice.xml_key)
    if xml is None:
        raise RuntimeError("the stamped XML is missing from the documents bucket")
    pdf = _pdf(record, invoice, xml, adapters)
    if not resend:
        from postventa.services.channel_delivery import publish_invoice

        published = publish_invoice(record, invoice, xml, pdf, adapters)
        if published.notifies_buyer:
            # The channel tells the buyer and shows the invoice on the order (Mercado Libre
            # sends its own notice and email): a second email from us would repeat it.
            return {"emailed": False, "reason": "el_canal_avisa"}
    buyer = (record.fiscal_data or {}).get("email") or record.order.buyer.email
    # The customer of this RFC may have invoice emails off, or more addresses to notify.
    recipients = invoice_recipients(
        adapters, ref.tenant_id, record.fiscal_data or {}, str(buyer) if buyer else None
    )
    if recipients.to is None:
        return {"emailed": False, "reason": recipients.reason}
    if not resend and not adapters.orders.claim_once(
        ref, "invoice_emailed_at", iso(adapters.clock.now())
    ):
        return {"emailed": False, "reason": "ya_enviada"}
    name = f"{invoice.serie}{invoice.folio}" or invoice.uuid
    try:
        adapters.mailer.send(_invoice_email(record, tenant, invoice, recipients.to, name, xml, pdf))
    except Exception:
        if not resend:
            adapters.orders.note(ref, invoice_emailed_at=None)  # not sent: a retry sends it
        raise
    for copy in recipients.copies:  # best effort: the buyer's email is the one that counts
        try:
            adapters.mailer.send(_invoice_email(record, tenant, invoice, copy, name, xml, pdf))
        except Exception:
            logger.warning("invoice copy to a notify address failed")
    if resend:
        adapters.orders.note(ref, invoice_emailed_at=iso(adapters.clock.now()))
    announce(adapters, "InvoiceEmailed", ref, uuid=invoice.uuid, resend=resend)
    return {"emailed": True}


def _pdf(record: OrderRecord, invoice: Invoice, xml: bytes, adapters: Adapters) -> bytes:
    key = invoice.xml_key.removesuffix(".xml") + ".pdf"
    if invoice.pdf_key:
        stored = adapters.documents.get(record.ref.tenant_id, invoice.pdf_key)
        if stored is not None:
            return stored
    from postventa.cfdi.pdf import render_pdf

    pdf = render_pdf(xml)
    adapters.documents.put(record.ref.tenant_id, key, pdf, "application/pdf")
    adapters.orders.note(record.ref, invoice=invoice.model_copy(update={"pdf_key": key}))
    return pdf


def _invoice_email(
    record: OrderRecord,
    tenant: Tenant,
    invoice: Invoice,
    to: str,
    name: str,
    xml: bytes,
    pdf: bytes,
) -> Any:
    email = render_email(
        "invoice",
        f"Tu factura del pedido {record.order.display_number}"
        + (" (prueba, sin validez fiscal)" if invoice.test_stamp else ""),
        to,
        {
            "buyer_name": record.order.buyer.name or "",
            "seller_name": tenant.name,
            "order_number": record.order.display_number,
            "uuid": invoice.uuid,
            "serie_folio": f"{invoice.serie}-{invoice.folio}" if invoice.serie else invoice.folio,
            "total": amount(Decimal(invoice.total), invoice.currency),
            "test_stamp": invoice.test_stamp,
        },
    )
    from dataclasses import replace

    return replace(
        email,
        attachments=(
            Attachment(f"{name}.xml", "application/xml", xml),
            Attachment(f"{name}.pdf", "application/pdf", pdf),
        ),
    )
