"""Online appointments: free slots, booking, rescheduling, cancelling, "my appointments".

Each change is one transaction: the slot's count, the booking row, the slot event
on the hall stream (counts only), the citizen's message and, when staff acted, the
audit row commit together.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from .. import audit
from ..domain import access, identity
from ..domain import appointment as ap
from ..domain.appointment import Appointment, AppointmentState, BookingRules
from ..domain.errors import InvalidInput, RateLimited
from ..domain.model import Actor, Service
from ..store import appointments_sql as sql
from ..store.db import UniqueViolation
from ..store.tx import Tx
from . import appointment_messages as messages
from .appointment_parts import (
    Who,
    check_slot,
    duplicate,
    end_booking,
    not_allowed,
    not_yours,
    phone_required,
    rules_of,
    service_named,
    slot_event,
    slot_full,
    too_many,
    unknown,
)
from .citizens import Citizen
from .context import Context, HallInfo
from .ratelimit import Limit, RateLimiter

# Bookings and changes per signed-in citizen per 10 minutes. Counted per phone, not
# per address: mobile carriers put many phones behind one address.
BOOK_LIMIT = Limit(20, 600)
# Live bookings one account may hold in a hall: a family books for its elders, but
# one account cannot empty a service's week.
MAX_ACTIVE_PER_ACCOUNT = 5
MAX_LIST_DAYS = 92  # the longest horizon (60 working days) with the long holidays


@dataclass(frozen=True, slots=True)
class BookRequest:
    hall: str
    service: str
    slot: datetime
    id_number: str
    phone: str | None = None  # staff only: a citizen's bookings text their own phone
    name: str | None = None
    email: str | None = None
    lang: str = "zh"


@dataclass(frozen=True, slots=True)
class SlotView:
    start: datetime
    end: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Appointments:
    def __init__(self, ctx: Context, limiter: RateLimiter) -> None:
        self.ctx = ctx
        self.limiter = limiter

    async def slots(
        self, hall_id: str, service: str, first: date | None, last: date | None
    ) -> tuple[Service, list[SlotView]]:
        info = await self.ctx.hall(hall_id)
        svc = await self.ctx.service(hall_id, service)
        rules = rules_of(svc)
        now = self.ctx.clock()
        days = ap.bookable_days(info.clock, rules, now) or [info.clock.business_day(now)]
        first = first or days[0]
        if last is None:
            last = min(days[-1], first + timedelta(days=MAX_LIST_DAYS))
        if last < first or (last - first).days > MAX_LIST_DAYS:
            raise InvalidInput("range_invalid", f"from..to must be 0 to {MAX_LIST_DAYS} days",
                               f"查询范围须在 {MAX_LIST_DAYS} 天以内", field="to")  # fmt: skip
        found = ap.open_slots(info.clock, rules, now, first, last)
        if not found:
            return svc, []
        async with self.ctx.store.db.reader() as c:
            taken = await sql.counts(c, hall_id, svc.code, found[0].start, found[-1].start)
        return svc, [SlotView(s.start, s.end, rules.capacity, taken.get(s.start, 0)) for s in found]

    async def book(self, req: BookRequest, who: Who) -> Appointment:
        info = await self.ctx.hall(req.hall)
        svc = await self.ctx.service(req.hall, req.service)
        rules = rules_of(svc)
        now = self.ctx.clock()
        staff = self._staff_of(who, req.hall)
        if who.citizen is None and not staff:
            raise not_allowed(who)
        today = info.clock.business_day(now)
        slot = check_slot(info, rules, now, req.slot)
        id_number = identity.validate_id_number(req.id_number, today)
        if who.citizen is not None:
            phone, owner = who.citizen.phone, who.citizen.phone_fp
        elif req.phone:
            # Booked at a window: the citizen's phone makes it theirs on the phone page.
            phone = identity.validate_phone(req.phone)
            owner = self.ctx.store.sealer.fingerprint("phone", phone)
        else:
            raise phone_required()
        email = identity.validate_email(req.email) if req.email else None
        await self._limit(who, staff)
        fp = identity.fingerprint(self.ctx.secret, id_number)
        a = Appointment(
            id=uuid.uuid4().hex, hall_id=req.hall, service=svc.code, code=_new_code(),
            slot_start=slot.start, slot_end=slot.end, state=AppointmentState.BOOKED,
            id_fingerprint=fp, id_masked=identity.mask_id_number(id_number), created_at=now,
            name_masked=identity.mask_name(req.name) if req.name else None,
            phone_masked=identity.mask_phone(phone), owner_fp=owner,
            booked_by=who.actor.id if staff and who.actor else None,
            reminded=_reminded(info, rules, slot.start, now), lang=req.lang,
        )  # fmt: skip
        try:
            async with self.ctx.store.write(req.hall, now) as tx:
                await self._not_banned(tx, rules, fp, owner, today)
                if await sql.active(tx.conn, req.hall, svc.code, fp) is not None:
                    raise duplicate()
                if await sql.active_of_owner(tx.conn, req.hall, owner) >= MAX_ACTIVE_PER_ACCOUNT:
                    raise too_many(MAX_ACTIVE_PER_ACCOUNT)
                booked = await sql.take_place(tx.conn, req.hall, svc.code, slot.start, rules.capacity)
                if booked is None:
                    raise slot_full()
                await sql.insert(tx.conn, tx.sealer, a, info.clock.business_day(slot.start),
                                 phone, email)  # fmt: skip
                tx.emit(slot_event(info, svc.code, slot.start, booked, rules.capacity))
                messages.booked(tx, info, svc, a, phone, email)
                self._audit(tx, who, "appointment.book", a, slot=slot.start.isoformat())
        except UniqueViolation:
            # Another request for this ID and service won the race: the index decided.
            raise duplicate() from None
        await self.ctx.publish(req.hall, tx.events)
        return a

    async def get(self, appointment_id: str, who: Who) -> Appointment:
        async with self.ctx.store.db.reader() as c:
            a = await sql.get(c, appointment_id)
        if a is None:
            raise unknown()
        self._owned(a, who)
        return a

    async def mine(self, citizen: Citizen) -> list[Appointment]:
        """The citizen's appointments from a week ago on, across halls."""
        since = self.ctx.clock().date() - timedelta(days=8)  # a UTC date: a day of slack
        async with self.ctx.store.db.reader() as c:
            return await sql.of_owner(c, citizen.phone_fp, since)

    async def reschedule(self, appointment_id: str, start: datetime, who: Who) -> Appointment:
        now = self.ctx.clock()
        current = await self.get(appointment_id, who)
        info = await self.ctx.hall(current.hall_id)
        svc = await self.ctx.service(current.hall_id, current.service)
        rules = rules_of(svc)
        slot = check_slot(info, rules, now, start)
        await self._limit(who, self._staff_of(who, current.hall_id))
        async with self.ctx.store.write(current.hall_id, now) as tx:
            a = await self._locked(tx, appointment_id)
            ap.cancellable(a, now)
            if slot.start == a.slot_start:
                return a
            # Both slot rows are locked in time order, so two citizens swapping slots
            # cannot deadlock; a full slot rolls back the place given back too.
            if slot.start > a.slot_start:
                left = await sql.give_back(tx.conn, a.hall_id, a.service, a.slot_start)
            booked = await sql.take_place(tx.conn, a.hall_id, a.service, slot.start, rules.capacity)
            if booked is None:
                raise slot_full()
            if slot.start < a.slot_start:
                left = await sql.give_back(tx.conn, a.hall_id, a.service, a.slot_start)
            moved = replace(a, slot_start=slot.start, slot_end=slot.end,
                            reminded=_reminded(info, rules, slot.start, now))  # fmt: skip
            await sql.move(tx.conn, moved, slot.start, slot.end, info.clock.business_day(slot.start))
            tx.emit(slot_event(info, a.service, a.slot_start, left, rules.capacity))
            tx.emit(slot_event(info, a.service, slot.start, booked, rules.capacity))
            await messages.changed(tx, info, svc, moved, "booking_rescheduled")
            self._audit(tx, who, "appointment.reschedule", moved,
                        before=a.slot_start.isoformat(), after=slot.start.isoformat())  # fmt: skip
        await self.ctx.publish(a.hall_id, tx.events)
        return moved

    async def cancel(self, appointment_id: str, who: Who) -> Appointment:
        now = self.ctx.clock()
        current = await self.get(appointment_id, who)
        info = await self.ctx.hall(current.hall_id)
        svc = service_named(info, current.service)
        async with self.ctx.store.write(current.hall_id, now) as tx:
            a = await self._locked(tx, appointment_id)
            ap.cancellable(a, now)
            await messages.changed(tx, info, svc, a, "booking_cancelled")
            await end_booking(tx, info, svc, a, AppointmentState.CANCELLED,
                              reason="staff" if who.actor else "citizen")  # fmt: skip
            self._audit(tx, who, "appointment.cancel", a)
        await self.ctx.publish(a.hall_id, tx.events)
        return replace(a, state=AppointmentState.CANCELLED, cancel_reason="staff" if who.actor else "citizen")

    async def day(self, actor: Actor, hall_id: str, day: date) -> list[Appointment]:
        """The day's appointments of a hall, for its supervisor (masked)."""
        access.require_hall_manager(actor, hall_id)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.db.reader() as c:
            return await sql.of_day(c, hall_id, day)

    # --- helpers ----------------------------------------------------------------

    def _staff_of(self, who: Who, hall_id: str) -> bool:
        a = who.actor
        return a is not None and a.role in access.QUEUE_ROLES and a.hall_id in (None, hall_id)

    def _owned(self, a: Appointment, who: Who) -> None:
        if self._staff_of(who, a.hall_id):
            return
        if who.citizen is not None and who.citizen.phone_fp == a.owner_fp:
            return
        if who.citizen is None and who.actor is None:
            raise not_allowed(who)
        raise not_yours()

    def _audit(self, tx: Tx, who: Who, action: str, a: Appointment, **detail: object) -> None:
        # Staff acting for a citizen are accountable; a citizen's own booking is theirs.
        if who.actor is not None and who.citizen is None:
            tx.audit(audit.record(who.actor, a.hall_id, action, a.id, service=a.service,
                                  id_masked=a.id_masked, **detail))  # fmt: skip

    async def _locked(self, tx: Tx, appointment_id: str) -> Appointment:
        a = await sql.get(tx.conn, appointment_id, lock=tx.dialect.for_update)
        if a is None:
            raise unknown()
        return a

    async def _not_banned(
        self, tx: Tx, rules: BookingRules, fp: str, owner: str, today: date
    ) -> None:
        """Banned by the ID number's missed appointments, or by the account's (one
        account cannot get another person banned by booking their ID and not coming,
        without getting itself banned as well)."""
        since = today - timedelta(days=rules.no_show_window_days + rules.ban_days)
        for days in (await sql.no_show_days(tx.conn, tx.hall_id, fp, since),
                     await sql.no_show_days_of_owner(tx.conn, tx.hall_id, owner, since)):  # fmt: skip
            until = ap.ban_until(days, rules, today)
            if until is not None:
                raise ap.banned(until)

    async def _limit(self, who: Who, staff: bool) -> None:
        if staff or who.citizen is None:
            return
        if not await self.limiter.hit(f"book:{who.citizen.phone_fp}", BOOK_LIMIT):
            raise RateLimited("rate_limited", "too many booking requests; try again later",
                              "预约操作过于频繁，请稍后再试")  # fmt: skip


def _new_code() -> str:
    return "".join(secrets.choice(ap.CODE_ALPHABET) for _ in range(ap.CODE_LENGTH))


def _reminded(info: HallInfo, rules: BookingRules, start: datetime, now: datetime) -> bool:
    # Booked after the reminder moment: the confirmation is the reminder.
    due = ap.reminder_due(info.clock, rules, start)
    return due is None or due <= now
