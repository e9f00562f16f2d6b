"""The supervisor's view of the console: every window live, pause / close, move tickets."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.test_console import console, get, hall_window, issue, screenshots
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess


async def test_supervisor_view(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    http = Http(web_server.base_url, web_hall)
    w1, w2, w3, w4 = (web_hall.window(n) for n in (1, 2, 3, 4))
    for service in ("A", "A", "A", "C", "B"):
        await issue(http, service)
    sup = web_hall.supervisor.username
    await http.post(f"/api/halls/{web_hall.id}/tickets",
                    {"service": "A", "kind": "green", "green_reason": "pregnant"}, user=sup)
    for n in (1, 2, 3):
        await http.post(f"/api/windows/{web_hall.window(n)}/open", user=web_hall.clerk(n).username)
    await http.post(f"/api/windows/{w2}/call-next", user=web_hall.clerk(2).username)

    async with console(browser, web_server.base_url) as c:
        page = c.page
        await c.sign_in(sup)
        card = {w: page.locator(f'.wcard[data-window="{w}"]') for w in (w1, w2, w3, w4)}
        await expect(page.locator(".wcard")).to_have_count(4)
        await expect(card[w1]).to_have_attribute("data-state", "open")
        await expect(card[w2]).to_have_attribute("data-state", "serving")
        await expect(card[w2].locator(".wcard-cur b")).to_have_text("A004")  # green first
        await expect(card[w2].locator(".clerk")).to_have_text("窗口2")
        await expect(card[w4]).to_have_attribute("data-state", "closed")
        await expect(card[w4].locator("button")).to_have_count(3)
        for b in ("pause", "resume", "close"):
            await expect(card[w4].locator(f'button[data-op="{b}"]')).to_be_disabled()
        await expect(page.locator("#sup-queue tr")).to_have_count(5)

        # Pause window 1 with a reason.
        await card[w1].locator('button[data-op="pause"]').click()
        await expect(page.locator("#pause-reason")).to_be_focused()
        await page.fill("#pause-reason", "会议")
        await page.keyboard.press("Enter")
        await expect(card[w1]).to_have_attribute("data-state", "paused")
        await expect(card[w1].locator(".wcard-reason")).to_have_text("会议")
        w = await hall_window(http, w1)
        assert (w["state"], w["pause_reason"]) == ("paused", "会议")

        # Close window 3 (confirm with Enter).
        await card[w3].locator('button[data-op="close"]').click()
        await expect(page.locator("#dlg-confirm")).to_be_visible()
        await page.keyboard.press("Enter")
        await expect(card[w3]).to_have_attribute("data-state", "closed")
        assert (await hall_window(http, w3))["state"] == "closed"

        # Live: a clerk's action elsewhere shows up without a reload.
        await http.post(f"/api/windows/{w2}/no-show", user=web_hall.clerk(2).username)
        await expect(card[w2]).to_have_attribute("data-state", "open")
        await expect(page.locator("#sup-queue tr")).to_have_count(5)

        # Move a waiting A ticket to service D, back of the queue, with a reason.
        row = page.locator('#sup-queue tr[data-number="A002"]')
        await row.locator("button").click()
        await page.select_option("#transfer-service", "D")
        await page.check('#dlg-transfer input[value="back"]')
        await page.fill("#transfer-reason", "综合窗口受理")
        await page.keyboard.press("Enter")
        await expect(page.locator("#dlg-transfer")).to_be_hidden()
        await expect(row.locator("td").nth(1)).to_contain_text("D")
        await expect(page.locator('#sup-counts li[data-service="D"] em')).to_have_text("1")

        # A refused move is explained in the dialog, in words.
        await page.locator('#sup-queue tr[data-number="A001"] button').click()
        await http.post(f"/api/windows/{w2}/call-next", user=web_hall.clerk(2).username)
        await page.select_option("#transfer-service", "C")
        await page.keyboard.press("Enter")
        await expect(page.locator("#dlg-transfer .dlg-error")).to_have_text(
            "只有等候中的号票可以转移，已叫号的请由窗口转号"
        )
        await page.keyboard.press("Escape")
        await expect(page.locator("#dlg-transfer")).to_be_hidden()
        await expect(card[w2].locator(".wcard-cur b")).to_have_text("A001")

        await screenshots(page, "console-supervisor")
        c.assert_clean("409 (Conflict)")  # Chromium logs the refused move's HTTP status

    queue = await get(http, f"/api/halls/{web_hall.id}/queue", sup)
    [a002] = [t for t in queue["tickets"] if t["number"] == "A002"]
    assert (a002["service"], a002["note"]) == ("D", "综合窗口受理")
