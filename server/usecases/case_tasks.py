"""Back-office approval (后台分类审批): officers work their department's tasks.

The case row is locked first by every task action, so two departments deciding
at the same instant take turns and exactly one of them settles the case: all
approved approves it, any rejection rejects it and cancels the others, and the
result goes to the pickup windows with an SMS to the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..domain import case as cs
from ..domain import deadline
from ..domain.case import Case, CaseState, Task, TaskState
from ..domain.errors import Conflict, InvalidInput
from ..domain.model import Actor
from ..store import cases_sql as sql
from ..store.tx import Tx
from . import case_messages as messages
from .case_parts import (
    Clock,
    clock_of,
    emit_task,
    entry,
    require_officer,
    save_state,
    unknown_case,
    unknown_task,
)
from .cases import CaseView
from .context import Context
from .matters import Matters

ACTIONS = ("claim", "release", "approve", "reject", "supplement", "suspend", "resume")
INBOX_LIMIT = 200
VIEWS = ("open", "overdue", "due_soon")


@dataclass(frozen=True, slots=True)
class InboxItem:
    task: Task
    case: Case
    matter_name: str
    clock: Clock


class CaseTasks:
    def __init__(self, ctx: Context, matters: Matters) -> None:
        self.ctx = ctx
        self.matters = matters

    async def act(self, actor: Actor, task_id: str, action: str, reason: str | None) -> CaseView:
        department = require_officer(actor)
        if action not in ACTIONS:
            raise InvalidInput("action_invalid", f"action: one of {', '.join(ACTIONS)}",
                               "不支持的操作", field="action")  # fmt: skip
        async with self.ctx.store.db.reader() as c:
            found = await sql.task(c, task_id)
        if found is None:
            raise unknown_task()
        cs.check_officer(found, department)
        needs_reason = action in ("reject", "supplement", "suspend")
        text = cs.reason_text(reason, required=needs_reason)
        info = await self.ctx.hall(found.hall_id)
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        async with self.ctx.store.write(found.hall_id, now) as tx:
            # The case first: every action on any of its tasks takes its turn here.
            case = await sql.get(tx.conn, found.case_id, lock=tx.dialect.for_update)
            if case is None:
                raise unknown_case()
            if case.state not in cs.REVIEWING:
                raise Conflict("case_not_in_review", "the case is no longer in review",
                               "该办件已不在审批中")  # fmt: skip
            matter = await self.matters.matter(case.hall_id, case.matter, include_disabled=True,
                                               conn=tx.conn)  # fmt: skip
            tasks = await sql.tasks_of(tx.conn, case.id)
            before = dict(zip((t.id for t in tasks), tasks, strict=True))
            due_before = clock_of(info, case, tasks, today).due
            mine = next(t for t in tasks if t.id == task_id)
            changed = self._apply(mine, actor, action, text, tx, today)
            tasks = [changed if t.id == task_id else t for t in tasks]
            note = text if action in ("reject", "supplement", "suspend") else None
            log = [sql.LogEntry(at=now, action=f"task.{action}", from_state=mine.state.value,
                                to_state=changed.state.value, actor_id=actor.id,
                                actor_name=actor.username, department=department, note=note,
                                internal=action != "supplement")]  # fmt: skip
            after, tasks = self._settle(tx, case, tasks, log, today)
            clock = clock_of(info, after, tasks, today)
            # The other departments hear of it (and their rows are rewritten) when a
            # department decided, or the case's state or deadline moved: a claim next door
            # is not their news.
            whole = (after.state is not case.state or clock.due != due_before
                     or changed.state in (TaskState.APPROVED, TaskState.REJECTED))  # fmt: skip
            told = [t for t in tasks if whole or t != before[t.id]]
            await save_state(tx, after, told, clock)
            await sql.log(tx.conn, case.id, log)
            for t in told:
                emit_task(tx, "changed", t, after, matter, clock)
            if action == "supplement" and text:
                await messages.supplement(tx, info, after, f"supplement:{task_id}:{len(changed.stops)}",
                                          text)  # fmt: skip
            if after.state is CaseState.RESULT_READY:
                await messages.result_ready(tx, info, after, matter)
        await self.ctx.publish_all(tx.events)
        return CaseView(after, matter, tasks, clock)

    @staticmethod
    def _apply(task: Task, actor: Actor, action: str, text: str | None, tx: Tx,
               today: date) -> Task:  # fmt: skip
        if action == "claim":
            return cs.claim(task, actor.id, actor.username)
        if action == "release":
            return cs.release(task, actor.id)
        if action in ("approve", "reject"):
            return cs.decide(task, actor.id, action == "approve", text, tx.now)
        if action in ("supplement", "suspend"):
            return cs.stop(task, actor.id, action == "supplement", text or "", today)
        return cs.resume(task, actor.id, today)

    @staticmethod
    def _settle(tx: Tx, case: Case, tasks: list[Task], log: list[sql.LogEntry],
                today: date) -> tuple[Case, list[Task]]:  # fmt: skip
        """The case's state from its tasks; a decision goes straight on to pickup."""
        wanted = cs.review_state(case, tasks)
        if wanted is case.state:
            return case, tasks
        decided = wanted in (CaseState.APPROVED, CaseState.APPROVED_WITH_WAIVER,
                             CaseState.REJECTED)  # fmt: skip
        after = cs.move(case, wanted, outcome=wanted.value if decided else case.outcome)
        if wanted is CaseState.REJECTED:
            reasons = "；".join(t.note or "" for t in tasks if t.state is TaskState.REJECTED)
            after = cs.move(case, wanted, reasons=reasons, outcome=wanted.value)
            tasks = [cs.cancel(t, tx.now, today) for t in tasks]
        log.append(entry(tx, None, wanted.value, case, after,
                         after.reasons if wanted is CaseState.REJECTED else None))  # fmt: skip
        if decided:
            ready = cs.move(after, CaseState.RESULT_READY, decided_at=tx.now)
            log.append(entry(tx, None, "result_ready", after, ready))
            after = ready
        return after, tasks

    async def inbox(self, actor: Actor, view: str = "open") -> list[InboxItem]:
        """The officer's department's open tasks by deadline; ``overdue`` or ``due_soon``
        narrow it."""
        return await self.department_inbox(require_officer(actor), view)

    async def department_inbox(self, department: str, view: str = "open") -> list[InboxItem]:
        """Read through the partial index of open tasks with the deadline stored at the
        last change (the sweep moves a stopped case's deadline daily); the colour is
        worked out for today in each task's hall."""
        if view not in VIEWS:
            raise InvalidInput("view_invalid", "view: open, overdue or due_soon",
                               "视图须为 open、overdue 或 due_soon", field="view")  # fmt: skip
        now = self.ctx.clock()
        # A loose bound in UTC dates; the exact one is each hall's local day, below.
        bound = now.date() + timedelta(days=1)
        async with self.ctx.store.db.reader() as c:
            if view == "overdue":
                rows = await sql.inbox(c, department, overdue_before=bound, limit=INBOX_LIMIT)
            elif view == "due_soon":
                # Loose: one working day ahead can be 10 calendar days before a long
                # holiday (春节); the colour below decides.
                rows = await sql.inbox(c, department, due_by=bound + timedelta(days=31),
                                       limit=INBOX_LIMIT)  # fmt: skip
            else:
                rows = await sql.inbox(c, department, limit=INBOX_LIMIT)
        out = []
        names: dict[tuple[str, str], str] = {}
        for r in rows:
            info = await self.ctx.hall(r.task.hall_id)
            cal = info.clock.calendar
            today = info.clock.business_day(now)
            if r.due is None:
                clock = Clock(None, None, deadline.Colour.GREEN)
            elif r.case.state is CaseState.SUSPENDED:
                clock = Clock(r.due, deadline.days_left(cal, r.due, today),
                              deadline.Colour(r.alert))  # fmt: skip
            else:
                clock = Clock(r.due, deadline.days_left(cal, r.due, today),
                              deadline.colour(cal, r.due, today))  # fmt: skip
            if view == "overdue" and clock.colour is not deadline.Colour.RED:
                continue
            if view == "due_soon" and clock.colour is not deadline.Colour.YELLOW:
                continue
            key = (r.case.hall_id, r.case.matter)
            if key not in names:  # one read per matter, not per row
                names[key] = (await self.matters.matter(*key, include_disabled=True)).name
            out.append(InboxItem(r.task, r.case, names[key], clock))
        return out


def item_dict(i: InboxItem) -> dict[str, object]:
    """An inbox row as the console shows it (the API and the dept topic's snapshot)."""
    return {
        "task": i.task.id, "case": i.case.id, "number": i.case.number, "matter": i.case.matter,
        "department": i.task.department,
        "matter_name": i.matter_name, "applicant": i.case.name_masked,
        "state": i.task.state.value, "case_state": i.case.state.value, "lead": i.task.lead,
        "officer": i.task.officer_name, **i.clock.as_dict(),
    }  # fmt: skip
