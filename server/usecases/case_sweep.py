"""Every minute, per hall: move the deadlines of cases whose clock stands still, tell
the departments when a task turns yellow or red, and archive what closed on an
earlier business day (read-only from then on, its timeline kept).

Reads only the live cases (a partial index), so its cost follows the work in
hand, not the archive.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, time

from ..domain import case as cs
from ..domain.case import OPEN_TASKS, REVIEWING, CaseState
from ..store import cases_sql as sql
from .case_parts import clock_of, emit_task, entry, save_state
from .context import Context
from .matters import Matters

log = logging.getLogger("onewindow.cases")
BATCH = 200


async def sweep(ctx: Context, matters: Matters, hall_id: str, now: datetime) -> int:
    """Tasks told of a new colour plus cases archived; 0 when nothing was due."""
    info = await ctx.hall(hall_id)
    today = info.clock.business_day(now)
    changed = 0
    async with ctx.store.db.reader() as c:
        live = await sql.live(c, hall_id, REVIEWING)
        stale = []
        for seen, due in live:
            clock = clock_of(info, seen, await sql.tasks_of(c, seen.id), today)
            if clock.colour.value != seen.alert or clock.due != due:
                stale.append(seen.id)
    for case_id in stale:
        async with ctx.store.write(hall_id, now) as tx:
            case = await sql.get(tx.conn, case_id, lock=tx.dialect.for_update)
            if case is None or case.state not in REVIEWING:
                continue
            tasks = await sql.tasks_of(tx.conn, case.id)
            clock = clock_of(info, case, tasks, today)
            after = replace(case, alert=clock.colour.value)
            await save_state(tx, after, tasks, clock)
            if after.alert != case.alert:
                matter = await matters.matter(hall_id, case.matter, include_disabled=True,
                                              conn=tx.conn)  # fmt: skip
                open_tasks = [t for t in tasks if t.state in OPEN_TASKS]
                for t in open_tasks:
                    emit_task(tx, "deadline", t, after, matter, clock)
                changed += len(open_tasks)
        await ctx.publish_all(tx.events)
    # Closed on an earlier business day: by the local midnight that began today.
    midnight = datetime.combine(today, time(0), tzinfo=info.clock.tz)
    return changed + await _archive(ctx, hall_id, now, midnight)


async def _archive(ctx: Context, hall_id: str, now: datetime, before: datetime) -> int:
    async with ctx.store.db.reader() as c:
        ids = await sql.closed_before(c, hall_id, before, BATCH)
    if not ids:
        return 0
    async with ctx.store.write(hall_id, now) as tx:
        for case_id in ids:
            case = await sql.get(tx.conn, case_id, lock=tx.dialect.for_update)
            if case is None or case.state is CaseState.ARCHIVED:
                continue
            archived = cs.move(case, CaseState.ARCHIVED)
            await sql.log(tx.conn, case_id, [entry(tx, None, "archived", case, archived)])
        await sql.archive(tx.conn, ids)
    log.info("hall %s: archived %d closed cases", hall_id, len(ids))
    return len(ids)
