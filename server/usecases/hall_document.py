"""A hall as one JSON document: export it, and import it all or nothing.

``onewindow hall export`` writes the hall, its departments, services, windows
and calendar; ``onewindow hall import`` makes a hall match such a document. The
import first works out the changes (printed, and all that ``--dry-run`` does),
then applies them in one transaction with their audit rows and a
``config.changed`` event. Importing the same document twice changes nothing
the second time. Staff accounts and notices are not part of a hall document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import audit
from ..domain import config as rules
from ..domain.appointment import BookingRules
from ..domain.errors import Conflict, InvalidInput
from ..domain.model import Actor, Channel, Department, DepartmentKind, Hall, Service, Window
from ..store import config_sql
from ..store.db import Conn, Dialect
from ..store.tx import Tx
from . import appointment_sweep
from .config import removable_window, require_unused_service
from .context import Context

FORMAT: Literal["onewindow-hall/1"] = "onewindow-hall/1"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class HallPart(_Part):
    id: str = Field(min_length=1, max_length=rules.ID_MAX, pattern=rules.ID_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    tz: str = "Asia/Shanghai"
    region_code: str | None = None
    hours: dict[str, list[list[str]]]
    calendar: dict[str, bool] = Field(default_factory=dict)


class DepartmentPart(_Part):
    id: str = Field(min_length=1, max_length=rules.ID_MAX, pattern=rules.ID_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = ""
    kind: Literal["front", "back"]


class ServicePart(_Part):
    code: str = Field(pattern=rules.SERVICE_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = ""
    avg_service_s: int = Field(default=300, ge=30, le=14400)
    channels: list[Literal["kiosk", "phone", "window"]] = ["kiosk", "phone", "window"]
    daily_quota: int | None = Field(default=None, ge=0)
    booking: dict[str, Any] | None = None  # BookingRules as JSON; checked on import


class WindowPart(_Part):
    id: str = Field(min_length=1, max_length=rules.ID_MAX, pattern=rules.ID_PATTERN)
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=60)
    services: list[str] = Field(default_factory=list)
    department: str | None = None


class HallDocument(_Part):
    format: Literal["onewindow-hall/1"]
    hall: HallPart
    departments: list[DepartmentPart] = Field(default_factory=list)
    services: list[ServicePart]
    windows: list[WindowPart] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Change:
    op: str  # "+" add, "~" change, "-" remove
    what: str  # hall, department, service, window
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def line(self) -> str:
        if self.op == "~" and self.before is not None and self.after is not None:
            diff = audit.changes(self.before, self.after)
            parts = [f"{k}: {json.dumps(diff['before'][k], ensure_ascii=False)} → "
                     f"{json.dumps(diff['after'][k], ensure_ascii=False)}" for k in diff["before"]]  # fmt: skip
            return f"~ {self.what} {self.key}: " + "; ".join(parts)
        return f"{self.op} {self.what} {self.key}"


def parse(raw: object) -> HallDocument:
    """A validated document; errors name the JSON path (``windows.2.number``)."""
    try:
        doc = HallDocument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InvalidInput("document_invalid", f"{where}: {first['msg']}",
                           f"导入文件有误：{where}", field=where) from exc  # fmt: skip
    _check(doc)
    return doc


def _check(doc: HallDocument) -> None:
    """Rules beyond types; then puts lists in the order the store gives them back, so a
    document compares equal to its own export (importing it twice changes nothing)."""
    h = doc.hall
    rules.check_tz(h.tz, "hall.tz")
    h.hours = rules.check_hours(h.hours, "hall.hours")
    h.calendar = rules.check_calendar(h.calendar, "hall.calendar")
    rules.check_region(h.region_code)
    codes = {s.code for s in doc.services}
    depts = {d.id for d in doc.departments}
    for what, field, keys in (("departments", "id", [d.id for d in doc.departments]),
                              ("services", "code", [s.code for s in doc.services]),
                              ("windows", "id", [w.id for w in doc.windows]),
                              ("windows", "number", [str(w.number) for w in doc.windows])):  # fmt: skip
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                raise InvalidInput("document_invalid", f"{what}.{i}.{field}: {key} appears twice",
                                   f"导入文件有误：{what}.{i}.{field} 重复（{key}）",
                                   field=f"{what}.{i}.{field}")  # fmt: skip
            seen.add(key)
    for i, w in enumerate(doc.windows):
        for j, code in enumerate(w.services):
            if code not in codes:
                raise InvalidInput("unknown_service", f"windows.{i}.services.{j}: no service {code}",
                                   f"窗口所办业务 {code} 不在文件的业务列表中",
                                   field=f"windows.{i}.services.{j}")  # fmt: skip
        if w.department is not None and w.department not in depts:
            raise InvalidInput("unknown_department", f"windows.{i}.department: no department {w.department}",
                               f"窗口所属部门 {w.department} 不在文件的部门列表中",
                               field=f"windows.{i}.department")  # fmt: skip
    for w in doc.windows:
        w.services = sorted(set(w.services))
    for i, s in enumerate(doc.services):
        s.channels = list(dict.fromkeys(s.channels))
        if s.booking is not None:
            try:
                s.booking = BookingRules.from_json(s.booking).to_json()
            except InvalidInput as err:
                err.field = f"services.{i}.{err.field}"
                raise


async def export(c: Conn, dialect: Dialect, hall_id: str) -> HallDocument | None:
    h = await config_sql.hall(c, hall_id)
    if h is None:
        return None
    return HallDocument(
        format=FORMAT,
        hall=HallPart(id=h.id, name=h.name, tz=h.tz, region_code=h.region_code, hours=h.hours,
                      calendar=h.calendar),
        departments=[DepartmentPart(id=d.id, name=d.name, name_en=d.name_en, kind=d.kind.value)
                     for d in await config_sql.departments(c, hall_id)],
        services=[ServicePart(code=s.code, name=s.name, name_en=s.name_en,
                              avg_service_s=s.avg_service_s,
                              channels=[c.value for c in s.channels], daily_quota=s.daily_quota,
                              booking=s.booking.to_json() if s.booking else None)
                  for s in await config_sql.service_rows(c, hall_id)],
        windows=[WindowPart(id=w.id, number=w.number, name=w.name, services=list(w.services),
                            department=w.department_id)
                 for w in await config_sql.window_rows(c, dialect, hall_id)],
    )  # fmt: skip


def plan(
    current: HallDocument | None,
    wanted: HallDocument,
    shared: dict[str, dict[str, Any]] | None = None,
) -> list[Change]:
    """What must change for the hall to match ``wanted``, in the order it is applied.

    ``shared``: departments that exist, serving other halls only, whose ids the
    document uses. Departments are shared between halls, so the document links
    such a one to its hall (and its fields change for every hall it serves)."""
    out: list[Change] = []
    h_new = wanted.hall.model_dump()
    if current is None:
        out.append(Change("+", "hall", wanted.hall.id, None, h_new))
    elif current.hall.model_dump() != h_new:
        out.append(Change("~", "hall", wanted.hall.id, current.hall.model_dump(), h_new))
    for what in ("departments", "services", "windows"):
        key = "code" if what == "services" else "id"
        have = {p[key]: p for p in _dicts(current, what)}
        want = {p[key]: p for p in _dicts(wanted, what)}
        if what == "departments":
            have = {k: {**p, "linked": True} for k, p in have.items()}
            have.update({k: {**p, "linked": False} for k, p in (shared or {}).items()})
            want = {k: {**p, "linked": True} for k, p in want.items()}
        noun = what[:-1] if what != "services" else "service"
        for k, p in want.items():
            if k not in have:
                out.append(Change("+", noun, k, None, p))
            elif have[k] != p:
                out.append(Change("~", noun, k, have[k], p))
        out += [Change("-", noun, k, p, None) for k, p in have.items()
                if k not in want and p.get("linked", True)]  # fmt: skip
    return out


def _dicts(doc: HallDocument | None, what: str) -> list[dict[str, Any]]:
    return [] if doc is None else [p.model_dump() for p in getattr(doc, what)]


class HallDocuments:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def export(self, hall_id: str) -> dict[str, Any]:
        async with self.ctx.store.db.reader() as c:
            doc = await export(c, self.ctx.store.db.dialect, hall_id)
        if doc is None:
            raise InvalidInput("unknown_hall", f"no hall {hall_id!r}", f"没有编号为 {hall_id} 的服务大厅")
        return doc.model_dump()

    async def import_(self, raw: object, actor: Actor, *, dry_run: bool) -> list[Change]:
        """The changes the document makes; applied (all or nothing) unless ``dry_run``."""
        doc = parse(raw)
        hall_id = doc.hall.id
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            known = {d.id: d for d in await config_sql.departments(tx.conn)}
            shared = {
                d.id: DepartmentPart(id=d.id, name=d.name, name_en=d.name_en,
                                     kind=d.kind.value).model_dump()
                for p in doc.departments
                if (d := known.get(p.id)) is not None and hall_id not in d.halls
            }  # fmt: skip
            changes = plan(await export(tx.conn, tx.dialect, hall_id), doc, shared)
            if dry_run or not changes:
                return changes
            await _apply(tx, doc, changes)
            for ch in changes:
                tx.audit(audit.record(actor, hall_id, f"config.{ch.what}.imported", ch.key,
                                      op=ch.op, **audit.changes(ch.before or {}, ch.after or {})))  # fmt: skip
            tx.emit(rules.config_event("hall", "imported", hall_id))
        self.ctx.forget(hall_id)
        await self.ctx.publish_all(tx.events)
        await appointment_sweep.after_change(self.ctx, hall_id)
        return changes


async def _apply(tx: Tx, doc: HallDocument, changes: list[Change]) -> None:
    hall_id, c = doc.hall.id, tx.conn
    hp = doc.hall
    hall = Hall(hp.id, hp.name, hp.tz, rules.check_hours(hp.hours),
                rules.check_calendar(hp.calendar), hp.region_code)  # fmt: skip
    by = {(ch.what, ch.op): [x for x in changes if (x.what, x.op) == (ch.what, ch.op)] for ch in changes}
    if ("hall", "+") in by:
        await config_sql.insert_hall(c, hall, tx.now)
    elif ("hall", "~") in by:
        await config_sql.save_hall(c, hall)
    known = {d.id: d for d in await config_sql.departments(c)}
    for dp in doc.departments:
        d = known.get(dp.id)
        halls = tuple(sorted({*(d.halls if d else ()), hall_id}))
        fresh = Department(dp.id, dp.name, DepartmentKind(dp.kind), halls, dp.name_en)
        if d != fresh:
            await config_sql.save_department(c, fresh, tx.now, insert=d is None)
    for sp in doc.services:
        svc = Service(hall_id, sp.code, sp.name, sp.name_en, sp.avg_service_s,
                      tuple(Channel(x) for x in sp.channels), sp.daily_quota,
                      BookingRules.from_json(sp.booking) if sp.booking is not None else None)  # fmt: skip
        await config_sql.save_service(c, svc, insert=True)
    current = {w.id: w for w in await config_sql.window_rows(c, tx.dialect, hall_id)}
    for ch in by.get(("window", "-"), []):
        await removable_window(tx, ch.key, field=f"windows:{ch.key}")
        await config_sql.delete_window(c, ch.key)
    # Numbers may be swapped between windows: park the changed ones out of the way first.
    moving = [ch.key for ch in by.get(("window", "~"), []) if ch.before and ch.after
              and ch.before["number"] != ch.after["number"]]  # fmt: skip
    for i, wid in enumerate(moving):
        await c.execute("UPDATE windows SET number = $2 WHERE id = $1", wid, -1 - i)
    for i, wp in enumerate(doc.windows):
        if wp.id not in current and await config_sql.window_hall(c, wp.id) not in (None, hall_id):
            raise Conflict("window_exists", f"windows.{i}.id: {wp.id} belongs to another hall",
                           f"窗口编号 {wp.id} 已被其他大厅使用", field=f"windows.{i}.id")  # fmt: skip
        w = Window(wp.id, hall_id, wp.number, wp.name, tuple(sorted(set(wp.services))),
                   department_id=wp.department)  # fmt: skip
        if wp.id not in current:
            await config_sql.save_window(c, w, insert=True)
        elif any(ch.key == wp.id for ch in by.get(("window", "~"), [])):
            await config_sql.save_window(c, w, insert=False)
    for ch in by.get(("service", "-"), []):
        await require_unused_service(tx, hall_id, ch.key, field=f"services:{ch.key}")
        await config_sql.retire_service(c, hall_id, ch.key)
    for ch in by.get(("department", "-"), []):
        d = known[ch.key]
        await config_sql.save_department(
            c, Department(d.id, d.name, d.kind, tuple(h for h in d.halls if h != hall_id), d.name_en),
            tx.now, insert=False,
        )  # fmt: skip
