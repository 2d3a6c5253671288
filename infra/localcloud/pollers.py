"""SQS event sources: one polling thread per queue -> function mapping.

moto's own event-source mapping runs the handler inside SendMessage, one record, and never
redelivers, so the local cloud polls like the Lambda service does: receive up to BatchSize,
invoke with an SQS event, delete what succeeded. Failed records stay in the queue, reappear after
the visibility timeout, and moto moves them to the DLQ on receive once maxReceiveCount is reached.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from localcloud.lambda_runtime import InvokeResult
from localcloud.specs import SqsSource

log = logging.getLogger(__name__)

Invoke = Callable[[str, Any], InvokeResult]


def sqs_event(messages: list[dict[str, Any]], source: SqsSource, region: str) -> dict[str, Any]:
    """The Lambda SQS event for a batch of ReceiveMessage results."""
    records = []
    for m in messages:
        attributes = dict(m.get("Attributes") or {})
        message_attributes = {}
        for name, attr in (m.get("MessageAttributes") or {}).items():
            message_attributes[name] = {
                "stringValue": attr.get("StringValue"),
                "binaryValue": attr.get("BinaryValue"),
                "stringListValues": attr.get("StringListValues", []),
                "binaryListValues": attr.get("BinaryListValues", []),
                "dataType": attr.get("DataType"),
            }
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m.get("Body", ""),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": source.queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def settle_batch(
    messages: list[dict[str, Any]], result: InvokeResult, report_failures: bool
) -> list[dict[str, Any]]:
    """The messages to delete after an invocation, following Lambda's rules."""
    if result.errored:
        return []
    if not report_failures:
        return list(messages)
    try:
        value = result.value()
    except ValueError:
        return []
    if not isinstance(value, dict) or not value.get("batchItemFailures"):
        return list(messages)  # null / {} / empty list: the whole batch succeeded
    failed = set()
    for item in value["batchItemFailures"]:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident:
            return []  # malformed response: Lambda treats the whole batch as failed
        failed.add(ident)
    return [m for m in messages if m["MessageId"] not in failed]


class SqsPoller:
    """Polls one queue for one function until stopped."""

    def __init__(
        self,
        source: SqsSource,
        sqs: Any,
        invoke: Invoke,
        *,
        region: str,
        wait_seconds: int = 1,
    ) -> None:
        self.source = source
        self.sqs = sqs
        self.invoke = invoke
        self.region = region
        self.wait_seconds = wait_seconds
        self.batches = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        name = f"sqs-poller-{self.source.function}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def poll_once(self) -> int:
        """Receive one batch, invoke, settle. Returns how many messages were received."""
        resp = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=self.source.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages") or []
        if not messages:
            return 0
        self.batches += 1
        result = self.invoke(self.source.function, sqs_event(messages, self.source, self.region))
        to_delete = settle_batch(messages, result, self.source.report_batch_item_failures)
        if to_delete:
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(to_delete)
                ],
            )
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("error al sondear %s", self.source.queue_url)
                self._stop.wait(1.0)
