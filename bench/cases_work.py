"""The officers of ``bench.cases`` (a) at work: who works which task, in what steps, and
the two ways a step is done (the use case, or the essential statements alone)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.cases_hall import AT, Office
from bench.common import summary
from server.domain.errors import Conflict
from server.domain.model import Actor
from server.usecases.cases import CaseView

REJECT_EVERY, SUPPLEMENT_EVERY = 50, 25
OPEN = ("pending", "claimed", "supplement", "suspended")
STATE_AFTER = {"claim": "claimed", "approve": "approved", "reject": "rejected",
               "supplement": "supplement", "resume": "claimed"}  # fmt: skip
STALL_S = 60.0  # no action finished for this long: something waits for ever


@dataclass(frozen=True, slots=True)
class Step:
    task: str
    case: str
    actions: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    steps: dict[str, list[Step]]  # officer id -> the tasks they work, in order
    cases: int
    tasks: int
    rejected: int  # cases whose lead task is rejected
    kept: int  # tasks of the other cases: all must end approved


def plan(views: list[CaseView], crew: list[Actor]) -> Plan:
    """Each task's steps (claim, approve; the lead task of one case in REJECT_EVERY
    rejected, of one in SUPPLEMENT_EVERY sent for a supplement first), dealt out to
    its department's officers in turn, in case order."""
    by_dept: dict[str, list[Step]] = {}
    rejected = kept = 0
    for i, v in enumerate(views):
        reject, supplement = i % REJECT_EVERY == 7, i % SUPPLEMENT_EVERY == 3
        rejected += reject
        kept += 0 if reject else len(v.tasks)
        for t in v.tasks:
            acts: tuple[tuple[str, str | None], ...] = (("claim", None), ("approve", None))
            if t.lead and reject:
                acts = (("claim", None), ("reject", "不符合许可条件"))
            elif t.lead and supplement:
                acts = (("claim", None), ("supplement", "请补充营业执照副本"), ("resume", None),
                        ("approve", None))  # fmt: skip
            by_dept.setdefault(t.department, []).append(Step(t.id, v.case.id, acts))
    steps: dict[str, list[Step]] = {a.id: [] for a in crew}
    for dept, todo in by_dept.items():
        mine = [a for a in crew if a.department_id == dept]
        for n, s in enumerate(todo):  # the department's two officers take turns
            steps[mine[n % len(mine)].id].append(s)
    tasks = sum(len(v.tasks) for v in views)
    return Plan(steps, len(views), tasks, rejected, kept)


Act = Callable[[Actor, Step, str, str | None], Awaitable[str]]


async def work(p: Plan, crew: list[Actor], act: Act) -> dict[str, Any]:
    """Every officer works their steps back to back; a step ends early when the case
    was already decided. Rate, CPU and latency per action."""
    lat: list[float] = []
    outcomes: Counter[str] = Counter()

    async def officer(a: Actor) -> None:
        for step in p.steps[a.id]:
            for action, reason in step.actions:
                t0 = time.perf_counter()
                out = await act(a, step, action, reason)
                lat.append(time.perf_counter() - t0)
                outcomes[out] += 1
                if out != action:
                    break

    cpu0, t0 = time.process_time(), time.perf_counter()
    crew_done = asyncio.gather(*(officer(a) for a in crew))
    seen = -1
    while seen < len(lat):  # a stall (a lock or pool wait for ever) fails the run
        seen = len(lat)
        await asyncio.wait([crew_done], timeout=STALL_S)
        if crew_done.done():
            break
    else:
        crew_done.cancel()
        raise RuntimeError(f"stalled: no task action finished in {STALL_S:.0f} s")
    crew_done.result()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"actions_per_s": round(len(lat) / seconds, 1),
            "cpu_ms_per_action": round(cpu / len(lat) * 1e3, 3), "seconds": round(seconds, 2),
            "outcomes": dict(outcomes), "latency": summary(lat)}  # fmt: skip


def use_case_act(office: Office) -> Act:
    async def act(a: Actor, step: Step, action: str, reason: str | None) -> str:
        try:
            await office.tasks.act(a, step.task, action, reason)
        except Conflict as exc:
            if exc.code != "case_not_in_review":
                raise
            return exc.code
        return action

    return act


async def bare_steps(c: Any, a: Actor, step: Step, action: str, reason: str | None) -> str:
    state = await c.fetchval("SELECT state FROM cases WHERE id = $1 FOR UPDATE", step.case)
    if state not in ("in_review", "suspended"):
        return "case_not_in_review"
    rows = await c.fetch("SELECT id, state FROM case_tasks WHERE case_id = $1", step.case)
    tasks = {r["id"]: r["state"] for r in rows}
    before, tasks[step.task] = tasks[step.task], STATE_AFTER[action]
    await c.execute(
        "UPDATE case_tasks SET state = $2, officer_id = $3, officer_name = $4,"
        " note = coalesce($5, note) WHERE id = $1",
        step.task, tasks[step.task], a.id, a.username, reason,
    )  # fmt: skip
    if tasks[step.task] == "rejected":
        await c.execute(
            "UPDATE case_tasks SET state = 'cancelled' WHERE case_id = $1 AND id <> $2"
            " AND state = ANY($3::text[])", step.case, step.task, list(OPEN),
        )  # fmt: skip
        to = "result_ready"
    elif all(s == "approved" for s in tasks.values()):
        to = "result_ready"
    else:
        stopped = any(s in ("supplement", "suspended") for s in tasks.values())
        to = "suspended" if stopped else "in_review"
    await c.execute(
        "UPDATE cases SET state = $2, reasons = CASE WHEN $3 THEN $4 ELSE reasons END"
        " WHERE id = $1", step.case, to, action == "reject", reason,
    )  # fmt: skip
    await c.execute(
        "INSERT INTO case_log (case_id, seq, at, action, from_state, to_state, actor_id,"
        " actor_name, department, note, internal)"
        " SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, 1"
        " FROM case_log WHERE case_id = $1",
        step.case, AT, f"task.{action}", before, tasks[step.task], a.id, a.username,
        a.department_id, reason,
    )  # fmt: skip
    return action


def bare_act(pool: Any, held: list[float]) -> Act:
    """The essential statements of one task action, nothing else: no task lookup first,
    no matter read, no events, no SMS, one timeline row."""

    async def act(a: Actor, step: Step, action: str, reason: str | None) -> str:
        async with pool.acquire() as c:
            tr = c.transaction()
            await tr.start()
            t0 = time.perf_counter()  # after BEGIN, as TimedStore counts
            try:
                out = await bare_steps(c, a, step, action, reason)
            except BaseException:
                await tr.rollback()
                raise
            await tr.commit()
            held.append(time.perf_counter() - t0)
        return out

    return act
