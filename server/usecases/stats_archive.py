"""The daily archive (信息归档): each business day's figures frozen once it is over.

Run from the day-end loop for every hall. It freezes every day from the hall's
first ticket up to yesterday that is over and not frozen yet, so a server that was
down at midnight catches up when it comes back. A day is frozen in one short
transaction that first claims its ``stats_days`` row: a re-run, or a second process
racing this one, finds the claim and writes nothing, so the rows are the same
whoever wrote them. A rating recorded or marked malicious later rewrites its frozen
day's rating counts in its own transaction (``refresh_rating_day``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from ..domain import stats as st
from ..domain import stats_range
from ..store import stats_day_sql as day_sql
from ..store import stats_sql as sql
from ..store.db import Conn
from ..store.tx import Tx
from .context import Context, HallInfo

log = logging.getLogger("onewindow.stats")
LOOKBACK_DAYS = 400  # how far back a first run (or a long outage) is caught up
# A day is frozen once none of its tickets is in progress, or this long after its end
# whatever is left (a ticket left open all night is counted as it stands).
SETTLE_GRACE = timedelta(hours=6)
_NO_RATINGS = (0, 0, 0, 0, 0, 0)


async def day_tally(
    c: Conn, dialect: str, info: HallInfo, day: date, target_s: int,
    dims: Sequence[str] = st.DIMENSIONS, *, with_ratings: bool = True,
) -> dict[st.Key, st.Tally]:  # fmt: skip
    """One business day's tally: its tickets counted by the database, its ratings (unless
    left out) and concluded cases (a few hundred rows) by the domain."""
    hall_id = info.hall.id
    tz = info.clock.tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    out = await day_sql.day_figures(c, dialect, hall_id, day, target_s, dims)
    ratings = await sql.day_ratings(c, hall_id, day,
                                    services_only=set(dims) <= {"hall", "service"}
                                    ) if with_ratings else []  # fmt: skip
    cases = await sql.day_cases(c, hall_id, start, start + timedelta(days=1), tz)
    for key, t in st.tally_day((), ratings, cases, target_s=target_s).items():
        if key[0] in dims:
            out[key] = out[key].merge(t) if key in out else t
    out.setdefault(("hall", ""), st.Tally())  # an empty day is still a day of the range
    return out


async def catch_up(ctx: Context, hall_id: str, now: datetime) -> int:
    """Freeze the hall's finished days not frozen yet; returns how many this run froze."""
    info = await ctx.hall(hall_id)
    yesterday = info.clock.business_day(now) - timedelta(days=1)
    db = ctx.store.db
    async with db.reader() as c:
        first = await sql.first_ticket_day(c, hall_id)
        if first is None or first > yesterday:
            return 0
        first = max(first, yesterday - timedelta(days=LOOKBACK_DAYS))
        done = await sql.frozen_days(c, hall_id, first, yesterday)
    frozen = 0
    for day in stats_range.days(first, yesterday):
        if day not in done and await freeze_day(ctx, info, day, now):
            frozen += 1
    if frozen:
        log.info("hall %s: froze the figures of %d business days", hall_id, frozen)
    return frozen


async def refresh_rating_day(tx: Tx, hall_id: str, day: date) -> None:
    """Inside the ratings' own transaction, after a rating of ``day`` was recorded or
    marked malicious: if that day is frozen, rewrite its rating counts for all its keys,
    so the archive never misses a late or re-marked rating. A day not frozen yet is left
    alone: its freeze counts the ratings as they are then. The day's lock (shared with
    its freeze) orders this against a freeze or another rating racing it."""
    c = tx.conn
    await sql.lock_day(c, tx.dialect.name, hall_id, day)
    if not await sql.frozen_days(c, hall_id, day, day):
        return
    stored = await sql.archived_ratings(c, hall_id, day, day)
    fresh = {(day, dim, key): counts
             for (dim, key), counts in (await _rating_counts(c, hall_id, day)).items()}  # fmt: skip
    for k, counts in sorted(fresh.items()):
        if stored.get(k, _NO_RATINGS) != counts:
            await sql.save_ratings(c, hall_id, day, k[1], k[2], counts)


async def _rating_counts(c: Conn, hall_id: str, day: date) -> dict[st.Key, tuple[int, ...]]:
    """The day's rating counts (r1..r5, malicious) per dimension key, from the ratings."""
    tallies = st.tally_day((), await sql.day_ratings(c, hall_id, day))
    return {k: (*t.ratings, t.malicious) for k, t in tallies.items()}


async def freeze_day(ctx: Context, info: HallInfo, day: date, now: datetime) -> bool:
    """Freeze one day; False if it was frozen already or is not over yet.

    A day is over once none of its tickets can move any more (waiting, called, being
    served, or a no-show that may be called back: the day-end sweep voids what is left),
    or at the latest ``SETTLE_GRACE`` after its midnight, so a ticket left open all night
    does not hold the archive back for ever. Its tickets and cases are then counted in a
    reader, outside the write lock (they no longer change); only the claim, the ratings
    (which still may: a late one) and the rows are written, in one short transaction."""
    db = ctx.store.db
    hall_id = info.hall.id
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=info.clock.tz)
    async with db.reader() as c:
        if now < end + SETTLE_GRACE and await sql.day_in_progress(c, hall_id, day):
            return False
        target = await sql.target_s(c, hall_id)
        tallies = await day_tally(c, db.dialect.name, info, day, target, with_ratings=False)
    async with db.transaction() as c:
        await sql.lock_day(c, db.dialect.name, hall_id, day)
        if not await sql.claim_day(c, hall_id, day, target, now):
            return False
        for key, counts in (await _rating_counts(c, hall_id, day)).items():
            tallies[key] = replace(tallies.get(key, st.Tally()), ratings=counts[:5],
                                   malicious=counts[5])  # fmt: skip
        await sql.save_day(c, hall_id, day, tallies)
    return True
