"""A service's booking rules (slot length, capacity, spans, horizon, check-in, the
no-show rule, the reminder), as the admin sets them in JSON: parsed, checked, and
every refusal naming its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from .errors import InvalidInput

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _bad(code: str, message: str, message_zh: str, field: str) -> InvalidInput:
    return InvalidInput(code, message, message_zh, field=f"booking.{field}")


# What a hall's staff call each rule: the Chinese message names it so, not by its key.
_ZH = {"slot_minutes": "时段长度（分钟）", "capacity": "每时段人数", "days_ahead": "可预约工作日数",
       "checkin_before_min": "提前签到分钟数", "no_show_limit": "爽约次数",
       "no_show_window_days": "爽约统计天数", "ban_days": "暂停预约天数",
       "reminder_at": "提醒时间"}  # fmt: skip


def _zh(name: str) -> str:
    if name.startswith("spans."):
        return f"第 {int(name.split('.')[1]) + 1} 个可预约时段"
    return _ZH.get(name, name)


def _hhmm(value: object, name: str) -> time:
    if not isinstance(value, str) or not (m := _HHMM.match(value)):
        raise _bad("booking_invalid", f"{name} must be HH:MM", f"{_zh(name)}须为 HH:MM 格式",
                   name)  # fmt: skip
    return time(int(m.group(1)), int(m.group(2)))


def _int(obj: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = obj.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad("booking_invalid", f"{name} must be a whole number from {low} to {high}",
                   f"{_zh(name)}须为 {low} 到 {high} 之间的整数", name)  # fmt: skip
    return value


@dataclass(frozen=True, slots=True)
class BookingRules:
    """How a service is booked. A service without rules is not bookable."""

    slot_minutes: int = 30
    capacity: int = 5  # citizens per slot
    # Bookable time of each working day, intersected with the opening hours;
    # empty means the whole of the opening hours.
    spans: tuple[tuple[time, time], ...] = ()
    days_ahead: int = 7  # working days after today
    checkin_before_min: int = 30  # check-in opens this long before the slot; closes at its end
    no_show_limit: int = 3  # this many missed appointments ...
    no_show_window_days: int = 30  # ... within this many days ...
    ban_days: int = 30  # ... block booking for this many days
    reminder_at: time = time(18, 0)  # local time on the working day before

    @classmethod
    def from_json(cls, obj: object) -> BookingRules:
        if not isinstance(obj, Mapping):
            raise InvalidInput("booking_invalid", "booking must be an object or null",
                               "预约规则须为对象或 null", field="booking")  # fmt: skip
        known = {"slot_minutes", "capacity", "spans", "days_ahead", "checkin_before_min",
                 "no_show_limit", "no_show_window_days", "ban_days", "reminder_at"}  # fmt: skip
        for key in obj:
            if key not in known:
                raise _bad("booking_invalid", f"unknown field {key!r}", f"未知字段：{key}", str(key))
        spans: list[tuple[time, time, int]] = []  # and its index: errors name it as given
        raw = obj.get("spans", [])
        if not isinstance(raw, list) or len(raw) > 12:
            raise _bad("booking_invalid", "spans must be a list of [from, to] (at most 12)",
                       "可预约时段须为 [开始, 结束] 的列表（最多 12 个）", "spans")  # fmt: skip
        for i, span in enumerate(raw):
            if not isinstance(span, list) or len(span) != 2:
                raise _bad("booking_invalid", "a span is [from, to]", "时段应为 [开始, 结束]",
                           f"spans.{i}")  # fmt: skip
            start, end = _hhmm(span[0], f"spans.{i}"), _hhmm(span[1], f"spans.{i}")
            if start >= end:
                raise _bad("booking_invalid", "a span must start before it ends",
                           "时段开始须早于结束", f"spans.{i}")  # fmt: skip
            spans.append((start, end, i))
        spans.sort()
        for i in range(1, len(spans)):
            if spans[i][0] < spans[i - 1][1]:
                where = f"spans.{spans[i][2]}"  # not its place once sorted
                raise _bad("booking_invalid", "spans overlap", "可预约时段重叠", where)
        return cls(
            slot_minutes=_int(obj, "slot_minutes", 30, 5, 240),
            capacity=_int(obj, "capacity", 5, 1, 1000),
            spans=tuple((a, b) for a, b, _ in spans),
            days_ahead=_int(obj, "days_ahead", 7, 1, 60),
            checkin_before_min=_int(obj, "checkin_before_min", 30, 0, 240),
            no_show_limit=_int(obj, "no_show_limit", 3, 1, 100),
            no_show_window_days=_int(obj, "no_show_window_days", 30, 1, 365),
            ban_days=_int(obj, "ban_days", 30, 0, 365),
            reminder_at=_hhmm(obj.get("reminder_at", "18:00"), "reminder_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "slot_minutes": self.slot_minutes,
            "capacity": self.capacity,
            "spans": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in self.spans],
            "days_ahead": self.days_ahead,
            "checkin_before_min": self.checkin_before_min,
            "no_show_limit": self.no_show_limit,
            "no_show_window_days": self.no_show_window_days,
            "ban_days": self.ban_days,
            "reminder_at": f"{self.reminder_at:%H:%M}",
        }
