"""Check-in (签到): a booking becomes a ticket.

At the kiosk by the booking code (scanned from its QR or typed) or by the ID number;
on the phone by the holder. Inside the window (from ``checkin_before_min`` before the
slot to its end) the ticket is an appointment ticket, queued by slot time ahead of
walk-ins; later that day it is a walk-in ticket and the citizen is told why.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from ..domain import appointment as ap
from ..domain import identity
from ..domain.appointment import Appointment, AppointmentState
from ..domain.errors import Conflict, NotFound, RateLimited
from ..domain.events import NewEvent
from ..domain.model import KIND_PRIORITY, Channel, TicketKind
from ..store import appointments_sql as sql
from ..store.db import UniqueViolation
from . import issuing
from .appointment_parts import Who, rules_or_default, unknown
from .appointments import Appointments
from .context import Context, HallInfo
from .issuing import Draft, Placer
from .ratelimit import Limit, RateLimiter
from .tickets import Tickets, TicketView, token_hash

# Check-in attempts per kiosk (one address serves a whole hall's arrivals) or phone,
# per 10 minutes: plenty for a busy morning, nothing for guessing 31^8 codes.
LOOKUP_LIMIT = Limit(120, 600)


@dataclass(frozen=True, slots=True)
class CheckedIn:
    appointment: Appointment
    view: TicketView
    token: str
    late: bool


def _not_used(a: Appointment) -> None:
    if a.state in (AppointmentState.CHECKED_IN, AppointmentState.LATE):
        raise Conflict("already_checked_in", "this booking has already been checked in",
                       "该预约已签到，请勿重复签到")  # fmt: skip
    if a.state is not AppointmentState.BOOKED:
        raise Conflict("appointment_not_active", "this appointment was cancelled or missed",
                       "该预约已取消或已失效")  # fmt: skip


class CheckIns:
    def __init__(
        self, ctx: Context, limiter: RateLimiter, tickets: Tickets, appointments: Appointments
    ) -> None:
        self.ctx = ctx
        self.limiter = limiter
        self.tickets = tickets
        self.appointments = appointments

    async def by_code(self, hall_id: str, text: str, client: str) -> CheckedIn:
        await self._limit(client)
        code = ap.normalize_code(text)
        async with self.ctx.store.db.reader() as c:
            a = await sql.by_code(c, code) if code else None
        if a is None:
            raise NotFound("unknown_booking_code", "no booking has this code",
                           "预约码不存在，请核对后重新输入")  # fmt: skip
        return await self._check_in(a, hall_id, Channel.KIOSK)

    async def by_id_number(self, hall_id: str, text: str, client: str) -> CheckedIn:
        await self._limit(client)
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        id_number = identity.validate_id_number(text, today)
        fp = identity.fingerprint(self.ctx.secret, id_number)
        async with self.ctx.store.db.reader() as c:
            found = await sql.of_person_day(c, fp, today)
        here = [a for a in found if a.hall_id == hall_id]
        live = [a for a in here if a.state is AppointmentState.BOOKED]
        if not live:
            if here:
                _not_used(here[0])  # says checked in already, or cancelled
            if found:
                return await self._check_in(found[0], hall_id, Channel.KIOSK)  # wrong_hall
            raise NotFound("no_booking_today", "this ID number has no booking here today",
                           "该身份证号今天在本大厅没有预约")  # fmt: skip
        return await self._check_in(self._best(info, live, now), hall_id, Channel.KIOSK)

    def _best(self, info: HallInfo, live: list[Appointment], now: datetime) -> Appointment:
        """Several bookings today: one on time first, then a late one; if every one is
        too early, the earliest (whose refusal says when to come back)."""
        late = None
        for a in live:
            rules = rules_or_default(info.services.get(a.service))
            try:
                timing = ap.check_in(info.clock, rules, now, a.slot_start, a.slot_end)
            except Conflict:
                continue
            if timing is ap.CheckIn.ON_TIME:
                return a
            late = late or a
        return late or live[0]

    async def own(self, appointment_id: str, who: Who, client: str) -> CheckedIn:
        """The holder checks in on the phone page."""
        # Per phone, not per address: carriers put many phones behind one address.
        await self._limit(f"phone:{who.citizen.phone_fp}" if who.citizen else client)
        a = await self.appointments.get(appointment_id, who)
        return await self._check_in(a, a.hall_id, Channel.PHONE)

    async def _check_in(self, a: Appointment, hall_id: str, channel: Channel) -> CheckedIn:
        if a.hall_id != hall_id:
            other = await self.ctx.hall(a.hall_id)
            raise Conflict("wrong_hall", f"this booking is for {other.hall.name}",
                           f"该预约属于{other.hall.name}，请到该大厅签到")  # fmt: skip
        _not_used(a)
        info = await self.ctx.hall(hall_id)
        rules = rules_or_default(info.services.get(a.service))
        now = self.ctx.clock()
        token = secrets.token_urlsafe(18)
        try:
            async with self.ctx.store.write(hall_id, now) as tx:
                current = await sql.get(tx.conn, a.id, lock=tx.dialect.for_update)
                if current is None:
                    raise unknown()
                _not_used(current)
                # Timed on the locked row: it may have been moved since it was looked up.
                late = ap.check_in(info.clock, rules, now, current.slot_start,
                                   current.slot_end) is ap.CheckIn.LATE  # fmt: skip
                if late and not info.clock.is_open(now):
                    raise Conflict("hall_closed", "the hall is closed now",
                                   "当前不在办公时间，暂停取号")  # fmt: skip
                kind = TicketKind.WALK_IN if late else TicketKind.APPOINTMENT
                contact = await sql.contact(tx.conn, tx.sealer, a.id)
                draft = Draft(
                    service=current.service, kind=kind, channel=channel,
                    priority=KIND_PRIORITY[kind], token_hash=token_hash(token),
                    id_fingerprint=current.id_fingerprint, id_masked=current.id_masked,
                    name_masked=current.name_masked, phone_masked=current.phone_masked,
                    note=None, contact_phone=contact.phone, lang=contact.lang,
                    slot_at=None if late else current.slot_start,
                )  # fmt: skip
                issued = await Placer(tx, info, info.clock.business_day(now)).place(draft)
                state = AppointmentState.LATE if late else AppointmentState.CHECKED_IN
                await sql.end(tx.conn, current, state, now, ticket_id=issued.ticket.id)
                # Public, like slot.changed: which slot, never who (the day view counts it).
                tx.emit(NewEvent("appointment.checked_in", {
                    "service": current.service, "late": late,
                    "slot": current.slot_start.astimezone(info.clock.tz).isoformat()}))  # fmt: skip
        except UniqueViolation:
            # A walk-in ticket for this ID and service was taken at the same moment.
            raise issuing.duplicate() from None
        await self.ctx.publish(hall_id, tx.events)
        view = await self.tickets.view(issued.ticket, issued.people_ahead)
        done = replace(current, state=state, ticket_id=issued.ticket.id, checked_in_at=now)
        return CheckedIn(done, view, token, late)

    async def _limit(self, client: str) -> None:
        if not await self.limiter.hit(f"check-in:{client}", LOOKUP_LIMIT):
            raise RateLimited("rate_limited", "too many check-in attempts; ask the hall staff",
                              "签到尝试过于频繁，请咨询大厅工作人员")  # fmt: skip

