"""A seller's connection to a sales channel, and what each channel needs to be connected.

The connection record (DynamoDB) says whether the channel works for the tenant and which account
it is; what authenticates us to the channel (OAuth tokens, API keys, signing secrets) lives in
Secrets Manager, never in the record (storage/secrets.py). Statuses:

    conectada --(the channel revokes our token, a 401 we cannot refresh past)--> rota
    rota --(the seller connects again)--> conectada      any --(disconnect)--> desconectada

Mercado Shops sells through the seller's Mercado Libre account (its orders come in the same
notifications, `context.channel = "mshops"`): connecting Mercado Libre connects both.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from postventa.domain.orders import Channel


class ConnectionStatus(StrEnum):
    CONNECTED = "conectada"
    BROKEN = "rota"
    DISCONNECTED = "desconectada"


class ChannelConnection(BaseModel):
    tenant_id: str
    channel: Channel
    status: ConnectionStatus
    account_id: str | None = Field(None, description="the seller's id on the channel")
    account_name: str | None = None
    connected_at: str
    updated_at: str
    broken_reason: str | None = Field(None, description="Spanish, for the seller")
    settings: dict[str, Any] = Field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.status is ConnectionStatus.CONNECTED


ConnectKind = Literal["oauth", "lwa", "api_key", "signing_secret", "generated_secret"]


class ChannelSetup(BaseModel):
    """How a channel is connected and how its orders reach us."""

    channel: Channel
    label: str
    kind: ConnectKind
    # "webhook": the seller pastes our per-tenant URL into the channel; "app": notifications
    # go to our application's one URL (Mercado Libre); "queue": Amazon's SQS; "polling": we ask.
    delivery: Literal["webhook", "app", "queue", "polling"]
    instructions: str


SETUPS: dict[Channel, ChannelSetup] = {
    setup.channel: setup
    for setup in (
        ChannelSetup(
            channel=Channel.MERCADOLIBRE,
            label="Mercado Libre",
            kind="oauth",
            delivery="app",
            instructions=(
                "Autoriza a Postventa en Mercado Libre con la liga que te damos; las ventas "
                "llegan solas (también las de Mercado Shops) y el mensaje de facturación sale "
                "por la mensajería posventa de Mercado Libre."
            ),
        ),
        ChannelSetup(
            channel=Channel.MERCADOSHOPS,
            label="Mercado Shops",
            kind="oauth",
            delivery="app",
            instructions=(
                "Mercado Shops usa tu cuenta de Mercado Libre: conecta Mercado Libre y sus "
                "ventas de Mercado Shops llegarán también."
            ),
        ),
        ChannelSetup(
            channel=Channel.AMAZON,
            label="Amazon",
            kind="lwa",
            delivery="queue",
            instructions=(
                "Autoriza la aplicación en Seller Central y pega el refresh token de Login with "
                "Amazon, tu Merchant ID y el marketplace. Para que el correo de facturación "
                "llegue al comprador, agrega {mail_from} en Seller Central > Configuración > "
                "Notificaciones > Permisos de mensajes (remitentes aprobados)."
            ),
        ),
        ChannelSetup(
            channel=Channel.LIVERPOOL,
            label="Liverpool",
            kind="api_key",
            delivery="polling",
            instructions=(
                "Pega la API key de tu tienda en el portal de vendedores de Liverpool (Mi "
                "cuenta > API). Revisamos tus pedidos cada 5 minutos."
            ),
        ),
        ChannelSetup(
            channel=Channel.SHOPIFY,
            label="Shopify",
            kind="signing_secret",
            delivery="webhook",
            instructions=(
                "En Shopify: Configuración > Notificaciones > Webhooks, crea el webhook «Pago "
                "del pedido» (orders/paid, JSON) con la URL que te mostramos y guarda aquí la "
                "clave de firma que Shopify muestra debajo de la lista."
            ),
        ),
        ChannelSetup(
            channel=Channel.WOOCOMMERCE,
            label="WooCommerce",
            kind="signing_secret",
            delivery="webhook",
            instructions=(
                "En WooCommerce: Ajustes > Avanzado > Webhooks, crea uno con tema «Pedido "
                "actualizado», la URL que te mostramos y el mismo secreto que guardes aquí."
            ),
        ),
        ChannelSetup(
            channel=Channel.PRESTASHOP,
            label="PrestaShop",
            kind="generated_secret",
            delivery="webhook",
            instructions=(
                "Instala el módulo postventa (docs/prestashop/) y pega en su configuración la "
                "URL y el secreto que te damos; el módulo envía cada pedido validado."
            ),
        ),
    )
}

# The channel whose connection serves another (Mercado Shops runs on the Mercado Libre account).
CONNECTION_OF: dict[Channel, Channel] = {Channel.MERCADOSHOPS: Channel.MERCADOLIBRE}


def connection_channel(channel: Channel | str) -> Channel:
    """The channel whose connection (credentials, account) serves `channel`."""
    known = Channel(channel)
    return CONNECTION_OF.get(known, known)


class OAuthTokens(BaseModel):
    """An OAuth access token and what renews it (Mercado Libre; Amazon's LWA)."""

    access_token: str
    refresh_token: str
    expires_at: int = Field(description="epoch seconds the access token stops working")
    refreshed_at: int = 0

    def expires_within(self, now: int, seconds: int) -> bool:
        return self.expires_at - now <= seconds
