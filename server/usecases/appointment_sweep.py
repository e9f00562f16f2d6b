"""What time does to bookings, run by the server's periodic check (and after a
calendar change): missed ones become no-shows once their day is over, a day the
hall closes later (blackout) cancels its bookings and tells each citizen, and the
day-before reminders go out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain import appointment as ap
from ..domain.appointment import AppointmentState
from ..store import appointments_sql as sql
from . import appointment_messages as messages
from .appointment_parts import end_booking, rules_or_default, service_named
from .context import Context, HallInfo

log = logging.getLogger(__name__)

NO_SHOW_LOOKBACK_DAYS = 400  # a server down for longer still settles what it missed


@dataclass(frozen=True, slots=True)
class Swept:
    no_shows: int = 0
    closed: int = 0
    reminded: int = 0


async def sweep(ctx: Context, hall_id: str, now: datetime) -> Swept:
    info = await ctx.hall(hall_id, fresh=True)
    today = info.clock.business_day(now)
    async with ctx.store.write(hall_id, now) as tx:
        # Rows locked as they are read (skipping any a citizen is changing right now:
        # the next sweep gets them), all before any slot count is touched.
        lock = tx.dialect.skip_locked
        first = today - timedelta(days=NO_SHOW_LOOKBACK_DAYS)
        missed = 0
        for a in await sql.booked_between(tx.conn, hall_id, first, today - timedelta(days=1),
                                          lock=lock):  # fmt: skip
            missed += await sql.end(tx.conn, a, AppointmentState.NO_SHOW, now)
        closed = 0
        for day in await sql.booked_days(tx.conn, hall_id, today):
            if info.clock.periods_on(day):
                continue
            for a in await sql.booked_between(tx.conn, hall_id, day, day, lock=lock):
                svc = service_named(info, a.service)
                await messages.changed(tx, info, svc, a, "booking_closed")
                await end_booking(tx, info, svc, a, AppointmentState.CANCELLED, reason="hall_closed")
                closed += 1
        reminded = 0
        last = _next_working_day(info, today)
        for a in await sql.booked_between(tx.conn, hall_id, today, last, lock=lock):
            if a.reminded or a.slot_start <= now:
                continue
            due = ap.reminder_due(info.clock, rules_or_default(info.services.get(a.service)), a.slot_start)
            if due is not None and due <= now:
                await messages.changed(tx, info, service_named(info, a.service), a, "booking_reminder")
                await sql.mark_reminded(tx.conn, a.id)
                reminded += 1
    await ctx.publish(hall_id, tx.events)
    if missed or closed:
        log.info("hall %s: %d missed appointments, %d cancelled by a closed day",
                 hall_id, missed, closed)  # fmt: skip
    return Swept(missed, closed, reminded)


async def after_change(ctx: Context, hall_id: str) -> None:
    """A hall's configuration changed: a day it closed cancels its bookings now, not at
    the next periodic check. Best effort: the change has committed; the check retries."""
    try:
        await sweep(ctx, hall_id, ctx.clock())
    except Exception:
        log.exception("hall %s: appointments not settled after a change; the periodic"
                      " check will", hall_id)  # fmt: skip


def _next_working_day(info: HallInfo, today: date) -> date:
    return info.clock.calendar.add_working_days(today, 1)
