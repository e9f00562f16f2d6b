"""Snapshots: the state a subscriber starts from when it cannot replay events.

Each is read optimistically: the stream position before and after the reads
must agree, so the snapshot is exactly the state at that position and events
after it apply on top without gaps or repeats.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from ..api.state import staff_ticket, ticket_status, window_out
from ..domain.model import Ticket, TicketState, Window
from ..store.store import Store
from ..usecases.case_tasks import CaseTasks, item_dict
from ..usecases.context import Context
from ..usecases.rating_pads import Pads
from ..usecases.tickets import Tickets
from .protocol import Topic

CALL_TYPES = ("ticket.called", "ticket.recalled", "ticket.called_back")
LATEST_CALLS = 10
ATTEMPTS = 5


def window_dict(w: Window, current: Ticket | None) -> dict[str, Any]:
    """The same shape as the HTTP API's WindowOut."""
    return window_out(w, current).model_dump(mode="json")


def staff_ticket_dict(t: Ticket) -> dict[str, Any]:
    """A ticket as a clerk sees it (the HTTP API's StaffTicket): masked citizen data only."""
    return staff_ticket(t).model_dump(mode="json")


class Snapshots:
    def __init__(self, ctx: Context, tickets: Tickets, case_tasks: CaseTasks | None = None,
                 *, pads: Pads | None = None) -> None:  # fmt: skip
        self.ctx = ctx
        self.store: Store = ctx.store
        self.tickets = tickets
        self.case_tasks = case_tasks
        self.pads = pads

    async def build(self, hall_id: str, topic: Topic) -> tuple[dict[str, Any], str, int]:
        """(data, epoch, seq) for a topic of this hall."""
        readers: dict[str, Callable[[str, str], Awaitable[dict[str, Any]]]] = {
            "hall": self._hall,
            "window": self._window,
            "ticket": self._ticket,
            "dept": self._dept,
            "pad": self._pad,
        }
        read = readers[topic.kind]
        for _ in range(ATTEMPTS):
            before = await self.store.stream_position(hall_id)
            data = await read(hall_id, topic.key)
            after = await self.store.stream_position(hall_id)
            if before == after:
                break
        assert before is not None  # the hall was resolved before subscribing
        # Still moving after several tries: answer with the earlier position, so
        # nothing is missed; the events since may repeat what the snapshot shows.
        return data, before[0], before[1]

    async def _hall(self, hall_id: str, _: str) -> dict[str, Any]:
        info = await self.ctx.hall(hall_id)
        counts = await self.store.waiting_counts(hall_id)
        current = await self.store.current_tickets(hall_id)
        windows = await self.store.windows(hall_id)
        now = self.ctx.clock()
        return {
            "hall": {
                "id": hall_id,
                "name": info.hall.name,
                "business_day": info.clock.business_day(now).isoformat(),
                "open_now": info.clock.is_open(now),
                "tz": info.hall.tz,
            },
            "services": [
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "waiting": counts.get(s.code, 0),
                }
                for s in info.services.values()
            ],
            "windows": [window_dict(w, current.get(w.id)) for w in windows],
            "latest_calls": await self._latest_calls(hall_id),
            "notices": [
                {k: n[k] for k in ("id", "kind", "title", "body")}
                for n in await self.store.notices(hall_id, active_only=True)
            ],
        }

    async def _latest_calls(self, hall_id: str) -> list[dict[str, Any]]:
        """Today's latest calls: yesterday's have no place on this morning's board."""
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(self.ctx.clock())
        found = await self.store.latest_events(hall_id, CALL_TYPES, LATEST_CALLS)
        return [
            {"seq": e.seq, "type": e.type, "at": e.at.isoformat(), **e.data}
            for e in found
            if info.clock.business_day(e.at) == today
        ]

    async def _window(self, hall_id: str, window_id: str) -> dict[str, Any]:
        w = await self.store.window(window_id)
        assert w is not None
        current = await self.store.ticket(w.current_ticket_id) if w.current_ticket_id else None
        counts = await self.store.waiting_counts(hall_id)
        info = await self.ctx.hall(hall_id)
        day = info.clock.business_day(self.ctx.clock())
        today = await self.store.tickets_on(hall_id, day)
        return {
            "window": window_dict(w, current),
            "ticket": staff_ticket_dict(current) if current is not None else None,
            "waiting": {code: counts.get(code, 0) for code in w.services},
            "passed": [
                staff_ticket_dict(t)
                for t in today
                if t.state is TicketState.NO_SHOW
                and (t.service in w.services or t.window_id == w.id)
            ],
            "stats": _stats(today, w.id, day),
        }

    async def _dept(self, _: str, department: str) -> dict[str, Any]:
        """A department's inbox: its open tasks by deadline (the same rows as the API)."""
        assert self.case_tasks is not None
        found = await self.case_tasks.department_inbox(department)
        return {"department": department, "tasks": [item_dict(i) for i in found]}

    async def _pad(self, _: str, window_id: str) -> dict[str, Any]:
        """A rating pad's start: the same shape as GET /api/pads/{window}."""
        assert self.pads is not None
        return await self.pads.current(window_id)

    async def _ticket(self, hall_id: str, ticket_id: str) -> dict[str, Any]:
        t = await self.store.ticket(ticket_id)
        assert t is not None
        return await self.ticket_status(t)

    async def ticket_status(self, t: Ticket, ahead: int | None = None) -> dict[str, Any]:
        """The same shape as the HTTP API's TicketStatus."""
        view = await self.tickets.view(t, ahead)
        return (await ticket_status(self.ctx, view)).model_dump(mode="json")


def _stats(today: list[Ticket], window_id: str, day: date) -> dict[str, Any]:
    served = [
        t
        for t in today
        if t.window_id == window_id and t.state is TicketState.DONE and t.started_at
    ]
    durations = [
        (t.finished_at - t.started_at).total_seconds()
        for t in served
        if t.finished_at and t.started_at
    ]
    return {
        "business_day": day.isoformat(),
        "served": len(served),
        "avg_service_s": round(statistics.fmean(durations)) if durations else None,
    }
