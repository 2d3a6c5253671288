"""A fake Mirakl seller API (Liverpool's marketplace in Mirakl's shape), as its docs say:

- the shop API key in `Authorization` (401 otherwise); A01 GET /api/account;
- OR11 GET /api/orders: offset pagination (`max` at most 100, else 400; `offset`;
  `total_count`), sorted by creation date then id, `start_update_date` filters by last update
  (minus a margin, as Mirakl does "to ensure no orders are missed"), `order_tax_mode`
  TAX_INCLUDED gives amounts with tax; `rate` calls a second per shop (429 with Retry-After);
- OR74 POST /api/orders/{id}/documents: multipart `files` + `order_documents` naming each file
  (US-ASCII names, distinct, at most 50 documents per order; only errors are listed back);
- OR43 POST /api/orders/{id}/threads: multipart `thread_input` {body, to, topic}.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fakemarkets.common import Buckets, Clock, Request, Response, json_response, multipart

MARGIN = timedelta(seconds=30)
MAX_DOCUMENTS = 50
PAID_STATES = ("SHIPPING", "SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _err(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"status": status, "message": message}, headers)


class FakeMirakl:
    prefix = "/liverpool"

    def __init__(self, clock: Clock, buckets: Buckets) -> None:
        self.clock = clock
        self.buckets = buckets
        self.shops: dict[str, dict[str, Any]] = {}  # api key -> shop
        self.orders: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, list[dict[str, Any]]] = {}
        self.threads: list[dict[str, Any]] = []
        self.rate = (20.0, 20)
        self.calls = 0
        self.list_calls = 0  # OR11 calls (Mirakl: at most once a minute per polling run)
        self.fail_next: list[int] = []
        self._lock = threading.RLock()
        self._sequence = 0

    def add_shop(self, api_key: str, shop_id: int, name: str) -> None:
        self.shops[api_key] = {"shop_id": shop_id, "shop_name": name, "currency_iso_code": "MXN"}

    def create_order(
        self,
        shop_id: int,
        lines: list[dict[str, Any]],
        *,
        state: str = "SHIPPING",
        shipping: float = 0.0,
        customer: dict[str, Any] | None = None,
        created: float | None = None,
    ) -> str:
        """An order; each line {sku, title, quantity, price_unit (IVA included), discount?}."""
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        now = created if created is not None else self.clock.now()
        order_id = f"LP{sequence:08d}-A"
        order_lines = []
        total = 0.0
        for index, line in enumerate(lines):
            price = round(
                line["price_unit"] * line["quantity"] - float(line.get("discount") or 0), 2
            )
            ship = shipping if index == 0 else 0.0
            total += price + ship
            order_lines.append(
                {
                    "order_line_id": f"{order_id}-{index + 1}",
                    "offer_sku": line["sku"],
                    "product_title": line["title"],
                    "quantity": line["quantity"],
                    "price_unit": line["price_unit"],
                    "price": price,
                    "shipping_price": ship,
                    "total_price": round(price + ship, 2),
                    "order_line_state": state,
                }
            )
        paid = state in PAID_STATES
        self.orders[order_id] = {
            "order_id": order_id,
            "commercial_id": f"LP{sequence:08d}",
            "shop_id": shop_id,
            "created_date": _iso(now),
            "last_updated_date": _iso(now),
            "order_state": state,
            "customer_debited_date": _iso(now) if paid else None,
            "currency_iso_code": "MXN",
            "customer": customer
            or {"customer_id": "C1", "firstname": "Sofía", "lastname": "Ramírez"},
            "order_lines": order_lines,
            "price": round(total - shipping, 2),
            "shipping_price": shipping,
            "total_price": round(total, 2),
            "payment_type": "CREDIT_CARD",
        }
        return order_id

    def update(self, order_id: str, **changes: Any) -> None:
        order = self.orders[order_id]
        order.update(changes)
        if order.get("order_state") in PAID_STATES and not order.get("customer_debited_date"):
            order["customer_debited_date"] = _iso(self.clock.now())
        order["last_updated_date"] = _iso(self.clock.now())

    # ---------------------------------------------------------------- HTTP
    def handle(self, request: Request) -> Response:
        self.calls += 1
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _err(status, "simulated", {"retry-after": "1"} if status == 429 else None)
        shop = self.shops.get(request.header("authorization"))
        if shop is None:
            return _err(401, "Unauthorized")
        if not self.buckets.take(f"mirakl:{shop['shop_id']}", *self.rate):
            return _err(429, "Too many requests", {"retry-after": "1"})
        if request.path == "/api/account" and request.method == "GET":
            return json_response(200, shop)
        if request.path == "/api/orders" and request.method == "GET":
            return self._list(shop, request)
        match = re.fullmatch(r"/api/orders/([\w-]+)/documents", request.path)
        if match and request.method == "POST":
            return self._documents(shop, match.group(1), request)
        match = re.fullmatch(r"/api/orders/([\w-]+)/threads", request.path)
        if match and request.method == "POST":
            return self._thread(shop, match.group(1), request)
        return _err(404, "Not found")

    def _list(self, shop: dict[str, Any], request: Request) -> Response:
        self.list_calls += 1
        q = request.query
        try:
            offset = int(q.get("offset") or 0)
            size = int(q.get("max") or 10)
        except ValueError:
            return _err(400, "offset and max must be numbers")
        if size < 1 or size > 100 or offset < 0:
            return _err(400, "max must be between 1 and 100")
        orders = [o for o in self.orders.values() if o["shop_id"] == shop["shop_id"]]
        if q.get("start_update_date"):
            since = _parse(q["start_update_date"]) - MARGIN
            orders = [o for o in orders if _parse(o["last_updated_date"]) >= since]
        if q.get("order_state_codes"):
            states = set(q["order_state_codes"].split(","))
            orders = [o for o in orders if o["order_state"] in states]
        orders.sort(key=lambda o: (o["created_date"], o["order_id"]))
        page = orders[offset : offset + size]
        return json_response(200, {"orders": page, "total_count": len(orders)})

    def _own(self, shop: dict[str, Any], order_id: str) -> dict[str, Any] | None:
        order = self.orders.get(order_id)
        return order if order and order["shop_id"] == shop["shop_id"] else None

    def _documents(self, shop: dict[str, Any], order_id: str, request: Request) -> Response:
        if self._own(shop, order_id) is None:
            return _err(404, "Order not found")
        parts = multipart(request) or []
        files = [p for p in parts if p.name == "files" and p.filename]
        described = next((p for p in parts if p.name == "order_documents"), None)
        if not files or described is None:
            return _err(400, "files and order_documents are required")
        try:
            listing = json.loads(described.data)["order_documents"]
        except (ValueError, KeyError, TypeError):
            return _err(400, "order_documents is not valid")
        names = [str(d.get("file_name")) for d in listing]
        errors = []
        existing = self.documents.setdefault(order_id, [])
        if sorted(names) != sorted(p.filename or "" for p in files) or len(set(names)) != len(
            names
        ):
            return _err(400, "each file must be described once in order_documents")
        for part, doc in zip(files, listing, strict=False):
            name = part.filename or ""
            if not name.isascii():
                errors.append(
                    {
                        "file_name": name,
                        "errors": [{"code": "INVALID_FILE_NAME", "message": "US-ASCII only"}],
                    }
                )
            elif len(existing) >= MAX_DOCUMENTS:
                errors.append(
                    {
                        "file_name": name,
                        "errors": [{"code": "TOO_MANY_DOCUMENTS", "message": "50 at most"}],
                    }
                )
            elif any(d["file_name"] == name for d in existing):
                errors.append(
                    {
                        "file_name": name,
                        "errors": [
                            {"code": "DUPLICATE_FILE_NAME", "message": "file name already used"}
                        ],
                    }
                )
            else:
                existing.append(
                    {"file_name": name, "type_code": doc.get("type_code"), "size": len(part.data)}
                )
        return json_response(200, {"errors_count": len(errors), "order_documents": errors})

    def _thread(self, shop: dict[str, Any], order_id: str, request: Request) -> Response:
        if self._own(shop, order_id) is None:
            return _err(404, "Order not found")
        part = next((p for p in multipart(request) or [] if p.name == "thread_input"), None)
        if part is None:
            return _err(400, "thread_input is required")
        thread = json.loads(part.data)
        if (
            not thread.get("body")
            or not thread.get("to")
            or not (thread.get("topic") or {}).get("value")
        ):
            return _err(400, "body, to and topic are required")
        record = {
            "order_id": order_id,
            "thread_id": str(uuid.uuid4()),
            "message_id": str(uuid.uuid4()),
            **thread,
        }
        self.threads.append(record)
        return json_response(
            201, {"thread_id": record["thread_id"], "message_id": record["message_id"]}
        )

    def control(self, request: Request) -> Response:
        body = request.json() or {}
        if request.path == "/orders" and request.method == "POST":
            order_id = self.create_order(
                int(body["shop_id"]), body["lines"], shipping=float(body.get("shipping") or 0)
            )
            return json_response(201, {"order_id": order_id})
        if request.path == "/documents":
            return json_response(200, self.documents)
        return _err(404, "no such control route")
