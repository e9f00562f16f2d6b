"""Models of the administration API: halls, services, windows, departments, staff, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictInt  # request numbers: JSON true is no 1

from ..domain.config import ID_MAX, ID_PATTERN, SERVICE_CODE_PATTERN
from ..domain.errors import InvalidInput
from .schemas import Roles, Strict

Id = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)
Name = Field(min_length=1, max_length=60)
Hours = dict[str, list[list[str]]]
ChannelName = Literal["kiosk", "phone", "window"]


class HallIn(Strict):
    id: str = Id
    name: str = Name
    tz: str = Field(default="Asia/Shanghai", max_length=64)
    region_code: str | None = Field(default=None, max_length=6)
    hours: Hours
    calendar: dict[str, bool] = Field(default_factory=dict)
    notify_issued: bool = Field(default=False, description="confirm each ticket that carries a phone by SMS")
    advance_notice: StrictInt = Field(default=3, ge=0, le=50, description="notify a citizen this many people ahead (0: never)")


class HallPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    tz: str | None = Field(default=None, max_length=64)
    region_code: str | None = Field(default=None, max_length=6)
    hours: Hours | None = None
    notify_issued: bool | None = None
    advance_notice: StrictInt | None = Field(default=None, ge=0, le=50)
    green_pin: str | None = Field(default=None, max_length=8, description="the PIN a hall guide types at the kiosk to give the green channel (4–8 digits); null removes it")


class HallConfig(BaseModel):
    id: str
    name: str
    tz: str
    region_code: str | None
    hours: Hours
    calendar: dict[str, bool]
    notify_issued: bool
    advance_notice: int
    green_pin_set: bool


class HallList(BaseModel):
    halls: list[HallConfig]


class CalendarYear(Strict):
    days: dict[str, bool] = Field(description='{"2027-01-01": false (holiday), "2027-02-07": true (make-up day)}')


class ServiceIn(Strict):
    code: str = Field(pattern=SERVICE_CODE_PATTERN, description="ticket prefix, e.g. A")
    name: str = Name
    name_en: str = Field(default="", max_length=80)
    avg_service_s: StrictInt = Field(default=300, ge=30, le=14400)
    channels: list[ChannelName] = Field(default=["kiosk", "phone", "window"], min_length=1)
    daily_quota: StrictInt | None = Field(default=None, ge=0, le=100000)
    booking: dict[str, Any] | None = Field(
        default=None,
        description="online appointments: slot_minutes, capacity, spans [[from, to]],"
        " days_ahead, checkin_before_min, no_show_limit, no_show_window_days, ban_days,"
        " reminder_at; null: not bookable",
    )


class ServicePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    name_en: str | None = Field(default=None, max_length=80)
    avg_service_s: StrictInt | None = Field(default=None, ge=30, le=14400)
    channels: list[ChannelName] | None = Field(default=None, min_length=1)
    daily_quota: StrictInt | None = Field(default=None, ge=0, le=100000)
    booking: dict[str, Any] | None = Field(
        default=None,
        description="online appointments: slot_minutes, capacity, spans [[from, to]],"
        " days_ahead, checkin_before_min, no_show_limit, no_show_window_days, ban_days,"
        " reminder_at; null: not bookable",
    )


class ServiceConfig(BaseModel):
    code: str
    name: str
    name_en: str
    avg_service_s: int
    channels: list[ChannelName]
    daily_quota: int | None
    booking: dict[str, Any] | None


class ServiceList(BaseModel):
    services: list[ServiceConfig]


class WindowIn(Strict):
    id: str | None = Field(default=None, min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)
    number: StrictInt = Field(ge=1, le=999)
    name: str = Name
    services: list[str] = Field(default_factory=list, max_length=26)
    department: str | None = Field(default=None, max_length=40)


class WindowPatch(Strict):
    number: StrictInt | None = Field(default=None, ge=1, le=999)
    name: str | None = Field(default=None, min_length=1, max_length=60)
    services: list[str] | None = Field(default=None, max_length=26)
    department: str | None = Field(default=None, max_length=40)


class WindowConfig(BaseModel):
    id: str
    number: int
    name: str
    services: list[str]
    department: str | None
    state: str


class WindowList(BaseModel):
    windows: list[WindowConfig]


class DepartmentIn(Strict):
    id: str = Id
    name: str = Name
    name_en: str = Field(default="", max_length=80)
    kind: Literal["front", "back"]
    halls: list[str] = Field(default_factory=list, max_length=50)


class DepartmentPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    name_en: str | None = Field(default=None, max_length=80)
    kind: Literal["front", "back"] | None = None
    halls: list[str] | None = Field(default=None, max_length=50)


class DepartmentConfig(BaseModel):
    id: str
    name: str
    name_en: str
    kind: Literal["front", "back"]
    halls: list[str]


class DepartmentList(BaseModel):
    departments: list[DepartmentConfig]


class UserIn(Strict):
    username: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    display_name: str = Name
    role: Roles
    hall: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=40)
    password: str = Field(min_length=1, max_length=128)


class UserPatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=60)
    role: Roles | None = None
    hall: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=40)
    enabled: bool | None = None


class PasswordReset(Strict):
    password: str = Field(min_length=1, max_length=128)


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: Roles
    hall: str | None
    department: str | None
    enabled: bool
    must_change_password: bool
    created_at: datetime | None


class UserList(BaseModel):
    users: list[UserOut]


class AuditEntry(BaseModel):
    id: str
    hall: str | None
    seq: int
    at: datetime
    actor: str | None
    actor_id: str | None
    role: str | None
    action: str
    target: str | None
    client: str | None
    user_agent: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next: str | None = Field(description="pass as `before` for the next (older) page")


def given(body: BaseModel, key: str, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """What a request sets, without its key: every field of a creation model (``…In``),
    only those sent for a patch. A patch may clear only the ``nullable`` fields."""
    create = type(body).__name__.endswith("In")
    fields = body.model_dump(exclude_unset=not create, exclude={key})
    for name, value in fields.items():
        if value is None and name not in nullable and not create:
            raise InvalidInput(
                "invalid_request", f"{name} cannot be null", f"{name} 不能为空", field=name
            )
    return fields
