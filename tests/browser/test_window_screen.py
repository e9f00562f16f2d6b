"""The window screen (窗口屏): the window, its clerk, the number being served, and
未登录 / 暂停服务 / 暂离 when nobody serves."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser

from tests.browser.conftest import shot_path
from tests.browser.displays import Desk, Screen, screen
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

SMALL = {"width": 1280, "height": 720}
SMALL_PORTRAIT = {"width": 720, "height": 1280}


def url(server: ServerProcess, hall: HallFixture, n: int, query: str = "") -> str:
    return f"{server.base_url}/display/{hall.id}/window/{hall.window(n)}?{query}"


async def state_is(s: Screen, state: str) -> None:
    await s.wait(f"document.body.dataset.state === {state!r}")


async def test_the_window_screen_follows_its_window_through_a_day(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.issue("A")
    await desk.issue("A")
    async with screen(browser, url(web_server, web_hall, 1, "flash=0"), viewport=SMALL) as s:
        await state_is(s, "closed")
        assert await s.text("#win-title") == "1号窗口"
        assert await s.text("#off-title") == "未登录"
        assert "业务A" in await s.text("#services")
        await s.page.screenshot(path=shot_path("window-closed-1280x720"))

        await desk.window(1, "open")
        await state_is(s, "open")
        assert await s.text("#clerk-name") == "窗口1"
        assert await s.text("#status-note") == "请等候叫号"

        number = await desk.call(1)
        await s.wait(f"document.querySelector('#status').dataset.number === {number!r}", 1.0)
        assert await s.text("#status-label") == "正在呼叫"
        assert await s.text("#status-number") == number
        await s.page.screenshot(path=shot_path("window-calling-1280x720"))

        # Another window's call is not this screen's business.
        await desk.call(2)
        await desk.window(1, "start")
        await s.wait("document.querySelector('#status-label').textContent === '正在办理'")
        assert await s.text("#status-number") == number

        await desk.window(1, "finish")
        await s.wait("document.querySelector('#status').dataset.number === ''")
        await desk.window(1, "pause", {"reason": "暂离"})
        await state_is(s, "paused")
        assert await s.text("#off-title") == "暂停服务"
        assert await s.text("#off-note") == "暂离"
        await s.page.screenshot(path=shot_path("window-paused-1280x720"))

        await desk.window(1, "resume")
        await state_is(s, "open")
        await desk.window(1, "close")
        await state_is(s, "closed")
        assert await s.text("#off-title") == "未登录"


async def test_window_screen_portrait_english_and_high_contrast(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.issue("C")
    number = await desk.call(3)
    await desk.window(3, "start")
    async with screen(browser, url(web_server, web_hall, 3), viewport=SMALL_PORTRAIT) as s:
        await state_is(s, "serving")
        assert await s.text("#status-label") == "正在办理"
        assert await s.text("#status-number") == number
        await s.page.screenshot(path=shot_path("window-serving-portrait-720x1280"))
    query = "lang=en&contrast=high"
    async with screen(browser, url(web_server, web_hall, 3, query), viewport=SMALL) as s:
        await state_is(s, "serving")
        assert await s.text("#win-title") == "Window 3"
        assert await s.text("#status-label") == "Now serving"
        assert await s.page.evaluate("document.body.classList.contains('hc')")
        await s.page.screenshot(path=shot_path("window-serving-en-high-contrast-1280x720"))
    async with httpx.AsyncClient(base_url=web_server.base_url) as c:
        r = await c.get(f"/display/{web_hall.id}/window/{web_hall.id}-w99")
        assert r.status_code == 404
        assert "没有窗口" in r.text
