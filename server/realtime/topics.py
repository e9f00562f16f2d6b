"""Who may read which topic (docs/protocol.md, "Topics").

hall:{hall}      anyone: display-safe data only
window:{window}  the clerk signed in at that window, supervisors and admins of its hall
ticket:{ticket}  whoever holds the ticket's token (the citizen's phone)
dept:{dept}      the department's officers (its task inbox), and admins
pad:{window}     the window's rating pad, by the key it was paired with
"""

from __future__ import annotations

from ..api.state import AppState
from ..domain.errors import Forbidden, NotFound, Unauthorized
from ..domain.model import Actor, Role
from ..store.config_sql import dept_stream
from .protocol import Topic


async def authorize_topic(
    app: AppState, actor: Actor | None, topic: Topic, token: str | None
) -> str:
    """The hall the topic belongs to, if this peer may read it; raises otherwise."""
    if topic.kind == "hall":
        await app.ctx.hall(topic.key)
        return topic.key
    if topic.kind == "window":
        if actor is None:
            raise Unauthorized(
                "sign_in_required",
                "window topics are for signed-in staff",
                "窗口主题仅限登录的工作人员",
            )
        hall_id = await app.ctx.window_hall(topic.key)
        window = await app.ctx.store.window(topic.key)
        same_hall = actor.hall_id in (None, hall_id)
        boss = actor.role in (Role.SUPERVISOR, Role.ADMIN)
        if window is None or not same_hall or not (boss or window.clerk_id == actor.id):
            raise Forbidden(
                "topic_forbidden",
                "only the clerk signed in at this window and supervisors may follow it",
                "只有在该窗口登录的工作人员和值班主任可以订阅此窗口",
            )
        return hall_id
    if topic.kind == "ticket":
        if not token:
            raise Forbidden(
                "ticket_token_invalid", "a ticket topic needs its token", "订阅号票须提供号票凭证"
            )
        ticket = await app.tickets.get(topic.key, token)
        return ticket.ticket.hall_id
    if topic.kind == "pad":
        async with app.ctx.store.db.reader() as c:
            pad = await app.pads.check_key(c, topic.key, token)
        return pad.hall_id
    return await _dept(app, actor, topic.key)


async def _dept(app: AppState, actor: Actor | None, department: str) -> str:
    """A department's stream ('dept:' + id): its officers' live inbox."""
    if actor is None:
        raise Unauthorized("sign_in_required", "department topics are for signed-in officers",
                           "部门主题仅限登录的审批人员")  # fmt: skip
    if not (actor.role is Role.ADMIN or (actor.role is Role.OFFICER
                                         and actor.department_id == department)):  # fmt: skip
        raise Forbidden("topic_forbidden", "only the department's officers may follow it",
                        "只有本部门的审批人员可以订阅此主题")  # fmt: skip
    stream = dept_stream(department)
    if await app.ctx.store.stream_position(stream) is None:
        raise NotFound("unknown_department", f"no department {department!r}",
                       f"没有部门 {department}")  # fmt: skip
    return stream
