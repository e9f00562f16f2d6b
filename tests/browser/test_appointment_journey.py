"""An appointment end to end (issue 10), in real Chromium against a real server: two
walk-ins take tickets at the kiosk (1080×1920); a citizen on a phone (375×667) signs in
with the code texted to a local SMS gateway, books a slot whose check-in is open now and
gets the booking code, which the confirmation SMS carries too; the phone's QR code is
read as a scanner reads it and typed into the kiosk with Enter, no touch; the clerk's
call-next at the console calls the appointment before the earlier walk-ins, shown as
"预约 hh:mm", and the walk-ins after it; the phone, following the ticket by the slip's
QR code, shows the call.

The server runs on the wall clock: its hall is open 00:00–24:00 and put in a fixed-offset
zone where it is now about noon (kiosk_helpers.make_bookable), so today has a slot still
to start whose check-in window (from an hour before) is open, whatever the hour.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect

from tests.browser.conftest import shot_path, texts
from tests.browser.displays import PORTRAIT
from tests.browser.kiosk_helpers import (
    BOOKING,
    id_number,
    kiosk_page,
    make_bookable,
    open_slots,
    scan_qr,
    walk_in,
)
from tests.browser.phone_helpers import phone
from tests.browser.test_admin import make_admin
from tests.browser.test_console import console
from tests.browser.test_kiosk_check_in import ON_TIME, printed_ticket
from tests.browser.test_phone_booking import day_zh, slot_button, slot_zh
from tests.conftest import HallFixture
from tests.notify.gateway import FakeGateway
from tests.system.server_proc import ServerProcess

CITIZEN = "13712340010"  # this test's alone: 我的预约 lists a number's bookings in every hall
PERSON = id_number("19820202", serial="077")
# Check-in from an hour before: the first slot starting two minutes or more from now,
# within the next 32, is open to check-in.
RULES = {**BOOKING, "checkin_before_min": 60}


async def test_book_on_the_phone_check_in_by_qr_and_be_called_before_earlier_walk_ins(
    browser: Browser, gw_server: ServerProcess, web_hall: HallFixture, fake_gw: FakeGateway,
    pg_url: str,
) -> None:  # fmt: skip
    base, hall = gw_server.base_url, web_hall.id
    # 1. Service A takes bookings (the administrator's set-up); today's next slot.
    await make_bookable(base, await make_admin(pg_url), hall, "A", RULES)
    soon = datetime.now(UTC) + timedelta(minutes=2)  # still bookable when the phone books
    slot = next(
        s for s in await open_slots(base, hall) if datetime.fromisoformat(s["start"]) > soon
    )
    start = datetime.fromisoformat(slot["start"])
    assert start - timedelta(minutes=RULES["checkin_before_min"]) < datetime.now(UTC)
    hhmm = slot["start"][11:16]

    async with (
        kiosk_page(browser, f"{base}/kiosk/{hall}?done=60", viewport=PORTRAIT) as k,
        phone(browser, f"{base}/m/{hall}/book/A") as p,
        console(browser, base) as c,
    ):
        # Two citizens walk in first and take ordinary tickets at the kiosk.
        await k.ready()
        await walk_in(k, "A001", 1)
        await walk_in(k, "A002", 2)
        await expect(k.page.locator("#tiles .tile[data-service=A] .tile-n")).to_have_text("2")

        # 2. On the phone: today, its next slot, signed in by the code the SMS brought.
        today = p.page.locator("#picker .day").nth(0)
        await expect(today.locator(".day-top")).to_have_text("今天")
        await today.tap()
        await expect(today).to_have_attribute("aria-pressed", "true")
        await slot_button(p, slot).tap()
        await expect(p.page.locator("#signin-when")).to_have_text(f"业务A · {slot_zh(slot)}")
        await p.page.locator("#signin-link").tap()
        await p.page.wait_for_url("**/m/me?next=**")
        await p.page.locator("#si-phone").fill(CITIZEN)
        await p.page.locator("#send").tap()
        [sign_in] = await texts(fake_gw, CITIZEN, "sign_in_code")
        await p.page.locator("#si-code").fill(str(sign_in["params"]["code"]))
        await p.page.locator("#submit").tap()
        await p.page.wait_for_url(f"**/m/{hall}/book/A")
        await expect(p.page.locator("#c-when")).to_have_text(slot_zh(slot))
        await expect(p.page.locator("#c-phone")).to_have_text("137****0010")
        await p.page.locator("#id-number").fill(PERSON)
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#done-title")).to_have_text("✓ 预约成功")
        groups = p.page.locator("#done-code .code-group")
        await expect(groups).to_have_text([re.compile(r"^[2-9A-HJKMNP-Z]{4}$")] * 2)
        code = "".join(await groups.all_inner_texts())
        await expect(p.page.locator("#d-when")).to_have_text(slot_zh(slot))
        opens = start - timedelta(minutes=RULES["checkin_before_min"])
        window = f"{opens:%H:%M}–{slot['end'][11:16]}"
        await expect(p.page.locator("#d-window")).to_have_text(f"{day_zh(slot['start'])} {window}")
        await p.shot("journey-phone-booked-375x667")

        # 3. The confirmation SMS carries the same code and the slot's time.
        [sms] = await texts(fake_gw, CITIZEN, "booking_confirmed")
        assert sms["params"]["code"] == code
        assert code in sms["text"] and slot["start"][5:16].replace("T", " ") in sms["text"]

        # 4. The phone's QR code at the kiosk's scanner: it types the code and Enter.
        scanned = await scan_qr(browser, await p.page.locator("#done-qr svg").evaluate(
            "e => e.outerHTML"))  # fmt: skip
        assert scanned == code
        async with k.page.expect_response(lambda r: r.url.endswith("/check-in")) as answer:
            await k.page.keyboard.type(scanned)
            await k.page.keyboard.press("Enter")
        result = await (await answer.value).json()
        assert not result["late"] and result["appointment"]["state"] == "checked_in"
        await k.at("done")
        assert await k.text("#done-title-text") == "预约签到"
        assert await k.text("#done-note-text") == ON_TIME
        assert await k.text("#done-number") == "A003" == result["ticket"]["number"]
        assert await k.text("#done-ahead") == "前面还有 0 人"  # ahead of both walk-ins
        ticket, slip = await printed_ticket(gw_server, k, 3)
        assert ticket["kind"] == "appointment" and ticket["number"] == "A003"
        assert "A003" in slip and "预约" in slip
        await k.page.screenshot(path=shot_path("journey-kiosk-checked-in-1080x1920"))

        # 我的预约 on the phone: checked in. The phone follows the ticket by the slip's QR.
        await p.page.goto(f"{base}/m/me#appointments")
        card = p.page.locator(".appt").filter(has_text=slot_zh(slot))
        await expect(card.locator(".appt-state")).to_have_text("✓ 已签到")
        [svg] = re.findall(r"<svg.*?</svg>", slip, re.S)
        follow = await scan_qr(browser, svg)
        assert follow == result["ticket"]["follow_url"]
        await p.page.goto(follow)
        await expect(p.page.locator("#t-number")).to_have_text("A003")
        await expect(p.page.locator("#t-state")).to_have_text("○ 等候中")
        await expect(p.page.locator("#t-ahead")).to_have_text("下一位就是您")

        # 5. The clerk opens window 1 and calls: the appointment, not the earlier walk-ins.
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(web_hall.window(1))
        await c.action("call_next").click()
        await c.shows("A003", "called")
        kind = c.page.locator("#cur-kind")
        await expect(kind).to_have_text(f"预约 {hhmm}")
        await expect(kind).to_have_attribute("data-kind", "appointment")
        await c.page.screenshot(path=shot_path("journey-console-appointment-called"))

        # 6. The phone shows the call, live.
        await expect(p.page.locator("#called")).to_be_visible()
        await expect(p.page.locator("#called-number")).to_have_text("A003")
        await expect(p.page.locator("#called-window")).to_have_text("1号窗口")
        await expect(p.page.locator("#called-text")).to_contain_text("请到")
        await p.shot("journey-phone-called-375x667")
        await p.page.locator("#called-ok").tap()
        await expect(p.page.locator("#t-result")).to_have_text("请到 1号窗口 办理。")

        # Served, and the next call is the first walk-in.
        await c.action("start").click()
        await c.shows("A003", "serving")
        await c.action("finish").click()
        await c.idle()
        await c.action("call_next").click()
        await c.shows("A001", "called")
        await expect(kind).to_have_text("普通")
        await expect(p.page.locator("#t-state")).to_have_text("✓ 已办结")
        c.assert_clean()
