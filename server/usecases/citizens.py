"""Citizens' accounts: sign-in by phone number and a one-time SMS code, and "my tickets".

A citizen is a phone number, stored sealed with a keyed fingerprint to find it.
A code lives 5 minutes and dies after 5 wrong tries; requests for codes are
limited per phone and per client. The token is signed (any process checks it)
and names the citizen, whose row says whether they signed out since.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..auth import PayloadSigner
from ..domain import identity
from ..domain.errors import NotFound, RateLimited, Unauthorized
from ..domain.message import SMS, Message
from ..domain.model import Ticket
from ..notify import templates
from ..store import contacts_sql
from ..store.db import Row
from .context import Context
from .ratelimit import Limit, RateLimiter

CODE_MINUTES = 5
MAX_TRIES = 5
RESEND_S = 60


@dataclass(frozen=True, slots=True)
class Citizen:
    id: str
    phone: str
    phone_fp: str

    @property
    def phone_masked(self) -> str:
        return identity.mask_phone(self.phone)


@dataclass(frozen=True, slots=True)
class CodeSent:
    expires_in: int
    resend_in: int


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    citizen: Citizen
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CodeLimits:
    per_phone: Limit  # codes sent
    per_client: Limit
    # Sign-in attempts per client, and wrong codes per phone across all its codes: five
    # tries a code would otherwise add up to thousands of guesses a day.
    sign_in_client: Limit = field(default_factory=lambda: Limit(30, 600))
    wrong_per_day: Limit = field(default_factory=lambda: Limit(10, 86400))


class Citizens:
    def __init__(
        self, ctx: Context, limiter: RateLimiter, limits: CodeLimits, token_ttl_s: int
    ) -> None:
        self.ctx = ctx
        self.limiter = limiter
        self.limits = limits
        self.ttl = timedelta(seconds=token_ttl_s)
        self._key = hashlib.sha256(b"onewindow-citizen:" + ctx.secret).digest()
        self._tokens = PayloadSigner(self._key)

    def _fp(self, phone: str) -> str:
        return self.ctx.store.sealer.fingerprint("phone", phone)

    def _code_hash(self, fp: str, code: str) -> str:
        return hmac.new(self._key, f"code:{fp}:{code}".encode(), hashlib.sha256).hexdigest()

    async def request_code(self, raw_phone: str, client: str, lang: str = "zh") -> CodeSent:
        phone = identity.validate_phone(raw_phone)
        fp = self._fp(phone)
        now = self.ctx.clock()
        await self._not_locked_today(fp)
        async with self.ctx.store.db.reader() as c:
            last = await contacts_sql.code_row(c, fp)
        if last is not None and (wait := RESEND_S - (now - last["created_at"]).total_seconds()) > 0:
            raise _too_soon(math.ceil(wait))
        for key, limit in ((f"code-phone:{fp}", self.limits.per_phone),
                           (f"code-client:{client}", self.limits.per_client)):  # fmt: skip
            if not await self.limiter.hit(key, limit):
                raise _too_soon(self.limiter.retry_after(limit))
        code = f"{secrets.randbelow(10**6):06d}"
        # Not a hall's transaction: no events, only the code and its message.
        async with self.ctx.store.write("", now) as tx:
            await contacts_sql.put_code(tx.conn, fp, self._code_hash(fp, code), now,
                                        now + timedelta(minutes=CODE_MINUTES))  # fmt: skip
            params = {"code": code, "minutes": CODE_MINUTES}
            templates.check("sign_in_code", params)
            # A random key: nothing in the outbox ties a code to a phone.
            tx.notify(Message(SMS, phone, "sign_in_code", params,
                              idem_key=f"code:{uuid.uuid4().hex}", lang=lang))  # fmt: skip
        return CodeSent(CODE_MINUTES * 60, RESEND_S)

    async def sign_in(self, raw_phone: str, code: str, client: str) -> SignedIn:
        phone = identity.validate_phone(raw_phone)
        fp = self._fp(phone)
        now = self.ctx.clock()
        if not await self.limiter.hit(f"sign-in:{client}", self.limits.sign_in_client):
            raise _too_soon(self.limiter.retry_after(self.limits.sign_in_client))
        await self._not_locked_today(fp)
        found: Row | None = None
        async with self.ctx.store.write("", now) as tx:
            row = await contacts_sql.code_row(tx.conn, fp, tx.dialect.for_update)
            problem = _check_code(row, self._code_hash(fp, code.strip()), now)
            wrong = problem is not None and problem.code in ("code_wrong", "code_locked")
            if problem is not None:
                if wrong:
                    await contacts_sql.count_wrong_try(tx.conn, fp)
                elif problem.code == "code_expired":
                    await contacts_sql.drop_code(tx.conn, fp)
            else:
                await contacts_sql.drop_code(tx.conn, fp)
                await contacts_sql.add_citizen(tx.conn, self.ctx.store.sealer, uuid.uuid4().hex,
                                               phone, now)  # fmt: skip
                found = await contacts_sql.citizen_by_phone(tx.conn, fp)
                assert found is not None  # just added, or there before
                await contacts_sql.citizen_signed_in(tx.conn, found["id"], now)
        # Raised after commit: a wrong try must be counted, not rolled back with the error.
        if problem is not None:
            if wrong:
                await self.limiter.hit(f"code-wrong:{fp}", self.limits.wrong_per_day)
            raise problem
        assert found is not None
        citizen = Citizen(found["id"], phone, fp)
        expires = now + self.ttl
        return SignedIn(self._token(citizen.id, now, expires), citizen, expires)

    async def _not_locked_today(self, fp: str) -> None:
        if await self.limiter.over(f"code-wrong:{fp}", self.limits.wrong_per_day):
            wait = self.limiter.retry_after(self.limits.wrong_per_day)
            raise RateLimited(
                "code_locked_today", "too many wrong codes for this phone; try again later",
                f"该手机号验证码错误次数过多，请 {math.ceil(wait / 3600)} 小时后再试",
                field="phone", details={"retry_after": wait},
            )  # fmt: skip

    def _token(self, citizen_id: str, now: datetime, expires: datetime) -> str:
        return self._tokens.sign(
            {"c": citizen_id, "i": now.timestamp(), "e": int(expires.timestamp())}
        )

    async def authenticate(self, token: str) -> Citizen:
        body = self._tokens.open(token.strip())
        if body is None:
            raise _signed_out()
        try:
            citizen_id, issued, expires = str(body["c"]), float(body["i"]), int(body["e"])
        except (ValueError, KeyError, TypeError) as exc:
            raise _signed_out() from exc
        now = self.ctx.clock()
        if expires <= now.timestamp():
            raise _signed_out()
        async with self.ctx.store.db.reader() as c:
            row = await contacts_sql.citizen(c, citizen_id)
        if row is None or (row["signed_out_at"] and row["signed_out_at"].timestamp() >= issued):
            raise _signed_out()
        phone = self.ctx.store.sealer.open(row["phone_enc"], contacts_sql.CITIZEN_PHONE)
        return Citizen(row["id"], phone, row["phone_fp"])

    async def sign_out(self, citizen: Citizen) -> None:
        async with self.ctx.store.write("", self.ctx.clock()) as tx:
            await contacts_sql.citizen_signed_out(tx.conn, citizen.id, tx.now)

    async def tickets(self, citizen: Citizen) -> list[Ticket]:
        """The phone's tickets of today: each hall's own business day."""
        now = self.ctx.clock()
        today = {h.id: (await self.ctx.hall(h.id)).clock.business_day(now)
                 for h in await self.ctx.store.halls()}  # fmt: skip
        async with self.ctx.store.db.reader() as c:
            found = await contacts_sql.tickets_of_phone(
                c, citizen.phone_fp, sorted(set(today.values()))
            )
        return [t for t in found if t.business_day == today.get(t.hall_id)]


def _check_code(
    row: Row | None, given: str, now: datetime
) -> RateLimited | Unauthorized | NotFound | None:
    if row is None:
        return NotFound("no_code", "ask for a code first", "请先获取验证码", field="code")
    if row["tries"] >= MAX_TRIES:
        return _locked()
    if row["expires_at"] <= now:
        return Unauthorized("code_expired", "the code has expired; ask for a new one",
                            "验证码已过期，请重新获取", field="code")  # fmt: skip
    if not hmac.compare_digest(row["code_hash"], given):
        left = MAX_TRIES - row["tries"] - 1
        if left <= 0:
            return _locked()
        return Unauthorized("code_wrong", f"wrong code; {left} tries left",
                            f"验证码不正确，还可以再试 {left} 次", field="code",
                            details={"tries_left": left})  # fmt: skip
    return None


def _locked() -> RateLimited:
    return RateLimited("code_locked", "too many wrong codes; ask for a new code",
                       "验证码错误次数过多，已失效，请重新获取", field="code")  # fmt: skip


def _too_soon(wait: int) -> RateLimited:
    return RateLimited("rate_limited", f"too many code requests; try again in {wait} s",
                       f"获取验证码过于频繁，请 {wait} 秒后再试", field="phone",
                       details={"retry_after": wait})  # fmt: skip


def _signed_out() -> Unauthorized:
    return Unauthorized("citizen_sign_in_required", "sign in with your phone number again",
                        "登录已失效，请用手机号重新登录")  # fmt: skip
