"""The channels' API clients for one tenant's account, built from its connection (decision 0016).

`MarketplaceClients` is the port services use (`adapters.marketplaces`): it knows the base URLs
(template parameters; the local cloud points them at the fake marketplaces), our applications'
credentials (operator secrets), each tenant's credentials (TenantSecrets) and the shared HTTP
policy (ChannelHttp: retries, rate limits). It builds nothing until asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from postventa.channels.http import ChannelHttp, Throttle, Transport
from postventa.channels.tokens import ConnectionBrokenError, TokenKeeper
from postventa.domain.channels import connection_channel
from postventa.domain.orders import Channel
from postventa.domain.ports import Clock, Connections, TenantSecrets

AppCredentials = Callable[[str], Mapping[str, Any]]
"""Our application's credentials on a channel ("mercadolibre", "amazon"), from the operator's
secret `postventa/channels/{name}-app`."""

BrokenHook = Callable[[str, str, str], None]
"""(tenant, channel, Spanish reason): the channel refused our authorization for good."""


class ChannelUrls:
    """Where each channel's API lives (template parameters, so a local run can point them at the
    fake marketplaces)."""

    def __init__(
        self,
        *,
        mercadolibre_api: str,
        mercadolibre_auth: str,
        amazon_spapi: str,
        amazon_lwa: str,
        liverpool_api: str,
    ) -> None:
        self.mercadolibre_api = mercadolibre_api.rstrip("/")
        self.mercadolibre_auth = mercadolibre_auth.rstrip("/")
        self.amazon_spapi = amazon_spapi.rstrip("/")
        self.amazon_lwa = amazon_lwa.rstrip("/")
        self.liverpool_api = liverpool_api.rstrip("/")


class MarketplaceClients:
    def __init__(
        self,
        *,
        urls: ChannelUrls,
        connections: Connections,
        secrets: TenantSecrets,
        throttle: Throttle,
        transport: Transport,
        clock: Clock,
        app_credentials: AppCredentials,
        on_broken: BrokenHook,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.urls = urls
        self._connections = connections
        self._secrets = secrets
        self._throttle = throttle
        self._transport = transport
        self._clock = clock
        self._app_credentials = app_credentials
        self._on_broken = on_broken
        self._sleep = sleep

    def http(self, channel: Channel | str, limits: Mapping[str, Any]) -> ChannelHttp:
        return ChannelHttp(
            str(Channel(channel).value),
            self._transport,
            throttle=self._throttle,
            limits=limits,
            sleep=self._sleep,
        )

    def _account(self, tenant_id: str, channel: Channel) -> tuple[str, dict[str, Any]]:
        connection = self._connections.get(tenant_id, channel.value)
        if connection is None or not connection.usable:
            reason = connection.broken_reason if connection else None
            raise ConnectionBrokenError(
                reason or f"{channel.value}: la cuenta no está conectada", status=401
            )
        return str(connection.account_id or ""), dict(connection.settings)

    def _keeper(self, tenant_id: str, channel: Channel, refresher: Any) -> TokenKeeper:
        return TokenKeeper(
            tenant_id,
            channel.value,
            secrets=self._secrets,
            connections=self._connections,
            clock=self._clock,
            refresher=refresher,
            on_broken=lambda reason: self._on_broken(tenant_id, channel.value, reason),
            sleep=self._sleep,
        )

    # ---------------------------------------------------------------- Mercado Libre
    def mercadolibre_oauth(self) -> Any:
        from postventa.channels.mercadolibre_api import LIMITS, MercadoLibreApp, MercadoLibreOAuth

        app = self._app_credentials("mercadolibre")
        return MercadoLibreOAuth(
            self.http(Channel.MERCADOLIBRE, LIMITS),
            MercadoLibreApp(str(app["client_id"]), str(app["client_secret"])),
            api_url=self.urls.mercadolibre_api,
            auth_url=self.urls.mercadolibre_auth,
            clock=self._clock,
        )

    def mercadolibre(self, tenant_id: str) -> Any:
        from postventa.channels.mercadolibre_api import LIMITS, MercadoLibreApi

        account, _settings = self._account(tenant_id, Channel.MERCADOLIBRE)
        keeper = self._keeper(
            tenant_id, Channel.MERCADOLIBRE, lambda token: self.mercadolibre_oauth().refresh(token)
        )
        return MercadoLibreApi(
            self.http(Channel.MERCADOLIBRE, LIMITS),
            api_url=self.urls.mercadolibre_api,
            account_id=account,
            access_token=keeper.access_token,
            after_unauthorized=keeper.after_unauthorized,
        )

    # ---------------------------------------------------------------- Amazon
    def amazon_lwa(self) -> Any:
        from postventa.channels.amazon_api import LIMITS, LwaClient

        app = self._app_credentials("amazon")
        return LwaClient(
            self.http(Channel.AMAZON, LIMITS),
            lwa_url=self.urls.amazon_lwa,
            client_id=str(app["client_id"]),
            client_secret=str(app["client_secret"]),
            clock=self._clock,
        )

    def amazon(self, tenant_id: str) -> Any:
        from postventa.channels.amazon_api import LIMITS, AmazonApi

        account, settings = self._account(tenant_id, Channel.AMAZON)
        keeper = self._keeper(tenant_id, Channel.AMAZON, lambda t: self.amazon_lwa().refresh(t))
        return AmazonApi(
            self.http(Channel.AMAZON, LIMITS),
            api_url=self.urls.amazon_spapi,
            seller_id=account,
            marketplace_id=str(settings.get("marketplace_id") or ""),
            access_token=keeper.access_token,
            after_unauthorized=keeper.after_unauthorized,
        )

    # ---------------------------------------------------------------- Liverpool (Mirakl)
    def liverpool(self, tenant_id: str) -> Any:
        from postventa.channels.mirakl_api import LIMITS, MiraklApi

        account, settings = self._account(tenant_id, Channel.LIVERPOOL)
        secret = self._secrets.channel(tenant_id, Channel.LIVERPOOL.value) or {}
        if not secret.get("api_key"):
            raise ConnectionBrokenError("liverpool: falta la API key", status=401)

        def broken(reason: str) -> None:
            self._on_broken(tenant_id, Channel.LIVERPOOL.value, reason)

        return MiraklApi(
            self.http(Channel.LIVERPOOL, LIMITS),
            api_url=str(settings.get("api_url") or self.urls.liverpool_api),
            api_key=str(secret["api_key"]),
            shop_id=account,
            on_unauthorized=broken,
        )

    def client(self, tenant_id: str, channel: Channel | str) -> Any:
        """The API client of the account that serves `channel` for the tenant."""
        serving = connection_channel(channel)
        if serving is Channel.MERCADOLIBRE:
            return self.mercadolibre(tenant_id)
        if serving is Channel.AMAZON:
            return self.amazon(tenant_id)
        if serving is Channel.LIVERPOOL:
            return self.liverpool(tenant_id)
        raise ValueError(f"{serving.value} has no API client")
