"""The hall's figures for supervisors and admins: live today, a date range, the target.

Today is read live, bounded by today (the hall-day key of tickets, the waiting
index); past days come only from the daily archive (stats_archive.py), so a range
costs rows per day, not tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from .. import audit
from ..domain import access, stats_range
from ..domain import stats as st
from ..domain.errors import InvalidInput
from ..domain.model import Actor
from ..store import stats_day_sql as day_sql
from ..store import stats_sql as sql
from .context import Context
from .stats_archive import day_tally

# Dimensions whose range rows carry their wait percentiles (the hall's days always do):
# merging a histogram per row is the range's main cost, so windows, clerks and channels
# show the average and the longest wait.
PERCENTILE_DIMS = ("service",)
MIN_TARGET_S = 60
MAX_TARGET_S = 8 * 3600


@dataclass(frozen=True, slots=True)
class Live:
    hall_id: str
    business_day: date
    at: datetime
    target_s: int
    tally: st.Tally
    per_service: dict[str, st.Tally]
    waiting: list[tuple[str, int, int]]  # service, waiting now, its longest wait (s)
    windows: dict[str, int]  # window state -> how many
    per_hour: dict[int, int]
    alert: bool

    @property
    def longest_wait_s(self) -> int:
        return max((w for _, _, w in self.waiting), default=0)


@dataclass(frozen=True, slots=True)
class Range:
    hall_id: str
    first: date
    last: date
    target_s: int
    total: st.Tally
    per_day: dict[date, st.Tally]
    by: dict[str, dict[str, st.Tally]]  # dimension -> key -> tally
    missing: list[date] = field(default_factory=list)  # past days not frozen yet


class Stats:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def live(self, actor: Actor, hall_id: str) -> Live:
        access.require_hall_manager(actor, hall_id)
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        db = self.ctx.store.db
        async with db.reader() as c:
            target = await sql.target_s(c, hall_id)
            # The page shows the hall and its services today: only those are counted.
            tallies = await day_tally(c, db.dialect.name, info, today, target,
                                      ("hall", "service"))  # fmt: skip
            midnight = datetime.combine(today, time(0), tzinfo=info.clock.tz)
            per_hour = await day_sql.served_per_hour(c, db.dialect.name, hall_id, today,
                                                     midnight)  # fmt: skip
            waiting = await sql.waiting_now(c, hall_id, today)
            windows = await sql.window_states(c, hall_id)
            alert = await sql.alert_active(c, hall_id)
        return Live(
            hall_id, today, now.astimezone(info.clock.tz), target, tallies[("hall", "")],
            {k: t for (d, k), t in tallies.items() if d == "service"},
            [(s, n, st.longest_wait_s(oldest, now)) for s, n, oldest in waiting],
            windows,
            per_hour,
            alert,
        )  # fmt: skip

    async def range(self, actor: Actor, hall_id: str, start: str | None, end: str | None) -> Range:
        """Past days from the archive, added up by the database; today (if asked) live."""
        access.require_hall_manager(actor, hall_id)
        first, last = stats_range.parse_range(start, end)
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(self.ctx.clock())
        frozen_to = min(last, today - timedelta(days=1))
        db = self.ctx.store.db
        by: dict[str, dict[str, st.Tally]] = {d: {} for d in st.DIMENSIONS if d != "hall"}
        async with db.reader() as c:
            target = await sql.target_s(c, hall_id)
            opened = await sql.first_ticket_day(c, hall_id)
            per_day = {d: t for d, _, _, t in await sql.archived(c, hall_id, first, frozen_to,
                                                                ("hall",))}  # fmt: skip
            for dim, key, t in await sql.archived_sums(c, hall_id, first, frozen_to, list(by)):
                by[dim][key] = t
            for dim in PERCENTILE_DIMS:
                for key, hist in (await sql.archived_hists(c, hall_id, first, frozen_to,
                                                           dim)).items():  # fmt: skip
                    # The reads are not one snapshot: a day frozen between them may bring
                    # a key the sums did not have. It shows from the next read on.
                    if key in by[dim]:
                        by[dim][key] = replace(by[dim][key], hist=hist)
            if first <= today <= last:  # today is not frozen yet: read live
                for (dim, key), t in (await day_tally(c, db.dialect.name, info, today,
                                                      target)).items():  # fmt: skip
                    if dim == "hall":
                        per_day[today] = t
                    else:
                        if dim not in PERCENTILE_DIMS:  # as the frozen days: no histogram
                            t = replace(t, hist=st.Tally().hist)
                        into = by[dim]
                        into[key] = into[key].merge(t) if key in into else t
        # Days before the hall's first ticket have nothing to archive: not missing.
        since = max(first, opened or today)
        missing = [d for d in stats_range.days(since, min(last, today)) if d not in per_day]
        return Range(hall_id, first, last, target, st.merge_all(per_day.values()),
                     dict(sorted(per_day.items())), by, missing)  # fmt: skip

    async def target(self, actor: Actor, hall_id: str) -> int:
        access.require_hall_manager(actor, hall_id)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.db.reader() as c:
            return await sql.target_s(c, hall_id)

    async def set_target(self, actor: Actor, hall_id: str, minutes: int) -> int:
        """Admins set a hall's wait target, in whole minutes; audited."""
        access.require_admin(actor)
        await self.ctx.hall(hall_id)
        seconds = minutes * 60
        if not MIN_TARGET_S <= seconds <= MAX_TARGET_S:
            raise InvalidInput("target_invalid", "the wait target is 1 to 480 minutes",
                               "等候时长目标应为 1 至 480 分钟", field="minutes")  # fmt: skip
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            before = await sql.target_s(tx.conn, hall_id)
            await sql.set_target(tx.conn, hall_id, seconds, now, actor.id)
            tx.audit(audit.record(actor, hall_id, "stats.target", hall_id,
                                  before_s=before, after_s=seconds))  # fmt: skip
        return seconds

    async def names(self, hall_id: str) -> dict[str, dict[str, str]]:
        """Display names per dimension key: services, windows, clerks, channels."""
        info = await self.ctx.hall(hall_id)
        windows = await self.ctx.store.windows(hall_id)
        async with self.ctx.store.db.reader() as c:
            users = await c.fetch(
                "SELECT id, display_name FROM users WHERE hall_id = $1", hall_id
            )
        return {
            "service": {s.code: s.name for s in info.services.values()},
            "window": {w.id: w.name for w in windows},
            "clerk": {u["id"]: u["display_name"] for u in users},
            "channel": dict(CHANNEL_ZH),
        }


CHANNEL_ZH = (("kiosk", "取号机"), ("phone", "手机"), ("window", "窗口"),
              ("appointment", "预约"))  # fmt: skip
