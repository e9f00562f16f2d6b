"""Public and sign-in endpoints: health, login, the hall, tickets, the event stream."""

from __future__ import annotations

import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import qr
from ..domain.errors import InvalidInput
from ..domain.model import Channel, TicketKind
from ..usecases.tickets import IssueRequest, TicketView
from . import schemas
from .http import Endpoint, ok
from .routes_citizen import citizen_of
from .state import actor, client_address, public_base, state, ticket_status, window_out


async def healthz(request: Request, _: Any) -> Response:
    st = state(request)
    db = await st.ctx.store.ping()
    redis_ok: bool | None = None
    if st.redis is not None:
        try:
            redis_ok = bool(await st.redis.ping())
        except Exception:
            redis_ok = False
    healthy = db and redis_ok is not False
    body = schemas.Health(status="ok" if healthy else "degraded", database=db, redis=redis_ok,
                          worker=os.getpid())  # fmt: skip
    return ok(body, 200 if healthy else 503)


async def metrics(request: Request, _: Any) -> Response:
    st = state(request)
    healthy = getattr(st.ctx.bus, "healthy", None)  # only the Redis bus has one
    if healthy is not None:
        st.metrics.redis_up.set(1 if healthy else 0)
    for hall in await st.ctx.store.halls():
        info = await st.ctx.hall(hall.id)
        counts = await st.ctx.store.waiting_counts(hall.id)
        st.metrics.set_waiting(hall.id, list(info.services), counts)
    return Response(st.metrics.render(), media_type="text/plain; version=0.0.4")


async def hall_view(request: Request, _: Any) -> Response:
    st = state(request)
    hall_id = request.path_params["hall"]
    info = await st.ctx.hall(hall_id)
    counts = await st.ctx.store.waiting_counts(hall_id)
    etas = {code: await st.tickets.estimate(hall_id, code, counts.get(code, 0))
            for code in info.services}  # fmt: skip
    current = await st.ctx.store.current_tickets(hall_id)
    now = st.ctx.clock()
    return ok(
        schemas.HallOut(
            id=info.hall.id,
            name=info.hall.name,
            business_day=info.clock.business_day(now),
            open_now=info.clock.is_open(now),
            tz=info.hall.tz,
            green_pin=info.hall.green_pin_hash is not None,
            next_open_at=None if info.clock.is_open(now) else info.clock.next_opening(now),
            services=[
                schemas.ServiceOut(
                    code=s.code,
                    name=s.name,
                    name_en=s.name_en,
                    waiting=counts.get(s.code, 0),
                    channels=[c.value for c in s.channels],
                    eta_minutes=etas[s.code],
                    bookable=s.booking is not None,
                )
                for s in info.services.values()
            ],
            windows=[window_out(w, current.get(w.id)) for w in await st.ctx.store.windows(hall_id)],
        )
    )


async def issue_ticket(request: Request, body: schemas.IssueTicketRequest) -> Response:
    st = state(request)
    req = IssueRequest(
        service=body.service,
        kind=TicketKind(body.kind),
        channel=Channel(body.channel),
        id_number=body.id_number,
        phone=body.phone,
        name=body.name,
        green_reason=body.green_reason,
        staff_pin=body.staff_pin,
        lang=body.lang,
    )
    who = actor(request, required=False)
    citizen = await citizen_of(request)
    hall_id = request.path_params["hall"]
    view, token = await st.tickets.issue(
        hall_id, req, who, client_address(request), citizen.phone if citizen else None
    )
    return ok(await issued_out(request, hall_id, view, token), 201)


async def issued_out(
    request: Request, hall_id: str, view: TicketView, token: str
) -> schemas.TicketIssued:
    """A new ticket as its holder gets it: from the kiosk, the phone, or a check-in."""
    t = view.ticket
    info = await state(request).ctx.hall(hall_id)
    svc = info.services.get(t.service)
    return schemas.TicketIssued(
        id=t.id,
        number=t.number,
        service=t.service,
        kind=t.kind.value,
        position=view.people_ahead + 1,
        people_ahead=view.people_ahead,
        eta_minutes=view.eta_minutes,
        token=token,
        issued_at=t.issued_at,
        business_day=t.business_day,
        service_name=svc.name if svc else t.service,
        hall_id=hall_id,
        hall_name=info.hall.name,
        slip_url=f"/kiosk/{hall_id}/slip/{t.id}?token={token}",
        follow_url=qr.follow_url(public_base(request), t.id, token),
    )


async def _status(request: Request, view: TicketView) -> Response:
    return ok(await ticket_status(state(request).ctx, view))


def _token(request: Request) -> str:
    token = request.query_params.get("token", "")
    if not token:
        raise InvalidInput("token_required", "the ticket token is required", "缺少号票凭证 token")
    return token


async def get_ticket(request: Request, _: Any) -> Response:
    st = state(request)
    return await _status(
        request, await st.tickets.get(request.path_params["ticket"], _token(request))
    )


async def cancel_ticket(request: Request, _: Any) -> Response:
    st = state(request)
    return await _status(
        request, await st.tickets.cancel(request.path_params["ticket"], _token(request))
    )


async def events(request: Request, _: Any) -> Response:
    st = state(request)
    hall_id = request.path_params["hall"]
    await st.ctx.hall(hall_id)
    try:
        after = int(request.query_params.get("after", "0"))
        limit = min(max(int(request.query_params.get("limit", "500")), 1), 1000)
    except ValueError as exc:
        raise InvalidInput(
            "invalid_request", "after and limit must be integers", "after 与 limit 须为整数"
        ) from exc
    position = await st.ctx.store.stream_position(hall_id)
    assert position is not None  # every hall has a stream
    found = await st.ctx.store.read_events(hall_id, after, limit)
    return ok(
        schemas.EventPage(
            hall=hall_id,
            epoch=position[0],
            last_seq=position[1],
            events=[schemas.EventOut(seq=e.seq, type=e.type, data=e.data, at=e.at) for e in found],
        )
    )


ENDPOINTS = (
    Endpoint("GET", "/healthz", healthz, "Health: database (and Redis) reachable", schemas.Health, tag="ops"),
    Endpoint("GET", "/metrics", metrics, "Prometheus metrics", tag="ops"),
    Endpoint("GET", "/api/halls/{hall}", hall_view, "The hall: services with waiting counts, windows (public, masked)", schemas.HallOut),
    Endpoint("GET", "/api/halls/{hall}/events", events, "Read the hall's event stream after a position", schemas.EventPage,
             query=(("after", "seq to read after (default 0)", False), ("limit", "at most this many (1–1000)", False))),
    Endpoint("POST", "/api/halls/{hall}/tickets", issue_ticket, "Take a ticket (取号)", schemas.TicketIssued, schemas.IssueTicketRequest, status=201),
    Endpoint("GET", "/api/tickets/{ticket}", get_ticket, "Follow a ticket", schemas.TicketStatus,
             query=(("token", "the ticket's secret token", True),)),
    Endpoint("DELETE", "/api/tickets/{ticket}", cancel_ticket, "Cancel a waiting ticket", schemas.TicketStatus,
             query=(("token", "the ticket's secret token", True),)),
)  # fmt: skip
