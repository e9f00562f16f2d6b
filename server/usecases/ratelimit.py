"""Rate limits for the public ticket counter: per client and per ID number.

A fixed window per key: simple, cheap, and good enough to stop a script from
draining the day's numbers. In-process by default; in Redis when several
processes share the traffic, so the limit is per hall, not per process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``"30/60"``: 30 requests per 60 seconds."""
        count, _, seconds = text.partition("/")
        limit = cls(int(count), int(seconds or 60))
        if limit.count < 1 or limit.seconds < 1:
            raise ValueError(f"bad rate limit {text!r}")
        return limit


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> bool:
        """Count one request; False when the key is over its limit."""
        ...

    def retry_after(self, limit: Limit) -> int:
        """Seconds until the current window of ``limit`` ends."""
        ...

    async def over(self, key: str, limit: Limit) -> bool:
        """Whether the key is at its limit now, without counting a request."""
        ...


class MemoryRateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, limit: Limit) -> bool:
        window = int(self._now() // limit.seconds)
        start, count = self._windows.get(key, (window, 0))
        if start != window:
            count = 0
            if len(self._windows) > 100_000:
                # Old windows are worthless; drop them all rather than grow forever.
                self._windows.clear()
        self._windows[key] = (window, count + 1)
        return count + 1 <= limit.count

    def retry_after(self, limit: Limit) -> int:
        return max(1, limit.seconds - int(self._now() % limit.seconds))

    async def over(self, key: str, limit: Limit) -> bool:
        start, count = self._windows.get(key, (None, 0))
        return start == int(self._now() // limit.seconds) and count >= limit.count


class RedisRateLimiter:
    """Shared limits across processes; while Redis is unreachable, each process limits
    on its own rather than refusing citizens their tickets."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._fallback = MemoryRateLimiter()
        self._warned_at = 0.0

    async def hit(self, key: str, limit: Limit) -> bool:
        window = int(time.time() // limit.seconds)
        name = f"{self._prefix}rl:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, limit.seconds + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at > 5.0:
                self._warned_at = time.monotonic()
                log.warning("rate limits: Redis unreachable, limiting per process: %r", exc)
            return await self._fallback.hit(key, limit)
        return int(count) <= limit.count

    def retry_after(self, limit: Limit) -> int:
        return max(1, limit.seconds - int(time.time() % limit.seconds))

    async def over(self, key: str, limit: Limit) -> bool:
        name = f"{self._prefix}rl:{key}:{int(time.time() // limit.seconds)}"
        try:
            count = await self._redis.get(name)
        except (RedisError, OSError):
            return await self._fallback.over(key, limit)
        return int(count or 0) >= limit.count
