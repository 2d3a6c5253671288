"""SQS event sources, polled as the Lambda service polls them.

moto's own event-source mapping runs the handler inside SendMessage, one record, and never
redelivers, so the local cloud polls like the Lambda service does: receive up to BatchSize,
invoke with an SQS event, delete what succeeded. Failed records stay in the queue, reappear after
the visibility timeout, and moto moves them to the DLQ on receive once maxReceiveCount is reached.

Concurrency follows Lambda's scaling for standard queues (its "Configuring scaling behavior for
SQS event source mappings"): five batches at once to start; while polls keep coming back full
(a backlog), one more concurrent batch at a time, up to 300 more a minute; back to five as the
queue empties. The ceiling is the function's concurrency limit on this machine (more batches than
the function can run at once would only wait for its workers), or the event source's
`ScalingConfig.MaximumConcurrency` where that is lower.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from localcloud.lambda_runtime import InvokeResult, LambdaRuntime
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


#: While a client waits at the gateway, the one poller left waits this long at most for the
#: gateway to go idle before its next batch (so a queue is never starved).
YIELD_SECONDS = 1.0
#: Lambda starts processing an SQS queue with five concurrent batches...
INITIAL_BATCHES = 5
#: ...and adds up to 300 more a minute while messages remain.
SCALE_UP_INTERVAL_SECONDS = 60 / 300


class BatchScaling:
    """How many batches of one event source run at once, decided after every poll."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.minimum = min(INITIAL_BATCHES, self.limit)
        self.active = 0
        self._clock = clock
        self._last_added = -float("inf")
        self._lock = threading.Lock()

    def start(self) -> int:
        """How many pollers to start with (they count as active)."""
        with self._lock:
            self.active = self.minimum
            return self.minimum

    def after_poll(self, received: int, batch_size: int) -> Literal["add", "stop", "keep"]:
        """`add` one more poller (a full batch: there is a backlog), `stop` this one (nothing
        came and more than the minimum run), or `keep` polling."""
        with self._lock:
            now = self._clock()
            if (
                received >= batch_size
                and self.active < self.limit
                and now - self._last_added >= SCALE_UP_INTERVAL_SECONDS
            ):
                self.active += 1
                self._last_added = now
                return "add"
            if received == 0 and self.active > self.minimum:
                self.active -= 1
                return "stop"
            return "keep"

    def retire(self) -> bool:
        """Whether a poller may stop now (one always stays)."""
        with self._lock:
            if self.active > 1:
                self.active -= 1
                return True
            return False


class SqsPoller:
    """Polls one queue for one function until stopped, with as many concurrent batches as
    `BatchScaling` decides (each batch in its own thread, each waiting on its invocation)."""

    def __init__(
        self,
        source: SqsSource,
        sqs: Any,
        invoke: Invoke,
        *,
        region: str,
        wait_seconds: int = 1,
        concurrency: int = 1,
        runtime: LambdaRuntime | None = None,
    ) -> None:
        self.source = source
        self.sqs = sqs
        self.invoke = invoke
        self.region = region
        self.wait_seconds = wait_seconds
        self.runtime = runtime  # to yield to clients waiting on the gateway
        limit = min(source.maximum_concurrency or concurrency, concurrency)
        self.scaling = BatchScaling(limit)
        self.batches = 0
        self.most_concurrent = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()

    def start(self) -> None:
        for _ in range(self.scaling.start()):
            self._add_thread()

    def _add_thread(self) -> None:
        with self._threads_lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            number = len(self._threads) + 1
            thread = threading.Thread(
                target=self._run, name=f"sqs-poller-{self.source.function}-{number}", daemon=True
            )
            self._threads.append(thread)
            self.most_concurrent = max(self.most_concurrent, self.scaling.active)
        thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._threads_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Receive one batch, invoke, settle. Returns how many messages were received."""
        resp = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=self.source.batch_size,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
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

    def _yield_to_callers(self) -> bool:
        """On a machine whose cores the gateway's answers share with this queue's work, the
        work waits while a client does: every poller but one retires (True), and that one
        polls once the gateway is idle, or after YIELD_SECONDS of waiting."""
        if self.runtime is None or not self.runtime.callers_waiting():
            return False
        if self.scaling.retire():
            return True
        self.runtime.wait_no_callers(YIELD_SECONDS)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._yield_to_callers():
                return
            try:
                received = self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("error al sondear %s", self.source.queue_url)
                self._stop.wait(1.0)
                continue
            decision = self.scaling.after_poll(received, self.source.batch_size)
            if decision == "add":
                self._add_thread()
            elif decision == "stop":
                return
