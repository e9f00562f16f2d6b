"""The bus: how one process tells the others (and itself) that a stream moved.

It is a wake-up, never the record. A message may be lost (Redis pub/sub does
not retry); listeners that notice a gap in ``seq`` read the missing events from
the store's event log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ..store.tx import StoredEvent

Listener = Callable[[str, Sequence[StoredEvent]], None]


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        """Announce events already committed to the hall's stream."""
        ...

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every published batch; returns the function that stops it."""
        ...
