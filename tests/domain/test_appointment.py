"""Tests for server.domain.appointment: slots over the hall's calendar and time zone,
which slots can be booked, the check-in window, the no-show ban, reminders, codes and
the booking rules' JSON. Pure: every instant is passed in, no event loop."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.domain import appointment as ap
from server.domain.appointment import BookingRules, CheckIn, Slot
from server.domain.calendar import HallClock, OpeningHours, WorkCalendar
from server.domain.errors import Conflict, InvalidInput

SH = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6 all year
BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in winter, +2 in summer
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
LUNCH_BREAK = {d: [["09:00", "12:00"], ["13:30", "17:00"]] for d in WEEKDAYS}
EARLY = {d: [["07:00", "12:00"]] for d in WEEKDAYS}  # opens before 08:00 = 00:00 UTC
ALL_DAY = {d: [["00:00", "23:59"]] for d in (*WEEKDAYS, "sat", "sun")}
# National Day 2026: Thu Oct 1 .. Wed Oct 7 off; Sat Oct 10 a make-up working day.
NATIONAL_DAY = {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}
CJK = re.compile(r"[\u4e00-\u9fff]")

WED = date(2026, 11, 25)
THU, FRI, SAT, SUN, MON = (WED + timedelta(days=i) for i in range(1, 6))


def hall(
    hours: dict[str, list[list[str]]] = LUNCH_BREAK,
    calendar: dict[date, bool] | None = None,
    tz: ZoneInfo = SH,
) -> HallClock:
    return HallClock(
        tz,
        OpeningHours.from_json(hours),
        WorkCalendar(NATIONAL_DAY if calendar is None else calendar),
    )


def rules(**changes: Any) -> BookingRules:
    return BookingRules.from_json(changes)


def at(d: date, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=tz)


def starts(slots: list[Slot], tz: ZoneInfo = SH) -> list[str]:
    return [f"{s.start.astimezone(tz):%H:%M}" for s in slots]


def refusal(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str | None]:
    assert exc.value.message and CJK.search(exc.value.message_zh)
    return exc.value.code, exc.value.field


# --- slots over the calendar ----------------------------------------------------


def test_slots_fill_the_opening_hours_around_the_lunch_break() -> None:
    slots = ap.slots_on(hall(), rules(), THU)
    assert starts(slots) == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
        "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30",
    ]  # fmt: skip
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert slots[0] == Slot(at(THU, 9), at(THU, 9, 30))
    assert slots[0].start.tzinfo is SH


def test_spans_are_cut_by_the_opening_hours_and_the_lunch_break() -> None:
    clock = hall()
    r = rules(spans=[["08:00", "09:30"], ["11:00", "14:30"], ["16:30", "18:00"]])
    found = ap.slots_on(clock, r, THU)
    assert starts(found) == ["09:00", "11:00", "11:30", "13:30", "14:00", "16:30"]
    # A slot never straddles the break: 11:45 would end at 12:30.
    r45 = rules(slot_minutes=45, spans=[["11:00", "14:30"]])
    assert starts(ap.slots_on(clock, r45, THU)) == ["11:00", "13:30"]


def test_a_slot_length_that_does_not_divide_the_span_leaves_the_rest_unused() -> None:
    r = rules(slot_minutes=40, spans=[["09:00", "11:30"]])
    slots = ap.slots_on(hall(), r, THU)
    assert starts(slots) == ["09:00", "09:40", "10:20"]
    assert slots[-1].end == at(THU, 11)  # 11:00–11:30 is too short for a slot
    # Whole hours: 17:00 closing leaves 16:30–17:00 unused for 60-minute slots from 13:30.
    assert starts(ap.slots_on(hall(), rules(slot_minutes=60), THU)) == [
        "09:00", "10:00", "11:00", "13:30", "14:30", "15:30",
    ]  # fmt: skip


def test_no_slots_on_a_weekend_or_a_holiday() -> None:
    clock, r = hall(), rules()
    assert ap.slots_on(clock, r, SAT) == []
    assert ap.slots_on(clock, r, SUN) == []
    assert ap.slots_on(clock, r, date(2026, 10, 1)) == []  # a Thursday, National Day
    assert ap.slots_on(clock, r, date(2026, 10, 5)) == []  # a Monday in the holiday
    assert len(ap.slots_on(clock, r, date(2026, 10, 8))) == 13  # the Thursday after


def test_a_make_up_saturday_has_the_monday_hours_unless_it_has_its_own() -> None:
    makeup = date(2026, 10, 10)
    mondays = {**LUNCH_BREAK, "mon": [["08:30", "10:00"]]}
    assert starts(ap.slots_on(hall(mondays), rules(), makeup)) == ["08:30", "09:00", "09:30"]
    own = {**mondays, "sat": [["10:00", "11:00"]]}
    assert starts(ap.slots_on(hall(own), rules(), makeup)) == ["10:00", "10:30"]
    # A plain Saturday with hours of its own is still closed: the calendar decides.
    assert ap.slots_on(hall(own), rules(), date(2026, 10, 17)) == []


def test_early_slots_fall_on_the_previous_utc_date() -> None:
    slots = ap.slots_on(hall(EARLY), rules(slot_minutes=60), THU)
    utc = [s.start.astimezone(UTC) for s in slots]
    assert utc[0] == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 07:00 Thursday in Shanghai
    assert utc[1] == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00
    assert [u.date() for u in utc] == [WED] + [THU] * 4
    # The slot belongs to the hall's local date, whatever the UTC date says.
    assert {s.start.date() for s in slots} == {THU}


@pytest.mark.parametrize(
    ("tz", "day", "utc_hour"),
    [
        (URUMQI, THU, 3),  # 09:00 at UTC+6
        (BERLIN, date(2026, 1, 15), 8),  # winter: UTC+1
        (BERLIN, date(2026, 7, 16), 7),  # summer: UTC+2
    ],
)
def test_slots_are_local_to_the_halls_own_zone(tz: ZoneInfo, day: date, utc_hour: int) -> None:
    clock = hall(tz=tz, calendar={})
    slots = ap.slots_on(clock, rules(), day)
    assert slots[0].start.tzinfo is tz
    assert slots[0].start.astimezone(UTC) == datetime.combine(day, time(utc_hour), tzinfo=UTC)
    assert starts(slots, tz)[:2] == ["09:00", "09:30"] and len(slots) == 13
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


# --- the horizon ------------------------------------------------------------------


def test_bookable_days_are_today_and_the_next_working_days() -> None:
    clock = hall()
    assert ap.bookable_days(clock, rules(days_ahead=3), at(WED, 10)) == [WED, THU, FRI, MON]
    # From a Saturday: the next working days only.
    assert ap.bookable_days(clock, rules(days_ahead=2), at(SAT, 10)) == [MON, MON + timedelta(1)]


def test_bookable_days_skip_a_holiday_and_include_a_make_up_day() -> None:
    days = ap.bookable_days(hall(), rules(days_ahead=3), at(date(2026, 9, 30), 10))
    assert days == [date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]


def test_bookable_days_turn_at_local_midnight_not_utc_midnight() -> None:
    clock, r = hall(), rules(days_ahead=2)
    before = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)  # Friday 23:59:59 in Shanghai
    after = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Saturday 00:00, still Friday in UTC
    assert ap.bookable_days(clock, r, before) == [FRI, MON, MON + timedelta(1)]
    assert ap.bookable_days(clock, r, after) == [MON, MON + timedelta(1)]
    # Urumqi's midnight is 18:00 UTC: at 16:00 UTC it is still Friday there.
    assert ap.bookable_days(hall(tz=URUMQI), r, after) == [FRI, MON, MON + timedelta(1)]


def test_open_slots_leave_out_started_slots_and_days_outside_the_range() -> None:
    clock, r = hall(), rules(days_ahead=3)
    now = at(WED, 10, 5)
    found = ap.open_slots(clock, r, now, WED, THU)
    assert found[0].start == at(WED, 10, 30)  # 10:00 has started
    assert {s.start.date() for s in found} == {WED, THU}
    assert len(found) == 10 + 13
    assert ap.open_slots(clock, r, now, FRI, FRI)[0].start == at(FRI, 9)
    assert ap.open_slots(clock, r, now, SAT, SUN) == []
    assert ap.open_slots(clock, r, now, date(2026, 12, 1), date(2026, 12, 1)) == []  # beyond


# --- check_slot --------------------------------------------------------------------


def test_check_slot_accepts_a_slot_start_in_any_offset() -> None:
    clock, r = hall(EARLY), rules(slot_minutes=60)
    now = at(WED, 10)
    slot = ap.check_slot(clock, r, now, datetime(2026, 11, 25, 23, 0, tzinfo=UTC))
    assert slot == Slot(at(THU, 7), at(THU, 8)) and slot.start.tzinfo is SH
    assert ap.check_slot(clock, r, now, at(THU, 5, tz=URUMQI)).start == at(THU, 7)
    # A make-up Saturday takes bookings like any working day.
    sept = at(date(2026, 9, 30), 10)
    assert ap.check_slot(hall(), rules(), sept, at(date(2026, 10, 10), 9)).end == at(
        date(2026, 10, 10), 9, 30
    )


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (at(WED, 10), "slot_in_past"),  # starts right now
        (at(WED, 9, 30), "slot_in_past"),
        (at(date(2026, 11, 24), 9), "slot_in_past"),
        (at(SAT, 9), "slot_not_working_day"),
        (at(SUN, 9), "slot_not_working_day"),
        (at(date(2026, 12, 3), 9), "slot_not_working_day"),  # a Thursday declared a holiday
        (at(date(2026, 12, 2), 9), "slot_beyond_horizon"),  # the fifth working day after
        (at(date(2026, 12, 8), 9), "slot_beyond_horizon"),
        (at(THU, 9, 10), "slot_not_bookable"),  # not on the slot grid
        (at(THU, 9) + timedelta(seconds=30), "slot_not_bookable"),
        (at(THU, 12), "slot_not_bookable"),  # the lunch break
        (at(THU, 16, 45), "slot_not_bookable"),  # off the grid; would end after closing
        (at(THU, 17), "slot_not_bookable"),  # closing time
        (at(THU, 8, 30), "slot_not_bookable"),  # before opening
        (datetime(2026, 11, 26, 9, 0), "slot_invalid"),  # naive
    ],
)
def test_check_slot_refuses(start: datetime, code: str) -> None:
    clock = hall(calendar={date(2026, 12, 3): False})
    with pytest.raises(InvalidInput) as exc:
        ap.check_slot(clock, rules(days_ahead=4), at(WED, 10), start)
    assert refusal(exc) == (code, "slot")


def test_check_slot_refuses_a_working_day_without_opening_hours() -> None:
    clock = hall({d: h for d, h in LUNCH_BREAK.items() if d != "thu"})
    with pytest.raises(InvalidInput) as exc:
        ap.check_slot(clock, rules(), at(WED, 10), at(THU, 9))
    assert refusal(exc) == ("slot_not_working_day", "slot")


def test_check_slot_outside_the_spans_is_not_bookable() -> None:
    r = rules(spans=[["09:00", "11:00"]])
    assert ap.check_slot(hall(), r, at(WED, 10), at(THU, 10, 30)).start == at(THU, 10, 30)
    with pytest.raises(InvalidInput) as exc:
        ap.check_slot(hall(), r, at(WED, 10), at(THU, 11))
    assert refusal(exc) == ("slot_not_bookable", "slot")


# --- check-in ----------------------------------------------------------------------


def test_check_in_too_early_says_from_when() -> None:
    clock, r = hall(), rules()
    with pytest.raises(Conflict) as exc:
        ap.check_in(clock, r, at(THU, 9, 29), at(THU, 10), at(THU, 10, 30))
    assert exc.value.code == "check_in_too_early"
    assert exc.value.details["opens_at"] == "2026-11-26T09:30:00+08:00"
    assert "09:30" in exc.value.message_zh and "09:30" in exc.value.message
    # The day before is too early as well, with the same answer.
    with pytest.raises(Conflict) as exc:
        ap.check_in(clock, r, at(WED, 16), at(THU, 10), at(THU, 10, 30))
    assert exc.value.details["opens_at"] == "2026-11-26T09:30:00+08:00"


def test_check_in_on_time_from_the_first_minute_of_the_window_to_the_slot_end() -> None:
    clock, r = hall(), rules()
    start, end = at(THU, 10), at(THU, 10, 30)
    assert ap.check_in_opens(r, start) == at(THU, 9, 30)
    assert ap.check_in(clock, r, at(THU, 9, 30), start, end) is CheckIn.ON_TIME
    assert ap.check_in(clock, r, end - timedelta(seconds=1), start, end) is CheckIn.ON_TIME
    # The instant may come in UTC: 01:45 UTC is 09:45 in Shanghai.
    utc = datetime(2026, 11, 26, 1, 45, tzinfo=UTC)
    assert ap.check_in(clock, r, utc, start, end) is CheckIn.ON_TIME


def test_check_in_window_is_configurable() -> None:
    start, end = at(THU, 10), at(THU, 10, 30)
    with pytest.raises(Conflict):
        ap.check_in(hall(), rules(checkin_before_min=0), at(THU, 9, 59), start, end)
    assert ap.check_in(hall(), rules(checkin_before_min=0), start, start, end) is CheckIn.ON_TIME
    assert ap.check_in(hall(), rules(checkin_before_min=90), at(THU, 8, 30), start, end) is (
        CheckIn.ON_TIME
    )


def test_check_in_after_the_slot_is_late_until_the_day_ends() -> None:
    clock, r = hall(), rules()
    start, end = at(THU, 10), at(THU, 10, 30)
    assert ap.check_in(clock, r, end, start, end) is CheckIn.LATE
    assert ap.check_in(clock, r, at(THU, 16, 59), start, end) is CheckIn.LATE
    last = datetime(2026, 11, 26, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Thursday in Shanghai
    assert ap.check_in(clock, r, last, start, end) is CheckIn.LATE


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 26, 16, 0, tzinfo=UTC),  # local midnight; still Thursday in UTC
        at(FRI, 9),
        at(MON, 10),
    ],
)
def test_check_in_on_a_later_business_day_has_expired(now: datetime) -> None:
    with pytest.raises(Conflict) as exc:
        ap.check_in(hall(), rules(), now, at(THU, 10), at(THU, 10, 30))
    assert exc.value.code == "appointment_expired" and CJK.search(exc.value.message_zh)


def test_check_in_for_a_slot_just_after_midnight() -> None:
    """A hall open round the clock: the check-in window of a 00:00 slot would open the
    evening before, on another business day, whose tickets are not this slot's."""
    clock, r = hall(ALL_DAY), rules()
    start, end = at(THU, 0), at(THU, 0, 30)
    with pytest.raises(Conflict) as exc:
        ap.check_in(clock, r, at(WED, 23, 45), start, end)
    assert exc.value.code == "check_in_too_early"
    assert exc.value.details["opens_at"] == "2026-11-26T00:00:00+08:00"
    assert ap.check_in(clock, r, at(THU, 0), start, end) is CheckIn.ON_TIME
    assert ap.check_in(clock, r, at(THU, 0, 30), start, end) is CheckIn.LATE
    assert ap.check_in_opens(r, start, clock) == at(THU, 0)
    assert ap.check_in_opens(r, at(THU, 9), clock) == at(THU, 8, 30)


# --- the no-show ban ------------------------------------------------------------------


def nov(*days: int) -> list[date]:
    return [date(2026, 11, d) for d in days]


def test_three_no_shows_in_thirty_days_ban_for_thirty_days_from_the_last() -> None:
    r = rules()
    assert ap.ban_until(nov(1, 10, 20), r, date(2026, 11, 21)) == date(2026, 12, 20)
    assert ap.ban_until(nov(20, 1, 10), r, date(2026, 11, 20)) == date(2026, 12, 20)  # any order
    # Day 1 and day 30 are within thirty days: the first and the 30th day of the window.
    assert ap.ban_until(nov(1, 15, 30), r, date(2026, 11, 30)) == date(2026, 12, 30)
    # Three on one day (three services) count as three.
    assert ap.ban_until(nov(5, 5, 5), r, date(2026, 11, 5)) == date(2026, 12, 5)


def test_no_ban_below_the_limit_or_spread_over_more_than_thirty_days() -> None:
    r = rules()
    assert ap.ban_until([], r, date(2026, 11, 21)) is None
    assert ap.ban_until(nov(1, 20), r, date(2026, 11, 21)) is None
    assert ap.ban_until([*nov(1, 15), date(2026, 12, 1)], r, date(2026, 12, 1)) is None  # 31 days
    assert ap.ban_until([*nov(1, 20), date(2026, 12, 5)], r, date(2026, 12, 5)) is None


def test_a_ban_runs_out() -> None:
    r = rules()
    days = [date(2026, 9, 1), date(2026, 9, 5), date(2026, 9, 10)]
    assert ap.ban_until(days, r, date(2026, 10, 9)) == date(2026, 10, 10)
    assert ap.ban_until(days, r, date(2026, 10, 10)) is None  # booking again from that day
    assert ap.ban_until(days, r, date(2027, 1, 1)) is None


def test_a_later_run_of_no_shows_extends_the_ban() -> None:
    assert ap.ban_until(nov(1, 2, 3, 25), rules(), date(2026, 11, 26)) == date(2026, 12, 25)


def test_the_no_show_rule_is_configurable() -> None:
    r = rules(no_show_limit=2, no_show_window_days=7, ban_days=14)
    assert ap.ban_until(nov(1, 7), r, date(2026, 11, 8)) == date(2026, 11, 21)
    assert ap.ban_until(nov(1, 8), r, date(2026, 11, 8)) is None  # eight days apart
    assert ap.ban_until(nov(3), rules(no_show_limit=1), date(2026, 11, 3)) == date(2026, 12, 3)
    assert ap.ban_until(nov(1, 2, 3), rules(ban_days=0), date(2026, 11, 3)) is None


def test_banned_says_until_when() -> None:
    err = ap.banned(date(2026, 12, 20))
    assert err.code == "booking_banned" and err.status == 403
    assert err.details == {"until": "2026-12-20"}
    assert "2026年12月20日" in err.message_zh and "2026-12-20" in err.message


# --- reminders --------------------------------------------------------------------


def test_reminder_on_the_working_day_before() -> None:
    clock, r = hall(), rules()
    assert ap.reminder_due(clock, r, at(THU, 10)) == at(WED, 18)
    assert ap.reminder_due(clock, r, at(MON, 9)) == at(FRI, 18)  # over the weekend
    # After National Day: the last working day before it.
    assert ap.reminder_due(clock, r, at(date(2026, 10, 8), 9)) == at(date(2026, 9, 30), 18)
    # The make-up Saturday reminds on Friday; the Monday after it on the Saturday.
    assert ap.reminder_due(clock, r, at(date(2026, 10, 10), 9)) == at(date(2026, 10, 9), 18)
    assert ap.reminder_due(clock, r, at(date(2026, 10, 12), 9)) == at(date(2026, 10, 10), 18)


def test_reminder_time_and_the_slots_local_date() -> None:
    clock = hall(EARLY)
    due = ap.reminder_due(clock, rules(reminder_at="09:15"), at(THU, 7))
    assert due == at(WED, 9, 15) and due is not None and due.tzinfo is SH
    # A 07:00 slot is 23:00 UTC the day before: still Wednesday's reminder, not Tuesday's.
    utc_start = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert ap.reminder_due(clock, rules(), utc_start) == at(WED, 18)


def test_no_reminder_after_a_month_without_working_days() -> None:
    closed = {date(2026, 11, 25) - timedelta(days=i): False for i in range(1, 40)}
    assert ap.reminder_due(hall(calendar=closed), rules(), at(WED, 10)) is None


# --- booking codes ------------------------------------------------------------------


def test_code_alphabet_has_no_look_alikes() -> None:
    assert len(ap.CODE_ALPHABET) == len(set(ap.CODE_ALPHABET)) == 31
    assert not set("01ILO") & set(ap.CODE_ALPHABET)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ABCD2345", "ABCD2345"),
        ("abcd2345", "ABCD2345"),
        (" ABCD-2345 ", "ABCD2345"),
        ("abcd 2345\n", "ABCD2345"),  # a scanner's Enter
        ("AB-CD-23-45", "ABCD2345"),
        ("ABCD234", None),  # seven
        ("ABCD23456", None),  # nine
        ("ABCD234O", None),  # O is not in the alphabet
        ("ABCD2340", None),
        ("ABCD234I", None),
        ("ABCD2341", None),
        ("ABCD234L", None),
        ("ABCD_345", None),
        ("", None),
    ],
)
def test_normalize_code(text: str, code: str | None) -> None:
    assert ap.normalize_code(text) == code


# --- the rules' JSON ---------------------------------------------------------------


def test_rules_defaults_and_round_trip() -> None:
    assert BookingRules.from_json({}) == BookingRules()
    obj = {
        "slot_minutes": 20, "capacity": 3, "spans": [["13:30", "17:00"], ["09:00", "11:30"]],
        "days_ahead": 10, "checkin_before_min": 15, "no_show_limit": 2,
        "no_show_window_days": 60, "ban_days": 7, "reminder_at": "20:30",
    }  # fmt: skip
    parsed = BookingRules.from_json(obj)
    assert parsed.spans == ((time(9), time(11, 30)), (time(13, 30), time(17)))  # sorted
    dumped = parsed.to_json()
    assert dumped == obj | {"spans": [["09:00", "11:30"], ["13:30", "17:00"]]}
    assert BookingRules.from_json(json.loads(json.dumps(dumped))) == parsed
    assert BookingRules().to_json()["reminder_at"] == "18:00"


def test_rules_accept_the_edges() -> None:
    low = BookingRules.from_json({"slot_minutes": 5, "capacity": 1, "days_ahead": 1,
                                  "checkin_before_min": 0, "ban_days": 0})  # fmt: skip
    assert (low.slot_minutes, low.checkin_before_min, low.ban_days) == (5, 0, 0)
    high = BookingRules.from_json({"slot_minutes": 240, "capacity": 1000, "days_ahead": 60})
    assert (high.slot_minutes, high.capacity, high.days_ahead) == (240, 1000, 60)
    touching = BookingRules.from_json({"spans": [["09:00", "11:00"], ["11:00", "12:00"]]})
    assert len(touching.spans) == 2


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (None, "booking"),
        ([], "booking"),
        ("slot_minutes=30", "booking"),
        ({"colour": "red"}, "booking.colour"),
        ({"spans": "09:00-12:00"}, "booking.spans"),
        ({"spans": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(13)]}, "booking.spans"),
        ({"spans": ["09:00"]}, "booking.spans.0"),
        ({"spans": [["09:00"]]}, "booking.spans.0"),
        ({"spans": [["09:00", "10:00", "11:00"]]}, "booking.spans.0"),
        ({"spans": [["09:00", "12:00"], ["9:00", "10:00"]]}, "booking.spans.1"),
        ({"spans": [["09:00", "24:00"]]}, "booking.spans.0"),
        ({"spans": [[900, 1200]]}, "booking.spans.0"),
        ({"spans": [["12:00", "09:00"]]}, "booking.spans.0"),
        ({"spans": [["09:00", "09:00"]]}, "booking.spans.0"),
        ({"spans": [["09:00", "12:00"], ["11:00", "13:00"]]}, "booking.spans.1"),
        ({"spans": [["09:00", "12:00"], ["09:00", "12:00"]]}, "booking.spans.1"),
        # The overlapping span as the admin listed it, not its place once sorted.
        (
            {"spans": [["13:00", "15:00"], ["16:00", "17:00"], ["09:00", "14:00"]]},
            "booking.spans.0",
        ),
        ({"slot_minutes": 4}, "booking.slot_minutes"),
        ({"slot_minutes": 241}, "booking.slot_minutes"),
        ({"slot_minutes": "30"}, "booking.slot_minutes"),
        ({"slot_minutes": 30.0}, "booking.slot_minutes"),
        ({"slot_minutes": True}, "booking.slot_minutes"),
        ({"slot_minutes": None}, "booking.slot_minutes"),
        ({"capacity": 0}, "booking.capacity"),
        ({"capacity": 1001}, "booking.capacity"),
        ({"days_ahead": 0}, "booking.days_ahead"),
        ({"days_ahead": 61}, "booking.days_ahead"),
        ({"checkin_before_min": -1}, "booking.checkin_before_min"),
        ({"checkin_before_min": 241}, "booking.checkin_before_min"),
        ({"no_show_limit": 0}, "booking.no_show_limit"),
        ({"no_show_limit": 101}, "booking.no_show_limit"),
        ({"no_show_window_days": 0}, "booking.no_show_window_days"),
        ({"no_show_window_days": 366}, "booking.no_show_window_days"),
        ({"ban_days": -1}, "booking.ban_days"),
        ({"ban_days": 366}, "booking.ban_days"),
        ({"reminder_at": "6pm"}, "booking.reminder_at"),
        ({"reminder_at": "24:00"}, "booking.reminder_at"),
        ({"reminder_at": "18:00:00"}, "booking.reminder_at"),
        ({"reminder_at": 1800}, "booking.reminder_at"),
        ({"reminder_at": None}, "booking.reminder_at"),
    ],
)
def test_rules_refusals_name_the_field(obj: object, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        BookingRules.from_json(obj)
    assert refusal(exc) == ("booking_invalid", field)
