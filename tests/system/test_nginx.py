"""OneWindow behind nginx, as docs/deploy.md sets it up: TLS, two server processes on one
PostgreSQL database and one Redis, a board in Chromium and WebSocket clients all going
through nginx.

nginx runs with deploy/nginx/onewindow.conf itself (tests/system/nginx_helpers.py swaps
in the test's ports, certificate and log paths). Its upstream balances round robin, so
a test does not choose the process a connection lands on: it asks each process directly
(its /metrics, onewindow_ws_connections) where the board went, then acts on the other
process directly, or kills that one. No pinning exists in the config under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page
from websockets.asyncio.client import ClientConnection, connect

from server.proxy import TrustedProxies
from server.realtime.client import OneWindowClient
from server.settings import Settings
from tests.browser.conftest import HARNESS_EVAL, chromium
from tests.conftest import HallFixture
from tests.private_redis import PrivateRedis
from tests.realtime.conftest import (
    Recorder,
    seed_hall,
    start_client,
    stop_client,
)
from tests.realtime.ws_helpers import Api, RawWS
from tests.system.nginx_helpers import (
    REPO,
    Site,
    client_tls,
    direct,
    env_for,
    holder,
    holder_is,
    site,
    wait_until,
    ws_count,
)
from tests.system.server_proc import ServerProcess

RECONNECT_S = 5.0


@pytest.fixture
async def hall_fx(pg_url: str) -> HallFixture:
    return await seed_hall(pg_url)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@contextlib.asynccontextmanager
async def board(browser: Browser, url: str) -> AsyncIterator[Page]:
    """The hall board as a TV's browser opens it: through nginx, over TLS, no test routing."""
    context = await browser.new_context(ignore_https_errors=True, bypass_csp=HARNESS_EVAL)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await page.goto(url)
        await page.wait_for_function("document.querySelectorAll('#windows .win').length === 4")
        yield page
    finally:
        await context.close()
    assert not errors, errors


async def shows(page: Page, number: str, timeout: float = 5.0) -> None:
    await page.wait_for_function(
        "n => document.querySelector('#now').dataset.number === n", arg=number,
        timeout=timeout * 1000,
    )  # fmt: skip


async def test_a_call_on_one_process_reaches_the_board_and_a_client_on_the_other(
    tmp_path: Path, pg_url: str, hall_fx: HallFixture, browser: Browser
) -> None:
    # Store polls far out: only the Redis bus can carry A's call to B in time.
    env = env_for(pg_url, ONEWINDOW_WS_POLL_S="30")
    hall, w1, clerk = hall_fx.id, hall_fx.window(1), hall_fx.clerk(1).username
    with site(tmp_path, env) as s:
        async with s.api() as api:
            # HTTP is sent to HTTPS; health answers through nginx; metrics are per process.
            async with httpx.AsyncClient() as plain:
                r = await plain.get(f"http://127.0.0.1:{s.nginx.http_port}/display/{hall}?x=1")
            assert r.status_code == 301
            assert r.headers["location"] == f"https://127.0.0.1/display/{hall}?x=1"
            assert (await api.client.get("/healthz")).status_code == 200
            assert (await api.client.get("/metrics")).status_code == 404
            r = await api.client.get(f"/display/{hall}")
            assert r.status_code == 200 and "content-security-policy" in r.headers
            assert r.headers["strict-transport-security"] == "max-age=31536000"

            async with board(browser, f"{s.nginx.base_url}/display/{hall}?voice=0") as page:
                _, other = await holder(s, 1)
                async with RawWS(await _tls_ws(s)) as ws:
                    await ws.subscribe(f"hall:{hall}")
                    async with direct(other) as a:
                        await a.post(f"/api/windows/{w1}/open", user=clerk)
                        await a.post(f"/api/halls/{hall}/tickets", {"service": "A"})
                        called = await a.post(f"/api/windows/{w1}/call-next", user=clerk)
                    number = called["ticket"]["number"]
                    await shows(page, number)
                    ev = await ws.op("event", type="ticket.called", timeout=5)
                    assert ev["data"]["number"] == number
                    assert await page.get_attribute("#now", "data-window") == w1


async def _tls_ws(s: Site) -> ClientConnection:
    return await connect(s.nginx.ws_url, ssl=client_tls(s.cert), open_timeout=10, proxy=None)


async def test_the_rate_limiter_counts_the_real_client_not_nginx_nor_a_forged_header(
    tmp_path: Path, pg_url: str, hall_fx: HallFixture
) -> None:
    """Every connection here is on loopback, so the clients differ by source address:
    127.0.0.3 and .4 reach the processes through nginx (which connects from 127.0.0.1,
    the trusted proxy, and appends the client's address to X-Forwarded-For); 127.0.0.5
    reaches a process directly, an untrusted peer; 127.0.0.7 is a second trusted proxy
    (a hall's front balancer, say) that talks to a process directly.

    - Through nginx, whatever X-Forwarded-For a client sends is only the left part of
      the list: the right-most entry is the one nginx saw, so 127.0.0.3 is limited after
      3 tickets however it varies the header, and 127.0.0.4 still has its own 3.
    - Directly, a forged header counts for nothing: 127.0.0.5 is limited by its own
      address, and pretending to be 127.0.0.4 does not use up 127.0.0.4's tickets.
    - From the second trusted proxy, its header is believed: 127.0.0.8 behind it is one
      client with the 127.0.0.8 that comes through nginx, and 127.0.0.9 another.
    The limit is shared by both processes (kept in Redis), whichever one nginx picks.
    """
    env = env_for(
        pg_url,
        ONEWINDOW_RATE_LIMIT_CLIENT="3/3600",
        ONEWINDOW_TRUSTED_PROXIES="127.0.0.1 127.0.0.7/32",
    )
    path = f"/api/halls/{hall_fx.id}/tickets"
    # A fixed-window limit: keep clear of the hour's end, when every count starts again.
    left = 3600 - time.time() % 3600
    if left < 20:
        await asyncio.sleep(left + 1)

    async def issue(api: Api, forged: str | None = None) -> int:
        headers = {"x-forwarded-for": forged} if forged else {}
        r = await api.client.post(path, json={"service": "A"}, headers=headers)
        assert r.status_code in (201, 429), r.text
        return r.status_code

    with site(tmp_path, env) as s:
        async with (
            s.api("127.0.0.3") as c3,
            s.api("127.0.0.4") as c4,
            s.api("127.0.0.8") as c8,
            direct(s.a, "127.0.0.5") as c5,
            direct(s.b, "127.0.0.7") as proxy2,
        ):
            forged = ["10.0.0.1", "10.0.0.2, 10.0.0.3", "127.0.0.1", "127.0.0.4"]
            assert [await issue(c3, f) for f in forged] == [201, 201, 201, 429]
            assert await issue(c3) == 429

            assert [await issue(c5, "127.0.0.4") for _ in range(4)] == [201, 201, 201, 429]
            assert [await issue(c4) for _ in range(4)] == [201, 201, 201, 429]

            assert [await issue(proxy2, "127.0.0.8") for _ in range(2)] == [201, 201]
            assert [await issue(c8, "127.0.0.9") for _ in range(2)] == [201, 429]
            assert await issue(proxy2, "6.6.6.6, 127.0.0.9") == 201


@dataclass
class Traffic:
    """Tickets issued and called through nginx, as a hall does, until stopped."""

    api: Api
    hall: str
    window: str
    clerk: str
    acked: list[str]
    called: list[str]
    failed: list[str]
    stop: asyncio.Event

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                r = await self.api.call("POST", f"/api/halls/{self.hall}/tickets", {"service": "A"})
                if self._ok(r, "issue", 201):
                    self.acked.append(r.json()["id"])
                r = await self.api.call("POST", f"{self.at}/call-next", user=self.clerk)
                if self._ok(r, "call", 200):
                    self.called.append(r.json()["ticket"]["number"])
                # Served and done, so the window can call again. After a call lost with
                # the dead process these may find nothing to start (409): not a loss.
                for step in ("start", "finish"):
                    self._ok(await self.api.call("POST", f"{self.at}/{step}", user=self.clerk),
                             step, 200)  # fmt: skip
            except httpx.TransportError as exc:
                self.failed.append(repr(exc))
            await asyncio.sleep(0.02)

    @property
    def at(self) -> str:
        return f"/api/windows/{self.window}"

    def _ok(self, r: httpx.Response, what: str, status: int) -> bool:
        if r.status_code != status and r.status_code != 409:
            self.failed.append(f"{what} {r.status_code}")
        return r.status_code == status


async def test_a_process_killed_mid_calls_its_board_and_console_resume_on_the_other(
    tmp_path: Path,
    pg_url: str,
    hall_fx: HallFixture,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = env_for(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2")
    hall, w1, clerk = hall_fx.id, hall_fx.window(1), hall_fx.clerk(1).username
    topic = f"hall:{hall}"
    # The reference client makes its TLS context from the defaults: trust our certificate.
    with site(tmp_path, env) as s:
        monkeypatch.setenv("SSL_CERT_FILE", str(s.cert))
        async with s.api() as api:
            await api.post(f"/api/windows/{w1}/open", user=clerk)
            async with board(browser, f"{s.nginx.base_url}/display/{hall}?voice=0") as page:
                victim, survivor = await holder(s, 1)
                (console, console_task), rec = await _console_on(
                    s, victim, await api.token(clerk), topic, w1
                )
                try:
                    t = Traffic(api, hall, w1, clerk, [], [], [], asyncio.Event())
                    task = asyncio.create_task(t.run())
                    await asyncio.sleep(1.0)
                    before = len(t.called)
                    victim.kill()
                    killed_at = time.monotonic()
                    # Both come back through nginx, to the survivor, within 5 s.
                    await holder_is(survivor, 2, killed_at + RECONNECT_S)
                    took = time.monotonic() - killed_at
                    await asyncio.sleep(1.0)
                    t.stop.set()
                    await task

                    assert before >= 3 and len(t.called) >= before + 3, (before, t.called, t.failed)
                    # Requests nginx had handed to the dead process may fail (502), no more.
                    assert len(t.failed) <= 2, t.failed
                    await shows(page, t.called[-1])
                    last = await api.last_seq(hall)
                    await _reached(rec, topic, last)
                    seqs = rec.events[topic]
                    start = _snapshot_seq(rec, topic)
                    assert seqs == list(range(start + 1, last + 1)), f"console seqs: {seqs}"
                    assert rec.snapshots[topic] == 1, "resumed, not re-snapshotted"
                    assert console.connections == 2
                    assert took < RECONNECT_S
                finally:
                    await stop_client(console, console_task)

    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT id FROM tickets WHERE hall_id = $1", hall)
    finally:
        await conn.close()
    missing = set(t.acked) - {r["id"] for r in rows}
    assert not missing, f"acknowledged tickets lost: {sorted(missing)}"


async def _console_on(
    s: Site, victim: ServerProcess, token: str, topic: str, window: str
) -> tuple[tuple[OneWindowClient, asyncio.Task[None]], Recorder]:
    """A console-like client through nginx that landed on the victim (round robin
    alternates, so a retry or two does it)."""
    for _ in range(6):
        client, rec, task = await start_client(s.nginx.ws_url, [topic, f"window:{window}"],
                                               token=token)  # fmt: skip
        await wait_until(lambda r=rec: r.snapshots.get(topic) == 1, 10, "the console's snapshot")
        if await ws_count(victim) == 2:
            return (client, task), rec
        await stop_client(client, task)
    raise AssertionError("the console never landed on the board's process")


async def _reached(rec: Recorder, topic: str, seq: int) -> None:
    await wait_until(lambda: (rec.events.get(topic) or [0])[-1] >= seq, 10, f"seq {seq}")
    await asyncio.sleep(0.3)  # anything doubled would show up now


def _snapshot_seq(rec: Recorder, topic: str) -> int:
    snap = next(m for m in rec.messages if m.get("op") == "snapshot" and m["topic"] == topic)
    return int(snap["position"]["seq"])


async def test_redis_down_behind_nginx_tickets_and_calls_go_on_with_a_warning(
    tmp_path: Path,
    pg_url: str,
    hall_fx: HallFixture,
    private_redis: PrivateRedis,
    browser: Browser,
) -> None:
    env = env_for(pg_url, ONEWINDOW_REDIS_URL=private_redis.url)
    hall, w1, clerk = hall_fx.id, hall_fx.window(1), hall_fx.clerk(1).username
    with site(tmp_path, env) as s:
        async with s.api() as api:
            await api.post(f"/api/windows/{w1}/open", user=clerk)
            async with board(browser, f"{s.nginx.base_url}/display/{hall}?voice=0") as page:
                on, _ = await holder(s, 1)
                filled_before = await gap_fills(on, hall)
                for srv in (s.a, s.b):
                    async with direct(srv) as d:
                        assert await d.metric("onewindow_redis_up") == 1
                await private_redis.kill()
                # Round robin: these land on both processes in turn.
                for _ in range(3):
                    r = await api.call("POST", f"/api/halls/{hall}/tickets", {"service": "A"})
                    assert r.status_code == 201, r.text
                    r = await api.call("POST", f"/api/windows/{w1}/call-next", user=clerk)
                    assert r.status_code == 200, r.text
                    # Without the bus, the store poll brings the other process's calls.
                    await shows(page, r.json()["ticket"]["number"])
                    for step in ("start", "finish"):
                        await api.post(f"/api/windows/{w1}/{step}", user=clerk)

                r = await api.client.get("/healthz")
                assert r.status_code == 503 and r.json()["redis"] is False, r.text
                for srv in (s.a, s.b):
                    await wait_until(
                        lambda p=srv: _warned(p), 10, f"a Redis warning in {srv.log_path}"
                    )
                # The fallback in the board's process's figures: events the bus did not
                # bring, read from the database.
                assert await gap_fills(on, hall) > filled_before
                for srv in (s.a, s.b):
                    async with direct(srv) as d:
                        assert await d.metric("onewindow_redis_up") == 0


async def gap_fills(srv: ServerProcess, hall: str) -> float:
    async with direct(srv) as api:
        return await api.metric("onewindow_ws_gap_fills_total", hall=hall)


def _warned(srv: ServerProcess) -> bool:
    return any("WARNING" in line and "Redis" in line for line in srv.output().splitlines())


# --- the deploy files themselves ---------------------------------------------------------

DEPLOY_FILES = {
    "deploy/nginx/onewindow.conf",
    "deploy/systemd/onewindow@.service",
    "deploy/onewindow.env.example",
}


def test_the_deploy_doc_shows_the_deploy_files_as_they_are() -> None:
    doc = (REPO / "docs" / "deploy.md").read_text()
    shown = re.findall(r"<!-- the file (\S+), verbatim[^>]*-->\n```\w*\n(.*?)```\n", doc, re.S)
    assert {path for path, _ in shown} == DEPLOY_FILES
    for path, body in shown:
        assert body == (REPO / path).read_text(), f"docs/deploy.md shows an old {path}"


def test_the_settings_file_reads_in_a_shell_as_the_server_needs_it() -> None:
    """docs/deploy.md sources it in a shell for the command-line tools; systemd reads it
    as an EnvironmentFile (same KEY=value, double quotes around spaces)."""
    out = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; env -0', "sh", str(REPO / "deploy/onewindow.env.example")],
        env={"PATH": os.environ["PATH"]}, capture_output=True, check=True,
    )  # fmt: skip
    pairs = [kv.split("=", 1) for kv in out.stdout.decode().split("\0") if "=" in kv]
    env = {k: v for k, v in pairs if k.startswith("ONEWINDOW_")}
    settings = Settings.from_environ(env)
    assert settings.database_url.startswith("postgresql://")
    assert settings.redis_url.startswith("redis://")
    assert settings.default_tz == "Asia/Shanghai"
    assert settings.public_url.startswith("https://")
    trusted = TrustedProxies.parse(settings.trusted_proxies)
    assert trusted.trusts("127.0.0.1") and trusted.trusts("::1")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_unit_verifies_and_outlasts_the_drain(tmp_path: Path) -> None:
    text = (REPO / "deploy/systemd/onewindow@.service").read_text()
    stop_s = float(re.search(r"^TimeoutStopSec=(\d+)s$", text, re.M)[1])  # type: ignore[index]
    assert stop_s > Settings().drain_s + 5
    # The program and the settings file where this machine has them.
    env_file = tmp_path / "onewindow.env"
    env_file.write_text("ONEWINDOW_TZ=Asia/Shanghai\n")
    unit = text.replace("/opt/onewindow/venv/bin/onewindow", sys.executable)
    (tmp_path / "onewindow@.service").write_text(
        unit.replace("/etc/onewindow/onewindow.env", str(env_file))
    )
    r = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "onewindow@8001.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    said = r.stdout + r.stderr
    assert r.returncode == 0 and "onewindow@" not in said, said
