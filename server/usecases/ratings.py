"""Rating a served ticket (on the window's pad, or on the phone with the ticket's token)
or a collected case (on its status page, by 受理编号 and the full ID number of its
applicant or collector: the masked ID staff see is no credential).

Each rating is one transaction: the rating row, the follow-up a bottom-two level opens
(with the phone the citizen left to be called back on, sealed), the audit row, the
event, and the archive's counts if the day of service is frozen already. The event
carries no level: the clerk's console and the public board learn that a rating was
made, never which. No endpoint changes a rating once made.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import audit
from ..domain import identity
from ..domain import rating as rt
from ..domain.case import Case, CaseState
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from ..domain.events import NewEvent
from ..domain.model import Ticket, TicketState
from ..store import cases_sql
from ..store import ratings_sql as sql
from ..store.db import Conn, UniqueViolation
from ..store.tx import Tx
from .case_query import check_case_number
from .context import Context, HallInfo
from .ratelimit import Limit, RateLimiter
from .rating_pads import Pads, prompted_at
from .stats_archive import refresh_rating_day
from .tickets import token_hash

RATED_CASE_STATES = (CaseState.PICKED_UP, CaseState.MAILED, CaseState.ARCHIVED)
# A case's rating is found by 受理编号 + full ID number: a budget per client, and one per
# number, each counted before the answer (a burst cannot outrun it).
CASE_RATING_LIMIT = Limit(20, 600)
CASE_NUMBER_LIMIT = Limit(30, 86400)


@dataclass(frozen=True, slots=True)
class RatingInput:
    level: object
    reasons: tuple[str, ...] = ()
    comment: str | None = None
    phone: str | None = None  # left to be called back about a bad rating: the consent


@dataclass(frozen=True, slots=True)
class Status:
    """What the citizen's page shows: may they rate, until when, and what they said."""

    can_rate: bool
    rate_until: date | None
    rating: sql.Rating | None
    followup: rt.Followup | None

    def as_dict(self) -> dict[str, Any]:
        r, f = self.rating, self.followup
        return {
            "can_rate": self.can_rate,
            "rate_until": self.rate_until.isoformat() if self.rate_until else None,
            "rating": None if r is None else {
                "level": int(r.level), "level_zh": rt.LEVEL_ZH[r.level],
                "reasons": list(r.reasons), "channel": r.channel,
                "rated_at": r.rated_at.isoformat(),
            },
            # The citizen sees the answer once the follow-up is closed, not the staff's notes.
            "followup": None if f is None else {
                "state": f.state.value, "state_zh": rt.FOLLOWUP_ZH[f.state],
                "response": f.response,
                "closed_at": f.closed_at.isoformat() if f.closed_at else None,
            },
        }  # fmt: skip


def unknown_ticket() -> NotFound:
    return NotFound("unknown_ticket", "no such ticket", "没有该号票")


class Ratings:
    def __init__(self, ctx: Context, pads: Pads, limiter: RateLimiter) -> None:
        self.ctx = ctx
        self.pads = pads
        self.limiter = limiter

    # --- tickets ----------------------------------------------------------------------

    async def _ticket(self, ticket_id: str, token: str) -> Ticket:
        t = await self.ctx.store.ticket(ticket_id)
        if t is None:
            raise unknown_ticket()
        if not token or not hmac.compare_digest(t.token_hash, token_hash(token)):
            raise Forbidden("ticket_token_invalid", "wrong ticket token", "号票凭证不正确")
        return t

    async def ticket_status(self, ticket_id: str, token: str) -> Status:
        t = await self._ticket(ticket_id, token)
        info = await self.ctx.hall(t.hall_id)
        async with self.ctx.store.db.reader() as c:
            return await self._status(c, info, await sql.of_ticket(c, t.id),
                                      t.business_day if t.state is TicketState.DONE else None)  # fmt: skip

    async def rate_ticket(self, ticket_id: str, token: str, given: RatingInput) -> Status:
        """On the phone, with the ticket's token: until 5 working days after service."""
        t = await self._ticket(ticket_id, token)
        choice = rt.choose(given.level, given.reasons, given.comment)
        phone = identity.validate_phone(given.phone) if given.phone else None
        info = await self.ctx.hall(t.hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(t.hall_id, now) as tx:
            t = await tx.ticket(t.id) or t
            if t.state is not TicketState.DONE:
                raise Conflict("not_served", "a ticket is rated after its service",
                               "业务办结后才能评价")  # fmt: skip
            rt.check_unrated(await sql.of_ticket(tx.conn, t.id))
            rt.check_window(info.clock.calendar, t.business_day, info.clock.business_day(now))
            r = await self._ticket_rating(tx, info, t, "phone", choice, None)
            await self._record(tx, info, r, phone, t.number)
        await self.ctx.publish_all(tx.events)
        return await self.ticket_status(ticket_id, token)

    async def rate_at_pad(self, window_id: str, key: str | None, ticket_id: str,
                          given: RatingInput) -> sql.Rating:  # fmt: skip
        """On the window's paired pad: the ticket just finished there, while prompted."""
        choice = rt.choose(given.level, given.reasons, given.comment)
        phone = identity.validate_phone(given.phone) if given.phone else None
        hall_id = await self.ctx.window_hall(window_id)
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            pad = await self.pads.check_key(tx.conn, window_id, key)
            t = await tx.ticket(ticket_id)
            latest = await sql.latest_done(tx.conn, hall_id, window_id,
                                           info.clock.business_day(now))  # fmt: skip
            at = prompted_at(pad, latest["id"], latest["finished_at"]) if latest else None
            rt.check_unrated(await sql.of_ticket(tx.conn, ticket_id))
            rt.pad_may_rate(ticket_window=t.window_id if t else None, pad_window=window_id,
                            served=t is not None and t.state is TicketState.DONE,
                            latest_done=latest["id"] if latest else None, ticket_id=ticket_id,
                            prompted_at=at, now=now)  # fmt: skip
            assert t is not None and latest is not None and at is not None
            # The clerk's 请评价 after the finish, or the finish's own prompt: kept with it.
            how = "reprompt" if at > latest["finished_at"] else "finish"
            r = await self._ticket_rating(tx, info, t, "pad", choice, how)
            await self._record(tx, info, r, phone, t.number)
        await self.ctx.publish_all(tx.events)
        return r

    async def _ticket_rating(self, tx: Tx, info: HallInfo, t: Ticket, channel: str,
                             choice: rt.Choice, how: str | None) -> sql.Rating:  # fmt: skip
        # Who served it, as the ticket recorded; for tickets served before it did, the
        # clerk still at the window on the day of service.
        clerk = await sql.served_by(tx.conn, t.id)
        if clerk is None and t.window_id and info.clock.business_day(tx.now) == t.business_day:
            w = await tx.window(t.window_id, lock=False)
            clerk = w.clerk_id if w is not None else None
        return sql.Rating(
            id=uuid.uuid4().hex, hall_id=t.hall_id, channel=channel, level=choice.level,
            reasons=choice.reasons, business_day=t.business_day, rated_at=tx.now,
            ticket_id=t.id, service=t.service, window_id=t.window_id,
            clerk_id=clerk, comment=choice.comment, prompted_by=how,
            delay_s=rt.delay_s(t.finished_at, tx.now) if t.finished_at else None,
        )  # fmt: skip

    # --- cases ------------------------------------------------------------------------

    async def _case(self, number: str, id_number: str, client: str) -> Case:
        """The case of this 受理编号 if the full ID number is its applicant's or its
        collector's; anything else answers as an unknown number does. Both budgets are
        counted before the lookup, so a burst of guesses cannot outrun them."""
        wanted = check_case_number(number)
        today = self.ctx.clock().date()
        try:
            given = identity.validate_id_number(id_number, today)
        except InvalidInput as e:
            raise InvalidInput(e.code, e.message, e.message_zh, field="id_number") from e
        for key, limit in ((f"case-rating:{client}", CASE_RATING_LIMIT),
                           (f"case-rating-number:{wanted}", CASE_NUMBER_LIMIT)):  # fmt: skip
            if not await self.limiter.hit(key, limit):
                raise RateLimited("rate_limited", "too many tries; try again later",
                                  "操作过于频繁，请稍后再试")  # fmt: skip
        async with self.ctx.store.db.reader() as c:
            case = await cases_sql.by_number(c, wanted)
        fp = identity.fingerprint(self.ctx.secret, given)
        if case is not None and any(hmac.compare_digest(fp, x) for x in
                                    (case.id_fingerprint, case.collector_fingerprint) if x):
            return case
        raise NotFound("case_not_found", "no case matches that number and ID number",
                       "没有查到该办件，请核对受理编号和身份证号码")  # fmt: skip

    async def case_status(self, number: str, id_number: str, client: str) -> tuple[str, Status]:
        case = await self._case(number, id_number, client)
        info = await self.ctx.hall(case.hall_id)
        day = self._case_day(info, case)
        async with self.ctx.store.db.reader() as c:
            return case.number, await self._status(c, info, await sql.of_case(c, case.id), day)

    async def rate_case(self, number: str, id_number: str, client: str,
                        given: RatingInput) -> tuple[str, Status]:  # fmt: skip
        """A case's own rating, once its result is collected or mailed."""
        choice = rt.choose(given.level, given.reasons, given.comment)
        phone = identity.validate_phone(given.phone) if given.phone else None
        found = await self._case(number, id_number, client)
        info = await self.ctx.hall(found.hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(info.hall.id, now) as tx:
            case = await cases_sql.get(tx.conn, found.id, lock=tx.dialect.for_update)
            assert case is not None
            day = self._case_day(info, case)
            if day is None:
                raise Conflict("not_served", "a case is rated once its result is collected or "
                               "mailed", "办件领取或邮寄后才能评价")  # fmt: skip
            rt.check_unrated(await sql.of_case(tx.conn, case.id))
            rt.check_window(info.clock.calendar, day, info.clock.business_day(now))
            if phone is None:
                phone = (await cases_sql.personal(tx.conn, tx.sealer, case.id)).get("phone")
            r = sql.Rating(
                id=uuid.uuid4().hex, hall_id=case.hall_id, channel="phone", level=choice.level,
                reasons=choice.reasons, business_day=day, rated_at=now, case_id=case.id,
                window_id=case.window_id, clerk_id=case.clerk_id, comment=choice.comment,
                delay_s=rt.delay_s(case.closed_at, now) if case.closed_at else None,
            )  # fmt: skip
            await self._record(tx, info, r, phone, case.number)
        await self.ctx.publish_all(tx.events)
        async with self.ctx.store.db.reader() as c:
            return case.number, await self._status(c, info, r, day)

    @staticmethod
    def _case_day(info: HallInfo, case: Case) -> date | None:
        """The day of service of a case: the day its result was handed out or mailed."""
        if case.state not in RATED_CASE_STATES or case.closed_at is None or not case.outcome:
            return None
        return info.clock.business_day(case.closed_at)

    # --- shared -----------------------------------------------------------------------

    async def _status(self, c: Conn, info: HallInfo, r: sql.Rating | None,
                      service_day: date | None) -> Status:  # fmt: skip
        until = rt.rate_until(info.clock.calendar, service_day) if service_day else None
        today = info.clock.business_day(self.ctx.clock())
        can = r is None and until is not None and today <= until
        f = await sql.followup_of(c, r.id) if r is not None else None
        return Status(can, until, r, f)

    async def _record(self, tx: Tx, info: HallInfo, r: sql.Rating, phone: str | None,
                      number: str) -> None:  # fmt: skip
        try:
            await sql.insert(tx.conn, tx.sealer, r)
        except UniqueViolation:
            rt.check_unrated(r)  # rated a moment ago by another request
        followup = None
        if r.level in rt.BAD:
            followup = rt.open_followup(uuid.uuid4().hex, r.id, r.hall_id, info.clock.calendar,
                                        info.clock.business_day(tx.now), tx.now)  # fmt: skip
            masked = identity.mask_phone(phone) if phone else None
            await sql.insert_followup(tx.conn, tx.sealer, followup, phone, masked)
        tx.audit(audit.record(None, r.hall_id, "rating.recorded", r.id, channel=r.channel,
                              level=int(r.level), number=number,
                              followup=followup.id if followup else None))  # fmt: skip
        tx.emit(rated_event(r))
        if r.business_day < info.clock.business_day(tx.now):
            await refresh_rating_day(tx, r.hall_id, r.business_day)  # a late one: the archive


def rated_event(r: sql.Rating) -> NewEvent:
    """That a rating was made (stats refresh on it); never its level."""
    data: dict[str, Any] = {"rating": r.id, "channel": r.channel, "window": r.window_id}
    if r.ticket_id:
        data["ticket"] = r.ticket_id
    if r.case_id:
        data["case"] = r.case_id
    return NewEvent("rating.recorded", data)
