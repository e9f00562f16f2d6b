"""What every use case needs: the store, the bus, the clock, and a hall cache."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ..bus.base import Bus
from ..domain.calendar import HallClock, OpeningHours, WorkCalendar
from ..domain.dispatch import DispatchPolicy
from ..domain.errors import NotFound
from ..domain.model import Hall, Service, Window
from ..store.store import Store
from ..store.tx import StoredEvent

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class HallInfo:
    hall: Hall
    clock: HallClock
    services: dict[str, Service]


@dataclass
class Context:
    store: Store
    bus: Bus
    clock: Clock
    secret: bytes
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    # Halls and windows change rarely and only by staff; a short cache spares a
    # read per request without leaving a process stale for long.
    cache_seconds: float = 30.0
    # Told of every batch this process commits (metrics, logs), before the bus is.
    observers: list[Callable[[str, Sequence[StoredEvent]], None]] = field(default_factory=list)
    _halls: dict[str, tuple[float, HallInfo]] = field(default_factory=dict)
    _window_halls: dict[str, str] = field(default_factory=dict)

    async def hall(self, hall_id: str, *, fresh: bool = False) -> HallInfo:
        hit = self._halls.get(hall_id)
        if not fresh and hit is not None and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        hall = await self.store.hall(hall_id)
        if hall is None:
            raise NotFound(
                "unknown_hall", f"no hall {hall_id!r}", f"没有编号为 {hall_id} 的服务大厅"
            )
        info = HallInfo(
            hall=hall,
            clock=HallClock(
                tz=ZoneInfo(hall.tz),
                hours=OpeningHours.from_json(hall.hours),
                calendar=WorkCalendar.from_json(hall.calendar),
            ),
            services={s.code: s for s in await self.store.services(hall_id)},
        )
        self._halls[hall_id] = (time.monotonic(), info)
        return info

    async def service(self, hall_id: str, code: str) -> Service:
        info = await self.hall(hall_id)
        svc = info.services.get(code)
        if svc is None:
            # Perhaps added since the hall was cached: look again before saying no.
            svc = (await self.hall(hall_id, fresh=True)).services.get(code)
        if svc is None:
            raise NotFound(
                "unknown_service",
                f"hall {hall_id!r} has no service {code!r}",
                f"本大厅没有业务类型 {code}",
            )
        return svc

    async def window_hall(self, window_id: str) -> str:
        """The hall a window belongs to (cached until the hall's configuration changes)."""
        hall_id = self._window_halls.get(window_id)
        if hall_id is None:
            w: Window | None = await self.store.window(window_id)
            if w is None:
                raise NotFound(
                    "unknown_window", f"no window {window_id!r}", f"没有窗口 {window_id}"
                )
            hall_id = self._window_halls[window_id] = w.hall_id
        return hall_id

    async def publish_all(self, events: Sequence[StoredEvent]) -> None:
        """Publish what a transaction appended, hall by hall."""
        for hall_id in sorted({e.hall_id for e in events}):
            await self.publish(hall_id, [e for e in events if e.hall_id == hall_id])

    def forget(self, hall_id: str) -> None:
        """Drop what is cached of a hall after its configuration changed (here or in another
        process): its services and hours, and which windows are its (a window id deleted
        here may come back in another hall)."""
        self._halls.pop(hall_id, None)
        for window_id in [w for w, h in self._window_halls.items() if h == hall_id]:
            del self._window_halls[window_id]

    async def publish(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        if events:
            for observe in self.observers:
                observe(hall_id, events)
            await self.bus.publish(hall_id, events)
