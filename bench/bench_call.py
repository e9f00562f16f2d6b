"""Call-next with 20 windows, side by side with the bare-SQL baseline, on PostgreSQL or SQLite.

Each window loops call-next → no-show (the shortest cycle that frees the window
again) over a deep queue. The baseline runs the same two transactions the server
runs (window row lock, SKIP LOCKED claim, ticket and window updates, stream and
event append) from a plain asyncpg script. With ``--db sqlite`` the server runs on
a fresh SQLite file and the baseline is bench/sqlite_baseline.py on a file of its own.

    python -m bench.bench_call --rounds 3 --seconds 10 [--db sqlite]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import asyncpg
import uvloop

from bench import sqlite_baseline
from bench.common import (
    DATABASES,
    PASSWORD,
    Conn,
    closed_loop,
    fresh,
    hall_day,
    header,
    is_sqlite,
    seed,
    server,
    summary,
)

WINDOWS = 20
QUEUE = 60_000


async def fill(url: str) -> None:
    if is_sqlite(url):
        await sqlite_baseline.fill(url, QUEUE)
        return
    conn = await asyncpg.connect(url)
    day = hall_day()
    await conn.execute(
        "INSERT INTO tickets (id, hall_id, service, number, seq_no, business_day, kind, channel,"
        " state, priority, issued_at, queue_at, token_hash)"
        " SELECT md5(g::text), 'bench', 'A', 'A' || g, g, $1, 'walk_in', 'kiosk', 'waiting', 2,"
        " now() + g * interval '1 microsecond', now() + g * interval '1 microsecond', md5(g::text)"
        " FROM generate_series(1, $2) g",
        day,
        QUEUE,
    )
    await conn.execute("ANALYZE tickets")
    await conn.close()


async def http_side(port: int, seconds: float) -> dict[str, object]:
    conns = [await Conn.open(port) for _ in range(WINDOWS)]
    tokens = []
    for n in range(1, WINDOWS + 1):
        _, body = await conns[0].request(
            "POST", "/api/auth/login", {"username": f"clerk{n}", "password": PASSWORD}
        )
        tokens.append(json.loads(body)["token"])
        await conns[0].request("POST", f"/api/windows/bench-w{n}/open", token=tokens[-1])
    calls: list[float] = []

    async def cycle(i: int) -> None:
        t0 = time.perf_counter()
        status, body = await conns[i].request(
            "POST", f"/api/windows/bench-w{i + 1}/call-next", token=tokens[i]
        )
        calls.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(body[:200])
        status, body = await conns[i].request(
            "POST", f"/api/windows/bench-w{i + 1}/no-show", token=tokens[i]
        )
        if status != 200:
            raise RuntimeError(body[:200])

    cycles, _ = await closed_loop(WINDOWS, seconds, cycle)
    for n in range(1, WINDOWS + 1):
        await conns[0].request("POST", f"/api/windows/bench-w{n}/close", token=tokens[n - 1])
    for c in conns:
        c.close()
    return {
        "calls_per_s": round(cycles),
        "requests_per_s": round(cycles * 2),
        "call": summary(calls),
    }


FLUSH = (
    "WITH s AS (UPDATE hall_streams SET last_seq = last_seq + 1 WHERE hall_id = 'bench'"
    " RETURNING last_seq) INSERT INTO events (hall_id, seq, type, data, at)"
    " SELECT 'bench', s.last_seq, $1, $2::jsonb, $3 FROM s RETURNING seq"
)


WINDOW = (
    "SELECT *, (SELECT string_agg(service_code, ',') FROM window_services s"
    " WHERE s.window_id = windows.id) AS service_codes FROM windows WHERE id = $1 FOR UPDATE"
)
TARGETED = (
    "SELECT id, number FROM tickets WHERE hall_id = 'bench' AND state = 'waiting'"
    " AND target_window_id = $1 ORDER BY priority, queue_at, seq_no LIMIT 1 FOR UPDATE SKIP LOCKED"
)
CLASS = (
    "SELECT id, number FROM tickets WHERE hall_id = 'bench' AND state = 'waiting'"
    " AND priority = $1 AND target_window_id IS NULL AND service IN ('A')"
    " ORDER BY queue_at, seq_no LIMIT 1 FOR UPDATE SKIP LOCKED"
)


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


async def sql_side(url: str, seconds: float) -> dict[str, object]:
    """The server's two transactions, statement for statement, without the server."""
    pool = await asyncpg.create_pool(url, min_size=WINDOWS, max_size=WINDOWS, reset=_no_reset)
    calls: list[float] = []

    async def cycle(i: int) -> None:
        wid = f"bench-w{i + 1}"
        t0 = time.perf_counter()
        async with pool.acquire() as c, c.transaction():
            await c.fetchrow(WINDOW, wid)
            t = await c.fetchrow(TARGETED, wid)
            for priority in (0, 1, 2):
                t = await c.fetchrow(CLASS, priority)
                if t is not None:
                    break
            now = datetime.now(UTC)
            await c.execute(
                "UPDATE tickets SET state = 'called', window_id = $2, called_at = $3 WHERE id = $1",
                t["id"], wid, now,
            )  # fmt: skip
            await c.execute(
                "UPDATE windows SET state = 'serving', current_ticket_id = $2 WHERE id = $1",
                wid,
                t["id"],
            )
            await c.fetchval(FLUSH, "ticket.called", json.dumps({"number": t["number"]}), now)
        calls.append(time.perf_counter() - t0)
        async with pool.acquire() as c, c.transaction():
            w = await c.fetchrow(WINDOW, wid)
            await c.fetchrow(
                "SELECT * FROM tickets WHERE id = $1 FOR UPDATE", w["current_ticket_id"]
            )
            now = datetime.now(UTC)
            await c.execute(
                "UPDATE tickets SET state = 'no_show', finished_at = $2 WHERE id = $1",
                w["current_ticket_id"], now,
            )  # fmt: skip
            await c.execute(
                "UPDATE windows SET state = 'open', current_ticket_id = NULL WHERE id = $1", wid
            )
            await c.fetchval(FLUSH, "ticket.no_show", "{}", now)

    async with pool.acquire() as c:
        await c.execute("UPDATE windows SET state = 'open' WHERE hall_id = 'bench'")
    cycles, _ = await closed_loop(WINDOWS, seconds, cycle)
    async with pool.acquire() as c:
        await c.execute(
            "UPDATE windows SET state = 'closed', clerk_id = NULL WHERE hall_id = 'bench'"
        )
    await pool.close()
    return {
        "calls_per_s": round(cycles),
        "requests_per_s": round(cycles * 2),
        "call": summary(calls),
    }


async def baseline(url: str, seconds: float) -> dict[str, object]:
    if is_sqlite(url):
        return await sqlite_baseline.call_side(url, seconds, WINDOWS)
    return await sql_side(url, seconds)


async def main(db: str, rounds: int, seconds: float) -> None:
    header("call", db, rounds=rounds, seconds=seconds, windows=WINDOWS, queue=QUEUE)
    results = []
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh(db))
        # SQLite: the baseline gets a file of its own, filled the same way, so the server
        # process's connections never touch the baseline's timings.
        base_url = await stack.enter_async_context(fresh(db)) if db == "sqlite" else url
        for u in dict.fromkeys((url, base_url)):
            await seed(u, windows=WINDOWS, services="A")
            await fill(u)
        port = await stack.enter_async_context(server(url))
        await http_side(port, 1.0)  # warm-up
        for r in range(rounds):
            srv = await http_side(port, seconds)
            base = await baseline(base_url, seconds)
            results.append((srv, base))
            print(json.dumps({"round": r + 1, "server": srv, "baseline": base}))
    s = statistics.median(float(x[0]["calls_per_s"]) for x in results)  # type: ignore[arg-type]
    b = statistics.median(float(x[1]["calls_per_s"]) for x in results)  # type: ignore[arg-type]
    print(json.dumps({
        "db": db,
        "median_server_calls_per_s": s,
        "median_baseline_calls_per_s": b,
        "ratio": round(s / b, 2),
        "median_server_call_p50_ms": statistics.median(x[0]["call"]["p50_ms"] for x in results),  # type: ignore[index]
        "median_server_call_p99_ms": statistics.median(x[0]["call"]["p99_ms"] for x in results),  # type: ignore[index]
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=DATABASES, default="postgres")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    uvloop.run(main(a.db, a.rounds, a.seconds))
