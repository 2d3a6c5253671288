"""Mercado Libre's API as Postventa uses it (developers.mercadolibre.com.mx):

- OAuth 2.0 authorization code ("Autenticación y autorización"): the seller is sent to
  `{auth}/authorization?response_type=code&client_id&redirect_uri&state`, comes back to our
  redirect route with `code` and our `state`; POST /oauth/token (form body, never the query:
  "Authorization and Token Best Practices") exchanges it for an access token (6 hours,
  `expires_in` 21600) and a refresh token that works once.
- GET /orders/{id}; GET /packs/{pack_id} (a cart: its orders); GET
  /orders/billing-info/{site}/{billing_info_id} (the buyer's fiscal data when the order has it).
- Post-sale messages: GET /messages/action_guide/packs/{pack}?tag=post_sale (the reasons the
  seller may write for, with `cap_available` and `char_limit`), POST
  /messages/action_guide/packs/{pack}/option?tag=post_sale {"option_id", "text"}.
- POST /packs/{pack}/fiscal_documents (multipart `fiscal_document`: a PDF of at most 1 MB, with
  its XML) — Mercado Libre then notifies the buyer itself.
- GET /shipments/{id} (status, tracking number, logistic mode).

Rate limits: an application may make 18,000 requests an hour ("max_requests_per_hour" in
GET /applications/{id}), 5 a second across every seller; we keep to that with one app-wide
bucket, and send messages no faster than 1 a second per seller.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from postventa.channels.http import (
    ChannelApiError,
    ChannelAuthError,
    ChannelHttp,
    FilePart,
    HttpRequest,
    RateLimit,
    form_request,
    json_request,
    multipart_request,
)
from postventa.domain.channels import OAuthTokens
from postventa.domain.clock import epoch
from postventa.domain.ports import Clock

LIMITS = {
    "api": RateLimit(rate=5.0, burst=10, per_account=False),
    "messages": RateLimit(rate=1.0, burst=2),
}
# Mercado Libre's documented limit for a fiscal document (PDF).
FISCAL_DOCUMENT_MAX_BYTES = 1024 * 1024
MESSAGE_TAG = "post_sale"


@dataclass(frozen=True)
class MercadoLibreApp:
    """Our application in Mercado Libre's DevCenter (operator-level, Secrets Manager)."""

    client_id: str
    client_secret: str


class MercadoLibreOAuth:
    """The authorization-code flow of our application."""

    def __init__(
        self, http: ChannelHttp, app: MercadoLibreApp, *, api_url: str, auth_url: str, clock: Clock
    ) -> None:
        self._http = http
        self._app = app
        self._api = api_url.rstrip("/")
        self._auth = auth_url.rstrip("/")
        self._clock = clock

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self._app.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self._auth}/authorization?{query}"

    def _token(self, fields: dict[str, str]) -> tuple[OAuthTokens, str]:
        try:
            response = self._http.send(
                form_request(
                    f"{self._api}/oauth/token",
                    {
                        "client_id": self._app.client_id,
                        "client_secret": self._app.client_secret,
                        **fields,
                    },
                ),
                group="api",
                idempotent=False,
            )
        except ChannelApiError as exc:
            if exc.status == 400 and exc.code in ("invalid_grant", "invalid_client"):
                raise ChannelAuthError(
                    f"Mercado Libre rechazó el token ({exc.code})", status=400, body=exc.body
                ) from None
            raise
        body = response.json() or {}
        try:
            tokens = OAuthTokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=epoch(self._clock.now()) + int(body.get("expires_in") or 21600),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ChannelApiError("Mercado Libre respondió un token incompleto") from exc
        return tokens, str(body.get("user_id") or "")

    def exchange(self, code: str, redirect_uri: str) -> tuple[OAuthTokens, str]:
        """The authorization code for tokens and the seller's user id."""
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh(self, refresh_token: str) -> OAuthTokens:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})[0]


class MercadoLibreApi:
    """One seller's account: every call with their token, renewed on a 401 (once)."""

    def __init__(
        self,
        http: ChannelHttp,
        *,
        api_url: str,
        account_id: str,
        access_token: Callable[[], str],
        after_unauthorized: Callable[[str], str],
    ) -> None:
        self._http = http
        self._api = api_url.rstrip("/")
        self.account_id = account_id
        self._access_token = access_token
        self._after_unauthorized = after_unauthorized

    def _send(self, build: Callable[[str], HttpRequest], group: str, idempotent: bool) -> Any:
        token = self._access_token()
        try:
            response = self._http.send(
                build(token), group=group, account=self.account_id, idempotent=idempotent
            )
        except ChannelAuthError as exc:
            if exc.status != 401:
                raise
            token = self._after_unauthorized(token)
            response = self._http.send(
                build(token), group=group, account=self.account_id, idempotent=idempotent
            )
        return response.json()

    def _get(self, path: str, group: str = "api") -> Any:
        url = self._api + path
        return self._send(
            lambda token: HttpRequest(
                "GET",
                url,
                {"Authorization": f"Bearer {token}", "Accept": "application/json"},
            ),
            group,
            True,
        )

    # ---------------------------------------------------------------- reading
    def me(self) -> dict[str, Any]:
        return dict(self._get("/users/me") or {})

    def order(self, order_id: str) -> dict[str, Any]:
        return dict(self._get(f"/orders/{_segment(order_id)}") or {})

    def pack(self, pack_id: str) -> dict[str, Any]:
        return dict(self._get(f"/packs/{_segment(pack_id)}") or {})

    def billing_info(self, site_id: str, billing_info_id: str) -> dict[str, Any]:
        return dict(
            self._get(f"/orders/billing-info/{_segment(site_id)}/{_segment(billing_info_id)}") or {}
        )

    def shipment(self, shipment_id: str) -> dict[str, Any]:
        return dict(self._get(f"/shipments/{_segment(shipment_id)}") or {})

    def resource(self, path: str) -> dict[str, Any]:
        """A notification's resource (`/orders/123`, `/shipments/456`)."""
        return dict(self._get(path) or {})

    # ---------------------------------------------------------------- messages
    def action_guide(self, pack_id: str) -> dict[str, Any]:
        return dict(
            self._get(
                f"/messages/action_guide/packs/{_segment(pack_id)}?tag={MESSAGE_TAG}", "messages"
            )
            or {}
        )

    def send_option(self, pack_id: str, option_id: str, text: str) -> dict[str, Any]:
        url = (
            f"{self._api}/messages/action_guide/packs/{_segment(pack_id)}/option?tag={MESSAGE_TAG}"
        )
        return dict(
            self._send(
                lambda token: json_request(
                    "POST",
                    url,
                    {"option_id": option_id, "text": text},
                    {"Authorization": f"Bearer {token}"},
                ),
                "messages",
                False,
            )
            or {}
        )

    # ---------------------------------------------------------------- fiscal documents
    def upload_fiscal_documents(self, pack_id: str, files: list[FilePart]) -> dict[str, Any]:
        url = f"{self._api}/packs/{_segment(pack_id)}/fiscal_documents"
        return dict(
            self._send(
                lambda token: multipart_request(
                    url, files, headers={"Authorization": f"Bearer {token}"}
                ),
                "api",
                False,
            )
            or {}
        )


def _segment(value: str) -> str:
    """An id as one path segment (ids come from notifications: never trust them as paths)."""
    return urllib.parse.quote(str(value), safe="")
