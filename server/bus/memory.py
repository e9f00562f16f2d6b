"""The in-process bus: the embedded default, one server process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..store.tx import StoredEvent
from .base import Listener

log = logging.getLogger(__name__)


class MemoryBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._listeners.clear()

    async def publish(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        for listener in list(self._listeners):
            try:
                listener(hall_id, events)
            except Exception:
                # One broken listener must not keep the events from the others.
                log.exception("bus listener failed")

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return stop
