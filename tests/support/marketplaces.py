"""The fake marketplaces (infra/fakemarkets) behind the product's own API clients, in process:
unit tests exercise the real MarketplaceClients, ChannelHttp, TokenKeeper and adapters against
marketplaces that keep their documented rules, without sockets.

    adapters = FakeAdapters()
    fake = with_fake_markets(adapters)            # adapters.marketplaces now reaches `fake`
    seller = connect_mercadolibre(adapters, fake)  # a tenant with a connected account
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakemarkets import FakeMarkets
from postventa.channels.clients import ChannelUrls, MarketplaceClients
from postventa.channels.http import HttpRequest, HttpResponse, TransportError
from postventa.domain.channels import ChannelConnection, ConnectionStatus, OAuthTokens
from postventa.domain.clock import epoch, iso
from postventa.domain.orders import Channel
from tests.support.fakes import FakeAdapters

BASE = "http://fake.markets"
ML_USER = 468424240
AMAZON_SELLER = "A3TH9S8BH6GOGM"
LIVERPOOL_SHOP = 2001
LIVERPOOL_KEY = "clave-liverpool-de-prueba"


class FakeClockForMarkets:
    """The fake marketplaces read the product's fake clock, so expiring a token is moving time."""

    def __init__(self, adapters: FakeAdapters) -> None:
        self._clock = adapters.clock
        self.offset = 0.0

    def now(self) -> float:
        return self._clock.now().timestamp()

    def advance(self, seconds: float) -> None:
        self._clock.advance(seconds=seconds)


class InProcessTransport:
    """Transport (channels/http.py) that hands each request to the fake, no socket; `down` makes
    it fail as a network would."""

    def __init__(self, fake: FakeMarkets) -> None:
        self.fake = fake
        self.sent: list[HttpRequest] = []
        self.statuses: list[int] = []
        self.down: list[bool] = []  # True: no connection; each entry one attempt

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        self.sent.append(request)
        if self.down:
            sent = self.down.pop(0)
            raise TransportError("simulated network failure", sent=sent)
        response = self.fake.handle(
            request.method, request.url, dict(request.headers), request.body
        )
        self.statuses.append(response.status)
        return HttpResponse(
            response.status, {k.lower(): v for k, v in response.headers.items()}, response.body
        )


@dataclass
class Markets:
    fake: FakeMarkets
    transport: InProcessTransport


def with_fake_markets(adapters: FakeAdapters, *, notify: Any = None) -> Markets:
    fake = FakeMarkets(port=None, notify=notify, clock=FakeClockForMarkets(adapters))  # type: ignore[arg-type]
    fake.base_url = BASE
    transport = InProcessTransport(fake)
    apps = adapters.channel_apps.apps
    fake.mercadolibre.add_app(
        apps["mercadolibre"]["client_id"],
        apps["mercadolibre"]["client_secret"],
        adapters.settings.public_base_url.rstrip("/") + "/oauth/mercadolibre",
        adapters.settings.public_base_url.rstrip("/") + "/webhooks/mercadolibre",
    )
    fake.amazon.add_app(apps["amazon"]["client_id"], apps["amazon"]["client_secret"])

    def broken(tenant: str, channel: str, reason: str) -> None:
        from postventa.services.connections import mark_broken

        mark_broken(adapters, tenant, channel, reason)

    adapters.marketplaces = MarketplaceClients(
        urls=ChannelUrls(
            mercadolibre_api=f"{BASE}/mercadolibre",
            mercadolibre_auth=f"{BASE}/mercadolibre/auth",
            amazon_spapi=f"{BASE}/amazon",
            amazon_lwa=f"{BASE}/amazon/lwa",
            liverpool_api=f"{BASE}/liverpool",
        ),
        connections=adapters.connections,
        secrets=adapters.secrets,
        throttle=adapters.throttle,
        transport=transport,
        clock=adapters.clock,
        app_credentials=adapters.channel_apps.app,
        on_broken=broken,
        sleep=lambda seconds: adapters.clock.advance(seconds=seconds),
    )
    return Markets(fake, transport)


def _connected(
    adapters: FakeAdapters,
    tenant_id: str,
    channel: Channel,
    account_id: str,
    credentials: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> None:
    now = iso(adapters.clock.now())
    adapters.secrets.put_channel(tenant_id, channel.value, credentials)
    adapters.connections.claim_account(channel.value, account_id, tenant_id)
    adapters.connections.put(
        ChannelConnection(
            tenant_id=tenant_id,
            channel=channel,
            status=ConnectionStatus.CONNECTED,
            account_id=account_id,
            connected_at=now,
            updated_at=now,
            settings=settings or {},
        )
    )


def connect_mercadolibre(
    adapters: FakeAdapters, markets: Markets, tenant_id: str = "t1", user_id: int = ML_USER
) -> int:
    """A seller in the fake, authorized through the real OAuth exchange, connected to the tenant."""
    fake = markets.fake.mercadolibre
    fake.add_seller(user_id, f"VENDEDOR{user_id % 1000}")
    fake.authorizing_user = user_id
    app = next(iter(fake.apps.values()))
    location = markets.fake.handle(
        "GET",
        f"{BASE}/mercadolibre/auth/authorization?response_type=code&client_id={app.client_id}"
        f"&redirect_uri={app.redirect_uri}&state=x",
        {},
        b"",
    ).headers["location"]
    code = location.split("code=", 1)[1].split("&", 1)[0]
    tokens, account = adapters.marketplaces.mercadolibre_oauth().exchange(code, app.redirect_uri)
    _connected(
        adapters,
        tenant_id,
        Channel.MERCADOLIBRE,
        account,
        {**tokens.model_dump(), "user_id": account},
    )
    return user_id


def connect_amazon(
    adapters: FakeAdapters, markets: Markets, tenant_id: str = "t1", seller: str = AMAZON_SELLER
) -> str:
    refresh = markets.fake.amazon.add_seller(seller)
    tokens = OAuthTokens(
        access_token="caducado", refresh_token=refresh, expires_at=epoch(adapters.clock.now()) - 1
    )
    _connected(
        adapters,
        tenant_id,
        Channel.AMAZON,
        seller,
        tokens.model_dump(),
        {"marketplace_id": "A1AM78C64UM0Y8"},
    )
    return seller


def connect_liverpool(
    adapters: FakeAdapters, markets: Markets, tenant_id: str = "t1", shop_id: int = LIVERPOOL_SHOP
) -> int:
    markets.fake.liverpool.add_shop(LIVERPOOL_KEY, shop_id, "Tienda de prueba")
    _connected(adapters, tenant_id, Channel.LIVERPOOL, str(shop_id), {"api_key": LIVERPOOL_KEY})
    return shop_id
