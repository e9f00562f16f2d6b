"""The clerk console (/console) in real headless Chromium against a real server.

A full shift with the mouse, then every action by keyboard alone; the hall's
event log and a hall-board subscriber must agree with what the console showed.
The helpers here are shared by the other test_console_* modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import HARNESS_EVAL, shot_path
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import Http, start_client, stop_client, wait_for
from tests.system.server_proc import ServerProcess

ID_NUMBER = "11010519491231002X"  # a valid GB 11643 sample
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


class Console:
    """One console page in its own browser context (its own localStorage)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []  # page errors, console errors, alert boxes
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("dialog", lambda d: self.problems.append(f"alert box: {d.message}"))

    def action(self, op: str) -> Any:
        return self.page.locator(f'#actions button[data-op="{op}"]')

    @property
    def number(self) -> Any:
        return self.page.locator("#cur-number")

    @property
    def current(self) -> Any:
        return self.page.locator("#current")

    @property
    def error(self) -> Any:
        return self.page.locator("#work-error")

    async def sign_in(self, username: str) -> None:
        await self.page.fill("#signin-user", username)
        await self.page.fill("#signin-pass", PASSWORD)
        await self.page.press("#signin-pass", "Enter")

    async def choose_window(self, window_id: str) -> None:
        await self.page.locator(f'.wpick[data-window="{window_id}"]').click()
        await expect(self.current).to_have_attribute("data-state", "open")

    async def idle(self) -> None:
        """No command in flight, the stream caught up with the last reply."""
        await expect(self.page.locator("#actions")).to_have_attribute("aria-busy", "false")

    async def shows(self, number: str, state: str) -> None:
        await expect(self.number).to_have_text(number)
        await expect(self.page.locator("#cur-state")).to_have_attribute("data-state", state)
        await self.idle()

    def assert_clean(self, *expected: str) -> None:
        """No page error, no alert box, no console error but the ``expected`` ones."""
        left = [p for p in self.problems if not any(x in p for x in expected)]
        assert not left, left


@asynccontextmanager
async def console(
    browser: Browser, base: str, size: tuple[int, int] = (1366, 768)
) -> AsyncIterator[Console]:
    ctx = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN", bypass_csp=HARNESS_EVAL)
    try:
        page = await ctx.new_page()
        c = Console(page)
        await page.goto(base + "/console")
        yield c
    finally:
        await ctx.close()


async def issue(http: Http, service: str, **fields: Any) -> dict[str, Any]:
    return await http.post(f"/api/halls/{http.hall.id}/tickets", {"service": service, **fields})


async def get(http: Http, path: str, user: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {await http.token(user)}"} if user else {}
    async with httpx.AsyncClient(base_url=http.base) as c:
        r = await c.get(path, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()


async def events(http: Http, *types: str) -> list[dict[str, Any]]:
    page = await get(http, f"/api/halls/{http.hall.id}/events")
    return [e for e in page["events"] if not types or e["type"] in types]


async def hall_window(http: Http, window_id: str) -> dict[str, Any]:
    hall = await get(http, f"/api/halls/{http.hall.id}")
    found: dict[str, Any] = next(w for w in hall["windows"] if w["id"] == window_id)
    return found


async def waiting(http: Http) -> dict[str, int]:
    hall = await get(http, f"/api/halls/{http.hall.id}")
    return {s["code"]: s["waiting"] for s in hall["services"]}


async def screenshots(page: Page, name: str) -> None:
    for label, (w, h) in SIZES.items():
        await page.set_viewport_size({"width": w, "height": h})
        await page.wait_for_timeout(150)  # let the layout settle
        await page.screenshot(path=shot_path(f"{name}-{label}"))


# --- a full shift, with the mouse ---------------------------------------------------------


async def test_full_shift(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    w1 = web_hall.window(1)  # serves A and B
    for _ in range(3):
        await issue(http, "A")
    await issue(http, "B", name="张三丰", id_number=ID_NUMBER, phone="13812345678")
    board, calls, task = await start_client(http.ws_url(), [f"hall:{web_hall.id}"])
    shown: list[str] = []
    try:
        async with console(browser, web_server.base_url) as c:
            await c.sign_in(web_hall.clerk(1).username)
            await c.choose_window(w1)
            assert (await hall_window(http, w1))["state"] == "open"

            await c.action("call_next").click()
            await c.shows("A001", "called")
            shown.append("A001")
            await c.action("start").click()
            await c.shows("A001", "serving")
            await expect(c.page.locator("#cur-t2-label")).to_have_text("办理用时")
            await c.action("finish").click()
            await expect(c.current).to_have_attribute("data-state", "open")
            await expect(c.page.locator("#stat-served")).to_have_text("1")

            await c.action("call_next").click()
            await c.shows("A002", "called")
            shown.append("A002")
            # A reload keeps the session, the window and the ticket.
            await c.page.reload()
            await c.shows("A002", "called")
            await c.action("no_show").click()
            await expect(c.current).to_have_attribute("data-state", "open")
            passed = c.page.locator('#passed button[data-number="A002"]')
            await expect(passed).to_be_enabled()
            await c.action("call_back").click()  # focuses the passed list
            await expect(passed).to_be_focused()
            await passed.click()
            await c.shows("A002", "called")
            await expect(passed).to_have_count(0)
            shown.append("A002")

            await c.action("transfer").click()
            await c.page.select_option("#transfer-service", "C")
            await c.page.check('#dlg-transfer input[value="back"]')
            await c.page.fill("#transfer-reason", "需先办理不动产登记")
            await c.page.click('#dlg-transfer button[type="submit"]')
            await expect(c.page.locator("#dlg-transfer")).to_be_hidden()
            await expect(c.current).to_have_attribute("data-state", "open")
            await c.idle()

            # One more ticket for the record: passed, then a citizen with personal data.
            await c.action("call_next").click()
            await c.shows("A003", "called")
            shown.append("A003")
            await c.action("no_show").click()
            await expect(c.page.locator('#passed button[data-number="A003"]')).to_be_visible()
            await c.action("call_next").click()
            await c.shows("B001", "called")
            shown.append("B001")
            await c.action("start").click()
            await c.shows("B001", "serving")
            facts = c.page.locator("#cur-facts")
            await expect(facts).to_contain_text("张*丰")
            await expect(facts).to_contain_text("*")
            assert ID_NUMBER not in await c.page.content()
            assert "13812345678" not in await c.page.content()
            await expect(c.page.locator('#waiting li[data-service="A"] .count')).to_have_text("0")
            await c.page.wait_for_timeout(1100)  # a ticking service timer in the picture
            await screenshots(c.page, "console-working")
            await c.page.set_viewport_size({"width": 1366, "height": 768})

            await c.action("finish").click()
            await expect(c.page.locator("#stat-served")).to_have_text("2")
            # Nobody left for this window: the error is said in words beside the actions.
            await c.action("call_next").click()
            await expect(c.error).to_have_text("叫号：当前没有等候的号票")
            await c.page.click("#lang")
            await expect(c.error).to_have_text("Call next: nobody is waiting for this window")
            await expect(c.action("call_next").locator("span").first).to_have_text("Call next")
            await c.page.click("#lang")
            stats_served = await c.page.locator("#stat-served").text_content()
            c.assert_clean()

        # The hall board saw every call, at this window, in order.
        def board_calls() -> list[tuple[str, str]]:
            return [
                (m["type"], m["data"]["number"])
                for m in calls.messages
                if m.get("op") == "event"
                and m["type"] in ("ticket.called", "ticket.called_back")
                and m["data"].get("window") == w1
            ]

        expected = [
            ("ticket.called", "A001"),
            ("ticket.called", "A002"),
            ("ticket.called_back", "A002"),
            ("ticket.called", "A003"),
            ("ticket.called", "B001"),
        ]
        await wait_for(lambda: board_calls() == expected, what=f"board calls {board_calls()}")
    finally:
        await stop_client(board, task)

    # The store agrees with the console.
    log = await events(http)
    called = [
        e["data"]["number"]
        for e in log
        if e["type"] in ("ticket.called", "ticket.called_back") and e["data"]["window"] == w1
    ]
    assert called == shown
    assert [e["type"] for e in log if e["data"].get("number") == "A002"] == [
        "ticket.issued",
        "ticket.called",
        "ticket.no_show",
        "ticket.called_back",
        "ticket.transferred",
    ]
    moved = next(e for e in log if e["type"] == "ticket.transferred")
    assert moved["data"]["service"] == "C" and moved["data"]["keep_place"] is False
    queue = await get(http, f"/api/halls/{web_hall.id}/queue", web_hall.supervisor.username)
    [a002] = [t for t in queue["tickets"] if t["number"] == "A002"]
    assert (a002["service"], a002["state"], a002["note"]) == ("C", "waiting", "需先办理不动产登记")
    finished = [e for e in log if e["type"] == "ticket.finished" and e["data"]["window"] == w1]
    assert stats_served == str(len(finished)) == "2"
    assert (await waiting(http))["C"] == 1


# --- every action by keyboard alone -----------------------------------------------------------


async def test_keyboard_only(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    w1 = web_hall.window(1)
    for _ in range(4):
        await issue(http, "A")
    async with console(browser, web_server.base_url) as c:
        kb = c.page.keyboard
        # Sign in: type, Tab, type, Enter; a wrong password is said in words.
        await c.page.focus("#signin-user")
        await kb.type(web_hall.clerk(1).username)
        await kb.press("Tab")
        await kb.type("wrong-password")
        await kb.press("Enter")
        await expect(c.page.locator("#signin-error")).to_have_text("用户名或密码错误")
        await expect(c.page.locator("#signin-pass")).to_be_focused()
        await kb.type(PASSWORD)  # the wrong one is selected: typing replaces it
        await kb.press("Enter")
        # Choose window 1 by its number, confirm with Enter.
        await expect(c.page.locator(f'.wpick[data-window="{w1}"]')).to_be_enabled()
        await kb.press("1")
        await expect(c.page.locator(f'.wpick[data-window="{w1}"]')).to_be_focused()
        await kb.press("Enter")
        await expect(c.current).to_have_attribute("data-state", "open")

        await kb.press("F1")  # call next
        await c.shows("A001", "called")
        await kb.press("r")  # recall
        await expect(c.page.locator("#cur-facts")).to_contain_text("1 次")
        await kb.press("n")  # no-show
        await expect(c.current).to_have_attribute("data-state", "open")
        await c.idle()
        await kb.press("b")  # the passed list, then Enter calls it back
        await expect(c.page.locator('#passed button[data-number="A001"]')).to_be_focused()
        await kb.press("Enter")
        await c.shows("A001", "called")
        await kb.press("s")  # start
        await c.shows("A001", "serving")
        await kb.press("f")  # finish
        await expect(c.current).to_have_attribute("data-state", "open")
        await c.idle()

        await kb.press("Space")  # call next, the other key
        await c.shows("A002", "called")
        # Transfer: type-ahead picks service C, Tab to the window (any), Tab to the place
        # (arrow to "back"), Tab to the reason, Enter confirms.
        await kb.press("t")
        await expect(c.page.locator("#transfer-service")).to_be_focused()
        await kb.type("C")
        await kb.press("Tab")
        await kb.press("Tab")
        await kb.press("ArrowDown")
        await kb.press("Tab")
        await kb.type("转窗口")
        await kb.press("Enter")
        await expect(c.current).to_have_attribute("data-state", "open")
        await c.idle()
        # Esc cancels a dialog without doing anything.
        await kb.press("F1")
        await c.shows("A003", "called")
        await kb.press("t")
        await expect(c.page.locator("#dlg-transfer")).to_be_visible()
        await kb.press("Escape")
        await expect(c.page.locator("#dlg-transfer")).to_be_hidden()
        await kb.press("s")
        await c.shows("A003", "serving")
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")
        await c.idle()

        # Step away with the default reason, then come back.
        await kb.press("p")
        await expect(c.page.locator("#pause-reason")).to_be_focused()
        await kb.press("Enter")
        await expect(c.current).to_have_attribute("data-state", "paused")
        await expect(c.page.locator("#cur-empty")).to_contain_text("暂离")
        await c.idle()
        await kb.press("F1")  # not while paused: said, not done
        await expect(c.error).to_have_text("叫号：当前不能叫号")
        await kb.press("u")
        await expect(c.current).to_have_attribute("data-state", "open")
        await c.idle()

        # Sign out: Tab to the button, Enter, C closes the window.
        for _ in range(40):
            if await c.page.evaluate("document.activeElement.id") == "signout":
                break
            await kb.press("Tab")
        await kb.press("Enter")
        await expect(c.page.locator("#dlg-signout")).to_be_visible()
        await kb.press("c")
        await expect(c.page.locator("#view-signin")).to_be_visible()
        assert await c.page.evaluate("localStorage.getItem('ow.console.session')") is None
        c.assert_clean("401 (Unauthorized)")  # Chromium logs the refused sign-in's status

    kinds = [
        (e["type"], e["data"].get("number"))
        for e in await events(http)
        if e["data"].get("window") == w1
    ]
    assert kinds == [
        ("window.opened", None),
        ("ticket.called", "A001"),
        ("ticket.recalled", "A001"),
        ("ticket.no_show", "A001"),
        ("ticket.called_back", "A001"),
        ("ticket.started", "A001"),
        ("ticket.finished", "A001"),
        ("ticket.called", "A002"),
        ("ticket.transferred", "A002"),
        ("ticket.called", "A003"),
        ("ticket.started", "A003"),
        ("ticket.finished", "A003"),
        ("window.paused", None),
        ("window.resumed", None),
        ("window.closed", None),
    ]
    moved = next(e for e in await events(http, "ticket.transferred"))
    assert (moved["data"]["service"], moved["data"]["keep_place"]) == ("C", False)
    assert (await hall_window(http, w1))["state"] == "closed"
