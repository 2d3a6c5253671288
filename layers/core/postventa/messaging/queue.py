"""The orders queue (SQS): verified webhooks wait here for ingest."""

from __future__ import annotations

from typing import Any


class SqsOrderQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, message: str) -> None:
        self._client.send_message(QueueUrl=self._url, MessageBody=message)
