"""Which automatic messages a seller sends on each channel (the billing request; Mercado Libre's
custom shipping notice). The billing request honours it (services/billing_request.py): a channel
switched off never asks its buyers, and their orders go to the global invoice at the deadline."""

from __future__ import annotations

from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.domain.tenants import ChannelMessaging
from postventa.errors import NotFoundError

#: DOMAIN.md "What the product covers" 1: the custom shipping notice is Mercado Libre's.
SHIPPING_NOTICE_CHANNELS = frozenset({Channel.MERCADOLIBRE})


def set_switches(
    tenant_id: str,
    channel: str,
    *,
    billing_request: bool,
    shipping_notice: bool,
    adapters: Adapters,
) -> ChannelMessaging:
    try:
        known = Channel(channel)
    except ValueError:
        raise NotFoundError("Canal no soportado.") from None
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    switches = ChannelMessaging(
        billing_request=billing_request,
        shipping_notice=shipping_notice and known in SHIPPING_NOTICE_CHANNELS,
    )
    messaging = {**tenant.messaging, known.value: switches}
    adapters.tenants.put(tenant.model_copy(update={"messaging": messaging}))
    return switches
