"""One hall's stream as this process delivers it: in order, gapless, once.

Batches arrive from the bus (possibly late, repeated, or never); whatever the
bus drops is read back from the store's event log before anything after it is
delivered, so every local subscriber sees exactly the hall's sequence.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..store.store import Store
from ..store.tx import StoredEvent
from .frames import Outgoing

Deliver = Callable[["HallFeed", StoredEvent], None]
READ_PAGE = 1000


@dataclass
class HallFeed:
    hall_id: str
    epoch: str
    delivered: int
    ring: deque[StoredEvent]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # topic string -> {session id -> last seq delivered to that subscription}
    subs: dict[str, dict[int, int]] = field(default_factory=dict)
    inbox: asyncio.Queue[Sequence[StoredEvent] | int] = field(default_factory=asyncio.Queue)
    # The hall-topic message of events in the ring, so a crowd resuming at once
    # encodes and frames each missed event once, not once per subscriber.
    hall_texts: dict[int, Outgoing] = field(default_factory=dict)

    def replayable_from(self, seq: int) -> bool:
        """Whether events after ``seq`` are all still in memory."""
        return seq >= self.delivered or (bool(self.ring) and self.ring[0].seq <= seq + 1)


async def advance(
    store: Store,
    feed: HallFeed,
    batch: Sequence[StoredEvent] | int,
    deliver: Deliver,
    on_gap: Callable[[], None] | None = None,
) -> bool:
    """Deliver what is new in ``batch`` (events, or a seq known to exist), filling gaps
    from the store. Returns False if the stream's epoch changed under us."""
    target = batch if isinstance(batch, int) else max((e.seq for e in batch), default=0)
    fresh = [] if isinstance(batch, int) else [e for e in batch if e.seq > feed.delivered]
    if any(e.epoch != feed.epoch for e in fresh):
        return False
    if fresh and fresh[0].seq == feed.delivered + 1 and _contiguous(fresh):
        for e in fresh:
            _push(feed, e, deliver)
        return True
    if on_gap is not None and target > feed.delivered:
        on_gap()
    while feed.delivered < target:
        page = await store.read_events(feed.hall_id, feed.delivered, READ_PAGE)
        if not page:
            break
        if page[0].epoch != feed.epoch:
            return False
        for e in page:
            _push(feed, e, deliver)
    return True


def _contiguous(events: Sequence[StoredEvent]) -> bool:
    return all(b.seq == a.seq + 1 for a, b in itertools.pairwise(events))


def _push(feed: HallFeed, e: StoredEvent, deliver: Deliver) -> None:
    feed.delivered = e.seq
    if feed.ring.maxlen is not None and len(feed.ring) == feed.ring.maxlen:
        feed.hall_texts.pop(feed.ring[0].seq, None)
    feed.ring.append(e)
    deliver(feed, e)
