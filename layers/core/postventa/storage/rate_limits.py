"""Fixed-window counters in the table (atomic ADD), for limiting failed sign-ins and the like.

An item per (bucket, window): `RATE#{bucket}#{window start}`, expiring by TTL shortly after the
window. Buckets never hold a secret as it came (an API key is hashed before it names a bucket).
"""

from __future__ import annotations

from typing import Any


def _key(bucket: str, window_seconds: int, now: int) -> dict[str, str]:
    start = now - now % window_seconds
    return {"pk": f"RATE#{bucket}#{start}", "sk": "RATE"}


class DynamoRateLimiter:
    def __init__(self, table: Any) -> None:
        self._table = table

    def count(self, bucket: str, window_seconds: int, now: int) -> int:
        item = self._table.get_item(Key=_key(bucket, window_seconds, now)).get("Item")
        return int(item["hits"]) if item else 0

    def hit(self, bucket: str, window_seconds: int, now: int) -> int:
        key = _key(bucket, window_seconds, now)
        response = self._table.update_item(
            Key=key,
            UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :exp)",
            ExpressionAttributeValues={":one": 1, ":exp": now + 2 * window_seconds},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"])
