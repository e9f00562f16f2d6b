"""Shared bench plumbing: a fresh database, a real server process, a lean HTTP client.

The client speaks HTTP/1.1 over raw asyncio streams with keep-alive: a general
client (httpx) costs more CPU than the server under test, and on a 2-core
machine that would measure the client.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from server.auth import hash_password
from server.domain.model import Hall, Role, Service, User, Window
from server.store.store import Store

PG_ADMIN = os.environ.get("ONEWINDOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# SQLite files go here. Put it on the disk a hall would use: on a tmpfs a commit's fsync
# costs nothing and the figures would flatter SQLite.
SQLITE_DIR = os.environ.get("ONEWINDOW_BENCH_SQLITE_DIR") or None
DATABASES = ("postgres", "sqlite")
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PASSWORD = "bench-pass"


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"ow_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def fresh_sqlite() -> AsyncIterator[str]:
    """A new SQLite file in a temp dir, gone afterwards with its -wal and -shm files."""
    with tempfile.TemporaryDirectory(prefix="ow_bench_", dir=SQLITE_DIR) as folder:
        yield f"sqlite:///{folder}/onewindow.db"


def fresh(db: str) -> AbstractAsyncContextManager[str]:
    """A fresh, empty database of the kind named (one of DATABASES); yields its URL."""
    return fresh_sqlite() if db == "sqlite" else fresh_database()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:///")


def header(bench: str, db: str, **args: object) -> None:
    """The first line of a bench's output: which bench, on which database, with what."""
    line: dict[str, object] = {"bench": bench, "db": db, **args}
    if db == "sqlite":
        line["sqlite_dir"] = SQLITE_DIR or tempfile.gettempdir()
    print(json.dumps(line))


async def seed(url: str, windows: int, services: str = "AB") -> None:
    store = Store.from_url(url)
    await store.open()
    now = datetime.now(UTC)
    await store.create_hall(Hall("bench", "压测大厅", "Asia/Shanghai", ALWAYS_OPEN, {}), now)
    for code in services:
        await store.add_service(Service("bench", code, f"业务{code}", code, 300))
    pw = hash_password(PASSWORD)
    for n in range(1, windows + 1):
        await store.add_window(Window(f"bench-w{n}", "bench", n, f"{n}号窗口", tuple(services)))
        await store.add_user(User(f"c{n}", f"clerk{n}", f"窗口{n}", Role.CLERK, "bench", pw), now)
    await store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def server(
    url: str, workers: int = 1, redis_url: str = "", log_path: str | None = None
) -> AsyncIterator[int]:
    """``onewindow serve`` on a free port, yielded once every one of its workers answers.

    With ``redis_url`` the processes hear each other through Redis, on a channel prefix
    of this bench's own: pub/sub ignores the database number, and another bench's hall
    "bench" on the same Redis must not feed into this one. ``log_path`` keeps the
    server's stderr (warnings and tracebacks) instead of dropping it.
    """
    port = free_port()
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_SECRET": "bench-secret",
        "ONEWINDOW_RATE_LIMIT_CLIENT": "100000000/60",
        "ONEWINDOW_RATE_LIMIT_LOGIN": "100000/60",  # every round signs its clerks in again
        "ONEWINDOW_WS_MAX_PER_CLIENT": "0",  # every display of the bench comes from one address
        "ONEWINDOW_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["ONEWINDOW_REDIS_URL"] = redis_url
        env["ONEWINDOW_REDIS_PREFIX"] = f"owbench{os.getpid()}:"
    args = ["serve", "--port", str(port)] + (["--workers", str(workers)] if workers > 1 else [])
    with open(log_path or os.devnull, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        await _all_answering(port, workers)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


async def _all_answering(port: int, workers: int) -> None:
    """Until /healthz answered from ``workers`` distinct processes: a new connection goes to
    whichever worker the kernel picks, so one answer does not mean the others are up."""
    seen: set[int] = set()
    for _ in range(600):
        try:
            c = await Conn.open(port)
            status, body = await c.request("GET", "/healthz")
            c.close()
            if status == 200:
                seen.add(int(json.loads(body).get("worker", 0)))
                if len(seen) >= workers:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"server did not start ({len(seen)} of {workers} workers answered)")


class Conn:
    def __init__(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        self.r, self.w = r, w

    @classmethod
    async def open(cls, port: int) -> Conn:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def request(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(data)}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        self.w.write(head.encode() + b"Content-Type: application/json\r\n\r\n" + data)
        status_line = await self.r.readline()
        length = 0
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        payload = await self.r.readexactly(length)
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        self.w.close()


def summary(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "max_ms": round(ms[-1], 2),
    }


async def closed_loop(workers: int, seconds: float, one: object) -> tuple[float, list[float]]:
    """Each worker repeats ``one(i)`` back to back; returns (ops/s, latencies)."""
    deadline = time.perf_counter() + seconds
    lat: list[float] = []

    async def worker(i: int) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await one(i)  # type: ignore[operator]
            lat.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    return len(lat) / (time.perf_counter() - start), lat


async def open_loop(rate: float, seconds: float, workers: int, one: object) -> list[float]:
    """Requests scheduled at a fixed rate; latency counts from the scheduled time,
    so a stall shows up in the tail instead of silently lowering the rate."""
    start = time.perf_counter() + 0.05
    total = int(rate * seconds)
    queue: asyncio.Queue[float] = asyncio.Queue()
    lat: list[float] = []

    async def feeder() -> None:
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(due)
        for _ in range(workers):
            queue.put_nowait(-1.0)

    async def worker(i: int) -> None:
        while (due := await queue.get()) >= 0:
            await one(i)  # type: ignore[operator]
            lat.append(time.perf_counter() - due)

    await asyncio.gather(feeder(), *(worker(i) for i in range(workers)))
    return lat


def hall_day() -> date:
    """The bench hall's business day, as the server counts it: local to Asia/Shanghai, not
    UTC (a fill for the UTC date is voided as yesterday's between 16:00 and 24:00 UTC)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
