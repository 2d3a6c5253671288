"""Messengers: how a billing message reaches an order's buyer on the order's channel.

Stores (Shopify, WooCommerce, PrestaShop) have the buyer's email: their messenger is email
through SES. Marketplaces hide the buyer's address and carry messages in their own messaging
(Mercado Libre's post-sale messages, Amazon's Messaging API); their messengers arrive with the
channels and register here. Until a marketplace has one, its orders are not emailed behind the
marketplace's back: the billing request records why it was skipped and the deadline sends the
sale to the global invoice.
"""

from __future__ import annotations

from collections.abc import Mapping

from postventa.domain.messages import RenderedMessage, rules_for
from postventa.domain.orders import Channel, Order
from postventa.domain.ports import Email, Mailer, Messenger
from postventa.messaging.email import header_text

NO_EMAIL = "sin_email"
NO_MESSENGER = "canal_sin_mensajeria"


class NoMessengerError(RuntimeError):
    """A message was sent to a channel that has no way to reach its buyers (a caller's bug:
    `unreachable_reason` says so first)."""


class EmailMessenger:
    """The buyer's email: subject, text and HTML alternatives, through the Mailer (SES)."""

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    def delivers(self, channel: str) -> bool:
        return True

    def unreachable_reason(self, order: Order) -> str | None:
        return None if order.buyer.email else NO_EMAIL

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        if not order.buyer.email:
            raise NoMessengerError(NO_EMAIL)
        return self._mailer.send(
            Email(
                to=order.buyer.email,
                subject=header_text(message.subject or ""),
                text=message.text,
                html=message.html or "",
            )
        )


class ChannelMessengers:
    """The messenger of each channel: a marketplace's own when registered, email for stores."""

    def __init__(self, email: Messenger, by_channel: Mapping[Channel, Messenger] | None = None):
        self._email = email
        self._by_channel = dict(by_channel or {})

    def register(self, channel: Channel, messenger: Messenger) -> None:
        self._by_channel[channel] = messenger

    def _for(self, channel: str) -> Messenger | None:
        known = Channel(channel)
        if known in self._by_channel:
            return self._by_channel[known]
        return self._email if rules_for(known).delivery == "correo" else None

    def delivers(self, channel: str) -> bool:
        messenger = self._for(channel)
        return messenger is not None and messenger.delivers(channel)

    def unreachable_reason(self, order: Order) -> str | None:
        messenger = self._for(order.channel)
        return NO_MESSENGER if messenger is None else messenger.unreachable_reason(order)

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        messenger = self._for(order.channel)
        if messenger is None:
            raise NoMessengerError(NO_MESSENGER)
        return messenger.send_billing_message(order, message)
