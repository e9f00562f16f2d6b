"""Information push (信息推送): notices that idle hall screens rotate through.

Supervisors manage them; every change is an event on the hall's stream, so
boards learn of it the same way they learn of calls.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from .. import audit
from ..domain import access
from ..domain.errors import NotFound
from ..domain.events import NewEvent
from ..domain.model import Actor
from .context import Context

KINDS = ("policy", "materials", "hours", "general")


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    hall_id: str
    kind: str
    title: str
    body: str
    position: int = 0
    active: bool = True


def _changed(action: str, notice: Notice) -> NewEvent:
    return NewEvent("notice.changed", {"notice": notice.id, "action": action})


class Notices:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def list(self, hall_id: str, *, active_only: bool = True) -> list[Notice]:
        await self.ctx.hall(hall_id)
        rows = await self.ctx.store.notices(hall_id, active_only=active_only)
        return [Notice(**r) for r in rows]

    async def create(self, hall_id: str, actor: Actor, draft: Notice) -> Notice:
        await self.ctx.hall(hall_id)
        access.require_hall_manager(actor, hall_id)
        notice = replace(draft, id=uuid.uuid4().hex, hall_id=hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            await tx.save_notice(_fields(notice), insert=True)
            tx.emit(_changed("created", notice))
            tx.audit(audit.record(actor, hall_id, "config.notice.created", notice.id,
                                  **audit.changes({}, _fields(notice))))  # fmt: skip
        await self.ctx.publish(hall_id, tx.events)
        return notice

    async def update(self, notice_id: str, actor: Actor, changes: dict[str, object]) -> Notice:
        current = await self._get(notice_id)
        access.require_hall_manager(actor, current.hall_id)
        notice = replace(current, **changes)  # type: ignore[arg-type]
        async with self.ctx.store.write(current.hall_id, self.ctx.clock()) as tx:
            await tx.save_notice(_fields(notice), insert=False)
            tx.emit(_changed("updated", notice))
            tx.audit(audit.record(actor, current.hall_id, "config.notice.updated", notice.id,
                                  **audit.changes(_fields(current), _fields(notice))))  # fmt: skip
        await self.ctx.publish(current.hall_id, tx.events)
        return notice

    async def delete(self, notice_id: str, actor: Actor) -> None:
        current = await self._get(notice_id)
        access.require_hall_manager(actor, current.hall_id)
        async with self.ctx.store.write(current.hall_id, self.ctx.clock()) as tx:
            await tx.delete_notice(notice_id)
            tx.emit(_changed("deleted", current))
            tx.audit(audit.record(actor, current.hall_id, "config.notice.deleted", notice_id,
                                  before=_fields(current)))  # fmt: skip
        await self.ctx.publish(current.hall_id, tx.events)

    async def _get(self, notice_id: str) -> Notice:
        found = await self.ctx.store.notice(notice_id)
        if found is None:
            raise NotFound("unknown_notice", "no such notice", "没有该公告")
        return Notice(**found)


def _fields(n: Notice) -> dict[str, object]:
    return {
        "id": n.id,
        "hall_id": n.hall_id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "position": n.position,
        "active": n.active,
    }
