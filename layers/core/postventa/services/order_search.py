"""The panel's orders: a filtered list, one order with its history and the seller's actions,
and links to an invoice's files. Scoped to the signed-in tenant; actions go through the
lifecycle's own services (services/invoicing.py, services/invoices.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postventa.domain.orders import Channel, OrderRecord
from postventa.domain.ports import Adapters, HistoryEntry
from postventa.domain.status import (
    CANCELLATION_REQUESTED,
    RETRIED_FROM_START,
    SELLER_REJECTED_DATA,
    OrderStatus,
)
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.services.seller_api import DOWNLOAD_LINK_SECONDS, order_ref

#: The panel shows and filters dates in Mexico City time (where most sellers are; CFDI dates
#: themselves follow the place of issue, postventa.cfdi.timezones).
PANEL_ZONE = ZoneInfo("America/Mexico_City")
PAGE_SIZE = 25


class OrderFilters(BaseModel):
    """The list's filters, as the page's query string gives them ("" means none)."""

    model_config = ConfigDict(extra="ignore")

    estado: OrderStatus | None = None
    canal: Channel | None = None
    desde: date | None = None
    hasta: date | None = None
    cursor: str | None = Field(None, max_length=1024)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: object) -> object:
        if isinstance(data, dict):
            return {k: (v if v != "" else None) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> OrderFilters:
        if self.desde and self.hasta and self.desde > self.hasta:
            raise ValueError("la fecha «desde» es posterior a «hasta»")
        return self

    def active(self) -> bool:
        return any((self.estado, self.canal, self.desde, self.hasta))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PANEL_ZONE)


@dataclass(frozen=True)
class OrderResults:
    orders: list[OrderRecord]
    next_cursor: str | None


def search(
    tenant_id: str, filters: OrderFilters, adapters: Adapters, *, limit: int = PAGE_SIZE
) -> OrderResults:
    page = adapters.orders.search(
        tenant_id,
        status=filters.estado,
        channel=filters.canal.value if filters.canal else None,
        paid_from=_start_of(filters.desde) if filters.desde else None,
        paid_to=_start_of(filters.hasta + timedelta(days=1)) if filters.hasta else None,
        limit=limit,
        cursor=filters.cursor,
    )
    return OrderResults(page.orders, page.next_cursor)


SellerAction = Literal["reintentar", "aprobar", "rechazar", "reenviar", "cancelar"]


@dataclass(frozen=True)
class OrderDetail:
    record: OrderRecord
    history: list[HistoryEntry]
    actions: frozenset[SellerAction]


def seller_actions(record: OrderRecord) -> frozenset[SellerAction]:
    """What the seller may do with the order now, from the status table."""
    actions: set[SellerAction] = set()
    if record.status in RETRIED_FROM_START.sources:
        actions.add("reintentar")
    if record.status in SELLER_REJECTED_DATA.sources and record.waiting_token:
        actions.update(("aprobar", "rechazar"))
    if record.status is OrderStatus.INVOICED and record.invoice is not None:
        actions.add("reenviar")
    if record.status in CANCELLATION_REQUESTED.sources and record.invoice is not None:
        actions.add("cancelar")  # services/cancellations.py; only the owner may (like the API)
    return frozenset(actions)


def detail(tenant_id: str, channel: str, order_id: str, adapters: Adapters) -> OrderDetail:
    ref = order_ref(tenant_id, channel, order_id)
    record = adapters.orders.get(ref)
    if record is None:
        raise NotFoundError("Pedido no encontrado.")
    return OrderDetail(record, adapters.orders.history(ref), seller_actions(record))


def download_url(
    tenant_id: str, channel: str, order_id: str, kind: Literal["xml", "pdf"], adapters: Adapters
) -> str:
    """A short-lived link to the order's invoice XML or PDF."""
    record = detail(tenant_id, channel, order_id, adapters).record
    invoice = record.invoice
    key = (invoice.xml_key if kind == "xml" else invoice.pdf_key) if invoice else None
    if invoice is None or not key:
        raise NotFoundError("Este pedido no tiene ese archivo.")
    name = f"{invoice.serie}{invoice.folio}" or invoice.uuid
    return adapters.documents.download_url(tenant_id, key, f"{name}.{kind}", DOWNLOAD_LINK_SECONDS)


def act(
    tenant_id: str, channel: str, order_id: str, action: str, reason: str, adapters: Adapters
) -> SellerAction:
    """The seller's action on one of their orders, through the lifecycle's services; returns
    what was done (the page says it). Refused when the order's status does not allow it."""
    from postventa.services.invoices import deliver
    from postventa.services.invoicing import answer_inbox, retry

    found = _available(tenant_id, channel, order_id, action, adapters)
    if action == "cancelar":  # it takes a motivo: `cancel`
        raise ConflictError("Esa acción ya no está disponible para este pedido; recarga la página.")
    ref = found.record.ref
    if action == "reintentar":
        retry(ref, adapters)
        return "reintentar"
    if action == "aprobar":
        answer_inbox(ref, adapters, approve=True)
        return "aprobar"
    if action == "rechazar":
        reason = " ".join(reason.split())
        if not 3 <= len(reason) <= 500:
            raise BadRequestError("Escribe el motivo del rechazo (de 3 a 500 caracteres).")
        answer_inbox(ref, adapters, approve=False, reason=reason)
        return "rechazar"
    deliver(ref, adapters, resend=True)
    return "reenviar"


#: The motivos (c_MotivoCancelacion, Anexo 20's cancellation catalog) a seller may give for one
#: order's own invoice: 04 concerns only a global invoice (services/late_requests.py).
CANCEL_MOTIVOS: dict[str, str] = {
    "02": "02 · Comprobante emitido con errores sin relación",
    "03": "03 · No se llevó a cabo la operación",
    "01": "01 · Comprobante emitido con errores con relación (se emite uno que lo sustituye)",
}


def cancel(
    tenant_id: str,
    channel: str,
    order_id: str,
    motivo: str,
    corrections: Mapping[str, str],
    adapters: Adapters,
) -> SellerAction:
    """The seller asks to cancel the order's invoice (services/cancellations.py, the same path as
    POST /api/v1/orders/{channel}/{id}/cancel). Motivo 01 carries the corrected fiscal data the
    substitute is issued with: the fields the seller changed, or the buyer's as they are."""
    from postventa.services.cancellations import CORRECTABLE, CancelBody, request_cancellation

    found = _available(tenant_id, channel, order_id, "cancelar", adapters)
    if motivo not in CANCEL_MOTIVOS:
        raise BadRequestError("Elige el motivo de la cancelación.")
    fiscal = found.record.fiscal_data or {}
    changed = {
        name: value
        for name in CORRECTABLE
        if (value := " ".join(corrections.get(name, "").split()))
        and value != str(fiscal.get(name, ""))
    }
    body = CancelBody.model_validate(
        {"motivo": motivo, "datos_fiscales": changed if motivo == "01" and changed else None}
    )
    request_cancellation(found.record.ref, body, adapters)
    return "cancelar"


def _available(
    tenant_id: str, channel: str, order_id: str, action: str, adapters: Adapters
) -> OrderDetail:
    found = detail(tenant_id, channel, order_id, adapters)
    if action not in found.actions:
        raise ConflictError("Esa acción ya no está disponible para este pedido; recarga la página.")
    return found
