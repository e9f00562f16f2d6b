"""Information push (信息推送): the board rotates notices while the hall is quiet,
and a call takes the screen back at once."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Browser

from tests.browser.displays import Desk, board_ready, screen
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

MODE_IS = "document.body.dataset.mode === {!r}"
TITLE_IS = "document.getElementById('notice-title').textContent === {!r}"
SHOWS = (
    "document.getElementById('notice-kind').textContent === {!r}"
    " && document.getElementById('notice-progress').textContent === {!r}"
)


def board(server: ServerProcess, hall: HallFixture, query: str) -> str:
    return f"{server.base_url}/display/{hall.id}?{query}"


async def test_notices_rotate_while_idle_a_call_interrupts_them_and_changes_arrive(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    hours = await desk.notice("办公时间", "周一至周日 9:00—17:00", "hours", position=0)
    green = await desk.notice(
        "绿色通道", "70周岁以上老人、残疾人、孕妇、现役军人优先办理", "policy", position=1
    )
    await desk.issue("A")
    await desk.window(1, "open")
    # Idle 2 s: long enough that a busy machine still finds the board on its calls first.
    async with screen(browser, board(web_server, web_hall, "voice=0&idle=2&rotate=0.6")) as s:
        await board_ready(s, 4)
        assert await s.page.evaluate(MODE_IS.format("calls"))

        await s.wait(MODE_IS.format("notices"), timeout=6)
        await s.wait(TITLE_IS.format("办公时间") + " && " + SHOWS.format("办公时间", "1 / 2"))
        await s.wait(TITLE_IS.format("绿色通道") + " && " + SHOWS.format("政策通知", "2 / 2"))
        await s.wait("document.getElementById('notice-body').textContent.includes('孕妇')")
        await s.wait(TITLE_IS.format("办公时间"), timeout=3)  # and round again

        number = await desk.call(1)
        took = await s.wait(
            MODE_IS.format("calls")
            + f" && document.querySelector('#now').dataset.number === {number!r}"
            + " && getComputedStyle(document.getElementById('notice')).display === 'none'"
            + " && getComputedStyle(document.getElementById('now')).display !== 'none'",
            timeout=1.0,
        )
        assert took < 1.0
        # Quiet again: back to the notices after ?idle.
        await s.wait(MODE_IS.format("notices"), timeout=6)

        # Notices managed by the supervisor reach the open board as they change.
        await desk.delete_notice(hours)
        await desk.delete_notice(green)
        await s.wait(MODE_IS.format("calls"))
        await asyncio.sleep(0.8)
        assert await s.page.evaluate(MODE_IS.format("calls")), "nothing to show: calls stay"

        notice = await desk.notice("不动产登记须知", "请携带不动产权证书原件。", "materials")
        await s.wait(MODE_IS.format("notices") + " && " + TITLE_IS.format("不动产登记须知"))
        assert await s.text("#notice-kind") == "办事材料"
        token = await desk.http.token(f"{web_hall.id}-sup")
        async with httpx.AsyncClient(base_url=web_server.base_url) as c:
            r = await c.patch(
                f"/api/notices/{notice}",
                json={"title": "不动产登记须知（更新）"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200, r.text
        await s.wait(TITLE_IS.format("不动产登记须知（更新）"))
