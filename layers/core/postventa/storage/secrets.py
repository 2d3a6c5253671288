"""Per-tenant secrets (webhook secrets, channel tokens) from Secrets Manager, cached with a TTL.

Secret name: `{SECRETS_PREFIX}/tenants/{tenant}`, a JSON object with one entry per channel, e.g.
`{"shopify": {"webhook_secret": "..."}, "mercadolibre": {"user_id": 1, "access_token": "..."}}`.
Never stored in DynamoDB, never logged.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from postventa.aws import client
from postventa.settings import get_settings

_TTL_SECONDS = 300.0
_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
_lock = threading.Lock()


def secret_name(tenant_id: str) -> str:
    return f"{get_settings().secrets_prefix}/tenants/{tenant_id}"


def tenant_secrets(tenant_id: str) -> dict[str, Any] | None:
    """The tenant's secrets, or None when the tenant has none (unknown tenant)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(tenant_id)
        if hit and hit[0] > now:
            return hit[1]
    value = _load(tenant_id)
    with _lock:
        _cache[tenant_id] = (now + _TTL_SECONDS, value)
    return value


def channel_secrets(tenant_id: str, channel: str) -> dict[str, Any] | None:
    secrets = tenant_secrets(tenant_id)
    if not secrets:
        return None
    value = secrets.get(channel)
    return value if isinstance(value, dict) else None


def put_tenant_secrets(tenant_id: str, value: dict[str, Any]) -> None:
    """Create or replace the tenant's secret (seeding and onboarding)."""
    sm = client("secretsmanager")
    name = secret_name(tenant_id)
    body = json.dumps(value)
    try:
        sm.put_secret_value(SecretId=name, SecretString=body)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=body)
    clear_cache()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _load(tenant_id: str) -> dict[str, Any] | None:
    sm = client("secretsmanager")
    try:
        raw = sm.get_secret_value(SecretId=secret_name(tenant_id))["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None
