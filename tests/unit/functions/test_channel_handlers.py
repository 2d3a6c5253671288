"""The channels' entry points in the unit tier: the channels API and OAuth return route, the
application-wide Mercado Libre route, the poller and the Amazon queue consumer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import builders
from tests.support.events import LambdaContext, http_event, load_function, sqs_event
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import ML_USER, Markets, connect_mercadolibre, with_fake_markets

KEY = {"authorization": "Bearer clave-tienda"}


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant())
    fake.tenants.put_api_key("tienda", "clave-tienda")
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    markets = with_fake_markets(adapters)
    markets.fake.mercadolibre.add_seller(ML_USER, "VENDEDORA")
    return markets


@pytest.fixture
def handler(adapters: FakeAdapters) -> Callable[..., dict[str, Any]]:
    loaded: dict[str, Any] = {}

    def call(name: str, event: dict[str, Any]) -> dict[str, Any]:
        if name not in loaded:
            module = load_function(name)
            module.bootstrap = lambda: adapters
            loaded[name] = module
        result: dict[str, Any] = loaded[name].handler(event, LambdaContext(function_name=name))
        return result

    return call


def api(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return http_event(
        method,
        path,
        body=json.dumps(body).encode() if body is not None else b"",
        headers={"content-type": "application/json", **(headers if headers is not None else KEY)},
        route="/api/v1/channels/{proxy+}",
    )


def test_the_channel_list_needs_the_api_key_and_shows_every_channel(handler: Any) -> None:
    assert handler("channels_api", api("GET", "/api/v1/channels", headers={}))["statusCode"] == 401
    response = handler("channels_api", api("GET", "/api/v1/channels"))
    channels = [c["channel"] for c in json.loads(response["body"])["channels"]]
    assert response["statusCode"] == 200 and "mercadolibre" in channels and "prestashop" in channels


def test_connecting_a_store_answers_201_then_200_and_bad_fields_are_named(handler: Any) -> None:
    path = "/api/v1/channels/woocommerce"
    assert (
        handler("channels_api", api("PUT", path, {"webhook_secret": "ck_secreto_123"}))[
            "statusCode"
        ]
        == 201
    )
    assert (
        handler("channels_api", api("PUT", path, {"webhook_secret": "ck_secreto_456"}))[
            "statusCode"
        ]
        == 200
    )
    bad = handler("channels_api", api("PUT", path, {"webhook_secret": "corto", "extra": 1}))
    assert bad["statusCode"] == 400
    assert set(json.loads(bad["body"])["details"]["campos"]) == {"webhook_secret", "extra"}
    assert handler("channels_api", api("PUT", "/api/v1/channels/eBay", {}))["statusCode"] == 404


def test_the_oauth_return_route_connects_and_answers_a_spanish_page(
    handler: Any, adapters: FakeAdapters, markets: Markets
) -> None:
    started = handler("channels_api", api("POST", "/api/v1/channels/mercadolibre/authorize", {}))
    url = json.loads(started["body"])["authorization_url"]
    back = markets.fake.handle("GET", url, {}, b"").headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    event = http_event("GET", "/oauth/mercadolibre", route="/oauth/mercadolibre", query=query)
    page = handler("channels_api", event)
    assert page["statusCode"] == 200 and "text/html" in page["headers"]["Content-Type"]
    assert "Mercado Libre conectado" in page["body"] and "VENDEDORA" in page["body"]
    again = handler("channels_api", event)
    assert again["statusCode"] == 409 and "ya se usó" in again["body"]
    forged = http_event(
        "GET",
        "/oauth/mercadolibre",
        route="/oauth/mercadolibre",
        query={"code": "x", "state": "y.z"},
    )
    assert handler("channels_api", forged)["statusCode"] == 400


def test_mercado_libres_route_answers_200_to_everything_and_queues_only_its_sellers(
    handler: Any, adapters: FakeAdapters, markets: Markets
) -> None:
    connect_mercadolibre(adapters, markets, "tienda")
    created = markets.fake.mercadolibre.create_sale(
        ML_USER, [[{"title": "Olla", "quantity": 1, "unit_price": 300.0}]]
    )
    payload = markets.fake.mercadolibre.notifications[-1]["payload"]

    def post(body: bytes) -> dict[str, Any]:
        event = http_event(
            "POST", "/webhooks/mercadolibre", body=body, route="/webhooks/{channel}",
            path_params={"channel": "mercadolibre"},
        )  # fmt: skip
        return handler("webhooks", event)

    for junk in (b"", b"[]", json.dumps({**payload, "user_id": 1}).encode()):
        assert post(junk)["statusCode"] == 200
    assert adapters.queue.messages == []
    assert post(json.dumps(payload).encode())["statusCode"] == 200
    [queued] = adapters.queue.messages
    assert json.loads(queued)["tenant_id"] == "tienda" and created["orders"]


def test_marking_a_mercado_libre_order_shipped_over_the_api(
    handler: Any, adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.domain.orders import Channel

    connect_mercadolibre(adapters, markets, "tienda")
    created = markets.fake.mercadolibre.create_sale(
        ML_USER, [[{"title": "Olla", "quantity": 1, "unit_price": 300.0}]], notify=False
    )
    adapters.orders.add(builders.order(created["key"], channel=Channel.MERCADOLIBRE, email=None))
    event = http_event(
        "POST",
        f"/api/v1/orders/mercadolibre/{created['key']}/shipment",
        body=json.dumps(
            {
                "carrier": "Estafeta",
                "tracking_number": "123456",
                "tracking_url": "https://rastreo.example/123456",
            }
        ).encode(),
        headers={"content-type": "application/json", **KEY},
        route="/api/v1/orders/{channel}/{order_id}/shipment",
    )
    response = handler("channels_api", event)
    assert response["statusCode"] == 200 and json.loads(response["body"])["sent"]
    again = json.loads(handler("channels_api", event)["body"])
    assert again == {"sent": False, "reason": "ya_enviado"}


def test_the_poller_fans_out_on_the_schedule_and_polls_on_its_queue(
    handler: Any, adapters: FakeAdapters, markets: Markets
) -> None:
    from tests.support.marketplaces import connect_liverpool

    connect_liverpool(adapters, markets, "tienda")
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert handler("channel_poller", scheduled) == {"requests": 1}
    [request] = adapters.poll_queue.messages
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": request}
    assert handler("channel_poller", sqs_event([message])) == {"batchItemFailures": []}
    assert adapters.connections.poll_state("tienda", "liverpool").cursor is not None


def test_the_amazon_consumer_drops_what_it_cannot_use_without_failing_the_batch(
    handler: Any, adapters: FakeAdapters
) -> None:
    messages = [
        {"MessageId": "a", "ReceiptHandle": "r", "Body": "no es json"},
        {
            "MessageId": "b",
            "ReceiptHandle": "r",
            "Body": json.dumps({"NotificationType": "ORDER_CHANGE"}),
        },
    ]
    assert handler("amazon_notifications", sqs_event(messages)) == {"batchItemFailures": []}
    assert adapters.queue.messages == []
