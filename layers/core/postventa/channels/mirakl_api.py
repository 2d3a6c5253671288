"""Liverpool's marketplace seller API, in Mirakl's shape (developer.mirakl.com, "Mirakl
Marketplace Platform" seller APIs). Unconfirmed that Liverpool's API is exactly Mirakl's: this
client is thin on purpose and uses only what the adapter needs:

- A01 GET /api/account (the shop behind the API key: "test connection");
- OR11 GET /api/orders (offset pagination: `offset`, `max` up to 100, `total_count`; sorted by
  creation date ascending by default; `start_update_date` filters by last update, Mirakl
  subtracting its own margin "to ensure no orders are missed"; `order_tax_mode=TAX_INCLUDED`
  gives amounts with tax). Recommended every 5 minutes, at most once a minute;
- OR74 POST /api/orders/{order_id}/documents (multipart: `files` plus `order_documents` naming
  each file and its `type_code`);
- OR43 POST /api/orders/{order_id}/threads (multipart: `thread_input` with `body`, `to`
  [CUSTOMER] and a FREE_TEXT `topic`).

The shop API key goes in the `Authorization` header as it is.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from postventa.channels.http import (
    ChannelAuthError,
    ChannelHttp,
    FilePart,
    HttpRequest,
    RateLimit,
    multipart_request,
)
from postventa.channels.tokens import ConnectionBrokenError

LIMITS = {"api": RateLimit(rate=1.0, burst=5)}
PAGE_SIZE = 100
INVOICE_TYPE = "CUSTOMER_INVOICE"


class MiraklApi:
    def __init__(
        self,
        http: ChannelHttp,
        *,
        api_url: str,
        api_key: str,
        shop_id: str,
        on_unauthorized: Callable[[str], None],
    ) -> None:
        self._http = http
        self._api = api_url.rstrip("/")
        self._key = api_key
        self.account_id = shop_id
        self._on_unauthorized = on_unauthorized

    def _send(self, request: HttpRequest, idempotent: bool) -> Any:
        try:
            response = self._http.send(
                request, group="api", account=self.account_id, idempotent=idempotent
            )
        except ChannelAuthError as exc:
            reason = (
                "Liverpool rechazó la API key de la tienda: genera una nueva y conéctala otra vez."
            )
            if exc.status == 401:
                self._on_unauthorized(reason)
            raise ConnectionBrokenError(reason, status=exc.status) from exc
        return response.json()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self._key, "Accept": "application/json"}

    def account(self) -> dict[str, Any]:
        return dict(
            self._send(HttpRequest("GET", f"{self._api}/api/account", self._headers()), True) or {}
        )

    def orders(
        self, *, updated_since: str | None, offset: int, max_results: int = PAGE_SIZE
    ) -> dict[str, Any]:
        query: dict[str, str] = {
            "paginate": "true",
            "offset": str(offset),
            "max": str(max_results),
            "order_tax_mode": "TAX_INCLUDED",
        }
        if updated_since:
            query["start_update_date"] = updated_since
        url = f"{self._api}/api/orders?{urllib.parse.urlencode(query)}"
        return dict(self._send(HttpRequest("GET", url, self._headers()), True) or {})

    def upload_documents(self, order_id: str, files: list[FilePart]) -> dict[str, Any]:
        described = {
            "order_documents": [{"file_name": f.filename, "type_code": INVOICE_TYPE} for f in files]
        }
        request = multipart_request(
            f"{self._api}/api/orders/{_seg(order_id)}/documents",
            [FilePart("files", f.filename, f.content_type, f.data) for f in files],
            {"order_documents": json.dumps(described)},
            headers=self._headers(),
        )
        return dict(self._send(request, False) or {})

    def create_thread(self, order_id: str, body: str, topic: str) -> dict[str, Any]:
        thread = {"body": body, "to": ["CUSTOMER"], "topic": {"type": "FREE_TEXT", "value": topic}}
        request = multipart_request(
            f"{self._api}/api/orders/{_seg(order_id)}/threads",
            [],
            {"thread_input": json.dumps(thread, ensure_ascii=False)},
            headers=self._headers(),
        )
        return dict(self._send(request, False) or {})


def _seg(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")
