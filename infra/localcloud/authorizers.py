"""HTTP API JWT authorizers, checked by the local gateway the way API Gateway checks them.

API Gateway's workflow for a route with a JWT authorizer (Amazon API Gateway developer guide,
"Controlling access to HTTP APIs with JWT authorizers"):

1. take the token from the authorizer's identity source (`$request.header.<Name>` or
   `$request.querystring.<name>`), alone or after `Bearer `;
2. decode it and check its signature with the issuer's key named by the token's `kid`, from the
   `jwks_uri` of `{issuer}/.well-known/openid-configuration` (RSA algorithms only);
3. `iss` must equal the issuer; `aud`, or `client_id` when there is no `aud`, must be one of the
   audiences; `exp` after now; `nbf` and `iat` before now; with route AuthorizationScopes, the
   token's `scope` (or `scp`) must hold at least one of them.

Any failure is `401 {"message":"Unauthorized"}` with a `www-authenticate` header saying why, and
the function never runs. A valid token's claims reach the function in
`requestContext.authorizer.jwt` as payload format 2.0 gives them: every value a string (arrays
as `[a b]`, API Gateway's own serialisation), and `scopes` the token's scopes when the route asks
for scopes (else null).

Issuers on AWS's own domain (`*.amazonaws.com`, a Cognito user pool) are answered by this cloud's
moto: in server mode the URL goes to moto's server, in process to moto's mock, which intercepts
`requests`. Any other issuer is fetched over the network, as API Gateway would.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from localcloud.specs import HttpRoute, JwtAuthorizerSpec

_HASHES = {"RS256": "SHA256", "RS384": "SHA384", "RS512": "SHA512"}
#: An unknown `kid` refetches the issuer's keys at most this often (keys rotate; garbage must not
#: turn every request into a fetch).
REFETCH_SECONDS = 60.0


class Unauthorized(Exception):
    """The request does not get through; `description` goes in www-authenticate."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class Authorized:
    """What the function receives in requestContext.authorizer."""

    claims: dict[str, str]
    scopes: list[str] | None

    def context(self) -> dict[str, Any]:
        return {"jwt": {"claims": self.claims, "scopes": self.scopes}}


FetchJson = Callable[[str], Any]


def aws_local_fetcher(moto_url: str | None) -> FetchJson:
    """GET a JSON document; URLs on `*.amazonaws.com` are served by this cloud's moto."""

    def fetch(url: str) -> Any:
        import requests

        parts = urlsplit(url)
        if moto_url and (parts.hostname or "").endswith(".amazonaws.com"):
            url = moto_url.rstrip("/") + parts.path
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return response.json()

    return fetch


class JwtAuthorizers:
    """Checks tokens for the routes of one gateway; keeps each issuer's keys."""

    def __init__(self, fetch: FetchJson, *, now: Callable[[], float] = time.time) -> None:
        self._fetch = fetch
        self._now = now
        self._keys: dict[str, dict[str, Any]] = {}  # issuer -> kid -> public key
        self._fetched_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def authorize(
        self, route: HttpRoute, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Authorized:
        """The route's claims for this request, or Unauthorized."""
        spec = route.authorizer
        if spec is None:
            raise ValueError("the route has no authorizer")
        token = _identity(spec, headers, query)
        header, claims, signed, signature = _decode(token)
        algorithm = header.get("alg")
        if algorithm not in _HASHES:
            raise Unauthorized(f"the token's algorithm {algorithm!r} is not supported")
        key = self._key(spec.issuer, str(header.get("kid") or ""))
        _verify(key, algorithm, signed, signature)
        _check_claims(spec, route.scopes, claims, self._now())
        scopes = _token_scopes(claims) if route.scopes else None
        return Authorized({k: _as_string(v) for k, v in claims.items()}, scopes)

    def _key(self, issuer: str, kid: str) -> Any:
        with self._lock:
            keys = self._keys.get(issuer)
            fresh = self._now() - self._fetched_at.get(issuer, -REFETCH_SECONDS) >= REFETCH_SECONDS
            if (keys is None or kid not in keys) and fresh:
                keys = self._load_keys(issuer)
                self._keys[issuer] = keys
                self._fetched_at[issuer] = self._now()
        if not keys or kid not in keys:
            raise Unauthorized("the token's kid is not one of the issuer's keys")
        return keys[kid]

    def _load_keys(self, issuer: str) -> dict[str, Any]:
        try:
            config = self._fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
            jwks = self._fetch(str(config["jwks_uri"]))
            return {str(k["kid"]): _rsa_key(k) for k in jwks.get("keys", []) if k.get("kid")}
        except Exception as exc:  # the issuer cannot be reached: no request gets through
            raise Unauthorized(
                f"the issuer's keys could not be read ({type(exc).__name__})"
            ) from exc


def _identity(spec: JwtAuthorizerSpec, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    source = spec.identity_source
    if source.startswith("$request.header."):
        wanted = source.removeprefix("$request.header.").lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), "")
    elif source.startswith("$request.querystring."):
        value = query.get(source.removeprefix("$request.querystring."), "")
    else:
        raise Unauthorized(f"identity source {source} is not supported")
    scheme, _, rest = value.strip().partition(" ")
    value = rest.strip() if scheme.lower() == "bearer" else value.strip()
    if not value:
        raise Unauthorized("the request has no token")
    return value


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("the token is not a JWT")
    try:
        header, claims = json.loads(_b64(parts[0])), json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except (ValueError, binascii.Error):
        raise Unauthorized("the token could not be decoded") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Unauthorized("the token could not be decoded")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _rsa_key(jwk: Mapping[str, Any]) -> Any:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    if jwk.get("kty") != "RSA":
        return None
    n = int.from_bytes(_b64(str(jwk["n"])), "big")
    e = int.from_bytes(_b64(str(jwk["e"])), "big")
    return RSAPublicNumbers(e, n).public_key()


def _verify(key: Any, algorithm: str, signed: bytes, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if key is None:
        raise Unauthorized("the issuer's key is not an RSA key")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), getattr(hashes, _HASHES[algorithm])())
    except InvalidSignature:
        raise Unauthorized("the token's signature is not valid") from None


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"the token's {name} is not a number")
    return float(value)


def _check_claims(
    spec: JwtAuthorizerSpec, scopes: tuple[str, ...], claims: Mapping[str, Any], now: float
) -> None:
    if claims.get("iss") != spec.issuer:
        raise Unauthorized("the token does not have a valid issuer")
    aud = claims.get("aud")
    presented = aud if isinstance(aud, list) else [aud] if aud is not None else []
    if aud is None:  # API Gateway looks at client_id only when there is no aud
        presented = [claims.get("client_id")]
    if not any(a in spec.audience for a in presented):
        raise Unauthorized("the token does not have a valid audience")
    expires = _number(claims, "exp")
    if expires is None or expires <= now:
        raise Unauthorized("the token has expired")
    for name in ("nbf", "iat"):
        moment = _number(claims, name)
        if moment is not None and moment > now:
            raise Unauthorized(f"the token's {name} is in the future")
    if scopes and not set(scopes) & set(_token_scopes(claims)):
        raise Unauthorized("the token does not have the required scope")


def _token_scopes(claims: Mapping[str, Any]) -> list[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, list):
        return [str(s) for s in raw]
    return str(raw).split()


def _as_string(value: Any) -> str:
    """A claim as payload format 2.0 carries it (strings only; arrays as "[a b]")."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_as_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def www_authenticate(route: HttpRoute, description: str) -> str:
    scope = " ".join(route.scopes)
    return f'Bearer scope="{scope}" error="invalid_token" error_description="{description}"'
