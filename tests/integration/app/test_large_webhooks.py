"""Large webhooks on moto: every body within the limit is queued (inline or claim-checked in S3)
and ingested whole; bodies that are not UTF-8 are refused before anything is queued."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from .conftest import Cloud, http_event

pytestmark = pytest.mark.integration

SQS_DEFAULT_MAX_MESSAGE = 262_144  # what a queue created with the classic default accepts


@pytest.fixture
def bucket(cloud: Cloud) -> Iterator[Any]:
    """The documents bucket, plus the orders queue held to the classic 256 KiB message size."""
    import boto3

    from postventa.settings import get_settings

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=get_settings().documents_bucket)
    cloud.sqs.set_queue_attributes(
        QueueUrl=cloud.queue_url, Attributes={"MaximumMessageSize": str(SQS_DEFAULT_MAX_MESSAGE)}
    )
    yield s3


def stored_keys(s3: Any) -> list[str]:
    from postventa.settings import get_settings

    listing = s3.list_objects_v2(Bucket=get_settings().documents_bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def big_order(order_id: int, min_bytes: int) -> dict[str, Any]:
    """The sample orders/paid grown with line items until its JSON reaches min_bytes."""
    from postventa.services.demo import sample_orders_paid

    order = sample_orders_paid(order_id)
    template = order["line_items"][0]
    order["line_items"] = []
    while len(json.dumps(order, ensure_ascii=False).encode("utf-8")) < min_bytes:
        n = len(order["line_items"]) + 1
        item = copy.deepcopy(template)
        item.update(
            id=14523698740000 + n,
            variant_id=45123456700000 + n,
            sku=f"PLY-ORG-{n:04d}",
            title=f"Playera de algodón orgánico, edición «{n}»",
            quantity=1,
            price="100.00",
            discount_allocations=[],
        )
        order["line_items"].append(item)
    total = 100 * len(order["line_items"]) + 99
    order.update(
        total_line_items_price=f"{total - 99}.00", total_discounts="0.00", total_price=f"{total}.00"
    )
    order["discount_codes"], order["discount_applications"] = [], []
    return order


def post(cloud: Cloud, raw: bytes, headers: dict[str, str], *, base64_body: bool = False) -> Any:
    event = http_event(
        "POST",
        "/webhooks/shopify/demo",
        body=raw,
        headers=headers,
        route="/webhooks/{channel}/{tenant_id}",
        path_params={"channel": "shopify", "tenant_id": "demo"},
        base64_body=base64_body,
    )
    return cloud.call("webhooks", event)


def signed(raw: bytes, order_id: int) -> dict[str, str]:
    """Shopify's headers for an arbitrary raw body (the body is not built from a dict)."""
    from postventa.channels.base import sign_base64_hmac
    from postventa.services.demo import shopify_webhook_request

    _, headers = shopify_webhook_request({"id": order_id}, "demo-secret")
    headers["x-shopify-hmac-sha256"] = sign_base64_hmac(raw, "demo-secret")
    return headers


def stored_order(order_id: int) -> Any:
    from postventa.storage.orders import get_order

    return get_order("demo", "shopify", str(order_id))


def test_a_220_kb_paid_order_is_kept_in_s3_queued_by_key_and_ingested_with_every_line(
    cloud: Cloud, bucket: Any
) -> None:
    from postventa.services.demo import shopify_webhook_request

    order = big_order(7001, 220_000)
    raw, headers = shopify_webhook_request(order, "demo-secret")
    assert len(raw) >= 220_000

    response = post(cloud, raw, headers)

    assert response["statusCode"] == 200, response["body"]
    [key] = stored_keys(bucket)
    today = datetime.now(UTC)
    assert key.startswith(f"webhooks/demo/shopify/{today:%Y/%m/%d}/")
    assert bucket.get_object(Bucket="postventa-documents", Key=key)["Body"].read() == raw
    [queued] = cloud.queued()
    message = json.loads(queued["Body"])
    assert message["body"] is None and message["body_s3_key"] == key
    assert len(queued["Body"]) < 2_000

    result = cloud.call("ingest_orders", cloud.sqs_event([queued]))

    assert result == {"batchItemFailures": []}
    stored = stored_order(7001)
    assert stored is not None
    assert len(stored.order.lines) == len(order["line_items"]) > 200
    assert [line.sku for line in stored.order.lines] == [i["sku"] for i in order["line_items"]]
    assert str(stored.order.total_paid) == order["total_price"]
    assert stored_keys(bucket) == [key]  # ingest reads, never deletes (lifecycle rule does)


def test_a_small_order_stays_inline_and_nothing_is_written_to_s3(cloud: Cloud, bucket: Any) -> None:
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    raw, headers = shopify_webhook_request(sample_orders_paid(7002), "demo-secret")

    assert post(cloud, raw, headers)["statusCode"] == 200

    [queued] = cloud.queued()
    message = json.loads(queued["Body"])
    assert message["body_s3_key"] is None and message["body"] == raw.decode("utf-8")
    assert stored_keys(bucket) == []
    assert cloud.call("ingest_orders", cloud.sqs_event([queued])) == {"batchItemFailures": []}
    assert stored_order(7002) is not None


def test_a_body_at_the_size_limit_that_would_overflow_the_queue_once_escaped_is_accepted(
    cloud: Cloud, bucket: Any
) -> None:
    from postventa.channels.base import QueuedWebhook
    from postventa.services.demo import sample_orders_paid
    from postventa.settings import get_settings

    limit = get_settings().max_webhook_body_bytes
    order = sample_orders_paid(7003)
    order["note"] = ""
    base = len(json.dumps(order, ensure_ascii=False).encode("utf-8"))
    order["note"] = '"' * ((limit - base) // 2)  # each quote is two bytes in the raw JSON
    raw = json.dumps(order, ensure_ascii=False).encode("utf-8")
    assert limit - 4 <= len(raw) <= limit
    inline = QueuedWebhook(
        tenant_id="demo", channel="shopify", body=raw.decode(), received_at=datetime.now(UTC)
    ).model_dump_json()
    assert len(inline.encode("utf-8")) > SQS_DEFAULT_MAX_MESSAGE  # inline would have failed

    response = post(cloud, raw, signed(raw, 7003))

    assert response["statusCode"] == 200, response["body"]
    assert len(stored_keys(bucket)) == 1
    assert cloud.call("ingest_orders", cloud.sqs_event(cloud.queued())) == {"batchItemFailures": []}
    assert stored_order(7003) is not None


def test_a_signed_utf16_body_is_refused_with_400_and_nothing_is_queued(
    cloud: Cloud, bucket: Any
) -> None:
    from postventa.services.demo import sample_orders_paid

    raw = json.dumps(sample_orders_paid(7004), ensure_ascii=False).encode("utf-16")
    assert json.loads(raw)["id"] == 7004  # valid JSON, just not UTF-8

    response = post(cloud, raw, signed(raw, 7004), base64_body=True)

    assert response["statusCode"] == 400
    assert "UTF-8" in json.loads(response["body"])["message"]
    assert cloud.queued() == [] and stored_keys(bucket) == []


def test_a_redelivery_after_a_failed_s3_write_is_queued_not_taken_for_a_duplicate(
    cloud: Cloud, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postventa.services import webhooks
    from postventa.services.demo import shopify_webhook_request

    raw, headers = shopify_webhook_request(big_order(7005, 210_000), "demo-secret")

    def s3_down(*args: Any, **kwargs: Any) -> str:
        raise ConnectionError("S3 unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(webhooks, "put_webhook_payload", s3_down)
        with pytest.raises(ConnectionError):  # the function fails: the gateway answers 500
            post(cloud, raw, headers)
    assert cloud.queued() == []

    assert post(cloud, raw, headers)["statusCode"] == 200  # same delivery id, retried
    assert len(cloud.queued()) == 1 and len(stored_keys(bucket)) == 1


def test_a_claim_check_pointing_into_another_tenants_prefix_is_not_ingested(
    cloud: Cloud, bucket: Any
) -> None:
    from postventa.channels.base import QueuedWebhook
    from postventa.services.demo import sample_orders_paid

    key = "webhooks/otra-tienda/shopify/2025/06/12/x.json"
    bucket.put_object(
        Bucket="postventa-documents", Key=key, Body=json.dumps(sample_orders_paid(7006)).encode()
    )
    forged = QueuedWebhook(
        tenant_id="demo",
        channel="shopify",
        topic="orders/paid",
        body_s3_key=key,
        received_at=datetime.now(UTC),
    )
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=forged.model_dump_json())
    [queued] = cloud.queued()

    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError, match="outside the tenant's prefix"):
        cloud.call("ingest_orders", cloud.sqs_event([queued]))  # the message is not deleted

    assert stored_order(7006) is None
