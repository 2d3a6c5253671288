"""The OAuth `state` we send a seller to Mercado Libre with: signed, expiring, single use.

`state` = base64url(JSON {tenant, channel, nonce, exp}) + "." + base64url(HMAC-SHA256(key,
payload)). The callback verifies the signature (constant time) and the expiry before anything
else, then spends the nonce (a conditional write), so a state cannot be forged, reused, or
carried to another tenant. Mercado Libre's "Authorization and Token Best Practices" asks for a
secure random state checked on return; the signature also lets the callback, which carries no
API key, know the tenant without a session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as random_secrets

from pydantic import BaseModel, ValidationError

STATE_SECONDS = 600


class InvalidStateError(ValueError):
    """The state is forged or garbled."""


class StateExpiredError(InvalidStateError):
    """The state is ours but older than STATE_SECONDS."""


class OAuthState(BaseModel):
    tenant: str
    channel: str
    nonce: str
    exp: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_state(key: bytes, tenant: str, channel: str, now: int) -> str:
    state = OAuthState(
        tenant=tenant,
        channel=channel,
        nonce=random_secrets.token_urlsafe(16),
        exp=now + STATE_SECONDS,
    )
    payload = _b64(state.model_dump_json().encode("utf-8"))
    mac = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_state(key: bytes, text: str, now: int) -> OAuthState:
    payload, dot, mac = (text or "").partition(".")
    if not dot or len(text) > 1000:
        raise InvalidStateError("malformed state")
    expected = _b64(hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode("ascii"), mac.encode("ascii", "replace")):
        raise InvalidStateError("bad signature")
    try:
        state = OAuthState.model_validate(json.loads(_unb64(payload)))
    except (ValueError, binascii.Error, ValidationError):
        raise InvalidStateError("unreadable state") from None
    if state.exp < now:
        raise StateExpiredError("expired state")
    return state
