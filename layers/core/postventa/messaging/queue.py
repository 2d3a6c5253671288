"""The queues the product sends to (SQS): orders for ingest, events for the ERP forwarder."""

from __future__ import annotations

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
