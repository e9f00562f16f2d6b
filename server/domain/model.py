"""The nouns of a service hall, as immutable values.

State changes never mutate these: the transition functions in ``ticket.py`` and
``window.py`` return new values, so the store can write exactly what changed and
a refused transition leaves nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum

from .booking_rules import BookingRules


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    VOID = "void"


# A ticket in one of these states still holds its citizen's place: the partial
# unique index "one unserved ticket per ID per service" covers exactly these.
ACTIVE_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)
# Left behind at the end of a business day, these become void. A called ticket
# holds a window, so its clerk settles it (no-show) first.
STALE_STATES = (TicketState.WAITING, TicketState.NO_SHOW)


class TicketKind(StrEnum):
    WALK_IN = "walk_in"
    GREEN = "green"
    APPOINTMENT = "appointment"
    TRANSFER = "transfer"


class Priority(IntEnum):
    """Dispatch class; lower is served first unless the interleave says otherwise."""

    GREEN = 0
    APPOINTMENT = 1
    WALK_IN = 2


KIND_PRIORITY = {
    TicketKind.GREEN: Priority.GREEN,
    TicketKind.APPOINTMENT: Priority.APPOINTMENT,
    TicketKind.WALK_IN: Priority.WALK_IN,
    TicketKind.TRANSFER: Priority.WALK_IN,
}


class Channel(StrEnum):
    KIOSK = "kiosk"
    PHONE = "phone"
    WINDOW = "window"


class WindowState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"
    SERVING = "serving"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CLERK = "clerk"
    OFFICER = "officer"  # back-office department staff (后台审批)


class DepartmentKind(StrEnum):
    FRONT = "front"  # a counter in the hall
    BACK = "back"  # back-office approval


@dataclass(frozen=True, slots=True)
class Hall:
    id: str
    name: str
    tz: str
    hours: dict[str, list[list[str]]]
    calendar: dict[str, bool]
    region_code: str | None = None  # 行政区划代码, the first part of a 受理编号
    notify_issued: bool = False  # confirm a ticket by SMS when it carries a phone
    advance_notice: int = 3  # "N people ahead, come back" at N; 0: never
    # scrypt hash of the PIN a hall guide types at the kiosk for the green channel.
    green_pin_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Service:
    hall_id: str
    code: str
    name: str
    name_en: str
    avg_service_s: int
    channels: tuple[Channel, ...] = (Channel.KIOSK, Channel.PHONE, Channel.WINDOW)
    daily_quota: int | None = None  # tickets per business day; None is no limit
    booking: BookingRules | None = None  # online appointments; None: not bookable


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    kind: DepartmentKind
    halls: tuple[str, ...] = ()
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    id: str
    hall_id: str
    number: int
    name: str
    services: tuple[str, ...]
    state: WindowState = WindowState.CLOSED
    current_ticket_id: str | None = None
    clerk_id: str | None = None
    clerk_name: str | None = None
    pause_reason: str | None = None
    priority_streak: int = 0  # priority calls since this window served a walk-in
    appointment_streak: int = 0  # green-channel calls since it served an appointment
    department_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    hall_id: str
    service: str
    number: str
    business_day: date
    kind: TicketKind
    channel: Channel
    state: TicketState
    priority: Priority
    issued_at: datetime
    # Sort key inside a priority class: issue time, slot time for appointments,
    # or the moment of a transfer "to the back".
    queue_at: datetime
    token_hash: str
    window_id: str | None = None
    target_window_id: str | None = None
    recall_count: int = 0
    transfer_count: int = 0
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    id_fingerprint: str | None = None
    id_masked: str | None = None
    name_masked: str | None = None
    phone_masked: str | None = None
    note: str | None = None
    # The daily counter behind the number: breaks ties between equal queue_at.
    seq_no: int = 0
    # An appointment's slot start: its place in the queue, kept across transfers.
    slot_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    role: Role
    hall_id: str | None
    password_hash: str
    department_id: str | None = None
    enabled: bool = True
    must_change_password: bool = False  # set by an admin's reset; cleared by the user
    created_at: datetime | None = field(default=None, compare=False)  # bookkeeping, not identity


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever is signed in and acting: what authorization looks at."""

    id: str
    username: str
    role: Role
    hall_id: str | None
    department_id: str | None = None
    session_id: str | None = None
    # Where the request came from: the audit log records it.
    client: str | None = None
    user_agent: str | None = None
