"""Complaints (投诉): filed by anyone (the phone page, a kiosk), worked by the hall's
supervisors and admins step by step, followed by the citizen with the complaint's
number and the random query code given at filing (texted too, when a phone was left).

Each step is one transaction: the row, its audit record and (for the answer) the SMS
commit together. No event goes on the hall's stream: that stream is public, and a
complaint is nobody's business but the hall's and the citizen's. The texts (the
complaint, the finding, the answer) are sealed; staff read them on one complaint's
detail, and each such read is audited. The query is guarded as the case status query
is (case_query.SuffixGuard): a wrong code answers like an unknown number, queries are
rate-limited per client, and a number locks after 10 codes tried in a day.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .. import audit
from ..domain import access
from ..domain import complaint as cp
from ..domain.complaint import Complaint, Contact, Step, Subject
from ..domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from ..domain.message import SMS, Message
from ..domain.model import Actor
from ..notify import templates
from ..store import complaints_sql as sql
from ..store.db import UniqueViolation
from ..store.tx import Tx
from .case_query import SuffixGuard
from .cases import number_prefix
from .context import Context, HallInfo
from .matters import Matters
from .ratelimit import Limit, RateLimiter

FILE_LIMIT = Limit(10, 600)  # per client address, from a phone
# A kiosk files for everyone in the hall, from one address. The channel is the client's
# word, so claiming "kiosk" buys a script only this, and the hall's day cap holds anyway.
KIOSK_FILE_LIMIT = Limit(30, 600)
# Complaints a hall takes in a day: far above any real hall's, and below the number's
# four digits; past it, a clear 409 rather than a flood filling the supervisors' list.
DAY_CAP = 2000
QUERY_LIMIT = Limit(20, 600)
# Codes tried per number per day, from any number of addresses.
WRONG_SECRET_LIMIT = Limit(10, 86_400)
CHANNELS = ("phone", "kiosk")
ACTIONS = ("assign", "investigate", "answer", "close")
RECENT_DAYS = 90  # the "all" view: what was filed in the last 90 days


@dataclass(frozen=True, slots=True)
class FileRequest:
    hall: str
    subject: str
    subject_id: str | None
    text: str
    name: str | None = None
    phone: str | None = None
    channel: str = "phone"


@dataclass(frozen=True, slots=True)
class Filed:
    complaint: Complaint
    query_code: str  # shown once (and texted to the phone left); only its fingerprint kept


@dataclass(frozen=True, slots=True)
class Board:
    """A hall's complaints as its supervisors see them."""

    complaints: list[Complaint]
    supervisors: list[tuple[str, str]]
    today: date
    tz: str


def _not_found() -> NotFound:
    return NotFound("complaint_not_found", "no complaint matches that number and query code",
                    "没有查到该投诉，请核对投诉编号和查询码")  # fmt: skip


def _locked() -> RateLimited:
    return RateLimited("complaint_query_locked", "too many wrong tries for this number today",
                       "该投诉编号今日核对错误次数过多，请明天再试或到大厅咨询")  # fmt: skip


def unknown_complaint() -> NotFound:
    return NotFound("unknown_complaint", "no such complaint", "没有找到该投诉")


def _too_many(limiter: RateLimiter, limit: Limit, en: str, zh: str) -> RateLimited:
    return RateLimited("rate_limited", en, zh, details={"retry_after": limiter.retry_after(limit)})


class Complaints:
    def __init__(self, ctx: Context, matters: Matters, limiter: RateLimiter, *,
                 file_limit: Limit = FILE_LIMIT, kiosk_limit: Limit = KIOSK_FILE_LIMIT,
                 day_cap: int = DAY_CAP) -> None:  # fmt: skip
        if not 1 <= day_cap <= cp.MAX_PER_DAY:
            raise ValueError(f"a hall's complaints of one day: 1 to {cp.MAX_PER_DAY}")
        self.ctx = ctx
        self.matters = matters
        self.limiter = limiter
        self.limits = {"phone": file_limit, "kiosk": kiosk_limit}
        self.day_cap = day_cap
        self.guard = SuffixGuard(limiter, prefix="complaint-secret", limit=WRONG_SECRET_LIMIT,
                                 locked=_locked, pepper=ctx.secret)  # fmt: skip

    # --- the citizen ----------------------------------------------------------------

    async def file(self, req: FileRequest, client: str) -> Filed:
        info = await self.ctx.hall(req.hall)
        if req.channel not in CHANNELS:
            raise InvalidInput("channel_invalid", "channel: phone or kiosk", "渠道须为手机或取号机",
                               field="channel")  # fmt: skip
        subject, sid = cp.check_subject(req.subject, req.subject_id)
        text = cp.check_text(req.text)
        contact = cp.check_contact(req.name, req.phone)
        label = await self._label(info, subject, sid)
        limit = self.limits[req.channel]
        if not await self.limiter.hit(f"complaint-file:{req.channel}:{client}", limit):
            raise _too_many(self.limiter, limit, "too many complaints from here; try "
                            "again later", "提交过于频繁，请稍后再试")  # fmt: skip
        code = "".join(secrets.choice(cp.CODE_ALPHABET) for _ in range(cp.CODE_LENGTH))
        now = self.ctx.clock()
        today = info.clock.business_day(now)
        async with self.ctx.store.write(info.hall.id, now) as tx:
            n = await sql.next_number(tx.conn, info.hall.id, today)
            if n > self.day_cap:  # the transaction rolls back: the counter stays at the cap
                raise Conflict("complaints_day_full", "the hall takes no more complaints online "
                               "today; call the hall or come in", "本大厅今日在线投诉已达上限，"
                               "请致电大厅或到现场反映")  # fmt: skip
            number = cp.number(number_prefix(info.hall.region_code, info.hall.id), today, n)
            x = cp.file(id=uuid.uuid4().hex, hall_id=info.hall.id, number=number, day=today,
                        channel=req.channel, subject=subject, subject_id=sid,
                        subject_label=label, text=text, contact=contact, now=now,
                        due=cp.due_day(info.clock.calendar, today))  # fmt: skip
            fp = sql.secret_fp(tx.sealer, number, code)
            try:
                await sql.insert(tx.conn, tx.sealer, x, contact, fp)
            except UniqueViolation:
                raise Conflict("complaint_number_taken", f"complaint number {number} is "
                                     "another hall's: give this hall a region code of its own",
                                     f"投诉编号 {number} 已被其他大厅使用：请管理员为本大厅设置"
                                     "唯一的行政区划代码") from None  # fmt: skip
            tx.audit(audit.record(None, x.hall_id, "complaint.file", x.number,
                                  channel=x.channel, subject=x.subject.value,
                                  contact=not contact.empty))  # fmt: skip
            if contact.phone:
                values: dict[str, object] = {"hall": info.hall.name, "number": number,
                                             "code": code}  # fmt: skip
                templates.check("complaint_filed", values)
                tx.notify(Message(kind=SMS, recipient=contact.phone, template="complaint_filed",
                                  params=values, idem_key=f"complaint:{x.id}:filed",
                                  hall_id=x.hall_id))  # fmt: skip
        await self.ctx.publish_all(tx.events)
        return Filed(x, code)

    async def query(self, number: str, secret: str, client: str) -> Complaint:
        wanted = cp.check_number(number)
        given = cp.check_secret(secret)
        if not await self.limiter.hit(f"complaint-query:{client}", QUERY_LIMIT):
            raise _too_many(self.limiter, QUERY_LIMIT, "too many queries; try again later",
                            "查询过于频繁，请稍后再试")  # fmt: skip
        await self.guard.check(wanted, given)  # counted before it is compared
        sealer = self.ctx.store.sealer
        async with self.ctx.store.db.reader() as c:
            fp = await sql.secret_fp_of(c, wanted)
            if fp is None or not hmac.compare_digest(fp, sql.secret_fp(sealer, wanted, given)):
                raise _not_found()
            # The citizen's own texts: opened for them, no staff read, so no audit row.
            x = await sql.by_number(c, sealer, wanted)
        assert x is not None
        return x

    # --- the hall's supervisors and admins ------------------------------------------

    async def board(self, actor: Actor, hall_id: str, view: str = "open") -> Board:
        access.require_hall_manager(actor, hall_id)
        if view not in ("open", "all"):
            raise InvalidInput("view_invalid", "view: open or all", "列表须为未答复或全部",
                               field="view")  # fmt: skip
        info = await self.ctx.hall(hall_id)
        today = info.clock.business_day(self.ctx.clock())
        async with self.ctx.store.db.reader() as c:
            found = await sql.of_hall(c, hall_id, open_only=view == "open",
                                      since=today - timedelta(days=RECENT_DAYS))  # fmt: skip
            people = await sql.supervisors(c, hall_id)
        return Board(found, people, today, info.hall.tz)

    async def get(self, actor: Actor, complaint_id: str) -> tuple[Complaint, date]:
        """One complaint with its texts opened, for the hall's supervisors and admins; each
        read audited (the list shows no text)."""
        x = await self._find(complaint_id)
        access.require_hall_manager(actor, x.hall_id)
        info = await self.ctx.hall(x.hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(x.hall_id, now) as tx:
            found = await sql.get(tx.conn, complaint_id, sealer=tx.sealer)
            assert found is not None
            tx.audit(audit.record(actor, x.hall_id, "complaint.view", x.number))
        return found, info.clock.business_day(now)

    async def contact(self, actor: Actor, complaint_id: str) -> Contact:
        """The contact unmasked, for the hall's supervisors and admins; each view audited."""
        x = await self._find(complaint_id)
        access.require_hall_manager(actor, x.hall_id)
        async with self.ctx.store.write(x.hall_id, self.ctx.clock()) as tx:
            found = await sql.contact(tx.conn, tx.sealer, x.id)
            tx.audit(audit.record(actor, x.hall_id, "complaint.view_contact", x.number))
        return found

    async def act(self, actor: Actor, complaint_id: str, action: str,
                  body: dict[str, Any]) -> tuple[Complaint, date]:  # fmt: skip
        """One step: assign (assignee), investigate (finding), answer (answer), close."""
        if action not in ACTIONS:
            raise NotFound("unknown_action", f"no complaint action {action!r}",
                           "没有该投诉操作")  # fmt: skip
        hall_id = (await self._find(complaint_id)).hall_id
        access.require_hall_manager(actor, hall_id)
        info = await self.ctx.hall(hall_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            x = await sql.get(tx.conn, complaint_id, lock=tx.dialect.for_update, sealer=tx.sealer)
            if x is None:
                raise unknown_complaint()
            step = Step(now, actor.id, actor.username)
            after = await self._step(tx, x, action, body, step)
            await sql.update(tx.conn, tx.sealer, after)
            detail: dict[str, Any] = {"state": after.state.value}
            if action == "assign":
                detail["assignee"] = after.assignee_id
            tx.audit(audit.record(actor, hall_id, f"complaint.{action}", x.number, **detail))
            if action == "answer":
                await self._text_answer(tx, info, after)
        await self.ctx.publish_all(tx.events)
        return after, info.clock.business_day(now)

    # --- parts ----------------------------------------------------------------------

    async def _step(self, tx: Tx, x: Complaint, action: str, body: dict[str, Any],
                    step: Step) -> Complaint:  # fmt: skip
        if action == "assign":
            who = str(body.get("assignee") or "")
            names = dict(await sql.supervisors(tx.conn, x.hall_id))
            if who not in names:
                raise InvalidInput("assignee_invalid", "assign it to a supervisor of the hall",
                                   "请选择本大厅的一位值班主任", field="assignee")  # fmt: skip
            return cp.assign(x, who, names[who], step)
        if action == "investigate":
            return cp.investigate(x, body.get("finding") or "", step)
        if action == "answer":
            return cp.answer(x, body.get("answer") or "", step)
        return cp.close(x, step)

    async def _text_answer(self, tx: Tx, info: HallInfo, x: Complaint) -> None:
        """The answer, to the phone the citizen left (opened for sending only: no person
        reads it, so no audit row)."""
        phone = (await sql.contact(tx.conn, tx.sealer, x.id)).phone
        if not phone:
            return
        values: dict[str, object] = {"hall": info.hall.name, "number": x.number,
                                     "answer": x.answer or ""}  # fmt: skip
        templates.check("complaint_answered", values)
        tx.notify(Message(kind=SMS, recipient=phone, template="complaint_answered",
                          params=values, idem_key=f"complaint:{x.id}:answered",
                          hall_id=x.hall_id))  # fmt: skip

    async def _label(self, info: HallInfo, subject: Subject, sid: str | None) -> str:
        """What staff read for the subject; a window or matter must be the hall's own."""
        if subject is Subject.HALL:
            return info.hall.name
        if subject is Subject.CLERK:
            return sid or ""  # as the citizen named them: a staff number, a name, a window
        if subject is Subject.WINDOW:
            w = await self.ctx.store.window(sid or "")
            if w is not None and w.hall_id == info.hall.id:
                return w.name
        else:
            try:
                return (await self.matters.matter(info.hall.id, sid or "",
                                                  include_disabled=True)).name  # fmt: skip
            except NotFound:
                pass
        raise InvalidInput("subject_unknown", f"this hall has no {subject.value} {sid!r}",
                           "本大厅没有所选的投诉对象，请重新选择", field="subject_id")  # fmt: skip

    async def _find(self, complaint_id: str) -> Complaint:
        async with self.ctx.store.db.reader() as c:
            x = await sql.get(c, complaint_id)
        if x is None:
            raise unknown_complaint()
        return x
