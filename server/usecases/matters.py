"""The hall's catalog of matters (事项): what the guide, the kiosk and the phone list,
what intake takes a case in against, and its administration.

Public listings read a short per-hall cache (dropped here at every change; another
process sees a change within ``ctx.cache_seconds``). Intake reads the store
afresh through ``matter()``: a case must be taken in against the matter as it is.
Each change is one transaction with its audit row and a ``config.changed`` event.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pypinyin import Style, lazy_pinyin

from .. import audit
from ..domain import access
from ..domain import config as rules
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.matter import Matter, matter_json, parse_matter
from ..domain.model import Actor, DepartmentKind
from ..store import config_sql
from ..store import matters_sql as sql
from ..store.db import Conn
from ..store.tx import Tx
from .context import Context

MAX_QUERY = 40


def initials(name: str) -> str:
    """Lowercase pinyin initials of a name for the guide's search (居民身份证换领 -> jmsfzhl):
    ASCII letters and digits are kept, lowercased; anything else is dropped."""
    # NFKC first: full-width Ａ and ２, common in Chinese text, become A and 2.
    text = unicodedata.normalize("NFKC", name)
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=_kept)).lower()


def _kept(chunk: str) -> str:
    return "".join(ch.lower() for ch in chunk if ch.isascii() and ch.isalnum())


def unknown_matter(code: str) -> NotFound:
    return NotFound("unknown_matter", f"no matter {code!r} in this hall", f"本大厅没有事项 {code}")


@dataclass(frozen=True, slots=True)
class Labels:
    """Names a matter's ids stand for, as a listing shows them."""

    departments: Mapping[str, str]  # department id -> name
    services: Mapping[str, str]  # service code -> name


@dataclass(frozen=True, slots=True)
class _Cached:
    at: float
    enabled: tuple[Matter, ...]
    departments: Mapping[str, str]


class Matters:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._cache: dict[str, _Cached] = {}

    # --- public ---------------------------------------------------------------------

    async def listing(self, hall_id: str, q: str | None = None) -> list[Matter]:
        """The hall's enabled matters by code; ``q`` narrows them (see matters_sql.search)."""
        cached = await self._cached(hall_id)
        text = unicodedata.normalize("NFKC", q or "").strip()
        if len(text) > MAX_QUERY:
            raise InvalidInput("invalid_request", f"q: at most {MAX_QUERY} characters",
                               f"查询内容不能超过 {MAX_QUERY} 个字", field="q")  # fmt: skip
        if not text:
            return list(cached.enabled)
        async with self.ctx.store.db.reader() as c:
            return await sql.search(c, hall_id, text)

    async def get(self, hall_id: str, code: str) -> Matter:
        """An enabled matter of the hall; disabled ones are as unknown to the public."""
        cached = await self._cached(hall_id)
        found = next((m for m in cached.enabled if m.code == code), None)
        if found is None:
            # Perhaps added in another process since the catalog was cached.
            found = await self.matter(hall_id, code)
        return found

    async def labels(self, hall_id: str, *, fresh: bool = False) -> Labels:
        """Department and service names; ``fresh`` for the admin pages, which just renamed one."""
        info = await self.ctx.hall(hall_id, fresh=fresh)
        depts: Mapping[str, str]
        if fresh:
            async with self.ctx.store.db.reader() as c:
                depts = await _department_names(c)
        else:
            depts = (await self._cached(hall_id)).departments
        return Labels(depts, {s.code: s.name for s in info.services.values()})

    # --- for other use cases (intake) ------------------------------------------------

    async def matter(self, hall_id: str, code: str, *, include_disabled: bool = False,
                     conn: Conn | None = None, lock: str = "") -> Matter:  # fmt: skip
        """The matter as stored now (no cache); NotFound unknown_matter if there is none,
        or if it is disabled and ``include_disabled`` is not set.

        Inside a transaction (or a reader) pass its ``conn``: taking a second pooled
        connection while holding one lets a busy pool deadlock on itself."""
        if conn is not None:
            found = await sql.get(conn, hall_id, code, lock=lock)
        else:
            async with self.ctx.store.db.reader() as c:
                found = await sql.get(c, hall_id, code)
        if found is None or not (found.enabled or include_disabled):
            raise unknown_matter(code)
        return found

    # --- administration -----------------------------------------------------------------

    async def admin_listing(self, actor: Actor, hall_id: str) -> list[Matter]:
        """Every matter of the hall, disabled ones too (its supervisor, admins)."""
        access.require_hall_manager(actor, hall_id)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.db.reader() as c:
            return await sql.of_hall(c, hall_id, enabled_only=False)

    async def save(
        self, actor: Actor, hall_id: str, code: str, body: Mapping[str, Any]
    ) -> tuple[Matter, bool]:
        """Create or replace a matter from its JSON form; True when it was created."""
        access.require_hall_manager(actor, hall_id)
        await self.ctx.hall(hall_id)
        m = parse_matter(hall_id, code, body)
        m = replace(m, initials=initials(m.name))
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            await _check_links(tx, m)
            before = await sql.get(tx.conn, hall_id, code, lock=tx.dialect.lock_row)
            created = await sql.save(tx.conn, m, tx.now)
            tx.audit(audit.record(actor, hall_id, "matter.save", f"{hall_id}:{code}",
                                  created=created,
                                  **audit.changes(matter_json(before) if before else {},
                                                  matter_json(m))))  # fmt: skip
            tx.emit(rules.config_event("matter", "created" if created else "updated", code))
        self._cache.pop(hall_id, None)
        await self.ctx.publish_all(tx.events)
        return m, created

    async def delete(self, actor: Actor, hall_id: str, code: str) -> None:
        """Remove a matter no case names; one that has cases can only be disabled."""
        access.require_hall_manager(actor, hall_id)
        await self.ctx.hall(hall_id)
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            # FOR UPDATE (not the lighter row lock): an intake naming this matter holds a
            # key-share lock on it, so the two wait for each other instead of racing.
            before = await sql.get(tx.conn, hall_id, code, lock=tx.dialect.for_update)
            if before is None:
                raise unknown_matter(code)
            if await sql.in_use(tx.conn, hall_id, code):
                raise Conflict(
                    "matter_in_use",
                    "cases name this matter: disable it instead (enabled: false)",
                    "已有办件使用该事项，无法删除，请改为停用",
                )
            await sql.delete(tx.conn, hall_id, code)
            tx.audit(audit.record(actor, hall_id, "matter.delete", f"{hall_id}:{code}",
                                  before=matter_json(before)))  # fmt: skip
            tx.emit(rules.config_event("matter", "deleted", code))
        self._cache.pop(hall_id, None)
        await self.ctx.publish_all(tx.events)

    # --- helpers ------------------------------------------------------------------------

    async def _cached(self, hall_id: str) -> _Cached:
        await self.ctx.hall(hall_id)  # unknown_hall before anything else
        hit = self._cache.get(hall_id)
        if hit is not None and time.monotonic() - hit.at < self.ctx.cache_seconds:
            return hit
        async with self.ctx.store.db.reader() as c:
            enabled = await sql.of_hall(c, hall_id, enabled_only=True)
            depts = await _department_names(c)
        hit = self._cache[hall_id] = _Cached(time.monotonic(), tuple(enabled), depts)
        return hit


async def _department_names(c: Conn) -> dict[str, str]:
    # Every department, not only the hall's: a matter keeps naming one that has
    # since stopped serving the hall, and should still show its name.
    return {d.id: d.name for d in await config_sql.departments(c)}


async def _check_links(tx: Tx, m: Matter) -> None:
    """What parse_matter cannot know: the departments and services the matter names."""
    known = {d.id: d for d in await config_sql.departments(tx.conn)}
    for i, dept_id in enumerate(m.departments):
        d = known.get(dept_id)
        if d is None or m.hall_id not in d.halls:
            raise InvalidInput("department_unknown",
                               f"departments.{i}: no department {dept_id!r} serves this hall",
                               f"本大厅没有部门 {dept_id}", field=f"departments.{i}")  # fmt: skip
        if d.kind is not DepartmentKind.BACK:
            raise InvalidInput("department_not_back",
                               f"departments.{i}: {dept_id!r} is a front counter, not a"
                               " back-office department",
                               f"部门 {d.name} 不是后台审批部门", field=f"departments.{i}")  # fmt: skip
    services = {s.code for s in await config_sql.service_rows(tx.conn, m.hall_id)}
    for field in ("intake_service", "pickup_service"):
        code = getattr(m, field)
        if code not in services:
            raise InvalidInput("unknown_service", f"{field}: the hall has no service {code!r}",
                               f"本大厅没有业务类型 {code}", field=field)  # fmt: skip
