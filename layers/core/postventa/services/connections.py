"""Connecting a seller's channels (seller API `/api/v1/channels`, decision 0016).

- Shopify, WooCommerce: the seller saves the signing secret the store shows (or chose) and pastes
  our webhook URL into the store. PrestaShop: we generate the secret and show it once.
- Mercado Libre (and with it Mercado Shops): OAuth authorization code. `authorize` answers the
  URL to send the seller to, with a signed, expiring, single-use `state`; Mercado Libre sends the
  seller back to our callback route with `code` and `state`; `complete_oauth` verifies the state,
  exchanges the code, reads the seller's account and stores the tokens in Secrets Manager.
- Amazon: the seller pastes the LWA refresh token of our authorized app, their Merchant (selling
  partner) id and marketplace; we check the token by using it.
- Liverpool: the shop's API key; checked against the shop's account (A01).

One channel account belongs to one tenant (a conditional write). A connection the channel stops
honouring is marked `rota` with the reason and the seller is told by email, once; deliveries that
came in meanwhile are parked and fetched again when the seller connects again.
"""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.channels.http import ChannelAuthError, ChannelHttpError
from postventa.channels.tokens import ConnectionBrokenError
from postventa.domain.channels import (
    SETUPS,
    ChannelConnection,
    ConnectionStatus,
    connection_channel,
)
from postventa.domain.clock import epoch, iso
from postventa.domain.oauth_state import (
    InvalidStateError,
    StateExpiredError,
    sign_state,
    verify_state,
)
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.errors import BadRequestError, ConflictError, NotFoundError, PostventaError
from postventa.messaging.email import render_email
from postventa.observability import logger

OAUTH_CALLBACK_PATH = "/oauth/mercadolibre"


class ConnectionFailedError(PostventaError):
    """The channel refused the credentials the seller gave (422: fix them and try again)."""

    status_code = 422
    code = "conexion_rechazada"


def _channel(name: str) -> Channel:
    try:
        return Channel(name)
    except ValueError:
        raise NotFoundError(f"No conocemos el canal «{name}».") from None


def api_base(adapters: Adapters) -> str:
    return adapters.settings.public_base_url.rstrip("/")


def webhook_url(adapters: Adapters, tenant_id: str, channel: Channel) -> str | None:
    setup = SETUPS[channel]
    if setup.delivery == "webhook":
        return f"{api_base(adapters)}/webhooks/{channel.value}/{tenant_id}"
    if setup.delivery == "app":
        return f"{api_base(adapters)}/webhooks/{connection_channel(channel).value}"
    return None


def redirect_uri(adapters: Adapters) -> str:
    return api_base(adapters) + OAUTH_CALLBACK_PATH


def _view(
    adapters: Adapters, tenant_id: str, channel: Channel, connection: ChannelConnection | None
) -> dict[str, Any]:
    setup = SETUPS[channel]
    view: dict[str, Any] = {
        "channel": channel.value,
        "label": setup.label,
        "status": connection.status.value if connection else "sin_conectar",
        "connect": setup.kind,
        "delivery": setup.delivery,
        "instructions": setup.instructions.format(mail_from=adapters.settings.mail_from),
    }
    url = webhook_url(adapters, tenant_id, channel)
    if url and setup.delivery == "webhook":
        view["webhook_url"] = url
    elif url:
        view["notifications_url"] = url  # our application's one URL (set by the operator)
    if connection is not None:
        view.update(
            {
                k: v
                for k, v in {
                    "account_id": connection.account_id,
                    "account_name": connection.account_name,
                    "connected_at": connection.connected_at,
                    "updated_at": connection.updated_at,
                    "broken_reason": connection.broken_reason,
                    "settings": connection.settings or None,
                }.items()
                if v is not None
            }
        )
    if channel is Channel.AMAZON:
        view["approved_sender"] = adapters.settings.mail_from
    return view


def list_connections(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    stored = {c.channel: c for c in adapters.connections.of_tenant(tenant_id)}
    views = []
    for channel in Channel:
        connection = stored.get(connection_channel(channel))
        views.append(_view(adapters, tenant_id, channel, connection))
    return {"channels": views}


def show_connection(tenant_id: str, channel_name: str, adapters: Adapters) -> dict[str, Any]:
    channel = _channel(channel_name)
    connection = adapters.connections.get(tenant_id, connection_channel(channel).value)
    return _view(adapters, tenant_id, channel, connection)


# ---------------------------------------------------------------- connecting
class ConnectBody(BaseModel):
    """What a seller sends to connect a channel (only its channel's fields are read)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    webhook_secret: str | None = Field(None, min_length=8, max_length=256)
    refresh_token: str | None = Field(None, min_length=10, max_length=2048)
    selling_partner_id: str | None = Field(None, pattern=r"^[A-Z0-9]{8,20}$")
    marketplace_id: str | None = Field(None, pattern=r"^[A-Z0-9]{8,20}$")
    api_key: str | None = Field(None, min_length=8, max_length=512)
    # Amazon only: put the form's link in the billing message (Amazon reports links to pages
    # outside Amazon as forbidden: the seller's choice and risk).
    include_link: bool | None = None


def _save(
    adapters: Adapters,
    tenant_id: str,
    channel: Channel,
    *,
    account_id: str | None,
    account_name: str | None,
    credentials: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> ChannelConnection:
    now = iso(adapters.clock.now())
    previous = adapters.connections.get(tenant_id, channel.value)
    if account_id is not None:
        if not adapters.connections.claim_account(channel.value, account_id, tenant_id):
            raise ConflictError(
                f"Esa cuenta de {SETUPS[channel].label} ya está conectada a otra tienda de "
                "Postventa."
            )
        if previous and previous.account_id and previous.account_id != account_id:
            adapters.connections.release_account(channel.value, previous.account_id, tenant_id)
    adapters.secrets.put_channel(tenant_id, channel.value, credentials)
    connection = ChannelConnection(
        tenant_id=tenant_id,
        channel=channel,
        status=ConnectionStatus.CONNECTED,
        account_id=account_id,
        account_name=account_name,
        connected_at=previous.connected_at if previous and previous.usable else now,
        updated_at=now,
        settings=settings or {},
    )
    adapters.connections.put(connection)
    adapters.events.publish(
        "ChannelConnected",
        {"tenant_id": tenant_id, "channel": channel.value, "occurred_at": now},
    )
    requeue_parked(tenant_id, channel, adapters)
    logger.info("channel connected", extra={"channel": channel.value})
    return connection


def connect(
    tenant_id: str, channel_name: str, body: ConnectBody, adapters: Adapters
) -> tuple[dict[str, Any], bool]:
    """Connect a channel with credentials; (view, created). The generated PrestaShop secret is
    in the view this once."""
    channel = _channel(channel_name)
    setup = SETUPS[channel]
    existed = adapters.connections.get(tenant_id, connection_channel(channel).value) is not None
    shown: dict[str, Any] = {}
    if setup.kind == "oauth":
        raise BadRequestError(
            f"{setup.label} se conecta con su autorización: usa POST "
            f"/api/v1/channels/{channel.value}/authorize y abre la liga que te damos."
        )
    if setup.kind in ("signing_secret", "generated_secret"):
        secret = body.webhook_secret
        if setup.kind == "generated_secret":
            secret = shown["webhook_secret"] = random_secrets.token_urlsafe(32)
        elif not secret:
            raise BadRequestError("Falta webhook_secret: la clave con la que la tienda firma.")
        _save(
            adapters,
            tenant_id,
            channel,
            account_id=None,
            account_name=None,
            credentials={"webhook_secret": secret},
        )
    elif channel is Channel.AMAZON:
        _connect_amazon(tenant_id, body, adapters)
    elif channel is Channel.LIVERPOOL:
        _connect_liverpool(tenant_id, body, adapters)
    view = show_connection(tenant_id, channel.value, adapters)
    return {**view, **shown}, not existed


def _connect_amazon(tenant_id: str, body: ConnectBody, adapters: Adapters) -> None:
    from postventa.channels.amazon_api import MEXICO_MARKETPLACE

    if not body.refresh_token or not body.selling_partner_id:
        raise BadRequestError("Faltan refresh_token y selling_partner_id (tu Merchant ID).")
    try:
        tokens = adapters.marketplaces.amazon_lwa().refresh(body.refresh_token)
    except ChannelAuthError:
        raise ConnectionFailedError(
            "Amazon rechazó el refresh token: autoriza la aplicación otra vez en Seller Central "
            "y pega el token nuevo."
        ) from None
    _save(
        adapters,
        tenant_id,
        Channel.AMAZON,
        account_id=body.selling_partner_id,
        account_name=None,
        credentials=tokens.model_dump(),
        settings={
            "marketplace_id": body.marketplace_id or MEXICO_MARKETPLACE,
            "include_link": bool(body.include_link),
        },
    )


def _connect_liverpool(tenant_id: str, body: ConnectBody, adapters: Adapters) -> None:
    from postventa.channels.mirakl_api import LIMITS, MiraklApi

    if not body.api_key:
        raise BadRequestError("Falta api_key: la API key de tu tienda en Liverpool.")
    probe = MiraklApi(
        adapters.marketplaces.http(Channel.LIVERPOOL, LIMITS),
        api_url=adapters.marketplaces.urls.liverpool_api,
        api_key=body.api_key,
        shop_id="nueva",
        on_unauthorized=lambda _reason: None,
    )
    try:
        account = probe.account()
    except ConnectionBrokenError:
        raise ConnectionFailedError(
            "Liverpool rechazó la API key: cópiala otra vez del portal de vendedores."
        ) from None
    shop_id = str(account.get("shop_id") or "")
    if not shop_id:
        raise ConnectionFailedError("Liverpool no dijo qué tienda es esa API key.")
    _save(
        adapters,
        tenant_id,
        Channel.LIVERPOOL,
        account_id=shop_id,
        account_name=account.get("shop_name"),
        credentials={"api_key": body.api_key},
    )


# ---------------------------------------------------------------- Mercado Libre OAuth
def authorize(tenant_id: str, channel_name: str, adapters: Adapters) -> dict[str, Any]:
    channel = _channel(channel_name)
    if SETUPS[channel].kind != "oauth":
        raise BadRequestError(f"{SETUPS[channel].label} no se conecta con autorización OAuth.")
    now = epoch(adapters.clock.now())
    state = sign_state(adapters.channel_apps.state_key(), tenant_id, channel.value, now)
    url = adapters.marketplaces.mercadolibre_oauth().authorization_url(
        redirect_uri(adapters), state
    )
    return {"authorization_url": url, "redirect_uri": redirect_uri(adapters), "expires_in": 600}


@dataclass(frozen=True)
class OAuthOutcome:
    """How the seller's return from Mercado Libre ended; web/channel_pages.py says it."""

    code: str  # conectada | state_invalida | state_caducada | state_usada | no_autorizo |
    # tienda_inexistente | codigo_rechazado | sin_cuenta | cuenta_de_otra_tienda
    tenant_id: str | None = None
    account_name: str | None = None

    @property
    def connected(self) -> bool:
        return self.code == "conectada"


def complete_oauth(
    code: str | None, state: str | None, error: str | None, adapters: Adapters
) -> OAuthOutcome:
    """The seller came back from Mercado Libre: connect the account, or say why not."""
    now = epoch(adapters.clock.now())
    try:
        verified = verify_state(adapters.channel_apps.state_key(), state or "", now)
    except StateExpiredError:
        return OAuthOutcome("state_caducada")
    except InvalidStateError:
        return OAuthOutcome("state_invalida")
    if not adapters.connections.use_state(verified.nonce, verified.exp + 3600):
        return OAuthOutcome("state_usada")
    if error or not code:
        return OAuthOutcome("no_autorizo", verified.tenant)
    if adapters.tenants.get(verified.tenant) is None:
        return OAuthOutcome("tienda_inexistente")
    oauth = adapters.marketplaces.mercadolibre_oauth()
    try:
        tokens, user_id = oauth.exchange(code, redirect_uri(adapters))
    except ChannelAuthError:
        return OAuthOutcome("codigo_rechazado", verified.tenant)
    if not user_id:
        return OAuthOutcome("sin_cuenta", verified.tenant)
    nickname = None
    try:
        _save(
            adapters,
            verified.tenant,
            Channel.MERCADOLIBRE,
            account_id=user_id,
            account_name=None,
            credentials={**tokens.model_dump(), "user_id": user_id},
        )
    except ConflictError:
        return OAuthOutcome("cuenta_de_otra_tienda", verified.tenant)
    try:
        nickname = adapters.marketplaces.mercadolibre(verified.tenant).me().get("nickname")
    except ChannelHttpError:
        logger.warning("mercadolibre /users/me failed after connecting")
    if nickname:
        connection = adapters.connections.get(verified.tenant, Channel.MERCADOLIBRE.value)
        if connection is not None:
            adapters.connections.put(connection.model_copy(update={"account_name": nickname}))
    return OAuthOutcome("conectada", verified.tenant, nickname)


# ---------------------------------------------------------------- test, disconnect, broken
def test_connection(tenant_id: str, channel_name: str, adapters: Adapters) -> dict[str, Any]:
    channel = connection_channel(_channel(channel_name))
    connection = adapters.connections.get(tenant_id, channel.value)
    if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
        raise NotFoundError(f"{SETUPS[channel].label} no está conectado.")
    setup = SETUPS[channel]
    if setup.delivery == "webhook":
        has_secret = bool(
            (adapters.secrets.channel(tenant_id, channel.value) or {}).get("webhook_secret")
        )
        return {
            "ok": has_secret,
            "detail": "Hay una clave de firma guardada; envía un pedido de prueba desde la tienda."
            if has_secret
            else "Falta la clave de firma: vuelve a conectar el canal.",
            "webhook_url": webhook_url(adapters, tenant_id, channel),
        }
    try:
        client = adapters.marketplaces.client(tenant_id, channel)
        if channel is Channel.MERCADOLIBRE:
            detail = f"Cuenta {client.me().get('nickname') or client.account_id} en línea."
        elif channel is Channel.LIVERPOOL:
            detail = f"Tienda {client.account().get('shop_name') or client.account_id} en línea."
        else:
            markets = client.marketplace_participations()
            detail = f"Cuenta de Amazon en línea ({len(markets)} marketplaces)."
    except ConnectionBrokenError as exc:
        return {"ok": False, "detail": exc.args[0] if exc.args else "Conexión rota."}
    except ChannelHttpError as exc:
        return {"ok": False, "detail": f"{setup.label} no respondió bien ({exc.status or 'red'})."}
    return {"ok": True, "detail": detail}


def disconnect(tenant_id: str, channel_name: str, adapters: Adapters) -> dict[str, Any]:
    channel = connection_channel(_channel(channel_name))
    connection = adapters.connections.get(tenant_id, channel.value)
    if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
        raise NotFoundError(f"{SETUPS[channel].label} no está conectado.")
    adapters.secrets.delete_channel(tenant_id, channel.value)
    if connection.account_id:
        adapters.connections.release_account(channel.value, connection.account_id, tenant_id)
    now = iso(adapters.clock.now())
    adapters.connections.put(
        connection.model_copy(
            update={
                "status": ConnectionStatus.DISCONNECTED,
                "updated_at": now,
                "broken_reason": None,
            }
        )
    )
    adapters.events.publish(
        "ChannelDisconnected",
        {"tenant_id": tenant_id, "channel": channel.value, "occurred_at": now},
    )
    return {"channel": channel.value, "status": ConnectionStatus.DISCONNECTED.value}


def mark_broken(adapters: Adapters, tenant_id: str, channel_name: str, reason: str) -> None:
    """The channel refused our authorization for good: `rota`, the reason kept, the seller
    emailed once per break."""
    channel = connection_channel(_channel(channel_name))
    connection = adapters.connections.get(tenant_id, channel.value)
    if connection is None or connection.status is not ConnectionStatus.CONNECTED:
        return
    now = iso(adapters.clock.now())
    adapters.connections.put(
        connection.model_copy(
            update={"status": ConnectionStatus.BROKEN, "broken_reason": reason, "updated_at": now}
        )
    )
    adapters.events.publish(
        "ChannelConnectionBroken",
        {"tenant_id": tenant_id, "channel": channel.value, "occurred_at": now},
    )
    logger.warning("channel connection broken", extra={"channel": channel.value})
    tenant = adapters.tenants.get(tenant_id)
    if tenant is not None and tenant.contact_email:
        label = SETUPS[channel].label
        adapters.mailer.send(
            render_email(
                "seller_notice",
                f"{label} se desconectó de Postventa",
                tenant.contact_email,
                {
                    "seller_name": tenant.name,
                    "lines": [
                        reason,
                        f"Mientras tanto guardamos los avisos de ventas de {label}; en cuanto "
                        "vuelvas a conectar la cuenta los consultamos y facturamos.",
                    ],
                },
            )
        )


def requeue_parked(tenant_id: str, channel: Channel, adapters: Adapters) -> int:
    """Deliveries parked while the connection was broken go back to the orders queue."""
    parked = adapters.connections.parked(tenant_id, channel.value)
    for handle, body in parked:
        adapters.queue.send(body)
        adapters.connections.unpark(tenant_id, channel.value, handle)
    if parked:
        logger.info("parked deliveries queued again", extra={"count": len(parked)})
    return len(parked)
