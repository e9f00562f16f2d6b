"""Window commands of a hall share transactions (server/usecases/window_group.py): each
still gets its own answer, events and audit row, and one command's refusal, even one
the database makes, leaves the rest of its group alone. Both backends; the many-window
test on PostgreSQL also runs two server processes' worth of use cases side by side."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import pytest

from server import audit
from server.domain import window as wn
from server.domain.errors import Conflict, Forbidden, OneWindowError, Unavailable
from server.domain.events import window_event
from server.domain.model import TicketState, Window
from server.store import contacts_sql
from server.store.postgres import PostgresDatabase
from server.store.store import Store
from server.store.tx import Tx
from server.usecases.tickets import IssueRequest
from server.usecases.window_group import LANES, Command, WindowGroup, WindowResult
from tests.conftest import Desk, FakeClock, HallFixture, make_desk, make_hall
from tests.store.test_concurrency import all_events, assert_gapless, issue_many

WINDOWS = 20
TICKETS = 1000
VALID_ID = "11010519491231002X"


def count_transactions(store: Store) -> Callable[[], int]:
    """How many write transactions the store has opened from now on."""
    opened = 0
    inner = store.write

    def write(hall_id: str, now: datetime) -> AbstractAsyncContextManager[Tx]:
        nonlocal opened
        opened += 1
        return inner(hall_id, now)

    store.write = write  # type: ignore[method-assign, assignment]
    return lambda: opened


async def audited(store: Store, hall_id: str, window_id: str, action: str) -> int:
    async with store.db.reader() as c:
        n = await c.fetchval(
            "SELECT count(*) FROM audit_log WHERE chain = $1 AND action = $2",
            audit.window_chain(hall_id, window_id),
            action,
        )
    return int(n)


@pytest.fixture
async def second_store(db_url: str) -> AsyncIterator[Store | None]:
    """PostgreSQL: a second pool, as a second server process has; SQLite has one writer."""
    if not db_url.startswith("postgres"):
        yield None
        return
    other = Store(PostgresDatabase(db_url, max_size=4))  # grouped: few connections at once
    await other.open()
    yield other
    await other.close()


async def test_twenty_windows_at_once_call_every_ticket_exactly_once(
    store: Store, second_store: Store | None, clock: FakeClock
) -> None:
    hall = await make_hall(store, clock.now, windows=[("A",)] * WINDOWS)
    desks = [make_desk(store, clock)]
    if second_store is not None:
        desks.append(make_desk(second_store, clock))
    await issue_many(desks[0], hall, TICKETS, ("A",))
    transactions = [count_transactions(d.ctx.store) for d in desks]
    commands = 0

    async def work(n: int) -> list[str]:
        nonlocal commands
        desk, window, clerk = desks[n % len(desks)], hall.window(n), hall.clerk(n)
        await desk.windows.open(window, clerk)
        served: list[str] = []
        while True:
            commands += 1
            try:
                called = await desk.windows.call_next(window, clerk)
            except Conflict as exc:
                assert exc.code == "queue_empty"
                return served
            assert called.ticket is not None and called.ticket.window_id == window
            await desk.windows.start(window, clerk)
            finished = await desk.windows.finish(window, clerk)
            assert finished.ticket is not None and finished.ticket.id == called.ticket.id
            served.append(called.ticket.id)
            commands += 2

    per_window = await asyncio.gather(*(work(n) for n in range(1, WINDOWS + 1)))

    served = [t for ids in per_window for t in ids]
    assert len(served) == len(set(served)) == TICKETS
    assert sum(1 for ids in per_window if ids) > WINDOWS // 2, [len(i) for i in per_window]
    # Grouped: fewer transactions than commands (opening the windows included). On
    # PostgreSQL each process has four groups of the hall under way at once, so groups
    # are small there (0.55 of the commands in one CI run); SQLite has one, so larger.
    opened = sum(t() for t in transactions)
    assert opened < 0.8 * (commands + WINDOWS), (opened, commands)

    tickets = await store.tickets_on(hall.id, clock.now.date())
    assert {t.state for t in tickets} == {TicketState.DONE}
    window_of = {t: hall.window(n) for n, ids in enumerate(per_window, 1) for t in ids}
    assert all(t.window_id == window_of[t.id] for t in tickets)
    events = await all_events(store, hall.id)
    assert_gapless(events)
    assert len(events) == TICKETS + WINDOWS + 3 * TICKETS  # issued, opened, called/started/finished
    calls = Counter(e.data["ticket"] for e in events if e.type == "ticket.called")
    assert set(calls) == set(served) and set(calls.values()) == {1}
    assert all(e.data["window"] == window_of[e.data["ticket"]]
               for e in events if e.type == "ticket.called")  # fmt: skip
    for n in (1, WINDOWS):
        assert await audited(store, hall.id, hall.window(n), "window.finish") == len(
            per_window[n - 1]
        )


async def open_all(desk: Desk, hall: HallFixture) -> None:
    for n in range(1, len(hall.windows) + 1):
        await desk.windows.open(hall.window(n), hall.clerk(n))


async def test_refused_commands_in_a_group_fail_alone(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await open_all(desk, hall)
    await issue_many(desk, hall, 4, ("A", "C"))
    before = len(await all_events(store, hall.id))
    transactions = count_transactions(store)

    results = await asyncio.gather(
        desk.windows.finish(hall.window(1), hall.clerk(1)),  # nobody at window 1
        desk.windows.call_next(hall.window(2), hall.clerk(2)),
        desk.windows.call_next(hall.window(3), hall.clerk(3)),
        desk.windows.call_next(hall.window(4), hall.clerk(3)),  # not this clerk's window
        return_exceptions=True,
    )

    assert transactions() == 1  # one group, one commit
    refused, first, second, stranger = results
    assert isinstance(refused, Conflict) and refused.code == "no_current_ticket", refused
    assert isinstance(stranger, Forbidden) and stranger.code == "not_your_window", stranger
    assert isinstance(first, WindowResult) and first.ticket and first.ticket.service == "A"
    assert isinstance(second, WindowResult) and second.ticket and second.ticket.service == "C"
    events = (await all_events(store, hall.id))[before:]
    assert [(e.type, e.data["window"]) for e in events] == [
        ("ticket.called", hall.window(2)),
        ("ticket.called", hall.window(3)),
    ]
    assert await audited(store, hall.id, hall.window(1), "window.finish") == 0
    assert await audited(store, hall.id, hall.window(4), "window.call_next") == 0
    assert await audited(store, hall.id, hall.window(2), "window.call_next") == 1


async def test_a_command_the_database_refuses_fails_alone(
    store: Store, hall: HallFixture, desk: Desk
) -> None:
    """Calling back a passed ticket whose citizen has taken a new one breaks the unique
    index of active tickets: the whole group's transaction ends, and the others are
    run again on their own."""
    await open_all(desk, hall)
    w1, c1 = hall.window(1), hall.clerk(1)
    passed, _ = await desk.tickets.issue(hall.id, IssueRequest("A", id_number=VALID_ID), None, "k")
    await desk.windows.call_next(w1, c1)
    await desk.windows.no_show(w1, c1)
    await desk.tickets.issue(hall.id, IssueRequest("A", id_number=VALID_ID), None, "k")
    await issue_many(desk, hall, 2, ("C",))

    results = await asyncio.gather(
        desk.windows.call_back(w1, c1, passed.ticket.id),
        desk.windows.call_next(hall.window(3), hall.clerk(3)),
        desk.windows.call_next(hall.window(4), hall.clerk(4)),
        return_exceptions=True,
    )

    refused, *called = results
    assert isinstance(refused, Conflict) and refused.code == "duplicate_ticket", refused
    assert all(isinstance(r, WindowResult) and r.ticket for r in called), called
    again = await store.ticket(passed.ticket.id)
    assert again is not None and again.state is TicketState.NO_SHOW
    w = await store.window(w1)
    assert w is not None and w.current_ticket_id is None
    assert await audited(store, hall.id, w1, "window.call_back") == 0
    assert_gapless(await all_events(store, hall.id))


async def test_a_refusal_after_a_write_rolls_the_group_back_and_runs_the_rest_again(
    store: Store, hall: HallFixture, desk: Desk
) -> None:
    """No step refuses after writing; if one ever did, its write must not survive."""
    await open_all(desk, hall)
    group = WindowGroup(desk.ctx)

    async def pause(tx: Tx, w: Window) -> WindowResult:
        w = wn.pause(w, "午休")
        await tx.update_window(w)
        tx.emit(window_event("paused", w))
        return WindowResult(w, None)

    async def pause_then_refuse(tx: Tx, w: Window) -> WindowResult:
        await pause(tx, w)
        raise Conflict("late_refusal", "refused after writing", "写入后拒绝")

    def command(n: int, step: Callable[[Tx, Window], object]) -> Command:
        return Command(hall.window(n), hall.clerk(n), step, None, "window.pause")  # type: ignore[arg-type]

    results = await asyncio.gather(
        group.run(command(1, pause)),
        group.run(command(2, pause_then_refuse)),
        group.run(command(3, pause)),
        return_exceptions=True,
    )

    assert isinstance(results[1], OneWindowError) and results[1].code == "late_refusal"
    assert all(isinstance(r, WindowResult) for r in (results[0], results[2])), results
    states = {n: (await store.window(hall.window(n))) for n in (1, 2, 3)}
    assert {n: w.state.value for n, w in states.items() if w} == {
        1: "paused", 2: "open", 3: "paused"
    }
    assert await audited(store, hall.id, hall.window(2), "window.pause") == 0


async def test_groups_never_wait_on_the_pool_they_hold(pg_url: str, clock: FakeClock) -> None:
    """Every lane of a hall in a transaction at once, with a pool no larger than the lanes
    and nothing cached yet: no command may need a second connection inside its group."""
    store = Store(PostgresDatabase(pg_url, min_size=1, max_size=LANES))
    await store.open()
    try:
        hall = await make_hall(store, clock.now, windows=[("A",)] * (2 * LANES))
        warm = make_desk(store, clock)
        await issue_many(warm, hall, 4 * LANES, ("A",))
        await open_all(warm, hall)
        cold = make_desk(store, clock)  # its hall cache is empty
        called = await asyncio.wait_for(
            asyncio.gather(*(cold.windows.call_next(w, c)
                             for w, c in zip(hall.windows, hall.clerks, strict=True))),
            timeout=60,
        )  # fmt: skip
        assert len({r.ticket.id for r in called if r.ticket}) == 2 * LANES
    finally:
        await store.close()


async def test_a_group_that_fails_as_a_whole_is_not_run_again(
    store: Store, hall: HallFixture, desk: Desk
) -> None:
    """A lost connection or a failed commit is every command's answer, once: the group may
    even have committed, and running its commands again could call a ticket twice."""
    await open_all(desk, hall)
    await issue_many(desk, hall, 4, ("A", "C"))
    group = desk.windows._group
    real = group._commit
    groups: list[int] = []

    async def commit(hall_id: str, cmds: list[Command]):  # type: ignore[no-untyped-def]
        groups.append(len(cmds))
        if len(cmds) > 1:
            raise Unavailable("database_unavailable", "try again", "请稍后再试")
        return await real(hall_id, cmds)

    group._commit = commit  # type: ignore[method-assign]
    results = await asyncio.gather(
        desk.windows.call_next(hall.window(2), hall.clerk(2)),
        desk.windows.call_next(hall.window(3), hall.clerk(3)),
        return_exceptions=True,
    )
    assert groups == [2]
    assert all(isinstance(r, Unavailable) for r in results), results


async def test_holders_being_told_by_another_group_are_skipped_not_waited_for(
    pg_url: str, clock: FakeClock
) -> None:
    """Two groups calling two services in crossed order each mark the front of the other's
    queue told: a row one of them holds is left to it (SKIP LOCKED), so neither waits."""
    store = Store(PostgresDatabase(pg_url, min_size=2, max_size=4))
    await store.open()
    try:
        hall = await make_hall(store, clock.now)
        desk = make_desk(store, clock)
        await issue_many(desk, hall, 2, ("A",))
        ids = [t.id for t in await store.tickets_on(hall.id, clock.now.date())]
        async with store.write(hall.id, clock.now) as tx:
            for t in await store.tickets_on(hall.id, clock.now.date()):
                await contacts_sql.add(tx.conn, tx.sealer, t, "13800138000", "zh",
                                       advance_sent=False)  # fmt: skip
        async with store.write(hall.id, clock.now) as first:
            assert await contacts_sql.mark_advance_sent(
                first.conn, ids[:1], first.dialect.skip_locked
            ) == set(ids[:1])
            async with store.write(hall.id, clock.now) as second:
                marked = await asyncio.wait_for(
                    contacts_sql.mark_advance_sent(second.conn, ids, second.dialect.skip_locked),
                    timeout=10,
                )
                assert marked == set(ids[1:])
    finally:
        await store.close()
