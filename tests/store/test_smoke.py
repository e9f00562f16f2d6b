from __future__ import annotations

from server.store.store import Store
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, HallFixture


async def test_issue_call_finish(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    view, _token = await desk.tickets.issue(hall.id, IssueRequest(service="A"), None, "c1")
    assert view.ticket.number == "A001"
    clerk = hall.clerk(1)
    await desk.windows.open(hall.window(1), clerk)
    r = await desk.windows.call_next(hall.window(1), clerk)
    assert r.ticket is not None and r.ticket.id == view.ticket.id
    await desk.windows.start(hall.window(1), clerk)
    clock.advance(minutes=5)
    r = await desk.windows.finish(hall.window(1), clerk)
    assert r.ticket is not None and r.ticket.state.value == "done"
    events = await store.read_events(hall.id, 0)
    assert [e.type for e in events] == [
        "ticket.issued",
        "window.opened",
        "ticket.called",
        "ticket.started",
        "ticket.finished",
    ]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
