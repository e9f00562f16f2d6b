"""Tests for server.domain.case: the 办件 state machine, the intake checklist with
容缺 and 一次性告知, parallel review tasks and how their outcome decides the case.
Pure: every instant and day is passed in, no event loop."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.domain import case as cs
from server.domain.case import Case, CaseState, Mark, Task, TaskState
from server.domain.deadline import Stop
from server.domain.errors import Conflict, Forbidden, InvalidInput, OneWindowError
from server.domain.matter import Material, Matter

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SH)
LATER = NOW + timedelta(days=2)
CJK = re.compile(r"[\u4e00-\u9fff]")
O1, O2 = "o1", "o2"  # two officers of the same department

MATTER = Matter(
    hall_id="h1", code="food.licence", name="食品经营许可", lead_department="market",
    departments=("market", "health", "fire"),
    materials=(
        Material("form", "申请书"),
        Material("id_card", "身份证", copies=1),
        Material("lease", "场地租赁合同", waivable=True),
        Material("plan", "平面布局图", waivable=True),
        Material("photo", "门头照片", required=False),
    ),
    promised_days=5, legal_days=20, intake_service="A", pickup_service="P",
)  # fmt: skip
ALL_RECEIVED = {m.key: Mark.RECEIVED for m in MATTER.materials}


def make_case(state: CaseState = CaseState.RECEIVED, **changes: object) -> Case:
    base = Case(
        id="c1", hall_id="h1", number="310101-20261123-0001", matter=MATTER.code,
        state=state, business_day=DAY, created_at=NOW, channel="window",
        id_fingerprint="fp", id_masked="310***********1234", name_masked="张*三",
        phone_masked=None, checklist={}, promised_days=5, legal_days=20,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def make_task(state: TaskState = TaskState.PENDING, **changes: object) -> Task:
    """A task of the market department; held by O1 in the states where someone holds it."""
    held = state not in (TaskState.PENDING,)
    stopped = state in cs.STOPPED_TASKS
    base = Task(
        id="t1", case_id="c1", hall_id="h1", department="market", lead=True, state=state,
        created_at=NOW, officer_id=O1 if held else None, officer_name="王芳" if held else None,
        stops=(Stop(DAY),) if stopped else (),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def marks(**overrides: Mark) -> dict[str, Mark]:
    return {**ALL_RECEIVED, **overrides}


def assert_bilingual(err: OneWindowError) -> None:
    assert err.message and not CJK.search(err.message), err.message
    assert CJK.search(err.message_zh), err.message_zh


# --- the case transition table --------------------------------------------------

CASE_PAIRS = [(a, b) for a in CaseState for b in CaseState]


def test_the_table_names_every_state_and_its_chinese_label() -> None:
    assert set(cs.CASE_MOVES) == set(CaseState)
    assert set(cs.CASE_ZH) == set(CaseState)
    assert len(set(cs.CASE_ZH.values())) == len(CaseState)


@pytest.mark.parametrize(("current", "wanted"), CASE_PAIRS)
def test_move_accepts_exactly_the_table(current: CaseState, wanted: CaseState) -> None:
    before = make_case(current)
    snapshot = replace(before)
    if wanted in cs.CASE_MOVES[current]:
        after = cs.move(before, wanted, reasons="x")
        assert after.state is wanted and after.reasons == "x"
        assert after is not before
    else:
        with pytest.raises(Conflict) as exc:
            cs.move(before, wanted, reasons="x")
        assert exc.value.code == "case_state"
        assert cs.CASE_ZH[current] in exc.value.message_zh
        assert cs.CASE_ZH[wanted] in exc.value.message_zh
        assert_bilingual(exc.value)
    assert before == snapshot and before.state is current


def test_a_case_is_frozen() -> None:
    c = make_case()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.state = CaseState.ACCEPTED  # type: ignore[misc]


def _reachable(start: CaseState) -> set[CaseState]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in cs.CASE_MOVES[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_state_is_reachable_and_every_path_ends_archived() -> None:
    assert _reachable(CaseState.RECEIVED) == set(CaseState)
    assert not cs.CASE_MOVES[CaseState.ARCHIVED]
    for s in CaseState:
        assert CaseState.ARCHIVED in _reachable(s), s


def test_withdrawal_only_before_a_decision_and_closed_cases_only_archive() -> None:
    for s in CaseState:
        assert (CaseState.WITHDRAWN in cs.CASE_MOVES[s]) == (s in cs.UNDECIDED), s
    for s in cs.CLOSED:
        assert cs.CASE_MOVES[s] == {CaseState.ARCHIVED}, s
    assert cs.REVIEWING <= cs.UNDECIDED
    assert not cs.CLOSED & cs.UNDECIDED


# --- reasons -----------------------------------------------------------------------


def test_reason_text_trims_and_requires_and_limits() -> None:
    assert cs.reason_text("  材料不齐 ") == "材料不齐"
    assert cs.reason_text(None, required=False) is None
    assert cs.reason_text("   ", required=False) is None
    for missing in (None, "", "  "):
        with pytest.raises(InvalidInput) as exc:
            cs.reason_text(missing)
        assert (exc.value.code, exc.value.field) == ("reason_required", "reason")
    assert cs.reason_text("字" * cs.MAX_REASON) == "字" * cs.MAX_REASON
    for bad in ("字" * (cs.MAX_REASON + 1), 42):
        with pytest.raises(InvalidInput) as exc:
            cs.reason_text(bad)
        assert (exc.value.code, exc.value.field) == ("reason_invalid", "reason")


# --- the intake checklist ------------------------------------------------------------


def test_unmarked_materials_default_to_missing_in_the_matters_order() -> None:
    got = cs.checklist(MATTER, {"photo": "received", "form": "received"})
    assert list(got) == [m.key for m in MATTER.materials]
    assert got == {"form": Mark.RECEIVED, "id_card": Mark.MISSING, "lease": Mark.MISSING,
                   "plan": Mark.MISSING, "photo": Mark.RECEIVED}  # fmt: skip
    assert all(type(v) is Mark for v in got.values())
    assert cs.checklist(MATTER, {}) == {m.key: Mark.MISSING for m in MATTER.materials}


def test_checklist_refuses_a_material_the_matter_does_not_have() -> None:
    with pytest.raises(InvalidInput) as exc:
        cs.checklist(MATTER, {"form": "received", "passport": "received"})
    assert (exc.value.code, exc.value.field) == ("material_unknown", "materials.passport")
    assert_bilingual(exc.value)


@pytest.mark.parametrize("bad", ["lost", "RECEIVED", "", None, 1])
def test_checklist_refuses_a_bad_mark(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        cs.checklist(MATTER, {"form": "received", "lease": bad})  # type: ignore[dict-item]
    assert (exc.value.code, exc.value.field) == ("material_mark_invalid", "materials.lease")
    assert_bilingual(exc.value)


@pytest.mark.parametrize("key", ["form", "id_card", "photo"])
def test_only_a_waivable_material_can_be_waived(key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        cs.checklist(MATTER, {key: "waived"})
    assert (exc.value.code, exc.value.field) == ("material_not_waivable", f"materials.{key}")
    assert MATTER.material(key).name in exc.value.message_zh  # type: ignore[union-attr]
    got = cs.checklist(MATTER, {"lease": "waived", "plan": Mark.WAIVED})
    assert got["lease"] is Mark.WAIVED and got["plan"] is Mark.WAIVED


# --- accept, refuse, one-time correction notice ---------------------------------------


def test_accept_with_everything_received_starts_the_clock() -> None:
    got = cs.accept(make_case(), MATTER, marks(), NOW, DAY)
    assert got.state is CaseState.ACCEPTED
    assert (got.accepted_at, got.accepted_day) == (NOW, DAY)
    assert got.checklist == ALL_RECEIVED and got.waived == () and got.missing == ()


def test_accept_refuses_when_a_required_material_is_missing() -> None:
    before = make_case()
    m = marks(id_card=Mark.MISSING, plan=Mark.MISSING, lease=Mark.WAIVED)
    with pytest.raises(Conflict) as exc:
        cs.accept(before, MATTER, m, NOW, DAY)
    assert (exc.value.code, exc.value.field) == ("materials_missing", "materials.id_card")
    assert "id_card" in exc.value.message and "plan" in exc.value.message
    assert "lease" not in exc.value.message  # waived is not missing
    assert "身份证" in exc.value.message_zh and "平面布局图" in exc.value.message_zh
    assert before.state is CaseState.RECEIVED and before.accepted_at is None


def test_accept_with_waived_materials_and_a_missing_optional_one() -> None:
    m = marks(lease=Mark.WAIVED, plan=Mark.WAIVED, photo=Mark.MISSING)
    got = cs.accept(make_case(), MATTER, m, NOW, DAY)
    assert got.state is CaseState.ACCEPTED
    assert got.waived == ("lease", "plan")
    assert got.checklist["photo"] is Mark.MISSING
    m["lease"] = Mark.RECEIVED  # the case keeps its own copy
    assert got.checklist["lease"] is Mark.WAIVED


def test_accept_after_correction_clears_the_notice() -> None:
    noticed = cs.ask_correction(make_case(), MATTER, marks(form=Mark.MISSING))
    assert noticed.missing == ("form",)
    got = cs.accept(noticed, MATTER, marks(), LATER, DAY + timedelta(days=2))
    assert got.state is CaseState.ACCEPTED and got.missing == ()
    assert (got.accepted_at, got.accepted_day) == (LATER, date(2026, 11, 25))


@pytest.mark.parametrize("state", sorted(set(CaseState) - {CaseState.RECEIVED,
                                                           CaseState.CORRECTION}))  # fmt: skip
def test_accept_only_from_received_or_correction(state: CaseState) -> None:
    with pytest.raises(Conflict) as exc:
        cs.accept(make_case(state), MATTER, marks(), NOW, DAY)
    assert exc.value.code == "case_state"


def test_the_correction_notice_lists_every_missing_material_at_once() -> None:
    m = marks(form=Mark.MISSING, lease=Mark.WAIVED, plan=Mark.MISSING, photo=Mark.MISSING)
    got = cs.ask_correction(make_case(), MATTER, m)
    assert got.state is CaseState.CORRECTION
    # Required and optional alike, in the matter's order; a waived one is not asked for.
    assert got.missing == ("form", "plan", "photo")
    assert got.checklist == m


def test_a_correction_notice_needs_something_missing() -> None:
    m = marks(lease=Mark.WAIVED)
    with pytest.raises(Conflict) as exc:
        cs.ask_correction(make_case(), MATTER, m)
    assert (exc.value.code, exc.value.field) == ("nothing_missing", "materials")
    assert_bilingual(exc.value)


def test_a_correction_notice_is_issued_once() -> None:
    noticed = cs.ask_correction(make_case(), MATTER, marks(photo=Mark.MISSING))
    with pytest.raises(Conflict) as exc:
        cs.ask_correction(noticed, MATTER, marks(form=Mark.MISSING))
    assert exc.value.code == "case_state"
    assert noticed.missing == ("photo",)
    with pytest.raises(Conflict) as exc:
        cs.ask_correction(make_case(CaseState.ACCEPTED), MATTER, marks(form=Mark.MISSING))
    assert exc.value.code == "case_state"


# --- review: one task per department ---------------------------------------------------


def test_start_review_makes_one_task_per_department_with_the_lead_flagged() -> None:
    accepted = cs.accept(make_case(), MATTER, marks(), NOW, DAY)
    case, tasks = cs.start_review(accepted, MATTER, iter(["t1", "t2", "t3"]), LATER)
    assert case.state is CaseState.IN_REVIEW
    assert [(t.id, t.department, t.lead) for t in tasks] == [
        ("t1", "market", True), ("t2", "health", False), ("t3", "fire", False),
    ]  # fmt: skip
    for t in tasks:
        assert (t.case_id, t.hall_id, t.state, t.created_at) == (
            "c1", "h1", TaskState.PENDING, LATER)  # fmt: skip
        assert t.officer_id is None and t.stops == ()


@pytest.mark.parametrize("ids", [["t1", "t2"], ["t1", "t2", "t3", "t4"]])
def test_start_review_needs_one_id_per_department(ids: list[str]) -> None:
    with pytest.raises(ValueError):
        cs.start_review(make_case(CaseState.ACCEPTED), MATTER, ids, NOW)


def test_start_review_only_after_acceptance() -> None:
    with pytest.raises(Conflict) as exc:
        cs.start_review(make_case(), MATTER, ["t1", "t2", "t3"], NOW)
    assert exc.value.code == "case_state"


A, R, P, C, SUP, SUS, X = (
    TaskState.APPROVED, TaskState.REJECTED, TaskState.PENDING, TaskState.CLAIMED,
    TaskState.SUPPLEMENT, TaskState.SUSPENDED, TaskState.CANCELLED,
)  # fmt: skip


@pytest.mark.parametrize(
    ("states", "waived", "expected"),
    [
        ([R, SUS, A], False, CaseState.REJECTED),  # any rejection, even with a stop elsewhere
        ([A, A, R], True, CaseState.REJECTED),
        ([R, SUP], False, CaseState.REJECTED),
        ([A, A, A], False, CaseState.APPROVED),
        ([A, A, A], True, CaseState.APPROVED_WITH_WAIVER),
        ([A], True, CaseState.APPROVED_WITH_WAIVER),
        ([A, SUP, A], False, CaseState.SUSPENDED),
        ([C, SUS, P], False, CaseState.SUSPENDED),
        ([A, A, P], False, CaseState.IN_REVIEW),
        ([A, C, A], True, CaseState.IN_REVIEW),
        ([P, P, P], False, CaseState.IN_REVIEW),
        ([], False, CaseState.IN_REVIEW),  # no tasks never approves
    ],
)
def test_review_state_from_the_tasks(
    states: list[TaskState], waived: bool, expected: CaseState
) -> None:
    checklist = marks(lease=Mark.WAIVED) if waived else marks()
    case = make_case(CaseState.IN_REVIEW, checklist=checklist)
    tasks = [make_task(s, id=f"t{i}") for i, s in enumerate(states)]
    assert cs.review_state(case, tasks) is expected
    # Whatever it says, the case can get there from review.
    assert expected is CaseState.IN_REVIEW or expected in cs.CASE_MOVES[CaseState.IN_REVIEW]


def test_stops_of_collects_every_departments_stops() -> None:
    s1, s2, s3 = Stop(DAY, DAY + timedelta(days=2)), Stop(DAY + timedelta(days=3)), Stop(DAY)
    tasks = [make_task(C, stops=(s1, s2)), make_task(P), make_task(SUS, stops=(s3,))]
    assert cs.stops_of(tasks) == [s1, s2, s3]


# --- tasks: every operation from every state --------------------------------------------

TASK_OPS: dict[str, tuple[Callable[[Task], Task], TaskState]] = {
    "claim": (lambda t: cs.claim(t, O1, "王芳"), TaskState.CLAIMED),
    "release": (lambda t: cs.release(t, O1), TaskState.PENDING),
    "approve": (lambda t: cs.decide(t, O1, True, None, LATER), TaskState.APPROVED),
    "reject": (lambda t: cs.decide(t, O1, False, "不符合选址要求", LATER), TaskState.REJECTED),
    "supplement": (lambda t: cs.stop(t, O1, True, "补充消防图纸", DAY), TaskState.SUPPLEMENT),
    "suspend": (lambda t: cs.stop(t, O1, False, "组织听证", DAY), TaskState.SUSPENDED),
    "resume": (lambda t: cs.resume(t, O1, DAY + timedelta(days=2)), TaskState.CLAIMED),
    "cancel": (lambda t: cs.cancel(t, LATER, DAY + timedelta(days=2)), TaskState.CANCELLED),
}
TASK_ALLOWED: dict[str, frozenset[TaskState]] = {
    "claim": frozenset({TaskState.PENDING}),  # a stopped task comes back by resume only
    "release": frozenset({TaskState.CLAIMED}),
    "approve": frozenset({TaskState.CLAIMED}),
    "reject": frozenset({TaskState.CLAIMED}),
    "supplement": frozenset({TaskState.CLAIMED}),
    "suspend": frozenset({TaskState.CLAIMED}),
    "resume": cs.STOPPED_TASKS,
    "cancel": cs.OPEN_TASKS,
}
TASK_CASES = [(op, s) for op in TASK_OPS for s in TaskState]


def test_the_operations_together_make_exactly_the_task_table() -> None:
    assert set(cs.TASK_MOVES) == set(TaskState)
    made = {(s, TASK_OPS[op][1]) for op, allowed in TASK_ALLOWED.items() for s in allowed}
    table = {(s, to) for s, tos in cs.TASK_MOVES.items() for to in tos}
    assert made == table


@pytest.mark.parametrize(("op", "state"), TASK_CASES)
def test_task_operation_from_every_state(op: str, state: TaskState) -> None:
    run, target = TASK_OPS[op]
    before = make_task(state)
    snapshot = replace(before)
    if state in TASK_ALLOWED[op]:
        after = run(before)
        assert after.state is target
        assert target in cs.TASK_MOVES[state]
    elif op == "claim" and state is TaskState.CLAIMED:
        assert run(before) is before  # claiming one's own task again changes nothing
    elif op == "cancel":
        assert run(before) is before  # a finished task stays as it finished
    else:
        with pytest.raises(Conflict) as exc:
            run(before)
        expected = "task_not_stopped" if op == "resume" else "task_state"
        assert exc.value.code == expected
        assert_bilingual(exc.value)
    assert before == snapshot and before.state is state


def test_a_task_is_frozen() -> None:
    t = make_task()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.state = TaskState.CLAIMED  # type: ignore[misc]


# A colleague may hand a held task back to the inbox or restart its clock (its holder may
# be away); deciding, stopping and claiming stay with the holder.
COLLEAGUE_OPS = ("cancel", "release", "resume")


@pytest.mark.parametrize("op", [op for op in TASK_OPS if op not in COLLEAGUE_OPS])
@pytest.mark.parametrize("state", [TaskState.CLAIMED, *sorted(cs.STOPPED_TASKS)])
def test_another_officer_cannot_act_on_a_held_task(op: str, state: TaskState) -> None:
    held = make_task(state, officer_id=O2, officer_name="李强")
    with pytest.raises(Conflict) as exc:
        TASK_OPS[op][0](held)
    assert exc.value.code == "task_claimed"
    assert "李强" in exc.value.message_zh and "李强" in exc.value.message


def test_a_colleague_releases_or_resumes_a_held_task() -> None:
    claimed = make_task(TaskState.CLAIMED, officer_id=O2, officer_name="李强")
    assert cs.release(claimed, O1).state is TaskState.PENDING
    stopped = cs.stop(claimed, O2, True, "补正", date(2026, 11, 25))
    resumed = cs.resume(stopped, O1, date(2026, 11, 27))
    assert resumed.state is TaskState.CLAIMED and resumed.officer_id == O2  # still its holder
    assert resumed.stops[-1].end == date(2026, 11, 27)


@pytest.mark.parametrize("op", [op for op in TASK_OPS if op not in ("cancel", "resume")])
@pytest.mark.parametrize("state", [TaskState.APPROVED, TaskState.REJECTED, TaskState.CANCELLED])
def test_a_finished_task_says_it_is_finished_to_anyone(op: str, state: TaskState) -> None:
    # Finished by O2: O1 is told the task's state, not that O2 "is working on it".
    done = make_task(state, officer_id=O2, officer_name="李强")
    with pytest.raises(Conflict) as exc:
        TASK_OPS[op][0](done)
    assert exc.value.code == "task_state"
    assert "李强" not in exc.value.message_zh


def test_approving_a_suspended_task_asks_to_resume_first() -> None:
    with pytest.raises(Conflict) as exc:
        cs.decide(make_task(TaskState.SUSPENDED), O1, True, None, LATER)
    assert exc.value.code == "task_state" and "恢复" in exc.value.message_zh


def test_claiming_a_stopped_task_does_not_leave_its_stop_open() -> None:
    stopped = make_task(TaskState.SUPPLEMENT)
    with pytest.raises(Conflict) as exc:
        cs.claim(stopped, O1, "王芳")
    assert exc.value.code == "task_state"
    resumed = cs.resume(stopped, O1, DAY + timedelta(days=2))
    assert resumed.stops == (Stop(DAY, DAY + timedelta(days=2)),)


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_rejection_needs_its_reasons(note: str | None) -> None:
    with pytest.raises(InvalidInput) as exc:
        cs.decide(make_task(TaskState.CLAIMED), O1, False, note, LATER)
    assert (exc.value.code, exc.value.field) == ("reason_required", "reason")
    approved = cs.decide(make_task(TaskState.CLAIMED), O1, True, note, LATER)
    assert approved.state is TaskState.APPROVED and approved.decided_at == LATER


def test_claim_release_and_decide_record_who_and_when() -> None:
    claimed = cs.claim(make_task(), O1, "王芳")
    assert (claimed.officer_id, claimed.officer_name) == (O1, "王芳")
    released = cs.release(claimed, O1)
    assert released.state is TaskState.PENDING and released.officer_id is None
    assert released.officer_name is None
    taken = cs.claim(released, O2, "李强")  # anyone of the department may take it now
    assert (taken.officer_id, taken.state) == (O2, TaskState.CLAIMED)
    rejected = cs.decide(taken, O2, False, "不符合选址要求", LATER)
    assert (rejected.state, rejected.note, rejected.decided_at) == (
        TaskState.REJECTED, "不符合选址要求", LATER)  # fmt: skip


def test_each_stop_and_resume_records_its_span() -> None:
    d1, d2, d3 = DAY, DAY + timedelta(days=2), DAY + timedelta(days=7)
    t = cs.stop(make_task(TaskState.CLAIMED), O1, True, "补充消防图纸", d1)
    assert (t.state, t.note, t.stops) == (TaskState.SUPPLEMENT, "补充消防图纸", (Stop(d1),))
    t = cs.resume(t, O1, d2)
    assert t.state is TaskState.CLAIMED and t.stops == (Stop(d1, d2),)
    t = cs.stop(t, O1, False, "组织听证", d3)
    assert t.state is TaskState.SUSPENDED and t.stops == (Stop(d1, d2), Stop(d3))
    with pytest.raises(Conflict) as exc:
        cs.stop(t, O1, True, "again", d3)  # stopped already: one stop at a time
    assert exc.value.code == "task_state"


def test_resuming_a_running_task_is_refused() -> None:
    running = make_task(TaskState.CLAIMED, stops=(Stop(DAY, DAY + timedelta(days=1)),))
    with pytest.raises(Conflict) as exc:
        cs.resume(running, O1, LATER.date())
    assert exc.value.code == "task_not_stopped"
    assert_bilingual(exc.value)


@pytest.mark.parametrize(
    ("day", "end"),
    [(DAY + timedelta(days=3), DAY + timedelta(days=3)), (DAY - timedelta(days=1), DAY)],
)
def test_cancelling_a_stopped_task_closes_its_stop(day: date, end: date) -> None:
    done = cs.cancel(make_task(TaskState.SUSPENDED), LATER, day)
    assert done.state is TaskState.CANCELLED and done.decided_at == LATER
    assert done.stops == (Stop(DAY, end),)  # never ending before it began
    pending = cs.cancel(make_task(TaskState.PENDING), LATER, day)
    assert pending.stops == () and pending.state is TaskState.CANCELLED


def test_check_officer_allows_only_the_tasks_department() -> None:
    t = make_task()
    cs.check_officer(t, "market")
    for other in ("health", None, ""):
        with pytest.raises(Forbidden) as exc:
            cs.check_officer(t, other)
        assert exc.value.code == "other_department"
        assert_bilingual(exc.value)


# --- a whole case, end to end --------------------------------------------------------


def test_a_case_from_intake_to_archive_with_a_waiver() -> None:
    c = make_case()
    m = cs.checklist(MATTER, {"form": "received", "id_card": "received", "lease": "waived",
                              "plan": "received"})  # fmt: skip
    c = cs.accept(c, MATTER, m, NOW, DAY)
    c, tasks = cs.start_review(c, MATTER, ["t1", "t2", "t3"], NOW)
    tasks = [cs.claim(t, f"o{i}", f"officer {i}") for i, t in enumerate(tasks)]
    tasks[1] = cs.stop(tasks[1], "o1", True, "补充卫生许可证明", DAY)
    assert cs.review_state(c, tasks) is CaseState.SUSPENDED
    c = cs.move(c, CaseState.SUSPENDED)
    tasks[1] = cs.resume(tasks[1], "o1", DAY + timedelta(days=2))
    assert cs.review_state(c, tasks) is CaseState.IN_REVIEW
    c = cs.move(c, CaseState.IN_REVIEW)
    tasks = [cs.decide(t, f"o{i}", True, None, LATER) for i, t in enumerate(tasks)]
    outcome = cs.review_state(c, tasks)
    assert outcome is CaseState.APPROVED_WITH_WAIVER
    c = cs.move(c, outcome, decided_at=LATER)
    for s in (CaseState.RESULT_READY, CaseState.PICKED_UP, CaseState.ARCHIVED):
        c = cs.move(c, s)
    assert c.state is CaseState.ARCHIVED and c.waived == ("lease",)
    assert cs.stops_of(tasks) == [Stop(DAY, DAY + timedelta(days=2))]
