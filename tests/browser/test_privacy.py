"""No page of displays/ ever shows a citizen's name, ID number or phone, not even masked."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser

from tests.browser.displays import Desk, Screen, board_ready, screen
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

NAME = "张小三"
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
# The citizen's data in every form it could leak in: whole, in part, masked.
FORBIDDEN = (
    NAME,
    "小三",
    "张*三",
    ID_NUMBER,
    ID_NUMBER[:6],
    "19491231",
    "110***",
    PHONE,
    "139****",
    "5678",
)


async def everything_on(s: Screen) -> str:
    """The DOM as markup and as text, plus whatever the page keeps in its state."""
    return await s.page.evaluate(
        """() => [document.documentElement.outerHTML, document.body.innerText,
                  document.title, JSON.stringify(window.__board ? window.__board.state : null,
                                                 (k, v) => v instanceof Map ? [...v.values()]
                                                       : v instanceof Set ? [...v] : v)
                 ].join('\\n')"""
    )


async def test_no_display_page_shows_a_name_or_an_id_number(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    ticket = await desk.issue("A", name=NAME, id_number=ID_NUMBER, phone=PHONE)
    number = await desk.call(1)
    assert number == ticket["number"]
    await desk.window(1, "start")

    base = f"{web_server.base_url}/display/{web_hall.id}"
    pages = [
        f"{base}?voice=0",
        f"{base}?voice=0&lang=en&contrast=high",
        *(f"{base}/window/{web_hall.window(n)}" for n in (1, 2, 3, 4)),
    ]

    async def check(url: str) -> None:
        async with screen(browser, url) as s:
            if "/window/" in url:
                await s.wait("document.body.dataset.state !== 'loading'")
            else:
                await board_ready(s, 4)
                await s.wait(f"document.querySelector('#now').dataset.number === {number!r}")
            if url.endswith(web_hall.window(1)):
                await s.wait(f"document.querySelector('#status').dataset.number === {number!r}")
            # The hall's id is random hex; it must not fake a hit.
            seen = (await everything_on(s)).replace(web_hall.id, "HALL")
            assert number in seen or "/window/" in url
            leaked = [x for x in FORBIDDEN if x in seen]
            assert not leaked, f"{url} shows {leaked}"

    await asyncio.gather(*(check(url) for url in pages))
