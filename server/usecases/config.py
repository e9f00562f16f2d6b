"""Configuring a hall while it runs: the hall itself, its calendar, services and windows.

Each change is one transaction holding the change, its audit row (before and
after of the changed fields) and a ``config.changed`` event, so open boards and
consoles follow at once and the log says who did it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .. import audit
from ..auth import hash_password
from ..domain import access
from ..domain import config as rules
from ..domain.errors import Conflict, NotFound
from ..domain.model import Actor, Hall, Service, Window, WindowState
from ..store import appointments_sql, config_sql
from ..store.db import UniqueViolation
from ..store.tx import Tx
from . import appointment_sweep
from .context import Context


def _hall_fields(h: Hall) -> dict[str, Any]:
    # The green-channel PIN is audited as set or not, never as its hash.
    return {"name": h.name, "tz": h.tz, "hours": h.hours, "region_code": h.region_code,
            "notify_issued": h.notify_issued, "advance_notice": h.advance_notice,
            "green_pin": h.green_pin_hash is not None}  # fmt: skip


def service_fields(s: Service) -> dict[str, Any]:
    return {"name": s.name, "name_en": s.name_en, "avg_service_s": s.avg_service_s,
            "channels": [c.value for c in s.channels], "daily_quota": s.daily_quota,
            "booking": s.booking.to_json() if s.booking else None}  # fmt: skip


def window_fields(w: Window) -> dict[str, Any]:
    return {"number": w.number, "name": w.name, "services": list(w.services),
            "department": w.department_id}  # fmt: skip


def _no_hall(hall_id: str) -> NotFound:
    return NotFound("unknown_hall", f"no hall {hall_id!r}", f"没有编号为 {hall_id} 的服务大厅")


class Config:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _commit(self, hall_id: str, tx: Tx) -> None:
        self.ctx.forget(hall_id)
        await self.ctx.publish_all(tx.events)
        await appointment_sweep.after_change(self.ctx, hall_id)

    # --- halls and calendars ---------------------------------------------------------

    async def halls(self, actor: Actor) -> list[Hall]:
        only = access.visible_hall(actor, None)
        return [h for h in await self.ctx.store.halls() if only is None or h.id == only]

    async def hall(self, actor: Actor, hall_id: str) -> Hall:
        access.visible_hall(actor, hall_id)
        found = await self.ctx.store.hall(hall_id)
        if found is None:
            raise _no_hall(hall_id)
        return found

    async def create_hall(self, actor: Actor, h: Hall) -> Hall:
        access.require_admin(actor)
        h = replace(h, tz=rules.check_tz(h.tz), hours=rules.check_hours(h.hours),
                    calendar=rules.check_calendar(h.calendar),
                    region_code=rules.check_region(h.region_code))  # fmt: skip
        if await self.ctx.store.hall(h.id) is not None:
            raise Conflict("hall_exists", f"hall {h.id} exists", f"大厅 {h.id} 已存在", field="id")
        try:
            async with self.ctx.store.write(h.id, self.ctx.clock()) as tx:
                await config_sql.insert_hall(tx.conn, h, tx.now)
                tx.audit(audit.record(actor, h.id, "config.hall.created", h.id,
                                      after={**_hall_fields(h), "calendar": h.calendar}))  # fmt: skip
                tx.emit(rules.config_event("hall", "created", h.id))
        except UniqueViolation as exc:  # created by someone else a moment ago
            raise Conflict("hall_exists", f"hall {h.id} exists", f"大厅 {h.id} 已存在",
                           field="id") from exc  # fmt: skip
        await self._commit(h.id, tx)
        return h

    async def update_hall(self, actor: Actor, hall_id: str, changes: Mapping[str, Any]) -> Hall:
        access.require_admin(actor)
        checks = {"tz": rules.check_tz, "hours": rules.check_hours, "region_code": rules.check_region,
                  "advance_notice": rules.check_advance_notice}  # fmt: skip
        clean = {k: checks[k](v) if k in checks else v for k, v in changes.items()}  # type: ignore[operator]
        if "green_pin" in clean:
            pin = clean.pop("green_pin")
            clean["green_pin_hash"] = None if pin is None else hash_password(rules.check_pin(pin))
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            before = await self._locked_hall(tx, hall_id)
            after = replace(before, **clean)
            await config_sql.save_hall(tx.conn, after)
            tx.audit(audit.record(actor, hall_id, "config.hall.updated", hall_id,
                                  **audit.changes(_hall_fields(before), _hall_fields(after))))  # fmt: skip
            tx.emit(rules.config_event("hall", "updated", hall_id))
        await self._commit(hall_id, tx)
        return after

    async def set_calendar_year(
        self, actor: Actor, hall_id: str, year: int, days: Mapping[str, bool]
    ) -> Hall:
        access.require_hall_manager(actor, hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            before = await self._locked_hall(tx, hall_id)
            after = replace(before, calendar=rules.replace_year(before.calendar, year, days))
            await config_sql.save_hall(tx.conn, after)
            old = {k: v for k, v in before.calendar.items() if k.startswith(f"{year}-")}
            new = {k: v for k, v in after.calendar.items() if k.startswith(f"{year}-")}
            tx.audit(audit.record(actor, hall_id, "config.calendar.updated", f"{hall_id}:{year}",
                                  **audit.changes(old, new)))  # fmt: skip
            tx.emit(rules.config_event("calendar", "updated", hall_id, year=year))
        await self._commit(hall_id, tx)
        return after

    async def _locked_hall(self, tx: Tx, hall_id: str) -> Hall:
        found = await config_sql.hall(tx.conn, hall_id, tx.dialect.lock_row)
        if found is None:
            raise _no_hall(hall_id)
        return found

    # --- services ------------------------------------------------------------------

    async def services(self, actor: Actor, hall_id: str) -> list[Service]:
        access.visible_hall(actor, hall_id)
        await self.ctx.hall(hall_id)
        return await self.ctx.store.services(hall_id)

    async def save_service(
        self, actor: Actor, hall_id: str, code: str, fields: Mapping[str, Any], *, create: bool
    ) -> Service:
        access.require_admin(actor)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            current = {s.code: s for s in await config_sql.service_rows(tx.conn, hall_id)}
            before = current.get(code)
            if create and before is not None:
                raise Conflict("service_exists", f"service {code} exists", f"业务类型 {code} 已存在",
                               field="code")  # fmt: skip
            if not create and before is None:
                raise _no_service(code)
            base = before or Service(hall_id, code, "", "", 300)
            after = replace(base, **fields)
            await config_sql.save_service(tx.conn, after, insert=create)
            action = "created" if create else "updated"
            tx.audit(audit.record(actor, hall_id, f"config.service.{action}", f"{hall_id}:{code}",
                                  **audit.changes(service_fields(before) if before else {},
                                                  service_fields(after))))  # fmt: skip
            tx.emit(rules.config_event("service", action, code))
        await self._commit(hall_id, tx)
        return after

    async def delete_service(self, actor: Actor, hall_id: str, code: str) -> None:
        access.require_admin(actor)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            current = {s.code: s for s in await config_sql.service_rows(tx.conn, hall_id)}
            if code not in current:
                raise _no_service(code)
            await require_unused_service(tx, hall_id, code)
            await config_sql.retire_service(tx.conn, hall_id, code)
            tx.audit(audit.record(actor, hall_id, "config.service.deleted", f"{hall_id}:{code}",
                                  before=service_fields(current[code])))  # fmt: skip
            tx.emit(rules.config_event("service", "deleted", code))
        await self._commit(hall_id, tx)

    # --- windows -------------------------------------------------------------------

    async def windows(self, actor: Actor, hall_id: str) -> list[Window]:
        access.visible_hall(actor, hall_id)
        await self.ctx.hall(hall_id)
        return await self.ctx.store.windows(hall_id)

    async def create_window(self, actor: Actor, hall_id: str, w: Window) -> Window:
        access.require_hall_manager(actor, hall_id)
        info = await self.ctx.hall(hall_id, fresh=True)
        w = replace(w, hall_id=hall_id, id=w.id or f"{hall_id}-w{w.number}")
        rules.check_window_services(w, info.services)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            await self._check_window(tx, w, creating=True)
            if await config_sql.window_hall(tx.conn, w.id) is not None:
                raise Conflict("window_exists", f"window {w.id} exists", f"窗口 {w.id} 已存在",
                               field="id")  # fmt: skip
            try:
                await config_sql.save_window(tx.conn, w, insert=True)
            except UniqueViolation as exc:
                if "number" in exc.constraint:
                    raise _number_taken(w.number) from exc
                raise Conflict("window_exists", f"window {w.id} exists", f"窗口 {w.id} 已存在",
                               field="id") from exc  # fmt: skip
            tx.audit(audit.record(actor, hall_id, "config.window.created", w.id,
                                  **audit.changes({}, window_fields(w))))  # fmt: skip
            tx.emit(rules.window_changed("created", w))
        await self._commit(hall_id, tx)
        return w

    async def update_window(self, actor: Actor, window_id: str, fields: Mapping[str, Any]) -> Window:
        hall_id = await self.ctx.window_hall(window_id)
        access.require_hall_manager(actor, hall_id)
        info = await self.ctx.hall(hall_id, fresh=True)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            before = await tx.window(window_id)
            if before is None:
                raise _no_window(window_id)
            after = replace(before, **fields)
            rules.check_window_services(after, info.services)
            await self._check_window(tx, after)
            try:
                await config_sql.save_window(tx.conn, after, insert=False)
            except UniqueViolation as exc:
                raise _number_taken(after.number) from exc
            tx.audit(audit.record(actor, hall_id, "config.window.updated", window_id,
                                  **audit.changes(window_fields(before), window_fields(after))))  # fmt: skip
            tx.emit(rules.window_changed("updated", after))
        await self._commit(hall_id, tx)
        return after

    async def delete_window(self, actor: Actor, window_id: str) -> None:
        hall_id = await self.ctx.window_hall(window_id)
        access.require_hall_manager(actor, hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            w = await removable_window(tx, window_id)
            await config_sql.delete_window(tx.conn, window_id)
            tx.audit(audit.record(actor, hall_id, "config.window.deleted", window_id,
                                  before=window_fields(w)))  # fmt: skip
            tx.emit(rules.window_changed("deleted", w))
        await self._commit(hall_id, tx)

    async def _check_window(self, tx: Tx, w: Window, *, creating: bool = False) -> None:
        if await config_sql.number_taken(tx.conn, w.hall_id, w.number, "" if creating else w.id):
            raise _number_taken(w.number)
        known = {d.id: d for d in await config_sql.departments(tx.conn)}
        rules.check_department(w.department_id, w.hall_id, known, "department")


async def removable_window(tx: Tx, window_id: str, field: str | None = None) -> Window:
    """The window, locked, if it may be removed: closed, and no ticket waits for it by name
    (a clerk may be opening it right now; a removed target would strand its tickets)."""
    w = await tx.window(window_id)
    if w is None:
        raise _no_window(window_id)
    if w.state is not WindowState.CLOSED:
        raise Conflict(
            "window_in_use",
            f"window {w.number} is open; close it first",
            f"{w.number}号窗口正在使用，请先关闭窗口",
            field=field,
        )
    if waiting := await config_sql.targeted(tx.conn, window_id):
        raise Conflict(
            "window_in_use",
            f"{waiting} waiting tickets were sent to window {w.number}; move them first",
            f"有 {waiting} 张号票正等候{w.number}号窗口，请先转移",
            field=field,
        )
    return w


async def require_unused_service(tx: Tx, hall_id: str, code: str, field: str | None = None) -> None:
    """A service may be retired once no ticket waits for it, no window serves it and no
    booking is live (its holders would be left with nothing to check in to)."""
    waiting, windows = await config_sql.service_use(tx.conn, hall_id, code)
    if booked := await appointments_sql.live_in_service(tx.conn, hall_id, code):
        raise Conflict("service_has_bookings",
                       f"service {code} has {booked} live bookings; turn booking off and let them pass",
                       f"业务 {code} 仍有 {booked} 个未到期的预约，请先停止预约并待其办结",
                       field=field)  # fmt: skip
    if waiting or windows:
        where = "、".join(f"{n}号窗口" for n in windows)
        raise Conflict(
            "service_in_use",
            f"service {code} has {waiting} open tickets and is served by windows {windows}",
            f"业务 {code} 仍有 {waiting} 张未办结号票" + (f"，且由{where}办理" if where else ""),
            field=field,
        )


def _no_service(code: str) -> NotFound:
    return NotFound("unknown_service", f"no service {code!r}", f"没有业务类型 {code}")


def _no_window(window_id: str) -> NotFound:
    return NotFound("unknown_window", f"no window {window_id!r}", f"没有窗口 {window_id}")


def _number_taken(number: int) -> Conflict:
    return Conflict(
        "window_number_taken",
        f"window number {number} is taken in this hall",
        f"本大厅已有 {number} 号窗口",
        field="number",
    )

