"""What the case use cases share: who may see a case, its deadline now, its events.

Deadline and colour are computed from the hall's calendar at the moment asked
(a suspended case's deadline moves every working day it stays suspended), and
stored on the rows only so the department views can sort and filter by index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import audit
from ..domain import deadline
from ..domain.case import REVIEWING, Case, CaseState, Task
from ..domain.errors import Forbidden, NotFound
from ..domain.events import NewEvent
from ..domain.matter import Matter
from ..domain.model import Actor, Role
from ..store import cases_sql as sql
from ..store.config_sql import dept_stream
from ..store.tx import Tx
from .context import HallInfo

STAFF_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Clock:
    """A case's deadline as of today: the day, working days left, and its colour."""

    due: date | None
    days_left: int | None
    colour: deadline.Colour

    def as_dict(self) -> dict[str, Any]:
        return {"due_day": self.due.isoformat() if self.due else None,
                "days_left": self.days_left, "colour": self.colour.value}  # fmt: skip


def clock_of(info: HallInfo, case: Case, tasks: Sequence[Task], today: date) -> Clock:
    if case.accepted_day is None:
        return Clock(None, None, deadline.Colour.GREEN)
    cal = info.clock.calendar
    stops = [s for t in tasks for s in t.stops]
    due = deadline.due_day(cal, case.accepted_day, case.promised_days, stops, today)
    if case.state not in REVIEWING and case.state is not CaseState.ACCEPTED:
        # Decided: the clock stopped at the decision; its colour says whether it was late.
        ended = case.decided_at or case.closed_at  # withdrawn: the clock ended then
        decided = info.clock.business_day(ended) if ended else today
        late = decided > due
        return Clock(due, None, deadline.Colour.RED if late else deadline.Colour.GREEN)
    return Clock(due, deadline.days_left(cal, due, today), deadline.colour(cal, due, today))


def key_share(tx: Tx) -> str:
    """A row lock that keeps a referenced row (a matter) from being deleted meanwhile,
    without blocking its readers or editors; SQLite's single writer needs none."""
    return "FOR KEY SHARE" if tx.dialect.name == "postgres" else ""


def unknown_case() -> NotFound:
    return NotFound("unknown_case", "no such case", "没有找到该办件")


def unknown_task() -> NotFound:
    return NotFound("unknown_task", "no such task", "没有找到该审批任务")


def hall_staff(actor: Actor, hall_id: str) -> bool:
    return actor.role in STAFF_ROLES and (actor.role is Role.ADMIN or actor.hall_id == hall_id)


def require_hall_staff(actor: Actor, hall_id: str) -> None:
    if not hall_staff(actor, hall_id):
        raise Forbidden("case_forbidden", "only the hall's staff may do this",
                        "只有本大厅的工作人员可以办理")  # fmt: skip


def require_officer(actor: Actor) -> str:
    if actor.role is not Role.OFFICER or not actor.department_id:
        raise Forbidden("officer_only", "only back-office officers work tasks",
                        "只有后台审批人员可以处理审批任务")  # fmt: skip
    return actor.department_id


def may_see(actor: Actor, case: Case, tasks: Sequence[Task]) -> bool:
    """The hall's staff, or an officer of a department holding a task of the case."""
    if hall_staff(actor, case.hall_id):
        return True
    return actor.role is Role.OFFICER and any(t.department == actor.department_id for t in tasks)


def require_may_see(actor: Actor, case: Case, tasks: Sequence[Task]) -> None:
    if not may_see(actor, case, tasks):
        raise Forbidden("case_forbidden", "this case is not yours to see", "您无权查看该办件")


def task_event(kind: str, task: Task, case: Case, matter: Matter | None, clock: Clock
               ) -> NewEvent:  # fmt: skip
    """For the department's officers (topic dept:{id}): masked applicant only."""
    data: dict[str, Any] = {
        "task": task.id, "case": case.id, "number": case.number, "matter": case.matter,
        "matter_name": matter.name if matter else case.matter, "department": task.department,
        "lead": task.lead, "state": task.state.value, "officer": task.officer_name,
        "applicant": case.name_masked, "case_state": case.state.value, **clock.as_dict(),
    }  # fmt: skip
    return NewEvent(f"task.{kind}", data)


def emit_task(tx: Tx, kind: str, task: Task, case: Case, matter: Matter | None,
              clock: Clock) -> None:  # fmt: skip
    tx.emit_to(dept_stream(task.department), task_event(kind, task, case, matter, clock))


async def save_state(tx: Tx, case: Case, tasks: Sequence[Task], clock: Clock) -> None:
    """The case and its tasks with the deadline and colour as of now."""
    await sql.update_case(tx.conn, case, clock.due)
    for t in tasks:
        await sql.update_task(tx.conn, t, clock.due, clock.colour.value)


def entry(tx: Tx, actor: Actor | None, action: str, before: Case | None, after: Case,
          note: str | None = None, *, department: str | None = None,
          internal: bool = False) -> sql.LogEntry:  # fmt: skip
    return sql.LogEntry(
        at=tx.now, action=action, from_state=before.state.value if before else None,
        to_state=after.state.value, actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else None, department=department, note=note,
        internal=internal,
    )  # fmt: skip


def audit_case(tx: Tx, actor: Actor, action: str, case: Case, **detail: Any) -> None:
    tx.audit(audit.record(actor, case.hall_id, action, case.number, **detail))
