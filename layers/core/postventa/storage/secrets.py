"""Per-tenant channel secrets (webhook secrets, channel tokens) in Secrets Manager, cached.

Secret name: `postventa/tenants/{tenant}` (the prefix the template's IAM policies grant), a JSON
object with one entry per channel, e.g. `{"shopify": {"webhook_secret": "..."},
"mercadolibre": {"user_id": 1, "access_token": "..."}}`. Never stored in DynamoDB, never logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

SECRETS_PREFIX = "postventa"
_TTL_SECONDS = 300.0


def secret_name(tenant_id: str) -> str:
    return f"{SECRETS_PREFIX}/tenants/{tenant_id}"


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

    def get(self, tenant_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(tenant_id)
            if hit and hit[0] > now:
                return hit[1]
        value = self._load(tenant_id)
        with self._lock:
            self._cache[tenant_id] = (now + _TTL_SECONDS, value)
        return value

    def channel(self, tenant_id: str, channel: str) -> dict[str, Any] | None:
        value = (self.get(tenant_id) or {}).get(channel)
        return value if isinstance(value, dict) else None

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None:
        put_secret_string(self._client, secret_name(tenant_id), json.dumps(dict(value)))
        with self._lock:
            self._cache.pop(tenant_id, None)

    def _load(self, tenant_id: str) -> dict[str, Any] | None:
        try:
            raw = self._client.get_secret_value(SecretId=secret_name(tenant_id))["SecretString"]
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
