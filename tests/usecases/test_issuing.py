"""Group commit for ticket issue: batches behave exactly like one ticket at a time."""

from __future__ import annotations

import asyncio

from server.domain.errors import Unavailable
from server.domain.identity import check_character
from server.domain.model import Channel, Priority, TicketKind
from server.store.db import UniqueViolation
from server.store.store import Store
from server.usecases.issuing import Draft, Issued
from server.usecases.tickets import IssueRequest
from tests.conftest import FakeClock, HallFixture, make_desk, make_hall


def _id(n: int) -> str:
    first17 = f"11010519800101{n:03d}"
    return first17 + check_character(first17)


async def test_a_burst_commits_in_batches_with_exact_positions(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    desk = make_desk(store, clock)
    commits: list[int] = []
    desk.ctx.observers.append(lambda _hall, events: commits.append(len(events)))
    kinds = [TicketKind.WALK_IN, TicketKind.GREEN, TicketKind.WALK_IN, TicketKind.WALK_IN] * 10
    requests = [
        IssueRequest(
            service="AB"[i % 2],
            kind=k,
            green_reason="disabled" if k is TicketKind.GREEN else None,
        )
        for i, k in enumerate(kinds)
    ]
    views = await asyncio.gather(
        # A hall guide (staff) gives the green channel to the disabled.
        *(desk.tickets.issue(hall.id, r, hall.clerk(1), f"c{i}") for i, r in enumerate(requests))
    )
    # Fewer commits than tickets: the burst was grouped.
    assert sum(commits) == len(requests) and len(commits) < len(requests)
    for code in "AB":
        mine = [v for v, _ in views if v.ticket.service == code]
        assert sorted(v.ticket.seq_no for v in mine) == list(range(1, len(mine) + 1))
        # At issue, a ticket is behind every earlier one of its class and above, nobody
        # having been called: exactly what one-at-a-time issuing would have said.
        for v in mine:
            earlier = [
                o for o in mine
                if o.ticket.seq_no < v.ticket.seq_no and o.ticket.priority <= v.ticket.priority
            ]  # fmt: skip
            assert v.people_ahead == len(earlier), v.ticket.number


async def test_a_duplicate_in_a_batch_fails_alone(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    desk = make_desk(store, clock)
    reqs = [IssueRequest(service="A", id_number=_id(i % 5)) for i in range(10)]
    results = await asyncio.gather(
        *(desk.tickets.issue(hall.id, r, None, "kiosk") for r in reqs), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 5 and len(refused) == 5
    assert {getattr(e, "code", None) for e in refused} == {"duplicate_ticket"}
    assert sorted(v.ticket.number for v, _ in ok) == [f"A00{i}" for i in range(1, 6)]


async def test_two_processes_racing_for_one_id(pg_url: str, clock: FakeClock) -> None:
    """Two batchers (two server processes) on one database: the unique index decides,
    and the losing batch's other tickets are still issued."""
    stores = [Store.from_url(pg_url) for _ in range(2)]
    for s in stores:
        await s.open()
    try:
        hall = await make_hall(stores[0], clock.now)
        desks = [make_desk(s, clock) for s in stores]
        same = _id(7)
        jobs = []
        for d in desks:
            jobs.append(
                d.tickets.issue(hall.id, IssueRequest(service="A", id_number=same), None, "k")
            )
            jobs += [
                d.tickets.issue(hall.id, IssueRequest(service="A"), None, "k") for _ in range(5)
            ]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert [getattr(e, "code", None) for e in errors] == ["duplicate_ticket"]
        numbers = sorted(t.seq_no for t in await stores[0].tickets_on(hall.id, clock.now.date()))
        assert numbers == list(range(1, 12))
    finally:
        for s in stores:
            await s.close()


async def test_after_a_race_each_ticket_is_told_its_own_outcome(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    """A batch that lost a race goes one by one; a failure of one of those (a database
    blip) is that ticket's answer only: the ones before it have committed and say so."""
    desk = make_desk(store, clock)
    batcher = desk.tickets.batcher
    real = batcher._commit
    singles = 0

    async def commit(hall_id: str, drafts: list[Draft]) -> list[Issued | BaseException]:
        nonlocal singles
        if len(drafts) > 1:
            raise UniqueViolation("tickets_one_active_per_id")
        singles += 1
        if singles == 2:
            raise Unavailable("database_unavailable", "try again", "请稍后再试")
        return await real(hall_id, drafts)

    batcher._commit = commit  # type: ignore[method-assign]
    drafts = [Draft("A", TicketKind.WALK_IN, Channel.KIOSK, Priority.WALK_IN, f"token{i}",
                    None, None, None, None, None) for i in range(4)]  # fmt: skip
    # Submitted together, so they go as one batch.
    results = await asyncio.gather(
        *(batcher.submit(hall.id, d) for d in drafts), return_exceptions=True
    )
    assert singles == 4
    assert [type(r).__name__ for r in results] == ["Issued", "Unavailable", "Issued", "Issued"]
    assert (await store.waiting_counts(hall.id)).get("A", 0) == 3
