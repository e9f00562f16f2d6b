"""The admin console (/admin) in real headless Chromium against a real server.

An admin configures a hall end to end (service, department, window, opening hours,
a year's calendar, a clerk and a password reset) and reads the audit log; errors
from the API land beside the field they name; a supervisor manages their own hall
only; a first sign-in changes its password; clerks are turned away; names that
look like HTML stay text; the sign-in works by keyboard alone; and axe-core finds
no WCAG 2.1 AA violation on any view, in Chinese or English.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, Route, expect

from server.auth import hash_password
from server.domain.model import Role, User
from server.store.store import Store
from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import seed_hall
from tests.system.server_proc import ServerProcess

XSS = "<img src=x onerror=window.__xss=1>"
SECTIONS = ("halls", "services", "windows", "departments", "staff", "audit")
# Chromium logs every refused request; the page says what went wrong in its own words.
REFUSED = ("status of 401", "status of 403", "status of 409", "status of 422")


async def make_admin(pg_url: str) -> str:
    """An administrator, written straight into the store (no API can make the first one)."""
    store = Store.from_url(pg_url)
    await store.open()
    try:
        name = f"adm-{secrets.token_hex(4)}"
        user = User(f"u-{name}", name, "测试管理员", Role.ADMIN, None, hash_password(PASSWORD))
        await store.add_user(user, datetime.now(UTC))
        return name
    finally:
        await store.close()


@pytest.fixture
async def admin_name(pg_url: str, web_hall: HallFixture) -> str:
    return await make_admin(pg_url)


class Api:
    """The HTTP API as a user of it: sign in, then call with the bearer token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, str] = {}

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base) as c:
            return await c.post(
                "/api/auth/login", json={"username": username, "password": password}
            )

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            r = await self.login(username)
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["token"]
        return self.tokens[username]

    async def call(self, method: str, path: str, user: str, body: Any = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {await self.token(user)}"}
        async with httpx.AsyncClient(base_url=self.base) as c:
            return await c.request(method, path, json=body, headers=headers)

    async def ok(self, method: str, path: str, user: str, body: Any = None) -> Any:
        r = await self.call(method, path, user, body)
        assert r.status_code in (200, 201, 204), r.text
        return None if r.status_code == 204 else r.json()


class AdminPage:
    """One admin console in its own browser context (its own localStorage)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []  # page errors, console errors, alert boxes
        self.urls: list[str] = []  # every address the page asked for
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("dialog", lambda d: self.problems.append(f"alert box: {d.message}"))
        page.on("request", lambda r: self.urls.append(r.url))

    def sel(self, css: str) -> Locator:
        return self.page.locator(css)

    async def sign_in(self, username: str, password: str = PASSWORD) -> None:
        await self.page.fill("#signin-user", username)
        await self.page.fill("#signin-pass", password)
        await self.page.press("#signin-pass", "Enter")

    async def signed_in(self) -> None:
        await expect(self.sel("#view-admin")).to_be_visible()
        await expect(self.sel("#sec-halls h1")).to_be_visible()

    async def choose_hall(self, hall_id: str) -> None:
        await expect(self.sel(f'#hall-select option[value="{hall_id}"]')).to_have_count(1)
        await self.page.select_option("#hall-select", hall_id)

    async def go(self, section: str) -> None:
        await self.page.click(f'#side-nav a[data-section="{section}"]')
        await expect(self.sel(f"#sec-{section}")).to_be_visible()
        await expect(self.sel(f'#side-nav a[data-section="{section}"]')).to_have_attribute(
            "aria-current", "page"
        )

    def editor(self, section: str) -> Locator:
        return self.sel(f"#{section}-editor")

    def field_error(self, form: str, field: str) -> Locator:
        return self.sel(f'{form} [data-field="{field}"] > .field-error')

    def row(self, section: str, key: str) -> Locator:
        return self.sel(f'#{section}-table tr[data-key="{key}"]')

    async def status(self, text: str) -> None:
        await expect(self.sel("#status")).to_contain_text(text)

    def assert_clean(self, *expected: str) -> None:
        left = [p for p in self.problems if not any(x in p for x in expected)]
        assert not left, left


@asynccontextmanager
async def admin_page(
    browser: Browser,
    base: str,
    lang: str | None = None,
    size: tuple[int, int] = (1366, 900),
    hall: str | None = None,
) -> AsyncIterator[AdminPage]:
    ctx = await browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="zh-CN", accept_downloads=True
    )
    if hall:  # the hall an admin looked after last time, as the page remembers it
        await ctx.add_init_script(f"localStorage.setItem('ow.admin.hall', {hall!r})")
    try:
        page = await ctx.new_page()
        a = AdminPage(page)
        await page.goto(base + "/admin" + (f"?lang={lang}" if lang else ""))
        await expect(page.locator("#view-signin")).to_be_visible()
        yield a
    finally:
        await ctx.close()


async def shots(page: Page, name: str) -> None:
    """The page at a desk size and at full HD, whole height, for people to look at."""
    for label, (w, h) in {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}.items():
        height = await page.evaluate("document.querySelector('main').scrollHeight + 60")
        await page.set_viewport_size({"width": w, "height": max(h, int(height))})
        await page.wait_for_timeout(100)
        await page.screenshot(path=shot_path(f"admin-{name}-{label}"))
    await page.set_viewport_size({"width": 1366, "height": 900})


async def no_axe_violations(page: Page, where: str) -> None:
    found = await violations(page)
    assert not found, f"{where}:\n{describe(found)}"


# --- an admin configures a hall ----------------------------------------------------------------


async def test_admin_configures_a_hall(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    hall = web_hall.id
    dept = f"d{secrets.token_hex(3)}"
    clerk = f"clerk-{secrets.token_hex(3)}"
    async with admin_page(browser, web_server.base_url) as a:
        p = a.page
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.choose_hall(hall)
        await expect(a.sel("#bar-where")).to_have_text("测试大厅")

        # A service: code, names, two of the three channels, a daily quota.
        await a.go("services")
        await expect(a.row("services", "A")).to_be_visible()
        await p.click("#services-add")
        ed = a.editor("services")
        await expect(ed.locator("[name=code]")).to_be_focused()
        await ed.locator("[name=code]").fill("E")
        await ed.locator("[name=name]").fill("统一出件")
        await ed.locator("[name=name_en]").fill("Pickup")
        await ed.locator("[name=avg_service_s]").fill("240")
        await ed.locator("input[name=channels][value=phone]").uncheck()
        await ed.locator("[name=daily_quota]").fill("50")
        await ed.locator("button[type=submit]").click()
        await expect(a.row("services", "E")).to_contain_text("统一出件")
        await expect(ed).to_be_hidden()
        await a.status("已新增")
        services = (await api.ok("GET", f"/api/admin/halls/{hall}/services", admin_name))[
            "services"
        ]
        e = next(s for s in services if s["code"] == "E")
        assert (e["name_en"], e["avg_service_s"], e["daily_quota"]) == ("Pickup", 240, 50)
        assert sorted(e["channels"]) == ["kiosk", "window"]

        # A department serving this hall.
        await a.go("departments")
        await p.click("#departments-add")
        ed = a.editor("departments")
        await ed.locator("[name=id]").fill(dept)
        await ed.locator("[name=name]").fill("不动产登记中心")
        await ed.locator("[name=name_en]").fill("Real estate registry")
        await ed.locator(f'input[name=halls][value="{hall}"]').check()
        await ed.locator("button[type=submit]").click()
        await expect(a.row("departments", dept)).to_contain_text("不动产登记中心")
        await expect(a.row("departments", dept)).to_contain_text("前台窗口")

        # A window that serves the new service, in the new department.
        await a.go("windows")
        await expect(a.row("windows", f"{hall}-w4")).to_be_visible()
        await p.click("#windows-add")
        ed = a.editor("windows")
        await ed.locator("[name=number]").fill("7")
        await ed.locator("[name=name]").fill("7号窗口 统一出件")
        await ed.locator("input[name=services][value=E]").check()
        await ed.locator("input[name=services][value=A]").check()
        await ed.locator("[name=department]").select_option(dept)
        await ed.locator("button[type=submit]").click()
        await expect(a.row("windows", f"{hall}-w7")).to_contain_text("7号窗口 统一出件")
        await expect(a.row("windows", f"{hall}-w7")).to_contain_text("不动产登记中心")
        w7 = await api.ok("GET", f"/api/admin/halls/{hall}/windows", admin_name)
        [w] = [x for x in w7["windows"] if x["id"] == f"{hall}-w7"]
        assert (w["number"], sorted(w["services"]), w["department"]) == (7, ["A", "E"], dept)

        # A number already taken: the server's words, beside the number field.
        await p.click("#windows-add")
        await ed.locator("[name=number]").fill("1")
        await ed.locator("[name=name]").fill("重复的窗口")
        await ed.locator("button[type=submit]").click()
        err = a.field_error("#windows-editor", "number")
        await expect(err).to_have_text("本大厅已有 1 号窗口")
        await expect(err).to_have_attribute("role", "alert")
        await expect(ed.locator("[name=number]")).to_have_attribute("aria-invalid", "true")
        await expect(ed.locator("[name=number]")).to_be_focused()
        await shots(p, "window-number-taken")
        await ed.locator("[name=number]").press("Escape")
        await expect(ed).to_be_hidden()
        await expect(a.sel("#windows-add")).to_be_focused()

        # Edit the new window's name.
        await a.row("windows", f"{hall}-w7").locator("button[data-action=edit]").click()
        await ed.locator("[name=name]").fill("7号窗口 出件")
        await ed.locator("[name=name]").press("Enter")
        await expect(a.row("windows", f"{hall}-w7")).to_contain_text("7号窗口 出件")

        # Opening hours: Monday morning and afternoon; Tuesday first wrong, then right.
        await a.go("halls")
        form = a.sel("#hall-settings")
        mon = form.locator('.day[data-day="mon"]')
        await mon.locator(".period input[data-part=open]").first.fill("08:30")
        await mon.locator(".period input[data-part=close]").first.fill("12:00")
        await mon.locator("button[data-action=add]").click()
        await expect(mon.locator(".period")).to_have_count(2)
        await expect(mon.locator(".period").nth(1).locator("input[data-part=open]")).to_be_focused()
        await p.keyboard.type("13:30")
        await p.keyboard.press("Tab")
        await p.keyboard.type("17:00")
        tue = form.locator('.day[data-day="tue"] .period').first
        await tue.locator("input[data-part=open]").fill("8:3")
        await form.locator("#hall-save").click()
        await expect(tue.locator(".field-error")).to_have_text("时间格式应为 HH:MM，如 08:30；结束时间可写 24:00")
        await expect(tue.locator("input[data-part=open]")).to_be_focused()
        # Close before open: the server refuses (hours_invalid) and says so beside the hours.
        await tue.locator("input[data-part=open]").fill("17:00")
        await tue.locator("input[data-part=close]").fill("08:00")
        await form.locator("#hall-save").click()
        hours_err = form.locator(
            "fieldset.hours [data-field] > .field-error, fieldset.hours > .field-error"
        )
        await expect(hours_err.filter(has_text="17:00")).to_have_count(1)
        await expect(hours_err.filter(has_text="17:00")).to_contain_text("须早于")
        await shots(p, "hours-invalid")
        await tue.locator("input[data-part=open]").fill("08:30")
        await tue.locator("input[data-part=close]").fill("17:00")
        await form.locator("#hall-save").click()
        await a.status("已保存")
        got = await api.ok("GET", f"/api/admin/halls/{hall}", admin_name)
        assert got["hours"]["mon"] == [["08:30", "12:00"], ["13:30", "17:00"]]
        assert got["hours"]["tue"] == [["08:30", "17:00"]]
        assert got["hours"]["sun"] == [["00:00", "24:00"]]  # the rest as it was

        # The 2031 holiday notice, pasted: first with a bad line, then right.
        text = a.sel("#cal-import-text")
        await text.fill("2031-01-01 休\n2031-02-30 班")
        await a.sel("#cal-import-btn").click()
        await expect(a.field_error("#cal-import", "days")).to_contain_text("第 2 行：日期无效")
        notice = "\n".join(
            ["# 2031 年部分节假日安排", "2031-01-01 休", "2031-01-26 班", "2031-01-27 休",
             "2031-01-28 休", "2031-02-08 班", "2031-10-01 休"]
        )  # fmt: skip
        await text.fill(notice)
        await text.press("Control+Enter")
        await a.status("已导入 2031 年：共 6 天，放假 4 天，调休上班 2 天")
        await expect(a.sel("#cal-year")).to_have_value("2031")
        await expect(a.sel("#cal-table tbody tr")).to_have_count(6)
        await expect(a.sel('#cal-table tr[data-date="2031-01-26"]')).to_contain_text("班")
        # One more day, then one fewer.
        await a.sel("#cal-date").fill("2031-10-02")
        await a.sel("#cal-add-btn").click()
        await expect(a.sel('#cal-table tr[data-date="2031-10-02"]')).to_contain_text("休")
        await a.sel('#cal-table tr[data-date="2031-01-01"] button[data-action=remove]').click()
        await expect(a.sel('#cal-table tr[data-date="2031-01-01"]')).to_have_count(0)
        await expect(a.sel("#cal-table tbody tr")).to_have_count(6)
        got = await api.ok("GET", f"/api/admin/halls/{hall}", admin_name)
        year = {k: v for k, v in got["calendar"].items() if k.startswith("2031-")}
        assert year == {
            "2031-01-26": True, "2031-01-27": False, "2031-01-28": False,
            "2031-02-08": True, "2031-10-01": False, "2031-10-02": False,
        }  # fmt: skip
        await shots(p, "halls")

        # A clerk with a first password, then a reset.
        await a.go("staff")
        await p.click("#staff-add")
        ed = a.editor("staff")
        await ed.locator("[name=username]").fill(clerk)
        await ed.locator("[name=display_name]").fill("李四")
        await ed.locator("[name=role]").select_option("clerk")
        await ed.locator("[name=hall]").select_option(hall)
        await ed.locator("[name=password]").fill("aaaa")
        await ed.locator("button[type=submit]").click()
        await expect(a.field_error("#staff-editor", "password")).to_contain_text("8–128")
        await ed.locator("[name=password]").fill("first-pass-1")
        await ed.locator("button[type=submit]").click()
        row = a.sel(f'#staff-table tr:has(td:text-is("{clerk}"))')
        await expect(row).to_contain_text("李四")
        await expect(row).to_contain_text("待改密码")
        first = await api.login(clerk, "first-pass-1")
        assert first.status_code == 200 and first.json()["must_change_password"] is True
        await row.locator("button[data-action=edit]").click()
        await expect(ed.locator("[name=display_name]")).to_be_focused()
        await ed.locator("[name=reset_password]").fill("second-pass-2")
        await ed.locator("[name=reset_password]").press("Enter")
        await a.status(f"已重置 李四 ({clerk}) 的密码")
        await shots(p, "staff")
        assert (await api.login(clerk, "first-pass-1")).status_code == 401
        second = await api.login(clerk, "second-pass-2")
        assert second.status_code == 200 and second.json()["must_change_password"] is True

        # The audit log has all of it; the CSV comes with the token in a header.
        await a.go("audit")
        await a.sel("#audit-filter [name=actor]").fill(admin_name)
        await a.sel("#audit-filter [name=hall]").select_option(hall)
        await a.sel("#audit-search").click()
        table = a.sel("#audit-table")
        await expect(table.locator('td:text-is("config.window.created")')).to_have_count(1)
        await expect(table.locator('td:text-is("config.service.created")')).to_have_count(1)
        # A window's change, before and after, field by field.
        renamed = table.locator("tr", has=p.locator('td:text-is("config.window.updated")'))
        await renamed.locator("summary").click()
        await expect(renamed.locator("table.diff")).to_contain_text("7号窗口 出件")
        await shots(p, "audit")
        async with p.expect_download() as info:
            await a.sel("#audit-csv").click()
        download = await info.value
        csv = (await download.path()).read_text(encoding="utf-8-sig")
        assert "config.window.created" in csv and admin_name in csv
        await a.status("CSV 已下载")
        token = await p.evaluate("JSON.parse(localStorage.getItem('ow.admin.session')).token")
        assert not [u for u in a.urls if token in u]

        # Sign out: the token is revoked on the server.
        await p.click("#signout")
        await expect(a.sel("#view-signin")).to_be_visible()
        await expect(a.sel("#signin-error")).to_have_text("已退出登录")
        async with httpx.AsyncClient(base_url=web_server.base_url) as c:
            r = await c.get("/api/auth/me", headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 401
        a.assert_clean(*REFUSED)


# --- paging the audit log -----------------------------------------------------------------------


async def test_audit_pages(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    hall = web_hall.id
    for n in range(1, 56):  # 55 changes: two pages of 50
        await api.ok("PATCH", f"/api/admin/windows/{web_hall.window(1)}", admin_name,
                     {"name": f"一号窗口 第{n}版"})  # fmt: skip
    async with admin_page(browser, web_server.base_url) as a:
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.choose_hall(hall)
        await a.go("audit")
        await a.sel("#audit-filter [name=hall]").select_option(hall)
        await a.sel("#audit-filter [name=action]").fill("config.window.updated")
        await a.sel("#audit-filter [name=action]").press("Enter")
        rows = a.sel("#audit-table > tbody > tr")
        await expect(rows).to_have_count(50)
        await expect(a.sel("#audit-prev")).to_be_disabled()
        await a.sel("#audit-next").click()
        await expect(rows).to_have_count(5)
        await expect(a.sel("#audit-page")).to_have_text("第 2 页")
        await expect(a.sel("#audit-next")).to_be_disabled()
        # The oldest is last: the first rename.
        await rows.last.locator("summary").click()
        await expect(rows.last.locator("table.diff")).to_contain_text("一号窗口 第1版")
        await a.sel("#audit-prev").click()
        await expect(rows).to_have_count(50)
        a.assert_clean()


# --- a supervisor: their hall's windows and calendar, the rest read-only ----------------------------


async def test_supervisor_edits_own_hall_only(
    browser: Browser,
    web_server: ServerProcess,
    web_hall: HallFixture,
    pg_url: str,
    admin_name: str,
) -> None:
    other = await seed_hall(pg_url)
    api = Api(web_server.base_url)
    sup = web_hall.supervisor.username
    hall = web_hall.id
    async with admin_page(browser, web_server.base_url) as a:
        p = a.page
        await a.sign_in(sup)
        await a.signed_in()
        # No choice of hall: theirs.
        await expect(a.sel("#hall-select")).to_be_hidden()
        await expect(a.sel("#hall-fixed")).to_have_text("当前大厅：测试大厅")
        await expect(a.sel("#halls-table tbody tr")).to_have_count(1)
        await expect(a.sel(f'#halls-table tr[data-key="{hall}"]')).to_be_visible()
        # The hall's settings are read; its calendar is kept.
        await expect(a.sel("#hall-settings input")).to_have_count(0)
        await expect(a.sel("#hall-settings")).to_contain_text("00:00–24:00")
        await a.sel("#cal-year").fill("2032")
        await a.sel("#cal-year").press("Enter")
        await expect(a.sel("#cal-summary")).to_contain_text("2032 年")
        await a.sel("#cal-date").fill("2032-01-01")
        await a.sel("#cal-date").press("Enter")
        await expect(a.sel('#cal-table tr[data-date="2032-01-01"]')).to_be_visible()
        got = await api.ok("GET", f"/api/admin/halls/{hall}", sup)
        assert got["calendar"]["2032-01-01"] is False
        await shots(p, "supervisor-halls")

        # Services: read only.
        await a.go("services")
        await expect(a.row("services", "A")).to_be_visible()
        await expect(a.sel("#services-add")).to_be_hidden()
        await expect(a.sel("#services-table button")).to_have_count(0)
        await expect(a.sel("#sec-services .pill.readonly")).to_be_visible()

        # Windows: theirs to change.
        await a.go("windows")
        await expect(a.sel("#windows-table tbody tr")).to_have_count(4)
        await a.row("windows", web_hall.window(2)).locator("button[data-action=edit]").click()
        ed = a.editor("windows")
        await ed.locator("[name=name]").fill("2号窗口 老年人优先")
        await ed.locator("input[name=services][value=C]").check()
        await ed.locator("button[type=submit]").click()
        await expect(a.row("windows", web_hall.window(2))).to_contain_text("2号窗口 老年人优先")
        windows = (await api.ok("GET", f"/api/admin/halls/{hall}/windows", sup))["windows"]
        [w2] = [w for w in windows if w["id"] == web_hall.window(2)]
        assert (w2["name"], sorted(w2["services"])) == ("2号窗口 老年人优先", ["A", "C"])
        await shots(p, "supervisor-windows")

        # A reload keeps the sign-in and the section.
        await p.reload()
        await expect(a.sel("#sec-windows")).to_be_visible()
        await expect(a.row("windows", web_hall.window(2))).to_contain_text("老年人优先")

        # Staff: their hall's, read only.
        await a.go("staff")
        await expect(a.sel("#staff-table tbody tr")).to_have_count(5)  # 4 clerks, 1 supervisor
        await expect(a.sel("#staff-add")).to_be_hidden()
        await expect(a.sel("#staff-table button")).to_have_count(0)

        # Another hall's window is not theirs, whatever the page offers.
        r = await api.call("PATCH", f"/api/admin/windows/{other.window(1)}", sup, {"name": "x"})
        assert r.status_code == 403, r.text
        r = await api.call("GET", f"/api/admin/halls/{other.id}/windows", sup)
        assert r.status_code == 403, r.text
        halls = (await api.ok("GET", "/api/admin/halls", sup))["halls"]
        assert [h["id"] for h in halls] == [hall]

        # An admin disables the account: the next call finds the sign-in gone.
        await api.ok("PATCH", f"/api/admin/users/{sup}", admin_name, {"enabled": False})
        await p.click('#side-nav a[data-section="audit"]')
        await expect(a.sel("#view-signin")).to_be_visible()
        await expect(a.sel("#signin-error")).to_have_text("登录已失效，请重新登录")
        assert await p.evaluate("localStorage.getItem('ow.admin.session')") is None
        a.assert_clean(*REFUSED)


# --- a first sign-in changes its password; clerks are turned away --------------------------------------


async def test_first_sign_in_changes_password_and_clerks_have_no_access(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    name = f"sup-{secrets.token_hex(3)}"
    await api.ok("POST", "/api/admin/users", admin_name, {
        "username": name, "display_name": "新主任", "role": "supervisor",
        "hall": web_hall.id, "department": None, "password": "given-pass-1",
    })  # fmt: skip
    async with admin_page(browser, web_server.base_url) as a:
        p = a.page
        await a.sign_in(name, "given-pass-1")
        await expect(a.sel("#view-password")).to_be_visible()
        await expect(a.sel("#pw-old")).to_be_focused()
        await shots(p, "password")
        await a.sel("#pw-old").fill("given-pass-1")
        await a.sel("#pw-new").fill("my-own-pass-2")
        await a.sel("#pw-again").fill("my-own-pass-3")
        await a.sel("#pw-again").press("Enter")
        await expect(a.field_error("#pw-form", "confirm")).to_have_text("两次输入的新密码不一致")
        # A wrong current password: the server's words, beside that field.
        await a.sel("#pw-old").fill("not-my-pass-0")
        await a.sel("#pw-again").fill("my-own-pass-2")
        await a.sel("#pw-again").press("Enter")
        await expect(a.field_error("#pw-form", "old_password")).to_have_text("当前密码不正确")
        await a.sel("#pw-old").fill("given-pass-1")
        await a.sel("#pw-old").press("Enter")
        await a.signed_in()
        await expect(a.sel("#bar-who")).to_have_text("新主任 · 值班主任")
        await a.status("密码已修改")
        a.assert_clean(*REFUSED)
    fresh = await api.login(name, "my-own-pass-2")
    assert fresh.status_code == 200 and fresh.json()["must_change_password"] is False

    async with admin_page(browser, web_server.base_url) as a:
        await a.sign_in(web_hall.clerk(1).username)
        await expect(a.sel("#view-noaccess")).to_be_visible()
        await expect(a.sel("#noaccess-text")).to_contain_text("窗口人员")
        await expect(a.sel("#noaccess-text")).to_contain_text("不能使用管理控制台")
        await shots(a.page, "no-access")
        await a.sel("#noaccess-signout").click()
        await expect(a.sel("#view-signin")).to_be_visible()
        a.assert_clean()


# --- names that look like HTML stay text ----------------------------------------------------------------


async def test_names_render_as_text(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    hall = web_hall.id
    dept = f"x{secrets.token_hex(3)}"
    await api.ok("PATCH", f"/api/admin/halls/{hall}", admin_name, {"name": XSS})
    await api.ok("POST", f"/api/admin/halls/{hall}/services", admin_name,
                 {"code": "X", "name": XSS, "name_en": XSS})  # fmt: skip
    await api.ok("POST", "/api/admin/departments", admin_name,
                 {"id": dept, "name": XSS, "name_en": XSS, "kind": "front", "halls": [hall]})  # fmt: skip
    await api.ok("PATCH", f"/api/admin/windows/{web_hall.window(1)}", admin_name,
                 {"name": XSS, "services": ["A", "X"], "department": dept})  # fmt: skip
    await api.ok("POST", "/api/admin/users", admin_name, {
        "username": f"u{secrets.token_hex(3)}", "display_name": XSS, "role": "clerk",
        "hall": hall, "department": None, "password": "some-pass-1",
    })  # fmt: skip
    for lang in ("zh", "en"):
        async with admin_page(browser, web_server.base_url, lang=lang) as a:
            p = a.page
            await a.sign_in(admin_name)
            await a.signed_in()
            await a.choose_hall(hall)
            await expect(a.sel("#bar-where")).to_have_text(XSS)
            await expect(a.sel(f'#halls-table tr[data-key="{hall}"] td').first).to_contain_text(XSS)
            await a.go("services")
            await expect(a.row("services", "X").locator("td").nth(1)).to_have_text(XSS)
            await a.go("windows")
            row = a.row("windows", web_hall.window(1))
            await expect(row.locator("td").nth(1)).to_have_text(XSS)
            await expect(row).to_contain_text(f"X {XSS}")
            await row.locator("button[data-action=edit]").click()
            await expect(a.editor("windows").locator("[name=name]")).to_have_value(XSS)
            await expect(a.editor("windows").locator("h2")).to_contain_text(XSS)
            await a.go("departments")
            await expect(a.row("departments", dept).locator("td").nth(1)).to_have_text(XSS)
            await a.go("staff")
            names = a.sel("#staff-table > tbody > tr > td:nth-child(2)")
            await expect(names.filter(has_text=XSS)).to_have_count(1)
            await a.go("audit")
            await a.sel("#audit-filter [name=target]").fill(web_hall.window(1))
            await a.sel("#audit-search").click()
            first = a.sel("#audit-table > tbody > tr").first
            await first.locator("summary").click()
            await expect(first.locator("table.diff")).to_contain_text(XSS)
            if lang == "zh":
                await shots(p, "names-as-text")
            assert await p.evaluate("window.__xss") is None
            assert await p.locator("img").count() == 0
            a.assert_clean()


# --- the keyboard alone ------------------------------------------------------------------------------------


async def test_keyboard_only(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    async with admin_page(browser, web_server.base_url, hall=web_hall.id) as a:
        p = a.page
        kb = p.keyboard
        # Sign in: the user field has focus; type, Tab, type, Enter; a wrong password is said.
        await expect(a.sel("#signin-user")).to_be_focused()
        await kb.type(admin_name)
        await kb.press("Tab")
        await kb.type("wrong-password")
        await kb.press("Enter")
        await expect(a.sel("#signin-error")).to_have_text("用户名或密码错误")
        await expect(a.sel("#signin-pass")).to_be_focused()
        await kb.type(PASSWORD)  # the wrong one is selected: typing replaces it
        await kb.press("Enter")
        await a.signed_in()
        await expect(a.sel("#sec-halls h1")).to_be_focused()

        await expect(a.sel("#hall-select")).to_have_value(web_hall.id)  # remembered
        # Back (Shift+Tab) to "Services" in the side navigation, Enter: focus lands on its
        # heading. Backwards, because the shared test database's hall list grows long.
        await tab_to(p, '#side-nav a[data-section="services"]', backwards=True)
        await expect(a.sel('#side-nav a[data-section="services"]')).to_have_css(
            "outline-style", "solid"
        )  # a visible focus ring
        await kb.press("Enter")
        await expect(a.sel("#sec-services h1")).to_be_focused()
        await expect(a.row("services", "A")).to_be_visible()
        # Tab to "Add a service", Enter, fill in, Enter saves.
        await tab_to(p, "#services-add")
        await kb.press("Enter")
        await expect(a.editor("services").locator("[name=code]")).to_be_focused()
        await kb.type("K")
        await kb.press("Tab")  # the hint is not a stop: straight to the name
        await kb.type("公积金")
        await kb.press("Enter")
        await expect(a.row("services", "K")).to_contain_text("公积金")
        # Focus goes back to the new row's Edit button; Enter opens it, Esc closes it.
        await expect(a.row("services", "K").locator("button[data-action=edit]")).to_be_focused()
        await kb.press("Enter")
        await expect(a.editor("services").locator("[name=name]")).to_be_focused()
        await kb.press("Escape")
        await expect(a.editor("services")).to_be_hidden()
        await expect(a.row("services", "K").locator("button[data-action=edit]")).to_be_focused()
        # Delete by keyboard: the dialog takes Enter.
        await kb.press("Tab")
        await expect(a.row("services", "K").locator("button[data-action=delete]")).to_be_focused()
        await kb.press("Enter")
        await expect(a.sel("#dlg-confirm")).to_be_visible()
        await expect(a.sel("#confirm-title")).to_have_text("删除业务“K 公积金”？")
        await kb.press("Enter")
        await expect(a.row("services", "K")).to_have_count(0)
        await expect(a.sel("#sec-services h1")).to_be_focused()
        codes = [s["code"] for s in (await api.ok(
            "GET", f"/api/admin/halls/{web_hall.id}/services", admin_name))["services"]]  # fmt: skip
        assert "K" not in codes
        # Sign out by keyboard.
        await tab_to(p, "#signout", backwards=True)
        await kb.press("Enter")
        await expect(a.sel("#view-signin")).to_be_visible()
        await expect(a.sel("#signin-user")).to_be_focused()
        a.assert_clean(*REFUSED)


async def tab_to(page: Page, css: str, *, backwards: bool = False, limit: int = 80) -> None:
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if await page.evaluate("(css) => document.activeElement.matches(css)", css):
            return
        await page.keyboard.press(key)
    raise AssertionError(f"Tab never reached {css}")


# --- WCAG 2.1 AA, by axe-core -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_accessibility(
    browser: Browser,
    web_server: ServerProcess,
    web_hall: HallFixture,
    admin_name: str,
    lang: str,
) -> None:
    api = Api(web_server.base_url)
    newcomer = f"new-{secrets.token_hex(3)}"
    await api.ok("POST", "/api/admin/users", admin_name, {
        "username": newcomer, "display_name": "新人", "role": "supervisor",
        "hall": web_hall.id, "department": None, "password": "given-pass-1",
    })  # fmt: skip
    async with admin_page(browser, web_server.base_url, lang=lang) as a:
        p = a.page
        await no_axe_violations(p, f"{lang} sign-in")
        await a.sign_in(admin_name, "wrong-password")
        await expect(a.sel("#signin-error")).not_to_be_empty()
        await no_axe_violations(p, f"{lang} sign-in with an error")
        if lang == "en":
            await shots(p, "signin-en")
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.choose_hall(web_hall.id)
        for section in SECTIONS:
            await a.go(section)
            await expect(a.sel(f"#sec-{section} .load-error")).to_be_empty()
            await p.wait_for_load_state("networkidle")
            await no_axe_violations(p, f"{lang} {section}")
            add = a.sel(f"#{section}-add")
            if section in ("services", "windows", "departments", "staff"):
                await add.click()
                await a.editor(section).locator("[name=name], [name=display_name]").first.fill("")
                await a.editor(section).locator("button[type=submit]").click()
                await expect(
                    a.editor(section).locator(".field-error:not(:empty)").first
                ).to_be_visible()
                await no_axe_violations(p, f"{lang} {section} editor with errors")
                if section == "windows":
                    await shots(p, f"windows-editor-{lang}")
                await p.keyboard.press("Escape")
        await a.go("halls")
        await a.sel('.day[data-day="wed"] .period input[data-part=open]').first.fill("9")
        await a.sel("#hall-save").click()
        await expect(a.sel('.day[data-day="wed"] .period .field-error').first).not_to_be_empty()
        await a.sel("#cal-import-text").fill("2031-01-01 放个假")
        await a.sel("#cal-import-btn").click()
        await expect(a.field_error("#cal-import", "days")).not_to_be_empty()
        await no_axe_violations(p, f"{lang} halls with errors")
        if lang == "en":
            await expect(a.field_error("#cal-import", "days")).to_have_text(
                "Line 1: say 休 (off) or 班 (work) (2031-01-01 放个假)"
            )
            await shots(p, "halls-en")
        # No catalog key shows instead of words.
        body = await p.evaluate("document.body.innerText")
        assert not [w for w in body.split() if w.count(".") >= 1 and w.split(".")[0] in (
            "app", "nav", "op", "halls", "hours", "cal", "services", "windows", "departments",
            "staff", "audit", "form", "status", "signin", "pw", "role", "day", "kind", "channel",
        )]  # fmt: skip
        await p.click("#signout")
        await expect(a.sel("#view-signin")).to_be_visible()
        # The password change and the no-access views.
        await a.sign_in(newcomer, "given-pass-1")
        await expect(a.sel("#view-password")).to_be_visible()
        await a.sel("#pw-submit").click()
        await expect(a.field_error("#pw-form", "old_password")).not_to_be_empty()
        await no_axe_violations(p, f"{lang} password change")
        await a.sel("#pw-cancel").click()
        await a.sign_in(web_hall.clerk(1).username)
        await expect(a.sel("#view-noaccess")).to_be_visible()
        await no_axe_violations(p, f"{lang} no access")
        a.assert_clean(*REFUSED)


async def test_field_errors_in_english(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    async with admin_page(browser, web_server.base_url, lang="en") as a:
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.choose_hall(web_hall.id)
        await a.go("windows")
        await a.sel("#windows-add").click()
        ed = a.editor("windows")
        await ed.locator("[name=number]").fill("2")
        await ed.locator("button[type=submit]").click()
        await expect(a.field_error("#windows-editor", "number")).to_have_text(
            "window number 2 is taken in this hall"
        )
        # The language switch re-words what is shown, keeping what was typed.
        await ed.locator("[name=name]").fill("Window two again")
        await a.sel("#lang").click()
        await expect(a.field_error("#windows-editor", "number")).to_have_text("本大厅已有 2 号窗口")
        await expect(ed.locator("[name=name]")).to_have_value("Window two again")
        await expect(ed.locator("h2")).to_have_text("新增窗口")
        await expect(a.sel("#sec-windows h1")).to_have_text("窗口")
        a.assert_clean(*REFUSED)


# --- under a strict Content-Security-Policy ----------------------------------------------------------------

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


async def test_works_under_strict_csp(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    """No inline script, handler or style: the page works when the policy forbids them."""

    async def with_csp(route: Route) -> None:
        response = await route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        await route.fulfill(response=response, headers=headers)

    ctx = await browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        await ctx.route("**/admin*", with_csp)
        page = await ctx.new_page()
        a = AdminPage(page)
        await page.goto(web_server.base_url + "/admin")
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.choose_hall(web_hall.id)
        for section in SECTIONS:
            await a.go(section)
            await expect(a.sel(f"#sec-{section} .load-error")).to_be_empty()
        await a.go("windows")
        await a.sel("#windows-add").click()
        await a.editor("windows").locator("[name=number]").fill("3")
        await a.editor("windows").locator("[name=number]").press("Enter")
        await expect(a.field_error("#windows-editor", "number")).to_have_text("本大厅已有 3 号窗口")
        a.assert_clean(*REFUSED)  # a refused inline anything would be a console error here
        # axe's own inline <script> is refused too; it is then evaluated instead.
        await no_axe_violations(page, "under a strict CSP")
    finally:
        await ctx.close()
