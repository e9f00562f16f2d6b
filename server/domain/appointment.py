"""Online appointments (网上预约): slot rules, slots over the calendar, check-in, no-shows.

Pure: the current time and the hall's clock are passed in. A slot is named by its
start instant; its local date is a working day of the hall's calendar, and it lies
inside both the service's bookable spans and the hall's opening periods of that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from .booking_rules import BookingRules as BookingRules  # re-exported: rules and slots go together
from .calendar import HallClock, minute_of_day
from .errors import Conflict, Forbidden, InvalidInput

# Booking codes are read aloud and typed at kiosks: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
PREVIOUS_DAY_SEARCH = 30  # how far back the reminder looks for the working day before


class AppointmentState(Enum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"  # an appointment ticket
    LATE = "late"  # checked in after the slot: a walk-in ticket
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, in the hall's time zone
    end: datetime




def slots_on(clock: HallClock, rules: BookingRules, day: date) -> list[Slot]:
    """The slots of one local date: none on a day the calendar closes."""
    spans = rules.spans or clock.periods_on(day)
    out: list[Slot] = []
    for opens, closes in clock.periods_on(day):
        for s_from, s_to in spans:
            lo = max(minute_of_day(opens), minute_of_day(s_from))
            hi = min(minute_of_day(closes), minute_of_day(s_to))
            m = lo
            while m + rules.slot_minutes <= hi:
                start = datetime.combine(day, time(m // 60, m % 60), tzinfo=clock.tz)
                out.append(Slot(start, start + timedelta(minutes=rules.slot_minutes)))
                m += rules.slot_minutes
    return sorted(set(out), key=lambda s: s.start)


def bookable_days(clock: HallClock, rules: BookingRules, now: datetime) -> list[date]:
    """Today (if working) and the next ``days_ahead`` working days, in local dates."""
    today = clock.business_day(now)
    last = clock.calendar.add_working_days(today, rules.days_ahead)
    days = []
    d = today
    while d <= last:
        if clock.calendar.is_working_day(d):
            days.append(d)
        d += timedelta(days=1)
    return days


def open_slots(
    clock: HallClock, rules: BookingRules, now: datetime, first: date, last: date
) -> list[Slot]:
    """Slots that can still be booked between two local dates (inclusive)."""
    days = [d for d in bookable_days(clock, rules, now) if first <= d <= last]
    return [s for d in days for s in slots_on(clock, rules, d) if s.start > now]


def check_slot(clock: HallClock, rules: BookingRules, now: datetime, start: datetime) -> Slot:
    """The slot starting at ``start``, if it can be booked now; else why not."""
    if start.tzinfo is None:
        raise InvalidInput("slot_invalid", "the slot time needs a time zone offset",
                           "预约时段须带时区", field="slot")  # fmt: skip
    local = start.astimezone(clock.tz)
    if start <= now:
        raise InvalidInput("slot_in_past", "this slot has already started",
                           "该时段已开始或已过去，请选择其他时段", field="slot")  # fmt: skip
    day = local.date()
    if not clock.calendar.is_working_day(day) or not clock.periods_on(day):
        raise InvalidInput("slot_not_working_day", f"{day} is not a working day of the hall",
                           f"{day:%Y年%m月%d日} 大厅不办公", field="slot")  # fmt: skip
    if day not in bookable_days(clock, rules, now):
        raise InvalidInput(
            "slot_beyond_horizon",
            f"slots can be booked up to {rules.days_ahead} working days ahead",
            f"只能预约 {rules.days_ahead} 个工作日内的时段", field="slot",
        )  # fmt: skip
    for slot in slots_on(clock, rules, day):
        if slot.start == local:
            return slot
    raise InvalidInput("slot_not_bookable", "no bookable slot starts at this time",
                       "该时间不是可预约的时段", field="slot")  # fmt: skip


class CheckIn(Enum):
    ON_TIME = "on_time"  # an appointment ticket, by slot time
    LATE = "late"  # after the slot: a walk-in ticket


def check_in_opens(rules: BookingRules, at: datetime, clock: HallClock | None = None) -> datetime:
    """Given the clock, not before the slot's business day: a ticket taken then is that day's."""
    opens = at - timedelta(minutes=rules.checkin_before_min)
    if clock is not None:
        opens = max(opens, datetime.combine(clock.business_day(at), time(0), tzinfo=clock.tz))
    return opens


def check_in(
    clock: HallClock, rules: BookingRules, now: datetime, slot_start: datetime, slot_end: datetime
) -> CheckIn:
    """On time inside the window, late later that business day; refused before the window
    or after the day (by then it is a no-show)."""
    opens = check_in_opens(rules, slot_start, clock)
    if now < opens:
        at = opens.astimezone(clock.tz)
        raise Conflict("check_in_too_early", f"check-in opens at {at:%Y-%m-%d %H:%M}",
                       f"签到时间未到，请于 {at:%m月%d日 %H:%M} 后签到",
                       details={"opens_at": at.isoformat()})  # fmt: skip
    if clock.business_day(now) != clock.business_day(slot_start):
        raise Conflict("appointment_expired", "the appointment's day is over",
                       "预约日期已过，该预约已失效")  # fmt: skip
    return CheckIn.ON_TIME if now < slot_end else CheckIn.LATE


def ban_until(no_show_days: Iterable[date], rules: BookingRules, today: date) -> date | None:
    """The first day booking is allowed again, if a run of no-shows still bans it.

    ``no_show_limit`` missed appointments within ``no_show_window_days`` days ban booking
    for ``ban_days`` days from the last of them.
    """
    days = sorted(no_show_days)
    n = rules.no_show_limit
    until: date | None = None
    for i in range(n - 1, len(days)):
        if (days[i] - days[i - n + 1]).days < rules.no_show_window_days:
            end = days[i] + timedelta(days=rules.ban_days)
            if end > today and (until is None or end > until):
                until = end
    return until


def banned(until: date) -> Forbidden:
    return Forbidden(
        "booking_banned",
        f"too many missed appointments: booking is possible again from {until}",
        f"因多次预约未到，{until:%Y年%m月%d日} 起才可再次预约",
        details={"until": until.isoformat()},
    )


def reminder_due(clock: HallClock, rules: BookingRules, slot_start: datetime) -> datetime | None:
    """When to remind: ``reminder_at`` on the working day before the slot's day."""
    d = clock.business_day(slot_start)
    for _ in range(PREVIOUS_DAY_SEARCH):
        d -= timedelta(days=1)
        if clock.calendar.is_working_day(d):
            return datetime.combine(d, rules.reminder_at, tzinfo=clock.tz)
    return None


def normalize_code(text: str) -> str | None:
    """A booking code as typed or scanned (lower case, spaces, a dash), or None."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if _CODE.match(code) else None


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    hall_id: str
    service: str
    code: str
    slot_start: datetime
    slot_end: datetime
    state: AppointmentState
    id_fingerprint: str
    id_masked: str
    created_at: datetime
    name_masked: str | None = None
    phone_masked: str | None = None
    owner_fp: str | None = None  # the signed-in citizen's phone fingerprint
    booked_by: str | None = None  # a clerk's user id, when booked on a citizen's behalf
    ticket_id: str | None = None
    checked_in_at: datetime | None = None
    cancel_reason: str | None = None
    reminded: bool = False
    lang: str = "zh"


def cancellable(a: Appointment, now: datetime) -> None:
    if a.state is not AppointmentState.BOOKED:
        raise Conflict("appointment_not_active", "this appointment is no longer active",
                       "该预约已签到、取消或失效")  # fmt: skip
    if now >= a.slot_start:
        raise Conflict("appointment_started", "the slot has started; it can no longer be changed",
                       "预约时段已开始，不能再修改或取消")  # fmt: skip
