"""A fake Amazon Selling Partner API, as strict as its documentation (developer-docs.amazon.com):

- LWA: POST /lwa/auth/o2/token (grant_type=refresh_token, our app's client id and secret)
  answers an access token good for an hour; SP-API calls need it in `x-amz-access-token`
  (403 Unauthorized when missing, unknown or expired).
- Usage plans per selling partner and operation (token buckets; 429 with
  x-amzn-RateLimit-Limit above them): getOrder/getOrderItems 0.5/s burst 30,
  createRestrictedDataToken 1/10, Messaging 1/5, uploads 10/10, getMarketplaceParticipations
  0.016/15.
- Buyer data only with a restricted data token for that path and `buyerInfo`.
- getOrderItems pages of `page_size` items with NextToken.
- Messaging: getMessagingActionsForOrder lists sendInvoice for orders Amazon has charged
  (Unshipped, PartiallyShipped, Shipped) within 30 days of purchase; sendInvoice needs an
  attachment uploaded to an upload destination made for that order's invoice resource, whose
  PUT carried the Content-MD5 the destination was made for.
- ORDER_CHANGE notifications go to a sink (the local cloud's SQS queue).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from fakemarkets.common import Buckets, Clock, Request, Response, json_response, token

PAID = ("Unshipped", "PartiallyShipped", "Shipped")
PLANS = {
    "orders": (0.5, 30),
    "tokens": (1.0, 10),
    "messaging": (1.0, 5),
    "uploads": (10.0, 10),
    "sellers": (0.016, 15),
}


def _errors(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, {"errors": [{"code": code, "message": message}]}, headers)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


class FakeAmazon:
    prefix = "/amazon"

    def __init__(
        self, clock: Clock, buckets: Buckets, sink: Callable[[str], Any] | None = None
    ) -> None:
        self.clock = clock
        self.buckets = buckets
        self.sink = sink  # receives each notification's JSON (the SQS destination)
        self.apps: dict[str, str] = {}  # client_id -> secret
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> seller id
        self.access: dict[str, dict[str, Any]] = {}
        self.rdts: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.destinations: dict[str, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.page_size = 5
        self.fail_next: list[int] = []
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- set up
    def add_app(self, client_id: str, client_secret: str) -> None:
        self.apps[client_id] = client_secret

    def add_seller(self, seller_id: str) -> str:
        refresh = token("Atzr|")
        self.refresh_tokens[refresh] = seller_id
        return refresh

    def create_order(
        self,
        seller_id: str,
        items: list[dict[str, Any]],
        *,
        status: str = "Unshipped",
        marketplace_id: str = "A1AM78C64UM0Y8",
        shipping: float = 0.0,
        notify: bool = True,
    ) -> str:
        """An order; each item {sku, title, quantity, price (per unit, IVA included),
        discount?}."""
        now = self.clock.now()
        middle, last = uuid.uuid4().int % 10**7, uuid.uuid4().int % 10**7
        order_id = f"70{len(self.orders) + 1}-{middle:07d}-{last:07d}"
        lines = []
        total = 0.0
        for index, item in enumerate(items):
            price = round(item["price"] * item["quantity"], 2)
            discount = float(item.get("discount") or 0)
            ship = shipping if index == 0 else 0.0
            total += price - discount + ship
            lines.append(
                {
                    "ASIN": f"B0{uuid.uuid4().hex[:8].upper()}",
                    "SellerSKU": item["sku"],
                    "OrderItemId": str(uuid.uuid4().int % 10**14),
                    "Title": item["title"],
                    "QuantityOrdered": item["quantity"],
                    "QuantityShipped": 0,
                    "ItemPrice": {"CurrencyCode": "MXN", "Amount": f"{price:.2f}"},
                    "ItemTax": {"CurrencyCode": "MXN", "Amount": f"{price - price / 1.16:.2f}"},
                    "PromotionDiscount": {"CurrencyCode": "MXN", "Amount": f"{discount:.2f}"},
                    "ShippingPrice": {"CurrencyCode": "MXN", "Amount": f"{ship:.2f}"},
                    "ShippingDiscount": {"CurrencyCode": "MXN", "Amount": "0.00"},
                }
            )
        self.orders[order_id] = {
            "AmazonOrderId": order_id,
            "SellerId": seller_id,
            "PurchaseDate": _iso(now),
            "LastUpdateDate": _iso(now),
            "OrderStatus": status,
            "FulfillmentChannel": "MFN",
            "OrderTotal": {"CurrencyCode": "MXN", "Amount": f"{total:.2f}"},
            "NumberOfItemsShipped": 0,
            "NumberOfItemsUnshipped": sum(i["quantity"] for i in items),
            "PaymentMethod": "Other",
            "PaymentMethodDetails": ["Standard"],
            "MarketplaceId": marketplace_id,
            "ShipmentServiceLevelCategory": "Standard",
            "OrderType": "StandardOrder",
            "BuyerInfo": {
                "BuyerEmail": f"{uuid.uuid4().hex[:16]}@marketplace.amazon.com.mx",
                "BuyerName": "Luis Hernández",
            },
        }
        self.items[order_id] = lines
        if notify:
            self.notify(order_id)
        return order_id

    def notify(self, order_id: str, change: str = "OrderStatusChange") -> dict[str, Any]:
        order = self.orders[order_id]
        now = self.clock.now()
        notification = {
            "NotificationVersion": "1.0",
            "NotificationType": "ORDER_CHANGE",
            "PayloadVersion": "1.0",
            "EventTime": _iso(now),
            "Payload": {
                "OrderChangeNotification": {
                    "NotificationLevel": "OrderLevel",
                    "SellerId": order["SellerId"],
                    "AmazonOrderId": order_id,
                    "OrderChangeType": change,
                    "OrderChangeTrigger": {
                        "TimeOfOrderChange": _iso(now),
                        "ChangeReason": "Order status changed",
                    },
                    "Summary": {
                        "MarketplaceId": order["MarketplaceId"],
                        "OrderStatus": order["OrderStatus"],
                        "PurchaseDate": order["PurchaseDate"],
                        "FulfillmentType": "MFN",
                        "OrderType": "StandardOrder",
                        "OrderItems": [
                            {
                                "OrderItemId": i["OrderItemId"],
                                "SellerSKU": i["SellerSKU"],
                                "Quantity": i["QuantityOrdered"],
                                "OrderItemStatus": order["OrderStatus"],
                            }
                            for i in self.items[order_id]
                        ],
                    },
                }
            },
            "NotificationMetadata": {
                "ApplicationId": "amzn1.sellerapps.app.postventa-local",
                "SubscriptionId": "subscription-postventa-local",
                "PublishTime": _iso(now),
                "NotificationId": str(uuid.uuid4()),
            },
        }
        self.notifications.append(notification)
        if self.sink is not None:
            self.sink(json.dumps(notification))
        return notification

    # ---------------------------------------------------------------- HTTP
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _errors(
                status,
                "Simulated",
                "simulated failure",
                {"retry-after": "1"} if status == 429 else None,
            )
        if request.path == "/lwa/auth/o2/token" and request.method == "POST":
            return self._lwa(request)
        match = re.fullmatch(r"/_upload/([0-9a-f-]+)", request.path)
        if match and request.method == "PUT":
            return self._put_upload(match.group(1), request)
        access = request.header("x-amz-access-token")
        grant = self.access.get(access)
        rdt = self.rdts.get(access)
        if grant is None and rdt is None:
            return _errors(403, "Unauthorized", "Access to requested resource is denied.")
        live = grant or rdt
        assert live is not None
        if live["expires_at"] < self.clock.now():
            return _errors(403, "Unauthorized", "The access token you provided has expired.")
        seller = live["seller_id"]
        path = request.path
        routes: list[tuple[str, str, str, Callable[..., Response]]] = [
            (
                "GET",
                r"/orders/v0/orders/([\w-]+)",
                "orders",
                lambda i: self._order(seller, i, rdt, path),
            ),
            (
                "GET",
                r"/orders/v0/orders/([\w-]+)/orderItems",
                "orders",
                lambda i: self._items(seller, i, request),
            ),
            (
                "POST",
                r"/tokens/2021-03-01/restrictedDataToken",
                "tokens",
                lambda: self._rdt(seller, request),
            ),
            (
                "GET",
                r"/messaging/v1/orders/([\w-]+)",
                "messaging",
                lambda i: self._actions(seller, i, request),
            ),
            (
                "POST",
                r"/messaging/v1/orders/([\w-]+)/messages/invoice",
                "messaging",
                lambda i: self._invoice(seller, i, request),
            ),
            (
                "POST",
                r"/uploads/2020-11-01/uploadDestinations/(.+)",
                "uploads",
                lambda r: self._destination(seller, unquote(r), request),
            ),
            (
                "GET",
                r"/sellers/v1/marketplaceParticipations",
                "sellers",
                lambda: json_response(
                    200,
                    {
                        "payload": [
                            {
                                "marketplace": {
                                    "id": "A1AM78C64UM0Y8",
                                    "countryCode": "MX",
                                    "name": "Amazon.com.mx",
                                },
                                "participation": {
                                    "isParticipating": True,
                                    "hasSuspendedListings": False,
                                },
                            }
                        ]
                    },
                ),
            ),
        ]
        for method, pattern, plan, action in routes:
            match = re.fullmatch(pattern, path)
            if match and request.method == method:
                if rdt is not None and plan != "orders":
                    return _errors(
                        403, "Unauthorized", "A restricted data token only reads its path."
                    )
                rate, burst = PLANS[plan]
                if not self.buckets.take(f"amazon:{seller}:{plan}", rate, burst):
                    return _errors(
                        429,
                        "QuotaExceeded",
                        "You exceeded your quota for the requested resource.",
                        {"x-amzn-ratelimit-limit": str(rate)},
                    )
                return action(*match.groups())
        return _errors(404, "NotFound", "Resource not found")

    def _lwa(self, request: Request) -> Response:
        form = request.form()
        if self.apps.get(form.get("client_id", "")) != form.get("client_secret") or not form.get(
            "client_secret"
        ):
            return json_response(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if form.get("grant_type") != "refresh_token":
            return json_response(
                400, {"error": "unsupported_grant_type", "error_description": "refresh_token only"}
            )
        seller = self.refresh_tokens.get(form.get("refresh_token", ""))
        if seller is None:
            return json_response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter",
                },
            )
        access = token("Atza|")
        self.access[access] = {"seller_id": seller, "expires_at": self.clock.now() + 3600}
        return json_response(
            200,
            {
                "access_token": access,
                "refresh_token": form["refresh_token"],
                "token_type": "bearer",
                "expires_in": 3600,
            },
        )

    def _own(self, seller: str, order_id: str) -> dict[str, Any] | Response:
        order = self.orders.get(order_id)
        if order is None or order["SellerId"] != seller:
            return _errors(404, "InvalidInput", f"Invalid AmazonOrderId {order_id}")
        return order

    def _order(self, seller: str, order_id: str, rdt: dict[str, Any] | None, path: str) -> Response:
        order = self._own(seller, order_id)
        if isinstance(order, Response):
            return order
        shown = dict(order)
        if rdt is None or rdt["path"] != path or "buyerInfo" not in rdt["elements"]:
            shown.pop("BuyerInfo", None)
        return json_response(200, {"payload": shown})

    def _items(self, seller: str, order_id: str, request: Request) -> Response:
        order = self._own(seller, order_id)
        if isinstance(order, Response):
            return order
        start = int(request.query.get("NextToken") or 0)
        lines = self.items[order_id]
        page = lines[start : start + self.page_size]
        payload: dict[str, Any] = {"AmazonOrderId": order_id, "OrderItems": page}
        if start + self.page_size < len(lines):
            payload["NextToken"] = str(start + self.page_size)
        return json_response(200, {"payload": payload})

    def _rdt(self, seller: str, request: Request) -> Response:
        body = request.json() or {}
        resources = body.get("restrictedResources") or []
        if len(resources) != 1 or resources[0].get("method") != "GET":
            return _errors(400, "InvalidInput", "one GET restricted resource expected")
        path = str(resources[0].get("path") or "")
        match = re.fullmatch(r"/orders/v0/orders/([\w-]+)", path)
        if not match or self.orders.get(match.group(1), {}).get("SellerId") != seller:
            return _errors(400, "InvalidInput", "invalid restricted resource path")
        rdt = token("Atz.sprdt|")
        self.rdts[rdt] = {
            "seller_id": seller,
            "path": path,
            "elements": list(resources[0].get("dataElements") or []),
            "expires_at": self.clock.now() + 3600,
        }
        return json_response(200, {"restrictedDataToken": rdt, "expiresIn": 3600})

    def _invoice_allowed(self, order: dict[str, Any]) -> bool:
        purchased = datetime.fromisoformat(order["PurchaseDate"].replace("Z", "+00:00")).timestamp()
        return order["OrderStatus"] in PAID and self.clock.now() - purchased < 30 * 86400

    def _actions(self, seller: str, order_id: str, request: Request) -> Response:
        if not request.query.get("marketplaceIds"):
            return _errors(400, "InvalidInput", "marketplaceIds is required")
        order = self._own(seller, order_id)
        if isinstance(order, Response):
            return order
        actions = (
            [{"href": f"/messaging/v1/orders/{order_id}/messages/invoice", "name": "sendInvoice"}]
            if self._invoice_allowed(order)
            else []
        )
        return json_response(
            200,
            {
                "_links": {
                    "self": {"href": f"/messaging/v1/orders/{order_id}"},
                    "actions": actions,
                },
                "_embedded": {"actions": []},
            },
        )

    def _destination(self, seller: str, resource: str, request: Request) -> Response:
        md5, content_type = request.query.get("contentMD5"), request.query.get("contentType")
        if not md5 or not content_type or not request.query.get("marketplaceIds"):
            return _errors(
                400, "InvalidInput", "contentMD5, contentType and marketplaceIds are required"
            )
        match = re.fullmatch(r"messaging/v1/orders/([\w-]+)/messages/invoice", resource)
        if not match or isinstance(self._own(seller, match.group(1)), Response):
            return _errors(400, "InvalidInput", "invalid resource")
        destination = str(uuid.uuid4())
        self.destinations[destination] = {
            "seller": seller,
            "order_id": match.group(1),
            "md5": md5,
            "content_type": content_type,
            "data": None,
        }
        url = f"{request.base_url}{self.prefix}/_upload/{destination}"
        return json_response(
            201, {"payload": {"uploadDestinationId": destination, "url": url, "headers": {}}}
        )

    def _put_upload(self, destination: str, request: Request) -> Response:
        target = self.destinations.get(destination)
        if target is None:
            return Response(404, b"NoSuchUpload")
        md5 = base64.b64encode(hashlib.md5(request.body).digest()).decode("ascii")  # noqa: S324
        if request.header("content-md5") != target["md5"] or md5 != target["md5"]:
            return Response(400, b"BadDigest")
        if request.header("content-type") != target["content_type"]:
            return Response(403, b"SignatureDoesNotMatch")
        target["data"] = request.body
        return Response(200)

    def _invoice(self, seller: str, order_id: str, request: Request) -> Response:
        order = self._own(seller, order_id)
        if isinstance(order, Response):
            return order
        if not self._invoice_allowed(order):
            return _errors(400, "InvalidInput", "sendInvoice is not available for this order")
        attachments = (request.json() or {}).get("attachments") or []
        if not attachments:
            return _errors(400, "InvalidInput", "an attachment is required")
        for attachment in attachments:
            target = self.destinations.get(str(attachment.get("uploadDestinationId")))
            if (
                target is None
                or target["order_id"] != order_id
                or target["data"] is None
                or not attachment.get("fileName")
            ):
                return _errors(400, "InvalidInput", "attachment not uploaded for this order")
        self.invoices.append({"order_id": order_id, "files": [a["fileName"] for a in attachments]})
        return Response(201)

    def control(self, request: Request) -> Response:
        body = request.json() or {}
        if request.path == "/orders" and request.method == "POST":
            order_id = self.create_order(
                str(body["seller_id"]), body["items"], shipping=float(body.get("shipping") or 0)
            )
            return json_response(201, {"order_id": order_id})
        if request.path == "/invoices":
            return json_response(200, self.invoices)
        return _errors(404, "NotFound", "no such control route")
