"""The console over a bad network: a command cut off in flight, a server gone and back."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect

from tests.browser.test_console import console, events, hall_window, issue, waiting
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess

CLICK_AND_CUT = """() => {
  document.querySelector('#actions button[data-op="call_next"]').click();
  window.__socket.drop();  // the command is on the wire; its reply will not come back on it
}"""


async def test_cut_while_a_command_is_in_flight(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    w1 = web_hall.window(1)
    for _ in range(3):
        await issue(http, "A")
    async with console(browser, web_server.base_url) as c:
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(w1)
        first_socket = await c.page.evaluate_handle("window.__socket.ws")

        await c.page.evaluate(CLICK_AND_CUT)
        # Back online, the console shows the true state: one ticket called.
        await c.shows("A001", "called")
        await expect(c.page.locator("#conn")).to_have_attribute("data-state", "online")
        assert await c.page.evaluate("(ws) => window.__socket.ws !== ws", first_socket)
        assert await c.page.evaluate("window.__socket.pending.size") == 0
        # The server ran the command before the cut; the resent one (same cid) was answered.
        assert await c.page.evaluate("window.__console.view.lastReply.replayed") is True

        called = await events(http, "ticket.called")
        assert [e["data"]["number"] for e in called] == ["A001"]
        assert (await hall_window(http, w1))["current"]["number"] == "A001"
        assert (await waiting(http))["A"] == 2

        # The console goes on from there as if nothing happened.
        await c.action("start").click()
        await c.shows("A001", "serving")
        c.assert_clean()


async def test_offline_banner_and_resume(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    w1 = web_hall.window(1)
    for _ in range(2):
        await issue(http, "A")
    async with console(browser, web_server.base_url) as c:
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(w1)
        await c.page.keyboard.press("F1")
        await c.shows("A001", "called")

        await asyncio.to_thread(web_server.stop)
        banner = c.page.locator("#offline")
        await expect(banner).to_be_visible()
        await expect(banner).to_have_text("网络已断开，正在重连… 操作已暂停，恢复后自动继续")
        for op in ("call_next", "recall", "no_show", "start", "transfer"):
            await expect(c.action(op)).to_be_disabled()
        await c.page.keyboard.press("s")  # refused on the spot, not queued
        await expect(c.error).to_have_text("开始办理：网络已断开，请等待自动重连")

        # Meanwhile another clerk's call happens elsewhere; the console must catch up.
        await asyncio.to_thread(web_server.start)
        await http.post(f"/api/windows/{web_hall.window(2)}/open", user=web_hall.clerk(2).username)
        await http.post(
            f"/api/windows/{web_hall.window(2)}/call-next", user=web_hall.clerk(2).username
        )
        await expect(banner).to_be_hidden(timeout=20_000)
        await expect(c.page.locator('#waiting li[data-service="A"] .count')).to_have_text("0")
        await c.shows("A001", "called")
        await expect(c.action("start")).to_be_enabled()
        await c.page.keyboard.press("s")
        await c.shows("A001", "serving")
        # Nothing ran twice, nothing was run while offline.
        assert [e["data"]["number"] for e in await events(http, "ticket.started")] == ["A001"]
        # The browser logs the refused connections while the server was down; nothing else.
        c.assert_clean("WebSocket connection to", "ERR_CONNECTION_REFUSED")
