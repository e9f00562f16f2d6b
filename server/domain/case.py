"""Cases (办件) and their department tasks: the state machines of 一窗受理.

A case is taken in at one window, checked against the matter's materials, and
either accepted, refused, or sent back with one notice listing every missing
item (一次性告知). Accepted, it goes to review: one task per approving department,
all at once (并联审批). Any rejection rejects the case; all approvals approve it
(with 容缺 when a material was waived). The result is handed out at one pickup
window (统一窗口出件) or mailed, and the closed case is archived read-only.

Pure: every function takes the current values and the time, and returns new
values or raises; the use cases store what comes back and log each move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from .deadline import Stop
from .errors import Conflict, Forbidden, InvalidInput
from .matter import Matter

MAX_REASON = 500


class CaseState(StrEnum):
    RECEIVED = "received"
    CORRECTION = "correction"  # 一次性告知 issued: waiting for the missing materials
    REFUSED = "refused"  # 不予受理
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    SUSPENDED = "suspended"  # a department waits for a supplement or a special procedure
    APPROVED = "approved"
    APPROVED_WITH_WAIVER = "approved_with_waiver"  # 容缺: waived materials due before pickup
    REJECTED = "rejected"
    RESULT_READY = "result_ready"
    PICKED_UP = "picked_up"
    MAILED = "mailed"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"


CASE_MOVES: Mapping[CaseState, frozenset[CaseState]] = {
    CaseState.RECEIVED: frozenset(
        {CaseState.ACCEPTED, CaseState.REFUSED, CaseState.CORRECTION, CaseState.WITHDRAWN}
    ),
    CaseState.CORRECTION: frozenset({CaseState.ACCEPTED, CaseState.REFUSED, CaseState.WITHDRAWN}),
    CaseState.ACCEPTED: frozenset({CaseState.IN_REVIEW, CaseState.WITHDRAWN}),
    CaseState.IN_REVIEW: frozenset({
        CaseState.SUSPENDED, CaseState.APPROVED, CaseState.APPROVED_WITH_WAIVER,
        CaseState.REJECTED, CaseState.WITHDRAWN,
    }),
    # Still stopped somewhere, a case can only be rejected by another department.
    CaseState.SUSPENDED: frozenset({CaseState.IN_REVIEW, CaseState.REJECTED, CaseState.WITHDRAWN}),
    CaseState.APPROVED: frozenset({CaseState.RESULT_READY}),
    CaseState.APPROVED_WITH_WAIVER: frozenset({CaseState.RESULT_READY}),
    CaseState.REJECTED: frozenset({CaseState.RESULT_READY}),
    CaseState.RESULT_READY: frozenset({CaseState.PICKED_UP, CaseState.MAILED}),
    CaseState.PICKED_UP: frozenset({CaseState.ARCHIVED}),
    CaseState.MAILED: frozenset({CaseState.ARCHIVED}),
    CaseState.REFUSED: frozenset({CaseState.ARCHIVED}),
    CaseState.WITHDRAWN: frozenset({CaseState.ARCHIVED}),
    CaseState.ARCHIVED: frozenset(),
}
# Before a decision: the citizen may still withdraw, and the clock may run.
UNDECIDED = frozenset(
    {CaseState.RECEIVED, CaseState.CORRECTION, CaseState.ACCEPTED, CaseState.IN_REVIEW,
     CaseState.SUSPENDED}
)  # fmt: skip
REVIEWING = frozenset({CaseState.IN_REVIEW, CaseState.SUSPENDED})
CLOSED = frozenset(
    {CaseState.PICKED_UP, CaseState.MAILED, CaseState.REFUSED, CaseState.WITHDRAWN}
)

CASE_ZH = {
    CaseState.RECEIVED: "已收件", CaseState.CORRECTION: "待补正", CaseState.REFUSED: "不予受理",
    CaseState.ACCEPTED: "已受理", CaseState.IN_REVIEW: "审批中", CaseState.SUSPENDED: "暂停计时",
    CaseState.APPROVED: "已办结（准予）", CaseState.APPROVED_WITH_WAIVER: "已办结（容缺）",
    CaseState.REJECTED: "已办结（不予许可）", CaseState.RESULT_READY: "待领取",
    CaseState.PICKED_UP: "已领取", CaseState.MAILED: "已邮寄", CaseState.WITHDRAWN: "已撤回",
    CaseState.ARCHIVED: "已归档",
}  # fmt: skip


class TaskState(StrEnum):
    PENDING = "pending"  # in the department's inbox, nobody on it yet
    CLAIMED = "claimed"
    SUPPLEMENT = "supplement"  # waiting for the citizen: the clock stops
    SUSPENDED = "suspended"  # special procedure: the clock stops
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the case was withdrawn or rejected elsewhere


TASK_MOVES: Mapping[TaskState, frozenset[TaskState]] = {
    TaskState.PENDING: frozenset({TaskState.CLAIMED, TaskState.CANCELLED}),
    TaskState.CLAIMED: frozenset({
        TaskState.PENDING, TaskState.APPROVED, TaskState.REJECTED, TaskState.SUPPLEMENT,
        TaskState.SUSPENDED, TaskState.CANCELLED,
    }),
    TaskState.SUPPLEMENT: frozenset({TaskState.CLAIMED, TaskState.CANCELLED}),
    TaskState.SUSPENDED: frozenset({TaskState.CLAIMED, TaskState.CANCELLED}),
    TaskState.APPROVED: frozenset(),
    TaskState.REJECTED: frozenset(),
    TaskState.CANCELLED: frozenset(),
}
OPEN_TASKS = frozenset(
    {TaskState.PENDING, TaskState.CLAIMED, TaskState.SUPPLEMENT, TaskState.SUSPENDED}
)
STOPPED_TASKS = frozenset({TaskState.SUPPLEMENT, TaskState.SUSPENDED})


class Mark(StrEnum):
    """A material on the intake checklist."""

    RECEIVED = "received"
    MISSING = "missing"
    WAIVED = "waived"  # 容缺


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    hall_id: str
    number: str  # 受理编号: region-YYYYMMDD-NNNN
    matter: str
    state: CaseState
    business_day: date  # the day it was received (its number's date)
    created_at: datetime
    channel: str  # window | online
    id_fingerprint: str
    id_masked: str
    name_masked: str
    phone_masked: str | None
    checklist: Mapping[str, Mark]
    promised_days: int
    legal_days: int
    ticket_id: str | None = None
    window_id: str | None = None
    clerk_id: str | None = None
    collector_fingerprint: str | None = None  # an authorised collector (代领人)
    collector_masked: str | None = None
    accepted_at: datetime | None = None
    accepted_day: date | None = None  # the clock starts the day after this local date
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    reasons: str | None = None  # refusal, rejection, withdrawal
    missing: tuple[str, ...] = ()  # the one-time notice's material keys
    tracking_no: str | None = None
    alert: str = "green"  # the last deadline colour pushed, so each change is told once
    application_id: str | None = None  # applied online (网上申报): its uploaded materials
    # The decision, kept once the case has moved on to pickup: approved,
    # approved_with_waiver (waived materials due before handout) or rejected.
    outcome: str | None = None

    @property
    def waived(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.checklist.items() if v is Mark.WAIVED)


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    case_id: str
    hall_id: str
    department: str
    lead: bool
    state: TaskState
    created_at: datetime
    officer_id: str | None = None
    officer_name: str | None = None
    decided_at: datetime | None = None
    note: str | None = None  # the officer's reasons: staff see them, the public does not
    stops: tuple[Stop, ...] = ()


def _illegal(what: str, current: CaseState, wanted: CaseState) -> Conflict:
    return Conflict(
        f"{what}_state",
        f"a {what} that is {current} cannot become {wanted}",
        f"办件当前为「{CASE_ZH[current]}」，不能转为「{CASE_ZH[wanted]}」",
    )


def move(case: Case, to: CaseState, **changes: object) -> Case:
    if to not in CASE_MOVES[case.state]:
        raise _illegal("case", case.state, to)
    return replace(case, state=to, **changes)  # type: ignore[arg-type]


def reason_text(reason: object, *, required: bool = True) -> str | None:
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if required:
            raise InvalidInput("reason_required", "a reason is required", "请填写原因",
                               field="reason")  # fmt: skip
        return None
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise InvalidInput("reason_invalid", f"a reason of at most {MAX_REASON} characters",
                           f"原因不能超过 {MAX_REASON} 个字", field="reason")  # fmt: skip
    return reason.strip()


def checklist(matter: Matter, marks: Mapping[str, str]) -> dict[str, Mark]:
    """The intake checklist, every material of the matter marked; unknown keys refused."""
    out: dict[str, Mark] = {}
    for key in marks:
        if matter.material(key) is None:
            raise InvalidInput("material_unknown", f"{matter.code} has no material {key!r}",
                               f"该事项没有材料 {key}", field=f"materials.{key}")  # fmt: skip
    for m in matter.materials:
        raw = marks.get(m.key, Mark.MISSING.value)
        try:
            mark = Mark(raw)
        except ValueError:
            raise InvalidInput("material_mark_invalid", "mark each material received, missing "
                               "or waived", "材料状态须为已收、缺少或容缺",
                               field=f"materials.{m.key}") from None  # fmt: skip
        if mark is Mark.WAIVED and not m.waivable:
            raise InvalidInput("material_not_waivable", f"{m.name} cannot be waived",
                               f"「{m.name}」不适用容缺受理", field=f"materials.{m.key}")  # fmt: skip
        out[m.key] = mark
    return out


def missing_required(matter: Matter, marks: Mapping[str, Mark]) -> tuple[str, ...]:
    return tuple(m.key for m in matter.materials if m.required and marks[m.key] is Mark.MISSING)


def accept(case: Case, matter: Matter, marks: Mapping[str, Mark], now: datetime,
           day: date) -> Case:  # fmt: skip
    """Accepted: every required material received or waived; the clock starts."""
    lacking = missing_required(matter, marks)
    if lacking:
        names = "、".join(m.name for m in matter.materials if m.key in lacking)
        raise Conflict("materials_missing", f"required materials missing: {', '.join(lacking)}",
                       f"缺少必交材料：{names}（可容缺的请标为容缺，否则请出具一次性告知）",
                       field=f"materials.{lacking[0]}")  # fmt: skip
    return move(case, CaseState.ACCEPTED, checklist=dict(marks), accepted_at=now,
                accepted_day=day, missing=())  # fmt: skip


def ask_correction(case: Case, matter: Matter, marks: Mapping[str, Mark]) -> Case:
    """一次性告知: every missing material at once, required or not."""
    missing = tuple(m.key for m in matter.materials if marks[m.key] is Mark.MISSING)
    if not missing:
        raise Conflict("nothing_missing", "no material is marked missing",
                       "没有标为缺少的材料，无需补正", field="materials")  # fmt: skip
    if case.state is CaseState.CORRECTION:
        raise _illegal("case", case.state, CaseState.CORRECTION)
    return move(case, CaseState.CORRECTION, checklist=dict(marks), missing=missing)


def start_review(case: Case, matter: Matter, task_ids: Iterable[str], now: datetime
                 ) -> tuple[Case, list[Task]]:  # fmt: skip
    """In review: one task per approving department, all created at once."""
    ids = list(task_ids)
    if len(ids) != len(matter.departments):
        raise ValueError("one task id per department")
    tasks = [
        Task(id=tid, case_id=case.id, hall_id=case.hall_id, department=dept,
             lead=dept == matter.lead_department, state=TaskState.PENDING, created_at=now)
        for tid, dept in zip(ids, matter.departments, strict=True)
    ]  # fmt: skip
    return move(case, CaseState.IN_REVIEW), tasks


def review_state(case: Case, tasks: Iterable[Task]) -> CaseState:
    """What the case's state should be, from its tasks: any rejection rejects; all
    approvals approve; any stopped task stops the case's clock."""
    states = [t.state for t in tasks]
    if TaskState.REJECTED in states:
        return CaseState.REJECTED
    if states and all(s is TaskState.APPROVED for s in states):
        return CaseState.APPROVED_WITH_WAIVER if case.waived else CaseState.APPROVED
    if any(s in STOPPED_TASKS for s in states):
        return CaseState.SUSPENDED
    return CaseState.IN_REVIEW


def stops_of(tasks: Iterable[Task]) -> list[Stop]:
    return [s for t in tasks for s in t.stops]


# --- one task, worked by an officer of its department ---------------------------------


def _task_conflict(task: Task, to: TaskState) -> Conflict:
    return Conflict(
        "task_state",
        f"a task that is {task.state} cannot become {to}",
        {TaskState.APPROVED: "该任务已审批通过", TaskState.REJECTED: "该任务已作出不予许可决定",
         TaskState.CANCELLED: "该任务已取消（办件已撤回或已被其他部门否决）",
         TaskState.SUSPENDED: "该任务处于暂停状态，请先恢复计时",
         TaskState.SUPPLEMENT: "该任务正在等待补正材料，请先确认材料已补齐",
         TaskState.PENDING: "该任务尚未认领，请先认领"}.get(task.state, "任务状态不允许此操作"),
    )  # fmt: skip


def _task_move(task: Task, to: TaskState, **changes: object) -> Task:
    if to not in TASK_MOVES[task.state]:
        raise _task_conflict(task, to)
    return replace(task, state=to, **changes)  # type: ignore[arg-type]


def check_officer(task: Task, department: str | None) -> None:
    if department != task.department:
        raise Forbidden("other_department", "this task belongs to another department",
                        "该任务属于其他部门")  # fmt: skip


def _holder(task: Task, officer_id: str) -> None:
    # Only a task someone is on is theirs: a finished one says why it is finished.
    held = task.state is TaskState.CLAIMED or task.state in STOPPED_TASKS
    if held and task.officer_id not in (None, officer_id):
        raise Conflict("task_claimed", f"{task.officer_name} is working on this task",
                       f"该任务已由 {task.officer_name} 认领")  # fmt: skip


def claim(task: Task, officer_id: str, officer_name: str) -> Task:
    if task.state is TaskState.CLAIMED and task.officer_id == officer_id:
        return task
    _holder(task, officer_id)
    if task.state is not TaskState.PENDING:
        # A stopped task comes back through resume, which closes its stop; a claim
        # would leave the stop open and the deadline sliding for ever.
        raise _task_conflict(task, TaskState.CLAIMED)
    return _task_move(task, TaskState.CLAIMED, officer_id=officer_id, officer_name=officer_name)


def release(task: Task, officer_id: str) -> Task:
    """Back to the department's inbox: by its holder, or by a colleague when the holder is
    away (a claimed task must not run late for want of its one officer)."""
    return _task_move(task, TaskState.PENDING, officer_id=None, officer_name=None)


def decide(task: Task, officer_id: str, approve: bool, note: str | None, now: datetime) -> Task:
    _holder(task, officer_id)
    if not approve and not (note and note.strip()):
        raise InvalidInput("reason_required", "a rejection needs its reasons",
                           "不予许可须写明理由", field="reason")  # fmt: skip
    to = TaskState.APPROVED if approve else TaskState.REJECTED
    return _task_move(task, to, decided_at=now, note=note)


def stop(task: Task, officer_id: str, supplement: bool, reason: str, day: date) -> Task:
    """Ask the citizen for a supplement, or suspend for a special procedure: the clock stops."""
    _holder(task, officer_id)
    to = TaskState.SUPPLEMENT if supplement else TaskState.SUSPENDED
    return _task_move(task, to, note=reason, stops=(*task.stops, Stop(day)))


def resume(task: Task, officer_id: str, day: date) -> Task:
    """The clock runs again: any officer of the department may record that the supplement
    came or the procedure ended; the task stays with its holder."""
    if task.state not in STOPPED_TASKS:
        raise Conflict("task_not_stopped", "the task's clock is running",
                       "该任务未暂停，无需恢复")  # fmt: skip
    stops = (*task.stops[:-1], Stop(task.stops[-1].start, day))
    return _task_move(task, TaskState.CLAIMED, stops=stops)


def cancel(task: Task, now: datetime, day: date) -> Task:
    """Stopped because the case ended elsewhere; an open stop ends on ``day`` (local)."""
    if task.state not in OPEN_TASKS:
        return task
    stops = task.stops
    if task.state in STOPPED_TASKS and stops and stops[-1].end is None:
        stops = (*stops[:-1], Stop(stops[-1].start, max(day, stops[-1].start)))
    return _task_move(task, TaskState.CANCELLED, decided_at=now, stops=stops)
