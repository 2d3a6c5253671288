"""The seller's API: the tenant comes from the API key, never from the path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.orders import OrderRef
from postventa.domain.ports import Adapters
from postventa.errors import NotFoundError, UnauthorizedError

MAX_PAGE = 100


class PageQuery(BaseModel):
    """A listing's page size."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)


class OrdersQuery(PageQuery):
    """GET /api/v1/orders query string."""

    cursor: str | None = Field(None, min_length=1, max_length=1024)


def authenticate(headers: Mapping[str, str], adapters: Adapters) -> str:
    """The tenant id of the request's API key (Authorization: Bearer <key> or X-Api-Key)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("x-api-key", "")
    auth = lowered.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    if not key or len(key) > 200:
        raise UnauthorizedError("Falta la clave de API.")
    tenant_id = adapters.tenants.tenant_for_api_key(key)
    if tenant_id is None:
        raise UnauthorizedError("La clave de API no es válida.")
    return tenant_id


def list_orders(
    tenant_id: str, adapters: Adapters, *, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    page = adapters.orders.list_recent(tenant_id, limit, cursor)
    body: dict[str, Any] = {"orders": [o.public_view() for o in page.orders]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def get_order(tenant_id: str, channel: str, order_id: str, adapters: Adapters) -> dict[str, Any]:
    ref = OrderRef(tenant_id=tenant_id, channel=channel, order_id=order_id)
    record = adapters.orders.get(ref)
    if record is None:
        raise NotFoundError("Pedido no encontrado.")
    view = record.public_view()
    view["history"] = [
        {"event_type": e.event_type, "at": e.at, "detail": e.detail}
        for e in adapters.orders.history(ref)
    ]
    return view


def list_rejected(tenant_id: str, adapters: Adapters, *, limit: int = 50) -> dict[str, Any]:
    """Signed deliveries that could not become orders, newest first, with the reason."""
    rejected = adapters.rejections.list_recent(tenant_id, limit)
    return {"rejected": [r.model_dump(exclude={"tenant_id"}) for r in rejected]}
