"""API Gateway's route throttling: one token bucket per route.

API Gateway throttles with the token bucket algorithm, a token per request: the burst limit is the
bucket's size, the rate limit how many tokens a second refill it; a request that finds the bucket
empty is answered 429 `{"message":"Too Many Requests"}` and never reaches the integration. An HTTP
API sets both per stage (`DefaultRouteSettings`) and per route key (`RouteSettings`); the template
reader gives every route its resolved `Throttle` (`localcloud.provision.route_throttle`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from localcloud.specs import HttpRoute, Throttle

Clock = Callable[[], float]


class TokenBucket:
    """`burst` tokens at most, refilled continuously at `rate` a second; starts full."""

    def __init__(self, throttle: Throttle, clock: Clock = time.monotonic) -> None:
        self.capacity = float(throttle.burst)
        self.rate = throttle.rate
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token if there is one (the request goes on), else False (a 429)."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class RouteThrottles:
    """One bucket per route of each API (route key and API id, as API Gateway keys them)."""

    def __init__(self, routes: Iterable[HttpRoute], clock: Clock = time.monotonic) -> None:
        self._buckets = {
            (route.api, route.route_key): TokenBucket(route.throttle, clock) for route in routes
        }

    def allow(self, route: HttpRoute) -> bool:
        bucket = self._buckets.get((route.api, route.route_key))
        return bucket is None or bucket.take()
