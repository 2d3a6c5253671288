"""Token buckets in the table, shared by every function that calls a channel (decision 0016).

A bucket holds up to `burst` tokens and gains `rate` per second; a request takes one. The item
(`THROTTLE#{bucket}`) keeps the tokens left, when they were counted (milliseconds) and a version;
taking a token is a conditional write on the version, so two functions racing for the last token
cannot both get it (the loser reads again). `acquire` answers how long to wait when none is left;
it never sleeps itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from postventa.domain.ports import Clock
from postventa.storage import keys
from postventa.storage.table import conditional

_ATTEMPTS = 8


def refill(tokens: float, last_ms: int, now_ms: int, rate: float, burst: int) -> float:
    """Tokens in a bucket at `now_ms` that had `tokens` at `last_ms`."""
    elapsed = max(0, now_ms - last_ms) / 1000.0
    return min(float(burst), tokens + elapsed * rate)


class DynamoThrottle:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def acquire(self, bucket: str, rate_per_second: float, burst: int) -> float:
        key = keys.throttle_key(bucket)
        for _ in range(_ATTEMPTS):
            now_ms = int(self._clock.now().timestamp() * 1000)
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            if item is None:
                tokens, version = float(burst), None
            else:
                version = int(item["v"])
                last_ms = int(item["at_ms"])
                tokens = refill(float(item["tokens"]), last_ms, now_ms, rate_per_second, burst)
                now_ms = max(now_ms, last_ms)  # another host's clock ahead: never count back
            if tokens < 1:
                return (1 - tokens) / rate_per_second
            values: dict[str, Any] = {
                ":t": Decimal(str(round(tokens - 1, 6))),
                ":now": now_ms,
                ":exp": now_ms // 1000 + 3600,
                ":next": (version or 0) + 1,
            }
            condition = "attribute_not_exists(pk)"
            if version is not None:
                condition = "v = :v"
                values[":v"] = version

            def write(values: dict[str, Any] = values, condition: str = condition) -> None:
                self._table.update_item(
                    Key=key,
                    UpdateExpression="SET tokens = :t, at_ms = :now, expires_at = :exp, v = :next",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )

            if conditional(write):
                return 0.0
        # Heavy contention: ask the caller to wait one token's time and try again.
        return 1.0 / rate_per_second
