"""/stats and the board's wait alert in real headless Chromium, against one server in the
test's own loop (its clock is the test's): the figures live without a reload when a
ticket is issued, past days from the archive with charts and tables, the long-wait
alert on the stats page and on the hall board, axe on both, screenshots to look at."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from playwright.async_api import Browser, Page, expect

from server.api.state import AppState
from server.settings import Settings
from server.usecases import stats_alert, stats_archive
from server.usecases.tickets import IssueRequest
from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.inproc import serving
from tests.browser.test_console import console
from tests.conftest import PASSWORD, FakeClock, HallFixture, make_hall

LIVE_MS = 5000


async def _no_axe_violations(page: Page, what: str) -> None:
    found = await violations(page)
    assert not found, f"{what}:\n{describe(found)}"


async def _serve(st: AppState, hall: HallFixture, clock: FakeClock, n: int) -> None:
    """n tickets of service A issued, then served at window 1 (a few minutes each)."""
    tickets, windows = st.tickets, st.windows
    for i in range(n):
        await tickets.issue(hall.id, IssueRequest("A"), None, f"k{i}")
    for _ in range(n):
        clock.advance(minutes=4)
        await windows.call_next(hall.window(1), hall.clerk(1))
        await windows.start(hall.window(1), hall.clerk(1))
        clock.advance(minutes=3)
        await windows.finish(hall.window(1), hall.clerk(1))


async def test_stats_page_live_and_the_board_alert(browser: Browser, pg_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # Tuesday, 09:00 Shanghai
    settings = Settings(database_url=pg_url, secret="stats-page-test",
                        rate_limit_client="1000000/60", token_ttl_s=40 * 86400,
                        ws_heartbeat_s=2.0, ws_poll_s=0.5)  # fmt: skip
    async with serving(settings, clock) as srv:
        st = srv.app.state.ow
        ctx = st.ctx
        hall = await make_hall(ctx.store, clock.now, hash_passwords=True)
        ctx.forget(hall.id)
        await st.windows.open(hall.window(1), hall.clerk(1))
        await _serve(st, hall, clock, 4)  # yesterday: frozen by the archive below
        clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
        # Frozen here, or by the app's own day-end loop if it got there first.
        await stats_archive.catch_up(ctx, hall.id, clock.now)
        await _serve(st, hall, clock, 2)  # today, read live

        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        board = await browser.new_page(viewport={"width": 1280, "height": 720})
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(page.close)
            stack.push_async_callback(board.close)
            await page.goto(f"{srv.base_url}/stats")
            await page.fill("#signin-user", hall.supervisor.username)
            await page.fill("#signin-pass", PASSWORD)
            await page.click("#signin-submit")
            issued = page.locator("#tile-issued dd")
            await expect(issued).to_have_text("2", timeout=LIVE_MS)
            await expect(page.locator("#tile-served dd")).to_have_text("2")
            await expect(page.locator("#tile-avg_wait dd")).to_contain_text("分")
            # The range (the last 30 days) has the frozen day and today, charts and tables.
            day_rows = page.locator("#range-day tbody tr")
            await expect(day_rows).to_have_count(2, timeout=LIVE_MS)
            await expect(day_rows.first.locator("th")).to_have_text("2026-11-24")
            await expect(day_rows.first.locator("td").nth(1)).to_have_text("4")
            await expect(page.locator("#days-chart canvas")).to_have_count(1)
            await expect(page.locator("#hist-chart canvas")).to_have_count(1)
            await expect(page.locator("#range-clerk tbody tr")).to_have_count(1)
            await expect(page.locator("#range-clerk tbody th")).to_have_text("窗口1")

            # Live, without a reload: a ticket issued changes the figures within moments.
            await page.evaluate("window.__statsMarker = 1")
            await st.tickets.issue(hall.id, IssueRequest("B"), None, "k-live")
            await expect(issued).to_have_text("3", timeout=LIVE_MS)
            await expect(page.locator("#tile-waiting dd")).to_have_text("1")
            await expect(page.locator("#waiting-rows tr[data-key='B']")).to_be_visible()
            assert await page.evaluate("window.__statsMarker") == 1  # the same page: no reload
            await _no_axe_violations(page, "/stats")
            await page.screenshot(path=shot_path("stats_live"), full_page=True)

            # The longest wait passes the 30-minute target: the board, /stats and the
            # console's supervisor view say so.
            await board.goto(f"{srv.base_url}/display/{hall.id}")
            sup_console = await stack.enter_async_context(console(browser, srv.base_url))
            await sup_console.sign_in(hall.supervisor.username)
            await expect(sup_console.page.locator(".wcard")).to_have_count(4, timeout=LIVE_MS)
            await expect(board.locator("#wait-alert")).to_be_hidden()
            clock.advance(minutes=31)
            assert await stats_alert.sweep(ctx, hall.id, clock.now) is True
            await expect(board.locator("#wait-alert")).to_be_visible(timeout=LIVE_MS)
            await expect(board.locator("#wait-alert")).to_contain_text("等候")
            await expect(page.locator("#alert")).to_be_visible(timeout=LIVE_MS)
            await expect(page.locator("#tile-longest")).to_have_class("tile over")
            band = sup_console.page.locator("#sup-wait-alert")
            await expect(band).to_be_visible(timeout=LIVE_MS)
            await expect(band).to_contain_text("最长等候已超过目标 30 分钟：B")
            await expect(band.locator("a")).to_have_attribute("href", "/stats")
            await board.screenshot(path=shot_path("board_wait_alert"))
            await page.screenshot(path=shot_path("stats_alert"))
            await _no_axe_violations(board, "board with the alert")

            # Served: the alert clears on both, once.
            await st.windows.call_next(hall.window(1), hall.clerk(1))
            assert await stats_alert.sweep(ctx, hall.id, clock.now) is False
            await expect(board.locator("#wait-alert")).to_be_hidden(timeout=LIVE_MS)
            await expect(page.locator("#alert")).to_be_hidden(timeout=LIVE_MS)
            await expect(band).to_be_hidden(timeout=LIVE_MS)
            # A board that loads while the alert is on shows it at once.
            clock.advance(minutes=1)
            await st.tickets.issue(hall.id, IssueRequest("C"), None, "k-late")
            clock.advance(minutes=31)
            assert await stats_alert.sweep(ctx, hall.id, clock.now) is True
            await board.reload()
            await expect(board.locator("#wait-alert")).to_be_visible(timeout=LIVE_MS)
