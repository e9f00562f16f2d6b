"""Part (b) of ``bench.cases``: a department's inbox and overdue view as the archive grows.

The live tasks are made by the intake use case on the ten working days before the
fixed clock (so the oldest four days' are overdue); the archive is loaded by COPY
beside them, rows shaped as the use cases leave them: archived cases, each task
approved, each timeline from ``received`` to ``archived``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.appointments import SECRET, medians
from bench.cases_hall import (
    AT,
    DEPARTMENTS,
    RECEIVED,
    Office,
    id_number,
    matter_code,
    matter_depts,
)
from bench.common import closed_loop, summary
from server.domain import identity
from server.store import cases_sql as sql
from server.store.db import Row
from server.usecases.case_tasks import INBOX_LIMIT

HALL = "inbox"
LIVE_PER_DEPT = 500
LIVE_DAYS = 10  # working days of intake before the clock, today included
CLIENTS = 4
CHUNK = 10_000  # archived cases per COPY transaction
PER_DAY = 500  # archived cases per working day, back from 30 days before the clock
VIEWS = ("open", "overdue")
Rec = tuple[Any, ...]
CASE_COLUMNS = ["id", "hall_id", "number", "matter", "state", "business_day", "channel",
                "created_at", "id_fingerprint", "id_masked", "name_masked", "phone_masked",
                "personal_enc", "owner_fp", "checklist", "missing", "promised_days",
                "legal_days", "clerk_id", "accepted_at", "accepted_day", "due_day",
                "decided_at", "closed_at"]  # fmt: skip
TASK_COLUMNS = ["id", "case_id", "hall_id", "department", "lead", "state", "created_at",
                "officer_id", "officer_name", "decided_at", "stops", "due_day"]  # fmt: skip
LOG_COLUMNS = ["case_id", "seq", "at", "action", "from_state", "to_state", "actor_id",
               "actor_name", "department", "internal"]  # fmt: skip


class Caught:
    """Stands in for a connection to catch the statement a store read would send."""

    def __init__(self) -> None:
        self.sql, self.args = "", ()

    async def fetch(self, query: str, *args: Any) -> list[Row]:
        self.sql, self.args = query, args
        return []

    async def fetchrow(self, query: str, *args: Any) -> Row | None:
        raise NotImplementedError

    async def fetchval(self, query: str, *args: Any) -> Any:
        raise NotImplementedError

    async def execute(self, query: str, *args: Any) -> None:
        raise NotImplementedError


async def statement(view: str) -> tuple[str, tuple[Any, ...]]:
    """The SELECT department_inbox sends for a view (department as $1), with its
    arguments; the bound is the use case's own: the clock's date plus one."""
    c = Caught()
    if view == "overdue":
        await sql.inbox(c, "?", overdue_before=AT.date() + timedelta(days=1), limit=INBOX_LIMIT)
    else:
        await sql.inbox(c, "?", limit=INBOX_LIMIT)
    return c.sql, c.args[1:]


def working_days_back(start: date, n: int) -> list[date]:
    out: list[date] = []
    d = start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return out


async def live(office: Office) -> dict[str, Any]:
    """About LIVE_PER_DEPT open tasks per department (a case has two on average)."""
    n = LIVE_PER_DEPT * DEPARTMENTS // 2
    per_day = n // LIVE_DAYS
    took = []
    for k, day in enumerate(working_days_back(AT.date(), LIVE_DAYS)):
        office.now[0] = datetime.combine(day, AT.timetz())
        stats, _ = await office.intake(HALL, 10_000_000 + k * per_day, per_day)
        took.append(stats)
    office.now[0] = AT
    return {"cases": per_day * LIVE_DAYS, "intakes_per_s": [t["intakes_per_s"] for t in took]}


def archived(k: int, depts: list[str], day: date, sealed: str) -> tuple[Rec, list[Rec], list[Rec]]:
    """Archived case k with its approved tasks and its timeline."""
    cid, seq = uuid.uuid4().hex, k % PER_DAY + 1  # numbers of the day: days[k // PER_DAY]
    at = datetime.combine(day, AT.timetz()) + timedelta(seconds=seq * 20)
    due, decided, closed = day + timedelta(days=7), at + timedelta(days=3), at + timedelta(days=5)
    number, phone = id_number(k), f"139{k:08d}"
    case = (cid, HALL, f"{HALL.upper()}-{day:%Y%m%d}-{seq:04d}", matter_code(k), "archived", day,
            "window", at, identity.fingerprint(SECRET, number), identity.mask_id_number(number),
            "张*三", identity.mask_phone(phone), sealed, f"owner-{k}", json.dumps(RECEIVED), "[]",
            5, 20, f"{HALL}-c{k % 20}", at, day, due, decided, closed)  # fmt: skip
    mine = matter_depts(depts, k)
    tasks = [(uuid.uuid4().hex, cid, HALL, d, int(n == 0), "approved", at, f"{d}-o0", f"{d}-o0",
              decided, "[]", due) for n, d in enumerate(mine)]  # fmt: skip
    moves = [("received", None, "received"), ("accepted", "received", "accepted"),
             ("in_review", "accepted", "in_review")]  # fmt: skip
    for d in mine:
        moves += [
            (f"task.claim@{d}", "pending", "claimed"),
            (f"task.approve@{d}", "claimed", "approved"),
        ]
    moves += [("approved", "in_review", "approved"), ("result_ready", "approved", "result_ready"),
              ("picked_up", "result_ready", "picked_up"), ("archived", "picked_up", "archived")]  # fmt: skip
    log = []
    for s, (action, a, b) in enumerate(moves, 1):
        name, _, dept = action.partition("@")
        log.append((cid, s, at, name, a, b, f"{dept}-o0" if dept else None, None, dept or None,
                    int(bool(dept))))  # fmt: skip
    return case, tasks, log


async def load(pool: Any, depts: list[str], first: int, last: int, sealed: str) -> float:
    t0 = time.perf_counter()
    days = working_days_back(AT.date() - timedelta(days=30), last // PER_DAY + 1)
    for start in range(first, last, CHUNK):
        cases, tasks, log = [], [], []
        for k in range(start, min(last, start + CHUNK)):
            c, t, g = archived(k, depts, days[k // PER_DAY], sealed)
            cases.append(c)
            tasks += t
            log += g
        async with pool.acquire() as c, c.transaction():
            await c.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
            await c.copy_records_to_table("case_tasks", records=tasks, columns=TASK_COLUMNS)
            await c.copy_records_to_table("case_log", records=log, columns=LOG_COLUMNS)
    async with pool.acquire() as c:
        await c.execute("VACUUM (ANALYZE) cases, case_tasks, case_log")  # as autovacuum would
    return time.perf_counter() - t0


def literal(v: Any) -> str:
    text = v.isoformat() if isinstance(v, date) else str(v)
    return "'" + text.replace("'", "''") + "'"


async def explain(pool: Any, stmt: str, args: Sequence[Any]) -> dict[str, Any]:
    """The plan PostgreSQL picks with these values (custom) and the one it may switch to
    for a statement prepared once and run often (generic, as asyncpg's cache does)."""
    out: dict[str, Any] = {}
    async with pool.acquire() as c:
        custom = [r[0] for r in await c.fetch("EXPLAIN (ANALYZE, BUFFERS) " + stmt, *args)]
        async with c.transaction():
            await c.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await c.execute(f"PREPARE bench_inbox AS {stmt}")
            values = ", ".join(literal(a) for a in args)
            generic = [r[0] for r in
                       await c.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_inbox({values})")]  # fmt: skip
            await c.execute("DEALLOCATE bench_inbox")
    for name, lines in (("custom", custom), ("generic", generic)):
        text = "\n".join(lines)
        took = re.search(r"Execution Time: ([\d.]+) ms", text)
        out[name] = {"uses_case_tasks_open": "case_tasks_open" in text,
                     "execution_ms": float(took.group(1)) if took else None,
                     "buffers": next((ln.strip() for ln in lines if "Buffers" in ln), None),
                     "plan": [ln.strip() for ln in lines if "->" in ln or ln is lines[0]]}  # fmt: skip
    return out


async def measure(office: Office, pool: Any, depts: list[str], view: str,
                  read: tuple[str, tuple[Any, ...]], rounds: int, seconds: float,
                  level: int) -> list[dict[str, Any]]:  # fmt: skip
    """Both sides of one view, CLIENTS clients each going round the departments."""
    stmt, rest = read
    turn = [0] * CLIENTS

    def dept(i: int) -> str:
        turn[i] += 1
        return depts[(i + turn[i]) % len(depts)]

    async def use_case(i: int) -> None:
        await office.tasks.department_inbox(dept(i), view)

    async def bare(i: int) -> None:
        async with pool.acquire() as c:
            await c.fetch(stmt, dept(i), *rest)

    per: list[dict[str, Any]] = []
    for r in range(rounds):
        sides = {"use_case": use_case, "baseline": bare}
        got = {}
        for side in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            cpu0 = time.process_time()
            rate, lat = await closed_loop(CLIENTS, seconds, sides[side])
            cpu = (time.process_time() - cpu0) / len(lat) * 1e3
            got[side] = {"per_s": round(rate), "cpu_ms_per_call": round(cpu, 3),
                         "latency": summary(lat)}  # fmt: skip
        print(json.dumps({"archived": level, "view": view, "round": r + 1, "first": next(iter(got)),
                          "utc": datetime.now(UTC).strftime("%H:%M:%S"), "load": os.getloadavg()[0],
                          **got}))  # fmt: skip
        per.append(got)
    return per


async def inboxes(url: str, rounds: int, seconds: float, levels_arg: str) -> dict[str, Any]:
    levels = [int(x) for x in levels_arg.split(",")]
    office = await Office.open(url)
    depts = await office.add_halls([HALL], "ib")
    made = await live(office)
    print(json.dumps({"inbox_live": made}))
    pool = await asyncpg.create_pool(url, min_size=CLIENTS, max_size=CLIENTS)
    sealed = office.store.sealer.seal(json.dumps({"name": "张小三", "id_number": id_number(0),
                                                  "phone": "13900000000", "address": "历下区泉城路1号"},
                                                 ensure_ascii=False), sql.personal_context("x"))  # fmt: skip
    statements = {v: await statement(v) for v in VIEWS}
    for v in VIEWS:  # what each read returns, before any archive
        sizes = [len(await office.tasks.department_inbox(d, v)) for d in depts]
        print(json.dumps({"inbox_view": v, "items_per_department": sizes}))
    out: dict[str, Any] = {}
    loaded = 0
    for level in levels:
        took = await load(pool, depts, loaded, level, sealed) if level > loaded else 0.0
        loaded = level
        per_view: dict[str, Any] = {}
        for view in VIEWS:
            stmt, rest = statements[view]
            per = await measure(office, pool, depts, view, (stmt, rest), rounds, seconds, level)
            plan = await explain(pool, stmt, (depts[0], *rest))
            print(
                json.dumps({"archived": level, "view": view, "explain": plan}, ensure_ascii=False)
            )
            per_view[view] = {
                **medians(per, ("per_s",), ("cpu_ms_per_call",), ("latency", "p50_ms"),
                          ("latency", "p99_ms")),
                **{f"plan_{k}": {name: p[k] for name, p in plan.items()}
                   for k in ("uses_case_tasks_open", "execution_ms", "buffers")},
            }  # fmt: skip
        out[str(level)] = {"load_s": round(took, 1), **per_view}
    await pool.close()
    await office.close()
    low, high = out[str(levels[0])], out[str(levels[-1])]
    out["p99_ratio_last_to_first"] = {
        v: {side: round(high[v]["latency_p99_ms"][side] / low[v]["latency_p99_ms"][side], 2)
            for side in ("use_case", "baseline")} for v in VIEWS
    }  # fmt: skip
    return out
