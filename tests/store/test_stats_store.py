"""The daily archive on both backends: a day is frozen once (a re-run, or two processes
at once, leave the same rows), missed days are caught up, and the rows read back as
written; the clerk who served is recorded with the start of service."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.domain import stats as st
from server.store import stats_sql
from server.store.db import Conn
from server.store.store import Store
from server.usecases import stats_archive
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, HallFixture

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _serve_one(desk: Desk, hall: HallFixture, clock: FakeClock) -> None:
    await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
    clock.advance(minutes=3)
    await desk.windows.call_next(hall.window(1), hall.clerk(1))
    await desk.windows.start(hall.window(1), hall.clerk(1))
    clock.advance(minutes=2)
    await desk.windows.finish(hall.window(1), hall.clerk(1))


async def _rows(store: Store, hall_id: str) -> list[tuple[object, ...]]:
    async with store.db.reader() as c:
        found = await c.fetch(
            "SELECT business_day, dim, key, issued, served, wait_sum_s, hist FROM stats_daily"
            " WHERE hall_id = $1 ORDER BY business_day, dim, key",
            hall_id,
        )
    return [tuple(r.values()) for r in found]


async def test_days_are_frozen_once_and_missed_days_caught_up(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await desk.windows.open(hall.window(1), hall.clerk(1))
    first_day = desk.ctx.clock().date()
    await _serve_one(desk, hall, clock)
    # Nothing to freeze while the first day is still today.
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 0
    clock.advance(days=1)
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 1
    once = await _rows(store, hall.id)
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 0
    assert await _rows(store, hall.id) == once
    dims = {(d, k) for _, d, k, *_ in once}
    assert dims == {("hall", ""), ("service", "A"), ("window", hall.window(1)),
                    ("clerk", hall.clerk(1).id), ("channel", "kiosk")}  # fmt: skip

    # The server was down for three midnights: each missed day is frozen when it is back,
    # the quiet ones too (zeros), so a range has every day.
    await _serve_one(desk, hall, clock)
    clock.advance(days=3)
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 3
    async with store.db.reader() as c:
        days = await stats_sql.frozen_days(c, hall.id, first_day, clock.now.date())
        rows = await stats_sql.archived(c, hall.id, first_day, clock.now.date(), ("hall",))
    assert len(days) == 4
    assert [t.served for _, _, _, t in sorted(rows)] == [1, 1, 0, 0]
    day = sorted(rows)[0][3]
    assert day.wait_sum_s == 180 and day.service_sum_s == 120 and day.hist[3] == 1
    assert day.wait_percentile_upper_s(90) == 180


async def test_two_processes_freezing_at_once_write_the_rows_once(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await _serve_one(desk, hall, clock)
    clock.advance(days=2)
    got = await asyncio.gather(
        stats_archive.catch_up(desk.ctx, hall.id, clock.now),
        stats_archive.catch_up(desk.ctx, hall.id, clock.now),
    )
    assert sum(got) == 2  # two days, each frozen by exactly one of them
    async with store.db.reader() as c:
        n = await c.fetchval("SELECT count(*) FROM stats_days WHERE hall_id = $1", hall.id)
    assert n == 2


async def test_rows_round_trip(store: Store, hall: HallFixture, clock: FakeClock) -> None:
    hist = [0] * st.HIST_SIZE
    hist[0], hist[7], hist[st.HIST_MINUTES] = 2, 1, 1
    t = st.Tally(issued=9, served=4, no_show=1, cancelled=1, waited=4, wait_sum_s=8000,
                 wait_max_s=7500, within_target=3, service_sum_s=900, hist=tuple(hist),
                 ratings=(1, 0, 2, 0, 3), malicious=1, cases_done=2, cases_on_time=1)  # fmt: skip
    day = clock.now.date()
    async with store.db.transaction() as c:
        assert await stats_sql.claim_day(c, hall.id, day, 1800, clock.now)
        assert not await stats_sql.claim_day(c, hall.id, day, 1800, clock.now)
        await stats_sql.save_day(c, hall.id, day, {("hall", ""): t, ("service", "A"): st.Tally()})
    async with store.db.reader() as c:
        back = await stats_sql.archived(c, hall.id, day, day, st.DIMENSIONS)
    assert sorted((d, k, x) for _, d, k, x in back) == [("hall", "", t), ("service", "A", st.Tally())]


async def test_the_clerk_who_starts_the_service_is_recorded(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await _serve_one(desk, hall, clock)
    async with store.db.reader() as c:
        [fact] = await stats_sql.day_tickets(c, hall.id, desk.ctx.clock().date())
    assert fact.served_by == hall.clerk(1).id and fact.state == "done"


async def _rate(c: Conn, hall: HallFixture, ticket_id: str, level: int, day: date,
                at: datetime) -> str:  # fmt: skip
    rid = f"r-{ticket_id}"
    await c.execute(
        "INSERT INTO ratings (id, hall_id, ticket_id, service, window_id, clerk_id, channel,"
        " level, business_day, rated_at) VALUES ($1, $2, $3, 'A', $4, $5, 'phone', $6, $7, $8)",
        rid, hall.id, ticket_id, hall.window(1), hall.clerk(1).id, level, day, at,
    )  # fmt: skip
    return rid


async def test_late_ratings_and_malicious_marks_reach_frozen_days(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await desk.windows.open(hall.window(1), hall.clerk(1))
    day = desk.ctx.clock().astimezone(SHANGHAI).date()
    await _serve_one(desk, hall, clock)
    await _serve_one(desk, hall, clock)
    async with store.db.reader() as c:
        first, second = [r["id"] for r in await c.fetch(
            "SELECT id FROM tickets WHERE hall_id = $1 ORDER BY seq_no", hall.id)]  # fmt: skip
    async with store.write(hall.id, clock.now) as tx:
        await _rate(tx.conn, hall, first, 5, day, clock.now)
        await stats_archive.refresh_rating_day(tx, hall.id, day)  # not frozen yet: no rows
    async with store.db.reader() as c:
        assert await c.fetchval("SELECT count(*) FROM stats_daily WHERE hall_id = $1",
                                hall.id) == 0  # fmt: skip
    clock.advance(days=1)
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 1

    async def rows() -> dict[tuple[str, str], st.Tally]:
        async with store.db.reader() as c:
            got = await stats_sql.archived(c, hall.id, day, day, st.DIMENSIONS)
        return {(d, k): t for _, d, k, t in got}

    assert (await rows())[("hall", "")].ratings == (0, 0, 0, 0, 1)
    # Weeks later (the old recount window was 14 days) the citizen's late rating of the
    # second ticket arrives, then a supervisor marks the first malicious: each, in its
    # own transaction, rewrites the frozen day's counts for every key.
    clock.advance(days=20)
    async with store.write(hall.id, clock.now) as tx:
        await _rate(tx.conn, hall, second, 1, day, clock.now)
        await stats_archive.refresh_rating_day(tx, hall.id, day)
    assert (await rows())[("clerk", hall.clerk(1).id)].ratings == (1, 0, 0, 0, 1)
    async with store.write(hall.id, clock.now) as tx:
        await tx.conn.execute("UPDATE ratings SET malicious = true WHERE ticket_id = $1", first)
        await stats_archive.refresh_rating_day(tx, hall.id, day)
    after = await rows()
    for key in (("hall", ""), ("service", "A"), ("window", hall.window(1)),
                ("clerk", hall.clerk(1).id)):  # fmt: skip
        t = after[key]
        assert t.ratings == (1, 0, 0, 0, 0) and t.malicious == 1 and t.satisfaction == 0.0, key
    assert after[("hall", "")].served == 2  # the ticket counts are untouched
    assert after[("channel", "kiosk")].ratings == (1, 0, 0, 0, 0)  # the tickets' channel


async def test_a_rating_racing_the_freeze_of_its_day_is_counted(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    """The rating's transaction is open (its rating written, uncommitted) while the day is
    frozen: whichever takes the day's lock second sees the other's work."""
    await desk.windows.open(hall.window(1), hall.clerk(1))
    day = desk.ctx.clock().astimezone(SHANGHAI).date()
    await _serve_one(desk, hall, clock)
    async with store.db.reader() as c:
        ticket = await c.fetchval("SELECT id FROM tickets WHERE hall_id = $1", hall.id)
    clock.advance(days=1)
    info = await desk.ctx.hall(hall.id)

    async def rate() -> None:
        async with store.write(hall.id, clock.now) as tx:
            await _rate(tx.conn, hall, ticket, 2, day, clock.now)
            await asyncio.sleep(0.05)  # the freeze runs meanwhile
            await stats_archive.refresh_rating_day(tx, hall.id, day)

    await asyncio.gather(rate(), stats_archive.freeze_day(desk.ctx, info, day, clock.now))
    async with store.db.reader() as c:
        [(_, _, _, t)] = await stats_sql.archived(c, hall.id, day, day, ("hall",))
    assert t.ratings == (0, 1, 0, 0, 0)


async def test_a_ticket_served_across_midnight_is_counted_on_its_day(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    """Yesterday is not frozen while one of its tickets is still at a window; it is once
    that ticket is finished, with the finish counted."""
    clock.now = datetime(2026, 11, 25, 15, 50, tzinfo=UTC)  # 23:50 in Shanghai
    day = date(2026, 11, 25)
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
    await desk.windows.call_next(hall.window(1), hall.clerk(1))
    await desk.windows.start(hall.window(1), hall.clerk(1))
    clock.advance(minutes=11)  # 00:01: the day-end loop comes round
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 0
    await desk.windows.finish(hall.window(1), hall.clerk(1))
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 1
    async with store.db.reader() as c:
        [(_, _, _, t)] = await stats_sql.archived(c, hall.id, day, day, ("hall",))
    assert (t.issued, t.served, t.service_sum_s) == (1, 1, 660)


async def test_a_ticket_left_open_all_night_holds_its_day_back_only_for_the_grace(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 25, 15, 50, tzinfo=UTC)  # 23:50 in Shanghai
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
    await desk.windows.call_next(hall.window(1), hall.clerk(1))
    await desk.windows.start(hall.window(1), hall.clerk(1))
    clock.advance(minutes=10, hours=5)  # 05:00, the grace not over yet
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 0
    clock.advance(hours=1)  # 06:00: frozen as it stands, the service not finished
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 1
    async with store.db.reader() as c:
        [(_, _, _, t)] = await stats_sql.archived(c, hall.id, date(2026, 11, 25),
                                                  date(2026, 11, 25), ("hall",))  # fmt: skip
    assert (t.issued, t.waited, t.served) == (1, 1, 0)


async def test_a_writer_is_not_held_while_a_day_is_counted(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The day's tickets are counted before the freeze's write transaction opens: on
    SQLite (one writer) a long first catch-up must not stall the hall's windows."""
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await _serve_one(desk, hall, clock)
    clock.advance(days=1)
    counting = stats_archive.day_tally
    wrote: list[bool] = []

    async def day_tally_then_write(*args: Any, **kw: Any) -> dict[st.Key, st.Tally]:
        async with asyncio.timeout(5), store.db.transaction() as c:
            await c.execute("UPDATE halls SET name = name WHERE id = $1", hall.id)
        wrote.append(True)
        return await counting(*args, **kw)

    monkeypatch.setattr(stats_archive, "day_tally", day_tally_then_write)
    assert await stats_archive.catch_up(desk.ctx, hall.id, clock.now) == 1
    assert wrote == [True]
