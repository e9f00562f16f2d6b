"""Citizens' side of the queue: take a ticket, follow it, cancel it."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from .. import audit
from ..domain import access, identity
from ..domain import ticket as tk
from ..domain.dispatch import estimate_wait_minutes
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from ..domain.events import ticket_event, transferred_event
from ..domain.model import KIND_PRIORITY, Actor, Channel, Ticket, TicketKind, TicketState
from ..store import contacts_sql
from . import citizen_messages
from . import green_channel as green
from .context import Context
from .estimate import WaitEstimator
from .issuing import Draft, IssueBatcher
from .ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

_CHANNEL_ZH = {Channel.KIOSK: "取号机", Channel.PHONE: "手机", Channel.WINDOW: "窗口"}


@dataclass(frozen=True, slots=True)
class IssueRequest:
    service: str
    kind: TicketKind = TicketKind.WALK_IN
    channel: Channel = Channel.KIOSK
    id_number: str | None = None
    phone: str | None = None
    name: str | None = None
    green_reason: str | None = None
    staff_pin: str | None = None  # a hall guide's PIN: the green channel for other groups
    lang: str = "zh"


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: Ticket
    people_ahead: int
    eta_minutes: int


@dataclass(frozen=True, slots=True)
class Limits:
    per_client: Limit
    per_id: Limit


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tickets:
    def __init__(self, ctx: Context, limiter: RateLimiter, limits: Limits) -> None:
        self.ctx = ctx
        self.limiter = limiter
        self.limits = limits
        self.batcher = IssueBatcher(ctx)
        self.pins = green.GuidePins(limiter)
        self.estimator = WaitEstimator(ctx)

    async def issue(
        self,
        hall_id: str,
        req: IssueRequest,
        actor: Actor | None,
        client: str,
        citizen_phone: str | None = None,
    ) -> tuple[TicketView, str]:
        """Issue a ticket; returns it with the secret token only its holder gets.

        ``citizen_phone`` is a signed-in citizen's: the ticket is then followed on it."""
        info = await self.ctx.hall(hall_id)
        svc = await self.ctx.service(hall_id, req.service)
        now = self.ctx.clock()
        staff = (
            actor is not None
            and actor.role in access.QUEUE_ROLES
            and actor.hall_id in (None, hall_id)
        )
        if req.channel is Channel.WINDOW and not staff:
            raise Forbidden(
                "staff_only_channel",
                "only staff of this hall may issue tickets at a window",
                "只有本大厅工作人员可以在窗口取号",
            )
        if req.channel not in svc.channels:
            raise Forbidden(
                "channel_not_allowed",
                f"service {svc.code} is not issued through the {req.channel.value} channel",
                f"{svc.name}不支持通过{_CHANNEL_ZH[req.channel]}取号",
            )
        if not staff and not info.clock.is_open(now):
            raise Conflict("hall_closed", "the hall is closed now", "当前不在办公时间，暂停取号")
        if req.kind not in (TicketKind.WALK_IN, TicketKind.GREEN):
            raise InvalidInput(
                "kind_not_issuable",
                "appointment tickets come from check-in; transfers from a window",
                "预约号须通过签到领取，转号须由窗口办理",
            )
        day = info.clock.business_day(now)
        id_number = identity.validate_id_number(req.id_number, day) if req.id_number else None
        phone = identity.validate_phone(req.phone) if req.phone else citizen_phone
        fp = identity.fingerprint(self.ctx.secret, id_number) if id_number else None
        await self._rate_limit(client, fp, staff)
        if req.kind is TicketKind.GREEN:
            guided = req.staff_pin is not None and await self.pins.check(
                info.hall, req.channel, req.staff_pin, client
            )
            green.check(req.green_reason, id_number, day, staff or guided)

        token = secrets.token_urlsafe(18)
        draft = Draft(
            service=svc.code,
            kind=req.kind,
            channel=req.channel,
            priority=KIND_PRIORITY[req.kind],
            token_hash=token_hash(token),
            id_fingerprint=fp,
            id_masked=identity.mask_id_number(id_number) if id_number else None,
            name_masked=identity.mask_name(req.name) if req.name else None,
            phone_masked=identity.mask_phone(phone) if phone else None,
            note=req.green_reason,
            contact_phone=phone,
            lang=req.lang,
        )
        issued = await self.batcher.submit(hall_id, draft)
        t, ahead = issued.ticket, issued.people_ahead
        return TicketView(t, ahead, await self._eta(t, ahead)), token

    async def _rate_limit(self, client: str, fp: str | None, staff: bool) -> None:
        if staff:
            return
        ok = await self.limiter.hit(f"client:{client}", self.limits.per_client)
        if ok and fp is not None:
            ok = await self.limiter.hit(f"id:{fp}", self.limits.per_id)
        if not ok:
            raise RateLimited(
                "rate_limited",
                "too many tickets requested; try again later",
                "取号过于频繁，请稍后再试",
            )

    async def view(self, t: Ticket, ahead: int | None = None) -> TicketView:
        """The ticket with its place; ``ahead`` when the caller already counted it."""
        if t.state is not TicketState.WAITING:
            return TicketView(t, 0, 0)
        if ahead is None:
            ahead = await self.ctx.store.people_ahead(t)
        return TicketView(t, ahead, await self._eta(t, ahead))

    async def _eta(self, t: Ticket, ahead: int) -> int:
        return await self.estimate(t.hall_id, t.service, ahead)

    async def estimate(self, hall_id: str, service: str, ahead: int) -> int:
        """Minutes to wait behind ``ahead`` people. Best effort: after a ticket is
        committed, nothing may keep it from its holder."""
        try:
            return await self.estimator.minutes(hall_id, service, ahead)
        except Exception:
            log.warning("wait estimate for %s/%s failed; using the service default", hall_id, service)
            svc = await self.ctx.service(hall_id, service)
            return estimate_wait_minutes(ahead, svc.avg_service_s, 1)

    async def get(self, ticket_id: str, token: str) -> TicketView:
        return await self.view(await self._authorized(ticket_id, token))

    async def cancel(self, ticket_id: str, token: str) -> TicketView:
        t = await self._authorized(ticket_id, token)
        info = await self.ctx.hall(t.hall_id)  # not inside the transaction: a second connection
        now = self.ctx.clock()
        async with self.ctx.store.write(t.hall_id, now) as tx:
            current = await tx.ticket(t.id)
            assert current is not None  # tickets are never deleted
            t = tk.cancel(current, now)
            await tx.update_ticket(t)
            tx.emit(ticket_event("cancelled", t))
            await citizen_messages.queue_moved(tx, info, t.service)
        await self.ctx.publish(t.hall_id, tx.events)
        return TicketView(t, 0, 0)

    async def _authorized(self, ticket_id: str, token: str) -> Ticket:
        t = await self.ctx.store.ticket(ticket_id)
        if t is None:
            raise NotFound("unknown_ticket", "no such ticket", "没有该号票")
        if not hmac.compare_digest(t.token_hash, token_hash(token)):
            raise Forbidden("ticket_token_invalid", "wrong ticket token", "号票凭证不正确")
        return t

    async def void_stale(self, hall_id: str, now: datetime) -> int:
        """Void what earlier business days left waiting or passed; returns how many."""
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(now)
        async with self.ctx.store.write(hall_id, now) as tx:
            stale = await tx.stale_tickets(today)
            for t in stale:
                done = tk.void(t, now)
                await tx.update_ticket(done)
                tx.emit(ticket_event("voided", done))
            # Phones are kept for the day's messages only.
            forgotten = await contacts_sql.forget_before(tx.conn, hall_id, today)
        await self.ctx.publish(hall_id, tx.events)
        if forgotten:
            log.info("hall %s: deleted the phones of %d tickets of earlier days", hall_id, forgotten)
        return len(stale)

    async def move(
        self, ticket_id: str, actor: Actor, service: str | None, window_id: str | None,
        keep_place: bool, reason: str | None,
    ) -> Ticket:  # fmt: skip
        """A supervisor moves a waiting ticket to another queue or window (转号)."""
        t = await self.ctx.store.ticket(ticket_id)
        if t is None:
            raise NotFound("unknown_ticket", "no such ticket", "没有该号票")
        access.require_hall_manager(actor, t.hall_id)
        if service is not None:
            await self.ctx.service(t.hall_id, service)
        if window_id is not None and await self.ctx.window_hall(window_id) != t.hall_id:
            raise NotFound("unknown_window", "no such window in this hall", "本大厅没有该窗口")
        now = self.ctx.clock()
        async with self.ctx.store.write(t.hall_id, now) as tx:
            current = await tx.ticket(ticket_id)
            assert current is not None  # tickets are never deleted
            if current.state is not TicketState.WAITING:
                raise Conflict(
                    "not_waiting",
                    "only a waiting ticket can be moved; a called one is transferred by its window",
                    "只有等候中的号票可以转移，已叫号的请由窗口转号",
                )
            t = tk.transfer(
                current,
                service=service or current.service,
                target_window_id=window_id,
                keep_place=keep_place,
                reason=reason,
                now=now,
            )
            await tx.update_ticket(t)
            tx.emit(transferred_event(t, None, keep_place))
            # The queue it left is one shorter: somebody there may now be close enough.
            await citizen_messages.queue_moved(tx, await self.ctx.hall(t.hall_id), current.service)
            tx.audit(audit.record(actor, t.hall_id, "ticket.move", t.id, number=t.number,
                                  service=t.service, window=window_id, keep_place=keep_place,
                                  reason=reason))  # fmt: skip
        await self.ctx.publish(t.hall_id, tx.events)
        return t
