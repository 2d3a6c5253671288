"""A tenant's account on a channel as adapters see it (ChannelContext), built from the adapters:
the channel's secrets and, for channels with an API, the API client of the account that serves
it (Mercado Shops runs on the Mercado Libre account)."""

from __future__ import annotations

from typing import Any

from postventa.channels.base import ChannelContext
from postventa.domain.channels import SETUPS, connection_channel
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters


def channel_context(adapters: Adapters, tenant_id: str, channel: Channel | str) -> ChannelContext:
    known = Channel(channel)
    serving = connection_channel(known)
    has_api = SETUPS[serving].delivery in ("app", "queue", "polling")

    def api() -> Any:
        return adapters.marketplaces.client(tenant_id, serving)

    return ChannelContext(
        tenant_id,
        known,
        secrets=lambda: adapters.secrets.channel(tenant_id, serving.value),
        api=api if has_api else None,
    )
