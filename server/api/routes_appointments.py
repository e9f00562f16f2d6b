"""Online appointments: free slots, booking, my appointments, check-in, the day's list."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import qr
from ..domain import appointment as ap
from ..domain.appointment import Appointment
from ..domain.errors import InvalidInput
from ..usecases.appointment_parts import Who, rules_or_default
from ..usecases.appointments import BookRequest
from ..usecases.check_in import CheckedIn
from . import schemas_appointments as m
from .http import Endpoint, ok
from .routes_citizen import CITIZEN, citizen_of
from .routes_public import issued_out
from .state import actor, client_address, signed_in, state


async def _who(request: Request) -> Who:
    return Who(citizen=await citizen_of(request), actor=actor(request, required=False))


def _day(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("invalid_request", f"{name} is a date (YYYY-MM-DD)",
                           f"{name} 须为日期（YYYY-MM-DD）", field=name) from exc  # fmt: skip


async def appointment_out(request: Request, a: Appointment) -> m.AppointmentOut:
    info = await state(request).ctx.hall(a.hall_id)
    svc = info.services.get(a.service)
    rules = rules_or_default(svc)
    return m.AppointmentOut(
        id=a.id, code=a.code, hall_id=a.hall_id, hall_name=info.hall.name, service=a.service,
        service_name=svc.name if svc else a.service,
        slot_start=a.slot_start.astimezone(info.clock.tz),
        slot_end=a.slot_end.astimezone(info.clock.tz), state=a.state.value,
        id_masked=a.id_masked, name_masked=a.name_masked, phone_masked=a.phone_masked,
        check_in_from=ap.check_in_opens(rules, a.slot_start, info.clock).astimezone(info.clock.tz),
        check_in_until=a.slot_end.astimezone(info.clock.tz), ticket_id=a.ticket_id,
        cancel_reason=a.cancel_reason, qr_svg=qr.svg(a.code, fluid=True),
        service_name_en=svc.name_en if svc else a.service,
    )  # fmt: skip


async def slots(request: Request, _: Any) -> Response:
    st = state(request)
    hall_id, code = request.path_params["hall"], request.path_params["service"]
    svc, found = await st.appointments.slots(hall_id, code, _day(request, "from"), _day(request, "to"))
    info = await st.ctx.hall(hall_id)
    assert svc.booking is not None  # slots() refuses a service that is not bookable
    days = ap.bookable_days(info.clock, svc.booking, st.ctx.clock())
    tz = info.clock.tz
    return ok(m.SlotList(
        hall_id=hall_id, service=svc.code, service_name=svc.name,
        slot_minutes=svc.booking.slot_minutes, days=days,
        slots=[m.SlotOut(start=s.start.astimezone(tz), end=s.end.astimezone(tz),
                         capacity=s.capacity, booked=s.booked, free=s.free) for s in found],
    ))  # fmt: skip


async def book(request: Request, body: m.BookingRequest) -> Response:
    req = BookRequest(hall=body.hall, service=body.service, slot=body.slot,
                      id_number=body.id_number, phone=body.phone, name=body.name,
                      email=body.email, lang=body.lang)  # fmt: skip
    a = await state(request).appointments.book(req, await _who(request))
    return ok(await appointment_out(request, a), 201)


async def mine(request: Request, _: Any) -> Response:
    citizen = await citizen_of(request, required=True)
    assert citizen is not None
    found = await state(request).appointments.mine(citizen)
    return ok(m.AppointmentList(appointments=[await appointment_out(request, a) for a in found]))


async def one(request: Request, _: Any) -> Response:
    a = await state(request).appointments.get(request.path_params["id"], await _who(request))
    return ok(await appointment_out(request, a))


async def reschedule(request: Request, body: m.RescheduleRequest) -> Response:
    a = await state(request).appointments.reschedule(
        request.path_params["id"], body.slot, await _who(request)
    )
    return ok(await appointment_out(request, a))


async def cancel(request: Request, _: Any) -> Response:
    a = await state(request).appointments.cancel(request.path_params["id"], await _who(request))
    return ok(await appointment_out(request, a))


async def _checked_in(request: Request, done: CheckedIn) -> Response:
    if done.late:
        msg = ("You are past your slot, so this is a walk-in ticket.",
               "您已超过预约时段，已为您取普通号，请按顺序等候。")  # fmt: skip
    else:
        msg = ("Checked in: you will be called by your slot time.",
               "签到成功，将按预约时段优先叫号。")  # fmt: skip
    return ok(m.CheckInResult(
        late=done.late, message=msg[0], message_zh=msg[1],
        ticket=await issued_out(request, done.appointment.hall_id, done.view, done.token),
        appointment=await appointment_out(request, done.appointment),
    ), 201)  # fmt: skip


async def kiosk_check_in(request: Request, body: m.CheckInRequest) -> Response:
    st, hall_id, client = state(request), request.path_params["hall"], client_address(request)
    if bool(body.code) == bool(body.id_number):
        raise InvalidInput("invalid_request", "give the booking code or the ID number",
                           "请输入预约码或身份证号（二选一）", field="code")  # fmt: skip
    if body.code:
        done = await st.check_ins.by_code(hall_id, body.code, client)
    else:
        assert body.id_number is not None
        done = await st.check_ins.by_id_number(hall_id, body.id_number, client)
    return await _checked_in(request, done)


async def own_check_in(request: Request, _: Any) -> Response:
    done = await state(request).check_ins.own(
        request.path_params["id"], await _who(request), client_address(request)
    )
    return await _checked_in(request, done)


async def day_view(request: Request, _: Any) -> Response:
    st = state(request)
    hall_id = request.path_params["hall"]
    info = await st.ctx.hall(hall_id)
    day = _day(request, "day") or info.clock.business_day(st.ctx.clock())
    found = await st.appointments.day(signed_in(request), hall_id, day)
    tally = Counter((a.service, a.slot_start, a.state) for a in found)
    tz = info.clock.tz
    services = []
    for svc in info.services.values():
        starts = {s.start: s.end for s in ap.slots_on(info.clock, svc.booking, day)} if svc.booking else {}
        starts.update({a.slot_start.astimezone(tz): a.slot_end.astimezone(tz)
                       for a in found if a.service == svc.code})  # fmt: skip
        if not starts:
            continue
        cap = svc.booking.capacity if svc.booking else 0
        services.append(m.ServiceDay(service=svc.code, service_name=svc.name, slots=[
            m.SlotTally(start=start, end=end, capacity=cap,
                        **{k: tally[(svc.code, start, ap.AppointmentState(v))]
                           for k, v in (("booked", "booked"), ("checked_in", "checked_in"),
                                        ("late", "late"), ("missed", "no_show"),
                                        ("cancelled", "cancelled"))})
            for start, end in sorted(starts.items())]))  # fmt: skip
    entries = [m.DayEntry(id=a.id, service=a.service, slot_start=a.slot_start.astimezone(tz),
                          state=a.state.value, id_masked=a.id_masked, name_masked=a.name_masked,
                          ticket_id=a.ticket_id) for a in found]  # fmt: skip
    return ok(m.DayView(hall_id=hall_id, day=day, services=services, appointments=entries))


_RANGE = (("from", "first day, YYYY-MM-DD (default today)", False),
          ("to", "last day, YYYY-MM-DD (default the end of the booking horizon)", False))  # fmt: skip
ENDPOINTS = (
    Endpoint("GET", "/api/halls/{hall}/services/{service}/slots", slots, "Bookable slots with their free places", m.SlotList, tag="appointments", query=_RANGE),
    Endpoint("POST", "/api/appointments", book, "Book a slot (a signed-in citizen, or staff for a citizen)", m.AppointmentOut, m.BookingRequest, status=201, tag="appointments", headers=CITIZEN),
    Endpoint("GET", "/api/appointments/mine", mine, "My appointments (signed-in citizen)", m.AppointmentList, tag="appointments", headers=CITIZEN),
    Endpoint("GET", "/api/appointments/{id}", one, "One appointment (its holder, or staff of its hall)", m.AppointmentOut, tag="appointments", headers=CITIZEN),
    Endpoint("PATCH", "/api/appointments/{id}", reschedule, "Move to another slot, until the slot starts", m.AppointmentOut, m.RescheduleRequest, tag="appointments", headers=CITIZEN),
    Endpoint("DELETE", "/api/appointments/{id}", cancel, "Cancel, until the slot starts", m.AppointmentOut, tag="appointments", headers=CITIZEN),
    Endpoint("POST", "/api/appointments/{id}/check-in", own_check_in, "Check in on the phone (inside the check-in window)", m.CheckInResult, status=201, tag="appointments", headers=CITIZEN),
    Endpoint("POST", "/api/halls/{hall}/check-in", kiosk_check_in, "Check in at the kiosk by booking code or ID number", m.CheckInResult, m.CheckInRequest, status=201, tag="appointments"),
    Endpoint("GET", "/api/halls/{hall}/appointments", day_view, "The day's appointments per service and slot (supervisor)", m.DayView, auth=True, tag="appointments", query=(("day", "YYYY-MM-DD, default today", False),)),
)  # fmt: skip
