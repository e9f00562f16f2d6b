"""Staff sign-in sessions: sign in and out, change a password, check and revoke tokens.

A token's signature is checked without the database; whether its session is
still live is one indexed read per request, not cached, so a revoked token is
refused by every process at once. Open WebSockets are closed by
``realtime/revocation.py``, told through ``on_revoke`` (and by its poll).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from .. import audit
from ..auth import Claims, TokenSigner, hash_password, verify_password
from ..domain.errors import Forbidden, InvalidInput, Unauthorized
from ..domain.model import Actor, User
from ..store import config_sql, sessions_sql
from ..store.tx import Tx
from .context import Context

MIN_PASSWORD = 8
# Checked when the username is unknown, so timing does not tell which names exist.
_DUMMY_HASH = "scrypt$16384$8$1$00$00"


def check_new_password(password: str, field: str = "new_password") -> None:
    if not MIN_PASSWORD <= len(password) <= 128 or len(set(password)) < 3:
        raise InvalidInput(
            "password_weak",
            f"a password needs {MIN_PASSWORD} to 128 characters, not all alike",
            f"密码须为 {MIN_PASSWORD}–128 位，且不能由相同字符组成",
            field=field,
        )


class Sessions:
    def __init__(self, ctx: Context, signer: TokenSigner, ttl_s: int) -> None:
        self.ctx = ctx
        self.signer = signer
        self.ttl_s = ttl_s
        self.on_revoke: list[Callable[[], None]] = []

    # --- signing in and out --------------------------------------------------------

    async def sign_in(
        self, username: str, password: str, client: str, user_agent: str
    ) -> tuple[str, User, datetime]:
        user = await self.ctx.store.user_by_name(username)
        stored = user.password_hash if user is not None else _DUMMY_HASH
        # The KDF takes tens of milliseconds of CPU: off the event loop.
        good = await asyncio.to_thread(verify_password, password, stored)
        now = self.ctx.clock()
        hall_id = user.hall_id if user is not None else None
        if user is None or not good or not user.enabled:
            reason = "disabled" if user is not None and good else "bad_credentials"
            # Nobody's action: the name tried and where from, not a role it did not earn.
            failed = audit.AuditRecord(
                chain=hall_id or audit.SYSTEM_CHAIN, action="auth.sign_in_failed",
                target=username, actor_id=user.id if user else None, actor_name=username,
                client=client, user_agent=user_agent, detail={"reason": reason},
            )  # fmt: skip
            async with self.ctx.store.write(hall_id or "", now) as tx:
                tx.audit(failed)
            if reason == "disabled":
                raise Forbidden("user_disabled", "this account is disabled", "该账号已停用")
            raise Unauthorized("bad_credentials", "wrong username or password", "用户名或密码错误")
        async with self.ctx.store.write(user.hall_id or "", now) as tx:
            # The row again, locked: a role change or disable that committed while the
            # password was being checked must not be signed into a token of the old rights.
            fresh = await config_sql.user(tx.conn, user.id, tx.dialect.lock_row)
            if fresh is None or fresh.password_hash != user.password_hash or not fresh.enabled:
                raise Unauthorized("sign_in_changed", "the account changed meanwhile; sign in again",
                                   "账号信息刚刚变更，请重新登录")  # fmt: skip
            who = Actor(fresh.id, fresh.username, fresh.role, fresh.hall_id, fresh.department_id,
                        client=client, user_agent=user_agent)  # fmt: skip
            token, expires = await self._open(tx, fresh)
            tx.audit(audit.record(who, fresh.hall_id, "auth.sign_in", fresh.id))
        return token, fresh, expires

    async def _open(self, tx: Tx, user: User) -> tuple[str, datetime]:
        sid = secrets.token_urlsafe(12)
        expires = int(tx.now.timestamp()) + self.ttl_s
        at = datetime.fromtimestamp(expires, UTC)
        await sessions_sql.create(tx.conn, sid, user.id, tx.now, at)
        claims = Claims(user.id, user.username, user.role, user.hall_id, expires, sid,
                        user.department_id, user.must_change_password)  # fmt: skip
        return self.signer.issue(claims), at

    async def sign_out(self, actor: Actor) -> None:
        async with self.ctx.store.write(actor.hall_id or "", self.ctx.clock()) as tx:
            await sessions_sql.revoke(tx.conn, actor.session_id or "", tx.now)
            tx.audit(audit.record(actor, actor.hall_id, "auth.sign_out", actor.id))
        self.revoked()

    async def change_password(self, actor: Actor, old: str, new: str) -> tuple[str, User, datetime]:
        """The user's own change; ends every other session and returns a fresh one."""
        user = await self.ctx.store.user_by_name(actor.username)
        good = user is not None and await asyncio.to_thread(verify_password, old, user.password_hash)
        if user is None or not good:
            async with self.ctx.store.write(actor.hall_id or "", self.ctx.clock()) as tx:
                tx.audit(audit.record(actor, actor.hall_id, "auth.password_change_failed", actor.id))
            raise Forbidden(
                "bad_credentials", "the current password is wrong", "当前密码不正确",
                field="old_password",
            )  # fmt: skip
        check_new_password(new)
        if new == old:
            raise InvalidInput(
                "password_unchanged", "choose a new password", "新密码不能与当前密码相同",
                field="new_password",
            )  # fmt: skip
        hashed = await asyncio.to_thread(hash_password, new)
        async with self.ctx.store.write(user.hall_id or "", self.ctx.clock()) as tx:
            # Locked and checked again: only the password changes, and only while this
            # sign-in still stands (an admin may have disabled or reset it meanwhile).
            fresh = await config_sql.user(tx.conn, user.id, tx.dialect.lock_row)
            if (
                fresh is None
                or fresh.password_hash != user.password_hash
                or not await sessions_sql.live(tx.conn, actor.session_id or "")
            ):
                raise _revoked()
            await config_sql.set_password(tx.conn, fresh.id, hashed, must_change=False)
            changed = replace(fresh, password_hash=hashed, must_change_password=False)
            await sessions_sql.revoke_user(tx.conn, fresh.id, tx.now)
            token, expires = await self._open(tx, changed)
            tx.audit(audit.record(actor, fresh.hall_id, "auth.password_changed", fresh.id))
        self.revoked()
        return token, changed, expires

    # --- checking tokens ------------------------------------------------------------

    async def authenticate(
        self, token: str, *, client: str | None = None, user_agent: str | None = None,
        pending_ok: bool = False,
    ) -> Actor:  # fmt: skip
        """The actor behind a token; raises if it is bad, expired, or revoked."""
        return await self.actor_of(self.claims(token), client=client, user_agent=user_agent,
                                   pending_ok=pending_ok)  # fmt: skip

    def claims(self, token: str) -> Claims:
        """A token's signed claims; raises if it is forged or expired (no database read)."""
        return self.signer.verify(token, int(self.ctx.clock().timestamp()))

    async def actor_of(
        self, claims: Claims, *, client: str | None = None, user_agent: str | None = None,
        pending_ok: bool = False,
    ) -> Actor:  # fmt: skip
        """The actor behind checked claims, if their session still stands."""
        async with self.ctx.store.db.reader() as c:
            live = bool(claims.session_id) and await sessions_sql.live(c, claims.session_id)
        if not live:
            raise _revoked()
        if claims.must_change_password and not pending_ok:
            raise Forbidden(
                "password_change_required",
                "change your password before anything else",
                "请先修改密码",
            )
        return Actor(claims.user_id, claims.username, claims.role, claims.hall_id,
                     claims.department_id, claims.session_id, client, user_agent)  # fmt: skip

    def revoked(self) -> None:
        """Some sessions ended: tell the WebSocket side at once."""
        for notify in self.on_revoke:
            notify()


def _revoked() -> Unauthorized:
    return Unauthorized(
        "token_revoked", "this sign-in has ended; sign in again", "登录已失效，请重新登录"
    )
