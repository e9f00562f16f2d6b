"""Soak: 50 displays on one hall through 2,000 calls while their connections are cut.

One server process on PostgreSQL with the Redis bus; four clerks work four
windows over HTTP (every ticket: call, recall ×3, no-show, call back, recall ×3,
no-show: eight calls); meanwhile a chaos task keeps cutting displays' TCP
connections (``drop()``) or stopping them for up to a second and bringing them
back from their saved positions. At the end every display has passed on
exactly the hall's event log: seq 1..last, each once, in order, the same types.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.realtime.client import OneWindowClient
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import Recorder, running, server_env, wait_for

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

SEED = 20260125
DISPLAYS = 50
TICKETS_PER_SERVICE = 125  # services A and C: 250 tickets
CALLS_PER_TICKET = 8  # called, recalled ×3, called_back, recalled ×3
CALL_TYPES = {"ticket.called", "ticket.recalled", "ticket.called_back"}
CHAOS_PAUSE_S = (0.02, 0.12)
CONVERGE_S = 30.0


class Clerk:
    def __init__(self, base: str, username: str) -> None:
        self.username = username
        self.client = httpx.AsyncClient(base_url=base, timeout=30.0)
        self.headers: dict[str, str] = {}

    async def login(self) -> None:
        r = await self.client.post(
            "/api/auth/login", json={"username": self.username, "password": PASSWORD}
        )
        r.raise_for_status()
        self.headers = {"authorization": f"Bearer {r.json()['token']}"}

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers)

    async def act(self, window: str, op: str, body: Any = None) -> dict[str, Any]:
        r = await self.post(f"/api/windows/{window}/{op}", body)
        assert r.status_code == 200, f"{op} at {window}: {r.status_code} {r.text}"
        out: dict[str, Any] = r.json()
        return out


@dataclass
class Display:
    """One hall screen: its recorder outlives the client objects it is run by."""

    n: int
    url: str
    topic: str
    rec: Recorder = field(default_factory=Recorder)
    client: OneWindowClient | None = None
    task: asyncio.Task[None] | None = None
    drops: int = 0
    restarts: int = 0

    async def start(self, positions: dict[str, dict[str, Any]] | None = None) -> None:
        client = OneWindowClient(
            self.url, on_message=self.rec, backoff_min_s=0.05, backoff_max_s=0.5
        )
        client.follow(self.topic)
        if positions:
            client.positions = {t: dict(p) for t, p in positions.items()}
        self.client = client
        self.task = asyncio.create_task(client.run(), name=f"display-{self.n}")

    async def stop(self) -> dict[str, dict[str, Any]]:
        """Stop the client and wait until it has passed on its last message; its positions."""
        assert self.client is not None and self.task is not None
        await self.client.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.task), 10)
        assert self.task.done(), f"display {self.n}: the client did not stop"
        return self.client.positions

    def last_seq(self) -> int:
        seqs = self.rec.events.get(self.topic)
        return seqs[-1] if seqs else 0


def check_display(d: Display, log: list[dict[str, Any]]) -> None:
    """Exactly the hall's log after the display's latest snapshot (seq 1.. for the first one)."""
    segments: list[tuple[int, list[tuple[int, str]]]] = []  # (snapshot seq, events after it)
    for m in d.rec.messages:
        if m.get("topic") != d.topic:
            continue
        if m.get("op") == "snapshot":
            segments.append((m["position"]["seq"], []))
        elif m.get("op") == "event":
            assert segments, f"display {d.n}: an event before any snapshot"
            segments[-1][1].append((m["seq"], m["type"]))
    assert segments, f"display {d.n}: no snapshot"
    # Before a later snapshot (none is expected here), what came was in order, once each.
    for start, events in segments[:-1]:
        seqs = [s for s, _ in events]
        assert seqs == list(range(start + 1, start + 1 + len(seqs))), (d.n, start, seqs[:20])
    start, events = segments[-1]
    seqs = [s for s, _ in events]
    expected = list(range(start + 1, len(log) + 1))
    if seqs != expected:
        dups = sorted({s for s in seqs if seqs.count(s) > 1})
        missing = sorted(set(expected) - set(seqs))
        raise AssertionError(
            f"display {d.n}: got {len(seqs)} events after the snapshot at {start}, want"
            f" {len(expected)}; missing {missing[:20]}, duplicated {dups[:20]}"
        )
    assert [t for _, t in events] == [e["type"] for e in log[start:]], f"display {d.n}: types"


async def test_fifty_displays_through_2000_calls_with_connection_chaos(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    rng = random.Random(SEED)
    hall = pg_hall.id
    topic = f"hall:{hall}"
    with running(tmp_path, server_env(pg_url, redis=True), "soak") as srv:
        ws_url = srv.base_url.replace("http://", "ws://") + "/ws"
        displays = [Display(n, ws_url, topic) for n in range(DISPLAYS)]
        clerks = [Clerk(srv.base_url, pg_hall.clerk(n).username) for n in (1, 2, 3, 4)]
        kiosk = httpx.AsyncClient(base_url=srv.base_url, timeout=30.0)
        try:
            for d in displays:
                await d.start()
            await wait_for(
                lambda: all(d.rec.snapshots.get(topic) for d in displays),
                30,
                "every display's first snapshot",
            )
            first = [next(m for m in d.rec.messages if m.get("op") == "snapshot") for d in displays]
            assert {m["position"]["seq"] for m in first} == {0}

            # Windows 1–2 serve A, 3–4 serve C (the seeded hall: (A,B), (A), (C), (C,D)).
            for c in clerks:
                await c.login()
            for n, c in enumerate(clerks, start=1):
                await c.act(pg_hall.window(n), "open")

            async def work(clerk: Clerk, window: str) -> int:
                served = 0
                while True:
                    r = await clerk.post(f"/api/windows/{window}/call-next")
                    if r.status_code == 409 and r.json()["error"]["code"] == "queue_empty":
                        return served
                    assert r.status_code == 200, r.text
                    ticket = r.json()["ticket"]["id"]
                    for _ in range(3):
                        await clerk.act(window, "recall")
                    await clerk.act(window, "no-show")
                    await clerk.act(window, "call-back", {"ticket": ticket})
                    for _ in range(3):
                        await clerk.act(window, "recall")
                    await clerk.act(window, "no-show")
                    served += 1

            done = asyncio.Event()
            chaos_log: list[str] = []

            async def pause_then_resume(d: Display, pause_s: float) -> None:
                positions = await d.stop()
                await asyncio.sleep(pause_s)
                await d.start(positions)

            async def chaos() -> None:
                resting: dict[int, asyncio.Task[None]] = {}  # display -> its stop and restart
                while not done.is_set():
                    await asyncio.sleep(rng.uniform(*CHAOS_PAUSE_S))
                    for n in [n for n, t in resting.items() if t.done()]:
                        await resting.pop(n)  # raises if the stop or the restart failed
                    d = rng.choice(displays)
                    assert d.client is not None
                    if d.n in resting or not d.client.connected.is_set():
                        # Resting, or reconnecting: leave it be. (Stopping it while it
                        # connects would leave the client running: see
                        # test_stop_while_connecting_ends_the_client.)
                        continue
                    if rng.random() < 0.5:
                        await d.client.drop()
                        d.drops += 1
                        chaos_log.append(f"drop {d.n}")
                    else:
                        d.restarts += 1
                        pause = rng.uniform(0.0, 1.0)
                        chaos_log.append(f"stop {d.n} for {pause:.2f}s")
                        resting[d.n] = asyncio.create_task(pause_then_resume(d, pause))
                for t in resting.values():
                    await t

            chaos_task = asyncio.create_task(chaos())
            try:
                for i in range(2 * TICKETS_PER_SERVICE):
                    r = await kiosk.post(
                        f"/api/halls/{hall}/tickets", json={"service": "AC"[i % 2]}
                    )
                    assert r.status_code == 201, r.text
                served = await asyncio.gather(
                    *(work(c, pg_hall.window(n)) for n, c in enumerate(clerks, start=1))
                )
            finally:
                done.set()
                await chaos_task
            assert sum(served) == 2 * TICKETS_PER_SERVICE

            r = await kiosk.get(f"/api/halls/{hall}/events", params={"after": 0, "limit": 1})
            last = r.json()["last_seq"]
            log: list[dict[str, Any]] = []
            while len(log) < last:
                r = await kiosk.get(
                    f"/api/halls/{hall}/events", params={"after": len(log), "limit": 1000}
                )
                log += r.json()["events"]
            assert [e["seq"] for e in log] == list(range(1, last + 1))
            calls = sum(e["type"] in CALL_TYPES for e in log)
            assert calls == 2 * TICKETS_PER_SERVICE * CALLS_PER_TICKET == 2000

            try:
                await wait_for(lambda: all(d.last_seq() >= last for d in displays), CONVERGE_S)
            except AssertionError:
                behind = {d.n: d.last_seq() for d in displays if d.last_seq() < last}
                raise AssertionError(f"displays still behind seq {last}: {behind}") from None
            for d in displays:
                check_display(d, log)
            # The chaos did exercise resumption: most comebacks replayed from a position.
            resumed = sum(
                m.get("op") == "subscribed" and m["recovered"]
                for d in displays
                for m in d.rec.messages
            )
            assert resumed >= 50, (resumed, chaos_log)
            assert sum(d.drops for d in displays) >= 20, chaos_log
            assert sum(d.restarts for d in displays) >= 20, chaos_log
        finally:
            for d in displays:
                if d.client is not None and d.task is not None:
                    await d.client.stop()
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(asyncio.shield(d.task), 10)
                    d.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await d.task
            for c in clerks:
                await c.client.aclose()
            await kiosk.aclose()


async def test_stop_while_connecting_ends_the_client(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    """A display stopped during its reconnect must stop: not come back and go on receiving."""
    topic = f"hall:{pg_hall.id}"
    with running(tmp_path, server_env(pg_url), "stop") as srv:
        rec = Recorder()
        client = OneWindowClient(srv.base_url.replace("http://", "ws://") + "/ws", on_message=rec)
        client.follow(topic)
        task = asyncio.create_task(client.run())
        try:
            await asyncio.sleep(0)  # run() is now inside websockets.connect(): no socket yet
            assert client.connections == 0
            await client.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(task), 3)
            assert task.done(), "the stopped client is still running"
            assert client.connections == 0, "the stopped client connected and subscribed"
            assert not rec.messages
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
