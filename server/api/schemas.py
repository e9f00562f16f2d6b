"""Request and response models: they validate input and generate /openapi.json."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- requests -----------------------------------------------------------------------


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class IssueTicketRequest(Strict):
    service: str = Field(min_length=1, max_length=8, description="Service prefix, e.g. A")
    kind: Literal["walk_in", "green"] = "walk_in"
    channel: Literal["kiosk", "phone", "window"] = "kiosk"
    id_number: str | None = Field(default=None, max_length=32, description="GB 11643 ID number")
    phone: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=64)
    green_reason: Literal["elderly", "disabled", "pregnant", "military"] | None = None
    staff_pin: str | None = Field(default=None, max_length=8, description="a hall guide's PIN: the green channel for the disabled, pregnant or military at a kiosk")
    lang: Literal["zh", "en"] = Field(default="zh", description="language of the SMS messages")


class CodeRequest(Strict):
    phone: str = Field(min_length=1, max_length=32, description="mainland mobile number")
    lang: Literal["zh", "en"] = "zh"


class CitizenSignIn(Strict):
    phone: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=12, description="the 6-digit code sent by SMS")


class PauseRequest(Strict):
    reason: str | None = Field(default=None, max_length=100, description="暂离 reason")


class CallBackRequest(Strict):
    ticket: str = Field(min_length=1, max_length=64, description="id of a passed ticket")


class TransferRequest(Strict):
    service: str | None = Field(default=None, max_length=8, description="target service")
    window: str | None = Field(default=None, max_length=64, description="target window id")
    keep_place: bool = Field(
        default=True, description="true: keep its original place; false: back of the queue"
    )
    reason: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _target(self) -> TransferRequest:
        if self.service is None and self.window is None:
            raise ValueError("give a target service, a target window, or both")
        return self


class NoticeIn(Strict):
    kind: Literal["policy", "materials", "hours", "general"] = "general"
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(default="", max_length=2000)
    position: StrictInt = Field(default=0, ge=0, le=10_000)
    active: bool = True


class NoticePatch(Strict):
    kind: Literal["policy", "materials", "hours", "general"] | None = None
    title: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, max_length=2000)
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> NoticePatch:
        # Leaving a field out keeps it; sending null cannot clear a required field.
        if any(getattr(self, k) is None for k in self.model_fields_set):
            raise ValueError("fields may be left out, not set to null")
        return self


# --- responses ----------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str
    message_zh: str
    # Present only when they apply (as_dict leaves them out otherwise).
    field: str | None = Field(default=None, description="JSON path of the value at fault")
    retry_after: int | None = Field(
        default=None, description="429: seconds to wait (also the Retry-After header)"
    )
    tries_left: int | None = Field(
        default=None, description="wrong sign-in codes left before the code ends"
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: bool
    redis: bool | None = None
    # The answering process (its pid): with `serve --workers N`, which of them answered.
    worker: int


Roles = Literal["admin", "supervisor", "clerk", "officer"]


class LoginResponse(BaseModel):
    token: str
    id: str
    role: Roles
    hall: str | None
    department: str | None = None
    display_name: str
    expires_at: datetime
    must_change_password: bool = False


class WindowRef(BaseModel):
    id: str
    number: int
    name: str


class ServiceOut(BaseModel):
    code: str
    name: str
    name_en: str
    waiting: int
    channels: list[Literal["kiosk", "phone", "window"]]
    eta_minutes: int = Field(description="estimated wait for a ticket taken now")
    bookable: bool = Field(default=False, description="takes online appointments")


class CurrentTicket(BaseModel):
    number: str
    service: str
    state: str


class WindowOut(BaseModel):
    id: str
    number: int
    name: str
    state: Literal["closed", "open", "paused", "serving"]
    services: list[str]
    pause_reason: str | None
    clerk_id: str | None = None
    clerk_name: str | None = None
    current: CurrentTicket | None


class HallOut(BaseModel):
    id: str
    name: str
    business_day: date
    open_now: bool
    tz: str = Field(description="the hall's time zone, e.g. Asia/Shanghai")
    green_pin: bool = Field(description="a hall guide can give the green channel at a kiosk with a PIN")
    next_open_at: datetime | None = Field(description="when the hall next opens, while it is closed (within two weeks)")
    services: list[ServiceOut]
    windows: list[WindowOut]


class TicketIssued(BaseModel):
    id: str
    number: str
    service: str
    kind: str
    position: int = Field(description="1 means next")
    people_ahead: int
    eta_minutes: int
    token: str = Field(description="secret: needed to follow or cancel the ticket")
    issued_at: datetime
    business_day: date
    service_name: str
    hall_id: str
    hall_name: str
    slip_url: str = Field(description="the printable 80 mm slip (kiosk)")
    follow_url: str = Field(description="the phone page that follows the ticket (the slip's QR)")


class TicketStatus(BaseModel):
    id: str
    number: str
    service: str
    kind: str
    state: str
    position: int | None
    people_ahead: int
    eta_minutes: int
    recall_count: int
    issued_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    window: WindowRef | None
    service_name: str
    service_name_en: str
    hall_id: str
    hall_name: str


class StaffTicket(BaseModel):
    """A ticket as a clerk sees it: citizen data masked, never the raw ID number."""

    id: str
    number: str
    service: str
    kind: str
    state: str
    recall_count: int
    transfer_count: int
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    name_masked: str | None
    id_masked: str | None
    phone_masked: str | None
    note: str | None
    target_window: str | None = None
    slot_at: datetime | None = Field(
        default=None, description="an appointment ticket's slot start: the console shows it"
    )


class Queue(BaseModel):
    tickets: list[StaffTicket]


class WindowOpResult(BaseModel):
    window: WindowOut
    ticket: StaffTicket | None
    replayed: bool = Field(
        default=False,
        description="true when this Idempotency-Key was already run: nothing was done",
    )


class NoticeOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    position: int
    active: bool


class NoticeList(BaseModel):
    notices: list[NoticeOut]


class EventOut(BaseModel):
    seq: int
    type: str
    data: dict[str, object]
    at: datetime


class EventPage(BaseModel):
    hall: str
    epoch: str
    last_seq: int
    events: list[EventOut]


class CodeSent(BaseModel):
    expires_in: int = Field(description="seconds the code stays valid")
    resend_in: int = Field(description="seconds before another code may be asked for")


class CitizenSession(BaseModel):
    token: str = Field(description="send as `Authorization: Citizen <token>`")
    phone_masked: str
    expires_at: datetime


class CitizenTickets(BaseModel):
    phone_masked: str
    tickets: list[TicketStatus]
