"""Markup in a hall's or a service's name is shown as text on the citizens' pages too:
the kiosk, its printed slip, the phone page and the follow page, under the real CSP."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import shot_path
from tests.browser.test_config_live import XSS, Admin
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess


async def _clean(page: Page) -> None:
    assert await page.evaluate("typeof window.__xss") == "undefined"
    assert await page.locator("img").count() == 0


async def test_names_with_markup_stay_text_on_kiosk_slip_and_phone(
    browser: Browser, pg_url: str, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    base, hall = web_server.base_url, web_hall.id
    admin = await Admin.make(pg_url, web_server, web_hall)
    await admin.call("PATCH", f"/api/admin/halls/{hall}/services/A", {"name": XSS})
    await admin.call("PATCH", f"/api/admin/halls/{hall}", {"name": f"大厅{XSS}"})
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post(f"/api/halls/{hall}/tickets", json={"service": "A", "name": "张小三"})
        assert r.status_code == 201, r.text
        ticket = r.json()

    ctx = await browser.new_context(viewport={"width": 1080, "height": 1920})
    try:
        page = await ctx.new_page()
        await page.goto(f"{base}/kiosk/{hall}")
        await expect(page.locator('[data-service="A"] .tile-name')).to_have_text(XSS)
        await _clean(page)

        await page.goto(base + ticket["slip_url"])
        await expect(page.get_by_text(XSS, exact=True)).to_have_count(1)
        await _clean(page)

        await page.set_viewport_size({"width": 375, "height": 667})
        await page.goto(f"{base}/m/{hall}")
        await expect(page.locator('.svc[data-service="A"] .svc-name')).to_have_text(XSS)
        await _clean(page)

        await page.goto(ticket["follow_url"])
        await expect(page.get_by_text(XSS, exact=True).first).to_be_visible()
        await page.screenshot(path=shot_path("citizen-markup-follow"))
        await _clean(page)
    finally:
        await ctx.close()
