"""Dead-letter queues: what is in them, and moving it back to the queue it came from.

A message reaches a DLQ after its consumer failed on it maxReceiveCount times: something we did
not expect (a bug, or an outage longer than the retries). Once the cause is fixed, redrive sends
each message back to its source queue, unchanged, and only then deletes it from the DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receive_count: int
    summary: str  # tenant, channel, delivery: never the body (personal data)


def source_queue(sqs: Any, dlq_url: str) -> str:
    """The queue whose RedrivePolicy points at `dlq_url` (exactly one)."""
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) != 1:
        raise ValueError(f"{dlq_url} es la cola de mensajes fallidos de {len(sources)} colas")
    return str(sources[0])


def _summary(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "(no es JSON)"
    if not isinstance(data, dict):
        return "(JSON sin campos)"
    parts = [f"{k}={data[k]}" for k in ("tenant_id", "channel", "topic") if data.get(k)]
    return " ".join(parts) or "(sin tienda ni canal)"


def peek(sqs: Any, dlq_url: str, limit: int = 100) -> list[DeadLetter]:
    """Up to `limit` messages, left in place: each is hidden while the listing reads on, then
    made visible again at once (a redrive right after finds them all)."""
    seen: dict[str, DeadLetter] = {}
    handles: list[str] = []
    try:
        while len(seen) < limit:
            batch = sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=30,
                AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not batch:
                break
            for m in batch:
                handles.append(m["ReceiptHandle"])
                seen[m["MessageId"]] = DeadLetter(
                    m["MessageId"],
                    int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                    _summary(m["Body"]),
                )
    finally:
        for handle in handles:
            sqs.change_message_visibility(
                QueueUrl=dlq_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
    return list(seen.values())


def redrive(sqs: Any, dlq_url: str, *, on_moved: Callable[[int], None] = lambda n: None) -> int:
    """Move every message of the DLQ back to its source queue; returns how many moved."""
    target = source_queue(sqs, dlq_url)
    moved = 0
    while batch := sqs.receive_message(
        QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        for message in batch:
            sqs.send_message(QueueUrl=target, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            on_moved(moved)
    return moved
