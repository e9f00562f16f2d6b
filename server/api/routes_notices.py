"""Notices for idle screens (信息推送); the waiting queue and moving tickets, for supervisors."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import access
from ..domain.errors import Forbidden
from ..domain.model import Role
from ..usecases.notices import Notice
from . import schemas
from .http import Endpoint, ok
from .state import actor, require_role, staff_ticket, state


def _out(n: Notice) -> schemas.NoticeOut:
    return schemas.NoticeOut(
        id=n.id, kind=n.kind, title=n.title, body=n.body, position=n.position, active=n.active
    )


async def list_notices(request: Request, _: Any) -> Response:
    st = state(request)
    found = await st.notices.list(request.path_params["hall"])
    return ok(schemas.NoticeList(notices=[_out(n) for n in found]))


async def create_notice(request: Request, body: schemas.NoticeIn) -> Response:
    st = state(request)
    who = actor(request)
    assert who is not None
    draft = Notice("", "", body.kind, body.title, body.body, body.position, body.active)
    return ok(_out(await st.notices.create(request.path_params["hall"], who, draft)), 201)


async def update_notice(request: Request, body: schemas.NoticePatch) -> Response:
    st = state(request)
    who = actor(request)
    assert who is not None
    changes = body.model_dump(exclude_unset=True)
    return ok(_out(await st.notices.update(request.path_params["notice"], who, changes)))


async def delete_notice(request: Request, _: Any) -> Response:
    st = state(request)
    who = actor(request)
    assert who is not None
    await st.notices.delete(request.path_params["notice"], who)
    return Response(status_code=204)


async def move_ticket(request: Request, body: schemas.TransferRequest) -> Response:
    st = state(request)
    who = actor(request)
    assert who is not None
    require_role(who, Role.SUPERVISOR, Role.ADMIN)
    t = await st.tickets.move(
        request.path_params["ticket"], who, body.service, body.window, body.keep_place, body.reason
    )
    return ok(staff_ticket(t))


async def queue(request: Request, _: Any) -> Response:
    st = state(request)
    who = actor(request)
    assert who is not None
    hall_id = request.path_params["hall"]
    await st.ctx.hall(hall_id)
    require_role(who, *access.QUEUE_ROLES)
    if who.hall_id not in (None, hall_id):
        raise Forbidden("other_hall", "that hall is not yours", "该大厅不属于您")
    found = await st.ctx.store.waiting(hall_id)
    return ok(schemas.Queue(tickets=[staff_ticket(t) for t in found]))


ENDPOINTS = (
    Endpoint("GET", "/api/halls/{hall}/queue", queue, "Waiting tickets in dispatch order (staff)", schemas.Queue, auth=True, tag="windows"),
    Endpoint("GET", "/api/halls/{hall}/notices", list_notices, "Active notices for idle screens", schemas.NoticeList, tag="notices"),
    Endpoint("POST", "/api/halls/{hall}/notices", create_notice, "Add a notice (supervisor)", schemas.NoticeOut, schemas.NoticeIn, status=201, auth=True, tag="notices"),
    Endpoint("PATCH", "/api/notices/{notice}", update_notice, "Change a notice (supervisor)", schemas.NoticeOut, schemas.NoticePatch, auth=True, tag="notices"),
    Endpoint("DELETE", "/api/notices/{notice}", delete_notice, "Remove a notice (supervisor)", None, status=204, auth=True, tag="notices"),
    Endpoint("POST", "/api/tickets/{ticket}/move", move_ticket, "Move a waiting ticket to another queue or window (supervisor)", schemas.StaffTicket, schemas.TransferRequest, auth=True, tag="windows"),
)  # fmt: skip
