"""Receiving a webhook: verify before parsing, queue once, claim-check big bodies."""

from __future__ import annotations

import json

import pytest

from postventa.channels.base import QueuedWebhook, sign_base64_hmac
from postventa.errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
)
from postventa.services.webhooks import INLINE_MESSAGE_LIMIT_BYTES, receive_webhook
from tests.support.fakes import FakeAdapters


def shopify(body: dict[str, object] | bytes, *, topic: str = "orders/paid", **extra: str):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_base64_hmac(raw, "s3creto"),
        "X-Shopify-Event-Id": "evt-1",
        **extra,
    }
    return raw, headers


def test_a_signed_paid_order_is_queued_once_with_its_exact_body(adapters: FakeAdapters) -> None:
    raw, headers = shopify({"id": 1, "financial_status": "paid", "line_items": [{"sku": "A"}]})
    outcome = receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert outcome.queued and outcome.reason == "queued" and not outcome.stored_in_s3
    [message] = adapters.queue.messages
    queued = QueuedWebhook.model_validate_json(message)
    assert queued.body == raw.decode() and queued.tenant_id == "tienda"
    again = receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert (again.queued, again.reason) == (False, "duplicate")
    assert len(adapters.queue.messages) == 1


def test_a_wrong_signature_is_refused_before_anything_is_stored(adapters: FakeAdapters) -> None:
    raw, headers = shopify({"id": 1, "line_items": [{"sku": "A"}]})
    headers["X-Shopify-Hmac-Sha256"] = sign_base64_hmac(raw, "otro-secreto")
    with pytest.raises(UnauthorizedError):
        receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert adapters.queue.messages == [] and adapters.deliveries.seen == set()


def test_an_unknown_tenant_is_not_found(adapters: FakeAdapters) -> None:
    raw, headers = shopify({"id": 1, "line_items": [{"sku": "A"}]})
    with pytest.raises(NotFoundError):
        receive_webhook("shopify", "otra", raw, headers, adapters)


def test_topics_that_are_not_paid_orders_are_acknowledged_and_ignored(
    adapters: FakeAdapters,
) -> None:
    raw, headers = shopify({"id": 1}, topic="orders/create")
    outcome = receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert (outcome.queued, outcome.reason) == (False, "ignored_topic")
    assert adapters.queue.messages == []


def test_a_body_over_the_limit_is_refused(adapters: FakeAdapters) -> None:
    raw, headers = shopify(b"x" * (adapters.settings.max_webhook_body_bytes + 1))
    with pytest.raises(PayloadTooLargeError):
        receive_webhook("shopify", "tienda", raw, headers, adapters)


def test_a_body_too_large_for_the_queue_travels_as_a_claim_check(adapters: FakeAdapters) -> None:
    note = "é" * (INLINE_MESSAGE_LIMIT_BYTES // 2 + 1000)  # two bytes each in UTF-8
    raw, headers = shopify(
        json.dumps(
            {"id": 1, "line_items": [{"sku": "A"}], "note": note}, ensure_ascii=False
        ).encode()
    )
    outcome = receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert outcome.queued and outcome.stored_in_s3
    queued = QueuedWebhook.model_validate_json(adapters.queue.messages[0])
    assert queued.body is None and queued.body_s3_key is not None
    assert adapters.payloads.objects[queued.body_s3_key] == raw


def test_when_queueing_fails_the_delivery_is_forgotten_so_the_channels_retry_counts(
    adapters: FakeAdapters,
) -> None:
    raw, headers = shopify({"id": 1, "line_items": [{"sku": "A"}]})
    adapters.queue.fail_with = RuntimeError("SQS no responde")
    with pytest.raises(RuntimeError):
        receive_webhook("shopify", "tienda", raw, headers, adapters)
    adapters.queue.fail_with = None
    assert receive_webhook("shopify", "tienda", raw, headers, adapters).queued


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),  # deeper than the parser goes
        (b"{}", "identificador"),
        (b'{"id": "../x", "line_items": [{}]}', "identificador"),
        (b'{"id": {"a": 1}, "line_items": [{}]}', "identificador"),
        (b'{"id": 7, "line_items": []}', "partidas"),
        (b'{"id": 7, "line_items": [' + b",".join([b"{}"] * 16_500) + b"]}", "16,500 partidas"),
        ('{"id": 7}'.encode("utf-16"), "UTF-8"),
    ],
    ids=["deep-nesting", "empty", "path-id", "object-id", "no-lines", "16500-lines", "utf16"],
)
def test_a_signed_body_that_cannot_become_an_order_is_a_400_and_nothing_is_queued(
    adapters: FakeAdapters, body: bytes, says: str
) -> None:
    raw, headers = shopify(body)
    with pytest.raises(BadRequestError, match=says):
        receive_webhook("shopify", "tienda", raw, headers, adapters)
    assert adapters.queue.messages == [] and adapters.deliveries.seen == set()


def test_a_delivery_id_longer_than_a_dynamodb_key_is_still_deduplicated() -> None:
    from postventa.storage.keys import webhook_delivery_key

    key = webhook_delivery_key("tienda", "shopify", "e" * 10_000)
    assert len(key["pk"].encode()) < 200
    assert key != webhook_delivery_key("tienda", "shopify", "e" * 9_999)


def test_when_the_claim_check_write_fails_the_delivery_is_forgotten(
    adapters: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = "é" * (INLINE_MESSAGE_LIMIT_BYTES // 2 + 1000)
    body = {"id": 1, "line_items": [{"sku": "A"}], "note": note}
    raw, headers = shopify(json.dumps(body, ensure_ascii=False).encode())

    def s3_down(*args: object) -> str:
        raise ConnectionError("S3 no responde")

    monkeypatch.setattr(adapters.payloads, "put", s3_down)
    with pytest.raises(ConnectionError):
        receive_webhook("shopify", "tienda", raw, headers, adapters)
    monkeypatch.undo()
    assert receive_webhook("shopify", "tienda", raw, headers, adapters).stored_in_s3
