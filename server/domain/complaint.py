"""Complaints (投诉): what a citizen files about a window, a clerk, a matter or the hall,
and the steps the hall takes with it.

intake → assigned (to a supervisor) → investigated → answered → closed, each step
timed and signed (who, when) and legal only in that order. The complaint number
``TS-<region>-<YYYYMMDD>-<NNNN>`` counts per hall per business day, gapless. The
citizen follows the complaint with its number plus the random query code given at
filing (and texted, when a phone was left): never a phone suffix, which every clerk
reads in a masked phone, against numbers anyone can count.

Pure: time and ids are passed in; the use cases store what comes back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from . import identity
from .calendar import WorkCalendar
from .errors import Conflict, InvalidInput

MAX_TEXT = 1000
MAX_NAME = 50
MAX_SUBJECT = 40
MAX_FINDING = 1000
# The answer is texted to the citizen as well: a long SMS, not a letter.
MAX_ANSWER = 500
ANSWER_DAYS = 5  # working days from filing to the answer (答复时限)
NUMBER = re.compile(r"^TS-[0-9A-Z]{1,16}-\d{8}-\d{4}$")
# The query code: 8 characters without the look-alikes 0/O, 1/I/L (about 40 bits).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class State(StrEnum):
    INTAKE = "intake"
    ASSIGNED = "assigned"
    INVESTIGATED = "investigated"
    ANSWERED = "answered"
    CLOSED = "closed"


class Subject(StrEnum):
    WINDOW = "window"
    CLERK = "clerk"
    MATTER = "matter"
    HALL = "hall"


MOVES: Mapping[State, State | None] = {
    State.INTAKE: State.ASSIGNED,
    State.ASSIGNED: State.INVESTIGATED,
    State.INVESTIGATED: State.ANSWERED,
    State.ANSWERED: State.CLOSED,
    State.CLOSED: None,
}
STATE_ZH = {State.INTAKE: "已受理", State.ASSIGNED: "已分派", State.INVESTIGATED: "已调查",
            State.ANSWERED: "已答复", State.CLOSED: "已办结"}  # fmt: skip
# Until it is answered the hall owes the citizen something: these can run late.
OPEN = frozenset({State.INTAKE, State.ASSIGNED, State.INVESTIGATED})


@dataclass(frozen=True, slots=True)
class Step:
    """Who took a step, and when."""

    at: datetime
    by_id: str | None  # None: the citizen (filing)
    by_name: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None
    phone: str | None

    @property
    def empty(self) -> bool:
        return self.name is None and self.phone is None


@dataclass(frozen=True, slots=True)
class Complaint:
    id: str
    hall_id: str
    number: str
    business_day: date
    channel: str  # phone | kiosk
    subject: Subject
    subject_id: str | None  # the window's or matter's id, the clerk as the citizen named them
    subject_label: str  # what staff read: 3号窗口, the matter's name, …
    text: str
    name_masked: str | None
    phone_masked: str | None
    due_day: date
    state: State = State.INTAKE
    steps: Mapping[State, Step] = field(default_factory=dict)
    assignee_id: str | None = None
    assignee_name: str | None = None
    finding: str | None = None  # the investigation's record: staff only
    answer: str | None = None  # what the citizen is told

    @property
    def filed_at(self) -> datetime:
        return self.steps[State.INTAKE].at

    def overdue(self, today: date) -> bool:
        return self.state in OPEN and today > self.due_day


def _bounded(value: object, limit: int, code: str, what: str, zh: str, fld: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"{code}_required", f"{what} is required", f"请填写{zh}", field=fld)
    if len(text) > limit:
        raise InvalidInput(f"{code}_too_long", f"{what}: at most {limit} characters",
                           f"{zh}不能超过 {limit} 个字（现在 {len(text)} 个）", field=fld)  # fmt: skip
    return text


def check_text(text: object) -> str:
    return _bounded(text, MAX_TEXT, "text", "the complaint's text", "投诉内容", "text")


def check_finding(text: object) -> str:
    return _bounded(text, MAX_FINDING, "finding", "the investigation's finding", "调查情况",
                    "finding")  # fmt: skip


def check_answer(text: object) -> str:
    return _bounded(text, MAX_ANSWER, "answer", "the answer", "答复内容", "answer")


def check_subject(kind: str, subject_id: str | None) -> tuple[Subject, str | None]:
    """The subject's kind, and its id trimmed (required except for the hall)."""
    try:
        subject = Subject(kind)
    except ValueError:
        raise InvalidInput("subject_invalid", "a complaint is about a window, a clerk, a matter"
                           " or the hall", "请选择投诉对象：窗口、工作人员、事项或大厅",
                           field="subject") from None  # fmt: skip
    if subject is Subject.HALL:
        return subject, None
    sid = (subject_id or "").strip()
    if not sid or len(sid) > MAX_SUBJECT:
        raise InvalidInput("subject_id_invalid", f"name the {subject.value} complained about"
                           f" (at most {MAX_SUBJECT} characters)", "请选择或填写投诉的对象",
                           field="subject_id")  # fmt: skip
    return subject, sid


def check_contact(name: str | None, phone: str | None) -> Contact:
    """An optional contact: a name (bounded) and a mainland mobile (validated)."""
    n = (name or "").strip() or None
    if n is not None and len(n) > MAX_NAME:
        raise InvalidInput("contact_invalid", f"name: at most {MAX_NAME} characters",
                           f"姓名不能超过 {MAX_NAME} 个字", field="contact.name")  # fmt: skip
    p = (phone or "").strip() or None
    if p is not None:
        try:
            p = identity.validate_phone(p)
        except InvalidInput as err:
            err.field = "contact.phone"
            raise
    return Contact(n, p)


MAX_PER_DAY = 9999  # the number's four digits


def number(prefix: str, day: date, n: int) -> str:
    """The complaint's number: TS-<region>-<YYYYMMDD>-<NNNN>."""
    if not 1 <= n <= MAX_PER_DAY:
        raise ValueError("a hall's complaints of one day number 1 to 9999")
    return f"TS-{prefix}-{day:%Y%m%d}-{n:04d}"


def check_number(raw: str) -> str:
    value = (raw or "").strip().upper()
    if not NUMBER.match(value):
        raise InvalidInput("complaint_number_invalid", "a complaint number looks like "
                           "TS-370102-20261203-0001", "投诉编号格式如 TS-370102-20261203-0001",
                           field="number")  # fmt: skip
    return value


def check_secret(raw: str) -> str:
    """The query code as typed: any case, spaces or dashes between its characters."""
    value = re.sub(r"[\s\-‐-―−]", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not _CODE.match(value):
        raise InvalidInput("complaint_secret_invalid", f"the {CODE_LENGTH}-character query code"
                           " given when the complaint was filed", f"请输入提交投诉时给出的"
                           f" {CODE_LENGTH} 位查询码", field="secret")  # fmt: skip
    return value


def due_day(calendar: WorkCalendar, filed: date) -> date:
    return calendar.add_working_days(filed, ANSWER_DAYS)


def file(*, id: str, hall_id: str, number: str, day: date, channel: str, subject: Subject,
         subject_id: str | None, subject_label: str, text: str, contact: Contact,
         now: datetime, due: date) -> Complaint:  # fmt: skip
    return Complaint(
        id=id, hall_id=hall_id, number=number, business_day=day, channel=channel,
        subject=subject, subject_id=subject_id, subject_label=subject_label, text=text,
        name_masked=identity.mask_name(contact.name) if contact.name else None,
        phone_masked=identity.mask_phone(contact.phone) if contact.phone else None,
        due_day=due, steps={State.INTAKE: Step(now, None)},
    )  # fmt: skip


def _move(c: Complaint, to: State, step: Step, **changes: object) -> Complaint:
    if MOVES[c.state] is not to:
        raise Conflict(
            "complaint_state",
            f"a complaint that is {c.state} cannot become {to}",
            f"投诉当前为「{STATE_ZH[c.state]}」，不能转为「{STATE_ZH[to]}」",
        )
    return replace(c, state=to, steps={**c.steps, to: step}, **changes)  # type: ignore[arg-type]


def assign(c: Complaint, assignee_id: str, assignee_name: str, step: Step) -> Complaint:
    return _move(c, State.ASSIGNED, step, assignee_id=assignee_id, assignee_name=assignee_name)


def investigate(c: Complaint, finding: str, step: Step) -> Complaint:
    return _move(c, State.INVESTIGATED, step, finding=check_finding(finding))


def answer(c: Complaint, text: str, step: Step) -> Complaint:
    return _move(c, State.ANSWERED, step, answer=check_answer(text))


def close(c: Complaint, step: Step) -> Complaint:
    return _move(c, State.CLOSED, step)
