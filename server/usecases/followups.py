"""Bad-review follow-ups (差评整改) and malicious ratings, for the hall's supervisors.

A follow-up moves open → called_back → rectified → closed; closing needs the response
the citizen reads on the phone page and gets by SMS (queued in the same transaction).
Its colour (red once overdue) is worked out when read, from the hall's calendar.
The list never opens the citizen's words: the detail view does (the phone to call
back and the comment), each view audited, as is every step and every rating marked
malicious. The phone is forgotten once the follow-up is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import audit
from ..domain import access
from ..domain import rating as rt
from ..domain.deadline import Colour, days_left
from ..domain.errors import InvalidInput, NotFound
from ..domain.events import NewEvent
from ..domain.message import SMS, Message
from ..domain.model import Actor
from ..notify import templates
from ..store import ratings_sql as sql
from .context import Context, HallInfo
from .stats_archive import refresh_rating_day

VIEWS = ("open", "all")


def _at(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def unknown_followup() -> NotFound:
    return NotFound("unknown_followup", "no such follow-up", "没有找到该整改记录")


@dataclass(frozen=True, slots=True)
class Row:
    item: sql.Item
    colour: Colour
    days_left: int | None

    def as_dict(self) -> dict[str, Any]:
        f, r = self.item.followup, self.item.rating
        return {
            "id": f.id, "state": f.state.value, "state_zh": rt.FOLLOWUP_ZH[f.state],
            "opened_at": f.opened_at.isoformat(), "due_day": f.due_day.isoformat(),
            "colour": self.colour.value, "overdue": self.colour is Colour.RED,
            "days_left": self.days_left, "call_note": f.call_note,
            "called_back_at": _at(f.called_back_at), "finding": f.finding,
            "rectification": f.rectification, "rectified_at": _at(f.rectified_at),
            "response": f.response, "closed_at": _at(f.closed_at),
            "contact": self.item.contact_masked,
            "rating": {
                "id": r.id, "level": int(r.level), "level_zh": rt.LEVEL_ZH[r.level],
                "reasons": [rt.REASONS.get(k, k) for k in r.reasons], "comment": r.comment,
                "has_comment": self.item.has_comment, "prompted_by": r.prompted_by,
                "delay_s": r.delay_s,
                "channel": r.channel, "rated_at": r.rated_at.isoformat(),
                "business_day": r.business_day.isoformat(), "ticket": self.item.ticket_number,
                "case": self.item.case_number, "window": self.item.window_number,
                "service": r.service, "malicious": r.malicious is not None,
                "malicious_reason": r.malicious.reason if r.malicious else None,
            },
        }  # fmt: skip


class Followups:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _row(self, info: HallInfo, item: sql.Item) -> Row:
        cal = info.clock.calendar
        f = item.followup
        today = info.clock.business_day(self.ctx.clock())
        closed = info.clock.business_day(f.closed_at) if f.closed_at else None
        colour = rt.colour(cal, f, today, closed)
        left = None if f.state is rt.FollowupState.CLOSED else days_left(cal, f.due_day, today)
        return Row(item, colour, left)

    async def list(self, actor: Actor, hall_id: str, view: str = "open") -> list[Row]:
        access.require_hall_manager(actor, hall_id)
        if view not in VIEWS:
            raise InvalidInput("view_invalid", "view: open or all", "view 须为 open 或 all",
                               field="view")  # fmt: skip
        info = await self.ctx.hall(hall_id)
        async with self.ctx.store.db.reader() as c:
            found = await sql.items(c, None, hall_id, open_only=view == "open")
        return [self._row(info, i) for i in found]

    async def _hall_of(self, actor: Actor, followup_id: str) -> str:
        async with self.ctx.store.db.reader() as c:
            f = await sql.followup(c, followup_id)
        if f is None:
            raise unknown_followup()
        access.require_hall_manager(actor, f.hall_id)
        return f.hall_id

    async def contact(self, actor: Actor, followup_id: str) -> dict[str, str | None]:
        """The citizen's own words and the phone to call back on, opened for this
        supervisor: one audit row per view."""
        hall_id = await self._hall_of(actor, followup_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            phone, masked = await sql.contact(tx.conn, tx.sealer, followup_id)
            [item] = await sql.items(tx.conn, tx.sealer, hall_id, followup_id=followup_id)
            tx.audit(audit.record(actor, hall_id, "followup.view_contact", followup_id,
                                  found=phone is not None,
                                  comment=item.rating.comment is not None))  # fmt: skip
        return {"phone": phone, "masked": masked or item.contact_masked,
                "comment": item.rating.comment}

    async def act(self, actor: Actor, followup_id: str, action: str,
                  text: dict[str, str | None]) -> Row:  # fmt: skip
        if action not in rt.ACTIONS:
            raise NotFound("unknown_action", "actions: call_back, rectify, close",
                           "操作须为回访、整改或办结")  # fmt: skip
        hall_id = await self._hall_of(actor, followup_id)
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            f = await sql.followup(tx.conn, followup_id, lock=tx.dialect.for_update)
            assert f is not None
            if action == "call_back":
                after = rt.call_back(f, actor.id, text.get("note"), now)
            elif action == "rectify":
                after = rt.rectify(f, actor.id, text.get("finding"), text.get("rectification"),
                                   now)  # fmt: skip
            else:
                after = rt.close(f, actor.id, text.get("response"), now)
            await sql.update_followup(tx.conn, after)
            [item] = await sql.items(tx.conn, None, hall_id, followup_id=f.id)
            if action == "close":
                phone, _ = await sql.contact(tx.conn, tx.sealer, f.id)
                if phone:
                    params = {"hall": info.hall.name,
                              "number": item.ticket_number or item.case_number or "",
                              "response": after.response or ""}  # fmt: skip
                    templates.check("rating_response", params)
                    tx.notify(Message(kind=SMS, recipient=phone, template="rating_response",
                                      params=params, idem_key=f"followup:{f.id}:closed",
                                      hall_id=hall_id))  # fmt: skip
                await sql.clear_contact(tx.conn, f.id)  # queued: no longer needed
            tx.audit(audit.record(actor, hall_id, f"followup.{action}", f.id,
                                  rating=f.rating_id, state=after.state.value))  # fmt: skip
        return self._row(info, item)

    async def mark_malicious(self, actor: Actor, rating_id: str, reason: str | None) -> None:
        """Kept in the record, out of the satisfaction rate; the reason is kept with it."""
        async with self.ctx.store.db.reader() as c:
            found = await sql.get(c, rating_id)
        if found is None:
            raise NotFound("unknown_rating", "no such rating", "没有找到该评价")
        access.require_hall_manager(actor, found.hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(found.hall_id, now) as tx:
            r = await sql.get(tx.conn, rating_id, lock=tx.dialect.for_update)
            assert r is not None
            m = rt.mark_malicious(r.malicious, actor, reason, now)
            await sql.mark_malicious(tx.conn, rating_id, m)
            tx.audit(audit.record(actor, r.hall_id, "rating.malicious", rating_id,
                                  reason=m.reason, level=int(r.level)))  # fmt: skip
            # The live figures drop it now; a frozen day's archived counts too.
            tx.emit(NewEvent("rating.malicious", {"rating": rating_id,
                                                  "day": r.business_day.isoformat()}))
            await refresh_rating_day(tx, r.hall_id, r.business_day)
        await self.ctx.publish(found.hall_id, tx.events)
