"""One WebSocket connection: a bounded outbox, a writer, and the messages it reads.

The hub only ever appends to the outbox; the writer drains it. A peer whose
outbox is full is not waited for: it is closed with 4008 and resumes on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..api.state import AppState, client_address, user_agent
from ..domain.errors import OneWindowError
from ..domain.model import Actor
from .commands import run_command
from .frames import FRAMES, FrameSink, Outgoing
from .hub import Hub
from .limits import auth_failure, too_big, too_many_subscriptions
from .protocol import Auth, CloseCode, Command, Ping, Subscribe, Topic, Unsubscribe, dumps, parse
from .topics import authorize_topic

log = logging.getLogger(__name__)
_ids = itertools.count(1)
KICK_GRACE_S = 5.0
CATCH_UP_LIMIT = 6000  # a replay of max_replay (5,000) events and then some


class Session:
    def __init__(self, ws: WebSocket, hub: Hub, app: AppState, outbox_limit: int) -> None:
        self.id = next(_ids)
        self.ws = ws
        self.hub = hub
        self.app = app
        self.limit = outbox_limit
        self.outbox: deque[tuple[Outgoing, bool]] = deque()  # (message, is catch-up)
        found = (ws.scope.get("extensions") or {}).get(FRAMES)
        self.sink: FrameSink | None = found["sink"] if found else None
        self._holding = False  # the writer took a message out and waits to write it
        self.wake = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.actor: Actor | None = None
        self.topics: dict[str, str] = {}  # topic -> hall
        self._reader: asyncio.Task[None] | None = None
        self._catching_up = 0  # catch-up messages now queued
        self.expires: int | None = None  # the staff token's expiry, seconds since the epoch
        self.heard = asyncio.get_running_loop().time()  # when the peer last sent a message

    # --- the hub's side ----------------------------------------------------------------

    def offer(self, message: str | Outgoing, replay: bool = False) -> bool:
        """Send or queue a message; False if live traffic is over the bound (the hub
        then kicks).

        With nothing queued and a socket that takes more, the message's frame (built
        once for all its subscribers) is written at once: no queue, no task switch.
        Catch-up messages (replay) have their own budget, bounded by the hub's
        max_replay, so catching up never counts against keeping up."""
        if self.closing is not None:
            return True
        out = message if isinstance(message, Outgoing) else Outgoing(message)
        if self.sink is not None and not self.outbox and not self._holding and self.sink.ready():
            self.sink.write(out.frame)
            return True
        if replay:
            # Bounded too, per connection: resubscribing over and over without
            # reading must not queue replay after replay.
            if self._catching_up >= CATCH_UP_LIMIT:
                return False
            self._catching_up += 1
        elif len(self.outbox) - self._catching_up >= self.limit:
            return False
        self.outbox.append((out, replay))
        self.wake.set()
        return True

    def kick(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (int(code), reason)
            self.outbox.clear()
            self._catching_up = 0
            self.wake.set()
            # Out of the hub at once; and a peer too stuck to take even the close frame
            # is let go after a grace period instead of being held for good.
            self.hub.detach(self)
            asyncio.get_running_loop().call_later(KICK_GRACE_S, self._abandon)

    def _abandon(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()

    # --- the connection's side ---------------------------------------------------------

    async def run(self, token: str | None) -> None:
        if token:
            self.actor = await self._authenticate(token)
        self.hub.attach(self)
        writer = asyncio.create_task(self._write())
        idle = asyncio.create_task(self._watch_idle(self.app.settings.ws_idle_s))
        try:
            self.offer(dumps({"op": "welcome", "heartbeat_s": self.hub.heartbeat_s,
                              "server_time": self.app.ctx.clock().isoformat(),
                              "user": self._who()}))  # fmt: skip
            self._reader = asyncio.create_task(self._read())
            # Returns when the reader ends: the peer left, or was abandoned after a kick.
            await asyncio.wait({self._reader})
            if not self._reader.cancelled():
                error = self._reader.exception()
                if error is not None and not isinstance(error, WebSocketDisconnect):
                    raise error
        finally:
            idle.cancel()
            if self._reader is not None:
                self._reader.cancel()
            self.hub.detach(self)
            if self.closing is None:
                self.closing = (int(CloseCode.NORMAL), "")
                self.wake.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), 1.0)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _write(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.outbox and self.closing is None:
                    out, replay = self.outbox.popleft()
                    if replay:
                        self._catching_up -= 1
                    if self.sink is None:
                        await self.ws.send_text(out.text)
                        continue
                    self._holding = True
                    if not self.sink.ready() and not await self.sink.drained():
                        return
                    self._holding = False
                    if self.closing is None:
                        self.sink.write(out.frame)
                # An idle connection must not keep its last message (often a snapshot).
                out = Outgoing("")
                if self.closing is not None:
                    code, reason = self.closing
                    if self.ws.application_state is WebSocketState.CONNECTED:
                        await self.ws.close(code, reason)
                    return
        except Exception:
            # The socket is gone; the reader notices and cleans up.
            return

    async def _read(self) -> None:
        max_bytes = self.app.settings.ws_max_message_bytes
        while self.closing is None:
            try:
                text = await self.ws.receive_text()
            except (KeyError, RuntimeError):
                # A binary frame, or the socket closed under us.
                self.kick(CloseCode.BAD_MESSAGE, "text frames only")
                return
            self.heard = asyncio.get_running_loop().time()
            # uvicorn's ws_max_size refuses it first; this holds under any ASGI server.
            if too_big(text, max_bytes):
                self.hub.metrics.ws_closed.labels(str(int(CloseCode.MESSAGE_TOO_BIG))).inc()
                self.kick(CloseCode.MESSAGE_TOO_BIG, f"messages are limited to {max_bytes} bytes")
                return
            await self._handle(text)

    async def _watch_idle(self, idle_s: float) -> None:
        """Close a connection that holds a socket for nothing: not signed in, following
        no topic, and silent for idle_s. A board subscribes at once and then only
        listens, so it is never closed by this."""
        if idle_s <= 0:
            return
        loop = asyncio.get_running_loop()
        while self.closing is None:
            left = self.heard + idle_s - loop.time()
            if left <= 0 and self.actor is None and not self.topics:
                self.hub.metrics.ws_closed.labels(str(int(CloseCode.IDLE))).inc()
                self.kick(CloseCode.IDLE, "idle: sign in or subscribe, then reconnect")
                return
            await asyncio.sleep(left if left > 0 else idle_s)

    async def _handle(self, text: str) -> None:
        try:
            msg = parse(text)
        except OneWindowError as err:
            self.offer(dumps({"op": "error", "error": err.as_dict()}))
            return
        if isinstance(msg, Ping):
            self.offer(dumps({"op": "pong"}))
        elif isinstance(msg, Auth):
            try:
                self.actor = await self._authenticate(msg.token)
            except OneWindowError as err:
                self.kick(*auth_failure(err))
                return
            self.offer(dumps({"op": "authenticated", "user": self._who()}))
        elif not self._signed_in():
            return
        elif isinstance(msg, Subscribe):
            await self._subscribe(msg)
        elif isinstance(msg, Unsubscribe):
            hall = self.topics.pop(msg.topic, None)
            if hall is not None:
                self.hub.unsubscribe(self, hall, Topic.parse(msg.topic))
            self.offer(dumps({"op": "unsubscribed", "topic": msg.topic}))
        elif isinstance(msg, Command):
            reply = await run_command(self.app, self.actor, msg)
            self.offer(dumps(reply))

    async def _subscribe(self, msg: Subscribe) -> None:
        try:
            topic = Topic.parse(msg.topic)
            limit = self.app.settings.ws_max_subscriptions
            if str(topic) not in self.topics and len(self.topics) >= limit:
                raise too_many_subscriptions(limit)
            hall_id = await authorize_topic(self.app, self.actor, topic, msg.token)
            self.topics[str(topic)] = hall_id
            await self.hub.subscribe(self, hall_id, topic, msg.since)
        except OneWindowError as err:
            self.offer(dumps({"op": "error", "topic": msg.topic, "error": err.as_dict()}))

    async def _authenticate(self, token: str) -> Actor:
        claims = self.app.sessions.claims(token)
        who = await self.app.sessions.actor_of(
            claims, client=client_address(self.ws), user_agent=user_agent(self.ws)
        )
        self.expires = claims.expires
        return who

    def _signed_in(self) -> bool:
        """A sign-in ends when its token does, even on a connection opened before."""
        expired = self.expires is not None and self.app.ctx.clock().timestamp() >= self.expires
        if self.actor is not None and expired:
            self.kick(CloseCode.UNAUTHORIZED, "sign-in expired; sign in again")
            return False
        return True

    def _who(self) -> dict[str, Any] | None:
        a = self.actor
        return None if a is None else {"id": a.id, "username": a.username, "role": a.role.value,
                                       "hall": a.hall_id}  # fmt: skip
