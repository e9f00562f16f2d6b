"""The bare-SQL baselines on SQLite: the server's statements from the stdlib ``sqlite3``.

SQLite has one writer at a time, so the baseline has one: a single connection on a
single thread, each ticket (issue) or window command (call) one ``BEGIN IMMEDIATE …
COMMIT`` queued to it, as the server queues its transactions behind one lock. The
file is made by the server's own migrations (bench.common.seed) and opened with the
server's pragmas, so the rows, the indexes and the fsync of each commit are the
same. What the server adds on top: HTTP, validation, the use case, JSON, and
aiosqlite's hop to its thread for every statement (here the whole transaction is
one hop). Statements are those of the PostgreSQL baselines in the server's SQLite
dialect: no row locks, and the event appended as the SQLite store does it (stream
bump, then the insert).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from bench.common import closed_loop, hall_day, open_loop, summary

T = TypeVar("T")

# The server's pragmas (server/store/sqlite.py): a commit is durable before a reply.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def stamp(t: datetime) -> str:
    """A timestamp as the SQLite store writes it: UTC, microseconds, so text order is time order."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)  # autocommit: BEGIN and COMMIT are ours
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


class Writer:
    """One connection on one thread of its own; transactions run there one after another."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="bench-sqlite")
        self._conn: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, url: str) -> Writer:
        w = cls(url.removeprefix("sqlite:///"))
        # Made on the thread that uses it: sqlite3 refuses a connection from another thread.
        w._conn = await w._call(partial(_connect, w._path))
        return w

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def tx(self, body: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise RuntimeError("writer is not open")

        def run() -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                out = body(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return out

        return await self._call(run)

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._conn.close)
            self._conn = None
        self._thread.shutdown()


def _append(c: sqlite3.Connection, type_: str, data: str, at: str) -> None:
    """The SQLite store's event append: bump the hall's stream, insert at the new seq."""
    r = c.execute(
        "UPDATE hall_streams SET last_seq = last_seq + ?2 WHERE hall_id = ?1"
        " RETURNING last_seq, epoch",
        ("bench", 1),
    ).fetchall()[0]
    c.execute(
        "INSERT INTO events (hall_id, seq, type, data, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        ("bench", r["last_seq"], type_, data, at),
    )


# --- ticket issue ------------------------------------------------------------------


def _issue(svc: str, day: str, now: str, c: sqlite3.Connection) -> None:
    ahead = c.execute(
        "SELECT count(*) FROM tickets WHERE hall_id = 'bench' AND service = ?1"
        " AND state = 'waiting' AND target_window_id IS NULL AND priority <= 2",
        (svc,),
    ).fetchall()[0][0]
    n = c.execute(
        "INSERT INTO ticket_counters (hall_id, service_code, business_day, last)"
        " VALUES ('bench', ?1, ?2, 1) ON CONFLICT (hall_id, service_code, business_day)"
        " DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
        (svc, day),
    ).fetchall()[0][0]
    tid, number = uuid.uuid4().hex, f"{svc}{n:03d}"
    c.execute(
        "INSERT INTO tickets (id, hall_id, service, number, seq_no, business_day, kind,"
        " channel, state, priority, issued_at, queue_at, token_hash)"
        " VALUES (?1, 'bench', ?2, ?3, ?4, ?5, 'walk_in', 'kiosk', 'waiting', 2, ?6, ?6, ?7)",
        (tid, svc, number, n, day, now, secrets.token_hex(32)),
    )
    data = json.dumps({"ticket": tid, "number": number, "ahead": ahead}, ensure_ascii=False)
    _append(c, "ticket.issued", data, now)


async def issue_side(url: str, seconds: float, rate: float, workers: int) -> dict[str, object]:
    """One transaction per ticket, no group commit: the same figures as the PG baseline."""
    writer = await Writer.open(url)
    day = hall_day().isoformat()

    async def issue(i: int) -> None:
        await writer.tx(partial(_issue, "AB"[i % 2], day, stamp(datetime.now(UTC))))

    tput, lat = await closed_loop(workers, seconds, issue)
    fixed = await open_loop(rate, seconds * 2, workers * 2, issue)
    await writer.close()
    return {"throughput": round(tput), "closed": summary(lat), "at_rate": summary(fixed)}


def drain(c: sqlite3.Connection) -> None:
    """bench_issue's drain: every waiting ticket but the first 200 is served."""
    c.execute(
        "UPDATE tickets SET state = 'done', started_at = issued_at, finished_at = ?1"
        " WHERE id IN (SELECT id FROM tickets"
        " WHERE hall_id = 'bench' AND state = 'waiting' ORDER BY queue_at, seq_no"
        " LIMIT 10000 OFFSET 200)",
        (stamp(datetime.now(UTC)),),
    )


# --- call-next ---------------------------------------------------------------------

WINDOW = (
    "SELECT *, (SELECT group_concat(service_code, ',') FROM window_services s"
    " WHERE s.window_id = windows.id) AS service_codes FROM windows WHERE id = ?1"
)
TARGETED = (
    "SELECT id, number FROM tickets WHERE hall_id = 'bench' AND state = 'waiting'"
    " AND target_window_id = ?1 ORDER BY priority, queue_at, seq_no LIMIT 1"
)
CLASS = (
    "SELECT id, number FROM tickets WHERE hall_id = 'bench' AND state = 'waiting'"
    " AND priority = ?1 AND target_window_id IS NULL AND service IN ('A')"
    " ORDER BY queue_at, seq_no LIMIT 1"
)


def _first(c: sqlite3.Connection, sql: str, *args: object) -> sqlite3.Row | None:
    found: list[sqlite3.Row] = c.execute(sql, args).fetchall()
    return found[0] if found else None


def _call_next(wid: str, now: str, c: sqlite3.Connection) -> None:
    _first(c, WINDOW, wid)
    t = _first(c, TARGETED, wid)
    for priority in (0, 1, 2):
        if t is not None:
            break
        t = _first(c, CLASS, priority)
    if t is None:
        raise RuntimeError("the queue ran dry: raise QUEUE")
    c.execute(
        "UPDATE tickets SET state = 'called', window_id = ?2, called_at = ?3 WHERE id = ?1",
        (t["id"], wid, now),
    )
    c.execute(
        "UPDATE windows SET state = 'serving', current_ticket_id = ?2 WHERE id = ?1",
        (wid, t["id"]),
    )
    _append(c, "ticket.called", json.dumps({"number": t["number"]}), now)


def _no_show(wid: str, now: str, c: sqlite3.Connection) -> None:
    w = _first(c, WINDOW, wid)
    if w is None:
        raise RuntimeError(f"no window {wid}")
    _first(c, "SELECT * FROM tickets WHERE id = ?1", w["current_ticket_id"])
    c.execute(
        "UPDATE tickets SET state = 'no_show', finished_at = ?2 WHERE id = ?1",
        (w["current_ticket_id"], now),
    )
    c.execute("UPDATE windows SET state = 'open', current_ticket_id = NULL WHERE id = ?1", (wid,))
    _append(c, "ticket.no_show", "{}", now)


async def call_side(url: str, seconds: float, windows: int) -> dict[str, object]:
    """The server's two transactions per cycle, statement for statement, one commit each."""
    writer = await Writer.open(url)
    calls: list[float] = []

    async def cycle(i: int) -> None:
        wid = f"bench-w{i + 1}"
        t0 = time.perf_counter()
        await writer.tx(partial(_call_next, wid, stamp(datetime.now(UTC))))
        calls.append(time.perf_counter() - t0)
        await writer.tx(partial(_no_show, wid, stamp(datetime.now(UTC))))

    def open_windows(c: sqlite3.Connection) -> None:
        c.execute("UPDATE windows SET state = 'open' WHERE hall_id = 'bench'")

    await writer.tx(open_windows)
    cycles, _ = await closed_loop(windows, seconds, cycle)
    await writer.close()
    return {
        "calls_per_s": round(cycles),
        "requests_per_s": round(cycles * 2),
        "call": summary(calls),
    }


def _fill(count: int, day: str, c: sqlite3.Connection) -> None:
    base = datetime.now(UTC)
    rows = (
        (hashlib.md5(str(g).encode()).hexdigest(), f"A{g}", g, day,
         stamp(base + timedelta(microseconds=g)))
        for g in range(1, count + 1)
    )  # fmt: skip
    c.executemany(
        "INSERT INTO tickets (id, hall_id, service, number, seq_no, business_day, kind, channel,"
        " state, priority, issued_at, queue_at, token_hash)"
        " VALUES (?1, 'bench', 'A', ?2, ?3, ?4, 'walk_in', 'kiosk', 'waiting', 2, ?5, ?5, ?1)",
        rows,
    )
    c.execute("ANALYZE tickets")


async def fill(url: str, count: int) -> None:
    """bench_call's deep queue, the rows the PostgreSQL fill makes, in one transaction."""
    writer = await Writer.open(url)
    await writer.tx(partial(_fill, count, hall_day().isoformat()))
    await writer.close()
