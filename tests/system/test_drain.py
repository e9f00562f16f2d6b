"""SIGTERM drains: the listener closes at once, requests already in flight finish,
WebSockets are told 1012 (reconnect and resume), and the process exits 0 within
ONEWINDOW_DRAIN_S, even when a request never finishes.

The slow requests are real ones held open from the client side: headers and half a
body sent before the signal, the rest after it (a kiosk on a slow link does this).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import HallFixture
from tests.realtime.conftest import seed_hall, server_env
from tests.realtime.ws_helpers import RawWS
from tests.system.server_proc import ServerProcess

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

DRAIN_S = 4.0
SLACK_S = 3.0  # lifespan shutdown and interpreter exit after the drain


class HalfSent:
    """A POST whose headers and first half of the body are on the wire."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rest: bytes):
        self.reader, self.writer, self.rest = reader, writer, rest

    @classmethod
    async def start(cls, port: int, path: str, body: dict[str, object]) -> HalfSent:
        raw = json.dumps(body).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n"
        )
        writer.write(head.encode() + raw[: len(raw) // 2])
        await writer.drain()
        return cls(reader, writer, raw[len(raw) // 2 :])

    async def finish(self) -> tuple[int, dict[str, object]]:
        self.writer.write(self.rest)
        await self.writer.drain()
        status_line = await asyncio.wait_for(self.reader.readline(), 10)
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers["content-length"]))
        self.writer.close()
        return int(status_line.split()[1]), json.loads(body)


@pytest.fixture
async def pg_hall(pg_url: str) -> HallFixture:
    return await seed_hall(pg_url)


async def refused(port: int, within: float) -> bool:
    """True once a new connection to the port is refused (the listener is closed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return True
        writer.close()
        await asyncio.sleep(0.05)
    return False


async def wait_exit(srv: ServerProcess, within: float) -> int | None:
    deadline = time.monotonic() + within
    while srv.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return srv.returncode


async def test_sigterm_finishes_requests_in_flight_and_closes_websockets_with_1012(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    env = server_env(pg_url, ONEWINDOW_DRAIN_S=str(DRAIN_S))
    srv = ServerProcess(env=env, cwd=tmp_path, log_path=tmp_path / "server.log").start()
    try:
        topic = f"hall:{pg_hall.id}"
        ws_url = srv.base_url.replace("http://", "ws://") + "/ws"
        boards = [await RawWS.open(ws_url) for _ in range(3)]
        for ws in boards:
            await ws.subscribe(topic)
        path = f"/api/halls/{pg_hall.id}/tickets"
        in_flight = [await HalfSent.start(srv.port, path, {"service": "A"}) for _ in range(4)]
        await asyncio.sleep(0.2)  # the server has read the headers: the requests have begun

        assert srv.proc is not None
        srv.proc.terminate()
        signalled = time.monotonic()
        codes = await asyncio.gather(*(ws.closed(timeout=DRAIN_S) for ws in boards))
        assert codes == [1012] * len(boards), codes
        assert await refused(srv.port, within=DRAIN_S), "new connections were still accepted"
        assert srv.returncode is None, "the server left before its requests were answered"

        answers = await asyncio.gather(*(r.finish() for r in in_flight))
        assert [status for status, _ in answers] == [201] * len(in_flight), answers
        code = await wait_exit(srv, DRAIN_S + SLACK_S - (time.monotonic() - signalled))
        assert code == 0, srv.output()
    finally:
        srv._reap_hard()

    numbers = sorted(str(body["number"]) for _, body in answers)
    conn = await asyncpg.connect(pg_url)
    try:
        stored = await conn.fetch("SELECT number FROM tickets WHERE hall_id = $1", pg_hall.id)
    finally:
        await conn.close()
    assert sorted(r["number"] for r in stored) == numbers


@pytest.mark.parametrize("drain_s", [1.5])
async def test_a_request_that_never_finishes_is_cut_at_drain_s(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture, drain_s: float
) -> None:
    env = server_env(pg_url, ONEWINDOW_DRAIN_S=str(drain_s))
    srv = ServerProcess(env=env, cwd=tmp_path, log_path=tmp_path / "server.log").start()
    try:
        stuck = await HalfSent.start(srv.port, f"/api/halls/{pg_hall.id}/tickets", {"service": "A"})
        await asyncio.sleep(0.2)
        assert srv.proc is not None
        srv.proc.terminate()
        signalled = time.monotonic()
        code = await wait_exit(srv, drain_s + SLACK_S)
        took = time.monotonic() - signalled
        print(f"\nSIGTERM with a stuck request: exit {code} after {took:.1f} s (drain {drain_s} s)")
        assert code == 0, srv.output()
        assert took >= drain_s * 0.8  # it was given its time
        stuck.writer.close()
    finally:
        srv._reap_hard()
