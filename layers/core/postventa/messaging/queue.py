"""The queues the product sends to (SQS): orders for ingest, events for the ERP forwarder,
scheduled jobs fanned out per tenant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class SqsOrderQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, message: str) -> None:
        self._client.send_message(QueueUrl=self._url, MessageBody=message)


class SqsErpQueue:
    """The ERP queue (SQS): bus events and the seller's redeliveries wait here for the forwarder."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, body: str) -> None:
        self._client.send_message(QueueUrl=self._url, MessageBody=body)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


# SendMessageBatch takes at most 10 messages.
_BATCH = 10


class SqsJobQueues:
    """The scheduled jobs' queues: `tenant` (light jobs) and `fiscal` (jobs that stamp or cancel,
    run by the function with the CFDI layer). URLs are asked for when a queue is first used."""

    def __init__(self, client: Any, urls: Callable[[str], str]) -> None:
        self._client = client
        self._urls = urls

    def send(self, queue: str, bodies: Sequence[str]) -> None:
        url = self._urls(queue)
        for start in range(0, len(bodies), _BATCH):
            chunk = bodies[start : start + _BATCH]
            response = self._client.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)],
            )
            failed = response.get("Failed") or []
            if failed:  # the schedule's next run would send them; better to fail loudly now
                raise RuntimeError(f"SQS refused {len(failed)} job messages on {queue}")
