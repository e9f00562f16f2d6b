"""Two consoles on two windows pressing call next at the same moment."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect

from tests.browser.test_console import console, events, issue
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess

ROUNDS = 6


async def test_two_consoles_never_get_the_same_ticket(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    for _ in range(ROUNDS * 2):
        await issue(http, "A")  # windows 1 (A, B) and 2 (A) both serve A
    async with (
        console(browser, web_server.base_url) as one,
        console(browser, web_server.base_url) as two,
    ):
        pages = (one, two)
        for n, c in enumerate(pages, start=1):
            await c.sign_in(web_hall.clerk(n).username)
            await c.choose_window(web_hall.window(n))
        shown: list[str] = []
        for _ in range(ROUNDS):
            await asyncio.gather(*(c.page.keyboard.press("F1") for c in pages))
            for c in pages:
                await expect(c.current).to_have_attribute("data-state", "ticket")
                await c.idle()
            numbers = [await c.number.text_content() or "" for c in pages]
            assert numbers[0] != numbers[1], numbers
            shown += numbers
            await asyncio.gather(*(c.page.keyboard.press("n") for c in pages))
            for c in pages:
                await expect(c.current).to_have_attribute("data-state", "open")
                await c.idle()
        for c in pages:
            c.assert_clean()

    called = await events(http, "ticket.called")
    tickets = [e["data"]["ticket"] for e in called]
    assert len(tickets) == ROUNDS * 2 == len(set(tickets))
    assert sorted(e["data"]["number"] for e in called) == sorted(shown)
    assert len(set(shown)) == ROUNDS * 2
