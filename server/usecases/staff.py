"""Departments and staff accounts: who works where, in which role, and whether they may sign in.

A change of role, scope or enabled flag, or a password reset, revokes the
user's sessions in the same transaction: their tokens stop working and their
WebSockets close, so nobody keeps rights they no longer have.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .. import audit
from ..auth import hash_password
from ..domain import access
from ..domain import config as rules
from ..domain.errors import Conflict, NotFound
from ..domain.model import Actor, Department, DepartmentKind, Role, User
from ..store import config_sql, sessions_sql
from ..store.db import UniqueViolation
from ..store.tx import Tx
from .context import Context
from .sessions import Sessions, check_new_password

# Changing one of these changes what the user's token stands for.
_RIGHTS = ("role", "hall_id", "department_id", "enabled")


def dept_fields(d: Department) -> dict[str, Any]:
    return {"name": d.name, "name_en": d.name_en, "kind": d.kind.value, "halls": list(d.halls)}


def user_fields(u: User) -> dict[str, Any]:
    return {"display_name": u.display_name, "role": u.role.value, "hall": u.hall_id,
            "department": u.department_id, "enabled": u.enabled}  # fmt: skip


class Staff:
    def __init__(self, ctx: Context, sessions: Sessions) -> None:
        self.ctx = ctx
        self.sessions = sessions

    # --- departments ---------------------------------------------------------------

    async def departments(self, actor: Actor) -> list[Department]:
        only = access.visible_hall(actor, None)
        async with self.ctx.store.db.reader() as c:
            return await config_sql.departments(c, only)

    async def save_department(
        self, actor: Actor, dept_id: str, fields: Mapping[str, Any], *, create: bool
    ) -> Department:
        access.require_admin(actor)
        async with self.ctx.store.write("", self.ctx.clock()) as tx:
            known = {d.id: d for d in await config_sql.departments(tx.conn)}
            before = known.get(dept_id)
            if create and before is not None:
                raise Conflict("department_exists", f"department {dept_id} exists",
                               f"部门 {dept_id} 已存在", field="id")  # fmt: skip
            if not create and before is None:
                raise _no_department(dept_id)
            base = before or Department(dept_id, "", DepartmentKind.BACK)
            after = replace(base, **fields)
            for i, hall_id in enumerate(after.halls):
                if await config_sql.hall(tx.conn, hall_id) is None:
                    raise NotFound("unknown_hall", f"no hall {hall_id!r}",
                                   f"没有编号为 {hall_id} 的服务大厅", field=f"halls.{i}")  # fmt: skip
            try:
                await config_sql.save_department(tx.conn, after, tx.now, insert=create)
            except UniqueViolation as exc:  # created by someone else a moment ago
                raise Conflict("department_exists", f"department {dept_id} exists",
                               f"部门 {dept_id} 已存在", field="id") from exc  # fmt: skip
            action = "created" if create else "updated"
            tx.audit(audit.record(actor, None, f"config.department.{action}", dept_id,
                                  **audit.changes(dept_fields(before) if before else {},
                                                  dept_fields(after))))  # fmt: skip
            for hall_id in sorted({*after.halls, *(before.halls if before else ())}):
                tx.emit_to(hall_id, rules.config_event("department", action, dept_id))
        await self.ctx.publish_all(tx.events)
        return after

    async def delete_department(self, actor: Actor, dept_id: str) -> None:
        access.require_admin(actor)
        async with self.ctx.store.write("", self.ctx.clock()) as tx:
            known = {d.id: d for d in await config_sql.departments(tx.conn)}
            if dept_id not in known:
                raise _no_department(dept_id)
            if await config_sql.department_use(tx.conn, dept_id):
                raise Conflict(
                    "department_in_use",
                    "windows, staff, matters or cases still name this department",
                    "仍有窗口、工作人员、事项或办件属于该部门，无法删除",
                )
            await config_sql.delete_department(tx.conn, dept_id)
            tx.audit(audit.record(actor, None, "config.department.deleted", dept_id,
                                  before=dept_fields(known[dept_id])))  # fmt: skip
            for hall_id in known[dept_id].halls:
                tx.emit_to(hall_id, rules.config_event("department", "deleted", dept_id))
        await self.ctx.publish_all(tx.events)

    # --- users ---------------------------------------------------------------------

    async def users(self, actor: Actor, hall_id: str | None = None) -> list[User]:
        only = access.visible_hall(actor, hall_id)
        async with self.ctx.store.db.reader() as c:
            return await config_sql.users(c, only)

    async def create_user(
        self, actor: Actor, draft: User, password: str, *, must_change: bool = True
    ) -> User:
        """A new account; by default its password is a first one, to be changed at sign-in."""
        access.require_admin(actor)
        check_new_password(password, "password")
        hashed = await asyncio.to_thread(hash_password, password)
        user = replace(draft, id=draft.id or f"u-{uuid.uuid4().hex[:12]}", password_hash=hashed,
                       must_change_password=must_change, enabled=True)  # fmt: skip
        async with self.ctx.store.write(user.hall_id or "", self.ctx.clock()) as tx:
            await self._check_scope(tx, user)
            try:
                await config_sql.save_user(tx.conn, user, tx.now, insert=True)
            except UniqueViolation as exc:
                raise Conflict("username_taken", f"username {user.username} is taken",
                               f"用户名 {user.username} 已被使用", field="username") from exc  # fmt: skip
            tx.audit(audit.record(actor, user.hall_id, "config.user.created", user.id,
                                  username=user.username,
                                  **audit.changes({}, user_fields(user))))  # fmt: skip
        return replace(user, created_at=tx.now)

    async def update_user(self, actor: Actor, user_id: str, fields: Mapping[str, Any]) -> User:
        access.require_admin(actor)
        async with self.ctx.store.write("", self.ctx.clock()) as tx:
            before = await self._user(tx, user_id)
            after = replace(before, **fields)
            await self._check_scope(tx, after)
            await self._keep_an_admin(tx, before, after)
            await config_sql.save_user(tx.conn, after, tx.now, insert=False)
            revoke = any(getattr(before, k) != getattr(after, k) for k in _RIGHTS)
            if revoke:
                await sessions_sql.revoke_user(tx.conn, user_id, tx.now)
            tx.audit(audit.record(actor, after.hall_id, "config.user.updated", user_id,
                                  username=after.username, sessions_revoked=revoke,
                                  **audit.changes(user_fields(before), user_fields(after))))  # fmt: skip
            # Window screens show clerks' names: let the halls concerned refresh.
            for hall_id in sorted({h for h in (before.hall_id, after.hall_id) if h}):
                tx.emit_to(hall_id, rules.config_event("staff", "updated", user_id))
        await self.ctx.publish_all(tx.events)
        if revoke:
            self.sessions.revoked()
        return after

    async def reset_password(self, actor: Actor, user_id: str, password: str) -> User:
        """An admin's reset: the user must choose a new password at the next sign-in."""
        access.require_admin(actor)
        check_new_password(password, "password")
        hashed = await asyncio.to_thread(hash_password, password)
        async with self.ctx.store.write("", self.ctx.clock()) as tx:
            before = await self._user(tx, user_id)
            after = replace(before, password_hash=hashed, must_change_password=True)
            await config_sql.set_password(tx.conn, user_id, hashed, must_change=True)
            await sessions_sql.revoke_user(tx.conn, user_id, tx.now)
            tx.audit(audit.record(actor, after.hall_id, "auth.password_reset", user_id,
                                  username=after.username))  # fmt: skip
        self.sessions.revoked()
        return after

    async def _user(self, tx: Tx, user_id: str) -> User:
        found = await config_sql.user(tx.conn, user_id, tx.dialect.lock_row)
        if found is None:
            raise NotFound("unknown_user", f"no user {user_id!r}", f"没有用户 {user_id}")
        return found

    async def _check_scope(self, tx: Tx, u: User) -> None:
        if u.hall_id is not None and await config_sql.hall(tx.conn, u.hall_id) is None:
            raise NotFound("unknown_hall", f"no hall {u.hall_id!r}",
                           f"没有编号为 {u.hall_id} 的服务大厅", field="hall")  # fmt: skip
        known = {d.id: d for d in await config_sql.departments(tx.conn)}
        rules.check_user_scope(u, known)

    async def _keep_an_admin(self, tx: Tx, before: User, after: User) -> None:
        was = before.role is Role.ADMIN and before.enabled
        still = after.role is Role.ADMIN and after.enabled
        if was and not still and await config_sql.enabled_admins(tx.conn, tx.dialect.lock_row) == [before.id]:
            raise Conflict(
                "last_admin",
                "this is the last enabled admin; make another admin first",
                "这是最后一个启用的系统管理员，请先设置其他管理员",
            )


def _no_department(dept_id: str) -> NotFound:
    return NotFound("unknown_department", f"no department {dept_id!r}", f"没有部门 {dept_id}")
