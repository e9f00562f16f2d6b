"""Voice calls: a chime, then the call in Chinese, one at a time, in order.

The browser's speechSynthesis is replaced by a stub (tests/browser/displays.py)
that records each utterance and when it started and ended.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from playwright.async_api import Browser

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.displays import Desk, board_ready, screen
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess


def board(server: ServerProcess, hall: HallFixture, query: str) -> str:
    return f"{server.base_url}/display/{hall.id}?{query}"


async def test_calls_are_spoken_in_order_one_at_a_time_each_after_a_chime(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    for service in "ACC":
        await desk.issue(service)
    for n in (1, 3):
        await desk.window(n, "open")
    async with screen(browser, board(web_server, web_hall, "")) as s:
        await board_ready(s, 4)
        # Three calls in quick succession: the board must queue them, not talk over them.
        a = await desk.call(1)
        c = await desk.call(3)
        await desk.window(1, "recall")
        spelled = await s.page.evaluate(
            """import('/static/displays/speech.js').then(m => [
                 m.spellNumber('A001'), m.spellNumber('b120'), m.spellNumber('C009'),
                 m.callText('请 {number} 号到 {window} 办理', 'D105', 12)])"""
        )
        await s.wait("window.__said.length >= 3 && window.__said[2].end !== null", timeout=8)
        said: list[dict[str, Any]] = await s.said()
        chimes: list[float] = await s.page.evaluate("window.__chimes")

    assert spelled == ["A零零一", "B一二零", "C零零九", "请 D一零五 号到 12号窗口 办理"]
    assert [x["text"] for x in said] == [
        f"请 {a[0]}零零一 号到 1号窗口 办理",
        f"请 {c[0]}零零一 号到 3号窗口 办理",
        f"请 {a[0]}零零一 号到 1号窗口 办理",  # the recall, said again
    ]
    assert all(x["lang"] == "zh-CN" for x in said)
    assert not any(x["overlap"] for x in said)
    for before, after in pairwise(said):
        assert after["queued"] >= before["end"], "one utterance at a time"
    # A chime (two notes) before each utterance, after the one before it ended.
    previous_end = 0.0
    for x in said:
        notes = [t for t in chimes if previous_end <= t <= x["queued"]]
        assert len(notes) == 2, (notes, x)
        previous_end = x["end"]

    # The template and the repeat are the hall's to choose. (?stale=1: the calls
    # above are old news by now, so this fresh board does not repeat them.)
    template = "{number}号，请到{window_number}号窗口"
    query = f"chime=0&stale=1&repeat=2&template={quote(template)}"
    async with screen(browser, board(web_server, web_hall, query)) as s:
        await board_ready(s, 4)
        c2 = await desk.call(4)
        await s.wait("window.__said.length >= 2")
        said = await s.said()
    assert [x["text"] for x in said] == [f"{c2[0]}零零二号，请到4号窗口"] * 2
    assert said[1]["queued"] >= said[0]["end"]


async def test_sound_waits_for_one_gesture_where_the_browser_demands_it(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    # Chromium as a TV would run it without --autoplay-policy: audio needs a click.
    strict = await browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")],
        headless=True,
    )
    desk = Desk.of(web_server, web_hall)
    await desk.issue("B")
    await desk.issue("A")
    try:
        async with screen(strict, board(web_server, web_hall, "chime=0")) as s:
            await board_ready(s, 4)
            await s.page.wait_for_selector("#sound", state="visible")
            assert await s.text("#sound") == "点击开启语音叫号"
            await s.page.click("#sound")
            await s.page.wait_for_selector("#sound", state="hidden")
            assert await s.page.evaluate("localStorage.getItem('ow.display.sound')") == "on"
            number = await desk.call(1)
            await s.wait("window.__said.length >= 1")
            assert await s.texts() == [f"请 {number[0]}零零一 号到 1号窗口 办理"]

        # ?voice=0: a silent board asks for nothing and says nothing.
        async with screen(strict, board(web_server, web_hall, "voice=0")) as s:
            await board_ready(s, 4)
            second = await desk.call(2)
            await s.wait(f"document.querySelector('#now').dataset.number === {second!r}")
            await asyncio.sleep(0.3)
            assert await s.page.is_hidden("#sound")
            assert await s.said() == []
    finally:
        await strict.close()
