"""Real server processes on loopback over real PostgreSQL (and Redis where a test says)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.realtime.client import OneWindowClient
from server.store.store import Store
from tests.conftest import PASSWORD, REDIS_URL, HallFixture, keep_clear_of_local_midnight, make_hall
from tests.realtime.ws_helpers import Api
from tests.system.server_proc import ServerProcess

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def seed_hall(url: str, windows: list[tuple[str, ...]] | None = None) -> HallFixture:
    store = Store.from_url(url)
    await store.open()
    try:
        hall = await make_hall(
            store, datetime.now(UTC), windows=windows, hours=ALL_DAY, hash_passwords=True
        )
        # Every day a working day, so kiosk tickets work whenever the suite runs.
        today = datetime.now(UTC).date()
        days = {(today.fromordinal(today.toordinal() + d)).isoformat(): True for d in (-1, 0, 1)}
        async with store.db.transaction() as c:
            import json

            await c.execute(
                "UPDATE halls SET calendar = $2 WHERE id = $1", hall.id, json.dumps(days)
            )
        return hall
    finally:
        await store.close()


def server_env(db_url: str, *, redis: bool = False, **extra: str) -> dict[str, str]:
    env = {
        "ONEWINDOW_DATABASE_URL": db_url,
        "ONEWINDOW_SECRET": "realtime-test-secret",
        "ONEWINDOW_RATE_LIMIT_CLIENT": "1000000/60",
        "ONEWINDOW_RATE_LIMIT_ID": "1000000/60",
        "ONEWINDOW_LOG_LEVEL": "WARNING",
        "ONEWINDOW_WS_POLL_S": "0.5",
    }
    if redis:
        env["ONEWINDOW_REDIS_URL"] = REDIS_URL
        env["ONEWINDOW_REDIS_PREFIX"] = f"owtest:{secrets.token_hex(4)}:"
    env.update(extra)
    return env


@contextmanager
def running(tmp_path: Path, env: dict[str, str], name: str = "server") -> Iterator[ServerProcess]:
    with ServerProcess(env=env, cwd=tmp_path, log_path=tmp_path / f"{name}.log") as srv:
        yield srv


@dataclass
class Http:
    base: str
    hall: HallFixture
    tokens: dict[str, str] = field(default_factory=dict)

    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            async with httpx.AsyncClient(base_url=self.base) as c:
                r = await c.post(
                    "/api/auth/login", json={"username": username, "password": PASSWORD}
                )
                r.raise_for_status()
                self.tokens[username] = r.json()["token"]
        return self.tokens[username]

    async def post(self, path: str, body: Any = None, user: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {await self.token(user)}"} if user else {}
        async with httpx.AsyncClient(base_url=self.base) as c:
            r = await c.post(path, json=body, headers=headers)
            assert r.status_code in (200, 201), r.text
            out: dict[str, Any] = r.json()
            return out


class Recorder:
    """Collects what a client passes on, per topic: events by seq, and snapshots."""

    def __init__(self) -> None:
        self.events: dict[str, list[int]] = {}
        self.types: dict[str, list[str]] = {}
        self.snapshots: dict[str, int] = {}
        self.messages: list[dict[str, Any]] = []

    def __call__(self, msg: dict[str, Any]) -> None:
        self.messages.append(msg)
        if msg.get("op") == "event":
            self.events.setdefault(msg["topic"], []).append(msg["seq"])
            self.types.setdefault(msg["topic"], []).append(msg["type"])
        elif msg.get("op") == "snapshot":
            self.snapshots[msg["topic"]] = self.snapshots.get(msg["topic"], 0) + 1


async def wait_for(
    check: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def start_client(
    url: str, topics: list[str], *, token: str | None = None
) -> tuple[OneWindowClient, Recorder, asyncio.Task[None]]:
    rec = Recorder()
    client = OneWindowClient(
        url, token=token, on_message=rec, backoff_min_s=0.05, backoff_max_s=0.5
    )
    for t in topics:
        client.follow(t)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(client.connected.wait(), 10)
    return client, rec, task


async def stop_client(client: OneWindowClient, task: asyncio.Task[None]) -> None:
    await client.stop()
    with suppress(Exception):
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def pg_hall(pg_url: str) -> HallFixture:
    return await seed_hall(pg_url)


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    """The HTTP API of the module's ``server`` fixture."""
    async with Api(server.base_url) as a:
        yield a


@pytest.fixture(autouse=True)
def _clear_of_midnight() -> None:
    """These tests run a server on the real clock (tests/conftest.py says why)."""
    keep_clear_of_local_midnight()
