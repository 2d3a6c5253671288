"""The seller's API: the tenant comes from the credential (services/accounts.py), never from
the path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.orders import Channel, OrderRef, is_safe_id
from postventa.domain.ports import Adapters
from postventa.domain.status import OrderStatus
from postventa.errors import NotFoundError

MAX_PAGE = 100


class PageQuery(BaseModel):
    """A listing's page size."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)


class OrdersQuery(PageQuery):
    """GET /api/v1/orders query string."""

    cursor: str | None = Field(None, min_length=1, max_length=1024)
    status: OrderStatus | None = None


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motivo: str = Field(min_length=3, max_length=500, description="what the buyer reads")


class FoliosBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cantidad: int = Field(gt=0, le=1_000_000)


# Download links in an order's view work this long (a person clicks them right away).
DOWNLOAD_LINK_SECONDS = 15 * 60


def list_orders(
    tenant_id: str,
    adapters: Adapters,
    *,
    limit: int = 50,
    cursor: str | None = None,
    status: OrderStatus | None = None,
) -> dict[str, Any]:
    if status is not None:
        page = adapters.orders.list_in_status(tenant_id, status, limit, cursor)
    else:
        page = adapters.orders.list_recent(tenant_id, limit, cursor)
    body: dict[str, Any] = {"orders": [o.public_view() for o in page.orders]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def get_order(tenant_id: str, channel: str, order_id: str, adapters: Adapters) -> dict[str, Any]:
    ref = order_ref(tenant_id, channel, order_id)
    record = adapters.orders.get(ref)
    if record is None:
        raise NotFoundError("Pedido no encontrado.")
    view = record.public_view()
    view["history"] = [
        {"event_type": e.event_type, "at": e.at, "detail": e.detail}
        for e in adapters.orders.history(ref)
    ]
    invoice = record.invoice
    if invoice is not None:
        name = f"{invoice.serie}{invoice.folio}" or invoice.uuid
        view["invoice"]["descargas"] = {
            "xml": adapters.documents.download_url(
                tenant_id, invoice.xml_key, f"{name}.xml", DOWNLOAD_LINK_SECONDS
            ),
            **(
                {
                    "pdf": adapters.documents.download_url(
                        tenant_id, invoice.pdf_key, f"{name}.pdf", DOWNLOAD_LINK_SECONDS
                    )
                }
                if invoice.pdf_key
                else {}
            ),
            "vencen_en_segundos": DOWNLOAD_LINK_SECONDS,
        }
    return view


def order_ref(tenant_id: str, channel: str, order_id: str) -> OrderRef:
    """The seller's own order named in a path; ids that cannot exist are a 404 at once."""
    if channel not in {c.value for c in Channel} or not is_safe_id(order_id):
        raise NotFoundError("Pedido no encontrado.")
    return OrderRef(tenant_id=tenant_id, channel=channel, order_id=order_id)


def retry_order(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.invoicing import retry

    return retry(ref, adapters)


def approve(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.invoicing import answer_inbox

    answer_inbox(ref, adapters, approve=True)
    return {"aprobado": True}


def reject(ref: OrderRef, body: RejectBody, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.invoicing import answer_inbox

    answer_inbox(ref, adapters, approve=False, reason=body.motivo)
    return {"rechazado": True}


def resend_invoice(ref: OrderRef, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.invoices import deliver

    if adapters.orders.get(ref) is None:
        raise NotFoundError("Pedido no encontrado.")
    return deliver(ref, adapters, resend=True)


def folios(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    account = adapters.folios.account(tenant_id)
    return {
        "disponibles": account.available if account else 0,
        "siguiente_folio": account.next_number if account else 1,
    }


def add_folios(tenant_id: str, body: FoliosBody, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.invoicing import add_folios as add

    return add(tenant_id, body.cantidad, adapters)


def list_rejected(tenant_id: str, adapters: Adapters, *, limit: int = 50) -> dict[str, Any]:
    """Signed deliveries that could not become orders, newest first, with the reason."""
    rejected = adapters.rejections.list_recent(tenant_id, limit)
    return {"rejected": [r.model_dump(exclude={"tenant_id"}) for r in rejected]}
