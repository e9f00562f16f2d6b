"""Statistics on PostgreSQL (issue #12): the live page and a 90-day range over a year of
one big hall, each beside a bare baseline computed from the tickets table.

Data (generated in SQL with generate_series, fixed dates, no wall clock): one hall,
10 services, 20 windows and clerks; 1,000,000 tickets over the 365 business days
2025-11-26 .. 2026-11-25 (2,740 a day, 08:30-17:00 Shanghai time), of which about
85 % served, 5 % passed, 3 % cancelled; today's (2026-11-25, "now" is 15:00) are
half served, the rest waiting; 200,000 ratings (one served ticket in four or so),
1 % malicious. Then the daily archive freezes the 364 past days (timed).

Measured, per round (rounds alternate which side goes first):

- *live*: ``Stats.live`` as the page calls it (target; today's tickets counted by
  the database per hall and service over the hall-day key, two statements; the
  day's ratings and concluded cases; finish times for served-per-hour; waiting now
  by the partial index; window states; the alert). Baseline: the same "today" figures
  by a bare scan, ``issued_at >= today's midnight`` over the tickets table, which
  has no index for it (what a naive dashboard query does).
- *range*: ``Stats.range`` over the last 90 frozen days (the hall's row per day; the
  service, window, clerk and channel rows added up by the database; the services'
  minute histograms merged for their percentiles). Baseline: the same 90 days aggregated from the
  tickets table in one SQL statement (counts, average and 90th percentile of the
  wait, service time), ``business_day BETWEEN`` on the (hall, day, number) key.
- *update cost per event*: the page re-reads ``live`` at most once a second, however
  many events arrive (stats.js ``refreshSoon``), so the cost per event is one live
  read divided by the events it covers; the live read's wall time and this process's
  CPU per read are reported, and a burst of 100 events within a second is one read.

    python -m bench.stats --rounds 3 --calls 200
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import uvloop

from bench.common import ALWAYS_OPEN, fresh_database
from server.bus.memory import MemoryBus
from server.domain.model import Actor, Hall, Role, Service, User, Window
from server.store.store import Store
from server.usecases import stats_archive
from server.usecases.context import Context
from server.usecases.stats import Stats

HALL = "bench"
FIRST_DAY = date(2025, 11, 26)
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
PER_DAY = 2740
DAYS = (TODAY - FIRST_DAY).days + 1
SERVICES = "ABCDEFGHIJ"
WINDOWS = 20

# One row per ticket: n is 0-based over the year, d its day, k its place in the day.
_TICKETS = """
INSERT INTO tickets (id, hall_id, service, number, seq_no, business_day, kind, channel, state,
    priority, issued_at, queue_at, token_hash, window_id, called_at, started_at, finished_at,
    served_by)
SELECT 't' || n, $1, s, s || lpad(k::text, 4, '0'), k, day,
       CASE WHEN n % 10 = 0 THEN 'appointment' ELSE 'walk_in' END,
       (ARRAY['kiosk', 'phone', 'window'])[(n % 3)::int + 1],
       st, 2, issued, issued, 'x',
       CASE WHEN st IN ('waiting', 'cancelled') OR st = 'void' AND n % 100 >= 98 THEN NULL
            ELSE 'bench-w' || (n % 20 + 1) END,
       CASE WHEN st IN ('done', 'no_show') OR st = 'void' AND n % 100 < 98
            THEN issued + wait ELSE NULL END,
       CASE WHEN st = 'done' THEN issued + wait ELSE NULL END,
       CASE WHEN st = 'done' THEN issued + wait + make_interval(secs => 120 + n % 600) END,
       CASE WHEN st = 'done' THEN 'c' || (n % 20 + 1) END
FROM (
    SELECT n, k, day, chr(65 + (n % 10)::int) AS s,
           (day + time '08:30') AT TIME ZONE 'Asia/Shanghai'
               + make_interval(secs => k * 30600.0 / $3::int) AS issued,
           make_interval(secs => (n * 7919) % 2700 + (n % 13) * 60) AS wait,
           CASE WHEN day = $4::date THEN
                    CASE WHEN k < $3::int / 2 THEN 'done' ELSE 'waiting' END
                WHEN n % 100 < 85 THEN 'done'
                WHEN n % 100 < 90 THEN 'void'        -- passed, voided at day end
                WHEN n % 100 < 93 THEN 'cancelled'
                WHEN n % 100 < 98 THEN 'done'
                ELSE 'void' END AS st                 -- still waiting at day end
    FROM (SELECT n, n % $3::int AS k, $2::date + (n / $3::int)::int AS day
          FROM generate_series(0::bigint, $3::int * $5::int - 1) AS n) g
) x
"""
_RATINGS = """
INSERT INTO ratings (id, hall_id, ticket_id, service, window_id, clerk_id, channel, level,
    business_day, rated_at, malicious)
SELECT 'r' || id, hall_id, id, service, window_id, served_by, 'pad',
       (ARRAY[5, 5, 5, 4, 4, 3, 5, 2, 4, 1])[(seq_no * 7) % 10 + 1], business_day, finished_at,
       seq_no % 100 = 0
FROM tickets WHERE hall_id = $1 AND state = 'done' AND seq_no % 4 = 0
LIMIT $2
"""
# The naive "today": every ticket issued since local midnight, found by a full scan.
_BARE_LIVE = """
SELECT count(*) AS issued, count(*) FILTER (WHERE state = 'done') AS served,
       count(*) FILTER (WHERE state = 'no_show') AS no_show,
       avg(extract(epoch FROM started_at - issued_at)) AS avg_wait,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY started_at - issued_at) AS p90,
       avg(extract(epoch FROM finished_at - started_at)) FILTER (WHERE state = 'done') AS svc,
       count(*) FILTER (WHERE state = 'waiting') AS waiting,
       min(issued_at) FILTER (WHERE state = 'waiting') AS oldest
FROM tickets WHERE hall_id = $1 AND issued_at >= $2
"""
_BARE_RANGE = """
SELECT count(*) AS issued, count(*) FILTER (WHERE state = 'done') AS served,
       count(*) FILTER (WHERE state = 'no_show' OR state = 'void' AND called_at IS NOT NULL) AS ns,
       avg(extract(epoch FROM started_at - issued_at)) AS avg_wait,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY started_at - issued_at) AS p90,
       avg(extract(epoch FROM finished_at - started_at)) FILTER (WHERE state = 'done') AS svc
FROM tickets WHERE hall_id = $1 AND business_day BETWEEN $2 AND $3
"""


async def seed(url: str) -> dict[str, float]:
    store = Store.from_url(url)
    await store.open()
    try:
        await store.create_hall(Hall(HALL, "压测大厅", "Asia/Shanghai", ALWAYS_OPEN, {}), NOW)
        for code in SERVICES:
            await store.add_service(Service(HALL, code, f"业务{code}", code, 300))
        for n in range(1, WINDOWS + 1):
            await store.add_user(User(f"c{n}", f"clerk{n}", f"窗口{n}", Role.CLERK, HALL, "x"),
                                 NOW)  # fmt: skip
            await store.add_window(Window(f"bench-w{n}", HALL, n, f"{n}号窗口", tuple(SERVICES)))
        await store.add_user(User("sup", "sup", "值班主任", Role.SUPERVISOR, HALL, "x"), NOW)
    finally:
        await store.close()
    conn = await asyncpg.connect(url)
    try:
        t0 = time.perf_counter()
        await conn.execute(_TICKETS, HALL, FIRST_DAY, PER_DAY, TODAY, DAYS)
        t1 = time.perf_counter()
        await conn.execute(_RATINGS, HALL, 200_000)
        t2 = time.perf_counter()
        await conn.execute("ANALYZE")
        tickets = await conn.fetchval("SELECT count(*) FROM tickets")
        ratings = await conn.fetchval("SELECT count(*) FROM ratings")
    finally:
        await conn.close()
    return {"tickets": tickets, "ratings": ratings, "tickets_s": t1 - t0, "ratings_s": t2 - t1}


async def measure(calls: int, fn: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await fn()  # warm: plans cached, pages in memory
    lat = []
    cpu0 = time.process_time()
    for _ in range(calls):
        t = time.perf_counter()
        await fn()
        lat.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 / calls
    lat.sort()
    return {"p50": statistics.median(lat), "p99": lat[max(0, int(len(lat) * 0.99) - 1)],
            "cpu": cpu}  # fmt: skip


def fmt(m: dict[str, float]) -> str:
    return f"{m['p50']:.1f} / {m['p99']:.1f} ms (CPU {m['cpu']:.2f} ms)"


async def main(rounds: int, calls: int) -> None:
    async with fresh_database() as url:
        seeded = await seed(url)
        print(f"seeded {seeded['tickets']:,} tickets in {seeded['tickets_s']:.1f} s,"
              f" {seeded['ratings']:,} ratings in {seeded['ratings_s']:.1f} s")  # fmt: skip
        store = Store.from_url(url)
        await store.open()
        ctx = Context(store=store, bus=MemoryBus(), clock=lambda: NOW, secret=b"bench")
        t0 = time.perf_counter()
        frozen = await stats_archive.catch_up(ctx, HALL, NOW)
        print(f"archive: froze {frozen} days in {time.perf_counter() - t0:.1f} s;"
              f" a re-run froze {await stats_archive.catch_up(ctx, HALL, NOW)}")  # fmt: skip
        stats = Stats(ctx)
        sup = Actor("sup", "sup", Role.SUPERVISOR, HALL)
        last = TODAY - timedelta(days=1)
        first = last - timedelta(days=89)
        midnight = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
        pool = store.db._pool  # type: ignore[attr-defined]  # the same pool, bare SQL

        async def bare_live() -> None:
            async with pool.acquire() as c:
                await c.fetchrow(_BARE_LIVE, HALL, midnight)

        async def bare_range() -> None:
            async with pool.acquire() as c:
                await c.fetchrow(_BARE_RANGE, HALL, first, last)

        async def use_live() -> None:
            await stats.live(sup, HALL)

        async def use_range() -> None:
            await stats.range(sup, HALL, first.isoformat(), last.isoformat())

        live = await stats.live(sup, HALL)
        rng = await stats.range(sup, HALL, first.isoformat(), last.isoformat())
        print(f"live today: issued {live.tally.issued}, served {live.tally.served},"
              f" waiting {sum(n for _, n, _ in live.waiting)};"
              f" range: {len(rng.per_day)} days, {rng.total.issued:,} tickets,"
              f" P90 {rng.total.wait_percentile_upper_s(90)} s")  # fmt: skip
        results: dict[str, list[dict[str, float]]] = {k: [] for k in
                                                      ("live", "bare_live", "range", "bare_range")}  # fmt: skip
        for r in range(rounds):
            order = [("live", use_live), ("bare_live", bare_live), ("range", use_range),
                     ("bare_range", bare_range)]  # fmt: skip
            if r % 2:
                order = [order[1], order[0], order[3], order[2]]
            load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115
            for name, fn in order:
                results[name].append(await measure(calls, fn))
            print(f"round {r + 1} (load {load}): "
                  + "; ".join(f"{k} {fmt(v[-1])}" for k, v in results.items()))  # fmt: skip
        print("median of rounds:")
        for name, got in results.items():
            med = {k: statistics.median(m[k] for m in got) for k in ("p50", "p99", "cpu")}
            print(f"  {name}: {fmt(med)}")
        await store.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=200)
    a = p.parse_args()
    uvloop.run(main(a.rounds, a.calls))
