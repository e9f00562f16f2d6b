"""One-window intake and back-office approval on PostgreSQL (issue #11), beside bare asyncpg.

(a) *A day of a big hall*: 10 back-office departments with 2 officers each (20), 30
    matters each approved by 1-3 departments in parallel (``bench.cases_hall``).
    Intake: ``--cases`` cases taken in and accepted through ``Cases.intake`` by 20
    clerks at once (the case row with its sealed personal data and gapless number, the
    tasks, the timeline, the audit row, the SMS in the outbox, the ``task.created``
    events on the departments' streams; one transaction each): intakes/s, p50/p99, and
    how long each transaction held its connection ("tx", from BEGIN to COMMIT).
    Then the 20 officers work their departments' tasks at once, each its half of its
    department's tasks in case order, through ``CaseTasks.act``: claim then approve;
    the lead task of one case in 50 is rejected (the case's other tasks are cancelled,
    and an officer coming to one of them gets ``case_not_in_review``), of one in 25 it
    goes supplement, resume, approve, over the store's pool of 20. First ``pool_probe``
    runs 8 claims at once on a store pool of 4: ``act`` must not take a second pooled
    connection inside its transaction, or they all hold one and wait for another for
    ever (it did until ``Matters.matter`` took the transaction's ``conn``). Baseline:
    the same officers and steps on a plain asyncpg pool of 20, each step only the
    essential statements (the case row FOR UPDATE, its tasks, the task's UPDATE, the
    case's UPDATE, one ``case_log`` row; a rejection also cancels the others), on cases
    of its own taken in the same way. Actions/s, p50/p99 per action, tx, CPU of this process
    per action, and the ratio use case / baseline. After each side the tables are
    checked: every case ``result_ready`` (the rejected ones with their reasons), every
    task approved, rejected or cancelled, the counts as planned.
(b) *The inbox and the overdue view as the archive grows*: ``CaseTasks.department_inbox``
    (dept, "open") and (dept, "overdue") for 10 departments holding about 500 live tasks
    each (cases taken in through the use case on the 10 working days up to the clock,
    so about 200 per department are overdue; both views return 200 rows, the limit),
    while the tables also hold ``--archive`` archived cases (0, 50,000, 200,000 in the
    documented run) with their approved tasks and timelines, loaded by COPY and then
    VACUUM ANALYZEd as autovacuum would. Four clients in a closed loop for
    ``--seconds`` per side, going round the departments; the baseline is the same
    SELECT (caught from ``cases_sql.inbox``) alone on asyncpg, undecoded. EXPLAIN
    ANALYZE of both reads at each level, with the custom and the generic plan, tells
    whether the partial index ``case_tasks_open`` is used; the p99 ratio of the last
    level to the first is reported (``bench.cases_inbox``).

Time is injected: the use cases run on a fixed clock (Wednesday 2026-11-25, 10:00 in
Shanghai), moved only to take in (b)'s live cases on their days. Each run has a fresh
database; rounds alternate which side goes first. Each round's line carries the
one-minute load average: the machine is shared.

    python -m bench.cases --rounds 3 --cases 5000 --seconds 5 --archive 0,50000,200000

takes about 15 minutes on 2 cores; the defaults (1,000 cases, 0/20,000/50,000 archived,
3 s) about 4. ``--part hall`` or ``--part inbox`` runs one half.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
from datetime import UTC, datetime
from typing import Any

import asyncpg
import uvloop

from bench.appointments import medians
from bench.cases_hall import POOL, Office, officers
from bench.cases_inbox import inboxes
from bench.cases_work import OPEN, Plan, bare_act, plan, use_case_act, work
from bench.common import fresh_database, summary
from server.usecases.cases import CaseView

PROBE_POOL, PROBE_CLAIMS, PROBE_S = 4, 8, 10.0


def utc() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


async def checked(url: str, hall_id: str, p: Plan) -> dict[str, Any]:
    """Every case result_ready, the rejected ones with reasons; every task decided; the
    tasks of the cases nobody rejected all approved."""
    c = await asyncpg.connect(url)
    try:
        cases = {
            r["state"]: r["n"]
            for r in await c.fetch(
                "SELECT state, count(*) AS n FROM cases WHERE hall_id = $1 GROUP BY state", hall_id
            )
        }
        reasons = await c.fetchval(
            "SELECT count(*) FROM cases WHERE hall_id = $1 AND reasons IS NOT NULL", hall_id
        )
        tasks = {
            r["state"]: r["n"]
            for r in await c.fetch(
                "SELECT state, count(*) AS n FROM case_tasks WHERE hall_id = $1 GROUP BY state",
                hall_id,
            )
        }
        kept = await c.fetchval(
            "SELECT count(*) FROM case_tasks t JOIN cases c ON c.id = t.case_id"
            " WHERE c.hall_id = $1 AND c.reasons IS NULL AND t.state = 'approved'",
            hall_id,
        )
    finally:
        await c.close()
    ok = (cases == {"result_ready": p.cases} and reasons == p.rejected
          and sum(tasks.values()) == p.tasks and not set(tasks) & set(OPEN)
          and tasks.get("rejected", 0) == p.rejected and kept == p.kept)  # fmt: skip
    found = {"cases": cases, "rejected_cases": reasons, "tasks": tasks}
    if not ok:
        raise RuntimeError(f"{hall_id}: expected {p}, found {found}")
    return found


async def pool_probe(url: str) -> dict[str, Any]:
    """PROBE_CLAIMS claims (of distinct cases) at once on a store pool of PROBE_POOL.
    Were ``CaseTasks.act`` to read anything on a second pooled connection while its
    transaction holds the first, as many claims as the pool has connections could all
    hold one and wait for another for ever: "stalled" when not all finished in PROBE_S."""
    office = await Office.open(url, pool=PROBE_POOL)
    crew = officers(await office.add_halls(["probe"], "probe"))
    _, views = await office.intake("probe", 9_000_000, PROBE_CLAIMS)

    async def claim(v: CaseView) -> None:
        t = v.tasks[0]
        who = next(a for a in crew if a.department_id == t.department)
        await office.tasks.act(who, t.id, "claim", None)

    try:
        await asyncio.wait_for(asyncio.gather(*(claim(v) for v in views)), PROBE_S)
        stalled = False
    except TimeoutError:
        stalled = True
    await office.close()
    return {"pool": PROBE_POOL, "claims": PROBE_CLAIMS, "stalled": stalled}


async def big_hall(url: str, rounds: int, n: int) -> dict[str, Any]:
    probe = await pool_probe(url)
    print(json.dumps({"pool_probe": probe}))
    office = await Office.open(url, pool=POOL)
    halls = {(r, side): f"big{r + 1}{side[0]}" for r in range(rounds)
             for side in ("use_case", "baseline")}  # fmt: skip
    depts = await office.add_halls(list(halls.values()), "big")
    crew = officers(depts)
    pool = await asyncpg.create_pool(url, min_size=POOL, max_size=POOL)
    held = {"use_case": office.store.held, "baseline": []}
    acts = {"use_case": use_case_act(office), "baseline": bare_act(pool, held["baseline"])}
    out: list[dict[str, Any]] = []
    intakes: list[dict[str, Any]] = []
    first = 0
    for r in range(rounds):
        order = ["use_case", "baseline"] if r % 2 == 0 else ["baseline", "use_case"]
        got: dict[str, Any] = {}
        for side in order:
            took, views = await office.intake(halls[r, side], first, n)
            first += n
            intakes.append(took)
            p = plan(views, crew)
            mark = len(held[side])
            got[side] = await work(p, crew, acts[side])
            got[side]["tx"] = summary(held[side][mark:])
            got[side]["check"] = await checked(url, halls[r, side], p)
            print(json.dumps({"hall_round": r + 1, "side": side, "utc": utc(),
                              "load": os.getloadavg()[0], "intake": took,
                              "actions": got[side]}))  # fmt: skip
        out.append(got)
    await pool.close()
    await office.close()

    def med(*path: str) -> float:
        vals = []
        for t in intakes:
            v: Any = t
            for k in path:
                v = v[k]
            vals.append(float(v))
        return statistics.median(vals)

    intake = {"batches": len(intakes), "intakes_per_s": med("intakes_per_s"),
              "cpu_ms_per_intake": med("cpu_ms_per_intake"),
              "p50_ms": med("latency", "p50_ms"), "p99_ms": med("latency", "p99_ms"),
              "tx_p50_ms": med("tx", "p50_ms"), "tx_p99_ms": med("tx", "p99_ms")}  # fmt: skip
    actions = medians(out, ("actions_per_s",), ("cpu_ms_per_action",), ("latency", "p50_ms"),
                      ("latency", "p99_ms"), ("tx", "p50_ms"), ("tx", "p99_ms"))  # fmt: skip
    return {"pool_probe": probe, "intake": intake, "task_actions": actions}


async def main(a: argparse.Namespace) -> None:
    async with fresh_database() as url:
        hall = await big_hall(url, a.rounds, a.cases) if a.part in ("all", "hall") else {}
        inbox = (
            await inboxes(url, a.rounds, a.seconds, a.archive) if a.part in ("all", "inbox") else {}
        )
    print(json.dumps({"hall_medians": hall, "inbox_medians": inbox}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cases", type=int, default=1000, help="cases per side per round")
    p.add_argument("--seconds", type=float, default=3.0, help="per side per view per level")
    p.add_argument("--archive", default="0,20000,50000", help="archived cases, ascending")
    p.add_argument("--part", choices=("all", "hall", "inbox"), default="all")
    uvloop.run(main(p.parse_args()))
