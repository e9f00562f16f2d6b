"""Online appointments on PostgreSQL (issue #10), each beside a bare asyncpg baseline.

(a) *Booking under contention*: 2,000 signed-in citizens press "book" at the same moment,
    20 of them for each of 100 slots of capacity 5, through the booking use case
    (``Appointments.book``: checks, the ban, duplicate and per-account reads, the
    conditional upsert on ``slot_counts``, the booking row with the sealed phone, the
    ``slot.changed`` event, the SMS in the outbox, one transaction) over the store's pool
    of 20. The baseline runs only the two writes that make a booking, the same
    conditional upsert and, when it takes a place, a bare booking row, from a plain
    asyncpg pool of 20. Exactly 500 must be accepted on each side, by the answers and by
    the tables. Latency runs from the press to the answer (the burst queues for
    connections, so it is mostly waiting); "tx" is how long each booking held its
    connection; CPU is this process's (the use case runs here, PostgreSQL does not).
(b) *Slot listing*: the slots use case for 7 days × 40 slots while the hall's tables
    hold 0, 840 (the horizon's alone), 10,000 and 50,000 bookings (loaded with COPY: the
    horizon partly booked, then a year of past days), against the same ``slot_counts``
    read alone from asyncpg. Four clients in a closed loop; it should stay flat as
    bookings grow.

Time is injected: the use cases run on a fixed clock (Wednesday 2026-11-25 in Shanghai),
never the wall clock. Rounds alternate which side goes first.

    python -m bench.appointments --rounds 3 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import uvloop

from bench.common import ALWAYS_OPEN, closed_loop, fresh_database, summary
from server.audit import Chainer
from server.bus.memory import MemoryBus
from server.crypto import Sealer
from server.domain import appointment as ap
from server.domain.appointment import BookingRules
from server.domain.errors import Conflict
from server.domain.identity import check_character
from server.domain.model import Hall, Service
from server.store import appointments_sql as sql
from server.store.postgres import PostgresDatabase
from server.store.store import Store
from server.store.tx import Tx
from server.usecases.appointment_parts import Who
from server.usecases.appointments import Appointments, BookRequest
from server.usecases.citizens import Citizen
from server.usecases.context import Context
from server.usecases.ratelimit import MemoryRateLimiter

SH = ZoneInfo("Asia/Shanghai")
BOOK_AT = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # Wednesday 10:00, the fixed clock
LIST_AT = datetime(2026, 11, 25, 7, 0, tzinfo=SH)  # before opening: all of today is open
POOL = 20  # the server's default pool
SECRET = b"bench-secret"
BOOKING = BookingRules(slot_minutes=30, capacity=5, days_ahead=7)
# 08:00–18:00 in 15-minute slots: 40 a day; today and 6 working days after: 7 days.
LISTING = BookingRules(slot_minutes=15, capacity=5, days_ahead=6)
OFFICE = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# Bookings in the listing hall's tables: none; the horizon's alone (3 in each of its 280
# slots, so the listing reads 280 counts from here on); then a year of history behind them.
LEVELS = (0, 840, 10_000, 50_000)
BARE_INSERT = (
    "INSERT INTO appointments (id, hall_id, service, code, slot_start_at, slot_end_at,"
    " slot_day, state, id_fingerprint, id_masked, created_at)"
    " VALUES ($1, $2, 'A', $1, $3, $4, $5, 'booked', $6, 'x', $7)"
)
COUNT_UP = (
    "INSERT INTO slot_counts (hall_id, service, slot_start_at, booked) VALUES ($1, 'A', $2, $3)"
    " ON CONFLICT (hall_id, service, slot_start_at)"
    " DO UPDATE SET booked = slot_counts.booked + $3"
)
COPY_COLUMNS = ["id", "hall_id", "service", "code", "slot_start_at", "slot_end_at", "slot_day",
                "state", "id_fingerprint", "id_masked", "created_at"]  # fmt: skip


def utc() -> str:
    """When a round ended, to match against other load on the machine (never the bookings'
    clock, which is fixed)."""
    return datetime.now(UTC).strftime("%H:%M:%S")


def id_number(n: int) -> str:
    first = f"370102{date(1960, 1, 1) + timedelta(days=n // 900):%Y%m%d}{n % 900:03d}"
    return first + check_character(first)


def code(n: int) -> str:
    abc = ap.CODE_ALPHABET
    return "".join(abc[(n // len(abc) ** k) % len(abc)] for k in range(ap.CODE_LENGTH))


async def add_hall(store: Store, hall_id: str, hours: Any, rules: BookingRules) -> None:
    await store.create_hall(Hall(hall_id, "压测大厅", "Asia/Shanghai", hours, {}), BOOK_AT)
    await store.add_service(Service(hall_id, "A", "预约业务", "A", 300, booking=rules))


class TimedStore(Store):
    """The store, noting how long each write transaction holds its connection: from its
    first statement to its commit (the wait for a pooled connection is left out)."""

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db, Chainer(SECRET), Sealer(SECRET))
        self.held: list[float] = []

    @asynccontextmanager
    async def write(self, hall_id: str, now: datetime) -> AsyncIterator[Tx]:
        t0 = 0.0
        try:
            async with super().write(hall_id, now) as tx:
                t0 = time.perf_counter()
                yield tx
        finally:
            if t0:  # refused ones too: they held it until the rollback
                self.held.append(time.perf_counter() - t0)


Outcome = tuple[float, list[float], Counter[str], float]


async def burst(n: int, one: Callable[[int], Awaitable[str]]) -> Outcome:
    """Everyone presses at once: seconds for all, each one's latency, the outcomes, and
    this process's CPU seconds."""
    lat = [0.0] * n
    cpu0, t0 = time.process_time(), time.perf_counter()

    async def timed(i: int) -> str:
        out = await one(i)
        lat[i] = time.perf_counter() - t0
        return out

    outcomes = Counter(await asyncio.gather(*(timed(i) for i in range(n))))
    return time.perf_counter() - t0, lat, outcomes, time.process_time() - cpu0


async def checked(url: str, hall_id: str, run: Outcome, held: list[float]) -> dict[str, Any]:
    """The answers, the counts and the rows agree, and no slot is over capacity."""
    seconds, lat, outcomes, cpu = run
    c = await asyncpg.connect(url)
    try:
        counted = await c.fetchval(
            "SELECT sum(booked) FROM slot_counts WHERE hall_id = $1", hall_id
        )
        rows = await c.fetchval("SELECT count(*) FROM appointments WHERE hall_id = $1", hall_id)
        over = await c.fetchval(
            "SELECT count(*) FROM slot_counts WHERE hall_id = $1 AND booked > $2",
            hall_id, BOOKING.capacity,
        )  # fmt: skip
    finally:
        await c.close()
    accepted = outcomes.pop("booked", 0)
    if not accepted == counted == rows or over:
        raise RuntimeError(f"{hall_id}: accepted {accepted}, counted {counted}, rows {rows}")
    n = accepted + sum(outcomes.values())
    return {"attempts_per_s": round(n / seconds), "cpu_ms_per_attempt": round(cpu / n * 1e3, 3),
            "accepted": accepted, "refused": dict(outcomes), "seconds": round(seconds, 3),
            "latency": summary(lat), "tx": summary(held)}  # fmt: skip


async def book_use_case(url: str, hall_id: str, starts: list[datetime], n: int) -> dict[str, Any]:
    store = TimedStore(PostgresDatabase(url, max_size=POOL))
    await store.open(migrate=False)
    ctx = Context(store=store, bus=MemoryBus(), clock=lambda: BOOK_AT, secret=SECRET)
    desk = Appointments(ctx, MemoryRateLimiter())
    await ctx.hall(hall_id)  # the hall in the cache, as in a process that has been running
    phones = [f"139{i:08d}" for i in range(n)]
    people = [
        Citizen(f"c{i}", p, store.sealer.fingerprint("phone", p)) for i, p in enumerate(phones)
    ]

    async def one(i: int) -> str:
        req = BookRequest(hall_id, "A", starts[i % len(starts)], id_number(i))
        try:
            await desk.book(req, Who(citizen=people[i]))
        except Conflict as exc:
            return exc.code
        return "booked"

    run = await burst(n, one)
    await store.close()
    return await checked(url, hall_id, run, store.held)


async def book_bare(url: str, hall_id: str, starts: list[datetime], n: int) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=POOL, max_size=POOL)
    held: list[float] = []

    async def one(i: int) -> str:
        start = starts[i % len(starts)]
        async with pool.acquire() as c:
            t0 = time.perf_counter()
            async with c.transaction():
                taken = await sql.take_place(c, hall_id, "A", start, BOOKING.capacity)
                if taken is not None:
                    end = start + timedelta(minutes=BOOKING.slot_minutes)
                    await c.execute(BARE_INSERT, f"{hall_id}-{i}", hall_id, start, end,
                                    start.date(), id_number(i), BOOK_AT)  # fmt: skip
            held.append(time.perf_counter() - t0)
        return "slot_full" if taken is None else "booked"

    run = await burst(n, one)
    await pool.close()
    return await checked(url, hall_id, run, held)


def medians(rounds: list[dict[str, Any]], *paths: tuple[str, ...]) -> dict[str, Any]:
    """Per measure, the median of each side over the rounds and their ratio."""

    def med(side: str, path: tuple[str, ...]) -> float:
        vals = []
        for r in rounds:
            v = r[side]
            for p in path:
                v = v[p]
            vals.append(float(v))
        return statistics.median(vals)

    out: dict[str, Any] = {}
    for path in paths:
        u, b = med("use_case", path), med("baseline", path)
        out["_".join(path)] = {"use_case": u, "baseline": b, "ratio": round(u / b, 2)}
    return out


async def contention(url: str, rounds: int, citizens: int, slots: int) -> dict[str, Any]:
    store = Store.from_url(url, SECRET)
    await store.open()
    for r in range(rounds):  # a hall of its own for each side of each round
        for side in "ub":
            await add_hall(store, f"book-{r}-{side}", ALWAYS_OPEN, BOOKING)
    ctx = Context(store=store, bus=MemoryBus(), clock=lambda: BOOK_AT, secret=SECRET)
    _, listed = await Appointments(ctx, MemoryRateLimiter()).slots("book-0-u", "A", None, None)
    starts = [s.start for s in listed[:slots]]
    await store.close()
    out: list[dict[str, Any]] = []
    for r in range(rounds):
        sides = {"use_case": (book_use_case, f"book-{r}-u"), "baseline": (book_bare, f"book-{r}-b")}
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        got = {side: await sides[side][0](url, sides[side][1], starts, citizens) for side in order}
        print(json.dumps({"booking_round": r + 1, "utc": utc(), "first": order[0], **got}))
        out.append(got)
    return medians(out, ("attempts_per_s",), ("cpu_ms_per_attempt",), ("latency", "p50_ms"),
                   ("latency", "p99_ms"), ("tx", "p50_ms"), ("tx", "p99_ms"))  # fmt: skip


# --- (b) slot listing ---------------------------------------------------------------------


def past_weekdays(n: int) -> list[date]:
    """The n weekdays before the fixed clock's day, newest first."""
    out: list[date] = []
    d = date(2026, 11, 24)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return out


async def load(pool: Any, hall_id: str, horizon: list[datetime], first: int, last: int) -> None:
    """Bookings first..last-1 by COPY: 3 in each slot of the horizon, the rest 5 a slot on
    the weekdays before (checked in, late, missed, cancelled): a year of history."""
    days = past_weekdays(last // 200 + 1)
    states = ("checked_in", "checked_in", "late", "no_show", "cancelled")
    rows, counts = [], Counter[datetime]()
    for n in range(first, last):
        if n < 3 * len(horizon):
            start, state, fp = horizon[n // 3], "booked", f"person-{n}"
        else:
            k = n - 3 * len(horizon)
            opens = datetime.combine(days[k // 200], clock_time(8), SH)
            start = opens + timedelta(minutes=15 * (k // 5 % 40))
            state, fp = states[k % 5], f"person-{k % 20_000}"
        counts[start] += state != "cancelled"
        rows.append((f"{hall_id}-{n}", hall_id, "A", f"L{code(n)}", start,
                     start + timedelta(minutes=15), start.date(), state, fp,
                     "370***********0000", start - timedelta(days=3)))  # fmt: skip
    async with pool.acquire() as c, c.transaction():
        await c.copy_records_to_table("appointments", records=rows, columns=COPY_COLUMNS)
        await c.executemany(COUNT_UP, [(hall_id, s, k) for s, k in counts.items()])
    async with pool.acquire() as c:
        await c.execute("ANALYZE appointments; ANALYZE slot_counts")  # as autovacuum would


async def listing(url: str, rounds: int, seconds: float) -> dict[str, Any]:
    hall_id = "list"
    store = Store.from_url(url, SECRET)
    await store.open()
    await add_hall(store, hall_id, OFFICE, LISTING)
    ctx = Context(store=store, bus=MemoryBus(), clock=lambda: LIST_AT, secret=SECRET)
    desk = Appointments(ctx, MemoryRateLimiter())
    _, found = await desk.slots(hall_id, "A", None, None)
    if len(found) != 7 * 40:
        raise RuntimeError(f"expected 280 slots, listed {len(found)}")
    horizon = [s.start for s in found]
    pool = await asyncpg.create_pool(url, min_size=4, max_size=4)

    async def use_case(_: int) -> None:
        await desk.slots(hall_id, "A", None, None)

    async def bare(_: int) -> None:
        async with pool.acquire() as c:
            await sql.counts(c, hall_id, "A", horizon[0], horizon[-1])

    out: dict[str, Any] = {}
    loaded = 0
    for level in LEVELS:
        await load(pool, hall_id, horizon, loaded, level)
        loaded = level
        per: list[dict[str, Any]] = []
        for r in range(rounds):
            sides = {"use_case": use_case, "baseline": bare}
            got = {}
            for side in list(sides) if r % 2 == 0 else list(sides)[::-1]:
                cpu0 = time.process_time()
                rate, lat = await closed_loop(4, seconds, sides[side])
                cpu = (time.process_time() - cpu0) / len(lat) * 1e3
                got[side] = {"per_s": round(rate), "cpu_ms_per_call": round(cpu, 3),
                             "latency": summary(lat)}  # fmt: skip
            print(json.dumps({"listing_bookings": level, "round": r + 1, "utc": utc(), **got}))
            per.append(got)
        out[str(level)] = medians(per, ("per_s",), ("cpu_ms_per_call",), ("latency", "p50_ms"),
                                  ("latency", "p99_ms"))  # fmt: skip
    await pool.close()
    await store.close()
    return out


async def main(a: argparse.Namespace) -> None:
    async with fresh_database() as url:
        booking = await contention(url, a.rounds, a.citizens, a.slots)
        slots = await listing(url, a.rounds, a.seconds)
    print(json.dumps({"booking_medians": booking, "listing_medians": slots}, indent=2))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5.0, help="per side per round of listing")
    p.add_argument("--citizens", type=int, default=2000)
    p.add_argument("--slots", type=int, default=100)
    uvloop.run(main(p.parse_args()))
