"""Request and response bodies of online appointments (网上预约) and check-in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict, TicketIssued


class BookingRequest(Strict):
    hall: str = Field(min_length=1, max_length=40)
    service: str = Field(min_length=1, max_length=8)
    slot: datetime = Field(description="the slot's start, with its offset (from the slot list)")
    id_number: str = Field(min_length=1, max_length=32, description="GB 11643 ID number")
    phone: str | None = Field(default=None, max_length=32, description="for the SMS; a signed-in citizen's own by default")
    name: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254, description="confirmation and reminder by e-mail too")
    lang: Literal["zh", "en"] = "zh"


class RescheduleRequest(Strict):
    slot: datetime = Field(description="the new slot's start")


class CheckInRequest(Strict):
    code: str | None = Field(default=None, max_length=32, description="the booking code (typed, or scanned from its QR)")
    id_number: str | None = Field(default=None, max_length=32, description="or the ID number the booking was made with")


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    capacity: int
    booked: int
    free: int


class SlotList(BaseModel):
    hall_id: str
    service: str
    service_name: str
    slot_minutes: int
    days: list[date] = Field(description="the bookable working days, today first")
    slots: list[SlotOut] = Field(description="slots not yet started, full ones included")


class AppointmentOut(BaseModel):
    id: str
    code: str = Field(description="the booking code: check in with it at the kiosk")
    hall_id: str
    hall_name: str
    service: str
    service_name: str
    service_name_en: str
    slot_start: datetime
    slot_end: datetime
    state: Literal["booked", "checked_in", "late", "cancelled", "no_show"]
    id_masked: str
    name_masked: str | None
    phone_masked: str | None
    check_in_from: datetime
    check_in_until: datetime
    ticket_id: str | None
    cancel_reason: str | None = Field(description="citizen, staff or hall_closed")
    qr_svg: str = Field(description="an SVG QR code of the booking code, for the kiosk's scanner")


class AppointmentList(BaseModel):
    appointments: list[AppointmentOut]


class CheckInResult(BaseModel):
    late: bool = Field(description="checked in after the slot: a walk-in ticket")
    message: str
    message_zh: str
    ticket: TicketIssued
    appointment: AppointmentOut


class SlotTally(BaseModel):
    start: datetime
    end: datetime
    capacity: int
    booked: int = Field(description="still to come")
    checked_in: int
    late: int
    missed: int
    cancelled: int


class ServiceDay(BaseModel):
    service: str
    service_name: str
    slots: list[SlotTally]


class DayEntry(BaseModel):
    id: str
    service: str
    slot_start: datetime
    state: str
    id_masked: str
    name_masked: str | None
    ticket_id: str | None


class DayView(BaseModel):
    hall_id: str
    day: date
    services: list[ServiceDay]
    appointments: list[DayEntry]
