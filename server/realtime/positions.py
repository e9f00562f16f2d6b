"""Citizens' phones follow ``ticket:`` topics: their place in the queue moves with
every call in the hall, so each followed ticket gets a fresh status, debounced."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..store.store import Store
from .feed import HallFeed
from .protocol import dumps
from .snapshot import Snapshots

DEBOUNCE_S = 0.25


class PositionRefresher:
    def __init__(
        self, store: Store, snapshots: Snapshots, offer: Callable[[int, str], None]
    ) -> None:
        self.store = store
        self.snapshots = snapshots
        self.offer = offer  # (peer id, message) -> None
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.dirty: set[str] = set()

    def schedule(self, feed: HallFeed) -> None:
        self.dirty.add(feed.hall_id)
        if feed.hall_id not in self.tasks:
            task = asyncio.create_task(self._run(feed))
            self.tasks[feed.hall_id] = task
            task.add_done_callback(lambda _: self.tasks.pop(feed.hall_id, None))

    async def _run(self, feed: HallFeed) -> None:
        # A queue move that lands while a refresh is reading is not lost: go again.
        while feed.hall_id in self.dirty:
            await asyncio.sleep(DEBOUNCE_S)
            self.dirty.discard(feed.hall_id)
            await self._refresh(feed)

    async def _refresh(self, feed: HallFeed) -> None:
        followed = [t.removeprefix("ticket:") for t, subs in feed.subs.items()
                    if t.startswith("ticket:") and subs]  # fmt: skip
        # Every followed ticket and its place in a read per queue: a call in a hall
        # where hundreds of phones follow their tickets is a few statements, not hundreds.
        for t, ahead in await self.store.tickets_placed(feed.hall_id, followed):
            topic = f"ticket:{t.id}"
            subs = feed.subs.get(topic)
            if not subs:
                continue
            data = await self.snapshots.ticket_status(t, ahead)
            for peer_id, after in list(subs.items()):
                self.offer(peer_id, dumps({"op": "snapshot", "topic": topic, "data": data,
                                           "position": {"epoch": feed.epoch, "seq": after}}))  # fmt: skip
