"""Ticket issue, group-committed (group_commit.py): every issue needs the hall's
stream row and its service's counter row locked until commit, so tickets of a
hall go together, with the same rows and the same gapless numbers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from ..domain.errors import Conflict, OneWindowError
from ..domain.events import ticket_event
from ..domain.model import Channel, Priority, Ticket, TicketKind, TicketState
from ..store.db import UniqueViolation
from ..store.tx import Tx
from . import citizen_messages
from .context import Context, HallInfo
from .group_commit import GroupCommit

MAX_BATCH = 64


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated request: everything a ticket needs but its number and time."""

    service: str
    kind: TicketKind
    channel: Channel
    priority: Priority
    token_hash: str
    id_fingerprint: str | None
    id_masked: str | None
    name_masked: str | None
    phone_masked: str | None
    note: str | None
    contact_phone: str | None = None  # notifications go there; sealed, gone at day end
    lang: str = "zh"
    slot_at: datetime | None = None  # an appointment's slot start: its place in the queue


@dataclass(frozen=True, slots=True)
class Issued:
    ticket: Ticket
    people_ahead: int


def duplicate() -> Conflict:
    return Conflict(
        "duplicate_ticket",
        "this ID number already holds an unserved ticket for this service",
        "该身份证号在此业务下已有未办理的号票",
    )


def quota_reached() -> Conflict:
    return Conflict(
        "quota_reached",
        "today's tickets for this service are all taken",
        "该业务今日号源已取完，请改日再来或网上预约",
    )


def format_number(prefix: str, n: int) -> str:
    return f"{prefix}{n:03d}"


class IssueBatcher:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._group: GroupCommit[Draft, Issued] = GroupCommit(self._settle, MAX_BATCH)

    async def submit(self, hall_id: str, draft: Draft) -> Issued:
        return await self._group.submit(hall_id, draft)

    async def _settle(self, hall_id: str, drafts: list[Draft]) -> list[Issued | BaseException]:
        try:
            return await self._commit(hall_id, drafts)
        except UniqueViolation:
            if len(drafts) == 1:
                # Another process won the race for this ID: the partial unique index decided.
                return [duplicate()]
            # Someone in the batch raced another process; settle each on its own, each
            # told its own outcome (those before a failure have committed).
            outcomes: list[Issued | BaseException] = []
            for one in drafts:
                try:
                    outcomes += await self._settle(hall_id, [one])
                except Exception as exc:
                    outcomes.append(exc)
            return outcomes

    async def _commit(self, hall_id: str, drafts: list[Draft]) -> list[Issued | BaseException]:
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        day = info.clock.business_day(now)
        # Counter rows are locked in service order, so two processes issuing batches
        # of the same services can never wait on each other (a deadlock).
        order = sorted(range(len(drafts)), key=lambda i: drafts[i].service)
        results: dict[int, Issued | BaseException] = {}
        async with self.ctx.store.write(hall_id, now) as tx:
            placer = Placer(tx, info, day)
            for i in order:
                try:
                    results[i] = await placer.place(drafts[i])
                except OneWindowError as err:
                    results[i] = err
        await self.ctx.publish(hall_id, tx.events)
        return [results[i] for i in range(len(drafts))]


class Placer:
    """Puts validated drafts into the queue inside one transaction: a number each,
    people ahead, the issued event and the holder's phone."""

    def __init__(self, tx: Tx, info: HallInfo, day: date) -> None:
        self.tx = tx
        self.info = info
        self.day = day
        self.ahead = _Ahead(tx)
        self.taken: set[tuple[str, str]] = set()

    async def place(self, d: Draft) -> Issued:
        tx, info = self.tx, self.info
        await _check_unique(tx, d, self.day, self.taken)
        svc = info.services.get(d.service)
        # The daily quota is for walk-ins: a booking's place was promised when it was made.
        quota = svc.daily_quota if svc and d.kind is not TicketKind.APPOINTMENT else None
        n = await tx.next_number(d.service, self.day, quota)
        if n is None:
            raise quota_reached()
        people_ahead = await self.ahead.next(d.service, d.priority)
        t = _ticket(info.hall.id, d, n, self.day, tx.now)
        await tx.insert_ticket(t)
        tx.emit(ticket_event("issued", t))
        if d.contact_phone is not None:
            await citizen_messages.issued(tx, info, svc, t, d.contact_phone, d.lang, people_ahead)
        return Issued(t, people_ahead)


async def _check_unique(tx: Tx, d: Draft, day: date, taken: set[tuple[str, str]]) -> None:
    if d.id_fingerprint is None:
        return
    key = (d.service, d.id_fingerprint)
    if key in taken or await tx.active_ticket_for(d.service, day, d.id_fingerprint) is not None:
        raise duplicate()
    taken.add(key)


class _Ahead:
    """People ahead of each new ticket: one count per service and class per batch,
    carried forward by the batch-mates inserted after it was taken."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.base: dict[tuple[str, Priority], tuple[int, int]] = {}  # key -> (count, taken at)
        self.added: list[tuple[str, Priority]] = []

    async def next(self, service: str, priority: Priority) -> int:
        key = (service, priority)
        if key not in self.base:
            self.base[key] = (await self.tx.queue_length(service, priority), len(self.added))
        count, taken_at = self.base[key]
        later = sum(1 for s, p in self.added[taken_at:] if s == service and p <= priority)
        self.added.append(key)
        return count + later


def _ticket(hall_id: str, d: Draft, n: int, day: date, now: datetime) -> Ticket:
    return Ticket(
        id=uuid.uuid4().hex,
        hall_id=hall_id,
        service=d.service,
        number=format_number(d.service, n),
        business_day=day,
        kind=d.kind,
        channel=d.channel,
        state=TicketState.WAITING,
        priority=d.priority,
        issued_at=now,
        queue_at=d.slot_at or now,
        token_hash=d.token_hash,
        id_fingerprint=d.id_fingerprint,
        id_masked=d.id_masked,
        name_masked=d.name_masked,
        phone_masked=d.phone_masked,
        note=d.note,
        seq_no=n,
        slot_at=d.slot_at,
    )
