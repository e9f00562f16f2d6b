"""One business day's ticket figures aggregated in the database, per dimension.

The same definitions as ``domain.stats.tally_day`` (which stays the reference:
tests/store/test_stats_day_sql.py checks the two agree on both backends), computed
where the rows are: a day of a big hall is thousands of tickets, and counting them in
Python for every live read costs more than the database does. Two statements per day,
each one index scan of the hall's day (the tickets' (hall, day, number) key) shared by
the dimensions asked for: the counts and sums, and the wait histogram's non-empty
buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ..domain import stats as st
from .db import Conn

_KEYS = {
    "hall": "''",
    "service": "service",
    "window": "window_id",
    "clerk": "served_by",
    "channel": "ch",
}


def _secs(dialect: str, start: str, end: str) -> str:
    """Whole seconds from ``start`` to ``end``, truncated as timedelta seconds are."""
    if dialect == "postgres":
        return f"floor(extract(epoch FROM {end} - {start}))::bigint"
    # julianday's double carries ~50 µs of error at today's dates: a nudge keeps an exact
    # 300 s from truncating to 299.
    return f"CAST((julianday({end}) - julianday({start})) * 86400.0 + 0.001 AS INTEGER)"


def _base(dialect: str) -> tuple[str, str]:
    """The day's tickets with their wait and service seconds; and the dialect's scalar min."""
    big, small = ("greatest", "least") if dialect == "postgres" else ("max", "min")
    wait, svc = _secs(dialect, "issued_at", "started_at"), _secs(dialect, "started_at", "finished_at")
    return (
        "WITH t AS (SELECT service, window_id, served_by, state, called_at,"
        " CASE WHEN kind = 'appointment' THEN 'appointment' ELSE channel END AS ch,"
        f" CASE WHEN started_at IS NULL THEN NULL ELSE {big}(0, {wait}) END AS w,"
        " CASE WHEN state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL"
        f" THEN {big}(0, {svc}) END AS s"
        " FROM tickets WHERE hall_id = $1 AND business_day = $2)"
    ), small


def _counts(dim: str) -> str:
    key = _KEYS[dim]
    return (
        f"SELECT '{dim}' AS dim, {key} AS key, count(*) AS issued, count(s) AS served,"
        " coalesce(sum(CASE WHEN state = 'no_show' OR state = 'void' AND called_at IS NOT NULL"
        " THEN 1 ELSE 0 END), 0) AS no_show,"
        " coalesce(sum(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END), 0) AS cancelled,"
        " count(w) AS waited, coalesce(sum(w), 0) AS wait_sum_s, coalesce(max(w), 0) AS wait_max_s,"
        " coalesce(sum(CASE WHEN w <= $3 THEN 1 ELSE 0 END), 0) AS within_target,"
        " coalesce(sum(s), 0) AS service_sum_s"
        # The hall total is one row, even of a day without tickets.
        f" FROM t{_not_null(key)}{'' if dim == 'hall' else f' GROUP BY {key}'}"
    )


def _buckets(dim: str, small: str) -> str:
    key = _KEYS[dim]
    where = " AND " + key + " IS NOT NULL AND " + key + " <> ''" if dim != "hall" else ""
    return (
        f"SELECT '{dim}' AS dim, {key} AS key, {small}(w / 60, {st.HIST_MINUTES}) AS bucket,"
        f" count(*) AS n FROM t WHERE w IS NOT NULL{where}"
        f" GROUP BY {'' if dim == 'hall' else f'{key}, '}{small}(w / 60, {st.HIST_MINUTES})"
    )


def _not_null(key: str) -> str:
    return "" if key == "''" else f" WHERE {key} IS NOT NULL AND {key} <> ''"


async def day_figures(
    c: Conn, dialect: str, hall_id: str, day: date, target_s: int,
    dims: Sequence[str] = st.DIMENSIONS,
) -> dict[st.Key, st.Tally]:  # fmt: skip
    """The day's ticket figures per (dimension, key); ratings and cases are added apart."""
    base, small = _base(dialect)
    counts = await c.fetch(
        base + " " + " UNION ALL ".join(_counts(d) for d in dims), hall_id, day, target_s
    )
    hists: dict[st.Key, list[int]] = {}
    for r in await c.fetch(
        base + " " + " UNION ALL ".join(_buckets(d, small) for d in dims), hall_id, day
    ):
        hists.setdefault((r["dim"], r["key"]), [0] * st.HIST_SIZE)[int(r["bucket"])] += int(r["n"])
    out = {}
    for r in counts:
        k = (r["dim"], r["key"])
        out[k] = st.Tally(
            int(r["issued"]), int(r["served"]), int(r["no_show"]), int(r["cancelled"]),
            int(r["waited"]), int(r["wait_sum_s"]), int(r["wait_max_s"]),
            int(r["within_target"]), int(r["service_sum_s"]),
            tuple(hists.get(k, [0] * st.HIST_SIZE)),
        )  # fmt: skip
    return out


async def served_per_hour(
    c: Conn, dialect: str, hall_id: str, day: date, midnight: datetime
) -> dict[int, int]:
    """The day's finished tickets by hour since the hall's local midnight (its local hour;
    halls in China keep no daylight saving time)."""
    since = "$3::timestamptz" if dialect == "postgres" else "$3"
    hour = f"({_secs(dialect, since, 'finished_at')}) / 3600"
    found = await c.fetch(
        f"SELECT {hour} AS hour, count(*) AS n FROM tickets WHERE hall_id = $1"
        " AND business_day = $2 AND state = 'done' AND finished_at IS NOT NULL"
        f" GROUP BY {hour} ORDER BY 1",
        hall_id, day, midnight,
    )  # fmt: skip
    return {int(r["hour"]): int(r["n"]) for r in found}
