"""A local SMS gateway for tests: an HTTP server in a thread that records what it gets.

It honours the idempotency key as a real gateway should: a key it has delivered
before is answered 200 again and not delivered a second time. What it answers can
be set per phone number (``modes``) or for every request (``mode``):

- ``ok``: deliver, answer 200;
- ``fail``: answer 500 (nothing delivered);
- ``reject``: answer 400 (nothing delivered);
- ``hang``: never answer (until the gateway is closed).

``hold()`` makes it deliver and then keep the answer back until ``release()``:
the window between a send and its mark, which a crash test needs to cross.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Post:
    body: dict[str, Any]
    headers: dict[str, str]


class FakeGateway:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.modes: dict[str, str] = {}
        self.posts: list[Post] = []  # every request, in order of arrival
        self.delivered: dict[str, Post] = {}  # by idempotency key: each at most once
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._released = threading.Event()
        self._released.set()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway

            def do_POST(self) -> None:
                size = int(self.headers.get("content-length", "0"))
                post = Post(
                    json.loads(self.rfile.read(size)),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                status = gateway._receive(post)
                if status is None:  # hang
                    gateway._closing.wait(30)
                    self.close_connection = True
                    return
                gateway._released.wait(30)
                payload = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default 5 drops connections under a burst

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and left: expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sms"

    def _receive(self, post: Post) -> int | None:
        mode = self.modes.get(post.body.get("phone", ""), self.mode)
        with self._lock:
            self.posts.append(post)
            if mode == "hang":
                return None
            if mode == "fail":
                return 500
            if mode == "reject":
                return 400
            key = post.body["idempotency_key"]
            self.delivered.setdefault(key, post)
            return 200

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def posts_for(self, key: str) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.body["idempotency_key"] == key]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"gateway: condition not met in {timeout} s; {len(self.posts)} posts,"
                    f" {len(self.delivered)} delivered"
                )
            await asyncio.sleep(0.02)

    def __enter__(self) -> FakeGateway:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
