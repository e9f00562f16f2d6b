"""The pages' WebSocket client and the idle rule (4002): a page with nothing to follow
is let go and stays away, and comes back as soon as it has a topic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import HARNESS_EVAL
from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.system.server_proc import ServerProcess

SETUP = """async () => {
  const { HallSocket } = await import("/static/common/socket.js");
  window.seen = { statuses: [], snapshots: 0 };
  window.sock = new HallSocket({
    onStatus: (s, code) => window.seen.statuses.push([s, code ?? null]),
    onMessage: (m) => { if (m.op === "snapshot") window.seen.snapshots += 1; },
  }).start();
}"""


@pytest.fixture
def idle_server(tmp_path: Path, pg_url: str, web_hall: HallFixture) -> Iterator[ServerProcess]:
    env = server_env(pg_url, ONEWINDOW_WS_IDLE_S="1", ONEWINDOW_WS_HEARTBEAT_S="0.5")
    with running(tmp_path, env) as srv:
        yield srv


async def test_an_idle_page_is_let_go_and_comes_back_to_follow(
    browser: Browser, idle_server: ServerProcess, web_hall: HallFixture
) -> None:
    ctx = await browser.new_context(bypass_csp=HARNESS_EVAL)
    try:
        page = await ctx.new_page()
        await page.goto(f"{idle_server.base_url}/m/me")
        await page.evaluate(SETUP)
        await page.wait_for_function(
            "window.seen.statuses.some(([s, c]) => c === 4002)", timeout=10_000
        )
        # Parked: no reconnect every few seconds while there is nothing to follow.
        await page.wait_for_timeout(2500)
        onlines = await page.evaluate(
            "window.seen.statuses.filter(([s]) => s === 'online').length"
        )
        assert onlines == 1
        await page.evaluate(f"window.sock.follow('hall:{web_hall.id}')")
        await page.wait_for_function("window.seen.snapshots >= 1", timeout=10_000)
        assert await page.evaluate("window.sock.online") is True
    finally:
        await ctx.close()
