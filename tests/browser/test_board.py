"""The hall board (综合屏) in real Chromium against a real server: calls, windows,
waiting counts, and staying right across a restart and a dropped connection."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser

from tests.browser.conftest import shot_path
from tests.browser.displays import PORTRAIT, Desk, board_ready, screen
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

HERO_IS = "document.querySelector('#now').dataset.number === {!r}"
FLASHING = "document.querySelector('#now').classList.contains('flash')"
OFFLINE_SHOWN = "!document.getElementById('offline').hidden"


def url(server: ServerProcess, hall: HallFixture, query: str = "") -> str:
    return f"{server.base_url}/display/{hall.id}?{query}"


def said(number: str, window: int) -> str:
    digits = "零一二三四五六七八九"
    spoken = number[0] + "".join(digits[int(d)] for d in number[1:])
    return f"请 {spoken} 号到 {window}号窗口 办理"


async def test_a_call_is_on_the_board_within_a_second_and_a_recall_flashes_again(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.window(1, "open")
    await desk.issue("A")
    async with screen(browser, url(web_server, web_hall, "voice=0&flash=1")) as s:
        await board_ready(s, 4)
        assert await s.text("[data-service=A] .svc-n") == "1"
        assert await s.text("#now-window") == "暂无叫号"

        number = await desk.call(1)
        took = await s.wait(HERO_IS.format(number), timeout=1.0)
        assert took < 1.0
        assert await s.page.get_attribute("#now", "data-window") == web_hall.window(1)
        assert await s.text("#now-window") == "请到 1号窗口 办理"
        assert await s.page.evaluate(FLASHING)
        card = f"#windows [data-window='{web_hall.window(1)}']"
        assert await s.text(f"{card} .win-number") == number
        assert await s.text(f"{card} .win-state") == "服务中"
        await s.wait("document.querySelector('[data-service=A] .svc-n').textContent === '0'")

        # The flash ends after ?flash=1 s; a recall of the same number starts it again.
        await s.wait(f"!({FLASHING})", timeout=3)
        await desk.window(1, "recall")
        assert await s.wait(FLASHING, timeout=1.0) < 1.0
        assert await s.page.get_attribute("#now", "data-number") == number


async def test_windows_and_waiting_counts_follow_the_hall(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    async with screen(browser, url(web_server, web_hall, "voice=0")) as s:
        await board_ready(s, 4)

        def state(n: int) -> str:
            return f"#windows [data-window='{web_hall.window(n)}'] .win-state"

        assert [await s.text(state(n)) for n in (1, 2, 3, 4)] == ["未开启"] * 4
        for service in "AAAC":
            await desk.issue(service)
        await s.wait("document.querySelector('[data-service=A] .svc-n').textContent === '3'")
        assert await s.text("[data-service=C] .svc-n") == "1"
        assert await s.text("[data-service=B] .svc-n") == "0"

        await desk.window(1, "open")
        await desk.call(2)
        await desk.window(4, "open")
        await desk.window(4, "pause", {"reason": "暂离"})
        await s.wait(
            f"document.querySelector({state(4)!r}).textContent === '暂停服务'"
            f" && document.querySelector({state(2)!r}).textContent === '服务中'"
        )
        assert await s.text(state(1)) == "空闲"
        assert await s.text(state(3)) == "未开启"
        await s.wait("document.querySelector('[data-service=A] .svc-n').textContent === '2'")

        await desk.window(4, "resume")
        await desk.window(4, "close")
        await s.wait(f"document.querySelector({state(4)!r}).textContent === '未开启'")


async def test_the_board_stays_right_across_a_server_restart(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.issue("A")
    await desk.issue("A")
    async with screen(browser, url(web_server, web_hall, "chime=0&retry_max=1")) as s:
        await board_ready(s, 4)
        first = await desk.call(1)
        await s.wait(HERO_IS.format(first))

        await asyncio.to_thread(web_server.stop)
        await s.wait(OFFLINE_SHOWN, timeout=5)
        await s.page.screenshot(path=shot_path("board-offline-1920x1080"))
        await asyncio.to_thread(web_server.start)
        await s.wait(f"!({OFFLINE_SHOWN})", timeout=10)

        second = await desk.call(2)
        await s.wait(HERO_IS.format(second), timeout=2)
        assert await s.page.get_attribute("#calls li:first-child", "data-number") == first
        assert await s.text(f"[data-window='{web_hall.window(1)}'] .win-number") == first
        assert await s.text(f"[data-window='{web_hall.window(2)}'] .win-number") == second
        await s.wait("window.__said.length >= 2")
        await asyncio.sleep(0.5)
        # Each call said once: coming back after the restart did not announce the first again.
        assert await s.texts() == [said(first, 1), said(second, 2)]


async def test_three_calls_made_while_the_connection_was_down_arrive_in_order(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    for service in "AAC":
        await desk.issue(service)
    async with screen(browser, url(web_server, web_hall, "chime=0&retry_max=1")) as s:
        await board_ready(s, 4)
        await s.drop()
        numbers = [await desk.call(n) for n in (1, 2, 3)]
        await s.wait(OFFLINE_SHOWN, timeout=3)
        assert await s.page.get_attribute("#now", "data-number") == ""

        await s.restore()
        await s.wait(HERO_IS.format(numbers[2]), timeout=5)
        await s.wait(f"!({OFFLINE_SHOWN})")
        listed = await s.page.eval_on_selector_all(
            "#calls li", "els => els.map(e => e.dataset.number)"
        )
        assert listed == [numbers[1], numbers[0]]
        for n, number in zip((1, 2, 3), numbers, strict=True):
            assert await s.text(f"[data-window='{web_hall.window(n)}'] .win-number") == number
        await s.wait("window.__said.length >= 3", timeout=5)
        assert await s.texts() == [said(numbers[0], 1), said(numbers[1], 2), said(numbers[2], 3)]


async def test_a_stale_call_is_listed_but_never_shown_as_new(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    for service in "AC":
        await desk.issue(service)
    query = "chime=0&stale=1&retry_max=1"
    async with screen(browser, url(web_server, web_hall, query)) as s:
        await board_ready(s, 4)
        # Missed while offline and replayed later than ?stale=1 s: listed, not announced.
        await s.drop()
        missed = await desk.call(1)
        await asyncio.sleep(1.2)
        await s.restore()
        await s.wait(HERO_IS.format(missed), timeout=5)
        assert not await s.page.evaluate(FLASHING)

        # A reloaded board starts from a snapshot: the old call is there, quietly.
        await s.page.reload()
        await board_ready(s, 4)
        await s.wait(HERO_IS.format(missed))
        assert not await s.page.evaluate(FLASHING)

        # A live call still is news.
        fresh = await desk.call(3)
        await s.wait(HERO_IS.format(fresh))
        assert await s.page.evaluate(FLASHING)
        await s.wait("window.__said.length >= 1")
        await asyncio.sleep(0.3)
        assert await s.texts() == [said(fresh, 3)]


async def test_screenshots_of_both_layouts_at_both_sizes(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    for service in "AAAAABBCCCD":
        await desk.issue(service)
    for n in (1, 2, 3, 1):
        if n == 1 and 1 in desk.opened:
            await desk.window(1, "start")
            await desk.window(1, "finish")
        await desk.call(n)
    await desk.window(4, "open")
    await desk.window(4, "pause", {"reason": "暂离"})
    await desk.notice(
        "社保卡补办所需材料",
        "1. 本人有效身份证件原件；\n2. 近期免冠彩色照片一张（可现场拍摄）；\n3. 代办的须提供代办人身份证件。",
        "materials",
    )
    # Each look in landscape, then the same page turned to portrait.
    for mode, idle in (("calls", "0"), ("notices", "0.1")):
        query = f"voice=0&flash=0&idle={idle}&rotate=60"
        async with screen(browser, url(web_server, web_hall, query)) as s:
            await board_ready(s, 4)
            await s.wait(f"!({FLASHING}) && document.body.dataset.mode === {mode!r}")
            await s.page.screenshot(path=shot_path(f"board-{mode}-landscape-1920x1080"))
            await s.page.set_viewport_size(PORTRAIT)
            await s.page.screenshot(path=shot_path(f"board-{mode}-portrait-1080x1920"))
    # High contrast, in English, with the newest call flashing (a recall).
    query = "voice=0&flash=30&contrast=high&lang=en"
    async with screen(browser, url(web_server, web_hall, query)) as s:
        await board_ready(s, 4)
        await desk.window(2, "recall")
        await s.wait(FLASHING)
        await s.page.screenshot(path=shot_path("board-high-contrast-en-flashing-1920x1080"))
