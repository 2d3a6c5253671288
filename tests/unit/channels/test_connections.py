"""Connecting channels per tenant: the signed, expiring, single-use OAuth state, Mercado Libre's
authorization code through our redirect route, Amazon's LWA token, Liverpool's API key, store
signing secrets, list, test and disconnect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from postventa.domain.channels import ConnectionStatus
from postventa.domain.oauth_state import (
    InvalidStateError,
    StateExpiredError,
    sign_state,
    verify_state,
)
from postventa.domain.orders import Channel
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.services import connections
from postventa.services.connections import ConnectBody, ConnectionFailedError
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import (
    LIVERPOOL_KEY,
    ML_USER,
    Markets,
    with_fake_markets,
)

KEY = b"k" * 32


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant("tienda"))
    fake.tenants.put(builders.tenant("otra"))
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    markets = with_fake_markets(adapters)
    markets.fake.mercadolibre.add_seller(ML_USER, "ALFARERIA_CHAYO")
    return markets


# ---------------------------------------------------------------- the state
def test_a_state_is_bound_to_its_tenant_and_channel_and_expires_in_ten_minutes() -> None:
    state = sign_state(KEY, "tienda", "mercadolibre", now=1_000)
    verified = verify_state(KEY, state, now=1_599)
    assert (verified.tenant, verified.channel) == ("tienda", "mercadolibre")
    with pytest.raises(StateExpiredError):
        verify_state(KEY, state, now=1_601)


@pytest.mark.parametrize("tamper", ["other-key", "payload", "signature", "garbage"])
def test_a_forged_or_altered_state_is_refused(tamper: str) -> None:
    state = sign_state(KEY, "tienda", "mercadolibre", now=1_000)
    payload, mac = state.split(".")
    forged = {
        "other-key": sign_state(b"x" * 32, "tienda", "mercadolibre", now=1_000),
        "payload": payload[:-2] + ("AA" if not payload.endswith("AA") else "BB") + "." + mac,
        "signature": payload + "." + mac[:-2] + "xx",
        "garbage": "no-es-un-state",
    }[tamper]
    with pytest.raises(InvalidStateError):
        verify_state(KEY, forged, now=1_000)


# ---------------------------------------------------------------- Mercado Libre
def authorize_and_return(adapters: FakeAdapters, markets: Markets, tenant: str = "tienda") -> str:
    """The seller's browser: our authorization URL, Mercado Libre's redirect, our callback."""
    url = connections.authorize(tenant, "mercadolibre", adapters)["authorization_url"]
    answer = markets.fake.handle("GET", url, {}, b"")
    assert answer.status == 302
    return answer.headers["location"]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_mercado_libre_connects_through_our_redirect_route_with_tokens_in_secrets(
    adapters: FakeAdapters, markets: Markets
) -> None:
    back = authorize_and_return(adapters, markets)
    assert back.startswith("https://facturas.example.test/oauth/mercadolibre?")
    outcome = connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    assert outcome.connected and outcome.tenant_id == "tienda"
    assert outcome.account_name == "ALFARERIA_CHAYO"
    connection = adapters.connections.get("tienda", "mercadolibre")
    assert connection is not None and connection.status is ConnectionStatus.CONNECTED
    assert connection.account_id == str(ML_USER) and connection.account_name == "ALFARERIA_CHAYO"
    stored = adapters.secrets.channel("tienda", "mercadolibre")
    assert stored is not None and stored["access_token"].startswith("APP_USR-")
    assert "access_token" not in connection.model_dump_json()  # never in the record
    assert adapters.connections.tenant_for_account("mercadolibre", str(ML_USER)) == "tienda"


def test_a_used_state_cannot_connect_again(adapters: FakeAdapters, markets: Markets) -> None:
    back = authorize_and_return(adapters, markets)
    code, state = query(back)["code"], query(back)["state"]
    assert connections.complete_oauth(code, state, None, adapters).connected
    assert connections.complete_oauth(code, state, None, adapters).code == "state_usada"


def test_a_seller_who_declines_is_told_and_nothing_is_connected(
    adapters: FakeAdapters, markets: Markets
) -> None:
    back = authorize_and_return(adapters, markets)
    outcome = connections.complete_oauth(None, query(back)["state"], "access_denied", adapters)
    assert (
        outcome.code == "no_autorizo" and adapters.connections.get("tienda", "mercadolibre") is None
    )


def test_an_old_state_or_a_stale_code_is_refused(adapters: FakeAdapters, markets: Markets) -> None:
    back = authorize_and_return(adapters, markets)
    adapters.clock.advance(minutes=11)
    expired = connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    assert expired.code == "state_caducada"
    back = authorize_and_return(adapters, markets)
    markets.fake.mercadolibre.codes[query(back)["code"]]["used"] = True
    stale = connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    assert stale.code == "codigo_rechazado"


def test_one_mercado_libre_account_cannot_serve_two_tenants(
    adapters: FakeAdapters, markets: Markets
) -> None:
    back = authorize_and_return(adapters, markets, "tienda")
    assert connections.complete_oauth(
        query(back)["code"], query(back)["state"], None, adapters
    ).connected
    back = authorize_and_return(adapters, markets, "otra")
    outcome = connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    assert outcome.code == "cuenta_de_otra_tienda"
    assert adapters.connections.get("otra", "mercadolibre") is None


def test_mercado_libre_is_not_connected_with_a_pasted_secret(adapters: FakeAdapters) -> None:
    with pytest.raises(BadRequestError, match="authorize"):
        connections.connect(
            "tienda", "mercadolibre", ConnectBody(webhook_secret="12345678"), adapters
        )


# ---------------------------------------------------------------- the others
def test_amazon_connects_with_a_refresh_token_amazon_accepts(
    adapters: FakeAdapters, markets: Markets
) -> None:
    refresh = markets.fake.amazon.add_seller("A3TH9S8BH6GOGM")
    body = ConnectBody(refresh_token=refresh, selling_partner_id="A3TH9S8BH6GOGM")
    view, created = connections.connect("tienda", "amazon", body, adapters)
    assert created and view["status"] == "conectada"
    assert view["approved_sender"] == adapters.settings.mail_from  # the step the seller must do
    assert "Permisos de mensajes" in view["instructions"]
    assert connections.test_connection("tienda", "amazon", adapters)["ok"]
    with pytest.raises(ConnectionFailedError, match="refresh token"):
        connections.connect(
            "otra",
            "amazon",
            ConnectBody(refresh_token="Atzr|inventado", selling_partner_id="A1X2Y3Z4W5"),
            adapters,
        )


def test_liverpool_connects_with_the_shops_api_key(
    adapters: FakeAdapters, markets: Markets
) -> None:
    markets.fake.liverpool.add_shop(LIVERPOOL_KEY, 2001, "Cocina Mexicana SA")
    view, _ = connections.connect(
        "tienda", "liverpool", ConnectBody(api_key=LIVERPOOL_KEY), adapters
    )
    assert view["account_id"] == "2001" and view["account_name"] == "Cocina Mexicana SA"
    assert connections.test_connection("tienda", "liverpool", adapters)["ok"]
    with pytest.raises(ConnectionFailedError):
        connections.connect("otra", "liverpool", ConnectBody(api_key="clave-equivocada"), adapters)


def test_stores_get_their_webhook_url_and_prestashop_a_secret_shown_once(
    adapters: FakeAdapters, markets: Markets
) -> None:
    view, _ = connections.connect(
        "tienda", "shopify", ConnectBody(webhook_secret="shpss_abcdef12"), adapters
    )
    assert view["webhook_url"] == "https://facturas.example.test/webhooks/shopify/tienda"
    assert "webhook_secret" not in view
    presta, _ = connections.connect("tienda", "prestashop", ConnectBody(), adapters)
    assert len(presta["webhook_secret"]) >= 40
    assert (
        connections.show_connection("tienda", "prestashop", adapters).get("webhook_secret") is None
    )
    listed = {c["channel"]: c for c in connections.list_connections("tienda", adapters)["channels"]}
    assert (
        listed["shopify"]["status"] == "conectada" and listed["amazon"]["status"] == "sin_conectar"
    )
    assert listed["mercadolibre"]["notifications_url"].endswith("/webhooks/mercadolibre")


def test_disconnecting_forgets_the_credentials_and_frees_the_account(
    adapters: FakeAdapters, markets: Markets
) -> None:
    back = authorize_and_return(adapters, markets)
    connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    assert connections.disconnect("tienda", "mercadoshops", adapters)["status"] == "desconectada"
    assert adapters.secrets.channel("tienda", "mercadolibre") is None
    assert adapters.connections.tenant_for_account("mercadolibre", str(ML_USER)) is None
    with pytest.raises(NotFoundError):
        connections.disconnect("tienda", "mercadolibre", adapters)
    with pytest.raises(NotFoundError):
        connections.test_connection("tienda", "mercadolibre", adapters)


def test_a_broken_connection_is_reported_by_the_test(
    adapters: FakeAdapters, markets: Markets
) -> None:
    back = authorize_and_return(adapters, markets)
    connections.complete_oauth(query(back)["code"], query(back)["state"], None, adapters)
    markets.fake.mercadolibre.revoke(ML_USER)
    adapters.clock.advance(hours=7)
    result = connections.test_connection("tienda", "mercadolibre", adapters)
    assert not result["ok"] and "conectarla" in result["detail"]
    connection = adapters.connections.get("tienda", "mercadolibre")
    assert connection is not None and connection.status is ConnectionStatus.BROKEN
    with pytest.raises(ConflictError):
        connections._save(  # another tenant cannot take the account even while it is broken
            adapters,
            "otra",
            Channel.MERCADOLIBRE,
            account_id=str(ML_USER),
            account_name=None,
            credentials={},
        )
