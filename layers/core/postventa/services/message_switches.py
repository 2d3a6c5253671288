"""Which automatic messages a seller sends on each channel (the billing request; Mercado Libre's
custom shipping notice). The billing request honours it (services/billing_request.py): a channel
switched off never asks its buyers, and their orders go to the global invoice at the deadline.
The shipping notice too (services/shipping.py): Mercado Libre's shipment notifications send it
only while it is on; saving the notice's template through the channels API turns it on, and
deleting that template turns it off."""

from __future__ import annotations

from postventa.domain.messages import SHIPPING_RULES
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.domain.tenants import ChannelMessaging
from postventa.errors import NotFoundError

#: DOMAIN.md "What the product covers" 1: the custom shipping notice is Mercado Libre's (and
#: Mercado Shops', on the same account and messaging).
SHIPPING_NOTICE_CHANNELS = frozenset(SHIPPING_RULES)


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


def set_shipping_notice(tenant_id: str, channel: Channel, on: bool, adapters: Adapters) -> None:
    """Turn the channel's shipping notice on or off, leaving its billing request as it is."""
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    current = tenant.messaging_for(channel.value)
    set_switches(
        tenant_id,
        channel.value,
        billing_request=current.billing_request,
        shipping_notice=on,
        adapters=adapters,
    )
