"""Per-principal rate limiting: a token bucket per person or API key, in memory, per server."""

from __future__ import annotations

import time

from registry.auth import Principal
from registry.errors import RateLimited


class RateLimiter:
    """`rate` requests per second on average with bursts up to `burst`; 0 means unlimited."""

    def __init__(self, person_rate: float, system_rate: float, burst_seconds: float = 2.0, max_buckets: int = 100_000):
        self.person_rate = person_rate
        self.system_rate = system_rate
        self.burst_seconds = burst_seconds
        self.max_buckets = max_buckets
        self._buckets: dict[object, tuple[float, float]] = {}   # key -> (tokens, last refill)

    def take(self, principal: Principal, clock=time.monotonic) -> None:
        person = principal.person is not None
        rate = self.person_rate if person else self.system_rate
        if rate <= 0:
            return
        key = ("person", principal.person.id) if person else ("key", principal.api_key_id)
        capacity = max(1.0, rate * self.burst_seconds)
        now = clock()
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(retry_after=max(1, int((1.0 - tokens) / rate) + 1))
        if len(self._buckets) >= self.max_buckets and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)
