"""The stamped invoice on the order's channel, where the channel allows it (decision 0016):
Mercado Libre's fiscal documents of the pack (then Mercado Libre notifies the buyer), Amazon's
Messaging API sendInvoice (the buyer gets it in their Amazon messages), Liverpool's order
documents. Called by the Deliver step after InvoiceStamped, before the email: when the channel
notifies the buyer itself, our email is skipped.

Once per order: claimed on the order before uploading; a transient failure releases the claim and
raises (the state machine retries the step); a permanent one (the PDF over Mercado Libre's 1 MB,
the action not offered for the order, the connection broken) is recorded and the email goes out
instead, so the buyer always gets the invoice one way.
"""

from __future__ import annotations

from dataclasses import dataclass

from postventa.channels.base import ChannelCapabilityError, InvoiceDocuments
from postventa.channels.http import ChannelApiError, ChannelAuthError
from postventa.channels.registry import get_adapter
from postventa.domain.clock import iso
from postventa.domain.invoices import Invoice
from postventa.domain.orders import OrderRecord
from postventa.domain.ports import Adapters
from postventa.errors import TransientError
from postventa.observability import logger
from postventa.services.channel_context import channel_context
from postventa.services.events import announce


@dataclass(frozen=True)
class Published:
    uploaded: bool
    reason: str
    notifies_buyer: bool = False


def publish_invoice(
    record: OrderRecord, invoice: Invoice, xml: bytes, pdf: bytes, adapters: Adapters
) -> Published:
    adapter = get_adapter(record.order.channel.value)
    if not adapter.capabilities.invoice_upload:
        return Published(False, "el_canal_no_recibe_facturas")
    ref = record.ref
    notifies = adapter.capabilities.notifies_buyer
    if record.invoice_uploaded_at:  # a retry of the step after the upload went through
        return Published(True, "ya_subida", notifies and record.invoice_upload == "subida")
    if not adapters.orders.claim_once(ref, "invoice_uploaded_at", iso(adapters.clock.now())):
        return Published(True, "ya_subida", notifies)
    name = f"{invoice.serie}{invoice.folio}" or invoice.uuid
    try:
        result = adapter.upload_invoice(
            record.order,
            InvoiceDocuments(name=name, xml=xml, pdf=pdf),
            channel_context(adapters, ref.tenant_id, record.order.channel),
        )
    except TransientError:
        adapters.orders.note(ref, invoice_uploaded_at=None)
        raise
    except (ChannelApiError, ChannelAuthError, ChannelCapabilityError) as exc:
        reason = "canal_desconectado" if isinstance(exc, ChannelAuthError) else "rechazada"
        adapters.orders.note(ref, invoice_uploaded_at=None, invoice_upload=reason)
        announce(adapters, "InvoiceUploadFailed", ref, reason=reason)
        logger.warning("invoice upload to the channel failed", extra={"reason": reason})
        return Published(False, reason)
    if not result.uploaded and result.reason != "ya_subida":
        adapters.orders.note(ref, invoice_uploaded_at=None, invoice_upload=result.reason)
        announce(adapters, "InvoiceUploadFailed", ref, reason=result.reason)
        return Published(False, result.reason)
    adapters.orders.note(ref, invoice_upload="subida")
    announce(adapters, "InvoiceUploaded", ref, uuid=invoice.uuid)
    return Published(True, "subida", notifies)
