"""Which adapter serves which channel; tests and the local cloud may swap one in.

Adapters are imported when their channel is first asked for: the webhook function, whose cold
start the ack path pays, loads only the channel it is serving.
"""

from __future__ import annotations

import importlib

from postventa.channels.base import ChannelAdapter
from postventa.domain.orders import Channel
from postventa.errors import NotFoundError

_WHERE: dict[Channel, tuple[str, str]] = {
    Channel.SHOPIFY: ("postventa.channels.shopify", "ShopifyAdapter"),
    Channel.WOOCOMMERCE: ("postventa.channels.woocommerce", "WooCommerceAdapter"),
    Channel.PRESTASHOP: ("postventa.channels.prestashop", "PrestaShopAdapter"),
    Channel.MERCADOLIBRE: ("postventa.channels.mercadolibre", "MercadoLibreAdapter"),
    Channel.MERCADOSHOPS: ("postventa.channels.mercadolibre", "MercadoShopsAdapter"),
    Channel.AMAZON: ("postventa.channels.amazon", "AmazonAdapter"),
    Channel.LIVERPOOL: ("postventa.channels.liverpool", "LiverpoolAdapter"),
}
_adapters: dict[Channel, ChannelAdapter] = {}


def get_adapter(channel: str) -> ChannelAdapter:
    try:
        known = Channel(channel)
    except ValueError:
        raise NotFoundError("Canal no soportado.") from None
    if known not in _adapters:
        module, name = _WHERE[known]
        _adapters[known] = getattr(importlib.import_module(module), name)()
    return _adapters[known]


def register_adapter(adapter: ChannelAdapter) -> None:
    _adapters[adapter.channel] = adapter


def reset_adapters() -> None:
    _adapters.clear()
