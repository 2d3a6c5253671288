"""Operator-level channel secrets: our applications' credentials on each marketplace and the key
that signs OAuth states. Set once per deployment (README), never per tenant:

- `postventa/channels/mercadolibre-app` = {"client_id", "client_secret"} (DevCenter app);
- `postventa/channels/amazon-app` = {"client_id", "client_secret"} (LWA app of our SP-API app);
- `postventa/channels/oauth-state` = {"key": base64} — generated on first use.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from postventa.settings import ConfigurationError
from postventa.storage.secrets import SECRETS_PREFIX

STATE_KEY_SECRET = f"{SECRETS_PREFIX}/channels/oauth-state"


def app_secret_name(name: str) -> str:
    return f"{SECRETS_PREFIX}/channels/{name}-app"


class SecretsManagerChannelApps:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def app(self, name: str) -> Mapping[str, Any]:
        with self._lock:
            if name in self._cache:
                return dict(self._cache[name])
        secret = app_secret_name(name)
        try:
            raw = self._client.get_secret_value(SecretId=secret)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            raise ConfigurationError(
                f"secret {secret} with the {name} application's client_id and client_secret "
                "is missing"
            ) from None
        value = json.loads(raw)
        with self._lock:
            self._cache[name] = value
        return dict(value)

    def state_key(self) -> bytes:
        with self._lock:
            if "state" in self._cache:
                return bytes(self._cache["state"])
        try:
            raw = self._client.get_secret_value(SecretId=STATE_KEY_SECRET)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            raw = json.dumps({"key": base64.b64encode(secrets.token_bytes(32)).decode("ascii")})
            try:
                self._client.create_secret(Name=STATE_KEY_SECRET, SecretString=raw)
            except self._client.exceptions.ResourceExistsException:  # another function won
                raw = self._client.get_secret_value(SecretId=STATE_KEY_SECRET)["SecretString"]
        key = base64.b64decode(json.loads(raw)["key"])
        with self._lock:
            self._cache["state"] = key
        return key
