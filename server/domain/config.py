"""Rules of a hall's configuration that are not a field's type: no I/O, errors name the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendar import OpeningHours, WorkCalendar
from .errors import InvalidInput
from .events import NewEvent
from .model import Department, DepartmentKind, Role, Service, User, Window

_REGION = re.compile(r"^\d{6}$")
# Ids of halls, windows and departments: they go into URLs, topics and audit chains
# ("hall/window"), so no slash, no space. A service code is its ticket prefix.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
ID_MAX = 40
SERVICE_CODE_PATTERN = r"^[A-Z]{1,2}$"


def check_tz(tz: str, field: str = "tz") -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            "tz_invalid", f"no such time zone: {tz!r}", f"时区不存在：{tz}", field=field
        ) from exc
    return tz


def check_hours(hours: object, field: str = "hours") -> dict[str, list[list[str]]]:
    """Valid weekly hours, normalized; overlapping or inverted periods are refused."""
    try:
        return OpeningHours.from_json(hours).to_json()
    except InvalidInput as err:
        err.field = f"{field}.{err.field}" if err.field else field
        raise


def check_calendar(calendar: object, field: str = "calendar") -> dict[str, bool]:
    try:
        return WorkCalendar.from_json(calendar).to_json()
    except InvalidInput as err:
        err.field = field
        raise


def replace_year(calendar: Mapping[str, bool], year: int, days: Mapping[str, bool]) -> dict[str, bool]:
    """The calendar with every entry of ``year`` replaced by ``days`` (a year's holiday notice)."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("calendar_invalid", "year out of range", "年份超出范围", field="year")
    fresh = check_calendar(dict(days), "days")
    for key in fresh:
        if date.fromisoformat(key).year != year:
            raise InvalidInput(
                "calendar_invalid",
                f"{key} is not in {year}",
                f"{key} 不属于 {year} 年",
                field=f"days.{key}",
            )
    kept = {k: v for k, v in calendar.items() if not k.startswith(f"{year}-")}
    return dict(sorted({**kept, **fresh}.items()))


def check_region(code: str | None) -> str | None:
    if code is not None and not _REGION.match(code):
        raise InvalidInput(
            "region_code_invalid",
            "the region code has six digits (e.g. 370102)",
            "行政区划代码应为 6 位数字，如 370102",
            field="region_code",
        )
    return code


def check_advance_notice(n: int) -> int:
    if not 0 <= n <= 50:
        raise InvalidInput(
            "advance_notice_invalid",
            "the advance notice is sent at 0 (never) to 50 people ahead",
            "提前提醒人数应在 0（不提醒）到 50 之间",
            field="advance_notice",
        )
    return n


def check_pin(pin: str) -> str:
    """A hall guide's green-channel PIN: 4 to 8 digits, typed on the kiosk keypad."""
    if not (4 <= len(pin) <= 8 and pin.isascii() and pin.isdigit()):
        raise InvalidInput(
            "green_pin_invalid",
            "the green-channel PIN has 4 to 8 digits",
            "绿色通道授权码应为 4 到 8 位数字",
            field="green_pin",
        )
    return pin


def check_window_services(w: Window, services: Mapping[str, Service]) -> None:
    for i, code in enumerate(w.services):
        if code not in services:
            raise InvalidInput(
                "unknown_service",
                f"the hall has no service {code!r}",
                f"本大厅没有业务类型 {code}",
                field=f"services.{i}",
            )


def check_department(
    dept_id: str | None, hall_id: str | None, known: Mapping[str, Department], field: str
) -> None:
    if dept_id is None:
        return
    dept = known.get(dept_id)
    if dept is None:
        raise InvalidInput(
            "unknown_department", f"no department {dept_id!r}", f"没有部门 {dept_id}", field=field
        )
    if hall_id is not None and hall_id not in dept.halls:
        raise InvalidInput(
            "department_not_in_hall",
            f"department {dept_id} does not serve hall {hall_id}",
            f"部门 {dept.name} 不在该大厅办公",
            field=field,
        )


def check_user_scope(u: User, departments: Mapping[str, Department]) -> None:
    """Admins are above halls; supervisors and clerks belong to one; officers to a department."""
    if u.role is Role.ADMIN and u.hall_id is not None:
        raise InvalidInput(
            "scope_invalid", "an admin belongs to no hall", "系统管理员不属于某个大厅", field="hall"
        )
    if u.role in (Role.SUPERVISOR, Role.CLERK) and u.hall_id is None:
        raise InvalidInput(
            "scope_invalid", "this role needs a hall", "该角色须指定所属大厅", field="hall"
        )
    if u.role is Role.OFFICER:
        dept = departments.get(u.department_id or "")
        if dept is None or dept.kind is not DepartmentKind.BACK:
            raise InvalidInput(
                "scope_invalid",
                "an officer belongs to a back-office department",
                "审批人员须属于后台审批部门",
                field="department",
            )
    check_department(u.department_id, u.hall_id, departments, "department")


def config_event(what: str, action: str, key: str, **extra: Any) -> NewEvent:
    """``config.changed``: open boards and consoles reload what it names."""
    return NewEvent("config.changed", {"what": what, "action": action, "id": key, **extra})


def window_changed(action: str, w: Window) -> NewEvent:
    # "window" routes the event to that window's topic too: its console follows.
    return config_event(
        "window", action, w.id, window=w.id, window_number=w.number, window_name=w.name,
        services=list(w.services),
    )  # fmt: skip
