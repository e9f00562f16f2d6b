"""The date range of the figures: from <= to, at most 366 days (a leap year), both
included; a clear 400 otherwise. Pure."""

from __future__ import annotations

from datetime import date, timedelta

from .errors import InvalidInput

MAX_RANGE_DAYS = 366


class BadQuery(InvalidInput):
    """A request the figures cannot answer as asked (a reversed or too long range)."""

    status = 400


def parse_range(start: str | None, end: str | None) -> tuple[date, date]:
    """``from`` and ``to`` as ISO dates, from <= to, at most 366 days both included."""
    first = _parse_day(start, "from")
    last = _parse_day(end, "to")
    if first > last:
        raise BadQuery("range_reversed", f"from {first} is after to {last}",
                       f"开始日期 {first} 晚于结束日期 {last}", field="from")  # fmt: skip
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadQuery("range_too_long", f"a range covers at most {MAX_RANGE_DAYS} days",
                       f"统计区间最长 {MAX_RANGE_DAYS} 天", field="to")  # fmt: skip
    return first, last


def _parse_day(value: str | None, name: str) -> date:
    if not value:
        raise BadQuery("date_missing", f"{name} is required (YYYY-MM-DD)",
                       f"缺少日期参数 {name}（格式 YYYY-MM-DD）", field=name)  # fmt: skip
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery("date_invalid", f"{name} is not a date (YYYY-MM-DD): {value[:20]!r}",
                       f"日期参数 {name} 格式不正确，应为 YYYY-MM-DD", field=name) from None  # fmt: skip


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
