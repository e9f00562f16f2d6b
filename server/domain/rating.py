"""Ratings (好差评) and the follow-up a bad one opens (差评整改).

A citizen rates a served ticket, or a case once its result is collected or mailed,
once, on five levels: on the window's rating pad (评价器) right after service, or on
the phone until 5 working days after the day of service. The bottom two levels need
a reason and open a follow-up for the hall's supervisor: call the citizen back,
record the finding and the rectification, close with a response the citizen sees.
A supervisor may mark a rating malicious (with a reason): it stays in the record,
out of the satisfaction rate (server/domain/stats.py counts, not this module).

Pure: the day, the time and the current values are passed in; nothing is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum

from . import deadline
from .calendar import WorkCalendar
from .errors import Conflict, Forbidden, InvalidInput
from .model import Actor, Role

RATE_DAYS = 5  # the phone may rate until this many working days after the day of service
FOLLOWUP_DAYS = 5  # a follow-up's default deadline, in working days from the rating
PAD_PROMPT_S = 60  # the pad shows the levels this long, then counts "not rated"
PAD_GRACE_S = 15  # a tap in the last second still arrives after the pad's own timeout
# 请评价 puts the levels up again only this soon after the finish, and only before the
# window calls anyone else: later the citizen has gone and the pad faces the clerk.
REPROMPT_S = 300
PROMPTS = ("finish", "reprompt")  # what put the levels on the pad (a phone rating: none)
MAX_COMMENT = 200
MAX_NOTE = 500
CHANNELS = ("pad", "phone")


class Level(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


LEVEL_ZH = {
    Level.VERY_SATISFIED: "非常满意", Level.SATISFIED: "满意", Level.BASICALLY_SATISFIED: "基本满意",
    Level.DISSATISFIED: "不满意", Level.VERY_DISSATISFIED: "非常不满意",
}  # fmt: skip
BAD = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})

# The short fixed list the bottom two levels choose from (plus free text).
REASONS = {
    "attitude": "服务态度不好",
    "slow": "办理效率低",
    "unclear": "告知不清楚、不一次性",
    "wait": "等候时间长",
    "rules": "材料或流程繁琐",
    "other": "其他",
}


def parse_level(value: object) -> Level:
    # bool is an int in Python: true must not read as 1 (非常不满意).
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput("level_invalid", "the level is one of 1 (very dissatisfied) to 5 "
                           "(very satisfied)", "评价等级须为 1（非常不满意）到 5（非常满意）",
                           field="level")  # fmt: skip
    return Level(value)


def clean_text(value: str | None, limit: int, field: str, *, required: bool,
               zh: str) -> str | None:  # fmt: skip
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field}_required", f"{field} is required", f"请填写{zh}",
                           field=field)  # fmt: skip
    if len(text) > limit:
        raise InvalidInput(f"{field}_too_long", f"{field}: at most {limit} characters",
                           f"{zh}不能超过 {limit} 个字", field=field)  # fmt: skip
    return text or None


@dataclass(frozen=True, slots=True)
class Choice:
    """What the citizen chose, checked: a level, and for the bottom two, why."""

    level: Level
    reasons: tuple[str, ...] = ()
    comment: str | None = None

    @property
    def bad(self) -> bool:
        return self.level in BAD


def choose(level: object, reasons: Sequence[str] = (), comment: str | None = None) -> Choice:
    lv = parse_level(level)
    picked = tuple(dict.fromkeys(reasons))  # in order, once each
    unknown = [r for r in picked if r not in REASONS]
    if unknown:
        raise InvalidInput("reason_unknown", f"unknown reason {unknown[0]!r}",
                           f"未知的原因：{unknown[0]}", field="reasons")  # fmt: skip
    text = clean_text(comment, MAX_COMMENT, "comment", required=False, zh="意见")
    if lv in BAD:
        if not picked and not text:
            raise InvalidInput("reason_required", "say what was wrong: pick a reason or write",
                               "请选择或填写不满意的原因", field="reasons")  # fmt: skip
    elif picked:
        raise InvalidInput("reason_not_asked", "reasons go with the bottom two levels only",
                           "只有不满意和非常不满意需要选择原因", field="reasons")  # fmt: skip
    return Choice(lv, picked, text)


# --- when a rating may be made -----------------------------------------------------------


def rate_until(calendar: WorkCalendar, service_day: date) -> date:
    """The last day the phone may rate: 5 working days after the day of service."""
    return calendar.add_working_days(service_day, RATE_DAYS)


def check_window(calendar: WorkCalendar, service_day: date, today: date) -> None:
    until = rate_until(calendar, service_day)
    if today > until:
        raise Conflict("rating_closed", f"ratings close 5 working days after service ({until})",
                       f"服务结束 5 个工作日后不能再评价（截至 {until:%Y-%m-%d}）")  # fmt: skip


def check_unrated(existing: object | None) -> None:
    """One rating per ticket and per case: the first one stands, nobody changes it."""
    if existing is not None:
        raise Conflict("already_rated", "this has been rated already", "您已评价过，不能重复评价")


def pad_may_rate(*, ticket_window: str | None, pad_window: str, served: bool,
                 latest_done: str | None, ticket_id: str, prompted_at: datetime | None,
                 now: datetime) -> None:  # fmt: skip
    """A paired pad rates only the ticket just finished at its own window, while its
    prompt (the finish, or the clerk's 请评价) is on the screen."""
    if ticket_window != pad_window or not served or latest_done != ticket_id:
        raise Forbidden("not_this_pad", "this pad may rate only the ticket just served at its "
                        "window", "评价器只能评价本窗口刚办结的业务")  # fmt: skip
    if prompted_at is None or now > prompted_at + timedelta(seconds=PAD_PROMPT_S + PAD_GRACE_S):
        raise Conflict("prompt_expired", "the rating prompt has timed out", "评价已超时")


def may_reprompt(*, finished_at: datetime, called_since: bool, now: datetime) -> None:
    """请评价 only for the citizen still at the window: within REPROMPT_S of the finish
    and before the window's next call."""
    if called_since or now > finished_at + timedelta(seconds=REPROMPT_S):
        raise Conflict("reprompt_closed", "请评价 works only within 5 minutes of the finish and "
                       "before the next call", "只能在办结后 5 分钟内、叫下一位之前请群众评价")  # fmt: skip


def delay_s(served_at: datetime, now: datetime) -> int:
    """Whole seconds from the end of service to the rating (recorded with it)."""
    return max(0, int((now - served_at).total_seconds()))


# --- malicious ratings ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Malicious:
    reason: str
    by: str
    at: datetime


def mark_malicious(current: Malicious | None, actor: Actor, reason: str | None,
                   now: datetime) -> Malicious:  # fmt: skip
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("role_forbidden", "only supervisors mark a rating malicious",
                        "只有值班主任或管理员可以认定恶意评价")  # fmt: skip
    if current is not None:
        raise Conflict("already_malicious", "this rating is marked malicious already",
                       "该评价已被认定为恶意评价")  # fmt: skip
    text = clean_text(reason, MAX_NOTE, "reason", required=True, zh="认定理由")
    assert text is not None
    return Malicious(text, actor.id, now)


# --- the follow-up (差评整改) ---------------------------------------------------------


class FollowupState(StrEnum):
    OPEN = "open"
    CALLED_BACK = "called_back"  # 已回访
    RECTIFIED = "rectified"  # 已整改
    CLOSED = "closed"  # 已办结, with the response the citizen sees


FOLLOWUP_ZH = {
    FollowupState.OPEN: "待回访", FollowupState.CALLED_BACK: "已回访",
    FollowupState.RECTIFIED: "已整改", FollowupState.CLOSED: "已办结",
}  # fmt: skip
_NEXT = {
    FollowupState.OPEN: FollowupState.CALLED_BACK,
    FollowupState.CALLED_BACK: FollowupState.RECTIFIED,
    FollowupState.RECTIFIED: FollowupState.CLOSED,
}
ACTIONS = {"call_back": FollowupState.CALLED_BACK, "rectify": FollowupState.RECTIFIED,
           "close": FollowupState.CLOSED}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Followup:
    id: str
    rating_id: str
    hall_id: str
    state: FollowupState
    opened_at: datetime
    due_day: date
    call_note: str | None = None
    called_back_at: datetime | None = None
    called_back_by: str | None = None
    finding: str | None = None
    rectification: str | None = None
    rectified_at: datetime | None = None
    rectified_by: str | None = None
    response: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


def open_followup(followup_id: str, rating_id: str, hall_id: str, calendar: WorkCalendar,
                  day: date, now: datetime, days: int = FOLLOWUP_DAYS) -> Followup:  # fmt: skip
    return Followup(followup_id, rating_id, hall_id, FollowupState.OPEN, now,
                    calendar.add_working_days(day, days))  # fmt: skip


def _step(f: Followup, to: FollowupState) -> None:
    if _NEXT.get(f.state) is not to:
        raise Conflict("followup_state", f"a follow-up that is {f.state} cannot become {to}",
                       f"整改当前为「{FOLLOWUP_ZH[f.state]}」，不能转为「{FOLLOWUP_ZH[to]}」")  # fmt: skip


def call_back(f: Followup, by: str, note: str | None, now: datetime) -> Followup:
    """The citizen was called (or could not be: the note says so)."""
    _step(f, FollowupState.CALLED_BACK)
    text = clean_text(note, MAX_NOTE, "note", required=False, zh="回访记录")
    return replace(f, state=FollowupState.CALLED_BACK, call_note=text, called_back_at=now,
                   called_back_by=by)  # fmt: skip


def rectify(f: Followup, by: str, finding: str | None, rectification: str | None,
            now: datetime) -> Followup:  # fmt: skip
    _step(f, FollowupState.RECTIFIED)
    found = clean_text(finding, MAX_NOTE, "finding", required=True, zh="核查情况")
    fixed = clean_text(rectification, MAX_NOTE, "rectification", required=True, zh="整改措施")
    return replace(f, state=FollowupState.RECTIFIED, finding=found, rectification=fixed,
                   rectified_at=now, rectified_by=by)  # fmt: skip


def close(f: Followup, by: str, response: str | None, now: datetime) -> Followup:
    """Closed with a response: what the citizen reads on the phone and gets by SMS."""
    _step(f, FollowupState.CLOSED)
    text = clean_text(response, MAX_NOTE, "response", required=True, zh="答复内容")
    return replace(f, state=FollowupState.CLOSED, response=text, closed_at=now, closed_by=by)


def colour(calendar: WorkCalendar, f: Followup, today: date,
           closed_day: date | None = None) -> deadline.Colour:  # fmt: skip
    """Red once overdue (yellow the working day before); a closed one keeps whether it
    was closed late (``closed_day``: the hall-local day it was closed)."""
    if f.state is FollowupState.CLOSED:
        late = closed_day is not None and closed_day > f.due_day
        return deadline.Colour.RED if late else deadline.Colour.GREEN
    return deadline.colour(calendar, f.due_day, today)
