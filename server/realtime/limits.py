"""What one client may hold or send on /ws (docs/protocol.md, "Limits").

Each limit comes from Settings (``ws_max_*``, ``ws_idle_s``) and ends in a close
code that tells the client what to do, or, for subscriptions, in an error reply
that keeps the connection: losing one topic is kinder than losing them all.
"""

from __future__ import annotations

import logging

from ..domain.errors import Conflict, OneWindowError
from .protocol import CloseCode

log = logging.getLogger(__name__)


def auth_failure(err: OneWindowError) -> tuple[int, str]:
    """The close code and reason for a sign-in that failed with err."""
    if err.status >= 500:
        return int(CloseCode.TRY_AGAIN_LATER), "cannot check the sign-in now; try again later"
    return int(CloseCode.UNAUTHORIZED), "invalid or expired token"


def too_big(text: str, max_bytes: int) -> bool:
    """Over the bound in UTF-8 bytes; the cheap length test settles most messages."""
    return len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode()) > max_bytes)


def too_many_subscriptions(limit: int) -> Conflict:
    return Conflict(
        "too_many_subscriptions",
        f"at most {limit} topics per connection; unsubscribe from one first",
        f"每个连接最多订阅 {limit} 个主题，请先取消一个",
        details={"limit": limit},
    )


class AddressSlots:
    """Open connections per client address, in this process.

    One address may be a whole hall behind NAT (every board and kiosk), so the
    bound is generous; it stops one host from holding the process's sockets."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def take(self, address: str, limit: int) -> bool:
        held = self.open.get(address, 0)
        if limit > 0 and held >= limit:
            return False
        self.open[address] = held + 1
        if limit > 0 and held + 1 == limit:
            # Once per filling, not per refusal: behind a proxy that is not in
            # trusted_proxies every client has the proxy's address.
            log.warning("ws: %s holds %d connections, the per-client limit", address, limit)
        return True

    def give_back(self, address: str) -> None:
        held = self.open.get(address, 0) - 1
        if held > 0:
            self.open[address] = held
        else:
            self.open.pop(address, None)
