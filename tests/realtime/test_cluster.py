"""Several server processes, one PostgreSQL database, one Redis: a hall is one stream.

A display connected to one process sees what a clerk does on another, through
the Redis bus, within a second; and when Redis dies and comes back in the
middle of a call burst, the display still ends with exactly the hall's event
log (seq 1..last, each once, in order): what the bus lost, the store poll and
the resync after resubscription bring back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.realtime.client import OneWindowClient
from tests.conftest import PASSWORD, HallFixture
from tests.private_redis import PrivateRedis
from tests.realtime.conftest import (
    Recorder,
    running,
    server_env,
    start_client,
    stop_client,
    wait_for,
)

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

CONVERGE_S = 30.0


class Api:
    """One process's HTTP API over a kept-alive connection, with staff tokens cached."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.AsyncClient(base_url=base, timeout=30.0)
        self.tokens: dict[str, str] = {}

    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            r = await self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            r.raise_for_status()
            self.tokens[username] = r.json()["token"]
        return self.tokens[username]

    async def post(self, path: str, body: Any = None, user: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {await self.token(user)}"} if user else {}
        r = await self.client.post(path, json=body, headers=headers)
        assert r.status_code in (200, 201), f"POST {path}: {r.status_code} {r.text}"
        out: dict[str, Any] = r.json()
        return out

    async def health(self) -> tuple[int, dict[str, Any]]:
        r = await self.client.get("/healthz")
        return r.status_code, r.json()

    async def events(self, hall: str) -> list[dict[str, Any]]:
        """The hall's whole event log, read page by page from the store."""
        out: list[dict[str, Any]] = []
        while True:
            r = await self.client.get(
                f"/api/halls/{hall}/events", params={"after": len(out), "limit": 1000}
            )
            r.raise_for_status()
            page = r.json()["events"]
            if not page:
                return out
            out += page


@contextlib.asynccontextmanager
async def api(base: str) -> AsyncIterator[Api]:
    a = Api(base)
    try:
        yield a
    finally:
        await a.aclose()


class TimedRecorder(Recorder):
    """A Recorder that also notes when each event arrived (loop time)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[int, float] = {}

    def __call__(self, msg: dict[str, Any]) -> None:
        if msg.get("op") == "event":
            self.arrived.setdefault(msg["seq"], asyncio.get_running_loop().time())
        super().__call__(msg)


def reached(rec: Recorder, topic: str, seq: int) -> bool:
    return (rec.events.get(topic) or [0])[-1] >= seq


def assert_exact_stream(rec: Recorder, topic: str, log: list[dict[str, Any]], who: str) -> None:
    """What the display passed on is the hall's log: 1..last, each once, in order, same types."""
    assert rec.snapshots.get(topic) == 1, f"{who}: expected only the first snapshot"
    seqs = rec.events.get(topic, [])
    assert seqs == list(range(1, len(log) + 1)), f"{who}: seqs {_describe(seqs, len(log))}"
    assert rec.types[topic] == [e["type"] for e in log], f"{who}: event types differ"


def _describe(seqs: list[int], last: int) -> str:
    seen = set(seqs)
    dups = sorted({s for s in seqs if seqs.count(s) > 1})
    missing = [s for s in range(1, last + 1) if s not in seen]
    disorder = [(a, b) for a, b in itertools.pairwise(seqs) if b <= a]
    return (
        f"n={len(seqs)} last={last} missing={missing[:20]} dups={dups[:20]}"
        f" out_of_order={disorder[:10]}"
    )


async def test_display_on_b_sees_calls_made_on_a_within_a_second(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    # One env for both processes: one database, one Redis prefix. The store poll is
    # set far out, so only the Redis bus can bring A's events to B within a second.
    env = server_env(pg_url, redis=True, ONEWINDOW_WS_POLL_S="30")
    hall, w1, clerk = pg_hall.id, pg_hall.window(1), pg_hall.clerk(1).username
    topic = f"hall:{hall}"
    with running(tmp_path, env, "a") as srv_a, running(tmp_path, env, "b") as srv_b:
        async with api(srv_a.base_url) as a, api(srv_b.base_url) as b:
            rec = TimedRecorder()
            display = OneWindowClient(
                b.ws_url(), on_message=rec, backoff_min_s=0.05, backoff_max_s=0.5
            )
            display.follow(topic)
            task = asyncio.create_task(display.run())
            try:
                await wait_for(lambda: rec.snapshots.get(topic) == 1, 10, "snapshot on B")
                loop = asyncio.get_running_loop()
                answered: dict[int, float] = {}
                steps = [
                    (f"/api/windows/{w1}/open", None, clerk),
                    (f"/api/halls/{hall}/tickets", {"service": "A"}, None),
                    (f"/api/windows/{w1}/call-next", None, clerk),
                ]
                for seq, (path, body, user) in enumerate(steps, start=1):
                    await a.post(path, body, user)
                    answered[seq] = loop.time()
                    await wait_for(partial(rec.arrived.__contains__, seq), 10, f"event {seq} on B")

                assert rec.events[topic] == [1, 2, 3]
                assert rec.types[topic] == ["window.opened", "ticket.issued", "ticket.called"]
                lag = {s: round(rec.arrived[s] - answered[s], 3) for s in answered}
                assert all(v < 1.0 for v in lag.values()), f"B got A's events late: {lag}"

                # Carried over Redis, the events are what the store holds, field for field.
                log = await b.events(hall)
                got = [m for m in rec.messages if m.get("op") == "event"]
                assert [(m["seq"], m["type"], m["data"]) for m in got] == [
                    (e["seq"], e["type"], e["data"]) for e in log
                ]
                for m, e in zip(got, log, strict=True):
                    assert datetime.fromisoformat(m["at"]) == datetime.fromisoformat(
                        e["at"].replace("Z", "+00:00")
                    )
            finally:
                await stop_client(display, task)


async def test_redis_killed_and_restarted_mid_burst_display_ends_exact(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture, private_redis: PrivateRedis
) -> None:
    env = server_env(pg_url, redis=True, ONEWINDOW_REDIS_URL=private_redis.url)
    hall, w1, clerk = pg_hall.id, pg_hall.window(1), pg_hall.clerk(1).username
    topic = f"hall:{hall}"
    with running(tmp_path, env, "a") as srv_a, running(tmp_path, env, "b") as srv_b:
        async with api(srv_a.base_url) as a, api(srv_b.base_url) as b:
            on_b, rec_b, task_b = await start_client(b.ws_url(), [topic])
            on_a, rec_a, task_a = await start_client(a.ws_url(), [topic])
            try:
                await wait_for(lambda: rec_b.snapshots.get(topic) == 1, 10, "snapshot on B")
                await wait_for(lambda: rec_a.snapshots.get(topic) == 1, 10, "snapshot on A")
                assert (await a.health())[0] == 200

                await a.post(f"/api/windows/{w1}/open", user=clerk)
                await a.post(f"/api/halls/{hall}/tickets", {"service": "A"}, user=clerk)
                await a.post(f"/api/windows/{w1}/call-next", user=clerk)
                made = 3

                async def burst(*, n: int = 0, seconds: float = 0.0) -> None:
                    """Issue and recall through A: n events, or for about ``seconds``."""
                    nonlocal made
                    loop = asyncio.get_running_loop()
                    until = loop.time() + seconds
                    start = made
                    while (n and made - start < n) or (seconds and loop.time() < until):
                        # Issued by the clerk at the window: the kiosk's rate limit is
                        # a Redis matter of its own, tested below.
                        await a.post(
                            f"/api/halls/{hall}/tickets",
                            {"service": "B", "channel": "window"},
                            user=clerk,
                        )
                        await a.post(f"/api/windows/{w1}/recall", user=clerk)
                        made += 2

                await burst(n=120)
                # B has been getting A's events over Redis.
                await wait_for(lambda: len(rec_b.events.get(topic, [])) >= made - 20, 10, "B")

                await private_redis.kill()
                down_at = made
                await burst(seconds=1.0)
                health_down = await a.health()
                await burst(seconds=0.5)
                during = made - down_at
                # With Redis down, the store poll alone brings A's events to B.
                await wait_for(
                    partial(reached, rec_b, topic, made),
                    CONVERGE_S,
                    f"display on B to reach seq {made} while Redis is down",
                )

                await private_redis.start()
                await burst(n=120)

                health_up: tuple[int, dict[str, Any]] = (0, {})

                async def healthy_again() -> bool:
                    nonlocal health_up
                    health_up = await a.health()
                    return health_up[0] == 200

                deadline = asyncio.get_running_loop().time() + 15
                while not await healthy_again():
                    assert asyncio.get_running_loop().time() < deadline, health_up
                    await asyncio.sleep(0.1)

                log = await a.events(hall)
                last = len(log)
                assert last == made, (last, made)
                assert during >= 20, f"only {during} events while Redis was down"
                for who, rec in (("B", rec_b), ("A", rec_a)):
                    await wait_for(
                        partial(reached, rec, topic, last),
                        CONVERGE_S,
                        f"display on {who} to reach seq {last}",
                    )
                # Anything late or doubled would show up now.
                await asyncio.sleep(0.6)
                assert_exact_stream(rec_b, topic, log, "display on B")
                assert_exact_stream(rec_a, topic, log, "display on A")

                assert health_down[0] == 503, health_down
                assert health_down[1]["redis"] is False, health_down
                assert health_down[1]["database"] is True, health_down
                assert health_up[1]["redis"] is True, health_up
            finally:
                await stop_client(on_b, task_b)
                await stop_client(on_a, task_a)


async def test_kiosk_tickets_are_still_issued_while_redis_is_down(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture, private_redis: PrivateRedis
) -> None:
    """Redis is the bus and the rate limiter's counter, never the record: a hall whose
    Redis is down is degraded (healthz 503), but citizens can still take a number."""
    env = server_env(pg_url, redis=True, ONEWINDOW_REDIS_URL=private_redis.url)
    hall = pg_hall.id
    with running(tmp_path, env, "kiosk") as srv:
        async with api(srv.base_url) as a:
            r = await a.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})
            assert r.status_code == 201, r.text
            await private_redis.kill()
            assert (await a.health())[0] == 503
            r = await a.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})
            assert r.status_code == 201, r.text
            assert r.json()["number"] == "A002"


async def test_after_redis_restart_the_resync_alone_delivers_what_the_bus_lost(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture, private_redis: PrivateRedis
) -> None:
    """No store poll to speak of (30 s) and no call after Redis is back: only the resync
    that follows B's resubscription can bring it the events made during the outage."""
    env = server_env(pg_url, redis=True, ONEWINDOW_REDIS_URL=private_redis.url,
                     ONEWINDOW_WS_POLL_S="30")  # fmt: skip
    hall, w1, clerk = pg_hall.id, pg_hall.window(1), pg_hall.clerk(1).username
    topic = f"hall:{hall}"
    with running(tmp_path, env, "a") as srv_a, running(tmp_path, env, "b") as srv_b:
        async with api(srv_a.base_url) as a, api(srv_b.base_url) as b:
            on_b, rec_b, task_b = await start_client(b.ws_url(), [topic])
            try:
                await wait_for(lambda: rec_b.snapshots.get(topic) == 1, 10, "snapshot on B")
                await a.post(f"/api/windows/{w1}/open", user=clerk)
                await a.post(f"/api/halls/{hall}/tickets", {"service": "A"}, user=clerk)
                await a.post(f"/api/windows/{w1}/call-next", user=clerk)
                await wait_for(lambda: len(rec_b.events.get(topic, [])) == 3, 10, "3 events")

                await private_redis.kill()
                for _ in range(20):
                    await a.post(f"/api/windows/{w1}/recall", user=clerk)
                # Nothing reaches B while Redis is down (and the poll is far off).
                await asyncio.sleep(0.5)
                assert rec_b.events[topic] == [1, 2, 3]

                await private_redis.start()
                log = await b.events(hall)
                assert len(log) == 23
                await wait_for(
                    lambda: len(rec_b.events.get(topic, [])) >= 23, 20, "the resync to deliver"
                )
                await asyncio.sleep(0.3)
                assert_exact_stream(rec_b, topic, log, "display on B")
            finally:
                await stop_client(on_b, task_b)
