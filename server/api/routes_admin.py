"""Configuration of halls, their calendars, services and windows (admin; supervisors in part)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.appointment import BookingRules
from ..domain.errors import InvalidInput
from ..domain.model import Channel, Hall, Service, Window
from . import schemas_admin as m
from .http import Endpoint, ok
from .state import signed_in, state


def hall_out(h: Hall) -> m.HallConfig:
    return m.HallConfig(id=h.id, name=h.name, tz=h.tz, region_code=h.region_code,
                        hours=h.hours, calendar=h.calendar, notify_issued=h.notify_issued,
                        advance_notice=h.advance_notice,
                        green_pin_set=h.green_pin_hash is not None)  # fmt: skip


def service_out(s: Service) -> m.ServiceConfig:
    return m.ServiceConfig(code=s.code, name=s.name, name_en=s.name_en,
                           avg_service_s=s.avg_service_s,
                           channels=[c.value for c in s.channels],
                           daily_quota=s.daily_quota,
                           booking=s.booking.to_json() if s.booking else None)  # fmt: skip


def window_out(w: Window) -> m.WindowConfig:
    return m.WindowConfig(id=w.id, number=w.number, name=w.name, services=list(w.services),
                          department=w.department_id, state=w.state.value)  # fmt: skip


def _service_fields(body: m.ServiceIn | m.ServicePatch) -> dict[str, Any]:
    """The fields given (all of them when creating), as the domain names them."""
    fields = m.given(body, "code", nullable=("daily_quota", "booking"))
    if fields.get("booking") is not None:
        fields["booking"] = BookingRules.from_json(fields["booking"])
    if "channels" in fields:
        fields["channels"] = tuple(dict.fromkeys(Channel(c) for c in fields["channels"]))
    return fields


def _window_fields(body: m.WindowIn | m.WindowPatch) -> dict[str, Any]:
    fields = m.given(body, "id", nullable=("department",))
    if "department" in fields:
        fields["department_id"] = fields.pop("department")
    if "services" in fields:
        fields["services"] = tuple(sorted(set(fields["services"])))
    return fields


async def list_halls(request: Request, _: Any) -> Response:
    found = await state(request).config.halls(signed_in(request))
    return ok(m.HallList(halls=[hall_out(h) for h in found]))


async def create_hall(request: Request, body: m.HallIn) -> Response:
    h = Hall(body.id, body.name, body.tz, body.hours, body.calendar, body.region_code,
             body.notify_issued, body.advance_notice)
    return ok(hall_out(await state(request).config.create_hall(signed_in(request), h)), 201)


async def get_hall(request: Request, _: Any) -> Response:
    h = await state(request).config.hall(signed_in(request), request.path_params["hall"])
    return ok(hall_out(h))


async def update_hall(request: Request, body: m.HallPatch) -> Response:
    changes = m.given(body, "id", nullable=("region_code", "green_pin"))
    h = await state(request).config.update_hall(
        signed_in(request), request.path_params["hall"], changes
    )
    return ok(hall_out(h))


async def put_calendar_year(request: Request, body: m.CalendarYear) -> Response:
    try:
        year = int(request.path_params["year"])
    except ValueError as exc:
        raise InvalidInput("calendar_invalid", "the year is a number", "年份须为数字",
                           field="year") from exc  # fmt: skip
    h = await state(request).config.set_calendar_year(
        signed_in(request), request.path_params["hall"], year, body.days
    )
    return ok(hall_out(h))


async def list_services(request: Request, _: Any) -> Response:
    found = await state(request).config.services(signed_in(request), request.path_params["hall"])
    return ok(m.ServiceList(services=[service_out(s) for s in found]))


async def create_service(request: Request, body: m.ServiceIn) -> Response:
    s = await state(request).config.save_service(
        signed_in(request), request.path_params["hall"], body.code,
        _service_fields(body), create=True,
    )  # fmt: skip
    return ok(service_out(s), 201)


async def update_service(request: Request, body: m.ServicePatch) -> Response:
    fields = _service_fields(body)
    s = await state(request).config.save_service(
        signed_in(request), request.path_params["hall"], request.path_params["code"], fields,
        create=False,
    )  # fmt: skip
    return ok(service_out(s))


async def delete_service(request: Request, _: Any) -> Response:
    await state(request).config.delete_service(
        signed_in(request), request.path_params["hall"], request.path_params["code"]
    )
    return Response(status_code=204)


async def list_windows(request: Request, _: Any) -> Response:
    found = await state(request).config.windows(signed_in(request), request.path_params["hall"])
    return ok(m.WindowList(windows=[window_out(w) for w in found]))


async def create_window(request: Request, body: m.WindowIn) -> Response:
    fields = _window_fields(body)
    w = Window(id=body.id or "", hall_id="", **fields)
    w = await state(request).config.create_window(signed_in(request), request.path_params["hall"], w)
    return ok(window_out(w), 201)


async def update_window(request: Request, body: m.WindowPatch) -> Response:
    fields = _window_fields(body)
    w = await state(request).config.update_window(
        signed_in(request), request.path_params["window"], fields
    )
    return ok(window_out(w))


async def delete_window(request: Request, _: Any) -> Response:
    await state(request).config.delete_window(signed_in(request), request.path_params["window"])
    return Response(status_code=204)


ENDPOINTS = (
    Endpoint("GET", "/api/admin/halls", list_halls, "Halls (admin; a supervisor sees theirs)", m.HallList, auth=True, tag="admin"),
    Endpoint("POST", "/api/admin/halls", create_hall, "Create a hall (admin)", m.HallConfig, m.HallIn, status=201, auth=True, tag="admin"),
    Endpoint("GET", "/api/admin/halls/{hall}", get_hall, "A hall's configuration", m.HallConfig, auth=True, tag="admin"),
    Endpoint("PATCH", "/api/admin/halls/{hall}", update_hall, "Change a hall's name, time zone, region code, hours, SMS settings or green-channel PIN (admin)", m.HallConfig, m.HallPatch, auth=True, tag="admin"),
    Endpoint("PUT", "/api/admin/halls/{hall}/calendar/{year}", put_calendar_year, "Replace a year of the holiday calendar (admin, the hall's supervisor)", m.HallConfig, m.CalendarYear, auth=True, tag="admin"),
    Endpoint("GET", "/api/admin/halls/{hall}/services", list_services, "A hall's services", m.ServiceList, auth=True, tag="admin"),
    Endpoint("POST", "/api/admin/halls/{hall}/services", create_service, "Add a service (admin)", m.ServiceConfig, m.ServiceIn, status=201, auth=True, tag="admin"),
    Endpoint("PATCH", "/api/admin/halls/{hall}/services/{code}", update_service, "Change a service (admin)", m.ServiceConfig, m.ServicePatch, auth=True, tag="admin"),
    Endpoint("DELETE", "/api/admin/halls/{hall}/services/{code}", delete_service, "Remove a service no ticket waits for and no window serves (admin)", None, status=204, auth=True, tag="admin"),
    Endpoint("GET", "/api/admin/halls/{hall}/windows", list_windows, "A hall's windows", m.WindowList, auth=True, tag="admin"),
    Endpoint("POST", "/api/admin/halls/{hall}/windows", create_window, "Add a window (admin, the hall's supervisor)", m.WindowConfig, m.WindowIn, status=201, auth=True, tag="admin"),
    Endpoint("PATCH", "/api/admin/windows/{window}", update_window, "Change a window (admin, the hall's supervisor)", m.WindowConfig, m.WindowPatch, auth=True, tag="admin"),
    Endpoint("DELETE", "/api/admin/windows/{window}", delete_window, "Remove a closed window (admin, the hall's supervisor)", None, status=204, auth=True, tag="admin"),
)  # fmt: skip
