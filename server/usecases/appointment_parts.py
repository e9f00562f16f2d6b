"""What the appointment use cases share: who asks, the public slot event, ending a
booking, and their errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import appointment as ap
from ..domain.appointment import Appointment, AppointmentState, BookingRules
from ..domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OneWindowError,
    Unauthorized,
)
from ..domain.events import NewEvent
from ..domain.model import Actor, Service
from ..store import appointments_sql as sql
from ..store.tx import Tx
from .citizens import Citizen
from .context import HallInfo


@dataclass(frozen=True, slots=True)
class Who:
    """Who asks: a signed-in citizen, or staff acting for one."""

    citizen: Citizen | None = None
    actor: Actor | None = None


def slot_event(
    info: HallInfo, service: str, start: datetime, booked: int, capacity: int
) -> NewEvent:
    """Public: a slot's count, never who booked it. The slot is named as the slot list
    names it, in the hall's time zone."""
    local = start.astimezone(info.clock.tz)
    return NewEvent("slot.changed", {"service": service, "slot": local.isoformat(),
                                     "booked": booked, "capacity": capacity,
                                     "free": max(0, capacity - booked)})  # fmt: skip


async def end_booking(
    tx: Tx, info: HallInfo, svc: Service, a: Appointment, state: AppointmentState, *,
    reason: str | None = None,
) -> bool:  # fmt: skip
    """End a live booking (cancelled, closed day): its place is freed. False when it had
    changed since it was read (moved, checked in): then nothing is done."""
    if not await sql.end(tx.conn, a, state, tx.now, reason=reason):
        return False
    left = await sql.give_back(tx.conn, a.hall_id, a.service, a.slot_start)
    capacity = svc.booking.capacity if svc.booking else left
    tx.emit(slot_event(info, a.service, a.slot_start, left, capacity))
    return True


def check_slot(info: HallInfo, rules: BookingRules, now: datetime, start: datetime) -> ap.Slot:
    try:
        return ap.check_slot(info.clock, rules, now, start)
    except (OverflowError, ValueError):
        # A year 1 or 9999 instant cannot be put in the hall's time zone.
        raise InvalidInput("slot_invalid", "no slot is at that time", "预约时段无效",
                           field="slot") from None  # fmt: skip


def rules_or_default(svc: Service | None) -> BookingRules:
    """A booking outlives its service's rules (booking turned off): judged by the defaults."""
    return svc.booking if svc is not None and svc.booking else BookingRules()


def service_named(info: HallInfo, code: str) -> Service:
    """The booking's service; one retired since still names it by its code in messages."""
    svc = info.services.get(code)
    return svc if svc is not None else Service(info.hall.id, code, code, code, 300)


def rules_of(svc: Service) -> BookingRules:
    if svc.booking is None:
        raise Conflict("not_bookable", f"service {svc.code} takes no appointments",
                       f"{svc.name}暂不提供网上预约")  # fmt: skip
    return svc.booking


def unknown() -> NotFound:
    return NotFound("unknown_appointment", "no such appointment", "没有该预约")


def not_allowed(who: Who) -> OneWindowError:
    if who.actor is None:
        return Unauthorized("citizen_sign_in_required", "sign in with your phone number",
                            "请先用手机号登录")  # fmt: skip
    return Forbidden("not_hall_staff", "only staff of this hall act for a citizen here",
                     "只有本大厅的窗口工作人员可以代为办理预约")  # fmt: skip


def not_yours() -> Forbidden:
    return Forbidden("not_your_appointment", "this appointment is not yours", "这不是您的预约")


def duplicate() -> Conflict:
    return Conflict("duplicate_booking",
                    "this ID number already has a booking for this service",
                    "该身份证号在此业务下已有预约，可在“我的预约”中改期或取消")  # fmt: skip


def too_many(limit: int) -> Conflict:
    return Conflict("too_many_bookings",
                    f"one account holds at most {limit} bookings in a hall at a time",
                    f"每个账号在本大厅最多同时持有 {limit} 个预约",
                    details={"limit": limit})  # fmt: skip


def slot_full() -> Conflict:
    return Conflict("slot_full", "this slot is fully booked", "该时段已约满，请选择其他时段")


def phone_required() -> InvalidInput:
    return InvalidInput("phone_required", "a booking made for a citizen needs their phone",
                        "代为预约须填写办事人手机号", field="phone")  # fmt: skip
