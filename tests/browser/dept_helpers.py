"""The department console (/dept) under test: a hall with three back-office departments
(the first two approve the matter "food" in parallel, the third has nothing to do with
it), one officer each, a clerk who takes cases in over HTTP, and a console page per
officer in a browser context of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from server.auth import hash_password
from server.domain.model import Role, User
from server.store.store import Store
from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.conftest import PASSWORD, HallFixture
from tests.usecases.case_helpers import id_number, matter_body, seed_departments

SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
ALL_RECEIVED = {"form": "received", "licence": "received", "plan": "received"}
# Chromium logs every refused request; the page says what went wrong in its own words.
REFUSED = ("status of 401", "status of 403", "status of 409", "status of 422")
LIVE_S = 5  # "within a few seconds": how long a console may take to show a change


@dataclass
class Office:
    base: str
    hall: HallFixture
    depts: list[str]  # [d1, d2] approve "food"; d3 does not
    officers: dict[str, str]  # department -> its officer's username
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def clerk(self) -> str:
        return self.hall.clerk(1).username

    async def call(self, method: str, path: str, user: str, body: Any = None) -> httpx.Response:
        if user not in self.tokens:
            self.tokens[user] = (await self._login(user))["token"]
        headers = {"authorization": f"Bearer {self.tokens[user]}"}
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as c:
            return await c.request(method, path, headers=headers, json=body)

    async def _login(self, user: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as c:
            r = await c.post("/api/auth/login", json={"username": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            out: dict[str, Any] = r.json()
            return out

    async def intake(self, n: int = 1) -> dict[str, Any]:
        """A clerk takes a case in at the window: every material received, accepted."""
        body = {"hall": self.hall.id, "matter": "food", "materials": ALL_RECEIVED,
                "applicant": {"name": "张小三", "id_number": id_number(n),
                              "phone": "13800001111"}}  # fmt: skip
        r = await self.call("POST", "/api/cases", self.clerk, body)
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        assert out["state"] == "in_review", out
        return out

    async def case(self, case_id: str) -> dict[str, Any]:
        r = await self.call("GET", f"/api/cases/{case_id}", self.clerk)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


async def seed_office(store: Store, hall: HallFixture, base: str, now: datetime) -> Office:
    """Three departments and their officers in the store; the matter through the admin API."""
    officers = await seed_departments(store, hall, now, 3, hash_password(PASSWORD))
    depts = list(officers)
    admin = f"root-{hall.id}"
    await store.add_user(User(f"u-{admin}", admin, "管理员", Role.ADMIN, None,
                              hash_password(PASSWORD)), now)  # fmt: skip
    office = Office(base, hall, depts, {d: o.username for d, o in officers.items()})
    r = await office.call("PUT", f"/api/admin/halls/{hall.id}/matters/food", admin,
                          matter_body(depts[:2]))  # fmt: skip
    assert r.status_code == 201, r.text
    return office


class DeptPage:
    """One console page in its own browser context (its own localStorage)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("console", lambda m: self.problems.append(f"console: {m.text}")
                if m.type == "error" else None)  # fmt: skip
        page.on("dialog", lambda d: self.problems.append(f"alert box: {d.message}"))
        self.sent: list[str] = []  # what the page sent on its WebSockets
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: self.sent.append(str(f))))

    async def sign_in(self, username: str) -> None:
        """Sign in by keyboard, then wait for the live inbox (online, snapshot read)."""
        await self.page.fill("#signin-user", username)
        await self.page.fill("#signin-pass", PASSWORD)
        await self.page.press("#signin-pass", "Enter")
        await expect(self.page.locator("#conn")).to_have_attribute("data-state", "online")
        await expect(self.page.locator("#inbox-empty")).not_to_have_text("正在读取待办任务…")

    @property
    def rows(self) -> Locator:
        return self.page.locator("#inbox-rows tr")

    def row(self, number: str) -> Locator:
        return self.page.locator(f'#inbox-rows tr[data-number="{number}"]')

    def action(self, name: str) -> Locator:
        return self.page.locator(f'#task-actions button[data-act="{name}"]')

    async def keys(self, *keys: str) -> None:
        for k in keys:
            await self.page.keyboard.press(k)

    async def open_first(self, number: str) -> None:
        """j selects the first row, Enter opens its case."""
        await self.keys("j")
        await expect(self.row(number).locator(".num button")).to_be_focused()
        await self.keys("Enter")
        await expect(self.page.locator("#case-number")).to_have_text(number)
        await expect(self.page.locator("#case-timeline li").first).to_be_visible()

    def assert_clean(self, *expected: str) -> None:
        left = [p for p in self.problems if not any(x in p for x in expected)]
        assert not left, left


@asynccontextmanager
async def dept_page(browser: Browser, base: str,
                    size: tuple[int, int] = (1366, 768)) -> AsyncIterator[DeptPage]:  # fmt: skip
    # Under the pages' real Content-Security-Policy: nothing here evaluates strings in the page.
    ctx = await browser.new_context(viewport={"width": size[0], "height": size[1]},
                                    locale="zh-CN")  # fmt: skip
    try:
        page = await ctx.new_page()
        await page.goto(base + "/dept")
        yield DeptPage(page)
    finally:
        await ctx.close()


async def screenshots(page: Page, name: str) -> None:
    for label, (w, h) in SIZES.items():
        await page.set_viewport_size({"width": w, "height": h})
        await page.wait_for_timeout(150)  # let the layout settle
        await page.screenshot(path=shot_path(f"dept_{name}-{label}"))
    await page.set_viewport_size({"width": 1366, "height": 768})


async def no_axe_violations(page: Page, where: str) -> None:
    found = await violations(page)
    assert not found, f"{where}:\n{describe(found)}"
