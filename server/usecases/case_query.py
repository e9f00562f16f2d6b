"""Status query (办件查询): by 受理编号 plus the last 4 characters of the applicant's ID
number, or a signed-in citizen's own cases. Public views: masked names, no staff,
no officers' notes. A wrong suffix is answered exactly like an unknown number, and
lookups are rate-limited per client, so numbers cannot be enumerated."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from ..domain.errors import InvalidInput, NotFound, RateLimited
from ..store import cases_sql as sql
from ..store.db import Conn
from .case_parts import clock_of
from .cases import CaseView
from .citizens import Citizen
from .context import Context
from .matters import Matters
from .ratelimit import Limit, RateLimiter

QUERY_LIMIT = Limit(20, 600)
# Wrong ID suffixes per case number per day, from any number of addresses: the 11,000
# possible suffixes of one number cannot be tried by rotating addresses.
WRONG_SUFFIX_LIMIT = Limit(10, 86_400)
_NUMBER = re.compile(r"^[0-9A-Z]{1,16}-\d{8}-\d{4}$")
_SUFFIX = re.compile(r"^[0-9]{3}[0-9X]$")


def check_suffix(id_suffix: str) -> str:
    suffix = id_suffix.strip().upper()
    if not _SUFFIX.match(suffix):
        raise InvalidInput("id_suffix_invalid", "the last 4 characters of the ID number",
                           "请输入身份证号后4位", field="id_suffix")  # fmt: skip
    return suffix


def check_case_number(number: str) -> str:
    """A 受理编号 as typed, normalised; refused when it cannot be one."""
    wanted = number.strip().upper()
    if not _NUMBER.match(wanted):
        raise InvalidInput("case_number_invalid", "a case number looks like "
                           "370102-20261202-0001", "受理编号格式如 370102-20261202-0001",
                           field="number")  # fmt: skip
    return wanted


def _case_locked() -> RateLimited:
    return RateLimited("case_query_locked", "too many wrong tries for this number today",
                       "该受理编号今日核对错误次数过多，请明天再试或到大厅咨询")  # fmt: skip


class SuffixGuard:
    """Counts the secrets tried per number (known or not: the answer must not tell which).

    A try is counted before its secret is compared, by the limiter's atomic hit, and
    refused when over: a burst of parallel guesses cannot all pass a check before any of
    them is counted. Given the secret, the same secret again is not counted twice, so a
    citizen looking up their own case (status, rating, pickup) spends one try a day; a
    caller that does not give it spends one per call. The day is the limiter's window
    (UTC days: 08:00 in Beijing), and the lock says when it lifts.
    """

    def __init__(self, limiter: RateLimiter, *, prefix: str = "case-suffix",
                 limit: Limit = WRONG_SUFFIX_LIMIT,
                 locked: Callable[[], RateLimited] = _case_locked,
                 pepper: bytes | None = None) -> None:  # fmt: skip
        self.limiter = limiter
        self.prefix = prefix
        self.limit = limit
        self.locked = locked
        # Keys name a secret by a keyed digest: a Redis dump must not give a phone or ID
        # suffix away. Without the server's secret, one of this process's.
        self.pepper = pepper or secrets.token_bytes(32)

    def _key(self, number: str) -> str:
        return f"{self.prefix}:{number.strip().upper()}"

    async def check(self, number: str, secret: str | None = None) -> None:
        """Count this try (unless the same secret was tried today), or refuse it."""
        key = self._key(number)
        if secret is None:
            fresh = True
        else:
            digest = hmac.new(self.pepper, f"{key}:{secret}".encode(), hashlib.sha256)
            fresh = await self.limiter.hit(f"{key}:{digest.hexdigest()[:32]}",
                                           Limit(1, self.limit.seconds))  # fmt: skip
        if fresh:
            ok = await self.limiter.hit(key, self.limit)
        else:  # tried before: no new guess, refused only if the number is locked
            ok = not await self.limiter.over(key, Limit(self.limit.count + 1, self.limit.seconds))
        if not ok:
            err = self.locked()
            err.details["retry_after"] = self.limiter.retry_after(self.limit)
            raise err


def _not_found() -> NotFound:
    return NotFound("case_not_found", "no case matches that number and ID suffix",
                    "没有查到该办件，请核对受理编号和身份证号后4位")  # fmt: skip


class CaseQuery:
    def __init__(self, ctx: Context, matters: Matters, limiter: RateLimiter) -> None:
        self.ctx = ctx
        self.matters = matters
        self.limiter = limiter
        self.guard = SuffixGuard(limiter, pepper=ctx.secret)

    async def status(self, number: str, id_suffix: str, client: str) -> CaseView:
        number = check_case_number(number)
        suffix = check_suffix(id_suffix)
        if not await self.limiter.hit(f"case-query:{client}", QUERY_LIMIT):
            raise RateLimited("rate_limited", "too many queries; try again later",
                              "查询过于频繁，请稍后再试")  # fmt: skip
        await self.guard.check(number, suffix)
        async with self.ctx.store.db.reader() as c:
            case = await sql.by_number(c, number)
            if case is not None and hmac.compare_digest(case.id_masked[-4:].upper(), suffix):
                return await self._view(c, case.id)
        raise _not_found()

    async def mine(self, citizen: Citizen) -> list[CaseView]:
        async with self.ctx.store.db.reader() as c:
            return [await self._view(c, case.id) for case in await sql.of_owner(c, citizen.phone_fp)]

    async def _view(self, c: Conn, case_id: str) -> CaseView:
        case = await sql.get(c, case_id)
        assert case is not None
        tasks = await sql.tasks_of(c, case_id)
        timeline = await sql.timeline(c, case_id, public=True)
        info = await self.ctx.hall(case.hall_id)
        matter = await self.matters.matter(case.hall_id, case.matter, include_disabled=True,
                                           conn=c)  # fmt: skip
        today = info.clock.business_day(self.ctx.clock())
        return CaseView(case, matter, tasks, clock_of(info, case, tasks, today), timeline)
