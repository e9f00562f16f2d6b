"""Tests for server.domain.deadline: promised limits in working days over weekends,
holidays and make-up days, clock stops, and the green/yellow/red warning colours.
Pure: "today" is always passed in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.domain.calendar import WorkCalendar
from server.domain.deadline import Colour, Stop, colour, days_left, due_day, stopped_days

PLAIN = WorkCalendar()
# National Day 2026: Thu Oct 1 .. Wed Oct 7 off; Sat Oct 10 a make-up working day.
HOLIDAYS = WorkCalendar(
    {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}
)

# A plain week: Fri Nov 20, Mon Nov 23 .. Fri Nov 27, Mon Nov 30, Tue Dec 1.
FRI0 = date(2026, 11, 20)
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 23) + timedelta(days=i) for i in range(7))
MON2, TUE2, WED2, THU2 = (date(2026, 11, 30) + timedelta(days=i) for i in range(4))


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- due day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "limit", "due"),
    [
        (MON, 5, MON2),  # counted from the day after acceptance
        (THU, 1, FRI),
        (THU, 2, MON2),  # over the weekend
        (FRI, 1, MON2),
        (SAT, 1, MON2),  # accepted online on a Saturday
        (SUN, 5, date(2026, 12, 4)),
        (MON, 20, date(2026, 12, 21)),
    ],
)
def test_due_day_over_weekends(accepted: date, limit: int, due: date) -> None:
    assert due_day(PLAIN, accepted, limit, [], accepted) == due
    assert due_day(HOLIDAYS, accepted, limit, [], accepted) == due  # no holiday near


@pytest.mark.parametrize(
    ("accepted", "limit", "due", "without_holidays"),
    [
        (d(9, 30), 1, d(10, 8), d(10, 1)),  # the whole holiday week is skipped
        (d(9, 30), 2, d(10, 9), d(10, 2)),
        (d(9, 30), 3, d(10, 10), d(10, 5)),  # the make-up Saturday counts
        (d(9, 30), 4, d(10, 12), d(10, 6)),
        (d(9, 25), 3, d(9, 30), d(9, 30)),  # just before the holiday: unchanged
        (d(9, 25), 4, d(10, 8), d(10, 1)),  # would fall on Oct 1: the next working day
        (d(10, 1), 1, d(10, 8), d(10, 2)),  # accepted online during the holiday
        (d(10, 9), 1, d(10, 10), d(10, 12)),
    ],
)
def test_due_day_over_the_national_day_holiday(
    accepted: date, limit: int, due: date, without_holidays: date
) -> None:
    assert due_day(HOLIDAYS, accepted, limit, [], accepted) == due
    assert due_day(PLAIN, accepted, limit, [], accepted) == without_holidays


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10])
def test_a_deadline_is_always_a_working_day_exactly_the_limit_away(limit: int) -> None:
    for accepted in days(d(9, 20), d(10, 15)):
        due = due_day(HOLIDAYS, accepted, limit, [], accepted)
        assert HOLIDAYS.is_working_day(due), (accepted, due)
        assert HOLIDAYS.working_days_between(accepted, due) == limit, accepted


# --- clock stops -----------------------------------------------------------------------


def test_a_stop_from_monday_to_wednesday_moves_the_deadline_two_working_days() -> None:
    stop = Stop(MON, WED)
    assert stopped_days(PLAIN, [stop], THU2) == 2
    assert due_day(PLAIN, FRI0, 5, [], THU2) == FRI
    assert due_day(PLAIN, FRI0, 5, [stop], THU2) == TUE2


@pytest.mark.parametrize(
    ("today", "lost", "due"),
    [
        (MON, 0, FRI),  # stopped this morning: the day itself still counts
        (TUE, 1, MON2),
        (THU, 3, WED2),
        (SAT, 4, THU2),  # the weekend costs nothing more
        (SUN, 4, THU2),
    ],
)
def test_an_open_stop_counts_up_to_today(today: date, lost: int, due: date) -> None:
    stops = [Stop(MON)]
    assert stopped_days(PLAIN, stops, today) == lost
    assert due_day(PLAIN, FRI0, 5, stops, today) == due


def test_a_stop_never_counts_days_after_today() -> None:
    assert stopped_days(PLAIN, [Stop(MON, FRI)], WED) == 2
    assert stopped_days(PLAIN, [Stop(THU)], TUE) == 0  # begins after today


@pytest.mark.parametrize(
    ("stops", "lost"),
    [
        ([Stop(MON, WED), Stop(TUE, THU)], 3),  # overlapping: Tue..Thu once, not 2 + 2
        ([Stop(TUE, THU), Stop(MON, WED)], 3),  # in any order
        ([Stop(MON, FRI), Stop(TUE, WED)], 4),  # one inside the other
        ([Stop(MON, WED), Stop(WED, FRI)], 4),  # one ends the day the next begins
        ([Stop(MON, TUE), Stop(THU, FRI)], 2),  # apart: both count
        ([Stop(MON, WED), Stop(MON, WED)], 2),  # the same span twice
        ([Stop(MON), Stop(WED)], 4),  # two open stops: from Monday to today
        ([Stop(MON, TUE), Stop(WED)], 3),  # one closed, one still open
    ],
)
def test_overlapping_stops_of_two_departments_count_once(stops: list[Stop], lost: int) -> None:
    assert stopped_days(PLAIN, stops, FRI) == lost


@pytest.mark.parametrize("stop", [Stop(TUE, TUE), Stop(FRI)])  # Stop(FRI): open, today
def test_a_stop_that_starts_and_ends_the_same_day_costs_nothing(stop: Stop) -> None:
    assert stopped_days(PLAIN, [stop], FRI) == 0
    assert due_day(PLAIN, FRI0, 5, [stop], FRI) == FRI


@pytest.mark.parametrize(
    ("stop", "calendar", "lost"),
    [
        (Stop(FRI, MON2), PLAIN, 1),  # Sat and Sun are no working days
        (Stop(SAT, SUN), PLAIN, 0),
        (Stop(d(9, 30), d(10, 9)), HOLIDAYS, 2),  # only Oct 8 and 9
        (Stop(d(9, 30), d(10, 9)), PLAIN, 7),
        (Stop(d(10, 9), d(10, 12)), HOLIDAYS, 2),  # the make-up Saturday and Monday
        (Stop(d(10, 1), d(10, 7)), HOLIDAYS, 0),  # entirely inside the holiday
    ],
)
def test_only_working_days_inside_a_stop_are_lost(
    stop: Stop, calendar: WorkCalendar, lost: int
) -> None:
    assert stopped_days(calendar, [stop], d(12, 31)) == lost


def test_a_stop_across_the_holiday_moves_the_deadline_by_its_working_days() -> None:
    # Accepted Fri Sep 25 with 5 days: Sep 28, 29, 30, Oct 8, Oct 9.
    assert due_day(HOLIDAYS, d(9, 25), 5, [], d(9, 25)) == d(10, 9)
    # Stopped Sep 29 .. Oct 8: Sep 30 and Oct 8 are lost; Oct 10 (make-up), Oct 12.
    assert due_day(HOLIDAYS, d(9, 25), 5, [Stop(d(9, 29), d(10, 8))], d(10, 20)) == d(10, 12)


# --- colours and days left ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "due", "today", "expected"),
    [
        (PLAIN, WED, MON, Colour.GREEN),
        (PLAIN, WED, TUE, Colour.YELLOW),  # the working day before
        (PLAIN, WED, WED, Colour.YELLOW),  # the deadline day itself
        (PLAIN, WED, THU, Colour.RED),  # the day after
        (PLAIN, WED, d(1, 1), Colour.GREEN),
        (PLAIN, MON2, THU, Colour.GREEN),
        (PLAIN, MON2, FRI, Colour.YELLOW),  # Friday before a Monday deadline
        (PLAIN, MON2, SAT, Colour.YELLOW),  # and all the weekend
        (PLAIN, MON2, SUN, Colour.YELLOW),
        (PLAIN, MON2, MON2, Colour.YELLOW),
        (PLAIN, MON2, TUE2, Colour.RED),
        (PLAIN, FRI, SAT, Colour.RED),  # overdue on the weekend already
        (HOLIDAYS, d(10, 8), d(9, 29), Colour.GREEN),
        (HOLIDAYS, d(10, 8), d(9, 30), Colour.YELLOW),  # the working day before the holiday
        (HOLIDAYS, d(10, 8), d(10, 4), Colour.YELLOW),
        (HOLIDAYS, d(10, 8), d(10, 9), Colour.RED),
        (PLAIN, d(10, 8), d(9, 30), Colour.GREEN),  # without the holiday: 6 days away
        (HOLIDAYS, d(10, 12), d(10, 9), Colour.GREEN),  # the make-up Saturday is between
        (HOLIDAYS, d(10, 12), d(10, 10), Colour.YELLOW),
        (HOLIDAYS, d(10, 12), d(10, 11), Colour.YELLOW),
    ],
)
def test_colour(calendar: WorkCalendar, due: date, today: date, expected: Colour) -> None:
    assert colour(calendar, due, today) is expected


@pytest.mark.parametrize(
    ("calendar", "due", "today", "left"),
    [
        (PLAIN, WED, MON, 2),
        (PLAIN, WED, TUE, 1),
        (PLAIN, WED, WED, 0),
        (PLAIN, WED, THU, -1),
        (PLAIN, WED, FRI, -2),
        (PLAIN, WED, MON2, -3),  # the weekend between is not counted
        (PLAIN, MON2, SAT, 1),
        (PLAIN, FRI, SAT, -1),  # overdue though no working day has passed: not "0"
        (PLAIN, FRI, SUN, -1),
        (PLAIN, FRI, MON2, -1),
        (PLAIN, FRI, TUE2, -2),
        (HOLIDAYS, d(10, 8), d(9, 29), 2),
        (HOLIDAYS, d(9, 30), d(10, 8), -1),  # a week late by the calendar, one working day
        (HOLIDAYS, d(9, 30), d(10, 3), -1),
    ],
)
def test_days_left(calendar: WorkCalendar, due: date, today: date, left: int) -> None:
    assert days_left(calendar, due, today) == left


@pytest.mark.parametrize("due", [WED, FRI, MON2, d(9, 30), d(10, 8), d(10, 10), d(10, 12)])
def test_colour_and_days_left_agree(due: date) -> None:
    for today in days(due - timedelta(days=20), due + timedelta(days=20)):
        left, shade = days_left(HOLIDAYS, due, today), colour(HOLIDAYS, due, today)
        assert (shade is Colour.RED) == (left < 0) == (today > due), today
        assert (shade is Colour.YELLOW) == (left in (0, 1)), today
        assert (shade is Colour.GREEN) == (left >= 2), today


def test_a_stop_buys_time_back_from_yellow_to_green() -> None:
    assert colour(PLAIN, due_day(PLAIN, FRI0, 5, [], THU), THU) is Colour.YELLOW
    # A department stopped the clock yesterday: one day lost, the deadline is Monday.
    due = due_day(PLAIN, FRI0, 5, [Stop(WED)], THU)
    assert due == MON2 and colour(PLAIN, due, THU) is Colour.GREEN
    assert days_left(PLAIN, due, THU) == 2
