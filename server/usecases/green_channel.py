"""The green channel (绿色通道): who may have it, and the hall guide's PIN at the kiosk.

Age is the one reason a machine can check (the ID number's birth date). The others
(disabled, pregnant, military) are given by staff: a clerk at a window, or a hall
guide typing the hall's PIN at the kiosk.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date

from ..auth import verify_password
from ..domain import identity
from ..domain.errors import Forbidden, InvalidInput, RateLimited
from ..domain.model import Channel, Hall
from .ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

GREEN_REASONS = ("elderly", "disabled", "pregnant", "military")
ELDERLY_AGE = 70


def check(reason: str | None, id_number: str | None, day: date, staff: bool) -> None:
    """Raise unless a green-channel ticket for ``reason`` may be issued."""
    if reason not in GREEN_REASONS:
        raise InvalidInput(
            "green_reason_required",
            f"a green-channel ticket needs a reason: one of {', '.join(GREEN_REASONS)}",
            "绿色通道取号须说明类别：高龄、残疾、孕妇或军人",
        )
    if staff:
        return
    if reason != "elderly":
        raise Forbidden(
            "green_needs_staff",
            "this green channel is given by a hall guide (staff PIN) or at a window",
            "该类绿色通道须由大厅引导员输入授权码，或到窗口办理",
        )
    if id_number is None or identity.age_on(id_number, day) < ELDERLY_AGE:
        raise Forbidden(
            "green_not_eligible",
            f"the elderly green channel is for citizens aged {ELDERLY_AGE} or over",
            f"高龄绿色通道仅限 {ELDERLY_AGE} 周岁及以上老人，请出示身份证号",
        )


@dataclass(frozen=True, slots=True)
class PinLimits:
    # Wrong PINs per kiosk (client address) and per hall before the PIN locks.
    per_kiosk: Limit = field(default_factory=lambda: Limit(5, 300))
    per_hall: Limit = field(default_factory=lambda: Limit(20, 3600))


class GuidePins:
    def __init__(self, limiter: RateLimiter, limits: PinLimits | None = None) -> None:
        self.limiter = limiter
        self.limits = limits or PinLimits()

    async def check(self, hall: Hall, channel: Channel, pin: str, client: str) -> bool:
        """True for the hall's PIN typed at a kiosk. Only wrong PINs count towards the
        lock, so a busy guide is never slowed down by their own PIN."""
        if channel is not Channel.KIOSK:
            raise Forbidden(
                "staff_pin_kiosk_only", "a staff PIN is typed at a kiosk only",
                "授权码只能在大厅取号机上使用", field="staff_pin",
            )  # fmt: skip
        if hall.green_pin_hash is None:
            raise Forbidden(
                "staff_pin_unset", "this hall has no green-channel PIN",
                "本大厅未设置绿色通道授权码，请到窗口办理",
            )  # fmt: skip
        keys = ((f"pin:{hall.id}:{client}", self.limits.per_kiosk),
                (f"pin:{hall.id}", self.limits.per_hall))  # fmt: skip
        for key, limit in keys:
            if await self.limiter.over(key, limit):
                wait = self.limiter.retry_after(limit)
                raise RateLimited(
                    "staff_pin_locked", f"too many wrong PINs; wait {wait} s",
                    f"授权码错误次数过多，请 {wait} 秒后再试，或到窗口办理",
                    field="staff_pin", details={"retry_after": wait},
                )  # fmt: skip
        # scrypt takes tens of milliseconds: off the event loop, like staff sign-in.
        if not await asyncio.to_thread(verify_password, pin, hall.green_pin_hash):
            for key, limit in keys:
                await self.limiter.hit(key, limit)
            log.warning("hall %s: a wrong green-channel PIN from %s", hall.id, client)
            raise Forbidden(
                "staff_pin_wrong", "wrong staff PIN", "授权码不正确", field="staff_pin"
            )
        return True
