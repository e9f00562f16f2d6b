"""Tests for server.domain.calendar: business days, opening hours, holidays."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.domain.calendar import (
    DEFAULT_TZ,
    HallClock,
    OpeningHours,
    WorkCalendar,
)
from server.domain.errors import InvalidInput

SH = ZoneInfo(DEFAULT_TZ)

WEEKDAY_HOURS = {
    day: [["09:00", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}

# National Day 2026: Oct 1 (Thu)..Oct 7 (Wed) off; Sat Oct 10 is a make-up working day.
NATIONAL_DAY = {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A Shanghai wall-clock instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.fixture
def clock() -> HallClock:
    return HallClock(SH, OpeningHours.from_json(WEEKDAY_HOURS), WorkCalendar(NATIONAL_DAY))


# --- OpeningHours -----------------------------------------------------------


def test_hours_from_json_builds_sorted_periods() -> None:
    hours = OpeningHours.from_json({"tue": [["13:30", "17:00"], ["09:00", "12:00"]]})
    assert hours.periods == ((1, time(9), time(12)), (1, time(13, 30), time(17)))
    assert hours.on(1) == ((time(9), time(12)), (time(13, 30), time(17)))
    assert hours.on(0) == ()


def test_hours_json_round_trip() -> None:
    hours = OpeningHours.from_json(WEEKDAY_HOURS | {"sat": [["09:00", "12:00"]]})
    dumped = hours.to_json()
    assert dumped == WEEKDAY_HOURS | {"sat": [["09:00", "12:00"]]}
    assert OpeningHours.from_json(json.loads(json.dumps(dumped))) == hours


def test_hours_missing_day_is_closed_and_omitted() -> None:
    hours = OpeningHours.from_json({"mon": [["09:00", "17:00"]], "sun": []})
    assert hours.to_json() == {"mon": [["09:00", "17:00"]]}
    assert OpeningHours().to_json() == {}


@pytest.mark.parametrize(
    "obj",
    [
        {"mon": [["12:00", "09:00"]]},  # open after close
        {"mon": [["09:00", "09:00"]]},  # empty period
        {"mon": [["9:00", "12:00"]]},  # not HH:MM
        {"mon": [["24:00", "24:00"]]},  # 24:00 closes a day, never opens one
        {"mon": [["09:00", "24:01"]]},
        {"mon": [["09:00", "25:00"]]},
        {"mon": [["09:60", "12:00"]]},
        {"mon": [["09:00", "12:00:00"]]},
        {"mon": [[900, 1200]]},
        {"mon": [["09:00"]]},
        {"mon": ["09:00", "12:00"]},
        {"mon": "09:00-12:00"},
        {"monday": [["09:00", "12:00"]]},
        {"mon": [["09:00", "12:00"], ["11:00", "14:00"]]},  # overlap
        {"mon": [["09:00", "12:00"], ["12:00", "14:00"]]},  # touching
        [["09:00", "12:00"]],
        None,
    ],
)
def test_hours_invalid_rejected(obj: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        OpeningHours.from_json(obj)
    assert exc.value.code == "hours_invalid"
    assert exc.value.message and exc.value.message_zh


@pytest.mark.parametrize(
    "period",
    [(7, time(9), time(12)), (-1, time(9), time(12)), (0, time(9, 0, 30), time(12))],
)
def test_hours_constructor_validates(period: tuple[int, time, time]) -> None:
    with pytest.raises(InvalidInput, match="hours_invalid"):
        OpeningHours((period,))


# --- WorkCalendar -----------------------------------------------------------


def test_default_rule_is_monday_to_friday() -> None:
    cal = WorkCalendar()
    week = [date(2026, 11, 23) + timedelta(days=i) for i in range(7)]  # Mon..Sun
    assert [cal.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


def test_holiday_and_makeup_day() -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    assert not cal.is_working_day(date(2026, 10, 1))  # Thursday, holiday
    assert not cal.is_working_day(date(2026, 10, 5))  # Monday, holiday
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, make-up day
    assert not cal.is_working_day(date(2026, 10, 11))  # plain Sunday
    assert cal.is_working_day(date(2026, 10, 8))
    assert cal.is_makeup_day(date(2026, 10, 10))
    assert not cal.is_makeup_day(date(2026, 10, 8))


def test_exceptions_are_copied_and_read_only() -> None:
    source = {date(2026, 10, 1): False}
    cal = WorkCalendar(source)
    source[date(2026, 10, 2)] = False
    assert cal.is_working_day(date(2026, 10, 2))
    with pytest.raises(TypeError):
        cal.exceptions[date(2026, 10, 3)] = False  # type: ignore[index]
    assert hash(cal) == hash(WorkCalendar({date(2026, 10, 1): False}))


def test_add_working_days_across_weekend() -> None:
    cal = WorkCalendar()
    fri = date(2026, 11, 27)
    assert cal.add_working_days(fri, 1) == date(2026, 11, 30)  # Monday
    assert cal.add_working_days(fri, 5) == date(2026, 12, 4)
    assert cal.add_working_days(date(2026, 11, 23), 4) == fri


def test_add_working_days_zero() -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    assert cal.add_working_days(date(2026, 11, 25), 0) == date(2026, 11, 25)
    assert cal.add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)  # Sat -> Mon
    assert cal.add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)


def test_add_working_days_across_national_day() -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    wed = date(2026, 9, 30)
    assert cal.add_working_days(wed, 1) == date(2026, 10, 8)  # Thu after the holiday
    assert cal.add_working_days(wed, 2) == date(2026, 10, 9)  # Fri
    assert cal.add_working_days(wed, 3) == date(2026, 10, 10)  # make-up Saturday
    assert cal.add_working_days(wed, 4) == date(2026, 10, 12)  # Mon


def test_add_working_days_negative_rejected() -> None:
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(date(2026, 1, 1), -1)


def test_working_days_between() -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert cal.working_days_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
    assert cal.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert cal.working_days_between(date(2026, 11, 25), date(2026, 11, 25)) == 0


def test_working_days_between_matches_day_by_day_count() -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    start = date(2026, 9, 20)
    for span in range(60):
        end = start + timedelta(days=span)
        brute = sum(cal.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))
        assert cal.working_days_between(start, end) == brute


@pytest.mark.parametrize("n", range(1, 40))
def test_between_inverts_add(n: int) -> None:
    cal = WorkCalendar(NATIONAL_DAY)
    start = date(2026, 9, 25)
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_calendar_json_round_trip() -> None:
    obj = {"2026-10-11": True, "2026-10-01": False}
    cal = WorkCalendar.from_json(obj)
    assert cal.exceptions == {date(2026, 10, 1): False, date(2026, 10, 11): True}
    assert list(cal.to_json()) == ["2026-10-01", "2026-10-11"]
    assert WorkCalendar.from_json(json.loads(json.dumps(cal.to_json()))) == cal


@pytest.mark.parametrize(
    "obj",
    [
        {"2026-02-30": False},
        {"20261001": False},
        {"2026/10/01": False},
        {"2026-10-01": 0},
        {"2026-10-01": "false"},
        ["2026-10-01"],
    ],
)
def test_calendar_invalid_rejected(obj: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        WorkCalendar.from_json(obj)
    assert exc.value.code == "calendar_invalid"


# --- HallClock --------------------------------------------------------------


def test_business_day_across_utc_midnight(clock: HallClock) -> None:
    now = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    assert clock.local(now) == sh(2026, 11, 26, 0, 30)
    assert clock.business_day(now) == date(2026, 11, 26)
    assert clock.business_day(datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 25)


def test_business_day_from_other_offset(clock: HallClock) -> None:
    new_york = timezone(timedelta(hours=-5))
    assert clock.business_day(datetime(2026, 11, 25, 12, 0, tzinfo=new_york)) == date(2026, 11, 26)


def test_naive_datetime_rejected(clock: HallClock) -> None:
    naive = datetime(2026, 11, 25, 10, 0)
    for method in (
        clock.local,
        clock.business_day,
        clock.is_open,
        clock.next_opening,
        clock.closing_time,
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            method(naive)


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "expected"),
    [
        (8, 59, 59, False),
        (9, 0, 0, True),  # exactly at open
        (11, 59, 59, True),
        (12, 0, 0, False),  # exactly at close
        (12, 45, 0, False),  # lunch break
        (13, 29, 59, False),
        (13, 30, 0, True),
        (16, 59, 59, True),
        (17, 0, 0, False),
        (0, 0, 0, False),
    ],
)
def test_is_open_edges(clock: HallClock, hh: int, mm: int, ss: int, expected: bool) -> None:
    assert clock.is_open(sh(2026, 11, 25, hh, mm, ss)) is expected


def test_is_open_with_utc_input(clock: HallClock) -> None:
    assert clock.is_open(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 09:00 Shanghai
    assert not clock.is_open(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 17:00 Shanghai


def test_closed_on_weekend_and_holiday(clock: HallClock) -> None:
    assert not clock.is_open(sh(2026, 11, 28, 10, 0))  # Saturday
    assert not clock.is_open(sh(2026, 10, 1, 10, 0))  # National Day, Thursday
    assert not clock.is_open(sh(2026, 10, 5, 10, 0))  # holiday Monday
    assert clock.periods_on(date(2026, 10, 5)) == ()


def test_makeup_day_uses_monday_schedule(clock: HallClock) -> None:
    sat = date(2026, 10, 10)
    assert clock.periods_on(sat) == clock.hours.on(0)
    assert clock.is_open(sh(2026, 10, 10, 9, 0))
    assert not clock.is_open(sh(2026, 10, 10, 12, 30))
    assert clock.closing_time(sh(2026, 10, 10, 14, 0)) == sh(2026, 10, 10, 17, 0)


def test_makeup_day_prefers_its_own_schedule() -> None:
    hours = OpeningHours.from_json({"mon": [["09:00", "17:00"]], "sat": [["09:00", "12:00"]]})
    clock = HallClock(SH, hours, WorkCalendar({date(2026, 10, 10): True}))
    assert clock.is_open(sh(2026, 10, 10, 11, 0))
    assert not clock.is_open(sh(2026, 10, 10, 13, 0))
    assert not clock.is_open(sh(2026, 10, 17, 11, 0))  # ordinary Saturday: not working


def test_weekday_without_hours_stays_closed() -> None:
    hours = OpeningHours.from_json({"mon": [["09:00", "17:00"]]})
    clock = HallClock(SH, hours)
    assert not clock.is_open(sh(2026, 11, 25, 10, 0))  # Wednesday has no hours
    assert clock.next_opening(sh(2026, 11, 25, 10, 0)) == sh(2026, 11, 30, 9, 0)


def test_closing_time(clock: HallClock) -> None:
    assert clock.closing_time(sh(2026, 11, 25, 9, 0)) == sh(2026, 11, 25, 12, 0)
    assert clock.closing_time(sh(2026, 11, 25, 15, 0)) == sh(2026, 11, 25, 17, 0)
    assert clock.closing_time(sh(2026, 11, 25, 12, 0)) is None
    assert clock.closing_time(sh(2026, 11, 28, 10, 0)) is None
    closes = clock.closing_time(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert closes == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_next_opening_friday_evening_to_monday(clock: HallClock) -> None:
    nxt = clock.next_opening(sh(2026, 11, 27, 18, 0))
    assert nxt == sh(2026, 11, 30, 9, 0)
    assert nxt is not None and nxt.tzinfo == SH


def test_next_opening_same_day(clock: HallClock) -> None:
    assert clock.next_opening(sh(2026, 11, 25, 7, 0)) == sh(2026, 11, 25, 9, 0)
    assert clock.next_opening(sh(2026, 11, 25, 9, 0)) == sh(2026, 11, 25, 9, 0)  # at open
    assert clock.next_opening(sh(2026, 11, 25, 12, 10)) == sh(2026, 11, 25, 13, 30)
    assert clock.next_opening(sh(2026, 11, 25, 10, 0)) == sh(2026, 11, 25, 13, 30)  # while open


def test_next_opening_across_utc_midnight(clock: HallClock) -> None:
    # Wed 2026-11-25 16:30Z is Thu 00:30 in Shanghai: the next opening is Thu 09:00.
    assert clock.next_opening(datetime(2026, 11, 25, 16, 30, tzinfo=UTC)) == sh(2026, 11, 26, 9)


def test_next_opening_over_national_day(clock: HallClock) -> None:
    assert clock.next_opening(sh(2026, 9, 30, 17, 0)) == sh(2026, 10, 8, 9, 0)
    assert clock.next_opening(sh(2026, 10, 9, 17, 30)) == sh(2026, 10, 10, 9, 0)  # make-up Sat


def test_next_opening_none_beyond_horizon() -> None:
    long_closure = {date(2026, 11, 1) + timedelta(days=i): False for i in range(60)}
    clock = HallClock(SH, OpeningHours.from_json(WEEKDAY_HOURS), WorkCalendar(long_closure))
    assert clock.next_opening(sh(2026, 11, 2, 8, 0)) is None
    assert HallClock(SH, OpeningHours()).next_opening(sh(2026, 11, 2, 8, 0)) is None


def test_clock_defaults_and_hashable() -> None:
    clock = HallClock(SH, OpeningHours.from_json(WEEKDAY_HOURS))
    assert clock.calendar == WorkCalendar()
    assert isinstance(hash(clock), int)


# --- Closing at 24:00 ---------------------------------------------------------

ROUND_THE_CLOCK = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_a_day_may_close_at_24_00_and_is_written_back_so() -> None:
    hours = OpeningHours.from_json({"mon": [["08:00", "12:00"], ["18:00", "24:00"]]})
    assert hours.to_json() == {"mon": [["08:00", "12:00"], ["18:00", "24:00"]]}


def test_open_round_the_clock_is_open_in_the_last_second_before_midnight() -> None:
    clock = HallClock(SH, OpeningHours.from_json(ROUND_THE_CLOCK), WorkCalendar())
    last = datetime(2026, 12, 2, 23, 59, 59, 999_999, tzinfo=SH)  # a Wednesday
    assert clock.is_open(last)
    assert clock.closing_time(last) == sh(2026, 12, 3)  # midnight, the next date
    assert clock.business_day(last) == date(2026, 12, 2)
    assert clock.is_open(sh(2026, 12, 3)) and clock.business_day(sh(2026, 12, 3)) == date(2026, 12, 3)


def test_a_day_closing_at_23_59_is_shut_in_its_last_minute() -> None:
    clock = HallClock(SH, OpeningHours.from_json({"wed": [["00:00", "23:59"]]}), WorkCalendar())
    assert clock.is_open(sh(2026, 12, 2, 23, 58, 59))
    assert not clock.is_open(sh(2026, 12, 2, 23, 59, 0))
