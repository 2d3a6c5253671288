"""Which adapter serves which channel; tests and the local cloud may swap one in."""

from __future__ import annotations

from postventa.channels.base import ChannelAdapter
from postventa.domain.orders import Channel
from postventa.errors import NotFoundError

_adapters: dict[Channel, ChannelAdapter] = {}


def _defaults() -> dict[Channel, ChannelAdapter]:
    from postventa.channels.amazon import AmazonAdapter
    from postventa.channels.liverpool import LiverpoolAdapter
    from postventa.channels.mercadolibre import MercadoLibreAdapter, MercadoShopsAdapter
    from postventa.channels.prestashop import PrestaShopAdapter
    from postventa.channels.shopify import ShopifyAdapter
    from postventa.channels.woocommerce import WooCommerceAdapter

    adapters: list[ChannelAdapter] = [
        ShopifyAdapter(),
        WooCommerceAdapter(),
        PrestaShopAdapter(),
        MercadoLibreAdapter(),
        MercadoShopsAdapter(),
        AmazonAdapter(),
        LiverpoolAdapter(),
    ]
    return {adapter.channel: adapter for adapter in adapters}


def get_adapter(channel: str) -> ChannelAdapter:
    if not _adapters:
        _adapters.update(_defaults())
    try:
        return _adapters[Channel(channel)]
    except (ValueError, KeyError):
        raise NotFoundError("Canal no soportado.") from None


def register_adapter(adapter: ChannelAdapter) -> None:
    if not _adapters:
        _adapters.update(_defaults())
    _adapters[adapter.channel] = adapter


def reset_adapters() -> None:
    _adapters.clear()
