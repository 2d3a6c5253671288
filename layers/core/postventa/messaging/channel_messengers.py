"""The marketplaces' messengers, registered in the ChannelMessengers registry (decision 0012)
by bootstrap: the billing message reaches a marketplace's buyer the way that channel allows.

- Mercado Libre, Mercado Shops, Liverpool: the channel's own messaging, through the adapter
  (Mercado Libre's post-sale action guide, a Liverpool order thread), with the tenant's account;
- Amazon: an email to the buyer's anonymised Amazon address (BuyerEmail, e.g.
  ...@marketplace.amazon.com.mx), which Amazon relays only from a sender address the seller has
  approved in Seller Central's messaging permissions: our MAIL_FROM (the channels list tells the
  seller to add it).

A buyer is unreachable when the tenant's connection does not work (`canal_desconectado`) or,
for Amazon, when the order came without the relay address (`sin_email`).
"""

from __future__ import annotations

from postventa.channels.registry import get_adapter
from postventa.domain.channels import connection_channel
from postventa.domain.messages import RenderedMessage
from postventa.domain.orders import Channel, Order
from postventa.domain.ports import Adapters, Email
from postventa.messaging.email import header_text
from postventa.messaging.messengers import NO_EMAIL, ChannelMessengers, NoMessengerError
from postventa.messaging.templating import html_from_text
from postventa.services.channel_context import channel_context

DISCONNECTED = "canal_desconectado"


def _connected(adapters: Adapters, order: Order) -> bool:
    connection = adapters.connections.get(order.tenant_id, connection_channel(order.channel).value)
    return connection is not None and connection.usable


class MarketplaceMessenger:
    """A marketplace's own messaging, through the channel adapter and the tenant's account."""

    def __init__(self, adapters: Adapters) -> None:
        self._adapters = adapters

    def delivers(self, channel: str) -> bool:
        return get_adapter(channel).capabilities.messaging

    def unreachable_reason(self, order: Order) -> str | None:
        return None if _connected(self._adapters, order) else DISCONNECTED

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        adapter = get_adapter(order.channel.value)
        context = channel_context(self._adapters, order.tenant_id, order.channel)
        return adapter.send_billing_message(order, message, context)


class AmazonRelayMessenger:
    """Email to the buyer's anonymised Amazon address from the approved sender (MAIL_FROM)."""

    def __init__(self, adapters: Adapters) -> None:
        self._adapters = adapters

    def delivers(self, channel: str) -> bool:
        return True

    def unreachable_reason(self, order: Order) -> str | None:
        if not order.buyer.email:
            return NO_EMAIL
        return None if _connected(self._adapters, order) else DISCONNECTED

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        if not order.buyer.email:
            raise NoMessengerError(NO_EMAIL)
        return self._adapters.mailer.send(
            Email(
                to=order.buyer.email,
                subject=header_text(f"Factura de tu pedido {order.display_number}"),
                text=message.text,
                html=html_from_text(message.text, ""),
            )
        )


def register_marketplace_messengers(registry: ChannelMessengers, adapters: Adapters) -> None:
    marketplace = MarketplaceMessenger(adapters)
    for channel in (Channel.MERCADOLIBRE, Channel.MERCADOSHOPS, Channel.LIVERPOOL):
        registry.register(channel, marketplace)
    registry.register(Channel.AMAZON, AmazonRelayMessenger(adapters))
