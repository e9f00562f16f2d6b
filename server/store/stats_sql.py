"""SQL of the figures: one day's facts (bounded by the hall's day), the daily archive,
the wait target and the long-wait alert's state. Same SQL on both dialects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..domain import stats as st
from .db import Conn, Row

_FACTS = (
    "service, channel, kind, state, issued_at, called_at, started_at, finished_at,"
    " window_id, served_by"
)
# The contract of the ratings table (migration 0008): what the figures read of it.
_RATINGS = (
    "SELECT r.level, r.malicious, r.service, r.window_id, r.clerk_id, t.channel, t.kind,"
    " count(*) AS n FROM ratings r LEFT JOIN tickets t ON t.id = r.ticket_id"
    " WHERE r.hall_id = $1 AND r.business_day = $2"
    " GROUP BY r.level, r.malicious, r.service, r.window_id, r.clerk_id, t.channel, t.kind"
)
# Only the hall and its services (the live page): no join, few groups.
_RATINGS_BY_SERVICE = (
    "SELECT level, malicious, service, count(*) AS n FROM ratings"
    " WHERE hall_id = $1 AND business_day = $2 GROUP BY level, malicious, service"
)
_COUNTS = (
    "issued, served, no_show, cancelled, waited, wait_sum_s, wait_max_s, within_target,"
    " service_sum_s, hist, r1, r2, r3, r4, r5, malicious, cases_done, cases_on_time"
)
# The same columns added up over days (a range); the histogram is merged apart.
_SUMS = (
    "sum(issued) AS issued, sum(served) AS served, sum(no_show) AS no_show,"
    " sum(cancelled) AS cancelled, sum(waited) AS waited, sum(wait_sum_s) AS wait_sum_s,"
    " max(wait_max_s) AS wait_max_s, sum(within_target) AS within_target,"
    " sum(service_sum_s) AS service_sum_s, '' AS hist, sum(r1) AS r1, sum(r2) AS r2,"
    " sum(r3) AS r3, sum(r4) AS r4, sum(r5) AS r5, sum(malicious) AS malicious,"
    " sum(cases_done) AS cases_done, sum(cases_on_time) AS cases_on_time"
)


async def set_served_by(c: Conn, ticket_id: str, clerk_id: str | None) -> None:
    await c.execute("UPDATE tickets SET served_by = $2 WHERE id = $1", ticket_id, clerk_id)


async def day_tickets(c: Conn, hall_id: str, day: date) -> list[st.TicketFact]:
    """A hall's tickets of one business day: the (hall, day, number) key bounds the read."""
    found = await c.fetch(
        f"SELECT {_FACTS} FROM tickets WHERE hall_id = $1 AND business_day = $2", hall_id, day
    )
    return [st.TicketFact(**r) for r in found]


async def day_ratings(
    c: Conn, hall_id: str, day: date, *, services_only: bool = False
) -> list[st.RatingFact]:
    """The day's ratings, grouped alike; ``services_only`` for the hall and services."""
    if services_only:
        found = await c.fetch(_RATINGS_BY_SERVICE, hall_id, day)
        return [st.RatingFact(int(r["level"]), bool(r["malicious"]), r["service"],
                              count=int(r["n"])) for r in found]  # fmt: skip
    found = await c.fetch(_RATINGS, hall_id, day)
    return [
        st.RatingFact(
            int(r["level"]), bool(r["malicious"]), r["service"], r["window_id"], r["clerk_id"],
            st.channel_key(r["channel"], r["kind"]) if r["channel"] else None, int(r["n"]),
        )
        for r in found
    ]  # fmt: skip


async def day_cases(
    c: Conn, hall_id: str, start: datetime, end: datetime, tz: ZoneInfo
) -> list[st.CaseFact]:
    """Cases concluded in [start, end): on time when decided by their due day."""
    found = await c.fetch(
        "SELECT decided_at, due_day, window_id, clerk_id FROM cases WHERE hall_id = $1"
        " AND decided_at IS NOT NULL AND decided_at >= $2 AND decided_at < $3",
        hall_id, start, end,
    )  # fmt: skip
    return [
        st.CaseFact(
            r["due_day"] is None or r["decided_at"].astimezone(tz).date() <= r["due_day"],
            r["window_id"], r["clerk_id"],
        )
        for r in found
    ]  # fmt: skip


# --- the daily archive ---------------------------------------------------------------------


async def frozen_days(c: Conn, hall_id: str, first: date, last: date) -> set[date]:
    found = await c.fetch(
        "SELECT business_day FROM stats_days WHERE hall_id = $1"
        " AND business_day >= $2 AND business_day <= $3",
        hall_id, first, last,
    )  # fmt: skip
    return {r["business_day"] for r in found}


async def lock_day(c: Conn, dialect: str, hall_id: str, day: date) -> None:
    """Serialise the writers of one hall-day's archived ratings (its freeze, a late or
    re-marked rating), held to the end of the transaction. PostgreSQL: an advisory lock
    (a freeze's uncommitted claim is invisible to a plain read, and the row may not
    exist yet to lock). SQLite has one writer at a time already."""
    if dialect == "postgres":
        await c.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"stats_day:{hall_id}:{day}"
        )


async def day_in_progress(c: Conn, hall_id: str, day: date) -> bool:
    """Whether a ticket of the day may still move: waiting, called, being served, or a
    no-show that may be called back (one index range of the hall's day)."""
    found = await c.fetchval(
        "SELECT 1 FROM tickets WHERE hall_id = $1 AND business_day = $2"
        " AND state IN ('waiting', 'called', 'serving', 'no_show') LIMIT 1",
        hall_id, day,
    )  # fmt: skip
    return found is not None


async def first_ticket_day(c: Conn, hall_id: str) -> date | None:
    value = await c.fetchval(
        "SELECT min(business_day) AS first_day FROM tickets WHERE hall_id = $1", hall_id
    )
    return value if isinstance(value, date) else None


async def claim_day(c: Conn, hall_id: str, day: date, target_s: int, now: datetime) -> bool:
    """Mark a day frozen; False if it already was (a re-run, or another process first)."""
    got = await c.fetchval(
        "INSERT INTO stats_days (hall_id, business_day, target_s, frozen_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (hall_id, business_day) DO NOTHING"
        " RETURNING 1",
        hall_id, day, target_s, now,
    )  # fmt: skip
    return got is not None


async def save_day(
    c: Conn, hall_id: str, day: date, tallies: Mapping[st.Key, st.Tally]
) -> None:
    for (dim, key), t in sorted(tallies.items()):
        v = astuple(t)
        await c.execute(
            f"INSERT INTO stats_daily (hall_id, business_day, dim, key, {_COUNTS}) VALUES ($1, $2,"
            " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
            " $21, $22)",
            hall_id, day, dim, key, *v[:9], _ints(t.hist), *t.ratings, *v[11:],
        )  # fmt: skip


async def archived(
    c: Conn, hall_id: str, first: date, last: date, dims: Sequence[str]
) -> list[tuple[date, str, str, st.Tally]]:
    """Frozen rows of a range, per day and dimension key."""
    marks = ", ".join(f"${i}" for i in range(4, 4 + len(dims)))
    found = await c.fetch(
        f"SELECT business_day, dim, key, {_COUNTS} FROM stats_daily WHERE hall_id = $1"
        f" AND business_day >= $2 AND business_day <= $3 AND dim IN ({marks})",
        hall_id, first, last, *dims,
    )  # fmt: skip
    return [(r["business_day"], r["dim"], r["key"], tally(r)) for r in found]


async def archived_sums(
    c: Conn, hall_id: str, first: date, last: date, dims: Sequence[str]
) -> list[tuple[str, str, st.Tally]]:
    """A range's frozen rows added up per dimension key, by the database; no histogram."""
    marks = ", ".join(f"${i}" for i in range(4, 4 + len(dims)))
    found = await c.fetch(
        f"SELECT dim, key, {_SUMS} FROM stats_daily WHERE hall_id = $1 AND business_day >= $2"
        f" AND business_day <= $3 AND dim IN ({marks}) GROUP BY dim, key",
        hall_id, first, last, *dims,
    )  # fmt: skip
    return [(r["dim"], r["key"], tally(r)) for r in found]


async def archived_hists(
    c: Conn, hall_id: str, first: date, last: date, dim: str
) -> dict[str, tuple[int, ...]]:
    """A range's wait histograms merged per key of one dimension."""
    found = await c.fetch(
        "SELECT key, hist FROM stats_daily WHERE hall_id = $1 AND business_day >= $2"
        " AND business_day <= $3 AND dim = $4 AND hist <> ''",
        hall_id, first, last, dim,
    )  # fmt: skip
    acc: dict[str, list[int]] = {}
    for r in found:
        into = acc.setdefault(r["key"], [0] * st.HIST_SIZE)
        for i, v in enumerate(r["hist"].split(",")):
            if v != "0":
                into[i] += int(v)
    return {k: tuple(v) for k, v in acc.items()}


def tally(r: Row) -> st.Tally:
    return st.Tally(
        int(r["issued"]), int(r["served"]), int(r["no_show"]), int(r["cancelled"]),
        int(r["waited"]), int(r["wait_sum_s"]), int(r["wait_max_s"]), int(r["within_target"]),
        int(r["service_sum_s"]), _parse(r["hist"], st.HIST_SIZE),
        (int(r["r1"]), int(r["r2"]), int(r["r3"]), int(r["r4"]), int(r["r5"])),
        int(r["malicious"]), int(r["cases_done"]), int(r["cases_on_time"]),
    )  # fmt: skip


async def archived_ratings(
    c: Conn, hall_id: str, first: date, last: date
) -> dict[tuple[date, str, str], tuple[int, ...]]:
    """Frozen rating counts of a range: (r1..r5, malicious) per day and dimension key."""
    found = await c.fetch(
        "SELECT business_day, dim, key, r1, r2, r3, r4, r5, malicious FROM stats_daily"
        " WHERE hall_id = $1 AND business_day >= $2 AND business_day <= $3",
        hall_id, first, last,
    )  # fmt: skip
    return {(r["business_day"], r["dim"], r["key"]):
            tuple(int(r[n]) for n in ("r1", "r2", "r3", "r4", "r5", "malicious"))
            for r in found}  # fmt: skip


async def save_ratings(
    c: Conn, hall_id: str, day: date, dim: str, key: str, counts: Sequence[int]
) -> None:
    """A frozen day's rating counts of one key, rewritten (a row of zeros if it had none)."""
    await c.execute(
        f"INSERT INTO stats_daily (hall_id, business_day, dim, key, {_COUNTS}) VALUES ($1, $2,"
        " $3, $4, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', $5, $6, $7, $8, $9, $10, 0, 0)"
        " ON CONFLICT (hall_id, business_day, dim, key) DO UPDATE SET r1 = excluded.r1,"
        " r2 = excluded.r2, r3 = excluded.r3, r4 = excluded.r4, r5 = excluded.r5,"
        " malicious = excluded.malicious",
        hall_id, day, dim, key, *counts,
    )  # fmt: skip


def _ints(values: Sequence[int]) -> str:
    """Trailing zeros dropped: most waits are short, so most of a histogram is empty."""
    n = len(values)
    while n and values[n - 1] == 0:
        n -= 1
    return ",".join(map(str, values[:n]))


def _parse(text: str, size: int) -> tuple[int, ...]:
    got = [int(x) for x in text.split(",")] if text else []
    return (*got, *(0,) * (size - len(got)))


# --- live -----------------------------------------------------------------------------------


async def waiting_now(c: Conn, hall_id: str, day: date) -> list[tuple[str, int, datetime]]:
    """Per service: today's tickets waiting and the oldest one's issue time (the waiting
    index). Today's only: an earlier day's leftovers wait for the day-end sweep to void
    them, not for a window."""
    found = await c.fetch(
        "SELECT service, count(*) AS n, min(issued_at) AS oldest_at FROM tickets"
        " WHERE hall_id = $1 AND state = 'waiting' AND business_day = $2"
        " GROUP BY service ORDER BY service",
        hall_id, day,
    )  # fmt: skip
    return [(r["service"], int(r["n"]), r["oldest_at"]) for r in found]


async def window_states(c: Conn, hall_id: str) -> dict[str, int]:
    found = await c.fetch(
        "SELECT state, count(*) AS n FROM windows WHERE hall_id = $1 GROUP BY state", hall_id
    )
    return {r["state"]: int(r["n"]) for r in found}


# --- the target and its alert ------------------------------------------------------------


async def target_s(c: Conn, hall_id: str) -> int:
    value = await c.fetchval(
        "SELECT wait_target_s FROM stats_targets WHERE hall_id = $1", hall_id
    )
    return st.DEFAULT_TARGET_S if value is None else int(value)


async def set_target(c: Conn, hall_id: str, seconds: int, now: datetime, by: str) -> None:
    await c.execute(
        "INSERT INTO stats_targets (hall_id, wait_target_s, updated_at, updated_by)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (hall_id) DO UPDATE SET"
        " wait_target_s = excluded.wait_target_s, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
        hall_id, seconds, now, by,
    )  # fmt: skip


async def alert_active(c: Conn, hall_id: str, *, lock: str = "") -> bool:
    value = await c.fetchval(
        f"SELECT active FROM stats_alerts WHERE hall_id = $1 {lock}", hall_id
    )
    return bool(value)


async def ensure_alert_row(c: Conn, hall_id: str, now: datetime) -> None:
    await c.execute(
        "INSERT INTO stats_alerts (hall_id, active, changed_at) VALUES ($1, 0, $2)"
        " ON CONFLICT (hall_id) DO NOTHING",
        hall_id, now,
    )  # fmt: skip


async def set_alert(c: Conn, hall_id: str, active: bool, now: datetime) -> None:
    await c.execute(
        "UPDATE stats_alerts SET active = $2, changed_at = $3 WHERE hall_id = $1",
        hall_id, int(active), now,
    )  # fmt: skip
