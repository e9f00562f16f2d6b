"""`onewindow serve --workers N`: several processes on one port, joined by Redis.

Which worker takes a connection is the kernel's choice, so the test finds two HTTP
clients that landed on different workers (/healthz names the answering process) and
makes the hall's changes through them in turn. Every display must then see every
event: whichever worker a display is on, half of what it saw was made on another.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from websockets.asyncio.client import connect

from tests.conftest import HallFixture
from tests.realtime.conftest import server_env, wait_for
from tests.realtime.ws_helpers import Api
from tests.system.server_proc import ServerProcess

DISPLAYS = 8
FIND_TRIES = 40


async def _two_workers(base: str) -> tuple[Api, Api]:
    """Two keep-alive clients whose connections two different workers serve."""
    seen: dict[int, Api] = {}
    for _ in range(FIND_TRIES):
        a = Api(base)
        worker = (await a.client.get("/healthz")).json()["worker"]
        if worker in seen:
            await a.aclose()
            continue
        seen[worker] = a
        if len(seen) == 2:
            first, second = seen.values()
            return first, second
    for a in seen.values():
        await a.aclose()
    raise AssertionError(f"every connection went to one worker: {list(seen)}")


async def _display(url: str, topic: str, got: list[tuple[int, str]], ready: asyncio.Event) -> None:
    async with connect(url, proxy=None) as ws:
        await ws.send(json.dumps({"op": "subscribe", "topic": topic}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg["op"] == "snapshot":
                ready.set()
            elif msg["op"] == "event":
                got.append((msg["seq"], msg["type"]))


async def test_a_display_on_one_worker_sees_what_was_done_on_another(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    # The store poll is set far out: only the Redis bus brings one worker's events to another.
    env = server_env(pg_url, redis=True, ONEWINDOW_WS_POLL_S="30")
    hall, w1, clerk = pg_hall.id, pg_hall.window(1), pg_hall.clerk(1).username
    topic = f"hall:{hall}"
    log = tmp_path / "server.log"
    with ServerProcess(env=env, cwd=tmp_path, log_path=log, extra_args=["--workers", "2"]) as srv:
        url = srv.base_url.replace("http://", "ws://") + "/ws"
        seen: list[list[tuple[int, str]]] = [[] for _ in range(DISPLAYS)]
        ready = [asyncio.Event() for _ in range(DISPLAYS)]
        tasks = [asyncio.create_task(_display(url, topic, seen[i], ready[i]))
                 for i in range(DISPLAYS)]  # fmt: skip
        a, b = await _two_workers(srv.base_url)
        try:
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 20)
            steps = [
                (a, f"/api/windows/{w1}/open", None, clerk),
                (b, f"/api/halls/{hall}/tickets", {"service": "A"}, None),
                (a, f"/api/halls/{hall}/tickets", {"service": "A"}, None),
                (b, f"/api/windows/{w1}/call-next", None, clerk),
                (a, f"/api/windows/{w1}/recall", None, clerk),
                (b, f"/api/windows/{w1}/recall", None, clerk),
            ]
            for client, path, body, user in steps:
                await client.post(path, body, user)
            log_events = (await a.get(f"/api/halls/{hall}/events?limit=100"))["events"]
            want = [(e["seq"], e["type"]) for e in log_events]
            assert len(want) >= len(steps)
            await wait_for(lambda: all(len(s) >= len(want) for s in seen), 10,
                           "every display to have every event")  # fmt: skip
            assert all(s == want for s in seen), seen
            # Both workers answered the changes: each client still talks to its own.
            workers = {(await c.client.get("/healthz")).json()["worker"] for c in (a, b)}
            assert len(workers) == 2
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await a.aclose()
            await b.aclose()


def _onewindow(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "ONEWINDOW_SECRET": "workers-test-secret"}
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_several_workers_are_refused_on_the_embedded_database(tmp_path: Path) -> None:
    served = _onewindow(tmp_path, "serve", "--workers", "2")
    assert served.returncode == 2, served.stderr
    assert "several workers need PostgreSQL" in served.stderr
    checked = _onewindow(tmp_path, "check", "--workers", "2")
    assert checked.returncode == 1 and "several workers need PostgreSQL" in checked.stdout
    assert list(tmp_path.iterdir()) == [], "a refused start made files"


def test_check_reports_the_worker_count(tmp_path: Path, pg_url: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "ONEWINDOW_DATABASE_URL": pg_url,
           "ONEWINDOW_REDIS_URL": "redis://127.0.0.1:6379/0", "ONEWINDOW_WORKERS": "3"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "server", "check"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert (done.returncode, done.stdout.split()) == (0, ["ok", "workers:", "3"]), done.stderr
