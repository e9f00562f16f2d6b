"""Wait estimates for citizens: people ahead × recent service time ÷ open windows.

The inputs (recent service times, open windows) move by the minute while
tickets are issued by the second, so they are cached per service and refreshed
by one task at a time; requests meanwhile use the previous figures instead of
all querying at once.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from ..domain.dispatch import estimate_wait_minutes
from .context import Context

Key = tuple[str, str]


class WaitEstimator:
    def __init__(self, ctx: Context, ttl_s: float = 5.0) -> None:
        self.ctx = ctx
        self.ttl_s = ttl_s
        self._inputs: dict[Key, tuple[float, int, int]] = {}  # key -> (at, avg_s, windows)
        self._refreshing: dict[Key, asyncio.Task[tuple[float, int, int]]] = {}

    async def minutes(self, hall_id: str, service: str, ahead: int) -> int:
        key = (hall_id, service)
        known = self._inputs.get(key)
        if known is None:
            known = await self._refresh(key)
        elif time.monotonic() - known[0] > self.ttl_s:
            self._refresh_soon(key)
        return estimate_wait_minutes(ahead, known[1], known[2])

    def _refresh_soon(self, key: Key) -> None:
        if key not in self._refreshing:
            task = asyncio.create_task(self._load(key))
            self._refreshing[key] = task
            task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def _refresh(self, key: Key) -> tuple[float, int, int]:
        self._refresh_soon(key)
        return await asyncio.shield(self._refreshing.get(key) or self._load(key))

    async def _load(self, key: Key) -> tuple[float, int, int]:
        hall_id, service = key
        svc = await self.ctx.service(hall_id, service)
        recent = await self.ctx.store.recent_service_seconds(hall_id, service)
        avg = round(statistics.fmean(recent)) if recent else svc.avg_service_s
        windows = await self.ctx.store.serving_windows(hall_id, service)
        self._inputs[key] = (time.monotonic(), avg, windows)
        return self._inputs[key]
