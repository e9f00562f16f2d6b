"""Configuration changes reach open pages live, and ended sign-ins end the console.

An admin changes windows, services and staff over the HTTP API while a hall
board, a window screen and a clerk console are open (real server process on
PostgreSQL, real Chromium): every page shows the change within a couple of
seconds, without reloading. A clerk who is disabled, or whose session is
revoked, lands on the sign-in view with a message instead of reconnecting.
Names that look like markup are shown as text everywhere.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from server.auth import hash_password
from server.domain.model import Role, User
from server.store.store import Store
from tests.browser.conftest import HARNESS_EVAL, shot_path
from tests.browser.displays import Gate, Screen, board_ready, screen
from tests.browser.test_console import Console
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess

LIVE_MS = 2500  # "within a couple of seconds": the event, then one debounced re-read
EXPIRED_ZH = "登录已失效，请重新登录"
XSS = "<img src=x onerror=window.__xss=1>"
# Set once a page has loaded; a reload or a navigation would lose it.
MARK = "window.__loaded_once = true"
NOT_RELOADED = "window.__loaded_once === true"


# --- helpers -----------------------------------------------------------------------------


class Admin:
    """An admin, driving the administration API over HTTP."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    @classmethod
    async def make(cls, pg_url: str, server: ServerProcess, hall: HallFixture) -> Admin:
        """An admin account made directly in the store (no first-password change), signed in."""
        username = f"{hall.id}-admin"
        store = Store.from_url(pg_url)
        await store.open()
        try:
            user = User(username, username, "系统管理员", Role.ADMIN, None, hash_password(PASSWORD))
            await store.add_user(user, datetime.now(UTC))
        finally:
            await store.close()
        token = await login(server.base_url, username)
        return cls(server.base_url, token)

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        async with httpx.AsyncClient(base_url=self.base) as c:
            r = await c.request(
                method, path, json=body, headers={"authorization": f"Bearer {self.token}"}
            )
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


async def login(base: str, username: str, password: str = PASSWORD) -> str:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token


async def me_status(base: str, token: str) -> tuple[int, str]:
    """What GET /api/auth/me answers for a token: (status, error code or "")."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get("/api/auth/me", headers={"authorization": f"Bearer {token}"})
    code = r.json().get("error", {}).get("code", "") if r.status_code != 200 else ""
    return r.status_code, code


@asynccontextmanager
async def console_page(
    browser: Browser, base: str, *, gate: Gate | None = None, query: str = ""
) -> AsyncIterator[Console]:
    """A console in its own context; with a gate, its WebSocket can be kept down."""
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", bypass_csp=HARNESS_EVAL)
    try:
        page = await ctx.new_page()
        if gate is not None:
            # By regex: a glob ("**/ws") does not match the console's "/ws?token=…".
            await page.route_web_socket(re.compile(r"/ws(\?|$)"), gate.route)
        c = Console(page)
        await page.goto(f"{base}/console{query}")
        await page.evaluate(MARK)
        yield c
    finally:
        await ctx.close()


async def at_window(c: Console, username: str, window_id: str) -> None:
    await c.sign_in(username)
    await c.choose_window(window_id)
    await c.idle()


async def stored_token(page: Page) -> str:
    token: str = await page.evaluate("JSON.parse(localStorage.getItem('ow.console.session')).token")
    return token


async def shows_sign_in(c: Console, message: str) -> None:
    await expect(c.page.locator("#view-signin")).to_be_visible(timeout=LIVE_MS)
    await expect(c.page.locator("#signin-error")).to_have_text(message, timeout=LIVE_MS)
    assert await c.page.evaluate("localStorage.getItem('ow.console.session')") is None


def card(window_id: str) -> str:
    return f"#windows [data-window='{window_id}']"


async def marked(s: Screen) -> None:
    await s.page.evaluate(MARK)


async def not_reloaded(page: Page) -> None:
    assert await page.evaluate(NOT_RELOADED), "the page reloaded"


# --- (a) renamed, added, given other services: shown live ----------------------------------


async def test_board_window_screen_and_console_follow_an_admins_changes_without_a_reload(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base = web_server.base_url
    admin = await Admin.make(pg_url, web_server, web_hall)
    http = Http(base, web_hall)
    w1 = web_hall.window(1)  # serves A and B
    await http.post(f"/api/halls/{web_hall.id}/tickets", {"service": "D"})
    await http.post(f"/api/halls/{web_hall.id}/tickets", {"service": "D"})

    board_url = f"{base}/display/{web_hall.id}?voice=0&idle=0"
    screen_url = f"{base}/display/{web_hall.id}/window/{w1}?flash=0"
    async with (
        screen(browser, board_url) as board,
        screen(browser, screen_url, viewport={"width": 1280, "height": 720}) as win,
        console_page(browser, base) as c,
    ):
        await board_ready(board, 4)
        await win.wait("document.body.dataset.state === 'closed'")
        await marked(board)
        await marked(win)
        await at_window(c, web_hall.clerk(1).username, w1)
        await win.wait("document.body.dataset.state === 'open'")
        await expect(c.page.locator("#bar-where")).to_have_text("测试大厅 · 1号窗口")
        await expect(c.page.locator("#waiting li")).to_have_count(2)
        await expect(c.page.locator("#bar-who")).to_have_text("窗口1 · 窗口人员")

        # The clerk's display name: the console's bar and the window screen follow.
        clerk1 = web_hall.clerk(1).id
        await admin.call("PATCH", f"/api/admin/users/{clerk1}", {"display_name": "张晓明"})
        await win.wait(
            "document.getElementById('clerk-name').textContent === '张晓明'",
            timeout=LIVE_MS / 1000,
        )
        await expect(c.page.locator("#bar-who")).to_have_text("张晓明 · 窗口人员", timeout=LIVE_MS)

        # Window 1 renamed and given service D as well.
        await admin.call("PATCH", f"/api/admin/windows/{w1}",
                         {"name": "综合受理窗口", "services": ["A", "B", "D"]})  # fmt: skip
        await expect(c.page.locator("#bar-where")).to_have_text(
            "测试大厅 · 综合受理窗口（1号）", timeout=LIVE_MS
        )
        d_row = c.page.locator('#waiting li[data-service="D"]')
        await expect(d_row.locator(".count")).to_have_text("2", timeout=LIVE_MS)
        await expect(d_row.locator(".name")).to_have_text("业务D")
        await expect(c.page.locator("#waiting li")).to_have_count(3)
        await board.wait(
            f"document.querySelector(\"{card(w1)} .win-name\").textContent === '综合受理窗口'",
            timeout=LIVE_MS / 1000,
        )
        await win.wait(
            "document.getElementById('win-title').textContent === '综合受理窗口'"
            " && document.getElementById('services').textContent.includes('D 业务D')",
            timeout=LIVE_MS / 1000,
        )

        # A new window: on the board at once, and among the windows a clerk can pick.
        created = await admin.call(
            "POST", f"/api/admin/halls/{web_hall.id}/windows",
            {"number": 5, "name": "5号窗口", "services": ["C"]}, expect=201,
        )  # fmt: skip
        await board_ready(board, 5)
        assert await board.text(f"{card(created['id'])} .win-name") == "5号窗口"
        assert await board.text(f"{card(created['id'])} .win-state") == "未开启"

        # A service renamed: the board's waiting list, the window screen's services,
        # and the console's waiting list and current ticket show the new name.
        await admin.call("PATCH", f"/api/admin/halls/{web_hall.id}/services/A",
                         {"name": "社会保障", "name_en": "Social security"})  # fmt: skip
        await board.wait(
            "document.querySelector('[data-service=A] .svc-name').textContent === '社会保障'",
            timeout=LIVE_MS / 1000,
        )
        await expect(c.page.locator('#waiting li[data-service="A"] .name')).to_have_text(
            "社会保障", timeout=LIVE_MS
        )
        await win.wait(
            "document.getElementById('services').textContent.includes('A 社会保障')",
            timeout=LIVE_MS / 1000,
        )

        # The hall renamed: every page's heading.
        await admin.call("PATCH", f"/api/admin/halls/{web_hall.id}", {"name": "城东政务服务中心"})
        await expect(c.page.locator("#bar-where")).to_have_text(
            "城东政务服务中心 · 综合受理窗口（1号）", timeout=LIVE_MS
        )
        for s in (board, win):
            await s.wait(
                "document.getElementById('hall-name').textContent === '城东政务服务中心'",
                timeout=LIVE_MS / 1000,
            )
        assert await board.page.title() == "城东政务服务中心 · 综合屏"

        # The console works on with the new configuration: a D ticket is called here.
        await c.action("call_next").click()
        await c.shows("D001", "called")
        await expect(c.page.locator("#cur-service")).to_have_text("D · 业务D")
        await win.wait("document.getElementById('status-number').textContent === 'D001'")

        await board.page.screenshot(path=shot_path("config-live-board"))
        await win.page.screenshot(path=shot_path("config-live-window-screen"))
        await c.page.screenshot(path=shot_path("config-live-console"))
        for page in (board.page, win.page, c.page):
            await not_reloaded(page)
        c.assert_clean()


# --- a deleted window, a clerk renamed: the window screen and the board ------------------------


async def test_a_deleted_window_and_a_renamed_clerk_on_the_screens_and_the_console(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base = web_server.base_url
    admin = await Admin.make(pg_url, web_server, web_hall)
    http = Http(base, web_hall)
    w3, w4 = web_hall.window(3), web_hall.window(4)
    await http.post(f"/api/windows/{w3}/open", user=web_hall.clerk(3).username)
    small = {"width": 1280, "height": 720}
    screen_url = f"{base}/display/{web_hall.id}/window"
    async with (
        console_page(browser, base) as c,
        screen(browser, f"{base}/display/{web_hall.id}?voice=0&idle=0") as board,
        screen(browser, f"{screen_url}/{w3}", viewport=small) as s3,
        screen(browser, f"{screen_url}/{w4}", viewport=small) as s4,
        screen(browser, f"{screen_url}/{w4}?lang=en", viewport=small) as s4en,
    ):
        # Clerk 4 worked at window 4 until the supervisor closed it; the console stays.
        await at_window(c, web_hall.clerk(4).username, w4)
        await http.post(f"/api/windows/{w4}/close", user=web_hall.supervisor.username)
        await expect(c.current).to_have_attribute("data-state", "closed")
        await board_ready(board, 4)
        await s3.wait("document.body.dataset.state === 'open'")
        for s in (s4, s4en):
            await s.wait("document.body.dataset.state === 'closed'")
        for s in (board, s3, s4, s4en):
            await marked(s)
        assert await s3.text("#clerk-name") == "窗口3"

        # The clerk's display name changes: the window screen shows the new one.
        clerk3 = web_hall.clerk(3).id
        await admin.call("PATCH", f"/api/admin/users/{clerk3}", {"display_name": "李四"})
        await s3.wait(
            "document.getElementById('clerk-name').textContent === '李四'",
            timeout=LIVE_MS / 1000,
        )

        # Window 4 (closed) is deleted: its screens say so, the board drops its card.
        await admin.call("DELETE", f"/api/admin/windows/{w4}", expect=204)
        await s4.wait("document.body.dataset.state === 'removed'", timeout=LIVE_MS / 1000)
        assert await s4.text("#off-title") == "本窗口已撤销"
        assert await s4.text("#off-note") == "请到其他窗口办理"
        await s4en.wait("document.body.dataset.state === 'removed'", timeout=LIVE_MS / 1000)
        assert await s4en.text("#off-title") == "This window has been removed"
        assert await s4en.text("#off-note") == "Please go to another window"
        await board_ready(board, 3)
        assert await board.page.locator(card(w4)).count() == 0
        # The console at window 4 goes back to the window picker, saying why.
        await expect(c.page.locator("#view-picker")).to_be_visible(timeout=LIVE_MS)
        await expect(c.page.locator("#picker-error")).to_have_text(
            "无法回到 4号窗口：该窗口已被管理员删除"
        )
        await expect(c.page.locator(".wpick")).to_have_count(3)
        assert (
            await c.page.evaluate("JSON.parse(localStorage.getItem('ow.console.session')).window")
            is None
        )
        # Still removed after the re-read of the hall that followed the event.
        await asyncio.sleep(0.6)
        assert await s4.page.evaluate("document.body.dataset.state") == "removed"

        await s3.page.screenshot(path=shot_path("config-live-window-renamed-clerk"))
        await s4.page.screenshot(path=shot_path("config-live-window-removed"))
        await s4en.page.screenshot(path=shot_path("config-live-window-removed-en"))
        await c.page.screenshot(path=shot_path("config-live-console-window-deleted"))
        for s in (board, s3, s4, s4en):
            await not_reloaded(s.page)
        await not_reloaded(c.page)
        c.assert_clean()


# --- (b) a disabled clerk, a revoked session: back to the sign-in view --------------------------


async def test_a_disabled_clerk_and_a_revoked_session_end_the_console(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base = web_server.base_url
    admin = await Admin.make(pg_url, web_server, web_hall)
    async with (
        console_page(browser, base) as c1,
        console_page(browser, base, query="?lang=en") as c2,
    ):
        await at_window(c1, web_hall.clerk(1).username, web_hall.window(1))
        await at_window(c2, web_hall.clerk(2).username, web_hall.window(2))
        sockets: list[str] = []
        c1.page.on("websocket", lambda ws: sockets.append(ws.url))

        # Clerk 1 is disabled: their socket is closed with 4001; the console says why
        # and does not try to connect again.
        await admin.call("PATCH", f"/api/admin/users/{web_hall.clerk(1).id}", {"enabled": False})
        await shows_sign_in(c1, EXPIRED_ZH)
        await c1.page.screenshot(path=shot_path("config-live-console-signed-out"))
        await asyncio.sleep(1.5)  # a reconnecting page would have tried by now
        assert sockets == [], sockets
        assert await c1.page.locator("#signout").is_hidden()

        # Clerk 2's session is revoked elsewhere (the token signed out by another client).
        token = await stored_token(c2.page)
        async with httpx.AsyncClient(base_url=base) as client:
            r = await client.post("/api/auth/logout", headers={"authorization": f"Bearer {token}"})
            assert r.status_code == 204, r.text
        await shows_sign_in(c2, "Your sign-in is no longer valid; please sign in again")

        # Signing in again works (clerk 2), and is refused for the disabled clerk 1.
        await at_window(c2, web_hall.clerk(2).username, web_hall.window(2))
        await c1.sign_in(web_hall.clerk(1).username)
        await expect(c1.page.locator("#signin-error")).to_have_text("该账号已停用")
        for c in (c1, c2):
            await not_reloaded(c.page)
        # 403: the disabled clerk's sign-in; 401: a call that met the revoked token
        # before the socket's 4001 did (either ends the session, with the same words).
        c1.assert_clean("403 (Forbidden)", "401 (Unauthorized)")
        c2.assert_clean()


async def test_an_http_401_ends_the_console_while_its_socket_is_down(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    """The supervisor's actions go over HTTP: a revoked token there ends the session too."""
    base = web_server.base_url
    http = Http(base, web_hall)
    w1 = web_hall.window(1)
    await http.post(f"/api/windows/{w1}/open", user=web_hall.clerk(1).username)
    gate = Gate()
    async with console_page(browser, base, gate=gate) as c:
        await c.sign_in(web_hall.supervisor.username)
        pause = c.page.locator(f'.wcard[data-window="{w1}"] button[data-op="pause"]')
        await expect(pause).to_be_enabled()
        token = await stored_token(c.page)
        # The network to /ws goes down; then the token is revoked elsewhere.
        gate.open = False
        await c.page.evaluate("window.__socket.drop()")
        await expect(c.page.locator("#offline")).to_be_visible()
        async with httpx.AsyncClient(base_url=base) as client:
            r = await client.post("/api/auth/logout", headers={"authorization": f"Bearer {token}"})
            assert r.status_code == 204, r.text
        await pause.click()
        async with c.page.expect_response(lambda r: r.url.endswith("/pause")) as answer:
            await c.page.press("#pause-reason", "Enter")
        assert (await answer.value).status == 401
        await shows_sign_in(c, EXPIRED_ZH)
        await expect(c.page.locator("#dlg-pause")).to_be_hidden()
        await not_reloaded(c.page)
        c.assert_clean("401 (Unauthorized)")


# --- a first password must be changed; sign-out revokes the token ------------------------------


async def test_a_first_password_is_changed_before_work_and_sign_out_revokes_the_token(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base = web_server.base_url
    admin = await Admin.make(pg_url, web_server, web_hall)
    username = f"{web_hall.id}-new"
    await admin.call(
        "POST", "/api/admin/users",
        {"username": username, "display_name": "新同事", "role": "clerk", "hall": web_hall.id,
         "password": "first-pass-1"},
        expect=201,
    )  # fmt: skip
    async with console_page(browser, base) as c:
        await c.page.fill("#signin-user", username)
        await c.page.fill("#signin-pass", "first-pass-1")
        await c.page.press("#signin-pass", "Enter")
        form = c.page.locator("#view-password")
        await expect(form).to_be_visible()
        await expect(c.page.locator("#password-new")).to_be_focused()
        assert await c.page.evaluate("localStorage.getItem('ow.console.session')") is None
        assert await c.page.locator("#view-picker").is_hidden()

        # Said in words, beside the field: too short, then the two do not match.
        await c.page.fill("#password-new", "short")
        await c.page.fill("#password-again", "short")
        await c.page.press("#password-again", "Enter")
        await expect(c.page.locator("#password-error")).to_have_text("新密码至少 8 位")
        await expect(c.page.locator("#password-new")).to_have_attribute("aria-invalid", "true")
        await c.page.fill("#password-new", "second-pass-2")
        await c.page.fill("#password-again", "second-pass-3")
        await c.page.press("#password-again", "Enter")
        await expect(c.page.locator("#password-error")).to_have_text("两次输入的新密码不一致")
        # The server's own rule, in its words.
        await c.page.fill("#password-new", "first-pass-1")
        await c.page.fill("#password-again", "first-pass-1")
        await c.page.press("#password-again", "Enter")
        await expect(c.page.locator("#password-error")).to_have_text("新密码不能与当前密码相同")
        await c.page.screenshot(path=shot_path("config-live-console-password"))

        await c.page.fill("#password-new", "second-pass-2")
        await c.page.fill("#password-again", "second-pass-2")
        await c.page.press("#password-again", "Enter")
        await expect(c.page.locator("#view-picker")).to_be_visible()
        await expect(c.page.locator(".wpick")).to_have_count(4)
        token = await stored_token(c.page)
        assert await me_status(base, token) == (200, "")

        # Sign-out tells the server: the token is refused afterwards.
        await c.page.click("#signout")
        await expect(c.page.locator("#view-signin")).to_be_visible()
        await expect(c.page.locator("#signin-error")).to_have_text("已退出登录")
        assert await me_status(base, token) == (401, "token_revoked")
        await not_reloaded(c.page)
        c.assert_clean("400 (Bad Request)", "422 (Unprocessable")

    assert await login(base, username, "second-pass-2")
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post(
            "/api/auth/login", json={"username": username, "password": "first-pass-1"}
        )
        assert r.status_code == 401


# --- (c) names that look like markup are text ---------------------------------------------------


async def test_markup_in_names_and_notices_is_shown_as_text(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base = web_server.base_url
    admin = await Admin.make(pg_url, web_server, web_hall)
    http = Http(base, web_hall)
    w1 = web_hall.window(1)
    await admin.call("PATCH", f"/api/admin/windows/{w1}", {"name": XSS})
    await admin.call("PATCH", f"/api/admin/halls/{web_hall.id}/services/A", {"name": XSS})
    await http.post(
        f"/api/halls/{web_hall.id}/notices",
        {"title": XSS, "body": f"正文 {XSS}", "kind": "general", "position": 0},
        user=web_hall.supervisor.username,
    )
    await http.post(f"/api/halls/{web_hall.id}/tickets", {"service": "A"})

    async def clean(page: Page) -> None:
        assert await page.evaluate("typeof window.__xss") == "undefined"
        assert await page.locator("img").count() == 0

    board_url = f"{base}/display/{web_hall.id}?voice=0&idle=0.5&rotate=30"
    screen_url = f"{base}/display/{web_hall.id}/window/{w1}?flash=0"
    async with (
        screen(browser, board_url) as board,
        screen(browser, screen_url, viewport={"width": 1280, "height": 720}) as win,
        console_page(browser, base) as c,
    ):
        await board_ready(board, 4)
        await board.wait("document.body.dataset.mode === 'notices'", timeout=3)
        assert await board.text("#notice-title") == XSS
        assert await board.text("#notice-body") == f"正文 {XSS}"
        assert await board.text(f"{card(w1)} .win-name") == XSS
        assert await board.text("[data-service=A] .svc-name") == XSS
        await board.page.screenshot(path=shot_path("config-live-xss-board"))

        await win.wait("document.body.dataset.state === 'closed'")
        assert await win.text("#win-title") == XSS
        assert XSS in await win.text("#services")
        assert await win.page.title() == f"{XSS} · 测试大厅"

        await c.sign_in(web_hall.clerk(1).username)
        pick = c.page.locator(f'.wpick[data-window="{w1}"]')
        await expect(pick.locator(".wpick-name")).to_have_text(XSS)
        await expect(pick.locator(".wpick-svc")).to_contain_text(XSS)
        await c.choose_window(w1)
        await expect(c.page.locator("#bar-where")).to_have_text(f"测试大厅 · {XSS}（1号）")
        await expect(c.page.locator('#waiting li[data-service="A"] .name')).to_have_text(XSS)
        await c.action("call_next").click()
        await c.shows("A001", "called")
        await expect(c.page.locator("#cur-service")).to_have_text(f"A · {XSS}")

        # Renamed live to markup again: still text.
        await admin.call("PATCH", f"/api/admin/windows/{w1}", {"name": f"{XSS}2"})
        await expect(c.page.locator("#bar-where")).to_have_text(
            f"测试大厅 · {XSS}2（1号）", timeout=LIVE_MS
        )
        await win.wait(
            f"document.getElementById('win-title').textContent === {XSS + '2'!r}",
            timeout=LIVE_MS / 1000,
        )
        await board.wait(
            f'document.querySelector("{card(w1)} .win-name").textContent === {XSS + "2"!r}',
            timeout=LIVE_MS / 1000,
        )
        await win.page.screenshot(path=shot_path("config-live-xss-window-screen"))
        await c.page.screenshot(path=shot_path("config-live-xss-console"))
        for page in (board.page, win.page, c.page):
            await clean(page)
        c.assert_clean()
