"""Close the WebSockets of sessions that have ended (sign-out, password, role, disabled).

Every ``interval_s`` (and at once when this process revoked something) the
staff sessions behind this process's open sockets are looked up in one query;
those no longer live are closed with 4001. Whichever process revoked, every
process notices within the interval: no message on the bus is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..loops import stop_if_cancelled
from ..store import sessions_sql
from ..store.store import Store
from .hub import Hub
from .protocol import CloseCode

log = logging.getLogger(__name__)


class SessionWatch:
    def __init__(self, store: Store, hub: Hub, interval_s: float = 0.5) -> None:
        self.store = store
        self.hub = hub
        self.interval_s = interval_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="session-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.check()
            except Exception:
                stop_if_cancelled()
                log.warning("could not check staff sessions; will retry", exc_info=True)

    async def check(self) -> int:
        """Close the sockets of ended sessions; returns how many were closed."""
        staff = []
        for peer in list(self.hub.peers.values()):
            who = getattr(peer, "actor", None)  # sessions carry their signed-in actor
            if who is not None and who.session_id:
                staff.append((peer, who.session_id))
        if not staff:
            return 0
        async with self.store.db.reader() as c:
            dead = await sessions_sql.dead_among(c, {sid for _, sid in staff})
        closed = 0
        for peer, sid in staff:
            if sid in dead:
                peer.kick(CloseCode.UNAUTHORIZED, "signed out or access changed; sign in again")
                closed += 1
        return closed
