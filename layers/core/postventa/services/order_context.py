"""Loading what a lifecycle step works on: the order and its tenant, bound to the logs."""

from __future__ import annotations

from postventa.domain.orders import OrderRecord, OrderRef
from postventa.domain.ports import Adapters
from postventa.domain.tenants import Tenant
from postventa.errors import NotFoundError
from postventa.observability import bind_order


def load_order(ref: OrderRef, adapters: Adapters) -> tuple[OrderRecord, Tenant]:
    """The order and its tenant, or NotFoundError (a task for an order that is gone)."""
    bind_order(ref.tenant_id, ref.channel, ref.order_id)
    record = adapters.orders.get(ref)
    tenant = adapters.tenants.get(ref.tenant_id)
    if record is None or tenant is None:
        raise NotFoundError("Pedido no encontrado.")
    return record, tenant
