"""Ticket issue over HTTP, side by side with the bare-SQL baseline, on PostgreSQL or SQLite.

The baseline runs the same transaction the server runs for a walk-in ticket
(queue count, counter upsert, ticket insert, stream counter and event insert in
one statement) from a plain
asyncpg script, so server/baseline is the cost of everything OneWindow adds:
HTTP, validation, the use case, JSON. With ``--db sqlite`` the server runs on a
fresh SQLite file and the baseline is bench/sqlite_baseline.py on a file of its own.

    python -m bench.bench_issue --rounds 3 --seconds 10 [--db sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import statistics
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from functools import partial

import asyncpg
import uvloop

from bench import sqlite_baseline
from bench.common import (
    DATABASES,
    Conn,
    closed_loop,
    fresh,
    hall_day,
    header,
    is_sqlite,
    open_loop,
    seed,
    server,
    summary,
)

WORKERS = 32


async def http_side(port: int, seconds: float, rate: float) -> dict[str, object]:
    conns = [await Conn.open(port) for _ in range(WORKERS * 2)]
    services = "AB"

    async def issue(i: int) -> None:
        status, body = await conns[i].request(
            "POST", "/api/halls/bench/tickets", {"service": services[i % 2]}
        )
        if status != 201:
            raise RuntimeError(f"{status} {body[:200]!r}")

    tput, lat = await closed_loop(WORKERS, seconds, issue)
    fixed = await open_loop(rate, seconds * 2, WORKERS * 2, issue)
    for c in conns:
        c.close()
    return {"throughput": round(tput), "closed": summary(lat), "at_rate": summary(fixed)}


async def sql_side(url: str, seconds: float, rate: float) -> dict[str, object]:
    pool = await asyncpg.create_pool(url, min_size=20, max_size=20)
    day = hall_day()

    async def issue(i: int) -> None:
        svc = "AB"[i % 2]
        now = datetime.now(UTC)
        async with pool.acquire() as c, c.transaction():
            ahead = await c.fetchval(
                "SELECT count(*) FROM tickets WHERE hall_id = 'bench' AND service = $1"
                " AND state = 'waiting' AND target_window_id IS NULL AND priority <= 2",
                svc,
            )
            n = await c.fetchval(
                "INSERT INTO ticket_counters (hall_id, service_code, business_day, last)"
                " VALUES ('bench', $1, $2, 1) ON CONFLICT (hall_id, service_code, business_day)"
                " DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
                svc,
                day,
            )
            tid = uuid.uuid4().hex
            await c.execute(
                "INSERT INTO tickets (id, hall_id, service, number, seq_no, business_day, kind,"
                " channel, state, priority, issued_at, queue_at, token_hash)"
                " VALUES ($1, 'bench', $2, $3, $4, $5, 'walk_in', 'kiosk', 'waiting', 2, $6, $6, $7)",
                tid, svc, f"{svc}{n:03d}", n, day, now, secrets.token_hex(32),
            )  # fmt: skip
            await c.fetchval(
                "WITH s AS (UPDATE hall_streams SET last_seq = last_seq + 1"
                "           WHERE hall_id = 'bench' RETURNING last_seq)"
                " INSERT INTO events (hall_id, seq, type, data, at)"
                " SELECT 'bench', s.last_seq, $1, $2::jsonb, $3 FROM s RETURNING seq",
                "ticket.issued",
                json.dumps({"ticket": tid, "number": f"{svc}{n:03d}", "ahead": ahead}),
                now,
            )

    tput, lat = await closed_loop(WORKERS, seconds, issue)
    fixed = await open_loop(rate, seconds * 2, WORKERS * 2, issue)
    await pool.close()
    return {"throughput": round(tput), "closed": summary(lat), "at_rate": summary(fixed)}


@asynccontextmanager
async def drain_step(url: str) -> AsyncIterator[Callable[[], Awaitable[object]]]:
    """One pass of the drain, on a connection of its own. On SQLite that is a second
    writer beside the server's (or the baseline's): its BEGIN IMMEDIATE waits its turn."""
    if is_sqlite(url):
        writer = await sqlite_baseline.Writer.open(url)
        try:
            yield partial(writer.tx, sqlite_baseline.drain)
        finally:
            await writer.close()
        return
    conn = await asyncpg.connect(url)
    try:
        yield partial(
            conn.execute,
            "UPDATE tickets SET state = 'done', started_at = issued_at, finished_at = now()"
            " WHERE id IN (SELECT id FROM tickets"
            " WHERE hall_id = 'bench' AND state = 'waiting' ORDER BY queue_at, seq_no"
            " LIMIT 10000 OFFSET 200)",
        )
    finally:
        await conn.close()


@asynccontextmanager
async def drained(url: str) -> AsyncIterator[None]:
    """Serve the queue while tickets pour in: a hall's waiting list stays in the hundreds,
    and a queue left to grow without bound would measure counting, not issuing."""
    stop = asyncio.Event()

    async def drain(step: Callable[[], Awaitable[object]]) -> None:
        while not stop.is_set():
            await step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    async with drain_step(url) as step:
        task = asyncio.create_task(drain(step))
        try:
            yield
        finally:
            stop.set()
            await task


async def baseline(url: str, seconds: float, rate: float) -> dict[str, object]:
    if is_sqlite(url):
        return await sqlite_baseline.issue_side(url, seconds, rate, WORKERS)
    return await sql_side(url, seconds, rate)


async def main(db: str, rounds: int, seconds: float, rate: float) -> None:
    header("issue", db, rounds=rounds, seconds=seconds, rate=rate)
    results: list[tuple[dict[str, object], dict[str, object]]] = []
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh(db))
        # SQLite: the baseline gets a file of its own, so the server process's connections
        # (its reader's snapshot, its checkpoints) never touch the baseline's timings.
        base_url = await stack.enter_async_context(fresh(db)) if db == "sqlite" else url
        for u in dict.fromkeys((url, base_url)):
            await seed(u, windows=1)
        port = await stack.enter_async_context(server(url))
        await http_side(port, 1.0, 50)  # warm-up: connections, plans, caches
        for r in range(rounds):
            async with drained(url):
                srv = await http_side(port, seconds, rate)
            async with drained(base_url):
                base = await baseline(base_url, seconds, rate)
            results.append((srv, base))
            print(json.dumps({"round": r + 1, "server": srv, "baseline": base}))

    def med(side: int, *path: str) -> float:
        vals = []
        for pair in results:
            v: object = pair[side]
            for p in path:
                v = v[p]  # type: ignore[index]
            vals.append(float(v))  # type: ignore[arg-type]
        return statistics.median(vals)

    s_t, b_t = med(0, "throughput"), med(1, "throughput")
    print(
        json.dumps(
            {
                "db": db,
                "median_server_tickets_per_s": s_t,
                "median_baseline_tx_per_s": b_t,
                "throughput_ratio": round(s_t / b_t, 2),
                f"median_server_p50_ms_at_{rate:g}/s": med(0, "at_rate", "p50_ms"),
                f"median_server_p99_ms_at_{rate:g}/s": med(0, "at_rate", "p99_ms"),
                f"median_baseline_p50_ms_at_{rate:g}/s": med(1, "at_rate", "p50_ms"),
                f"median_baseline_p99_ms_at_{rate:g}/s": med(1, "at_rate", "p99_ms"),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=DATABASES, default="postgres")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=300.0)
    a = ap.parse_args()
    uvloop.run(main(a.db, a.rounds, a.seconds, a.rate))
