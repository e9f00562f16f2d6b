"""Hall opening hours and the working-day calendar.

Why this exists: a hall's day is defined by local time and by the State Council's
holiday notice, not by UTC or by the weekday alone. Tickets, daily counters and
"N working days" deadlines all need the same answer to "which business day is it,
and is the hall open?". Everything here is pure: the current time is always
passed in, so the rules can be tested at any instant (UTC midnight, a lunch
break, a National Day week with a Saturday make-up day).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo

from server.domain.errors import InvalidInput

DEFAULT_TZ = "Asia/Shanghai"
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 30  # how far ahead next_opening looks

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# A period may close at 24:00 (round-the-clock self-service areas): kept as the last
# instant of the day, so a period is still one day's (open, close) pair.
END_OF_DAY = time.max
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Period = tuple[int, time, time]
JsonHours = dict[str, list[list[str]]]


DAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _hours_error(message: str, message_zh: str, field: str | None = None) -> InvalidInput:
    # field: the path below "hours" (a day, or a day's period), so a form can point at it.
    return InvalidInput("hours_invalid", message, message_zh, field=field)


def _calendar_error(message: str, message_zh: str) -> InvalidInput:
    return InvalidInput("calendar_invalid", message, message_zh)


def hhmm(t: time) -> str:
    """A period's bound as written: HH:MM, and 24:00 for the end of the day."""
    return "24:00" if t == END_OF_DAY else f"{t:%H:%M}"


def minute_of_day(t: time) -> int:
    """Minutes since local midnight; 1440 for the end of the day."""
    return 24 * 60 if t == END_OF_DAY else t.hour * 60 + t.minute


def _parse_hhmm(value: object, *, closing: bool = False) -> time:
    if closing and value == "24:00":
        return END_OF_DAY
    if not isinstance(value, str) or not (m := _HHMM.match(value)):
        raise _hours_error(f"time must be HH:MM, got {value!r}", f"时间格式应为 HH:MM：{value!r}")
    return time(int(m.group(1)), int(m.group(2)))


def _check_period(period: Period) -> None:
    weekday, opens, closes = period
    if not 0 <= weekday <= 6:
        raise _hours_error(f"weekday out of range: {weekday}", f"星期取值无效：{weekday}")
    for t in (opens,) if closes == END_OF_DAY else (opens, closes):
        if t.tzinfo is not None or t.second or t.microsecond:
            raise _hours_error("times must be naive whole minutes", "时间须精确到分钟且不带时区")
    if opens >= closes:
        raise _hours_error(
            f"{DAY_KEYS[weekday]}: open {hhmm(opens)} must be before close {hhmm(closes)}",
            f"{DAY_ZH[weekday]}：开始时间 {hhmm(opens)} 须早于结束时间 {hhmm(closes)}",
        )


@dataclass(frozen=True)
class OpeningHours:
    """Weekly schedule: (weekday 0=Mon..6=Sun, open, close); several periods a day allowed."""

    periods: tuple[Period, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.periods))
        for p in ordered:
            _check_period(p)
        for prev, nxt in pairwise(ordered):
            if prev[0] == nxt[0] and nxt[1] <= prev[2]:
                raise _hours_error(
                    f"{DAY_KEYS[prev[0]]}: periods overlap or touch",
                    f"{DAY_ZH[prev[0]]}：时段重叠或相接",
                    DAY_KEYS[prev[0]],
                )
        object.__setattr__(self, "periods", ordered)

    def on(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """The periods of one weekday, in order."""
        return tuple((o, c) for d, o, c in self.periods if d == weekday)

    @classmethod
    def from_json(cls, obj: object) -> OpeningHours:
        if not isinstance(obj, Mapping):
            raise _hours_error("hours must be an object", "营业时间须为对象")
        periods: list[Period] = []
        for key, spans in obj.items():
            if key not in DAY_KEYS:
                raise _hours_error(f"unknown day {key!r}", f"未知的星期：{key!r}", str(key))
            if not isinstance(spans, list):
                raise _hours_error(f"{key}: expected a list", f"{key}：应为列表", key)
            for i, span in enumerate(spans):
                try:
                    if not isinstance(span, list) or len(span) != 2:
                        raise _hours_error(
                            f"{key}: expected [open, close]", f"{key}：应为 [开始, 结束]"
                        )
                    opens, closes = _parse_hhmm(span[0]), _parse_hhmm(span[1], closing=True)
                    period = (DAY_KEYS.index(key), opens, closes)
                    _check_period(period)
                except InvalidInput as err:
                    err.field = f"{key}.{i}"
                    raise
                periods.append(period)
        return cls(tuple(periods))

    def to_json(self) -> JsonHours:
        out: JsonHours = {}
        for weekday, opens, closes in self.periods:
            out.setdefault(DAY_KEYS[weekday], []).append([hhmm(opens), hhmm(closes)])
        return out


@dataclass(frozen=True)
class WorkCalendar:
    """Mon–Fri working, overridden per date: False = holiday, True = make-up day (调休上班)."""

    exceptions: Mapping[date, bool] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Defensive read-only copy: the caller's dict cannot change us later.
        object.__setattr__(self, "exceptions", MappingProxyType(dict(self.exceptions)))

    def is_working_day(self, d: date) -> bool:
        return self.exceptions.get(d, d.weekday() < 5)

    def is_makeup_day(self, d: date) -> bool:
        """A weekend day declared a working day."""
        return d.weekday() >= 5 and self.exceptions.get(d) is True

    def add_working_days(self, start: date, n: int) -> date:
        """The nth working day after start; n=0 is start itself if working, else the next one."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        if n == 0:
            while not self.is_working_day(d):
                d += timedelta(days=1)
            return d
        while n > 0:
            d += timedelta(days=1)
            n -= self.is_working_day(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative if b < a. Inverse of add_working_days for n >= 1."""
        if b < a:
            return -self.working_days_between(b, a)
        full_weeks, rest = divmod((b - a).days, 7)
        count = full_weeks * 5
        count += sum((a + timedelta(days=i)).weekday() < 5 for i in range(1, rest + 1))
        for d, working in self.exceptions.items():
            if a < d <= b and working != (d.weekday() < 5):
                count += 1 if working else -1
        return count

    @classmethod
    def from_json(cls, obj: object) -> WorkCalendar:
        if not isinstance(obj, Mapping):
            raise _calendar_error("calendar must be an object", "日历须为对象")
        exceptions: dict[date, bool] = {}
        for key, working in obj.items():
            if not isinstance(key, str) or not _ISO_DATE.match(key):
                raise _calendar_error(
                    f"date must be YYYY-MM-DD: {key!r}", f"日期格式应为 YYYY-MM-DD：{key!r}"
                )
            if not isinstance(working, bool):
                raise _calendar_error(
                    f"{key}: expected true or false", f"{key}：应为 true 或 false"
                )
            try:
                exceptions[date.fromisoformat(key)] = working
            except ValueError:
                raise _calendar_error(f"no such date: {key}", f"日期不存在：{key}") from None
        return cls(exceptions)

    def to_json(self) -> dict[str, bool]:
        return {d.isoformat(): w for d, w in sorted(self.exceptions.items())}


@dataclass(frozen=True)
class HallClock:
    """A hall's local time zone, weekly hours and calendar, answering questions about `now`."""

    tz: ZoneInfo
    hours: OpeningHours
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def local(self, now: datetime) -> datetime:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.tz)

    def business_day(self, now: datetime) -> date:
        """The hall's local date: the business day ends at local midnight."""
        return self.local(now).date()

    def periods_on(self, d: date) -> tuple[tuple[time, time], ...]:
        """Opening periods of a local date; none on non-working days.

        A make-up weekend day with no hours of its own uses the Monday schedule.
        """
        if not self.calendar.is_working_day(d):
            return ()
        periods = self.hours.on(d.weekday())
        if not periods and self.calendar.is_makeup_day(d):
            periods = self.hours.on(0)
        return periods

    def _current_period(self, now: datetime) -> tuple[time, time] | None:
        loc = self.local(now)
        t = loc.time()
        for opens, closes in self.periods_on(loc.date()):
            if opens <= t and (t < closes or closes == END_OF_DAY):
                return opens, closes
        return None

    def is_open(self, now: datetime) -> bool:
        """Open from the opening minute up to, not including, the closing minute."""
        return self._current_period(now) is not None

    def closing_time(self, now: datetime) -> datetime | None:
        """End of the current period, or None when closed."""
        period = self._current_period(now)
        if period is None:
            return None
        day = self.business_day(now)
        if period[1] == END_OF_DAY:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return datetime.combine(day, period[1], tzinfo=self.tz)

    def next_opening(self, now: datetime) -> datetime | None:
        """The first period start at or after now (local dates up to SEARCH_DAYS ahead).

        While open, this is the start of the next period, not of the current one.
        """
        today = self.business_day(now)
        for i in range(SEARCH_DAYS + 1):
            d = today + timedelta(days=i)
            for opens, _ in self.periods_on(d):
                start = datetime.combine(d, opens, tzinfo=self.tz)
                if start >= now:
                    return start
        return None
