"""Many windows and kiosks at once: claims are atomic, numbers and seqs stay gapless.

The heavy tests run on PostgreSQL only, with a pool large enough for every
window to hold a connection, so transactions really overlap in the database
(``FOR UPDATE SKIP LOCKED`` on tickets, the per-hall stream row, the counter rows);
twenty windows calling at once are in test_window_group.py, on both backends.
The concurrent-issue test also runs on SQLite, whose single writer must give
the same answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.domain.errors import Conflict
from server.store import migrations
from server.store.postgres import PostgresDatabase
from server.store.store import Store
from server.store.tx import StoredEvent
from server.usecases.tickets import IssueRequest
from server.usecases.windows import TransferRequest
from tests.conftest import Desk, FakeClock, HallFixture, make_desk, make_hall
from tests.store.test_contract import scratch_database

WINDOWS = 20
TICKETS = 1000
ISSUES = 200
SERVICES = ("A", "B", "C", "D")


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    store = Store(PostgresDatabase(pg_url, max_size=WINDOWS + 5))
    await store.open()
    yield store
    await store.close()


async def all_events(store: Store, hall_id: str) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    while page := await store.read_events(hall_id, events[-1].seq if events else 0, limit=500):
        events += page
    return events


def assert_gapless(events: list[StoredEvent]) -> None:
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def issue_many(desk: Desk, hall: HallFixture, n: int, services: tuple[str, ...]) -> None:
    await asyncio.gather(
        *(
            desk.tickets.issue(hall.id, IssueRequest(services[i % len(services)]), None, f"k{i}")
            for i in range(n)
        )
    )


async def test_one_window_double_click_calls_once(pg_store: Store, clock: FakeClock) -> None:
    """Two call_next for one window at once: the window row lock serializes them."""
    hall = await make_hall(pg_store, clock.now)
    desk = make_desk(pg_store, clock)
    await issue_many(desk, hall, 3, ("A",))
    window, clerk = hall.window(2), hall.clerk(2)
    await desk.windows.open(window, clerk)
    results = await asyncio.gather(
        *(desk.windows.call_next(window, clerk) for _ in range(5)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1
    assert all(isinstance(r, Conflict) and r.code == "window_state" for r in refused), refused
    assert await pg_store.waiting_counts(hall.id) == {"A": 2}


async def check_concurrent_issue(store: Store, clock: FakeClock) -> None:
    hall = await make_hall(store, clock.now)
    desk = make_desk(store, clock)
    await issue_many(desk, hall, ISSUES, SERVICES)

    tickets = await store.tickets_on(hall.id, clock.now.date())
    assert len(tickets) == ISSUES
    per_service = ISSUES // len(SERVICES)
    for code in SERVICES:
        numbers = sorted(t.number for t in tickets if t.service == code)
        assert numbers == [f"{code}{i:03d}" for i in range(1, per_service + 1)]
    events = await all_events(store, hall.id)
    assert_gapless(events)
    assert len(events) == ISSUES
    assert Counter(e.data["number"] for e in events).most_common(1)[0][1] == 1

    # The counters stand where the tickets say: the next number follows on.
    view, _ = await desk.tickets.issue(hall.id, IssueRequest("C"), None, "late")
    assert view.ticket.number == f"C{per_service + 1:03d}"


async def test_concurrent_issue_is_gapless_on_postgres(pg_store: Store, clock: FakeClock) -> None:
    await check_concurrent_issue(pg_store, clock)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_concurrent_issue_is_gapless_on_sqlite(store: Store, clock: FakeClock) -> None:
    assert store.dialect == "sqlite"
    await check_concurrent_issue(store, clock)


async def test_concurrent_duplicate_id_gets_one_ticket(pg_store: Store, clock: FakeClock) -> None:
    """Kiosks racing with one ID number: one ticket, and no number lost to the losers."""
    hall = await make_hall(pg_store, clock.now)
    desk = make_desk(pg_store, clock)
    req = IssueRequest("A", id_number="11010519491231002X")
    results = await asyncio.gather(
        *(desk.tickets.issue(hall.id, req, None, f"k{i}") for i in range(10)),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1 and ok[0][0].ticket.number == "A001"
    assert len(refused) == 9
    assert all(isinstance(r, Conflict) and r.code == "duplicate_ticket" for r in refused), refused
    view, _ = await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k-next")
    assert view.ticket.number == "A002"
    assert [e.seq for e in await all_events(pg_store, hall.id)] == [1, 2]


async def test_processes_starting_at_once_migrate_once(pg_url: str, tmp_path: Path) -> None:
    """Several server processes start together: one applies the migrations, the rest wait."""
    versions = [v for v, _ in migrations.load("postgres")]
    async with scratch_database(pg_url, tmp_path) as url:
        dbs = [PostgresDatabase(url, min_size=1, max_size=2) for _ in range(4)]
        await asyncio.gather(*(db.open() for db in dbs))
        try:
            applied = await asyncio.gather(*(db.migrate() for db in dbs))
            assert sorted(applied) == [[], [], [], versions]
            assert [await db.pending_migrations() for db in dbs] == [[]] * 4
        finally:
            await asyncio.gather(*(db.close() for db in dbs))


async def test_concurrent_transfers_to_a_window_do_not_exhaust_the_pool(
    pg_url: str, clock: FakeClock
) -> None:
    pool_size = 2
    store = Store(PostgresDatabase(pg_url, min_size=1, max_size=pool_size))
    await store.open()
    try:
        hall = await make_hall(store, clock.now, windows=[("A",)] * (pool_size + 1))
        desk = make_desk(store, clock)
        await issue_many(desk, hall, pool_size, ("A",))
        senders = range(1, pool_size + 1)
        for n in senders:
            await desk.windows.open(hall.window(n), hall.clerk(n))
            await desk.windows.call_next(hall.window(n), hall.clerk(n))
        to_last = TransferRequest(window=hall.window(pool_size + 1))
        transfers = (desk.windows.transfer(hall.window(n), hall.clerk(n), to_last) for n in senders)
        await asyncio.wait_for(asyncio.gather(*transfers), timeout=3)
        assert await store.waiting_counts(hall.id) == {"A": pool_size}
    finally:
        await store.close()
