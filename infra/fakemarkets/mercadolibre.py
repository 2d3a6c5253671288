"""A fake Mercado Libre, as strict as its documentation (developers.mercadolibre.com.mx):

- OAuth authorization code: the authorization page redirects to the app's registered
  redirect_uri only (exact match), with `code` (single use, 10 minutes) and the caller's
  `state`; /oauth/token takes form fields only, checks the client secret and the redirect_uri,
  answers an access token for `token_seconds` (21,600) and a refresh token that works once: a
  refresh invalidates the previous access and refresh tokens. A revoked grant answers
  invalid_grant.
- Every other call needs `Authorization: Bearer` with a live token (401 otherwise) and may only
  read the caller's own sales (403). An application gets `rate` requests a second (429 above).
- Orders, packs (a cart's orders, `filling` until every order is created and paid, then
  `released`), billing info, shipments as the docs show them.
- Post-sale messages: the action guide lists the reasons with `cap_available` (1 each) and
  `char_limit` (350, counted in UTF-16 units); a message over the limit is a 400, one past the cap
  a 403; links through URL shorteners are moderated (the message is kept, `moderation: rejected`,
  the buyer never sees it).
- Fiscal documents: multipart `fiscal_document`, PDF (at most 1 MB) and XML; one set per pack.
- Notifications: POST to the application's callback URL (resource, user_id, topic,
  application_id, attempts, sent, received, _id).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fakemarkets.common import Buckets, Clock, Request, Response, json_response, multipart, token

PDF_LIMIT = 1024 * 1024
FREE_TEXT = ("SEND_INVOICE_LINK", "OTHER")
TEMPLATES = ("REQUEST_VARIANTS", "REQUEST_BILLING_INFO")
SHORTENERS = re.compile(
    r"(?i)\b(bit\.ly|bitly\.com|bl\.ink|rebrand\.ly|t2m\.io|tinyurl\.com|zpr\.io)/"
)

Notifier = Callable[[str, dict[str, Any]], int]
"""(url, payload) -> the HTTP status the callback answered."""


def _err(status: int, error: str, message: str) -> Response:
    return json_response(
        status, {"message": message, "error": error, "status": status, "cause": []}
    )


def _iso(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, UTC)
        .astimezone(datetime.now().astimezone().tzinfo)
        .isoformat(timespec="milliseconds")
    )


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uri: str
    notifications_url: str
    application_id: int


@dataclass
class Seller:
    user_id: int
    nickname: str
    site_id: str = "MLM"
    revoked: bool = False


@dataclass
class Sent:
    pack_id: str
    option_id: str
    text: str
    moderation: str
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class FakeMercadoLibre:
    prefix = "/mercadolibre"

    def __init__(self, clock: Clock, buckets: Buckets, notify: Notifier | None = None) -> None:
        self.clock = clock
        self.buckets = buckets
        self.notify_hook = notify
        self.token_seconds = 21600
        self.rate = (5.0, 10)  # requests a second per application, burst
        self.apps: dict[str, App] = {}
        self.sellers: dict[int, Seller] = {}
        self.authorizing_user: int | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.packs: dict[int, dict[str, Any]] = {}
        self.billing_infos: dict[str, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.caps: dict[tuple[str, str], int] = {}
        self.messages: list[Sent] = []
        self.fiscal_documents: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.fail_next: list[int] = []  # statuses to answer next, whatever the call
        self._ids = 2000010000000000
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- set up (tests, demo)
    def add_app(
        self, client_id: str, client_secret: str, redirect_uri: str, notifications_url: str = ""
    ) -> App:
        app = App(
            client_id,
            client_secret,
            redirect_uri,
            notifications_url,
            int(client_id) if client_id.isdigit() else 5503910054141466,
        )
        self.apps[client_id] = app
        return app

    def add_seller(self, user_id: int, nickname: str) -> Seller:
        seller = Seller(user_id, nickname)
        self.sellers[user_id] = seller
        if self.authorizing_user is None:
            self.authorizing_user = user_id
        return seller

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def create_sale(
        self,
        seller_id: int,
        carts: list[list[dict[str, Any]]],
        *,
        buyer: dict[str, Any] | None = None,
        shipping_cost: float = 0.0,
        payment_type: str = "credit_card",
        billing_info: dict[str, Any] | None = None,
        channel: str = "marketplace",
        paid: bool = True,
        custom_shipping: bool = False,
        notify: bool = True,
    ) -> dict[str, Any]:
        """One purchase: `carts` is a list of orders, each a list of items ({title, quantity,
        unit_price, full_unit_price?, seller_sku?}); two or more orders make a pack (cart).
        Returns {"pack_id", "orders": [...ids], "shipment_id"}."""
        seller = self.sellers[seller_id]
        buyer = buyer or {
            "id": 3451278614,
            "nickname": "COMPRADOR01",
            "first_name": "Ana",
            "last_name": "Pérez",
        }
        now = self.clock.now()
        pack_id = self._next_id() if len(carts) > 1 else None
        shipment_id = self._next_id()
        info_id = None
        if billing_info is not None:
            info_id = str(self._next_id())
            self.billing_infos[info_id] = {
                "site_id": seller.site_id,
                "buyer": {"cust_id": buyer["id"], "billing_info": billing_info},
                "seller": {"cust_id": seller.user_id},
            }
        ids = []
        for index, items in enumerate(carts):
            order_id = self._next_id()
            total = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
            ship = shipping_cost if index == 0 else 0.0
            payment = {
                "id": self._next_id(),
                "order_id": order_id,
                "payer_id": buyer["id"],
                "collector": {"id": seller.user_id},
                "site_id": seller.site_id,
                "payment_method_id": "master" if payment_type == "credit_card" else payment_type,
                "payment_type": payment_type,
                "currency_id": "MXN",
                "installments": 1,
                "status": "approved" if paid else "pending",
                "status_detail": "accredited" if paid else "pending_waiting_payment",
                "transaction_amount": total,
                "shipping_cost": ship,
                "total_paid_amount": round(total + ship, 2) if paid else 0.0,
                "date_approved": _iso(now) if paid else None,
                "date_created": _iso(now),
            }
            order = {
                "id": order_id,
                "date_created": _iso(now),
                "date_closed": _iso(now),
                "last_updated": _iso(now),
                "pack_id": pack_id,
                "status": "paid" if paid else "payment_required",
                "status_detail": None,
                "total_amount": total,
                "paid_amount": round(total + ship, 2) if paid else 0.0,
                "currency_id": "MXN",
                "order_items": [
                    {
                        "item": {
                            "id": f"MLM{self._next_id() % 10**10}",
                            "title": item["title"],
                            "seller_sku": item.get("seller_sku"),
                            "variation_attributes": item.get("variation_attributes", []),
                        },
                        "quantity": item["quantity"],
                        "unit_price": item["unit_price"],
                        "full_unit_price": item.get("full_unit_price", item["unit_price"]),
                        "currency_id": "MXN",
                    }
                    for item in items
                ],
                "payments": [payment],
                "shipping": {"id": shipment_id},
                "buyer": {**buyer, **({"billing_info": {"id": info_id}} if info_id else {})},
                "seller": {"id": seller.user_id, "nickname": seller.nickname},
                "context": {"channel": channel, "site": seller.site_id, "flows": []},
                "tags": ["paid" if paid else "not_paid"] + (["pack_order"] if pack_id else []),
            }
            self.orders[order_id] = order
            ids.append(order_id)
        if pack_id is not None:
            self.packs[pack_id] = {
                "id": pack_id,
                "status": "released" if paid else "filling",
                "status_detail": None,
                "date_created": _iso(now),
                "last_updated": _iso(now),
                "family_pack_id": None,
                "buyer": {"id": buyer["id"]},
                "shipment": {"id": shipment_id},
                "orders": [{"id": i} for i in ids],
            }
        self.shipments[shipment_id] = {
            "id": shipment_id,
            "order_id": ids[0],
            "mode": "custom" if custom_shipping else "me2",
            "logistic_type": "custom" if custom_shipping else "drop_off",
            "status": "ready_to_ship" if paid else "pending",
            "substatus": None,
            "tracking_number": None,
            "tracking_method": None,
        }
        key = str(pack_id or ids[0])
        for option in (*FREE_TEXT, *TEMPLATES):
            self.caps[(key, option)] = 1
        if notify:
            for order_id in ids:
                self.notify(seller.user_id, "orders_v2", f"/orders/{order_id}")
        return {"pack_id": pack_id, "orders": ids, "shipment_id": shipment_id, "key": key}

    def pay(self, order_id: int, notify: bool = True) -> None:
        order = self.orders[order_id]
        order["status"] = "paid"
        for payment in order["payments"]:
            payment["status"], payment["status_detail"] = "approved", "accredited"
            payment["total_paid_amount"] = round(
                payment["transaction_amount"] + payment["shipping_cost"], 2
            )
            payment["date_approved"] = _iso(self.clock.now())
        order["paid_amount"] = order["payments"][0]["total_paid_amount"]
        pack_id = order.get("pack_id")
        if pack_id and all(
            self.orders[o["id"]]["status"] == "paid" for o in self.packs[pack_id]["orders"]
        ):
            self.packs[pack_id]["status"] = "released"
        if notify:
            self.notify(order["seller"]["id"], "orders_v2", f"/orders/{order_id}")

    def ship(
        self, shipment_id: int, tracking_number: str, carrier: str, notify: bool = True
    ) -> None:
        shipment = self.shipments[shipment_id]
        shipment.update(status="shipped", tracking_number=tracking_number, tracking_method=carrier)
        if notify:
            seller = self.orders[shipment["order_id"]]["seller"]["id"]
            self.notify(seller, "shipments", f"/shipments/{shipment_id}")

    def revoke(self, user_id: int) -> None:
        """The seller removed our application's access in Mercado Libre."""
        self.sellers[user_id].revoked = True
        for grants in (self.access, self.refresh):
            for value in grants.values():
                if value["user_id"] == user_id:
                    value["revoked"] = True

    def notify(self, user_id: int, topic: str, resource: str) -> dict[str, Any]:
        app = next(iter(self.apps.values()), None)
        now = self.clock.now()
        payload = {
            "_id": str(uuid.uuid4()),
            "resource": resource,
            "user_id": user_id,
            "topic": topic,
            "application_id": app.application_id if app else 0,
            "attempts": 1,
            "sent": _iso(now),
            "received": _iso(now),
        }
        record: dict[str, Any] = {"payload": payload, "status": None}
        self.notifications.append(record)
        if app and app.notifications_url and self.notify_hook is not None:
            record["status"] = self.notify_hook(app.notifications_url, payload)
        return payload

    def sent_messages(self, key: str) -> list[Sent]:
        return [m for m in self.messages if m.pack_id == key]

    # ---------------------------------------------------------------- HTTP
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"retry-after": "1"} if status == 429 else {}
            return json_response(
                status,
                {"message": "simulated", "error": "simulated", "status": status, "cause": []},
                headers,
            )
        path = request.path
        if path == "/auth/authorization" and request.method == "GET":
            return self._authorize(request)
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        caller = self._caller(request)
        if isinstance(caller, Response):
            return caller
        app_id, user_id = caller
        if not self.buckets.take(f"ml:{app_id}", *self.rate):
            return json_response(
                429,
                {
                    "message": "Too Many Requests",
                    "error": "too_many_requests",
                    "status": 429,
                    "cause": [],
                },
                {"retry-after": "1"},
            )
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", r"/users/me", lambda: json_response(200, self._me(user_id))),
            ("GET", r"/orders/(\d+)", lambda i: self._order(user_id, int(i))),
            ("GET", r"/packs/(\d+)", lambda i: self._pack(user_id, int(i))),
            (
                "GET",
                r"/orders/billing-info/([A-Z]{3})/(\d+)",
                lambda s, i: self._billing(user_id, i),
            ),
            ("GET", r"/shipments/(\d+)", lambda i: self._shipment(user_id, int(i))),
            (
                "GET",
                r"/messages/action_guide/packs/(\d+)",
                lambda i: self._guide(user_id, i, request),
            ),
            (
                "POST",
                r"/messages/action_guide/packs/(\d+)/option",
                lambda i: self._send(user_id, i, request),
            ),
            ("POST", r"/packs/(\d+)/fiscal_documents", lambda i: self._upload(user_id, i, request)),
            ("GET", r"/packs/(\d+)/fiscal_documents", lambda i: self._documents(user_id, i)),
        ]
        for method, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if match and request.method == method:
                return action(*match.groups())
        return _err(404, "not_found", "Resource not found")

    # ---------------------------------------------------------------- OAuth
    def _authorize(self, request: Request) -> Response:
        q = request.query
        app = self.apps.get(q.get("client_id", ""))
        if app is None or q.get("response_type") != "code":
            return _err(400, "invalid_request", "invalid client_id or response_type")
        if q.get("redirect_uri") != app.redirect_uri:
            return _err(400, "invalid_request", "redirect_uri does not match the application")
        user = self.authorizing_user
        if user is None or user not in self.sellers:
            return _err(400, "invalid_request", "no user logged in")
        code = token("TG-")
        self.codes[code] = {
            "client_id": app.client_id,
            "user_id": user,
            "redirect_uri": app.redirect_uri,
            "expires_at": self.clock.now() + 600,
            "used": False,
        }
        query = urlencode({"code": code, **({"state": q["state"]} if "state" in q else {})})
        return Response(302, b"", {"location": f"{app.redirect_uri}?{query}"})

    def _issue(self, app: App, user_id: int) -> dict[str, Any]:
        access, refresh = token("APP_USR-"), token("TG-")
        now = self.clock.now()
        for grants in (self.access, self.refresh):  # a new pair retires the old one
            for value in grants.values():
                if value["user_id"] == user_id and value["client_id"] == app.client_id:
                    value["used"] = True
        self.access[access] = {
            "client_id": app.client_id,
            "user_id": user_id,
            "expires_at": now + self.token_seconds,
            "used": False,
        }
        self.refresh[refresh] = {"client_id": app.client_id, "user_id": user_id, "used": False}
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_seconds,
            "scope": "offline_access read write",
            "user_id": user_id,
            "refresh_token": refresh,
        }

    def _token(self, request: Request) -> Response:
        if request.query:
            return _err(400, "invalid_request", "send the parameters in the body")
        form = request.form()
        app = self.apps.get(form.get("client_id", ""))
        if app is None or form.get("client_secret") != app.client_secret:
            return _err(400, "invalid_client", "invalid client_id or client_secret")
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                code = self.codes.get(form.get("code", ""))
                if (
                    code is None
                    or code["used"]
                    or code["expires_at"] < self.clock.now()
                    or code["client_id"] != app.client_id
                    or form.get("redirect_uri") != code["redirect_uri"]
                ):
                    return _err(400, "invalid_grant", "invalid authorization code")
                code["used"] = True
                return json_response(200, self._issue(app, code["user_id"]))
            if grant == "refresh_token":
                refresh = self.refresh.get(form.get("refresh_token", ""))
                if (
                    refresh is None
                    or refresh["used"]
                    or refresh.get("revoked")
                    or refresh["client_id"] != app.client_id
                ):
                    return _err(400, "invalid_grant", "invalid refresh_token")
                refresh["used"] = True
                return json_response(200, self._issue(app, refresh["user_id"]))
        return _err(
            400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )

    def _caller(self, request: Request) -> tuple[str, int] | Response:
        auth = request.header("authorization")
        if not auth.startswith("Bearer "):
            return _err(401, "unauthorized", "authorization value not present")
        grant = self.access.get(auth[7:])
        if (
            grant is None
            or grant["used"]
            or grant.get("revoked")
            or grant["expires_at"] < self.clock.now()
        ):
            return _err(401, "unauthorized", "invalid access token")
        return grant["client_id"], grant["user_id"]

    # ---------------------------------------------------------------- resources
    def _me(self, user_id: int) -> dict[str, Any]:
        seller = self.sellers[user_id]
        return {
            "id": seller.user_id,
            "nickname": seller.nickname,
            "site_id": seller.site_id,
            "country_id": "MX",
        }

    def _order(self, user_id: int, order_id: int) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return _err(404, "not_found", "Order not found")
        if order["seller"]["id"] != user_id:
            return _err(403, "forbidden", "Invalid caller.id")
        return json_response(200, order)

    def _pack(self, user_id: int, pack_id: int) -> Response:
        pack = self.packs.get(pack_id)
        if pack is None:
            return _err(404, "not_found", "Resource not found")
        if any(self.orders[o["id"]]["seller"]["id"] != user_id for o in pack["orders"]):
            return _err(403, "forbidden", "Invalid caller.id")
        return json_response(200, pack)

    def _billing(self, user_id: int, info_id: str) -> Response:
        info = self.billing_infos.get(info_id)
        if info is None:
            return _err(404, "not_found", "billing info not found")
        if info["seller"]["cust_id"] != user_id:
            return _err(403, "forbidden", "Invalid caller.id")
        return json_response(200, info)

    def _shipment(self, user_id: int, shipment_id: int) -> Response:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return _err(404, "not_found", "Shipment not found")
        if self.orders[shipment["order_id"]]["seller"]["id"] != user_id:
            return _err(403, "forbidden", "Invalid caller.id")
        return json_response(200, shipment)

    def _sale_orders(self, user_id: int, key: str) -> list[dict[str, Any]] | Response:
        number = int(key)
        if number in self.packs:
            orders = [self.orders[o["id"]] for o in self.packs[number]["orders"]]
        elif number in self.orders and not self.orders[number].get("pack_id"):
            orders = [self.orders[number]]
        else:
            return _err(404, "not_found", "pack not found")
        if any(o["seller"]["id"] != user_id for o in orders):
            return _err(403, "forbidden", "Invalid caller.id")
        return orders

    def _guide(self, user_id: int, key: str, request: Request) -> Response:
        if request.query.get("tag") != "post_sale":
            return _err(400, "bad_request", "tag is required")
        orders = self._sale_orders(user_id, key)
        if isinstance(orders, Response):
            return orders
        if any(o["status"] != "paid" for o in orders):
            return _err(403, "blocked_by_payment", "The buyer has not paid yet")
        options = []
        for option in (*TEMPLATES, *FREE_TEXT):
            entry: dict[str, Any] = {
                "id": option,
                "internal_description": option,
                "enabled": True,
                "type": "free_text" if option in FREE_TEXT else "template",
                "templates": None
                if option in FREE_TEXT
                else [{"id": f"TEMPLATE___{option}___1", "vars": None}],
                "actionable": True,
                "child_options": None,
                "cap_available": self.caps.get((key, option), 0),
            }
            if option in FREE_TEXT:
                entry["char_limit"] = 350
            options.append(entry)
        return json_response(200, {"options": options})

    def _send(self, user_id: int, key: str, request: Request) -> Response:
        if request.query.get("tag") != "post_sale":
            return _err(400, "bad_request", "tag is required")
        orders = self._sale_orders(user_id, key)
        if isinstance(orders, Response):
            return orders
        body = request.json() or {}
        option, text = str(body.get("option_id") or ""), str(body.get("text") or "")
        if option not in (*FREE_TEXT, *TEMPLATES):
            return _err(400, "invalid_option", f"option {option} does not exist")
        if option in FREE_TEXT and not text.strip():
            return _err(400, "empty_text", "text is required for free_text options")
        if option in FREE_TEXT and utf16_length(text) > 350:
            return _err(400, "char_limit_exceeded", "text exceeds char_limit (350)")
        with self._lock:
            if self.caps.get((key, option), 0) < 1:
                return _err(403, "cap_exceeded", f"no messages available for option {option}")
            self.caps[(key, option)] -= 1
            sent = Sent(
                key, option, text or "", "rejected" if SHORTENERS.search(text or "") else "clean"
            )
            self.messages.append(sent)
        return json_response(
            201,
            {
                "id": sent.message_id,
                "status": "available",
                "moderation": {"status": sent.moderation},
            },
        )

    def _upload(self, user_id: int, key: str, request: Request) -> Response:
        orders = self._sale_orders(user_id, key)
        if isinstance(orders, Response):
            return orders
        parts = multipart(request)
        if not parts:
            return _err(400, "invalid_request", "multipart/form-data with fiscal_document expected")
        files = [p for p in parts if p.name == "fiscal_document" and p.filename]
        if not files or len(files) != len(parts):
            return _err(400, "invalid_request", "only fiscal_document parts are accepted")
        allowed = {"application/pdf", "application/xml", "text/xml"}
        if any(p.content_type not in allowed for p in files):
            return _err(400, "invalid_file_type", "fiscal_document must be PDF or XML")
        pdfs = [p for p in files if p.content_type == "application/pdf"]
        if len(pdfs) != 1 or len(files) > 2:
            return _err(400, "invalid_request", "one PDF and at most one XML")
        if len(pdfs[0].data) > PDF_LIMIT or not pdfs[0].data.startswith(b"%PDF"):
            return _err(400, "invalid_file", "the PDF must be a PDF of at most 1 MB")
        with self._lock:
            if self.fiscal_documents.get(key):
                return _err(
                    409, "fiscal_document_already_exists", "the pack already has a fiscal document"
                )
            stored = [
                {
                    "id": f"{user_id}_{uuid.uuid4()}",
                    "filename": p.filename,
                    "content_type": p.content_type,
                    "size": len(p.data),
                    "data": p.data,
                }
                for p in files
            ]
            self.fiscal_documents[key] = stored
        return json_response(201, {"ids": [d["id"] for d in stored]})

    def _documents(self, user_id: int, key: str) -> Response:
        orders = self._sale_orders(user_id, key)
        if isinstance(orders, Response):
            return orders
        return json_response(200, {"ids": [d["id"] for d in self.fiscal_documents.get(key, [])]})

    # ---------------------------------------------------------------- control over HTTP
    def control(self, request: Request) -> Response:
        """/_fake/mercadolibre/...: what the demo and the e2e tests do to the fake."""
        body = request.json() or {}
        if request.path == "/sales" and request.method == "POST":
            seller = int(body.get("seller_id") or next(iter(self.sellers)))
            result = self.create_sale(
                seller,
                body["carts"],
                shipping_cost=float(body.get("shipping_cost") or 0),
                payment_type=str(body.get("payment_type") or "credit_card"),
                billing_info=body.get("billing_info"),
                channel=str(body.get("channel") or "marketplace"),
                custom_shipping=bool(body.get("custom_shipping")),
            )
            return json_response(201, result)
        match = re.fullmatch(r"/sales/(\d+)/messages", request.path)
        if match:
            return json_response(
                200,
                [
                    {"option_id": m.option_id, "text": m.text, "moderation": m.moderation}
                    for m in self.sent_messages(match.group(1))
                ],
            )
        match = re.fullmatch(r"/sales/(\d+)/fiscal_documents", request.path)
        if match:
            docs = self.fiscal_documents.get(match.group(1), [])
            return json_response(200, [{k: v for k, v in d.items() if k != "data"} for d in docs])
        match = re.fullmatch(r"/shipments/(\d+)/ship", request.path)
        if match and request.method == "POST":
            self.ship(
                int(match.group(1)),
                str(body["tracking_number"]),
                str(body.get("carrier") or "Estafeta"),
            )
            return json_response(200, {"ok": True})
        if request.path == "/notifications":
            return json_response(200, self.notifications)
        return _err(404, "not_found", "no such control route")
