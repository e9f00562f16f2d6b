"""Shared fixtures: real PostgreSQL and SQLite stores, and a fresh hall per test.

One PostgreSQL database per test run (created here, dropped at the end); tests
keep out of each other's way by each using halls and users of their own.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from server.auth import hash_password
from server.bus.memory import MemoryBus
from server.domain.model import Actor, Hall, Role, Service, User, Window
from server.store.store import Store
from server.usecases.context import Context
from server.usecases.ratelimit import Limit, MemoryRateLimiter
from server.usecases.tickets import Limits, Tickets
from server.usecases.windows import Windows
from tests.private_redis import private_redis  # noqa: F401 - a fixture for every test

PG_ADMIN_URL = os.environ.get("ONEWINDOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ONEWINDOW_TEST_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "test-pass-123"
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def keep_clear_of_local_midnight(margin_s: float = 90.0) -> None:
    """Wait out the last minute and a half before midnight in the test halls' zone.

    Tests that run a real server on the real clock issue tickets and read their numbers:
    across local midnight the numbers restart at 001 and the day-end sweep voids what
    waits. Starting no such test in the 90 s before midnight keeps the suite passing at
    any hour (a test is far shorter than that)."""
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
    left = (midnight - now).total_seconds()
    if left < margin_s:
        time.sleep(left + 2)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"ow_test_{os.getpid()}_{secrets.token_hex(3)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield _with_db(PG_ADMIN_URL, name)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'onewindow.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def own_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of the test's own on either backend, for tests that look at every row
    of a table (the session database is shared by the run)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'onewindow.db'}"
        return
    name = f"ow_own_{os.getpid()}_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(PG_ADMIN_URL, name)
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(db_url)
    await s.open()
    yield s
    await s.close()


class FakeClock:
    """A clock tests move by hand: time is passed in everywhere."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday, 10:00 in Shanghai.
    return FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


@dataclass
class HallFixture:
    id: str
    services: list[str]
    windows: list[str]
    clerks: list[Actor]
    supervisor: Actor
    users: dict[str, str] = field(default_factory=dict)  # username -> role

    def window(self, n: int) -> str:
        return self.windows[n - 1]

    def clerk(self, n: int) -> Actor:
        return self.clerks[n - 1]


async def make_hall(
    store: Store,
    now: datetime,
    *,
    windows: list[tuple[str, ...]] | None = None,
    hours: dict[str, list[list[str]]] | None = None,
    hash_passwords: bool = False,
) -> HallFixture:
    """A hall with services A–D, windows over them and one clerk per window."""
    hall_id = f"h{secrets.token_hex(4)}"
    await store.create_hall(
        Hall(hall_id, "测试大厅", "Asia/Shanghai", hours or ALWAYS_OPEN, {}), now
    )
    services = ["A", "B", "C", "D"]
    for code in services:
        await store.add_service(Service(hall_id, code, f"业务{code}", f"Service {code}", 300))
    spec = windows if windows is not None else [("A", "B"), ("A",), ("C",), ("C", "D")]
    ids = []
    clerks = []
    pw = hash_password(PASSWORD) if hash_passwords else "x"
    for n, codes in enumerate(spec, start=1):
        wid = f"{hall_id}-w{n}"
        await store.add_window(Window(wid, hall_id, n, f"{n}号窗口", codes))
        ids.append(wid)
        uid = f"{hall_id}-c{n}"
        await store.add_user(User(uid, uid, f"窗口{n}", Role.CLERK, hall_id, pw), now)
        clerks.append(Actor(uid, uid, Role.CLERK, hall_id))
    sup_id = f"{hall_id}-sup"
    await store.add_user(User(sup_id, sup_id, "值班主任", Role.SUPERVISOR, hall_id, pw), now)
    return HallFixture(
        hall_id, services, ids, clerks, Actor(sup_id, sup_id, Role.SUPERVISOR, hall_id)
    )


@dataclass
class Desk:
    """The use cases wired over one store, as the server wires them."""

    ctx: Context
    tickets: Tickets
    windows: Windows
    bus: MemoryBus


def make_desk(store: Store, clock: Callable[[], datetime], **limits: str) -> Desk:
    bus = MemoryBus()
    ctx = Context(store=store, bus=bus, clock=clock, secret=b"test-secret")
    lim = Limits(
        per_client=Limit.parse(limits.get("client", "100000/60")),
        per_id=Limit.parse(limits.get("id", "100000/60")),
    )
    return Desk(ctx, Tickets(ctx, MemoryRateLimiter(), lim), Windows(ctx), bus)


@pytest.fixture
async def hall(store: Store, clock: FakeClock) -> HallFixture:
    return await make_hall(store, clock.now)


@pytest.fixture
def desk(store: Store, clock: FakeClock) -> Desk:
    return make_desk(store, clock)
