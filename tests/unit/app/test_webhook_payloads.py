"""Claim check for large webhook bodies: when a message goes to S3, where, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postventa.channels.base import QueuedWebhook
from postventa.errors import BadRequestError
from postventa.services.webhooks import INLINE_MESSAGE_LIMIT_BYTES, fits_inline, webhook_text
from postventa.storage.payloads import (
    WEBHOOKS_PREFIX,
    PayloadKeyError,
    S3Payloads,
    tenant_webhooks_prefix,
    webhook_payload_key,
)

AT = datetime(2025, 6, 12, 17, 2, 37, tzinfo=UTC)


def message(body: str) -> str:
    return QueuedWebhook(
        tenant_id="demo", channel="shopify", topic="orders/paid", body=body, received_at=AT
    ).model_dump_json()


# ---------------------------------------------------------------- size decision


def test_a_small_message_travels_inline() -> None:
    assert fits_inline(message(json.dumps({"id": 1, "line_items": [{"title": "Taza"}]})))


def test_a_message_over_the_limit_goes_to_s3() -> None:
    assert not fits_inline("x" * (INLINE_MESSAGE_LIMIT_BYTES + 1))
    assert fits_inline("x" * INLINE_MESSAGE_LIMIT_BYTES)


def test_the_limit_is_measured_in_utf8_bytes_not_characters() -> None:
    text = "ñ" * (INLINE_MESSAGE_LIMIT_BYTES // 2 + 1)  # fewer characters than the limit
    assert len(text) < INLINE_MESSAGE_LIMIT_BYTES
    assert not fits_inline(text)


def test_json_escaping_can_push_a_body_under_the_limit_over_it() -> None:
    raw = json.dumps({"note": '"\\' * 40_000})  # ~160 KB of quotes and backslashes
    assert len(raw.encode("utf-8")) < INLINE_MESSAGE_LIMIT_BYTES
    queued = message(raw)
    assert len(queued.encode("utf-8")) > INLINE_MESSAGE_LIMIT_BYTES
    assert not fits_inline(queued)


@pytest.mark.parametrize("char", ["\ufffe", "\uffff"])
def test_characters_sqs_refuses_send_the_body_to_s3(char: str) -> None:
    assert not fits_inline(message(json.dumps({"note": f"a{char}b"}, ensure_ascii=False)))


def test_control_characters_are_escaped_by_json_so_they_stay_inline() -> None:
    assert fits_inline(message(json.dumps({"note": "a\x01\x1fb"}, ensure_ascii=False)))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_the_queued_message_returns_the_body_exactly(body: str) -> None:
    assert QueuedWebhook.model_validate_json(message(body)).body == body


# ---------------------------------------------------------------- message shape


def test_a_queued_message_carries_the_body_or_its_key_never_both_nor_neither() -> None:
    common = {"tenant_id": "demo", "channel": "shopify", "received_at": AT}
    with pytest.raises(ValueError):
        QueuedWebhook(**common)
    with pytest.raises(ValueError):
        QueuedWebhook(**common, body="{}", body_s3_key="webhooks/demo/shopify/x.json")
    claim = QueuedWebhook(**common, body_s3_key="webhooks/demo/shopify/x.json")
    assert QueuedWebhook.model_validate_json(claim.model_dump_json()) == claim


def test_a_claim_checked_body_cannot_be_read_before_it_is_loaded() -> None:
    claim = QueuedWebhook(
        tenant_id="demo", channel="shopify", body_s3_key="webhooks/demo/a.json", received_at=AT
    )
    with pytest.raises(ValueError, match="not loaded"):
        _ = claim.text
    assert QueuedWebhook(tenant_id="demo", channel="shopify", body="{}", received_at=AT).text == (
        "{}"
    )


# ---------------------------------------------------------------- key layout


def test_the_key_starts_with_the_lifecycle_prefix_then_tenant_channel_and_utc_day() -> None:
    key = webhook_payload_key("demo", "shopify", AT, payload_id="abc")
    assert key == "webhooks/demo/shopify/2025/06/12/abc.json"
    assert key.startswith(WEBHOOKS_PREFIX)
    assert key.split("/")[1] == "demo"


def test_every_key_is_new_and_under_its_tenant_prefix() -> None:
    keys = {webhook_payload_key("tienda-1", "woocommerce", AT) for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith(tenant_webhooks_prefix("tienda-1")) for k in keys)


@pytest.mark.parametrize("tenant", ["", "a/b", "/"])
def test_a_tenant_id_that_could_escape_its_prefix_is_refused(tenant: str) -> None:
    with pytest.raises(PayloadKeyError):
        webhook_payload_key(tenant, "shopify", AT)


@pytest.mark.parametrize(
    "key",
    [
        "webhooks/other/shopify/2025/06/12/a.json",
        "webhooks/demo-2/shopify/2025/06/12/a.json",  # "demo" is a string prefix of "demo-2"
        "webhooks/demo/../other/shopify/a.json",
        "tenants/demo/invoices/a.xml",
        "demo/shopify/a.json",
    ],
)
def test_reading_a_key_outside_the_tenants_own_prefix_is_refused_before_s3(key: str) -> None:
    with pytest.raises(PayloadKeyError):
        S3Payloads(None, "bucket").get("demo", key)  # no S3 client: it never gets that far


# ---------------------------------------------------------------- decoding


def test_a_utf16_body_is_a_bad_request_in_spanish() -> None:
    raw = json.dumps({"id": 1, "nota": "año"}).encode("utf-16")
    assert json.loads(raw)  # json.loads alone would have accepted it
    with pytest.raises(BadRequestError) as info:
        webhook_text(raw)
    assert info.value.status_code == 400
    assert "UTF-8" in info.value.message and "debe" in info.value.message


def test_a_utf8_byte_order_mark_is_dropped() -> None:
    text = webhook_text(b"\xef\xbb\xbf" + '{"nota": "año"}'.encode())
    assert json.loads(text) == {"nota": "año"}


def test_utf8_bodies_decode_unchanged() -> None:
    body = '{"título": "Taza de barro", "emoji": "🌮"}'
    assert webhook_text(body.encode("utf-8")) == body
