"""The ERP adapters on moto in-process: the delivery log's conditional writes and listing, the
settings and their secret, the invoice files by tenant, the queue's delays."""

from __future__ import annotations

from typing import Any

import pytest

from postventa.aws import client
from postventa.domain.erp import AttemptOutcome, DeliveryStatus, ErpDelivery, ErpEndpoint
from postventa.errors import BadRequestError
from postventa.messaging.queue import SqsErpQueue
from postventa.storage.documents import InvoiceKeyError, S3Documents
from postventa.storage.erp import DynamoErpDeliveries, DynamoErpEndpoints, erp_secret_name

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws")]

AT = "2026-11-20T16:00:00.000Z"


def new(delivery_id: str, created_at: str = AT, tenant_id: str = "tienda") -> ErpDelivery:
    return ErpDelivery(
        tenant_id=tenant_id,
        delivery_id=delivery_id,
        event_type="InvoiceStamped",
        uuid="U-1",
        created_at=created_at,
        updated_at=created_at,
        event={"id": delivery_id, "detail": {"total": "599.00", "folio": 17}},
    )


def test_a_delivery_is_opened_once_and_keeps_its_event(table: Any) -> None:
    log = DynamoErpDeliveries(table)
    first = log.open(new("e-1"))
    again = log.open(new("e-1", created_at="2026-11-21T00:00:00.000Z"))
    assert again == first and again.event["detail"] == {"total": "599.00", "folio": 17}
    item = table.get_item(Key={"pk": "T#tienda#ERP#DELIVERY#e-1", "sk": "DELIVERY"})["Item"]
    assert int(item["expires_at"]) > 1_700_000_000  # the table's TTL ends it after 90 days


def test_one_attempt_at_a_time_and_none_once_settled(table: Any) -> None:
    log = DynamoErpDeliveries(table)
    delivery = log.open(new("e-1"))
    assert log.claim(delivery, now=1000, lease_seconds=60, at=AT)
    assert not log.claim(delivery, now=1030, lease_seconds=60, at=AT)  # lease held
    retrying = AttemptOutcome(
        status=DeliveryStatus.RETRYING, status_code=503, error="HTTP 503", next_retry_at=AT
    )
    assert log.finish(delivery, retrying, at=AT)
    stored = log.get("tienda", "e-1")
    assert stored is not None and stored.attempts == 1 and stored.lease_until is None
    assert (stored.status, stored.last_status_code, stored.next_retry_at) == (
        DeliveryStatus.RETRYING,
        503,
        AT,
    )
    assert log.claim(delivery, now=1031, lease_seconds=60, at=AT)  # lease released
    done = AttemptOutcome(status=DeliveryStatus.DELIVERED, status_code=200, delivered_at=AT)
    assert log.finish(delivery, done, at=AT)
    stored = log.get("tienda", "e-1")
    assert stored is not None and stored.attempts == 2 and stored.delivered_at == AT
    assert stored.last_error is None and stored.next_retry_at is None
    assert not log.claim(delivery, now=5000, lease_seconds=60, at=AT)  # settled


def test_reopening_starts_a_new_round_and_stales_the_old_one(table: Any) -> None:
    log = DynamoErpDeliveries(table)
    delivery = log.open(new("e-1"))
    log.claim(delivery, now=1000, lease_seconds=60, at=AT)
    reopened = log.reopen("tienda", "e-1", at=AT)
    assert reopened is not None and reopened.round == 1 and reopened.attempts == 0
    assert reopened.status is DeliveryStatus.PENDING and reopened.lease_until is None
    done = AttemptOutcome(status=DeliveryStatus.DELIVERED, status_code=200, delivered_at=AT)
    assert not log.finish(delivery, done, at=AT)  # the old round's attempt ended late
    assert not log.claim(delivery, now=2000, lease_seconds=60, at=AT)
    assert log.claim(reopened, now=2000, lease_seconds=60, at=AT)
    assert log.reopen("tienda", "nope", at=AT) is None
    assert log.reopen("otra", "e-1", at=AT) is None


def test_the_listing_is_newest_first_per_tenant_and_its_cursor_stays_in_it(table: Any) -> None:
    log = DynamoErpDeliveries(table)
    for i in range(3):
        log.open(new(f"e-{i}", created_at=f"2026-11-20T16:00:0{i}.000Z"))
    log.open(new("other", tenant_id="otra"))
    page = log.list_recent("tienda", 2)
    assert [d.delivery_id for d in page.deliveries] == ["e-2", "e-1"] and page.next_cursor
    rest = log.list_recent("tienda", 2, page.next_cursor)
    assert [d.delivery_id for d in rest.deliveries] == ["e-0"] and rest.next_cursor is None
    with pytest.raises(BadRequestError):
        log.list_recent("otra", 2, page.next_cursor)


def test_a_global_invoices_delivery_keeps_its_period_and_run_and_names_no_order(
    table: Any,
) -> None:
    log = DynamoErpDeliveries(table)
    global_cfdi = new("g-1").model_copy(
        update={
            "event_type": "GlobalInvoiceStamped",
            "period": "2026-11-01.04",
            "run_id": "2026-11-01.04#001",
        }
    )
    log.open(global_cfdi)
    [listed] = log.list_recent("tienda", 5).deliveries
    assert listed == log.get("tienda", "g-1") == global_cfdi
    view = listed.public_view()
    assert (view["period"], view["run_id"]) == ("2026-11-01.04", "2026-11-01.04#001")
    assert "channel" not in view and "order_id" not in view


def test_settings_in_the_table_and_the_secret_in_secrets_manager(table: Any) -> None:
    endpoints = DynamoErpEndpoints(table, client("secretsmanager"))
    assert endpoints.get("tienda") is None and endpoints.signing_secret("tienda") is None
    endpoint = ErpEndpoint(
        tenant_id="tienda",
        url="https://erp.example.com/in",
        enabled=True,
        created_at=AT,
        updated_at=AT,
        secret_rotated_at=AT,
    )
    endpoints.put(endpoint)
    endpoints.put_signing_secret("tienda", "pverp_uno")
    endpoints.put_signing_secret("tienda", "pverp_dos")  # rotation replaces it
    assert endpoints.get("tienda") == endpoint
    assert endpoints.signing_secret("tienda") == "pverp_dos"
    assert erp_secret_name("tienda") == "postventa/tenants/tienda/erp"
    items = table.scan()["Items"]
    assert "pverp_dos" not in repr(items) and "pverp_uno" not in repr(items)


def test_invoice_documents_are_read_and_written_only_under_the_tenants_prefix() -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="docs")
    s3.put_object(Bucket="docs", Key="invoices/tienda/2026/x.xml", Body=b"<x/>")
    s3.put_object(Bucket="docs", Key="invoices/otra/2026/x.xml", Body=b"<y/>")
    files = S3Documents(s3, "docs")
    assert files.get("tienda", "invoices/tienda/2026/x.xml") == b"<x/>"
    assert files.get("tienda", "invoices/tienda/2026/missing.xml") is None
    for key in ("invoices/otra/2026/x.xml", "invoices/tiendas/x.xml", "webhooks/tienda/x"):
        with pytest.raises(InvoiceKeyError):
            files.get("tienda", key)
        with pytest.raises(InvoiceKeyError):
            files.put("tienda", key, b"<z/>", "application/xml")
        with pytest.raises(InvoiceKeyError):
            files.download_url("tienda", key, "x.xml", 60)


def test_retry_later_hides_the_message_until_its_delay_passes() -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="erp", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    queue = SqsErpQueue(sqs, url)
    queue.send('{"x": 1}')
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    queue.retry_later(message["ReceiptHandle"], 600)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
