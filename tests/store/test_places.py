"""Every followed ticket's place in one go (the phones' refresh) agrees with counting
each ticket's people ahead on its own, on both backends."""

from __future__ import annotations

from server.domain.model import TicketKind
from server.store.store import Store
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, HallFixture


async def test_places_in_one_go_agree_with_one_count_per_ticket(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    guide = hall.clerk(1)  # staff give the green channel to every group
    ids: list[str] = []
    for i in range(12):
        clock.advance(seconds=1)
        green = i % 4 == 3
        req = IssueRequest(
            "AB"[i % 2],
            kind=TicketKind.GREEN if green else TicketKind.WALK_IN,
            green_reason="disabled" if green else None,
        )
        view, _ = await desk.tickets.issue(hall.id, req, guide if green else None, f"k{i}")
        ids.append(view.ticket.id)
    # A supervisor sends two waiting tickets to window 3 by name, one to the front.
    await desk.tickets.move(ids[5], hall.supervisor, None, hall.window(3), True, None)
    await desk.tickets.move(ids[7], hall.supervisor, None, hall.window(3), False, None)
    # Window 2 (service A) calls one: it leaves the waiting queue.
    await desk.windows.open(hall.window(2), hall.clerk(2))
    called = (await desk.windows.call_next(hall.window(2), hall.clerk(2))).ticket
    assert called is not None

    placed = await store.tickets_placed(hall.id, [*ids, "no-such-ticket"])
    assert sorted(t.id for t, _ in placed) == sorted(ids)
    for t, ahead in placed:
        expected = await store.people_ahead(t) if t.state == "waiting" else 0
        assert ahead == expected, (t.number, t.state, t.target_window_id)
    assert dict((t.id, a) for t, a in placed)[called.id] == 0
    assert any(a > 0 for _, a in placed)
    assert await store.tickets_placed("other-hall", ids) == []
