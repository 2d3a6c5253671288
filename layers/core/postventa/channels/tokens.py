"""A tenant's OAuth access token for a channel: renewed before it expires and after a 401, by
one function at a time (decision 0016).

Mercado Libre's refresh tokens work once: the refresh answers a new pair and the old refresh token
(and the old access token) stop working. Two functions refreshing together would leave one of
them with a dead pair, or worse, overwrite the good pair with a dead one. So:

1. read the secret; if its access token is neither about to expire nor the one a 401 just
   refused, use it (another function already refreshed);
2. otherwise take the tenant's refresh lock (a conditional write with a lease), read the secret
   again under the lock, refresh only if it is still stale, write the new pair, release;
3. a function that finds the lock taken waits for the holder's new pair to appear.

A refresh the channel refuses for good (invalid_grant: the seller revoked us) marks the connection
`rota` and raises ChannelAuthError; the seller is told and connects again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from postventa.channels.http import ChannelAuthError, ChannelUnavailableError
from postventa.domain.channels import SETUPS, OAuthTokens
from postventa.domain.clock import epoch
from postventa.domain.orders import Channel
from postventa.domain.ports import Clock, Connections, TenantSecrets

# Renew this long before the channel says the token expires (a call may take a while).
RENEW_BEFORE_SECONDS = 300
LOCK_SECONDS = 30
WAIT_FOR_HOLDER_SECONDS = 15.0

Refresher = Callable[[str], OAuthTokens]
"""refresh token -> the new tokens (raises ChannelAuthError when the channel refuses it)."""


class ConnectionBrokenError(ChannelAuthError):
    """The channel refused our authorization for good; the connection is marked `rota`."""


class TokenKeeper:
    def __init__(
        self,
        tenant_id: str,
        channel: str,
        *,
        secrets: TenantSecrets,
        connections: Connections,
        clock: Clock,
        refresher: Refresher,
        on_broken: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tenant_id = tenant_id
        self.channel = channel
        self._secrets = secrets
        self._connections = connections
        self._clock = clock
        self._refresher = refresher
        self._on_broken = on_broken
        self._sleep = sleep
        self._monotonic = monotonic

    def _stored(self, fresh: bool) -> tuple[dict[str, Any], OAuthTokens]:
        value = self._secrets.channel(self.tenant_id, self.channel, fresh=fresh)
        if not value or "refresh_token" not in value:
            raise ConnectionBrokenError(f"{self.channel}: la cuenta no está conectada")
        return value, OAuthTokens.model_validate(value)

    def _usable(self, tokens: OAuthTokens, refused: str | None) -> bool:
        now = epoch(self._clock.now())
        return tokens.access_token != refused and not tokens.expires_within(
            now, RENEW_BEFORE_SECONDS
        )

    def access_token(self) -> str:
        """A token good for at least a few minutes."""
        _value, tokens = self._stored(fresh=False)
        if self._usable(tokens, None):
            return tokens.access_token
        return self._renew(None)

    def after_unauthorized(self, refused: str) -> str:
        """The channel answered 401 to `refused`: a newer token if another function has one,
        else a refresh."""
        return self._renew(refused)

    def _renew(self, refused: str | None) -> str:
        holder = uuid.uuid4().hex
        give_up = self._monotonic() + WAIT_FOR_HOLDER_SECONDS
        while True:
            value, tokens = self._stored(fresh=True)
            if self._usable(tokens, refused):
                return tokens.access_token
            if self._connections.lock_refresh(self.tenant_id, self.channel, holder, LOCK_SECONDS):
                try:
                    value, tokens = self._stored(fresh=True)
                    if self._usable(tokens, refused):
                        return tokens.access_token
                    try:
                        renewed = self._refresher(tokens.refresh_token)
                    except ChannelAuthError as exc:
                        reason = (
                            f"{SETUPS[Channel(self.channel)].label} rechazó la autorización de "
                            "Postventa (la cuenta la retiró o caducó): vuelve a conectarla."
                        )
                        self._on_broken(reason)
                        raise ConnectionBrokenError(reason, status=exc.status) from exc
                    stamped = renewed.model_copy(update={"refreshed_at": epoch(self._clock.now())})
                    self._secrets.put_channel(
                        self.tenant_id, self.channel, {**value, **stamped.model_dump()}
                    )
                    return stamped.access_token
                finally:
                    self._connections.unlock_refresh(self.tenant_id, self.channel, holder)
            if self._monotonic() > give_up:
                raise ChannelUnavailableError(
                    f"{self.channel}: otra función renueva el token y no terminó a tiempo"
                )
            self._sleep(0.2)
