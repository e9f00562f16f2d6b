"""Ticket issue over HTTP on PostgreSQL, side by side with the bare-SQL baseline.

The baseline runs the same transaction the server runs for a walk-in ticket
(queue count, counter upsert, ticket insert, stream counter and event insert in
one statement) from a plain
asyncpg script, so server/baseline is the cost of everything OneWindow adds:
HTTP, validation, the use case, JSON.

    python bench/bench_issue.py --rounds 3 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import statistics
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import uvloop

from bench.common import (
    Conn,
    closed_loop,
    fresh_database,
    hall_day,
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
async def drained(url: str) -> AsyncIterator[None]:
    """Serve the queue while tickets pour in: a hall's waiting list stays in the hundreds,
    and a queue left to grow without bound would measure counting, not issuing."""
    conn = await asyncpg.connect(url)
    stop = asyncio.Event()

    async def drain() -> None:
        while not stop.is_set():
            await conn.execute(
                "UPDATE tickets SET state = 'done', started_at = issued_at, finished_at = now()"
                " WHERE id IN (SELECT id FROM tickets"
                " WHERE hall_id = 'bench' AND state = 'waiting' ORDER BY queue_at, seq_no"
                " LIMIT 10000 OFFSET 200)"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    task = asyncio.create_task(drain())
    try:
        yield
    finally:
        stop.set()
        await task
        await conn.close()


async def main(rounds: int, seconds: float, rate: float) -> None:
    results: list[tuple[dict[str, object], dict[str, object]]] = []
    async with fresh_database() as url:
        await seed(url, windows=1)
        async with server(url) as port:
            await http_side(port, 1.0, 50)  # warm-up: connections, plans, caches
            for r in range(rounds):
                async with drained(url):
                    srv = await http_side(port, seconds, rate)
                async with drained(url):
                    base = await sql_side(url, seconds, rate)
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
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=300.0)
    a = ap.parse_args()
    uvloop.run(main(a.rounds, a.seconds, a.rate))
