"""The seller's API: the tenant comes from the API key, never from the path."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.clock import epoch
from postventa.domain.orders import Channel, OrderRef, is_safe_id
from postventa.domain.ports import Adapters
from postventa.errors import NotFoundError, TooManyRequestsError, UnauthorizedError

MAX_PAGE = 100


class PageQuery(BaseModel):
    """A listing's page size."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)


class OrdersQuery(PageQuery):
    """GET /api/v1/orders query string."""

    cursor: str | None = Field(None, min_length=1, max_length=1024)


# Failed sign-ins allowed per source address and per presented key in a window, before 429.
MAX_FAILURES = 10
FAILURE_WINDOW_SECONDS = 300


def authenticate(headers: Mapping[str, str], adapters: Adapters, *, source_ip: str = "") -> str:
    """The tenant id of the request's API key (Authorization: Bearer <key> or X-Api-Key).

    Guessing is slowed down: after MAX_FAILURES wrong keys from one address (or for one key) in
    FAILURE_WINDOW_SECONDS, every attempt from there is a 429 with Retry-After until the window
    ends, whatever key it brings."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("x-api-key", "")
    auth = lowered.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    now = epoch(adapters.clock.now())
    buckets = [f"auth-ip:{source_ip or 'desconocida'}"]
    if key:
        buckets.append("auth-key:" + hashlib.sha256(key.encode()).hexdigest()[:32])
    limiter = adapters.limiter
    if any(limiter.count(b, FAILURE_WINDOW_SECONDS, now) >= MAX_FAILURES for b in buckets):
        raise TooManyRequestsError(
            "Demasiados intentos con claves de API no válidas. Espera unos minutos.",
            retry_after=FAILURE_WINDOW_SECONDS - now % FAILURE_WINDOW_SECONDS,
        )
    tenant_id = adapters.tenants.tenant_for_api_key(key) if 0 < len(key) <= 200 else None
    if tenant_id is None:
        for bucket in buckets:
            limiter.hit(bucket, FAILURE_WINDOW_SECONDS, now)
        raise UnauthorizedError(
            "La clave de API no es válida." if key else "Falta la clave de API."
        )
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
    if channel not in {c.value for c in Channel} or not is_safe_id(order_id):
        raise NotFoundError("Pedido no encontrado.")  # no key is built from what cannot exist
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
