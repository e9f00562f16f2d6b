"""The long-wait alert: when the longest wait now passes the hall's target, say so once
on the hall stream (``stats.wait_alert``, display-safe), and once more when it clears.

A sweep, like the case deadline sweep: it reads only today's waiting tickets (a partial
index; an earlier day's leftovers are not waiting for a window), and decides inside one transaction that holds the hall's alert row, so two
processes sweeping at once announce a crossing once.
"""

from __future__ import annotations

from datetime import datetime

from ..domain import stats as st
from ..domain.events import NewEvent
from ..store import stats_sql as sql
from .context import Context


def alert_event(active: bool, longest_s: int, target_s: int, services: list[str]) -> NewEvent:
    return NewEvent("stats.wait_alert", {
        "active": active, "longest_wait_s": longest_s, "target_s": target_s,
        "services": services,
    })  # fmt: skip


async def sweep(ctx: Context, hall_id: str, now: datetime) -> bool | None:
    """The alert's new state if it changed (and was announced), else None."""
    today = (await ctx.hall(hall_id)).clock.business_day(now)
    async with ctx.store.db.reader() as c:
        waiting = await sql.waiting_now(c, hall_id, today)
        target = await sql.target_s(c, hall_id)
        was = await sql.alert_active(c, hall_id)
    over, longest = _over(waiting, now, target)
    if bool(over) == was:
        return None
    async with ctx.store.write(hall_id, now) as tx:
        await sql.ensure_alert_row(tx.conn, hall_id, now)
        was = await sql.alert_active(tx.conn, hall_id, lock=tx.dialect.for_update)
        # Read again under the lock: another process may have announced it meanwhile.
        over, longest = _over(await sql.waiting_now(tx.conn, hall_id, today), now, target)
        if bool(over) == was:
            return None
        await sql.set_alert(tx.conn, hall_id, bool(over), now)
        tx.emit(alert_event(bool(over), longest, target, over))
    await ctx.publish(hall_id, tx.events)
    return bool(over)


def _over(
    waiting: list[tuple[str, int, datetime]], now: datetime, target_s: int
) -> tuple[list[str], int]:
    """The services whose longest wait is past the target, and the hall's longest wait."""
    waits = {svc: st.longest_wait_s(oldest, now) for svc, _, oldest in waiting}
    return sorted(s for s, w in waits.items() if w > target_s), max(waits.values(), default=0)
