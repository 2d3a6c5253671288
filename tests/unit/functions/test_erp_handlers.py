"""The ERP entry points in the unit tier: the seller API's /api/v1/erp routes and the
forwarder's SQS batch, with `bootstrap()` replaced by the fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from postventa.domain.erp import PostResult
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.events import (
    STAMPED_XML,
    LambdaContext,
    global_invoice_stamped,
    http_event,
    invoice_stamped,
    load_function,
    sqs_event,
)
from tests.support.fakes import FakeAdapters

URL = "https://erp.tienda.example/postventa"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant())
    fake.tenants.put_api_key("tienda", "clave-tienda")
    order = builders.order()
    fake.orders.add(order)
    fake.orders.note(order.ref, fiscal_data=dict(VALID_FORM))
    return fake


@pytest.fixture
def seller_api(adapters: FakeAdapters) -> Any:
    module = load_function("seller_api")
    module.bootstrap = lambda: adapters

    def call(method: str, path: str, body: Any = None, key: str = "clave-tienda", **query: str):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
        event = http_event(
            method,
            path,
            body=raw,
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
            route="/api/v1/{proxy+}",
            query=query or None,
        )
        response: dict[str, Any] = module.handler(event, LambdaContext(function_name="api"))
        return response["statusCode"], json.loads(response["body"] or "null")

    return call


@pytest.fixture
def forwarder(adapters: FakeAdapters) -> Any:
    module = load_function("erp_forwarder")
    module.bootstrap = lambda: adapters
    return lambda event: module.handler(event, LambdaContext(function_name="erp"))


def test_put_sets_up_the_erp_once_with_its_secret_then_updates_without_it(
    seller_api: Any,
) -> None:
    status, created = seller_api("PUT", "/api/v1/erp", {"url": URL})
    assert status == 201 and created["signing_secret"].startswith("pverp_")
    assert created["enabled"] is True and created["url"] == URL
    status, updated = seller_api("PUT", "/api/v1/erp", {"url": URL, "enabled": False})
    assert status == 200 and "signing_secret" not in updated and updated["enabled"] is False
    status, shown = seller_api("GET", "/api/v1/erp")
    assert status == 200 and shown == updated


def test_bad_settings_are_a_400_in_spanish_and_change_nothing(
    seller_api: Any, adapters: FakeAdapters
) -> None:
    status, body = seller_api("PUT", "/api/v1/erp", b"{no es json")
    assert status == 400 and "JSON" in body["message"]
    status, body = seller_api("PUT", "/api/v1/erp", {"url": URL, "extra": 1})
    assert status == 400 and body["details"] == {"campos": ["extra"]}
    status, body = seller_api("PUT", "/api/v1/erp", {"url": "http://erp.tienda.example/"})
    assert status == 400 and body["error"] == "invalid_erp_url" and "https" in body["message"]
    assert adapters.erp_endpoints.endpoints == {}


def test_every_erp_route_needs_the_api_key(seller_api: Any) -> None:
    for method, path in (
        ("GET", "/api/v1/erp"),
        ("PUT", "/api/v1/erp"),
        ("POST", "/api/v1/erp/rotate-secret"),
        ("POST", "/api/v1/erp/test"),
        ("GET", "/api/v1/erp/deliveries"),
        ("POST", "/api/v1/erp/deliveries/abc/redeliver"),
    ):
        assert seller_api(method, path, {"url": URL}, key="otra")[0] == 401, path


def test_an_unconfigured_erp_is_404_for_show_rotate_and_test(seller_api: Any) -> None:
    for method, path in (
        ("GET", "/api/v1/erp"),
        ("POST", "/api/v1/erp/rotate-secret"),
        ("POST", "/api/v1/erp/test"),
    ):
        status, body = seller_api(method, path)
        assert status == 404 and "no está configurado" in body["message"], path


def test_rotate_and_test_answer_with_the_new_secret_and_the_erps_answer(
    seller_api: Any, adapters: FakeAdapters
) -> None:
    _, created = seller_api("PUT", "/api/v1/erp", {"url": URL})
    status, rotated = seller_api("POST", "/api/v1/erp/rotate-secret")
    assert status == 200 and rotated["signing_secret"] != created["signing_secret"]
    adapters.erp_poster.answers = [PostResult(status_code=503, error="El ERP respondió HTTP 503.")]
    status, tested = seller_api("POST", "/api/v1/erp/test")
    assert status == 200 and tested["delivered"] is False and tested["status_code"] == 503


def test_deliveries_are_listed_and_one_can_be_redelivered(
    seller_api: Any, adapters: FakeAdapters, forwarder: Any
) -> None:
    seller_api("PUT", "/api/v1/erp", {"url": URL})
    event = invoice_stamped()
    adapters.documents.objects[event["detail"]["xml_key"]] = STAMPED_XML
    forwarder(sqs_event([{"MessageId": "m1", "ReceiptHandle": "r1", "Body": json.dumps(event)}]))

    status, listed = seller_api("GET", "/api/v1/erp/deliveries")
    assert status == 200
    [one] = listed["deliveries"]
    assert one["delivery_id"] == event["id"] and one["status"] == "entregada"
    assert seller_api("GET", "/api/v1/erp/deliveries", limit="0")[0] == 400

    status, requeued = seller_api("POST", f"/api/v1/erp/deliveries/{event['id']}/redeliver")
    assert status == 202 and requeued["status"] == "pendiente" and requeued["round"] == 1
    assert len(adapters.erp_queue.sent) == 1
    status, body = seller_api("POST", "/api/v1/erp/deliveries/no-existe/redeliver")
    assert status == 404 and body["message"] == "Envío no encontrado."


def test_the_forwarder_reports_only_the_failed_record_and_delays_it(
    adapters: FakeAdapters, seller_api: Any, forwarder: Any
) -> None:
    seller_api("PUT", "/api/v1/erp", {"url": URL})
    first, second = invoice_stamped(), invoice_stamped(uuid_="5A1B3C4D-0000-4000-8000-0000000000B2")
    for event in (first, second):
        adapters.documents.objects[event["detail"]["xml_key"]] = STAMPED_XML
    adapters.erp_poster.answers = [PostResult(status_code=200), PostResult(status_code=500)]
    response = forwarder(
        sqs_event(
            [
                {"MessageId": "ok", "ReceiptHandle": "r-ok", "Body": json.dumps(first)},
                {"MessageId": "later", "ReceiptHandle": "r-later", "Body": json.dumps(second)},
            ]
        )
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "later"}]}
    assert adapters.erp_queue.hidden == [("r-later", 60)]


def test_a_malformed_global_event_fails_alone_and_comes_back_until_the_dlq(
    adapters: FakeAdapters, seller_api: Any, forwarder: Any
) -> None:
    seller_api("PUT", "/api/v1/erp", {"url": URL})
    good = invoice_stamped()
    adapters.documents.objects[good["detail"]["xml_key"]] = STAMPED_XML
    bad = global_invoice_stamped()
    del bad["detail"]["run_id"]
    response = forwarder(
        sqs_event(
            [
                {"MessageId": "ok", "ReceiptHandle": "r-ok", "Body": json.dumps(good)},
                {"MessageId": "bad", "ReceiptHandle": "r-bad", "Body": json.dumps(bad)},
            ]
        )
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    # No delay of ours: it comes back after the queue's visibility timeout, and the queue's
    # maxReceiveCount moves it to ErpDLQ, where `postventa dlq` shows and redrives it.
    assert adapters.erp_queue.hidden == []
    assert len(adapters.erp_poster.posted) == 1
    assert list(adapters.erp_deliveries.records) == [("tienda", good["id"])]
