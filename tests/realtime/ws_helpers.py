"""Helpers for the raw-WebSocket tests: a thin JSON client over `websockets`, and HTTP
with one kept-alive connection (thousands of calls should not each open a socket)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import PASSWORD
from tests.system.server_proc import ServerProcess

Msg = dict[str, Any]


class RawWS:
    """One /ws connection spoken to in JSON; keeps every message it has read."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[Msg] = []
        self._next = 0  # index in seen of the first message no until() has consumed

    @classmethod
    async def open(cls, url: str, token: str | None = None, **kw: Any) -> RawWS:
        kw.setdefault("open_timeout", 20)
        kw.setdefault("proxy", None)
        target = f"{url}?token={token}" if token else url
        return cls(await connect(target, **kw))

    async def send(self, msg: Msg | str) -> None:
        await self.ws.send(msg if isinstance(msg, str) else json.dumps(msg))

    async def recv(self, timeout: float = 15.0) -> Msg:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        msg: Msg = json.loads(raw)
        self.seen.append(msg)
        return msg

    async def until(self, match: Callable[[Msg], bool], timeout: float = 15.0) -> Msg:
        """The first message not yet consumed that matches, reading more as needed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i in range(self._next, len(self.seen)):
                if match(self.seen[i]):
                    self._next = i + 1
                    return self.seen[i]
            self._next = len(self.seen)
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise TimeoutError
                await self.recv(left)
            except TimeoutError:
                raise AssertionError(
                    f"no matching message within {timeout} s; {len(self.seen)} read,"
                    f" the last ones: {self.seen[-5:]}"
                ) from None

    async def op(self, op: str, timeout: float = 15.0, **fields: Any) -> Msg:
        """The next message with this op (and these top-level field values)."""
        return await self.until(
            lambda m: m.get("op") == op and all(m.get(k) == v for k, v in fields.items()),
            timeout,
        )

    async def subscribe(self, topic: str, timeout: float = 15.0, **extra: Any) -> Msg:
        """Subscribe; returns the `subscribed` answer (or raises with the error seen)."""
        await self.send({"op": "subscribe", "topic": topic, **extra})
        answer = await self.until(
            lambda m: m.get("topic") == topic and m.get("op") in ("subscribed", "error"), timeout
        )
        assert answer["op"] == "subscribed", answer
        return answer

    async def command(self, op: str, window: str, ref: int | str, **params: Any) -> Msg:
        await self.send({"op": op, "window": window, "ref": ref, **params})
        return await self.op("reply", ref=ref)

    def events(self, topic: str) -> list[Msg]:
        return [m for m in self.seen if m.get("op") == "event" and m.get("topic") == topic]

    async def closed(self, timeout: float = 15.0) -> int | None:
        """Read (and keep) whatever is left until the server closes; the close code."""
        from websockets.exceptions import ConnectionClosed

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                await self.recv(max(deadline - loop.time(), 0.01))
        except ConnectionClosed:
            pass
        except TimeoutError:
            return None
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> RawWS:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class Api:
    """The HTTP API over one kept-alive connection, with staff tokens cached by user."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=30.0)
        self.tokens: dict[str, str] = {}

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            r = await self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            r.raise_for_status()
            self.tokens[username] = r.json()["token"]
        return self.tokens[username]

    async def call(
        self, method: str, path: str, body: Any = None, user: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {await self.token(user)}"} if user else {}
        return await self.client.request(method, path, json=body, headers=headers)

    async def post(self, path: str, body: Any = None, user: str | None = None) -> Msg:
        r = await self.call("POST", path, body, user)
        assert r.status_code in (200, 201), r.text
        out: Msg = r.json()
        return out

    async def get(self, path: str) -> Msg:
        r = await self.client.get(path)
        assert r.status_code == 200, r.text
        out: Msg = r.json()
        return out

    async def metric(self, name: str, **labels: str) -> float:
        """One sample of the server's Prometheus metrics (0 when it is not there yet)."""
        r = await self.client.get("/metrics")
        assert r.status_code == 200, r.text
        for family in text_string_to_metric_families(r.text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    async def last_seq(self, hall: str) -> int:
        return int((await self.get(f"/api/halls/{hall}/events?limit=1"))["last_seq"])

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def ws_url(server: ServerProcess) -> str:
    """The /ws address of a server process."""
    return server.base_url.replace("http://", "ws://") + "/ws"
