"""Complaints (投诉): text and contact rules, the step order, numbering, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain import complaint as cp
from server.domain.calendar import WorkCalendar
from server.domain.complaint import State, Step, Subject
from server.domain.errors import Conflict, InvalidInput

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
DAY = date(2026, 12, 3)  # a Thursday


def filed(**kw: object) -> cp.Complaint:
    args: dict[str, object] = dict(
        id="c1", hall_id="h", number="TS-370102-20261203-0001", day=DAY, channel="phone",
        subject=Subject.WINDOW, subject_id="w3", subject_label="3号窗口", text="态度不好",
        contact=cp.Contact("张三", "13812345678"), now=NOW, due=date(2026, 12, 10),
    )  # fmt: skip
    args.update(kw)
    return cp.file(**args)  # type: ignore[arg-type]


def step(minutes: int = 0, who: str = "sup") -> Step:
    return Step(NOW + timedelta(minutes=minutes), who, who)


# --- text, subject, contact ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", None, 5])
def test_empty_text_is_refused(text: object) -> None:
    with pytest.raises(InvalidInput) as err:
        cp.check_text(text)
    assert err.value.code == "text_required" and err.value.field == "text"


def test_text_is_bounded_at_1000_characters() -> None:
    assert cp.check_text("投" * 1000) == "投" * 1000
    assert cp.check_text("  态度不好  ") == "态度不好"
    with pytest.raises(InvalidInput) as err:
        cp.check_text("投" * 1001)
    assert err.value.code == "text_too_long"
    assert "1000" in err.value.message and "1001" in err.value.message_zh


def test_subject_kinds() -> None:
    assert cp.check_subject("hall", "ignored") == (Subject.HALL, None)
    assert cp.check_subject("window", " w3 ") == (Subject.WINDOW, "w3")
    assert cp.check_subject("clerk", "工号 1024") == (Subject.CLERK, "工号 1024")
    with pytest.raises(InvalidInput) as err:
        cp.check_subject("mayor", "x")
    assert err.value.code == "subject_invalid"
    for bad in (None, "", "x" * 41):
        with pytest.raises(InvalidInput) as err:
            cp.check_subject("matter", bad)
        assert err.value.code == "subject_id_invalid"


def test_contact_is_optional_and_its_phone_validated() -> None:
    assert cp.check_contact(None, None).empty
    assert cp.check_contact(" 张三 ", "+86 138-1234-5678") == cp.Contact("张三", "13812345678")
    with pytest.raises(InvalidInput) as err:
        cp.check_contact(None, "12345")
    assert err.value.code == "phone_format" and err.value.field == "contact.phone"
    with pytest.raises(InvalidInput) as err:
        cp.check_contact("张" * 51, None)
    assert err.value.field == "contact.name"


def test_filing_masks_the_contact() -> None:
    x = filed()
    assert x.state is State.INTAKE and x.name_masked == "张*" and x.phone_masked == "138****5678"
    assert x.filed_at == NOW and x.steps[State.INTAKE].by_id is None
    anon = filed(contact=cp.Contact(None, None))
    assert anon.name_masked is None and anon.phone_masked is None


# --- the steps, in order -----------------------------------------------------------------


def test_every_step_in_order_is_timed_and_signed() -> None:
    x = cp.assign(filed(), "sup2", "李主任", step(1, "sup1"))
    assert (x.state, x.assignee_id, x.assignee_name) == (State.ASSIGNED, "sup2", "李主任")
    x = cp.investigate(x, "  查看了录像  ", step(2, "sup2"))
    assert x.state is State.INVESTIGATED and x.finding == "查看了录像"
    x = cp.answer(x, "已批评教育", step(3, "sup2"))
    assert x.state is State.ANSWERED and x.answer == "已批评教育"
    x = cp.close(x, step(4, "sup1"))
    assert x.state is State.CLOSED
    assert [(s, st.at - NOW, st.by_id) for s, st in x.steps.items()] == [
        (State.INTAKE, timedelta(0), None),
        (State.ASSIGNED, timedelta(minutes=1), "sup1"),
        (State.INVESTIGATED, timedelta(minutes=2), "sup2"),
        (State.ANSWERED, timedelta(minutes=3), "sup2"),
        (State.CLOSED, timedelta(minutes=4), "sup1"),
    ]


def _at(state: State) -> cp.Complaint:
    x = filed()
    order = [lambda c: cp.assign(c, "s", "s", step()), lambda c: cp.investigate(c, "f", step()),
             lambda c: cp.answer(c, "a", step()), lambda c: cp.close(c, step())]  # fmt: skip
    for move in order[: list(State).index(state)]:
        x = move(x)
    assert x.state is state
    return x


MOVES = {
    State.ASSIGNED: lambda c: cp.assign(c, "s", "s", step()),
    State.INVESTIGATED: lambda c: cp.investigate(c, "finding", step()),
    State.ANSWERED: lambda c: cp.answer(c, "answer", step()),
    State.CLOSED: lambda c: cp.close(c, step()),
}


@pytest.mark.parametrize("start", list(State))
@pytest.mark.parametrize("to", list(MOVES))
def test_only_the_next_step_is_legal(start: State, to: State) -> None:
    x = _at(start)
    if cp.MOVES[start] is to:
        assert MOVES[to](x).state is to
        return
    with pytest.raises(Conflict) as err:
        MOVES[to](x)
    assert err.value.code == "complaint_state"
    assert cp.STATE_ZH[start] in err.value.message_zh


def test_a_step_needs_its_text() -> None:
    x = _at(State.ASSIGNED)
    with pytest.raises(InvalidInput) as err:
        cp.investigate(x, " ", step())
    assert err.value.code == "finding_required"
    x = _at(State.INVESTIGATED)
    with pytest.raises(InvalidInput) as err:
        cp.answer(x, "答" * 501, step())
    assert err.value.code == "answer_too_long"


# --- numbers, secrets, deadlines -----------------------------------------------------------


def test_numbers_per_hall_per_day() -> None:
    assert cp.number("370102", DAY, 1) == "TS-370102-20261203-0001"
    assert cp.number("H1", DAY, 9999) == "TS-H1-20261203-9999"
    for n in (0, 10_000):
        with pytest.raises(ValueError):
            cp.number("370102", DAY, n)
    assert cp.check_number(" ts-370102-20261203-0001 ") == "TS-370102-20261203-0001"
    for bad in ("370102-20261203-0001", "TS-370102-2026123-0001", ""):
        with pytest.raises(InvalidInput):
            cp.check_number(bad)


def test_the_secret_is_the_query_code_never_a_phone_suffix() -> None:
    assert len(cp.CODE_ALPHABET) == 31 and not set("01OIL") & set(cp.CODE_ALPHABET)
    assert cp.check_secret(" k7mq-4xrt ") == "K7MQ4XRT" == cp.check_secret("Ｋ７ＭＱ ４ＸＲＴ")
    # 4 digits of a phone (what a clerk reads in 138****5678), a whole phone, look-alikes.
    for bad in ("5678", "13812345678", "K7MQ4XR", "K7MQ4XRTA", "K7MQ4XR0", "K7MQ4XRI", ""):
        with pytest.raises(InvalidInput) as err:
            cp.check_secret(bad)
        assert err.value.code == "complaint_secret_invalid" and err.value.field == "secret"


def test_the_answer_is_due_in_five_working_days_and_late_after() -> None:
    cal = WorkCalendar()
    due = cp.due_day(cal, DAY)
    assert due == date(2026, 12, 10)  # Thursday + 5 working days, over a weekend
    x = filed(due=due)
    assert not x.overdue(due) and x.overdue(due + timedelta(days=1))
    answered = _at(State.ANSWERED)
    assert not answered.overdue(due + timedelta(days=30))
