"""The matters catalog (事项): public listing and search, and its administration."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.matter import Matter
from ..usecases.matters import Labels
from . import schemas_matters as m
from .http import Endpoint, ok
from .state import signed_in, state


def matter_out(x: Matter, labels: Labels) -> m.MatterOut:
    return m.MatterOut(
        code=x.code, name=x.name, name_en=x.name_en, initials=x.initials,
        lead_department=x.lead_department,
        departments=[m.DepartmentRef(id=d, name=labels.departments.get(d, d),
                                     lead=d == x.lead_department) for d in x.departments],
        materials=[m.MaterialOut(key=a.key, name=a.name, originals=a.originals, copies=a.copies,
                                 required=a.required, waivable=a.waivable) for a in x.materials],
        promised_days=x.promised_days, legal_days=x.legal_days,
        intake_service=x.intake_service,
        intake_service_name=labels.services.get(x.intake_service, x.intake_service),
        pickup_service=x.pickup_service,
        pickup_service_name=labels.services.get(x.pickup_service, x.pickup_service),
        fees=x.fees, apply_at=x.apply_at, pickup_at=x.pickup_at, enabled=x.enabled,
    )  # fmt: skip


def _list(found: list[Matter], labels: Labels) -> Response:
    return ok(m.MatterList(matters=[matter_out(x, labels) for x in found]))


async def public_list(request: Request, _: Any) -> Response:
    matters, hall_id = state(request).matters, request.path_params["hall"]
    found = await matters.listing(hall_id, request.query_params.get("q"))
    return _list(found, await matters.labels(hall_id))


async def public_get(request: Request, _: Any) -> Response:
    matters, hall_id = state(request).matters, request.path_params["hall"]
    found = await matters.get(hall_id, request.path_params["code"])
    return ok(matter_out(found, await matters.labels(hall_id)))


async def admin_list(request: Request, _: Any) -> Response:
    matters, hall_id = state(request).matters, request.path_params["hall"]
    found = await matters.admin_listing(signed_in(request), hall_id)
    return _list(found, await matters.labels(hall_id, fresh=True))


async def save(request: Request, body: m.MatterIn) -> Response:
    matters, hall_id = state(request).matters, request.path_params["hall"]
    # Unset optional keys stay out, so the domain's defaults apply (m1, m2 … for keys).
    saved, created = await matters.save(signed_in(request), hall_id, request.path_params["code"],
                                        body.model_dump(exclude_none=True))  # fmt: skip
    return ok(matter_out(saved, await matters.labels(hall_id, fresh=True)), 201 if created else 200)


async def delete(request: Request, _: Any) -> Response:
    await state(request).matters.delete(
        signed_in(request), request.path_params["hall"], request.path_params["code"]
    )
    return Response(status_code=204)


# The largest matter parse_matter accepts (60 materials, 2000 characters of fees …) is
# over 100 KB when a client escapes every character (\uXXXX): above the server's limit.
MAX_BODY = 256 * 1024
_Q = (("q", "name substring, pinyin-initials prefix (sfz) or code prefix; up to 40 characters", False),)  # fmt: skip
ENDPOINTS = (
    Endpoint("GET", "/api/halls/{hall}/matters", public_list, "The hall's matters (事项) open for application, by code; q searches them", m.MatterList, tag="matters", query=_Q),
    Endpoint("GET", "/api/halls/{hall}/matters/{code}", public_get, "One matter: materials, departments, time limits, fees, where to apply and collect", m.MatterOut, tag="matters"),
    Endpoint("GET", "/api/admin/halls/{hall}/matters", admin_list, "Every matter of the hall, disabled ones too (admin, the hall's supervisor)", m.MatterList, auth=True, tag="admin"),
    Endpoint("PUT", "/api/admin/halls/{hall}/matters/{code}", save, "Create (201) or replace (200) a matter (admin, the hall's supervisor)", m.MatterOut, m.MatterIn, auth=True, tag="admin", also=(201,), max_body=MAX_BODY),
    Endpoint("DELETE", "/api/admin/halls/{hall}/matters/{code}", delete, "Remove a matter no case names; else 409 matter_in_use: disable it (admin, the hall's supervisor)", None, status=204, auth=True, tag="admin"),
)  # fmt: skip
