"""Online application (网上申报): a signed-in citizen applies for a matter from the phone
and uploads its materials; an intake clerk pre-reviews (预审) it and accepts it as a
case (the same path as at the window) or returns it with the one-time list of what
is missing. Files are kept by content hash and shown only to entitled staff, each
view audited."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .. import audit
from ..domain import application as ap
from ..domain import case as cs
from ..domain import identity
from ..domain.application import Application, ApplicationState, Upload
from ..domain.appointment import CODE_ALPHABET
from ..domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from ..domain.message import SMS, Message
from ..domain.model import Actor
from ..files import sniff
from ..files.store import FileStore
from ..notify import templates
from ..store import applications_sql as sql
from ..store import cases_sql
from ..store.db import Conn
from .case_parts import key_share, may_see, require_hall_staff
from .cases import MAX_ADDRESS, MAX_NAME, Applicant, Cases, CaseView, NewCase, text_field
from .citizens import Citizen
from .context import Context
from .matters import Matters
from .ratelimit import Limit, RateLimiter

MAX_LIVE_PER_ACCOUNT = 10  # drafts, submitted and returned applications of one phone
MAX_FILES_PER_MATERIAL = 5  # pages of one material
MAX_FILE_NAME = 120
# One application's uploads in all, and uploads per account per 10 minutes: a phone
# cannot fill the hall's disk or database (removed bytes are kept, see docs/cases.md).
MAX_BYTES_PER_APPLICATION = 50 * 1024 * 1024
UPLOAD_LIMIT = Limit(60, 600)


@dataclass(frozen=True, slots=True)
class ApplicationView:
    application: Application
    matter_name: str
    uploads: list[Upload] = field(default_factory=list)


def _unknown() -> NotFound:
    return NotFound("unknown_application", "no such application", "没有找到该网上申报")


class Applications:
    def __init__(self, ctx: Context, matters: Matters, cases: Cases, files: FileStore,
                 upload_limit: int, limiter: RateLimiter) -> None:  # fmt: skip
        self.limiter = limiter
        self.ctx = ctx
        self.matters = matters
        self.cases = cases
        self.files = files
        self.upload_limit = upload_limit

    # --- the citizen ------------------------------------------------------------------

    async def create(self, citizen: Citizen, hall_id: str, matter_code: str,
                     applicant: Applicant) -> ApplicationView:  # fmt: skip
        info = await self.ctx.hall(hall_id)
        matter = await self.matters.matter(hall_id, matter_code)
        now = self.ctx.clock()
        name = text_field(applicant.name, MAX_NAME, "name", "申请人姓名", required=True) or ""
        try:
            id_number = identity.validate_id_number(applicant.id_number,
                                                    info.clock.business_day(now))  # fmt: skip
        except InvalidInput as err:
            err.field = "applicant.id_number"
            raise
        address = text_field(applicant.address, MAX_ADDRESS, "address", "地址", required=False)
        day = info.clock.business_day(now)
        a = Application(
            id=uuid.uuid4().hex, hall_id=hall_id, matter=matter.code,
            reference=f"YS{day:%Y%m%d}" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6)),
            state=ApplicationState.DRAFT, owner_fp=citizen.phone_fp,
            id_fingerprint=identity.fingerprint(self.ctx.secret, id_number),
            id_masked=identity.mask_id_number(id_number), name_masked=identity.mask_name(name),
            phone_masked=citizen.phone_masked, created_at=now,
        )  # fmt: skip
        personal = {"name": name, "id_number": id_number, "phone": citizen.phone,
                    "address": address}  # fmt: skip
        async with self.ctx.store.write(hall_id, now) as tx:
            if await sql.live_of_owner(tx.conn, citizen.phone_fp) >= MAX_LIVE_PER_ACCOUNT:
                raise Conflict("too_many_applications", f"at most {MAX_LIVE_PER_ACCOUNT} open "
                               "applications per account", f"每个账号最多同时有 "
                               f"{MAX_LIVE_PER_ACCOUNT} 件未完成的网上申报")  # fmt: skip
            await sql.insert(tx.conn, tx.sealer, a, personal)
        return ApplicationView(a, matter.name)

    async def upload(self, citizen: Citizen, app_id: str, material: str, name: str,
                     data: bytes) -> Upload:  # fmt: skip
        a = await self._own(citizen, app_id)
        matter = await self.matters.matter(a.hall_id, a.matter, include_disabled=True)
        if matter.material(material) is None:
            raise InvalidInput("material_unknown", f"{a.matter} has no material {material!r}",
                               f"该事项没有材料 {material}", field="material")  # fmt: skip
        kind = sniff.check(data, self.upload_limit)
        if not await self.limiter.hit(f"upload:{citizen.phone_fp}", UPLOAD_LIMIT):
            raise RateLimited("rate_limited", "too many uploads; wait a few minutes",
                              "上传过于频繁，请稍后再试")  # fmt: skip
        clean = "".join(ch for ch in name.strip() if ch.isprintable())[:MAX_FILE_NAME] or "file"
        now = self.ctx.clock()
        async with self.ctx.store.write(a.hall_id, now) as tx:
            a = await self._locked(tx.conn, tx.dialect.for_update, app_id)
            if a.state not in ap.EDITABLE:
                raise Conflict("application_locked", "a submitted application cannot change",
                               "申报已提交，不能再修改材料")  # fmt: skip
            kept = await sql.files(tx.conn, app_id)
            if sum(u.size for u in kept) + len(data) > MAX_BYTES_PER_APPLICATION:
                raise Conflict("application_too_large", "this application's files are over "
                               f"{MAX_BYTES_PER_APPLICATION // 2**20} MB in all",
                               f"本次申报的材料合计不能超过 {MAX_BYTES_PER_APPLICATION // 2**20} MB",
                               field="file")  # fmt: skip
            same = [u for u in kept if u.material == material]
            if len(same) >= MAX_FILES_PER_MATERIAL:
                raise Conflict("too_many_files", f"at most {MAX_FILES_PER_MATERIAL} files per "
                               "material", f"每项材料最多上传 {MAX_FILES_PER_MATERIAL} 个文件",
                               field="material")  # fmt: skip
            digest = await self.files.put(tx.conn, data)
            u = Upload(material, digest, clean, len(data), kind, now)
            await sql.add_file(tx.conn, app_id, u)
        return u

    async def remove_file(self, citizen: Citizen, app_id: str, material: str,
                          digest: str) -> None:  # fmt: skip
        a = await self._own(citizen, app_id)
        async with self.ctx.store.write(a.hall_id, self.ctx.clock()) as tx:
            a = await self._locked(tx.conn, tx.dialect.for_update, app_id)
            if a.state not in ap.EDITABLE:
                raise Conflict("application_locked", "a submitted application cannot change",
                               "申报已提交，不能再修改材料")  # fmt: skip
            if not await sql.remove_file(tx.conn, app_id, material, digest):
                raise NotFound("unknown_file", "no such file", "没有找到该文件")

    async def submit(self, citizen: Citizen, app_id: str) -> ApplicationView:
        return await self._citizen_move(citizen, app_id, ApplicationState.SUBMITTED)

    async def withdraw(self, citizen: Citizen, app_id: str) -> ApplicationView:
        return await self._citizen_move(citizen, app_id, ApplicationState.WITHDRAWN)

    async def mine(self, citizen: Citizen) -> list[ApplicationView]:
        async with self.ctx.store.db.reader() as c:
            found = await sql.of_owner(c, citizen.phone_fp)
            return [await self._view(c, a) for a in found]

    async def own(self, citizen: Citizen, app_id: str) -> ApplicationView:
        a = await self._own(citizen, app_id)
        async with self.ctx.store.db.reader() as c:
            return await self._view(c, a)

    # --- the intake clerk -------------------------------------------------------------

    async def queue(self, actor: Actor, hall_id: str) -> list[ApplicationView]:
        require_hall_staff(actor, hall_id)
        async with self.ctx.store.db.reader() as c:
            return [await self._view(c, a) for a in await sql.waiting(c, hall_id)]

    async def staff_view(self, actor: Actor, app_id: str) -> ApplicationView:
        async with self.ctx.store.db.reader() as c:
            a = await sql.get(c, app_id)
            if a is None:
                raise _unknown()
            require_hall_staff(actor, a.hall_id)
            return await self._view(c, a)

    async def accept(self, actor: Actor, app_id: str,
                     materials: Mapping[str, str] | None) -> CaseView:  # fmt: skip
        """Pre-review passed: a case, accepted, from what was uploaded (or the clerk's marks)."""
        a = await self._staffs(actor, app_id)
        info = await self.ctx.hall(a.hall_id)
        matter = await self.matters.matter(a.hall_id, a.matter, include_disabled=True)
        now = self.ctx.clock()
        async with self.ctx.store.write(a.hall_id, now) as tx:
            matter = await self.matters.matter(a.hall_id, a.matter, include_disabled=True,
                                               conn=tx.conn, lock=key_share(tx))  # fmt: skip
            a = await self._locked(tx.conn, tx.dialect.for_update, app_id)
            uploaded = {u.material for u in await sql.files(tx.conn, app_id)}
            marks = cs.checklist(matter, materials if materials is not None else
                                 {k: "received" for k in uploaded})  # fmt: skip
            accepted = ap.move(a, ApplicationState.ACCEPTED, reviewed_at=now,
                               reviewer_id=actor.id)  # fmt: skip
            personal = await sql.personal(tx.conn, tx.sealer, app_id)
            new = NewCase(matter=matter, personal=personal, marks=marks, channel="online",
                          owner_fp=a.owner_fp, application_id=a.id)  # fmt: skip
            view = await self.cases.open_in(tx, info, actor, new, "accept", None)
            await sql.update(tx.conn, replace(accepted, case_id=view.case.id))
        await self.ctx.publish_all(tx.events)
        return view

    async def return_(self, actor: Actor, app_id: str, missing: Sequence[str],
                      note: str | None) -> ApplicationView:  # fmt: skip
        """一次性告知 online: every missing item at once, by SMS; the citizen uploads again."""
        a = await self._staffs(actor, app_id)
        info = await self.ctx.hall(a.hall_id)
        matter = await self.matters.matter(a.hall_id, a.matter, include_disabled=True)
        keys = list(dict.fromkeys(missing))
        if not keys or any(matter.material(k) is None for k in keys):
            raise InvalidInput("missing_invalid", "list the missing materials by key",
                               "请勾选缺少或需更正的材料", field="missing")  # fmt: skip
        text = cs.reason_text(note, required=False)
        now = self.ctx.clock()
        async with self.ctx.store.write(a.hall_id, now) as tx:
            a = await self._locked(tx.conn, tx.dialect.for_update, app_id)
            after = ap.move(a, ApplicationState.RETURNED, reviewed_at=now, reviewer_id=actor.id,
                            missing=tuple(keys), note=text)  # fmt: skip
            await sql.update(tx.conn, after)
            items = "、".join(m.name for m in matter.materials if m.key in keys)
            phone = (await sql.personal(tx.conn, tx.sealer, app_id)).get("phone")
            if phone:
                params = {"hall": info.hall.name, "matter": matter.name,
                          "reference": a.reference, "items": items}  # fmt: skip
                templates.check("application_returned", params)
                tx.notify(Message(kind=SMS, recipient=phone, template="application_returned",
                                  params=params, hall_id=a.hall_id,
                                  idem_key=f"application:{a.id}:returned:{now.isoformat()}"))  # fmt: skip
            tx.audit(audit.record(actor, a.hall_id, "application.return", a.reference,
                                  missing=keys))  # fmt: skip
        async with self.ctx.store.db.reader() as c:
            return await self._view(c, after)

    async def file(self, actor: Actor, app_id: str, digest: str) -> tuple[Upload, bytes]:
        """An uploaded file, for the hall's staff or the officers of the case made from it."""
        async with self.ctx.store.db.reader() as c:
            a = await sql.get(c, app_id)
            if a is None:
                raise _unknown()
            allowed = False
            if a.case_id is not None:
                case = await cases_sql.get(c, a.case_id)
                allowed = case is not None and may_see(actor, case,
                                                       await cases_sql.tasks_of(c, case.id))  # fmt: skip
            if not allowed:
                require_hall_staff(actor, a.hall_id)
            u = await sql.file_of(c, app_id, digest)
            data = await self.files.get(c, digest) if u is not None else None
        if u is None or data is None:
            raise NotFound("unknown_file", "no such file", "没有找到该文件")
        async with self.ctx.store.write(a.hall_id, self.ctx.clock()) as tx:
            tx.audit(audit.record(actor, a.hall_id, "application.view_file", a.reference,
                                  material=u.material, digest=digest))  # fmt: skip
        return u, data

    # --- helpers ----------------------------------------------------------------------

    async def _citizen_move(self, citizen: Citizen, app_id: str,
                            to: ApplicationState) -> ApplicationView:  # fmt: skip
        a = await self._own(citizen, app_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(a.hall_id, now) as tx:
            a = await self._locked(tx.conn, tx.dialect.for_update, app_id)
            changes: dict[str, object] = {"submitted_at": now} if to is ApplicationState.SUBMITTED \
                else {}  # fmt: skip
            after = ap.move(a, to, **changes)
            await sql.update(tx.conn, after)
        async with self.ctx.store.db.reader() as c:
            return await self._view(c, after)

    async def _own(self, citizen: Citizen, app_id: str) -> Application:
        async with self.ctx.store.db.reader() as c:
            a = await sql.get(c, app_id)
        if a is None or a.owner_fp != citizen.phone_fp:
            raise _unknown()  # another's application is as good as unknown
        return a

    async def _staffs(self, actor: Actor, app_id: str) -> Application:
        async with self.ctx.store.db.reader() as c:
            a = await sql.get(c, app_id)
        if a is None:
            raise _unknown()
        require_hall_staff(actor, a.hall_id)
        return a

    @staticmethod
    async def _locked(conn: Conn, lock: str, app_id: str) -> Application:
        a = await sql.get(conn, app_id, lock=lock)
        if a is None:
            raise _unknown()
        return a

    async def _view(self, c: Conn, a: Application) -> ApplicationView:
        matter = await self.matters.matter(a.hall_id, a.matter, include_disabled=True, conn=c)
        return ApplicationView(a, matter.name, await sql.files(c, a.id))

