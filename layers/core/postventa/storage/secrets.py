"""Per-tenant channel secrets (webhook secrets, channel tokens) in Secrets Manager, cached.

Each connected channel has its own secret, `postventa/tenants/{tenant}/channels/{channel}` (a JSON
object: a signing secret, OAuth tokens, an API key), written when the seller connects it and
rewritten on every token refresh, so a refresh never races with another channel's write. The
older layout, one secret `postventa/tenants/{tenant}` with an entry per channel (e.g.
`{"shopify": {"webhook_secret": "..."}}`), is still read when a channel has no secret of its own.
Both names sit under the prefix the template's IAM policies grant. Never stored in DynamoDB,
never logged.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

SECRETS_PREFIX = "postventa"
_TTL_SECONDS = 300.0


def secret_name(tenant_id: str) -> str:
    return f"{SECRETS_PREFIX}/tenants/{tenant_id}"


def channel_secret_name(tenant_id: str, channel: str) -> str:
    return f"{secret_name(tenant_id)}/channels/{channel}"


def put_secret_string(client: Any, name: str, body: str) -> None:
    """Create or replace a secret's value."""
    try:
        client.put_secret_value(SecretId=name, SecretString=body)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=name, SecretString=body)


class SecretsManagerTenantSecrets:
    """Read through a per-process cache with a TTL (a webhook must answer in milliseconds)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def _cached(self, name: str, fresh: bool = False) -> dict[str, Any] | None:
        now = time.monotonic()
        if not fresh:
            with self._lock:
                hit = self._cache.get(name)
                if hit and hit[0] > now:
                    return hit[1]
        value = self._load(name)
        with self._lock:
            self._cache[name] = (now + _TTL_SECONDS, value)
        return value

    def get(self, tenant_id: str) -> dict[str, Any] | None:
        return self._cached(secret_name(tenant_id))

    def channel(
        self, tenant_id: str, channel: str, *, fresh: bool = False
    ) -> dict[str, Any] | None:
        """The channel's own secret, else its entry in the tenant's combined secret. `fresh`
        skips the cache (after a 401: another function may have refreshed the token)."""
        own = self._cached(channel_secret_name(tenant_id, channel), fresh)
        if own is not None:
            return own
        value = (self._cached(secret_name(tenant_id), fresh) or {}).get(channel)
        return value if isinstance(value, dict) else None

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None:
        put_secret_string(self._client, secret_name(tenant_id), json.dumps(dict(value)))
        with self._lock:
            self._cache.pop(secret_name(tenant_id), None)

    def put_channel(self, tenant_id: str, channel: str, value: Mapping[str, Any]) -> None:
        name = channel_secret_name(tenant_id, channel)
        put_secret_string(self._client, name, json.dumps(dict(value)))
        with self._lock:
            self._cache[name] = (time.monotonic() + _TTL_SECONDS, dict(value))

    def delete_channel(self, tenant_id: str, channel: str) -> None:
        """Forget the channel's secret at once (no recovery window: a disconnected channel's
        tokens must stop working now, and connecting again must be able to create it)."""
        name = channel_secret_name(tenant_id, channel)
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        with self._lock:
            self._cache[name] = (time.monotonic() + _TTL_SECONDS, None)

    def _load(self, name: str) -> dict[str, Any] | None:
        try:
            raw = self._client.get_secret_value(SecretId=name)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            return None
        value = json.loads(raw)
        return value if isinstance(value, dict) else None


BANXICO_SECRET = f"{SECRETS_PREFIX}/banxico"


def banxico_token(client: Any) -> str:
    """Banxico's SIE query token: {"token": "..."} in `postventa/banxico` (an operator sets it
    once per deployment; see the README)."""
    from postventa.settings import ConfigurationError

    try:
        raw = client.get_secret_value(SecretId=BANXICO_SECRET)["SecretString"]
        return str(json.loads(raw)["token"])
    except client.exceptions.ResourceNotFoundException:
        raise ConfigurationError(
            f"secret {BANXICO_SECRET} with Banxico's SIE token is missing"
        ) from None
