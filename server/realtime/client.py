"""A reference client for /ws (websockets): connect, subscribe, resume with back-off.

Third-party display controllers (LED walls, voice boxes) can use it as it is:

    client = OneWindowClient("ws://hall-server:8000/ws", on_message=show)
    client.follow("hall:demo")
    await client.run()

It remembers each topic's position ({epoch, seq}) from events, snapshots and
heartbeats, and resubscribes with ``since`` after any drop, so the messages it
passes on are the hall's events in order, each once, or a fresh snapshot when
the server says the gap cannot be replayed (``recovered: false``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
# Close codes after which reconnecting as before cannot help (docs/protocol.md).
FINAL = {1000, 4000, 4001, 4029}


class ClientClosed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed by server: {code} {reason}")
        self.code = code
        self.reason = reason


class OneWindowClient:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        on_message: Handler | None = None,
        backoff_min_s: float = 0.2,
        backoff_max_s: float = 10.0,
    ) -> None:
        self.url = url
        self.token = token
        self.on_message = on_message or (lambda _: None)
        self.backoff = (backoff_min_s, backoff_max_s)
        self.topics: dict[str, str | None] = {}  # topic -> ticket token
        self.positions: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()
        self.connections = 0
        self._ws: ClientConnection | None = None
        self._refs = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._stopping = False

    def follow(self, topic: str, ticket_token: str | None = None) -> None:
        self.topics[topic] = ticket_token

    async def run(self) -> None:
        """Stay connected until stop(); raises ClientClosed on a final close code."""
        delay = self.backoff[0]
        while not self._stopping:
            try:
                await self._session()
                delay = self.backoff[0]
            except ClientClosed as closed:
                if closed.code in FINAL or self._stopping:
                    raise
                log.info("closed with %s; resuming", closed.code)
                delay = self.backoff[0] if closed.code == 4008 else delay
            except (OSError, websockets.WebSocketException) as exc:
                log.info("connection failed: %s", exc)
            if self._stopping:
                return
            # Full jitter: a hall's displays must not all come back in the same millisecond.
            await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not security
            delay = min(delay * 2, self.backoff[1])

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()

    async def drop(self) -> None:
        """Cut the connection as a network failure would (tests, soak)."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def command(
        self, op: str, window: str, wait_s: float = 10.0, **params: Any
    ) -> dict[str, Any]:
        """Send a console command and wait for its reply."""
        await self.connected.wait()
        assert self._ws is not None
        ref = next(self._refs)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[ref] = fut
        try:
            await self._ws.send(json.dumps({"op": op, "window": window, "ref": ref, **params}))
            return await asyncio.wait_for(fut, wait_s)
        finally:
            self._replies.pop(ref, None)

    async def _session(self) -> None:
        url = self.url if not self.token else f"{self.url}?token={self.token}"
        async with websockets.connect(url, max_size=2**22, open_timeout=10) as ws:
            if self._stopping:  # stop() came while we were connecting
                return
            self._ws = ws
            self.connections += 1
            for topic, ticket_token in self.topics.items():
                msg: dict[str, Any] = {"op": "subscribe", "topic": topic}
                if topic in self.positions:
                    msg["since"] = self.positions[topic]
                if ticket_token:
                    msg["token"] = ticket_token
                await ws.send(json.dumps(msg))
            self.connected.set()
            try:
                async for raw in ws:
                    self._receive(json.loads(raw))
            except websockets.ConnectionClosed:
                pass
            finally:
                self.connected.clear()
                self._ws = None
                for fut in self._replies.values():
                    if not fut.done():
                        fut.set_exception(ConnectionError("connection lost before the reply"))
            raise ClientClosed(ws.close_code, ws.close_reason or "")

    def _receive(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        topic = msg.get("topic")
        if op == "reply":
            fut = self._replies.get(msg.get("ref"))  # type: ignore[arg-type]
            if fut is not None and not fut.done():
                fut.set_result(msg)
            return
        if op == "event" and topic in self.positions:
            pos = self.positions[topic]
            if msg["seq"] <= pos["seq"]:
                return  # already seen: never pass an event on twice
            pos["seq"] = msg["seq"]
        elif op in ("subscribed", "snapshot") and topic:
            self.positions[topic] = dict(msg["position"])
        elif op == "heartbeat":
            for t, pos in msg.get("positions", {}).items():
                mine = self.positions.get(t)
                if mine is None or (mine["epoch"] == pos["epoch"] and pos["seq"] > mine["seq"]):
                    self.positions[t] = dict(pos)
        with contextlib.suppress(Exception):
            self.on_message(msg)
