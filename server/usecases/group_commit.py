"""Group commit, per hall.

Every write of a hall ends on the hall's stream row (its events are numbered
there), so a hall's transactions commit one after another however many cores
and connections there are. Requests that arrive while one commits wait, then
go together in the next transaction: one commit for all of them. Each request
still gets its own outcome, and nobody's reply is sent before its transaction
committed, so what a caller was told survives a crash exactly as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# What a batch settles to: one outcome per request, in the order given.
Settle = Callable[[str, list[T]], Awaitable[list[R | BaseException]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, settle: Settle[T, R], max_batch: int, lanes: int = 1) -> None:
        self._settle = settle
        self._max = max_batch
        # Transactions of a hall that may be under way at once: more than one keeps the
        # database busy while a group waits on its statements' round trips.
        self._lanes = lanes
        self._queues: dict[str, list[tuple[T, asyncio.Future[R]]]] = {}
        self._drains: dict[str, set[asyncio.Task[None]]] = {}

    async def submit(self, hall_id: str, item: T) -> R:
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(hall_id, []).append((item, fut))
        drains = self._drains.setdefault(hall_id, set())
        if len(drains) < self._lanes:
            # A task of its own: a caller that goes away must not strand the others.
            drains.add(asyncio.create_task(self._drain(hall_id)))
        return await asyncio.shield(fut)

    async def _drain(self, hall_id: str) -> None:
        queue = self._queues[hall_id]
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while queue:
                batch = queue[: self._max]
                del queue[: self._max]
                try:
                    outcomes = await self._settle(hall_id, [item for item, _ in batch])
                except Exception as exc:
                    log.exception("a batch of %d in hall %s failed", len(batch), hall_id)
                    outcomes = [exc] * len(batch)
                for (_, fut), outcome in zip(batch, outcomes, strict=True):
                    if fut.done():
                        continue
                    if isinstance(outcome, BaseException):
                        fut.set_exception(outcome)
                    else:
                        fut.set_result(outcome)
        except asyncio.CancelledError:
            # The server is stopping: nobody may wait forever for an answer.
            for _, fut in (*batch, *queue):
                fut.cancel()
            queue.clear()
            raise
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._drains[hall_id].discard(task)
