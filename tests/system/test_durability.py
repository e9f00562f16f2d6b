"""Crash durability: SIGKILL the server in the middle of a ticket burst, then audit the store.

What a citizen holds must be in the database: every ticket whose 201 reached
the client exists with the number printed on it; per service the day's numbers
are 001..N with no gap and no repeat (a commit either happened whole or not at
all); the hall's event log has a gapless seq with one ``ticket.issued`` per
stored ticket; and a restarted server carries on at N+1.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from server.domain.model import Ticket
from server.store.store import Store
from server.store.tx import StoredEvent
from tests.conftest import make_hall
from tests.system.server_proc import ServerProcess

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = ("A", "B")
CONCURRENCY = 20
MAX_REQUESTS = 2000
KILL_AFTER_S = 1.0
KILL_AFTER_TICKETS = 200
SECRET = "durability-test-secret-0123456789abcdef"


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'durability.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def _server_env(url: str) -> dict[str, str]:
    return {
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_SECRET": SECRET,
        "ONEWINDOW_RATE_LIMIT_CLIENT": "1000000/60",
        "ONEWINDOW_RATE_LIMIT_ID": "1000000/60",
    }


def _shanghai_day() -> date:
    return datetime.now(SHANGHAI).date()


async def _seed(url: str) -> tuple[str, tuple[str, int]]:
    store = Store.from_url(url)
    await store.open()
    try:
        hall = await make_hall(store, datetime.now(UTC))
        # make_hall's hours cover every weekday, but its calendar is the default
        # Mon–Fri one, so a kiosk would be refused on a weekend or a holiday.
        # Declare the days around now working days so this test runs any day.
        today = _shanghai_day()
        working = {(today + timedelta(days=d)).isoformat(): True for d in (-1, 0, 1)}
        async with store.db.transaction() as c:
            await c.execute(
                "UPDATE halls SET calendar = $1 WHERE id = $2", json.dumps(working), hall.id
            )
        position = await store.stream_position(hall.id)
        assert position is not None
        return hall.id, position
    finally:
        await store.close()


@dataclass
class Burst:
    issued: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    sent: int = 0
    killed_after_s: float = 0.0


async def _burst_then_kill(srv: ServerProcess, hall_id: str) -> Burst:
    out = Burst()
    enough = asyncio.Event()
    killed = asyncio.Event()
    counter = itertools.count()

    async def worker(client: httpx.AsyncClient) -> None:
        while not killed.is_set():
            i = next(counter)
            if i >= MAX_REQUESTS:
                return
            out.sent += 1
            body = {"service": SERVICES[i % len(SERVICES)], "channel": "kiosk"}
            try:
                r = await client.post(f"/api/halls/{hall_id}/tickets", json=body)
            except httpx.TransportError as exc:
                out.transport_errors.append(repr(exc))
                return
            if r.status_code == 201:
                out.issued.append(r.json())
                if len(out.issued) >= KILL_AFTER_TICKETS:
                    enough.set()
            else:
                out.refused.append((r.status_code, r.text[:300]))

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=srv.base_url, timeout=10.0, limits=limits) as client:
        started = time.monotonic()
        workers = [asyncio.create_task(worker(client)) for _ in range(CONCURRENCY)]
        all_done = asyncio.ensure_future(asyncio.gather(*workers))
        waiter = asyncio.ensure_future(enough.wait())
        await asyncio.wait({all_done, waiter}, timeout=KILL_AFTER_S, return_when="FIRST_COMPLETED")
        waiter.cancel()
        srv.kill()
        out.killed_after_s = time.monotonic() - started
        killed.set()
        await all_done
    return out


async def _all_events(store: Store, hall_id: str) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    while True:
        page = await store.read_events(hall_id, events[-1].seq if events else 0, 1000)
        if not page:
            return events
        events += page


async def test_sigkill_mid_burst_loses_nothing_acknowledged(
    durable_url: str, tmp_path: Path
) -> None:
    hall_id, (epoch, seq0) = await _seed(durable_url)
    assert seq0 == 0
    days = {_shanghai_day()}
    log = tmp_path / "server.log"
    env = _server_env(durable_url)

    with ServerProcess(env=env, cwd=tmp_path, log_path=log) as srv:
        burst = await _burst_then_kill(srv, hall_id)
        assert srv.returncode == -9
    days.add(_shanghai_day())

    # Before the kill every answer was a 201; the kill shows up only as transport errors.
    assert burst.refused == [], burst.refused[:5]
    assert len(burst.issued) >= 20, (
        f"only {len(burst.issued)} tickets in {burst.killed_after_s:.2f} s\n{srv.output()[-3000:]}"
    )
    assert len({t["id"] for t in burst.issued}) == len(burst.issued)

    store = Store.from_url(durable_url)
    await store.open()
    try:
        stored: list[Ticket] = []
        for day in sorted(days):
            stored += await store.tickets_on(hall_id, day)
        by_id = {t.id: t for t in stored}
        position = await store.stream_position(hall_id)
        events = await _all_events(store, hall_id)
    finally:
        await store.close()

    print(
        f"{durable_url.split(':')[0]}: sent {burst.sent}, acknowledged {len(burst.issued)},"
        f" stored {len(stored)}, transport errors {len(burst.transport_errors)},"
        f" killed after {burst.killed_after_s:.2f} s, last seq {position and position[1]}"
    )

    # 1. Whatever the client was told is on disk, with the same number.
    for got in burst.issued:
        t = by_id.get(got["id"])
        assert t is not None, f"ticket {got['number']} ({got['id']}) was acknowledged but is lost"
        assert (t.number, t.service, t.state.value) == (got["number"], got["service"], "waiting")
        assert t.business_day.isoformat() == got["business_day"]

    # 2. Per service and day the numbers are exactly 001..N: no gap, no repeat.
    numbers: dict[tuple[date, str], list[str]] = defaultdict(list)
    for t in stored:
        numbers[t.business_day, t.service].append(t.number)
    assert {svc for _, svc in numbers} <= set(SERVICES)
    for (day, svc), got_numbers in numbers.items():
        want = [f"{svc}{n:03d}" for n in range(1, len(got_numbers) + 1)]
        assert sorted(got_numbers) == want, f"{day} {svc}: {Counter(got_numbers).most_common(3)}"
    # At most the requests in flight at the kill committed without an answer.
    assert len(burst.issued) <= len(stored) <= len(burst.issued) + CONCURRENCY

    # 3. The event log: same epoch, seq gapless 1..last, one ticket.issued per stored ticket.
    assert position is not None and position[0] == epoch
    assert [e.seq for e in events] == list(range(1, position[1] + 1))
    issued_events = [e for e in events if e.type == "ticket.issued"]
    assert Counter(e.data["ticket"] for e in issued_events) == Counter(by_id.keys())
    for e in issued_events:
        assert e.data["number"] == by_id[e.data["ticket"]].number

    # 4. A restarted server carries on where the committed counters stopped.
    today = _shanghai_day()
    with ServerProcess(env=env, cwd=tmp_path, log_path=log) as srv:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=10.0) as client:
            for svc in SERVICES:
                r = await client.post(
                    f"/api/halls/{hall_id}/tickets", json={"service": svc, "channel": "kiosk"}
                )
                assert r.status_code == 201, r.text
                n = len(numbers.get((today, svc), []))
                assert r.json()["number"] == f"{svc}{n + 1:03d}"
            r = await client.get(f"/api/halls/{hall_id}/events", params={"after": position[1]})
            assert r.status_code == 200, r.text
            page = r.json()
            assert page["epoch"] == epoch
            assert [(e["seq"], e["type"]) for e in page["events"]] == [
                (position[1] + 1, "ticket.issued"),
                (position[1] + 2, "ticket.issued"),
            ]
