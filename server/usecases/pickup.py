"""Unified pickup (统一窗口出件): the citizen takes a pickup ticket by 受理编号 or ID
number, the pickup clerk sees every result waiting for them, and hands each out to
the applicant or an authorised collector, or mails it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ..domain import case as cs
from ..domain import identity
from ..domain.case import Case, CaseState
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from ..domain.model import Actor, Channel
from ..store import cases_sql as sql
from .case_parts import audit_case, clock_of, entry, require_hall_staff, save_state, unknown_case
from .case_query import SuffixGuard, check_suffix
from .cases import CaseView, at_field
from .context import Context
from .matters import Matters
from .ratelimit import Limit, RateLimiter
from .tickets import IssueRequest, Tickets, TicketView

# Per client address: a hall's kiosks may share one, so as generous as check-in's.
PICKUP_LOOKUP_LIMIT = Limit(120, 600)
MAX_TRACKING = 40


@dataclass(frozen=True, slots=True)
class PickupTicket:
    view: TicketView
    token: str
    cases: list[Case]


def _nothing_ready() -> NotFound:
    return NotFound("no_result_ready", "no result is waiting for that number or ID",
                    "没有查到待领取的办理结果，请核对受理编号或身份证号")  # fmt: skip


class Pickup:
    def __init__(self, ctx: Context, matters: Matters, tickets: Tickets,
                 limiter: RateLimiter) -> None:  # fmt: skip
        self.ctx = ctx
        self.matters = matters
        self.tickets = tickets
        self.limiter = limiter
        self.guard = SuffixGuard(limiter, pepper=ctx.secret)

    async def take_ticket(self, hall_id: str, number: str | None, id_suffix: str | None,
                          id_number: str | None, channel: Channel,
                          client: str) -> PickupTicket:  # fmt: skip
        """A ticket for the pickup service of the results waiting for one person."""
        if not await self.limiter.hit(f"pickup:{client}", PICKUP_LOOKUP_LIMIT):
            raise RateLimited("rate_limited", "too many lookups; ask the hall staff",
                              "查询过于频繁，请咨询大厅工作人员")  # fmt: skip
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(self.ctx.clock())
        async with self.ctx.store.db.reader() as c:
            if number:
                # The number alone is guessable: with it, the ID's last 4, as the status query.
                suffix = check_suffix(id_suffix or "")
                await self.guard.check(number, suffix)  # counted before compared
                case = await sql.by_number(c, number.strip().upper())
                if (case is None or case.hall_id != hall_id
                        or case.state is not CaseState.RESULT_READY
                        or not hmac.compare_digest(case.id_masked[-4:].upper(), suffix)):  # fmt: skip
                    raise _nothing_ready()
                # Opened to fingerprint-match the ticket to its cases, not shown to anyone.
                id_number = (await sql.personal(c, self.ctx.store.sealer, case.id))["id_number"]
            elif id_number:
                try:
                    id_number = identity.validate_id_number(id_number, today)
                except InvalidInput as err:
                    err.field = "id_number"
                    raise
            else:
                raise InvalidInput("pickup_key_required", "give the case number or an ID number",
                                   "请输入受理编号或身份证号", field="number")  # fmt: skip
            assert id_number is not None
            ready = await sql.ready_for(c, hall_id, identity.fingerprint(self.ctx.secret, id_number))
        if not ready:
            raise _nothing_ready()
        matter = await self.matters.matter(hall_id, ready[0].matter, include_disabled=True)
        req = IssueRequest(service=matter.pickup_service, channel=channel, id_number=id_number)
        view, token = await self.tickets.issue(hall_id, req, None, client)
        return PickupTicket(view, token, ready)

    async def ready(self, actor: Actor, hall_id: str, ticket_id: str | None,
                    id_number: str | None) -> list[CaseView]:  # fmt: skip
        """What the pickup clerk hands out to the citizen at the window."""
        require_hall_staff(actor, hall_id)
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(self.ctx.clock())
        if ticket_id:
            ticket = await self.ctx.store.ticket(ticket_id)
            if ticket is None or ticket.hall_id != hall_id:
                raise NotFound("unknown_ticket", "no such ticket", "没有找到该号票")
            fp = ticket.id_fingerprint
        elif id_number:
            with at_field("id_number"):
                fp = identity.fingerprint(self.ctx.secret,
                                          identity.validate_id_number(id_number, today))  # fmt: skip
        else:
            fp = None
        if fp is None:
            return []
        async with self.ctx.store.db.reader() as c:
            found = await sql.ready_for(c, hall_id, fp)
            out = []
            for case in found:
                tasks = await sql.tasks_of(c, case.id)
                matter = await self.matters.matter(hall_id, case.matter, include_disabled=True,
                                                   conn=c)  # fmt: skip
                out.append(CaseView(case, matter, tasks, clock_of(info, case, tasks, today)))
        return out

    async def hand_out(self, actor: Actor, case_id: str, collector_id: str | None,
                       waived_supplied: bool, tracking_no: str | None = None) -> CaseView:  # fmt: skip
        """Picked up by the applicant or an authorised collector, or (tracking_no) mailed."""
        async with self.ctx.store.db.reader() as c:
            found = await sql.get(c, case_id)
        if found is None:
            raise unknown_case()
        require_hall_staff(actor, found.hall_id)
        info = await self.ctx.hall(found.hall_id)
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        mail = tracking_no is not None
        if mail:
            tracking_no = tracking_no.strip() if tracking_no else ""
            if not tracking_no or len(tracking_no) > MAX_TRACKING:
                raise InvalidInput("tracking_invalid", "give the mail's tracking number",
                                   "请填写邮件单号", field="tracking_no")  # fmt: skip
        else:
            if not collector_id:
                raise InvalidInput("collector_required", "the collector's ID number is needed",
                                   "请输入领取人的身份证号", field="collector_id")  # fmt: skip
            with at_field("collector_id"):
                fp = identity.fingerprint(self.ctx.secret,
                                          identity.validate_id_number(collector_id, today))  # fmt: skip
        async with self.ctx.store.write(found.hall_id, now) as tx:
            case = await sql.get(tx.conn, case_id, lock=tx.dialect.for_update)
            assert case is not None
            if case.state in (CaseState.PICKED_UP, CaseState.MAILED, CaseState.ARCHIVED):
                raise Conflict("case_handed_out", "this result was already handed out",
                               "该办件结果已领取或已邮寄")  # fmt: skip
            if case.state is not CaseState.RESULT_READY:
                raise Conflict("result_not_ready", "the result is not ready", "该办件尚未办结")
            if not mail and fp not in (case.id_fingerprint, case.collector_fingerprint):
                raise Forbidden("collector_mismatch", "the ID number is neither the applicant's "
                                "nor an authorised collector's",
                                "身份证号与申请人或授权代领人不符，不能领取")  # fmt: skip
            if case.outcome == CaseState.APPROVED_WITH_WAIVER.value and not waived_supplied:
                raise Conflict("waived_materials_due", "the waived (容缺) materials must be handed "
                               "in before the result", "请先收齐容缺受理时后补的材料",
                               field="waived_supplied")  # fmt: skip
            if mail:
                after = cs.move(case, CaseState.MAILED, tracking_no=tracking_no, closed_at=now)
                note = f"邮寄单号 {tracking_no}"
            else:
                after = cs.move(case, CaseState.PICKED_UP, closed_at=now)
                note = "申请人本人领取" if fp == case.id_fingerprint else f"代领：{case.collector_masked}"
            tasks = await sql.tasks_of(tx.conn, case_id)
            clock = clock_of(info, after, tasks, today)
            await save_state(tx, after, [], clock)
            await sql.log(tx.conn, case_id, [entry(tx, actor, after.state.value, case, after, note)])
            audit_case(tx, actor, f"case.{after.state.value}", after)
        matter = await self.matters.matter(found.hall_id, found.matter, include_disabled=True)
        return CaseView(after, matter, tasks, clock)
