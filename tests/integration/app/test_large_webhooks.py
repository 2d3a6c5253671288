"""Large webhooks on the embedded cloud: a body too large for an SQS message is kept in S3 (claim
check), queued by key and ingested whole; a forged key into another tenant's prefix is refused."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.events import sqs_event

from .conftest import App

pytestmark = pytest.mark.integration


def stored_keys(app: App) -> list[str]:
    bucket = app.cloud.stack.buckets["DocumentsBucket"]
    listing = app.cloud.client("s3").list_objects_v2(Bucket=bucket)
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


def stored_order(app: App, order_id: int) -> Any:
    return app.order(str(order_id))


def test_a_220_kb_paid_order_is_kept_in_s3_queued_by_key_and_ingested_with_every_line(
    app: App,
) -> None:
    order = big_order(7001, 220_000)

    response = app.post_webhook(order)

    assert response["statusCode"] == 200, response["body"]
    [key] = stored_keys(app)
    assert key.startswith(f"webhooks/demo/shopify/{datetime.now(UTC):%Y/%m/%d}/")
    [queued] = app.queued()
    message = json.loads(queued["Body"])
    assert message["body"] is None and message["body_s3_key"] == key
    assert len(queued["Body"]) < 2_000

    result = app.call("IngestOrdersFunction", sqs_event([queued]))

    assert result == {"batchItemFailures": []}
    stored = stored_order(app, 7001)
    assert stored is not None
    assert len(stored.order.lines) == len(order["line_items"]) > 200
    assert [line.sku for line in stored.order.lines] == [i["sku"] for i in order["line_items"]]
    assert str(stored.order.total_paid) == order["total_price"]
    assert stored_keys(app) == [key]  # ingest reads, never deletes (the lifecycle rule does)


def test_a_claim_check_pointing_into_another_tenants_prefix_is_not_ingested(app: App) -> None:
    from postventa.channels.base import QueuedWebhook
    from postventa.services.demo import sample_orders_paid

    key = "webhooks/otra-tienda/shopify/2025/06/12/x.json"
    app.cloud.client("s3").put_object(
        Bucket=app.cloud.stack.buckets["DocumentsBucket"],
        Key=key,
        Body=json.dumps(sample_orders_paid(7006)).encode(),
    )
    forged = QueuedWebhook(
        tenant_id="demo",
        channel="shopify",
        topic="orders/paid",
        body_s3_key=key,
        received_at=datetime.now(UTC),
    )
    sqs = app.cloud.client("sqs")
    sqs.send_message(
        QueueUrl=app.cloud.stack.queues["OrdersQueue"], MessageBody=forged.model_dump_json()
    )
    [queued] = app.queued()

    result = app.cloud.invoke("IngestOrdersFunction", sqs_event([queued]))

    assert result.errored and "outside the tenant's prefix" in result.payload
    assert stored_order(app, 7006) is None
