"""Online appointments in the clerk console (/console).

A supervisor watches the day's tally per service and slot change live as a clerk books
for citizens, one booking is cancelled and another checked in (all through the API),
with re-reads at most one a second however many events come, and picks other days.
A clerk calls the checked-in citizen's appointment ticket and sees "预约" with its slot
time, in the hall's time zone. axe-core checks the new parts for WCAG 2.1 AA.

The server runs on the wall clock: the hall is open 00:00–24:00 every day and is put in
a fixed-offset zone where it is now about noon, so today always has slots left whose
check-in is open, whatever the hour the suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.kiosk_helpers import id_number
from tests.browser.test_admin import Api, make_admin
from tests.browser.test_console import console, get, issue, screenshots
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess

RULES = {"slot_minutes": 30, "capacity": 4, "checkin_before_min": 120, "days_ahead": 2}
# Each read of the day's appointments, timed by the page itself: [performance.now(), day].
READ_LOG = """
(() => {
  const fetch = window.fetch;
  window.__reads = [];
  window.fetch = function (url, ...rest) {
    const m = /\\/appointments\\?day=([\\d-]+)/.exec(String(url));
    if (m) window.__reads.push([performance.now(), m[1]]);
    return fetch.call(this, url, ...rest);
  };
})();
"""


@dataclass
class Booked:
    http: Http
    today: str  # the hall's business day
    slot: dict[str, Any]  # the slot booked: start, end (ISO with the hall's offset)

    @property
    def hhmm(self) -> str:
        return str(self.slot["start"][11:16])

    async def book(self, serial: str) -> dict[str, Any]:
        """A clerk of the hall books the slot for a citizen."""
        return await self.http.post("/api/appointments", {
            "hall": self.http.hall.id, "service": "A", "slot": self.slot["start"],
            "id_number": id_number(serial=serial), "phone": "13800138000",
        }, user=self.http.hall.clerk(1).username)  # fmt: skip

    async def cancel(self, appointment: dict[str, Any]) -> None:
        token = await self.http.token(self.http.hall.clerk(1).username)
        async with httpx.AsyncClient(base_url=self.http.base) as c:
            r = await c.delete(f"/api/appointments/{appointment['id']}",
                               headers={"authorization": f"Bearer {token}"})  # fmt: skip
            assert r.status_code == 200, r.text

    async def check_in(self, appointment: dict[str, Any]) -> dict[str, Any]:
        done = await self.http.post(f"/api/halls/{self.http.hall.id}/check-in",
                                    {"code": appointment["code"]})  # fmt: skip
        assert not done["late"]
        assert done["ticket"]["kind"] == "appointment"
        return done


async def bookable(server: ServerProcess, hall: HallFixture, pg_url: str) -> Booked:
    """Service A bookable; the hall in a zone where it is about noon; a slot of today
    that starts in a few minutes or more and whose check-in is open."""
    admin = await make_admin(pg_url)
    api = Api(server.base_url)
    offset = 12 - datetime.now(UTC).hour  # hours east of UTC; -11..12
    tz = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-8 is UTC+8
    await api.ok("PATCH", f"/api/admin/halls/{hall.id}", admin, {"tz": tz})
    await api.ok("PATCH", f"/api/admin/halls/{hall.id}/services/A", admin, {"booking": RULES})
    http = Http(server.base_url, hall)
    info = await get(http, f"/api/halls/{hall.id}")
    assert info["tz"] == tz
    found = await get(http, f"/api/halls/{hall.id}/services/A/slots")
    soon = datetime.now(UTC) + timedelta(minutes=3)
    slot = next(s for s in found["slots"] if datetime.fromisoformat(s["start"]) > soon)
    assert slot["start"][:10] == info["business_day"]
    return Booked(http, info["business_day"], slot)


def day_after(day: str, n: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


async def reads(page: Page) -> list[tuple[float, str]]:
    found: list[list[Any]] = await page.evaluate("window.__reads")
    return [(float(t), str(d)) for t, d in found]


async def axe_clean(page: Page, css: str, where: str) -> None:
    found = await violations(page, context=css)
    assert not found, f"{where}:\n{describe(found)}"


async def test_supervisor_sees_the_day_live(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    b = await bookable(web_server, web_hall, pg_url)
    async with console(browser, web_server.base_url) as c:
        page = c.page
        await page.add_init_script(READ_LOG)
        await page.reload()
        await c.sign_in(web_hall.supervisor.username)
        panel = page.locator("#sup-appts")
        summary = page.locator("#appts-summary")
        a = panel.locator('.appts-svc[data-service="A"]')
        await expect(summary).to_have_text(f"今天（{b.today}）共 0 人预约，已签到 0 人")
        await expect(page.locator("#appts-day")).to_have_value(b.today)
        await expect(page.locator("#appts-today")).to_be_disabled()
        await expect(panel.locator(".appts-svc")).to_have_count(1)  # only A takes bookings
        await expect(a).to_contain_text("暂无预约")

        # Two bookings of one slot, then one of them cancelled: live, no reload.
        first = await b.book("101")
        row = a.locator(f'tbody tr[data-time="{b.hhmm}"]')
        cell = {k: row.locator(f'td[data-count="{k}"]')
                for k in ("booked", "checked_in", "late", "missed", "cancelled")}  # fmt: skip
        await expect(cell["booked"]).to_have_text("1")
        second = await b.book("102")
        await expect(cell["booked"]).to_have_text("2")
        await expect(row.locator("td").first).to_have_text("2/4")
        await b.cancel(second)
        await expect(cell["cancelled"]).to_have_text("1")
        await expect(cell["booked"]).to_have_text("1")
        await expect(row.locator("td").first).to_have_text("1/4")

        # The first citizen checks in at the kiosk: checked in, and waiting as "预约 hh:mm".
        await b.check_in(first)
        await expect(cell["checked_in"]).to_have_text("1")
        await expect(cell["booked"]).to_have_text("0")
        for k in ("late", "missed"):
            await expect(cell[k]).to_have_text("0")
        await expect(summary).to_have_text(f"今天（{b.today}）共 1 人预约，已签到 1 人")
        await expect(a.locator("h3")).to_contain_text("1 人预约")
        await expect(a.locator("tfoot td[data-count=checked_in]")).to_have_text("1")
        queued = page.locator("#sup-queue tr").filter(has_text="A001")
        await expect(queued.locator("td").nth(2)).to_have_text(f"预约 {b.hhmm}")
        await expect(a.locator("tbody tr")).to_have_count(1)  # slots without bookings hidden
        await page.check("#appts-all")
        assert await a.locator("tbody tr").count() > 1
        await page.uncheck("#appts-all")

        # A burst of events: the tally is re-read, but never twice within a second.
        before = len(await reads(page))
        for _ in range(6):
            await issue(b.http, "B")
        await page.wait_for_timeout(2500)
        done = await reads(page)
        assert len(done) > before, "ticket events did not refresh today's appointments"
        gaps = [t2 - t1 for (t1, _), (t2, _) in pairwise(done)]
        assert min(gaps) >= 990, gaps  # ms; a browser timer may fire a hair early
        assert len(done) - before <= 4, done

        await axe_clean(page, "#sup-appts", "the day's appointments")
        await screenshots(page, "console-appointments")
        await panel.screenshot(path=shot_path("console-appointments-panel"))

        # Other days: the picker's next day, a typed date, and back to today.
        await page.click("#appts-next")
        tomorrow = day_after(b.today, 1)
        await expect(page.locator("#appts-day")).to_have_value(tomorrow)
        await expect(summary).to_have_text(f"{tomorrow} 共 0 人预约，已签到 0 人")
        await expect(a).to_contain_text("暂无预约")
        await expect(page.locator("#appts-today")).to_be_enabled()
        yesterday = day_after(b.today, -1)
        await page.fill("#appts-day", yesterday)
        await expect(summary).to_have_text(f"{yesterday} 共 0 人预约，已签到 0 人")
        # A booking for today does not disturb the day shown.
        shown = len(await reads(page))
        await b.book("103")
        await page.wait_for_timeout(1500)
        assert (await reads(page))[shown:] == []
        await page.click("#appts-today")
        await expect(summary).to_have_text(f"今天（{b.today}）共 2 人预约，已签到 1 人")
        await expect(cell["booked"]).to_have_text("1")
        assert {d for _, d in await reads(page)} == {b.today, tomorrow, yesterday}

        # In English, and still clean for axe.
        await page.click("#lang")
        await expect(a.locator("thead")).to_contain_text("Checked in")
        await expect(summary).to_have_text(f"Today ({b.today}): 2 booked, 1 checked in")
        await expect(page.locator("#appts-prev")).to_have_attribute("aria-label", "Previous day")
        await axe_clean(page, "#sup-appts", "the day's appointments in English")
        await page.check("#appts-all")
        await panel.screenshot(path=shot_path("console-appointments-panel-en"))
        c.assert_clean()


async def test_clerk_calls_an_appointment(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    b = await bookable(web_server, web_hall, pg_url)
    await issue(b.http, "A")  # a walk-in first: the appointment still goes ahead of it
    done = await b.check_in(await b.book("201"))
    number = done["ticket"]["number"]
    async with console(browser, web_server.base_url) as c:
        page = c.page
        kind = page.locator("#cur-kind")
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(web_hall.window(1))
        await c.action("call_next").click()
        await c.shows(number, "called")
        await expect(kind).to_have_text(f"预约 {b.hhmm}")
        await expect(kind).to_have_attribute("data-kind", "appointment")
        await axe_clean(page, "#current", "an appointment ticket called")
        await screenshots(page, "console-appointment-called")
        # From the window's snapshot too (a reload), and in English.
        await page.reload()
        await c.shows(number, "called")
        await expect(kind).to_have_text(f"预约 {b.hhmm}")
        await page.click("#lang")
        await expect(kind).to_have_text(f"Appointment {b.hhmm}")
        # The walk-in after it says no slot.
        await page.click("#lang")
        await c.action("no_show").click()
        await c.idle()
        await c.action("call_next").click()
        await c.shows("A001", "called")
        await expect(kind).to_have_text("普通")
        c.assert_clean()
