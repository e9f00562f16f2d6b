"""What the app holds for its requests: built once in create_app, reached through app.state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection, Request

from .. import proxy
from ..domain.errors import Forbidden, Unauthorized
from ..domain.model import Actor, Role, Ticket, Window
from ..metrics import Metrics
from ..settings import Settings
from ..usecases.applications import Applications
from ..usecases.appointments import Appointments
from ..usecases.audit_log import AuditLog
from ..usecases.case_query import CaseQuery
from ..usecases.case_tasks import CaseTasks
from ..usecases.cases import Cases
from ..usecases.check_in import CheckIns
from ..usecases.citizens import Citizens
from ..usecases.complaints import Complaints
from ..usecases.config import Config
from ..usecases.context import Context
from ..usecases.followups import Followups
from ..usecases.matters import Matters
from ..usecases.notices import Notices
from ..usecases.pickup import Pickup
from ..usecases.ratelimit import Limit
from ..usecases.rating_pads import Pads
from ..usecases.ratings import Ratings
from ..usecases.sessions import Sessions
from ..usecases.staff import Staff
from ..usecases.tickets import Tickets, TicketView
from ..usecases.windows import Windows
from . import schemas
from .http import BodyReader


@dataclass
class AppState:
    settings: Settings
    ctx: Context
    tickets: Tickets
    appointments: Appointments
    check_ins: CheckIns
    windows: Windows
    metrics: Metrics
    reader: BodyReader
    notices: Notices
    login_limit: Limit
    sessions: Sessions
    config: Config
    staff: Staff
    audit_log: AuditLog
    citizens: Citizens
    matters: Matters
    cases: Cases
    case_tasks: CaseTasks
    pickup: Pickup
    case_query: CaseQuery
    applications: Applications
    complaints: Complaints
    ratings: Ratings
    pads: Pads
    followups: Followups
    trusted: proxy.TrustedProxies = field(default_factory=proxy.TrustedProxies)
    redis: Any | None = None


def state(conn: HTTPConnection) -> AppState:
    st: AppState = conn.app.state.ow
    return st


async def authenticate(request: Request, pending_ok: bool) -> None:
    """Check ``Authorization: Bearer …`` (signature, expiry, session) for actor() to read."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    request.state.actor = None
    if scheme.lower() != "bearer" or not token:
        return
    request.state.actor = await state(request).sessions.authenticate(
        token.strip(),
        client=client_address(request),
        user_agent=user_agent(request),
        pending_ok=pending_ok,
    )


def _peer(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def client_address(conn: HTTPConnection) -> str:
    """The client's address: X-Forwarded-For only from a trusted proxy (server/proxy.py)."""
    forwarded = conn.headers.getlist("x-forwarded-for")
    return proxy.client_address(_peer(conn), forwarded, state(conn).trusted)


def public_base(conn: HTTPConnection) -> str:
    """Where citizens reach this server: the configured public address, else the one this
    request came to (with the scheme a trusted proxy in front saw)."""
    st = state(conn)
    if st.settings.public_url:
        return st.settings.public_url
    forwarded = conn.headers.getlist("x-forwarded-proto")
    scheme = proxy.forwarded_proto(_peer(conn), forwarded, st.trusted)
    base = conn.base_url.replace(scheme=scheme) if scheme else conn.base_url
    return str(base).rstrip("/")


def user_agent(conn: HTTPConnection) -> str:
    """As the audit log keeps it: bounded, whatever a client sends."""
    return conn.headers.get("user-agent", "")[:200]


def actor(conn: HTTPConnection, *, required: bool = True) -> Actor | None:
    """The signed-in staff member, as authenticate() found them."""
    who: Actor | None = getattr(conn.state, "actor", None)
    if who is None and required:
        raise Unauthorized("sign_in_required", "sign in first", "请先登录")
    return who


def signed_in(conn: HTTPConnection) -> Actor:
    who = actor(conn)
    assert who is not None
    return who


def require_role(who: Actor, *roles: Role) -> None:
    if who.role not in roles:
        raise Forbidden("role_forbidden", "your role may not do this", "您的角色无权执行此操作")


def window_out(w: Window, current: Ticket | None) -> schemas.WindowOut:
    return schemas.WindowOut(
        id=w.id,
        number=w.number,
        name=w.name,
        state=w.state.value,
        services=list(w.services),
        pause_reason=w.pause_reason,
        clerk_id=w.clerk_id,
        clerk_name=w.clerk_name,
        current=(
            schemas.CurrentTicket(
                number=current.number, service=current.service, state=current.state
            )
            if current is not None
            else None
        ),
    )


async def ticket_status(ctx: Context, view: TicketView) -> schemas.TicketStatus:
    """A ticket as its holder sees it: the HTTP answer and the ``ticket:`` topic's snapshot."""
    t = view.ticket
    info = await ctx.hall(t.hall_id)
    svc = info.services.get(t.service)
    w = await ctx.store.window(t.window_id) if t.window_id else None
    return schemas.TicketStatus(
        id=t.id,
        number=t.number,
        service=t.service,
        kind=t.kind.value,
        state=t.state.value,
        position=view.people_ahead + 1 if t.state == "waiting" else None,
        people_ahead=view.people_ahead,
        eta_minutes=view.eta_minutes,
        recall_count=t.recall_count,
        issued_at=t.issued_at,
        called_at=t.called_at,
        finished_at=t.finished_at,
        window=schemas.WindowRef(id=w.id, number=w.number, name=w.name) if w else None,
        service_name=svc.name if svc else t.service,
        service_name_en=svc.name_en if svc else t.service,
        hall_id=t.hall_id,
        hall_name=info.hall.name,
    )


def staff_ticket(t: Ticket) -> schemas.StaffTicket:
    return schemas.StaffTicket(
        id=t.id,
        number=t.number,
        service=t.service,
        kind=t.kind.value,
        state=t.state.value,
        recall_count=t.recall_count,
        transfer_count=t.transfer_count,
        issued_at=t.issued_at,
        called_at=t.called_at,
        started_at=t.started_at,
        finished_at=t.finished_at,
        name_masked=t.name_masked,
        id_masked=t.id_masked,
        phone_masked=t.phone_masked,
        note=t.note,
        target_window=t.target_window_id,
        slot_at=t.slot_at,
    )
