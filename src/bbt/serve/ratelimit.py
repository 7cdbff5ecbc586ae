"""Per-key token buckets: `burst` requests at once, refilled at `per_minute / 60` per second."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, burst: int):
        self.per_minute, self.burst = per_minute, burst
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last refill time)
        self._lock = threading.Lock()

    def acquire(self, key_id: str, per_minute: int | None = None) -> float:
        """0.0 when the request may go ahead, else the seconds until it may (for Retry-After)."""
        rate = (per_minute or self.per_minute) / 60.0
        burst = min(self.burst, per_minute) if per_minute else self.burst
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / rate
