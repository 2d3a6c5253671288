"""The orders DLQ: a message that failed every receive is listed without its body and, once the
cause is fixed, redriven to the orders queue and ingested."""

from __future__ import annotations

import pytest

from postventa.messaging.dead_letters import peek, redrive, source_queue

from .conftest import App, sample

pytestmark = pytest.mark.integration


def test_a_dead_letter_is_listed_without_its_body_and_redriven_to_its_queue(app: App) -> None:
    sqs = app.cloud.client("sqs")
    dlq = app.cloud.stack.queues["OrdersDLQ"]
    app.post_webhook(sample())
    [message] = app.queued()
    sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])  # as SQS moves a poison message
    assert source_queue(sqs, dlq) == app.cloud.stack.queues["OrdersQueue"]

    [letter] = peek(sqs, dlq)
    assert "tenant_id=demo" in letter.summary and "channel=shopify" in letter.summary
    assert "comprador" not in letter.summary  # the buyer's data stays in the body

    assert redrive(sqs, dlq) == 1
    assert peek(sqs, dlq) == []
    app.drain()
    app.wait_status("solicitud_enviada")
