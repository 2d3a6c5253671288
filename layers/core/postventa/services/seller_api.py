"""The seller's API: the tenant comes from the API key, never from the path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postventa.errors import NotFoundError, UnauthorizedError
from postventa.storage import orders
from postventa.storage.tenants import tenant_for_api_key


def authenticate(headers: Mapping[str, str]) -> str:
    """The tenant id of the request's API key (Authorization: Bearer <key> or X-Api-Key)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("x-api-key", "")
    auth = lowered.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    if not key or len(key) > 200:
        raise UnauthorizedError("Falta la clave de API.")
    tenant_id = tenant_for_api_key(key)
    if tenant_id is None:
        raise UnauthorizedError("La clave de API no es válida.")
    return tenant_id


def list_orders(tenant_id: str, limit: int = 50) -> dict[str, Any]:
    limit = max(1, min(limit, 100))
    return {"orders": [o.public_view() for o in orders.list_orders(tenant_id, limit)]}


def get_order(tenant_id: str, channel: str, order_id: str) -> dict[str, Any]:
    stored = orders.get_order(tenant_id, channel, order_id)
    if stored is None:
        raise NotFoundError("Pedido no encontrado.")
    view = stored.public_view()
    view["history"] = orders.order_history(tenant_id, channel, order_id)
    return view
