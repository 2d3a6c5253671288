"""Amazon's Selling Partner API as Postventa uses it (developer-docs.amazon.com/sp-api):

- Login with Amazon: POST {lwa}/auth/o2/token (grant_type=refresh_token) gives an access token
  for an hour; the seller's refresh token comes from authorizing our app in Seller Central.
  SP-API calls carry it in `x-amz-access-token` (no AWS signature since 2023).
- Orders v0: GET /orders/v0/orders/{id} and /orders/v0/orders/{id}/orderItems (NextToken pages).
  The buyer's data (BuyerInfo: the anonymised BuyerEmail, BuyerName) is restricted: it comes
  only with a Restricted Data Token (Tokens API 2021-03-01, POST
  /tokens/2021-03-01/restrictedDataToken naming the path and `dataElements: ["buyerInfo"]`).
- Messaging v1: GET /messaging/v1/orders/{id}?marketplaceIds= lists the actions the order allows
  (`_links.actions[].name`); POST /messaging/v1/orders/{id}/messages/invoice sends the invoice
  (attachments by `uploadDestinationId`, made with the Uploads API 2020-11-01:
  POST /uploads/2020-11-01/uploadDestinations/{resource}?contentMD5&contentType, then PUT the
  file to the presigned URL it answers).

Usage plans (rate per second, burst) as the API reference lists them: getOrder and
getOrderItems 0.5/30, createRestrictedDataToken 1/10, every Messaging operation 1/5,
createUploadDestinationForResource 10/10, getMarketplaceParticipations 0.016/15. Buckets are per
selling partner.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from collections.abc import Callable
from typing import Any

from postventa.channels.http import (
    ChannelApiError,
    ChannelAuthError,
    ChannelHttp,
    HttpRequest,
    RateLimit,
    form_request,
    json_request,
)
from postventa.domain.channels import OAuthTokens
from postventa.domain.clock import epoch
from postventa.domain.ports import Clock

LIMITS = {
    "orders": RateLimit(rate=0.5, burst=30),
    "tokens": RateLimit(rate=1.0, burst=10),
    "messaging": RateLimit(rate=1.0, burst=5),
    "uploads": RateLimit(rate=10.0, burst=10),
    "sellers": RateLimit(rate=0.016, burst=15),
}
MEXICO_MARKETPLACE = "A1AM78C64UM0Y8"
INVOICE_ACTION = "sendInvoice"


class LwaClient:
    def __init__(
        self, http: ChannelHttp, *, lwa_url: str, client_id: str, client_secret: str, clock: Clock
    ) -> None:
        self._http = http
        self._url = lwa_url.rstrip("/") + "/auth/o2/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock

    def refresh(self, refresh_token: str) -> OAuthTokens:
        try:
            response = self._http.send(
                form_request(
                    self._url,
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": refresh_token,
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                    },
                ),
                idempotent=True,  # asking twice for an access token changes nothing
            )
        except ChannelApiError as exc:
            if exc.status == 400 and exc.code in ("invalid_grant", "invalid_client"):
                raise ChannelAuthError(
                    f"Amazon rechazó el token ({exc.code})", status=400
                ) from None
            raise
        body = response.json() or {}
        try:
            return OAuthTokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body.get("refresh_token") or refresh_token),
                expires_at=epoch(self._clock.now()) + int(body.get("expires_in") or 3600),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ChannelApiError("Amazon respondió un token incompleto") from exc


class AmazonApi:
    def __init__(
        self,
        http: ChannelHttp,
        *,
        api_url: str,
        seller_id: str,
        marketplace_id: str,
        access_token: Callable[[], str],
        after_unauthorized: Callable[[str], str],
    ) -> None:
        self._http = http
        self._api = api_url.rstrip("/")
        self.account_id = seller_id
        self.marketplace_id = marketplace_id or MEXICO_MARKETPLACE
        self._access_token = access_token
        self._after_unauthorized = after_unauthorized

    def _send(
        self, build: Callable[[str], HttpRequest], group: str, idempotent: bool, token: str | None
    ) -> Any:
        use = token or self._access_token()
        try:
            response = self._http.send(
                build(use), group=group, account=self.account_id, idempotent=idempotent
            )
        except ChannelAuthError:
            if token is not None:  # a restricted data token: not ours to renew
                raise
            use = self._after_unauthorized(use)
            response = self._http.send(
                build(use), group=group, account=self.account_id, idempotent=idempotent
            )
        return response.json()

    def _get(self, path: str, group: str, token: str | None = None) -> Any:
        url = self._api + path
        return self._send(
            lambda t: HttpRequest(
                "GET", url, {"x-amz-access-token": t, "Accept": "application/json"}
            ),
            group,
            True,
            token,
        )

    def marketplace_participations(self) -> list[dict[str, Any]]:
        """Sellers API getMarketplaceParticipations: the cheapest call that proves the token."""
        body = self._get("/sellers/v1/marketplaceParticipations", "sellers") or {}
        return list(body.get("payload") or [])

    # ---------------------------------------------------------------- orders
    def order(self, order_id: str) -> dict[str, Any]:
        return dict(
            (self._get(f"/orders/v0/orders/{_seg(order_id)}", "orders") or {}).get("payload") or {}
        )

    def order_with_buyer(self, order_id: str) -> dict[str, Any]:
        """getOrder with a restricted data token for the buyer's info."""
        path = f"/orders/v0/orders/{_seg(order_id)}"
        url = self._api + "/tokens/2021-03-01/restrictedDataToken"
        answer = self._send(
            lambda t: json_request(
                "POST",
                url,
                {
                    "restrictedResources": [
                        {"method": "GET", "path": path, "dataElements": ["buyerInfo"]}
                    ]
                },
                {"x-amz-access-token": t},
            ),
            "tokens",
            True,  # a token request has no effect to repeat
            None,
        )
        rdt = str((answer or {}).get("restrictedDataToken") or "")
        if not rdt:
            raise ChannelApiError("Amazon no entregó el token de datos restringidos")
        return dict((self._get(path, "orders", token=rdt) or {}).get("payload") or {})

    def order_items(self, order_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        path = f"/orders/v0/orders/{_seg(order_id)}/orderItems"
        next_token: str | None = None
        for _ in range(100):  # 100 pages is far more than any order has
            query = f"?NextToken={urllib.parse.quote(next_token, safe='')}" if next_token else ""
            payload = (self._get(path + query, "orders") or {}).get("payload") or {}
            items.extend(payload.get("OrderItems") or [])
            next_token = payload.get("NextToken")
            if not next_token:
                break
        return items

    # ---------------------------------------------------------------- messaging
    def messaging_actions(self, order_id: str) -> list[str]:
        query = urllib.parse.urlencode({"marketplaceIds": self.marketplace_id})
        body = self._get(f"/messaging/v1/orders/{_seg(order_id)}?{query}", "messaging") or {}
        actions = (body.get("_links") or {}).get("actions") or []
        return [str(a.get("name")) for a in actions if isinstance(a, dict) and a.get("name")]

    def upload(self, resource: str, data: bytes, content_type: str) -> str:
        """Upload a file for `resource`; returns its uploadDestinationId."""
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode("ascii")  # noqa: S324 - Content-MD5
        query = urllib.parse.urlencode(
            {"marketplaceIds": self.marketplace_id, "contentMD5": md5, "contentType": content_type}
        )
        url = f"{self._api}/uploads/2020-11-01/uploadDestinations/{resource}?{query}"
        answer = self._send(
            lambda t: HttpRequest(
                "POST", url, {"x-amz-access-token": t, "Accept": "application/json"}
            ),
            "uploads",
            True,  # a new destination each time; nothing to undo
            None,
        )
        payload = (answer or {}).get("payload") or {}
        destination, target = payload.get("uploadDestinationId"), payload.get("url")
        if not destination or not target:
            raise ChannelApiError("Amazon no entregó el destino de carga")
        headers = {
            "Content-Type": content_type,
            "Content-MD5": md5,
            **{str(k): str(v) for k, v in (payload.get("headers") or {}).items()},
        }
        self._http.send(HttpRequest("PUT", str(target), headers, data), group="uploads")
        return str(destination)

    def send_invoice(self, order_id: str, upload_destination_id: str, filename: str) -> None:
        query = urllib.parse.urlencode({"marketplaceIds": self.marketplace_id})
        url = f"{self._api}/messaging/v1/orders/{_seg(order_id)}/messages/invoice?{query}"
        self._send(
            lambda t: json_request(
                "POST",
                url,
                {
                    "attachments": [
                        {"uploadDestinationId": upload_destination_id, "fileName": filename}
                    ]
                },
                {"x-amz-access-token": t},
            ),
            "messaging",
            False,
            None,
        )


def invoice_resource(order_id: str) -> str:
    """The Uploads API resource of an order's invoice message."""
    return f"messaging/v1/orders/{_seg(order_id)}/messages/invoice"


def _seg(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")
