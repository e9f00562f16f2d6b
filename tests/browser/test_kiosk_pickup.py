"""The kiosk's 领取结果 in real Chromium at 1920×1080 and 1080×1920 against a real server:
the entry beside 预约签到 and 办事指南; a pickup ticket by 受理编号 on the keypad (the
hall's part shown, not typed) and the ID number's last 4, printed as any ticket with the
results it is for listed; by the whole ID number on the keypad, and from an ID-card
reader that types it on the number screen; a second ticket refused in words; an
unknown number explained with the way back to correct it; the 30 s idle reset that
forgets it all; axe-core on every state."""

from __future__ import annotations

import re

from playwright.async_api import Browser, ViewportSize, expect

from tests.browser.axe import describe, violations
from tests.browser.case_page_helpers import Office, shot
from tests.browser.displays import LANDSCAPE, PORTRAIT
from tests.browser.kiosk_helpers import BOOKING, Kiosk, admin_patch, allow_refused, kiosk_page
from tests.browser.test_admin import make_admin
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number

MATTER = "食品经营许可证核发"
WIDE = ViewportSize(width=LANDSCAPE["width"], height=LANDSCAPE["height"])
TALL = ViewportSize(width=PORTRAIT["width"], height=PORTRAIT["height"])


def url(server: ServerProcess, hall: HallFixture, query: str = "") -> str:
    return f"{server.base_url}/kiosk/{hall.id}{'?' + query if query else ''}"


async def clean(k: Kiosk, where: str) -> None:
    found = await violations(k.page)
    assert not found, f"{where}:\n{describe(found)}"


async def open_pickup(k: Kiosk) -> None:
    await k.ready()
    await expect(k.page.locator("#pk-open")).to_be_visible()
    await k.page.click("#pk-open")
    await k.at("pickup")
    await expect(k.page.locator("#pk-number-input")).to_be_focused()


async def test_a_pickup_ticket_by_number_and_suffix_and_by_id_number(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    o = await Office.open(web_server, web_hall, pg_url)
    first = await o.ready(21)
    both = [await o.ready(22), await o.ready(22)]  # two results for one applicant
    prefix, day, serial = first["number"].split("-")
    # Bookings too: the entry stands beside 预约签到 and 办事指南.
    await admin_patch(web_server.base_url, await make_admin(pg_url),
                      f"/api/admin/halls/{web_hall.id}/services/A", {"booking": BOOKING})  # fmt: skip
    async with kiosk_page(browser, url(web_server, web_hall, "done=60"), viewport=PORTRAIT) as k:
        await k.ready()
        await expect(k.page.locator("#ci-open")).to_be_visible()
        await expect(k.page.locator("#guide-open")).to_be_visible()
        await expect(k.page.locator("#pk-open .checkin-open-title")).to_have_text(
            "领取结果 Collect a result"
        )
        await shot(k.page, "kiosk_pickup_start_1080x1920", full=False)
        await clean(k, "start with the pickup entry")
        await k.page.set_viewport_size(WIDE)
        await shot(k.page, "kiosk_pickup_start_1920x1080", full=False)

        # --- by 受理编号 and the last 4 ---------------------------------------------------------
        await open_pickup(k)
        await expect(k.page.locator(".pk-prefix")).to_have_text(f"{prefix}-")
        await expect(k.page.locator("#pk-hint")).to_contain_text(f"“{prefix}-”之后的部分")
        await k.page.click("#pk-go")  # nothing typed yet: said so
        await expect(k.page.locator("#pk-number-error")).to_contain_text("请先输入受理编号")
        await k.tap_keys(f"{day}-{serial}", "#pk-number-keypad")
        await expect(k.page.locator("#pk-number-input")).to_have_value(f"{day}-{serial}")
        await expect(k.page.locator("#pk-number-count")).to_have_text("已输入 13 位")
        await shot(k.page, "kiosk_pickup_number_1920x1080", full=False)
        await clean(k, "the case number typed")
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-suffix-input")).to_be_focused()
        await expect(k.page.locator("#pk-number-shown")).to_have_text(first["number"])
        await k.tap_keys("12", "#pk-suffix-keypad")
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-suffix-error")).to_contain_text("请输入 4 位")
        await k.page.click("#pk-suffix-keypad [data-key=clear]")
        await k.tap_keys(id_number(21)[-4:], "#pk-suffix-keypad")
        await shot(k.page, "kiosk_pickup_suffix_1920x1080", full=False)
        await clean(k, "the ID suffix typed")
        await k.page.click("#pk-go")
        await k.at("done")
        await expect(k.page.locator("#done-number")).to_have_text("D001")
        await expect(k.page.locator("#done-title-text")).to_have_text("取号成功 · 领取结果")
        await expect(k.page.locator("#done-cases-title")).to_have_text("待领取的办理结果（1 件）")
        await expect(k.page.locator("#done-cases-list li")).to_have_text(
            [re.compile(f"{first['number']}\\s*{MATTER}")]
        )
        await k.wait("(window.__printed || []).length === 1", timeout=10)
        assert (await k.printed())[0].startswith(f"/kiosk/{web_hall.id}/slip/")
        await shot(k.page, "kiosk_pickup_done_1920x1080", full=False)
        await clean(k, "the pickup ticket")
        await k.page.click("#done-home")
        await k.at("start")
        await expect(k.page.locator("#done-cases")).to_be_hidden()

        # --- by the whole ID number, on the keypad: both results on one ticket -----------------
        await open_pickup(k)
        await k.page.click("#pk-mode-id")
        await expect(k.page.locator("#pk-id-input")).to_be_focused()
        await expect(k.page.locator("#pk-mode-id")).to_have_attribute("aria-pressed", "true")
        await k.tap_keys(id_number(22), "#pk-id-keypad")
        await k.page.set_viewport_size(TALL)
        await shot(k.page, "kiosk_pickup_id_1080x1920", full=False)
        await clean(k, "the ID number typed")
        await k.page.click("#pk-go")
        await k.at("done")
        await expect(k.page.locator("#done-number")).to_have_text("D002")
        await expect(k.page.locator("#done-cases-list li")).to_have_count(2)
        await expect(k.page.locator("#done-cases-list")).to_contain_text(both[0]["number"])
        await expect(k.page.locator("#done-cases-list")).to_contain_text(both[1]["number"])
        await shot(k.page, "kiosk_pickup_done_1080x1920", full=False)
        await clean(k, "a ticket for two results")
        await k.page.click("#done-home")

        # --- an ID-card reader on the number screen: taken as the ID; a second ticket refused --
        await open_pickup(k)
        await k.page.keyboard.type(id_number(22))
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        await expect(k.page.locator("#fail-title-text")).to_have_text("未能取号")
        await expect(k.page.locator("#fail-text")).to_have_text(
            "您已有一张领取结果的号票尚未办理，请留意叫号；如号票遗失，请咨询大厅引导员"
        )
        allow_refused(k, 409)
        await k.page.set_viewport_size(WIDE)
        await shot(k.page, "kiosk_pickup_duplicate_1920x1080", full=False)
        await clean(k, "a second pickup ticket refused")
        await k.page.click("#fail-home")
        await k.at("start")


async def test_an_unknown_number_is_explained_and_idle_forgets_it_all(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    o = await Office.open(web_server, web_hall, pg_url)
    case = await o.intake(23)  # in review: nothing to collect yet
    _, day, serial = case["number"].split("-")
    async with kiosk_page(browser, url(web_server, web_hall), clock=True) as k:
        await open_pickup(k)
        await k.tap_keys(f"{day}{serial}", "#pk-number-keypad")  # the dash may be left out
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-number-shown")).to_have_text(case["number"])
        await k.tap_keys(id_number(23)[-4:], "#pk-suffix-keypad")
        await k.page.click("#pk-go")
        await k.at("fail")
        await expect(k.page.locator("#fail-text")).to_have_text(
            "没有查到待领取的办理结果，请核对受理编号或身份证号"
        )
        allow_refused(k, 404)
        await shot(k.page, "kiosk_pickup_unknown_1920x1080", full=False)
        await clean(k, "nothing to collect")
        # The way back: the number as typed, to be checked; the suffix to be typed again.
        await expect(k.page.locator("#fail-fix")).to_have_text("重新输入受理编号")
        await k.page.click("#fail-fix")
        await k.at("pickup")
        await expect(k.page.locator("#pk-number-input")).to_be_focused()
        await expect(k.page.locator("#pk-number-input")).to_have_value(f"{day}{serial}")

        # Left alone: warned, then the start again with nothing kept.
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-suffix-input")).to_be_focused()
        await k.tap_keys("12", "#pk-suffix-keypad")
        await k.page.clock.fast_forward(21_000)
        await k.wait("!document.getElementById('idle-warn').hidden")
        assert await k.step() == "pickup"
        await k.page.clock.fast_forward(10_000)
        await k.at("start")
        for field in ("#pk-number-input", "#pk-suffix-input", "#pk-id-input"):
            assert await k.page.input_value(field) == "", field
        assert await k.text("#pk-number-shown") == ""
        await open_pickup(k)
        await expect(k.page.locator("#pk-number-box")).to_be_visible()
        await expect(k.page.locator("#pk-suffix-box")).to_be_hidden()

        # In high contrast, with an error beside the field.
        await k.page.click("#pref-contrast")
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-number-error")).to_contain_text("请先输入受理编号")
        await shot(k.page, "kiosk_pickup_error_hc_1920x1080", full=False)
        await clean(k, "the pickup step in high contrast")
