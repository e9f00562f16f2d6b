"""A case's time limit in working days (承诺时限), counted from acceptance.

The clock runs on the hall's working days only and stops while the case waits
for the citizen (a supplement) or for a special procedure (听证、公示、鉴定 …):
those spans are listed, and every working day inside one moves the deadline
one working day later. Days are the hall's local dates; the caller converts.
Pure: "today" is passed in.

Colours, as every case view shows them: green; yellow from one working day
before the deadline through the deadline day itself; red after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendar import WorkCalendar


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"  # 预警: the promised limit is one working day away, or today
    RED = "red"  # 超期: past the promised limit


@dataclass(frozen=True, slots=True)
class Stop:
    """The clock stood still from ``start`` until ``end`` (None: it still does)."""

    start: date
    end: date | None = None


def stopped_days(calendar: WorkCalendar, stops: Sequence[Stop], today: date) -> int:
    """Working days lost to stops: those in (start, end], an open stop ending today.

    The day a stop begins still counts (the officer worked on it); the day it ends
    does not (the clock starts again the next working day). Overlapping stops of
    two departments count once.
    """
    spans = sorted((s.start, min(s.end or today, today)) for s in stops)
    merged: list[tuple[date, date]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return sum(calendar.working_days_between(a, b) for a, b in merged)


def due_day(
    calendar: WorkCalendar, accepted: date, days: int, stops: Sequence[Stop], today: date
) -> date:
    """The last working day within the limit of ``days`` working days after acceptance."""
    return calendar.add_working_days(accepted, days + stopped_days(calendar, stops, today))


def colour(calendar: WorkCalendar, due: date, today: date) -> Colour:
    if today > due:
        return Colour.RED
    if calendar.working_days_between(today, due) <= 1:
        return Colour.YELLOW
    return Colour.GREEN


def days_left(calendar: WorkCalendar, due: date, today: date) -> int:
    """Working days from today to the deadline; negative once overdue."""
    left = calendar.working_days_between(today, due)
    # The weekend after a Friday deadline is overdue (red) though no working day has
    # passed yet: it must not read as 0, "due today".
    return min(left, -1) if today > due else left
