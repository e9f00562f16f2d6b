"""Single-window intake (一窗受理): take in a case, accept it, refuse it, or issue the
one-time notice of every missing material (一次性告知); withdraw; staff views.

Each step is one transaction: the case row, its timeline entry, the department
tasks and their inbox events, the applicant's SMS and the audit row commit
together. On acceptance every approving department gets its task at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..domain import case as cs
from ..domain import identity
from ..domain.application import Upload
from ..domain.case import Case, CaseState, Task
from ..domain.errors import Conflict, InvalidInput, OneWindowError
from ..domain.matter import Matter
from ..domain.model import Actor, TicketState
from ..store import applications_sql
from ..store import cases_sql as sql
from ..store.db import UniqueViolation
from ..store.tx import Tx
from . import case_messages as messages
from .case_parts import (
    Clock,
    audit_case,
    clock_of,
    emit_task,
    entry,
    key_share,
    require_hall_staff,
    require_may_see,
    save_state,
    unknown_case,
)
from .context import Context, HallInfo
from .matters import Matters

DECISIONS = ("accept", "correction", "refuse")
MAX_NAME = 50
MAX_ADDRESS = 200
MAX_NUMBER = 40


@dataclass(frozen=True, slots=True)
class Applicant:
    name: str
    id_number: str
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeRequest:
    hall: str
    matter: str
    applicant: Applicant
    materials: Mapping[str, str]
    decision: str = "accept"
    reason: str | None = None
    ticket: str | None = None  # the ticket being served at the intake window
    window: str | None = None
    collector: Applicant | None = None  # someone authorised to collect the result (代领人)


@dataclass(frozen=True, slots=True)
class NewCase:
    """What a new case is made of, checked: from a window's intake or an application."""

    matter: Matter
    personal: dict[str, str | None]  # name, id_number, phone, address (collector)
    marks: Mapping[str, cs.Mark]
    channel: str  # window | online
    ticket: str | None = None
    window: str | None = None
    collector_fp: str | None = None
    collector_masked: str | None = None
    owner_fp: str | None = None
    application_id: str | None = None


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    matter: Matter
    tasks: list[Task]
    clock: Clock
    timeline: list[sql.LogEntry] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)  # applied online: the materials


def text_field(value: str | None, limit: int, name: str, zh: str, *, required: bool) -> str | None:
    v = (value or "").strip()
    if required and not v:
        raise InvalidInput("applicant_invalid", f"{name} is required", f"请填写{zh}",
                           field=f"applicant.{name}")  # fmt: skip
    if len(v) > limit:
        raise InvalidInput("applicant_invalid", f"{name}: at most {limit} characters",
                           f"{zh}不能超过 {limit} 个字", field=f"applicant.{name}")  # fmt: skip
    return v or None


@contextmanager
def at_field(path: str) -> Iterator[None]:
    """Errors raised inside name the request field they are about (a form shows them there)."""
    try:
        yield
    except OneWindowError as err:
        err.field = path
        raise


def number_prefix(region_code: str | None, hall_id: str) -> str:
    """The 受理编号's first part: the hall's region code (行政区划代码), else its id made
    to fit the number's pattern (letters and digits, at most 16)."""
    if region_code:
        return region_code
    return "".join(ch for ch in hall_id.upper() if ch.isascii() and ch.isalnum())[:16] or "H"


class Cases:
    def __init__(self, ctx: Context, matters: Matters) -> None:
        self.ctx = ctx
        self.matters = matters

    async def intake(self, actor: Actor, req: IntakeRequest) -> CaseView:
        require_hall_staff(actor, req.hall)
        if req.decision not in DECISIONS:
            raise InvalidInput("decision_invalid", "decision: accept, correction or refuse",
                               "请选择受理、一次性告知或不予受理", field="decision")  # fmt: skip
        info = await self.ctx.hall(req.hall)
        with at_field("matter"):
            matter = await self.matters.matter(req.hall, req.matter)
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        a = req.applicant
        name = text_field(a.name, MAX_NAME, "name", "申请人姓名", required=True) or ""
        with at_field("applicant.id_number"):
            id_number = identity.validate_id_number(a.id_number, today)
        with at_field("applicant.phone"):
            phone = identity.validate_phone(a.phone) if a.phone else None
        address = text_field(a.address, MAX_ADDRESS, "address", "地址", required=False)
        marks = cs.checklist(matter, req.materials)
        reason = cs.reason_text(req.reason, required=req.decision == "refuse")
        personal: dict[str, str | None] = {"name": name, "id_number": id_number,
                                           "phone": phone, "address": address}  # fmt: skip
        collector_fp = collector_masked = None
        if req.collector is not None:
            with at_field("collector.id_number"):
                cid = identity.validate_id_number(req.collector.id_number, today)
            with at_field("collector.name"):
                cname = text_field(req.collector.name, MAX_NAME, "name", "代领人姓名",
                                   required=True)  # fmt: skip
            collector_fp = identity.fingerprint(self.ctx.secret, cid)
            collector_masked = f"{identity.mask_name(cname or '')} {identity.mask_id_number(cid)}"
            personal["collector"] = f"{cname} {cid}"
        async with self.ctx.store.write(req.hall, now) as tx:
            # Held against a concurrent delete until this case (which names it) commits.
            matter = await self.matters.matter(req.hall, req.matter, conn=tx.conn,
                                               lock=key_share(tx))  # fmt: skip
            if req.ticket is not None:
                ticket = await tx.ticket(req.ticket)
                if ticket is None or ticket.state is not TicketState.SERVING:
                    raise Conflict("ticket_not_serving", "take a case in from the ticket being "
                                   "served", "请在办理中的号票上受理", field="ticket")  # fmt: skip
            draft = NewCase(
                matter=matter, personal=personal, marks=marks, channel="window",
                ticket=req.ticket, window=req.window, collector_fp=collector_fp,
                collector_masked=collector_masked,
                owner_fp=self.ctx.store.sealer.fingerprint("phone", phone) if phone else None,
            )  # fmt: skip
            view = await self.open_in(tx, info, actor, draft, req.decision, reason)
        await self.ctx.publish_all(tx.events)
        return view

    async def open_in(self, tx: Tx, info: HallInfo, actor: Actor, new: NewCase, decision: str,
                      reason: str | None) -> CaseView:  # fmt: skip
        """A new case with its gapless number, decided at once (accept, correction, refuse),
        inside the caller's transaction: at the window, or from an online application."""
        today = info.clock.business_day(tx.now)
        n = await sql.next_number(tx.conn, info.hall.id, today)
        region = number_prefix(info.hall.region_code, info.hall.id)
        id_number = new.personal["id_number"] or ""
        name = new.personal["name"] or ""
        phone = new.personal.get("phone")
        case = Case(
            id=uuid.uuid4().hex, hall_id=info.hall.id, number=f"{region}-{today:%Y%m%d}-{n:04d}",
            matter=new.matter.code, state=CaseState.RECEIVED, business_day=today,
            created_at=tx.now, channel=new.channel,
            id_fingerprint=identity.fingerprint(self.ctx.secret, id_number),
            id_masked=identity.mask_id_number(id_number), name_masked=identity.mask_name(name),
            phone_masked=identity.mask_phone(phone) if phone else None, checklist=new.marks,
            promised_days=new.matter.promised_days, legal_days=new.matter.legal_days,
            ticket_id=new.ticket, window_id=new.window, clerk_id=actor.id,
            collector_fingerprint=new.collector_fp, collector_masked=new.collector_masked,
            application_id=new.application_id,
        )  # fmt: skip
        try:
            await sql.insert_case(tx.conn, tx.sealer, case, new.personal, new.owner_fp)
        except UniqueViolation:
            raise Conflict("case_number_taken", f"case number {case.number} is another hall's:"
                           " give this hall a region code of its own", f"受理编号 {case.number} "
                           "已被其他大厅使用：请管理员为本大厅设置唯一的行政区划代码") from None  # fmt: skip
        log = [entry(tx, actor, "received", None, case,
                     "网上申报" if new.channel == "online" else None)]  # fmt: skip
        view = await self._decide(tx, info, actor, case, new.matter, new.marks, decision,
                                  reason, log)  # fmt: skip
        audit_case(tx, actor, "case.intake", view.case, matter=new.matter.code,
                   decision=decision, channel=new.channel)  # fmt: skip
        return view

    async def accept(self, actor: Actor, case_id: str, materials: Mapping[str, str]) -> CaseView:
        """The citizen came back with what the notice listed: accept now."""
        return await self._later(actor, case_id, "accept", materials, None)

    async def refuse(self, actor: Actor, case_id: str, reason: str | None) -> CaseView:
        return await self._later(actor, case_id, "refuse", None, reason)

    async def withdraw(self, actor: Actor, case_id: str, reason: str | None) -> CaseView:
        """The applicant withdraws before a decision: every open task is cancelled."""
        text = cs.reason_text(reason)
        now = self.ctx.clock()
        hall_id = await self._hall_of(case_id)
        require_hall_staff(actor, hall_id)
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(now)
        async with self.ctx.store.write(hall_id, now) as tx:
            case = await self._locked(tx, case_id)
            matter = await self.matters.matter(hall_id, case.matter, include_disabled=True,
                                               conn=tx.conn)  # fmt: skip
            if case.state not in cs.UNDECIDED:
                raise Conflict("case_decided", "a decided case cannot be withdrawn",
                               "办件已作出决定，不能撤回")  # fmt: skip
            after = cs.move(case, CaseState.WITHDRAWN, reasons=text, closed_at=now)
            tasks = [cs.cancel(t, now, today) for t in await sql.tasks_of(tx.conn, case_id)]
            clock = clock_of(info, after, tasks, today)
            await save_state(tx, after, tasks, clock)
            await sql.log(tx.conn, case_id, [entry(tx, actor, "withdrawn", case, after, text)])
            for t in tasks:
                emit_task(tx, "changed", t, after, matter, clock)
            audit_case(tx, actor, "case.withdraw", after)
        await self.ctx.publish_all(tx.events)
        return CaseView(after, matter, tasks, clock)

    async def get(self, actor: Actor, case_id: str) -> CaseView:
        async with self.ctx.store.db.reader() as c:
            case = await sql.get(c, case_id)
            if case is None:
                raise unknown_case()
            tasks = await sql.tasks_of(c, case_id)
            require_may_see(actor, case, tasks)
            timeline = await sql.timeline(c, case_id, public=False)
            uploads = await applications_sql.files(c, case.application_id) \
                if case.application_id else []  # fmt: skip
        info = await self.ctx.hall(case.hall_id)
        matter = await self.matters.matter(case.hall_id, case.matter, include_disabled=True)
        today = info.clock.business_day(self.ctx.clock())
        return CaseView(case, matter, tasks, clock_of(info, case, tasks, today), timeline,
                        uploads)  # fmt: skip

    async def find(self, actor: Actor, hall_id: str, number: str) -> CaseView:
        """A case of the hall by its exact 受理编号: the citizen brings the number back to a
        window (after a correction notice); staff of the hall only."""
        require_hall_staff(actor, hall_id)
        wanted = (number or "").strip().upper()
        if not wanted or len(wanted) > MAX_NUMBER:
            raise InvalidInput("number_required", "give the case number (受理编号)",
                               "请输入受理编号", field="number")  # fmt: skip
        async with self.ctx.store.db.reader() as c:
            case = await sql.by_number(c, wanted)
        if case is None or case.hall_id != hall_id:
            raise unknown_case()
        return await self.get(actor, case.id)

    async def personal(self, actor: Actor, case_id: str) -> dict[str, str | None]:
        """The applicant's unmasked data, for staff entitled to the case; each view audited."""
        async with self.ctx.store.db.reader() as c:
            case = await sql.get(c, case_id)
            if case is None:
                raise unknown_case()
            require_may_see(actor, case, await sql.tasks_of(c, case_id))
        async with self.ctx.store.write(case.hall_id, self.ctx.clock()) as tx:
            found = await sql.personal(tx.conn, tx.sealer, case_id)
            audit_case(tx, actor, "case.view_personal", case)
        return found

    # --- inside a transaction -------------------------------------------------------

    async def _later(self, actor: Actor, case_id: str, decision: str,
                     materials: Mapping[str, str] | None, reason: str | None) -> CaseView:  # fmt: skip
        hall_id = await self._hall_of(case_id)
        require_hall_staff(actor, hall_id)
        text = cs.reason_text(reason, required=decision == "refuse")
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            case = await self._locked(tx, case_id)
            matter = await self.matters.matter(hall_id, case.matter, include_disabled=True,
                                               conn=tx.conn)  # fmt: skip
            marks = cs.checklist(matter, materials) if materials is not None else case.checklist
            view = await self._decide(tx, info, actor, case, matter, dict(marks), decision,
                                      text, [])  # fmt: skip
            audit_case(tx, actor, f"case.{decision}", view.case)
        await self.ctx.publish_all(tx.events)
        return view

    async def _decide(self, tx: Tx, info: HallInfo, actor: Actor, case: Case, matter: Matter,
                      marks: Mapping[str, cs.Mark], decision: str, reason: str | None,
                      log: list[sql.LogEntry]) -> CaseView:  # fmt: skip
        today = info.clock.business_day(tx.now)
        tasks: list[Task] = []
        if decision == "refuse":
            after = cs.move(case, CaseState.REFUSED, checklist=dict(marks), reasons=reason,
                            closed_at=tx.now, decided_at=tx.now)  # fmt: skip
            log.append(entry(tx, actor, "refused", case, after, reason))
            await messages.refused(tx, info, after, matter)
        elif decision == "correction":
            after = cs.ask_correction(case, matter, marks)
            names = "、".join(m.name for m in matter.materials if m.key in after.missing)
            log.append(entry(tx, actor, "correction", case, after, f"请补正：{names}"))
            await messages.correction(tx, info, after, matter)
        else:
            accepted = cs.accept(case, matter, marks, tx.now, today)
            log.append(entry(tx, actor, "accepted", case, accepted))
            after, tasks = cs.start_review(accepted, matter,
                                           (uuid.uuid4().hex for _ in matter.departments),
                                           tx.now)  # fmt: skip
            depts = await sql.department_names(tx.conn, matter.departments)
            log.append(entry(tx, None, "in_review", accepted, after,
                             "、".join(depts[d] for d in matter.departments)))  # fmt: skip
        clock = clock_of(info, after, tasks, today)
        await sql.update_case(tx.conn, after, clock.due)
        for t in tasks:
            await sql.insert_task(tx.conn, t, clock.due, clock.colour.value)
            emit_task(tx, "created", t, after, matter, clock)
        if tasks:
            await messages.accepted(tx, info, after, matter, clock.due)
        await sql.log(tx.conn, case.id, log)
        return CaseView(after, matter, tasks, clock)

    async def _locked(self, tx: Tx, case_id: str) -> Case:
        case = await sql.get(tx.conn, case_id, lock=tx.dialect.for_update)
        if case is None or case.hall_id != tx.hall_id:
            raise unknown_case()
        if case.state is CaseState.ARCHIVED:
            raise Conflict("case_archived", "an archived case is read-only", "办件已归档，只能查看")
        return case

    async def _hall_of(self, case_id: str) -> str:
        async with self.ctx.store.db.reader() as c:
            case = await sql.get(c, case_id)
        if case is None:
            raise unknown_case()
        return case.hall_id

