"""A case (办件) end to end (issue 11), in real Chromium against a real server, across the
kiosk, the clerk console, two department consoles and the phone: the citizen takes a
ticket at the kiosk by touch; the intake clerk takes the case in with the licence
missing and issues the one-time notice (一次性告知), whose page lists it; the citizen
comes back with a new ticket and the clerk finds the case by its 受理编号 and accepts
it; two officers of the two departments, their consoles open side by side, see their
tasks arrive live and approve them by keyboard; the applicant's phone got the notice,
the acceptance and the result-ready texts at a local SMS gateway; at the kiosk,
领取结果 by 受理编号 and the ID number's last 4 gives a pickup ticket, which the pickup
clerk calls and serves, handing the result out to the applicant; and the phone's
办件查询 says 已领取 with the whole timeline.

The server runs on the wall clock: its hall is open 00:00–24:00 and put in a fixed-offset
zone where it is now about noon (kiosk_helpers.noon_zone), so the kiosk issues tickets
and the case's day is a working day whatever the hour the suite runs at. axe-core checks
the states no page test reaches: the department console once both approved, the pickup
pane after the hand-out, the status page of a result collected.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Browser, expect

from tests.browser.case_page_helpers import PHONE_390
from tests.browser.conftest import shot_path, texts
from tests.browser.dept_helpers import LIVE_S, dept_page, no_axe_violations
from tests.browser.kiosk_helpers import admin_patch, kiosk_page, noon_zone, walk_in
from tests.browser.phone_helpers import phone
from tests.browser.test_admin import make_admin
from tests.browser.test_case_status import ask
from tests.browser.test_console import console
from tests.browser.test_console_intake import axe_clean, office, serve_next
from tests.browser.test_kiosk_pickup import open_pickup
from tests.conftest import HallFixture
from tests.notify.gateway import FakeGateway
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number

APPLICANT = id_number(57)
SUFFIX = APPLICANT[-4:]
PHONE = "13712340057"  # this test's alone
MATTER = "食品经营许可证核发"
LIVE_MS = LIVE_S * 1000
# What the status page lists, in order: the notice, the acceptance, both departments'
# review (each claims, then approves), the decision and the hand-out.
TIMELINE = ["received", "correction", "accepted", "in_review", "task.claim", "task.approve",
            "task.claim", "task.approve", "approved", "result_ready", "picked_up"]  # fmt: skip


async def test_a_case_from_the_kiosk_through_two_departments_to_pickup(
    browser: Browser, gw_server: ServerProcess, web_hall: HallFixture, fake_gw: FakeGateway,
    pg_url: str,
) -> None:  # fmt: skip
    base, hall = gw_server.base_url, web_hall.id
    officers = await office(gw_server, web_hall, pg_url)  # "food": two departments, pickup at D
    await admin_patch(base, await make_admin(pg_url), f"/api/admin/halls/{hall}",
                      {"tz": noon_zone(datetime.now(UTC))})  # fmt: skip
    officer1, officer2 = officers.values()

    async with (
        kiosk_page(browser, f"{base}/kiosk/{hall}?done=60") as k,
        console(browser, base) as c,
        dept_page(browser, base) as one,
        dept_page(browser, base) as two,
    ):
        # The officers are at their consoles, nothing to do yet.
        for d, officer in ((one, officer1), (two, officer2)):
            await d.sign_in(officer)
            await expect(d.rows).to_have_count(0)
            await d.page.evaluate("window.__sameLoad = true")  # gone if the page reloads

        # --- 1. the kiosk: a walk-in ticket for the intake service, by touch -------------
        await k.ready()
        await walk_in(k, "A001", 1, person=APPLICANT, home=False)
        await k.page.screenshot(path=shot_path("journey_1_kiosk_ticket"))
        await k.page.click("#done-home")
        await k.at("start")

        # --- 2. the intake window: the case, the licence missing: 一次性告知 ---------------
        page, kb = c.page, c.page.keyboard
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(web_hall.window(1))
        await serve_next(c, "A001")
        await kb.press("i")
        await expect(page.locator("#matter-q")).to_be_focused()
        await kb.type("spjy")
        await expect(page.locator("#matter-list button")).to_have_count(1)
        await kb.press("Enter")
        await expect(page.locator("#matter-name")).to_have_text(MATTER)
        # The kiosk's ID number came with the ticket, masked.
        await expect(page.locator("#ap-ticket")).to_contain_text(re.compile(rf"370\*+{SUFFIX}"))
        await kb.type("张小三")
        await kb.press("Enter")
        await kb.type(APPLICANT)
        await kb.press("Enter")
        await expect(page.locator("#ap-phone")).to_be_focused()
        await kb.type(PHONE)
        await page.click("#mat-all")
        licence = page.locator('#checklist fieldset[data-key="licence"]')
        await licence.locator('input[value="missing"]').check()
        await page.click("#decide-correction")
        result = page.locator("#intake-result")
        await expect(result.locator("#result-title")).to_have_text("已出具一次性告知")
        await expect(result.locator(".missing-list li")).to_have_text([re.compile("^营业执照")])
        number = (await result.locator(".case-number").text_content() or "").strip()
        assert re.fullmatch(rf"{hall.upper()}-\d{{8}}-\d{{4}}", number), number
        await page.screenshot(path=shot_path("journey_2_console_correction"))

        # The notice to print lists the missing material, and only it.
        async with page.context.expect_page() as opened:
            await page.click("#result-print")
        notice = await opened.value
        await expect(notice.locator("#n-number")).to_have_text(number)
        await expect(notice.locator("#n-matter")).to_have_text(MATTER)
        await expect(notice.locator("#n-items tr")).to_have_text([re.compile(r"1\s*营业执照")])
        await notice.screenshot(path=shot_path("journey_2_notice"), full_page=True)
        await notice.close()
        await kb.press("Escape")
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")

        # The citizen comes back with the licence: a new ticket, the case found by number.
        await walk_in(k, "A002", 2, person=APPLICANT)
        await serve_next(c, "A002")
        await kb.press("l")
        await expect(page.locator("#lookup-number")).to_be_focused()
        await kb.type(number)
        await kb.press("Enter")
        await expect(page.locator("#found-title")).to_have_text(f"补正件 {number}")
        await expect(licence).to_have_attribute("data-mark", "missing")
        await licence.locator('input[value="received"]').check()
        await kb.press("Control+Enter")
        await expect(result.locator("#result-title")).to_have_text("已受理")
        await expect(result.locator(".case-pill")).to_have_text("审批中")
        due = re.search(r"(\d{4}-\d{2}-\d{2})（剩 \d+ 个工作日）", await result.inner_text())
        assert due, await result.inner_text()
        await page.screenshot(path=shot_path("journey_2_console_accepted"))
        await kb.press("Escape")
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")
        c.assert_clean()

        # --- 3. the two departments: live, then approved by keyboard ----------------------
        for d in (one, two):
            await expect(d.row(number)).to_be_visible(timeout=LIVE_MS)
            await expect(d.row(number).locator(".new-tag")).to_have_text("新")
            await expect(d.page.locator("#live")).to_contain_text(f"新任务：{number}")
            assert await d.page.evaluate("window.__sameLoad === true"), "the inbox reloaded"
        await one.page.screenshot(path=shot_path("journey_3_dept1_new_task"))
        await two.page.screenshot(path=shot_path("journey_3_dept2_new_task"))
        for d in (one, two):
            await d.open_first(number)
            await d.keys("c")  # 认领
            await expect(d.row(number)).to_have_attribute("data-state", "claimed")
            # The claim's event may come before its answer: the keys wait for the answer.
            await expect(d.action("approve")).to_be_enabled()
            await d.keys("a")  # 通过: a confirmation, Enter confirms
            await expect(d.page.locator("#approve-ok")).to_be_focused()
            await d.keys("Enter")
            await expect(d.row(number)).to_have_count(0, timeout=LIVE_MS)
            await expect(d.page.locator("#case-note")).to_contain_text("已通过")
        await expect(two.page.locator("#case-state")).to_have_text("待领取")
        await expect(two.page.locator('#case-tasks li[data-state="approved"]')).to_have_count(2)
        await no_axe_violations(two.page, "the case once both departments approved")
        await two.page.screenshot(path=shot_path("journey_3_dept2_result_ready"))
        one.assert_clean()
        two.assert_clean()

        # --- 4. the applicant's texts: the notice, the acceptance, the result -------------
        [told] = await texts(fake_gw, PHONE, "case_correction")
        assert told["params"] == {"hall": "测试大厅", "number": number, "matter": MATTER,
                                  "items": "营业执照"}  # fmt: skip
        [accepted] = await texts(fake_gw, PHONE, "case_accepted")
        assert accepted["params"] == {"hall": "测试大厅", "number": number, "matter": MATTER,
                                      "due": due[1]}  # fmt: skip
        [ready] = await texts(fake_gw, PHONE, "case_result_ready")
        assert ready["params"] == {"hall": "测试大厅", "number": number, "matter": MATTER,
                                   "place": "统一出件窗口"}  # fmt: skip
        for sms in (told, accepted, ready):
            assert number in sms["text"] and APPLICANT not in sms["text"]
            assert "张小三" not in sms["text"]
        assert "营业执照" in told["text"] and due[1] in accepted["text"]

        # --- 5. the kiosk again: 领取结果 by 受理编号 and the ID number's last 4 ------------
        prefix, day, serial = number.split("-")
        await open_pickup(k)
        await expect(k.page.locator(".pk-prefix")).to_have_text(f"{prefix}-")
        await k.tap_keys(f"{day}-{serial}", "#pk-number-keypad")
        await k.page.click("#pk-go")
        await expect(k.page.locator("#pk-number-shown")).to_have_text(number)
        await k.tap_keys(SUFFIX, "#pk-suffix-keypad")
        await k.page.click("#pk-go")
        await k.at("done")
        await expect(k.page.locator("#done-number")).to_have_text("D001")
        await expect(k.page.locator("#done-title-text")).to_have_text("取号成功 · 领取结果")
        await expect(k.page.locator("#done-cases-list li")).to_have_text(
            [re.compile(f"{number}\\s*{MATTER}")]
        )
        await k.wait("(window.__printed || []).length === 3")
        await k.page.screenshot(path=shot_path("journey_5_kiosk_pickup_ticket"))
        await k.page.click("#done-home")

    # --- 6. the pickup window: the ticket called, the result handed out -------------------
    async with console(browser, base) as p:
        page, kb = p.page, p.page.keyboard
        await p.sign_in(web_hall.clerk(4).username)
        await p.choose_window(web_hall.window(4))  # serves C and D
        await serve_next(p, "D001")
        await expect(page.locator("#casework-title")).to_have_text("统一出件")
        item = page.locator(f'#pickup-list li[data-number="{number}"]')
        await expect(page.locator("#pickup-status")).to_have_text("共 1 件待领取")
        await expect(item.locator(".pk-result")).to_have_text("办理结果：准予许可")
        await expect(item.locator(".pk-who")).to_contain_text("申请人 张*三")
        await kb.press("h")
        await expect(item.locator(".pk-collector")).to_be_focused()
        await kb.type(APPLICANT)
        await kb.press("Enter")
        await expect(item.locator(".pk-done")).to_have_text("已领取")
        await expect(item).to_have_attribute("data-state", "picked_up")
        await axe_clean(page, "#casework", "the pickup pane after the hand-out")
        await page.screenshot(path=shot_path("journey_6_console_picked_up"))
        await kb.press("Escape")  # out of the pane: the queue keys again
        await kb.press("f")
        await expect(p.current).to_have_attribute("data-state", "open")
        p.assert_clean()

    # --- 7. the phone: 办件查询 says 已领取, with the whole timeline ------------------------
    async with phone(browser, f"{base}/m/{hall}/case") as m:
        await m.page.set_viewport_size(PHONE_390)
        await ask(m.page, number, SUFFIX)
        card = m.page.locator("article.case")
        await expect(card.locator(".case-number")).to_have_text(f"受理编号 {number}")
        await expect(card.locator(".case-state")).to_have_text("✓ 已领取")
        await expect(card.locator(".case-now")).to_contain_text("办理结果已领取，本件办结。")
        await expect(card.locator(".case-outcome")).to_have_text("办理结果：准予许可")
        await expect(card.locator(".case-steps .is-done")).to_have_count(5)
        log = card.locator(".case-log li")
        await expect(log).to_have_count(len(TIMELINE))
        assert [await li.get_attribute("data-action") for li in await log.all()] == TIMELINE
        await expect(log.nth(1)).to_contain_text("一次性告知补正材料")
        await expect(log.nth(5)).to_contain_text(re.compile("审批局[12] 审批通过"))
        await expect(log.last).to_contain_text("结果已领取")
        await m.assert_accessible("a result collected")
        await m.page.screenshot(path=shot_path("journey_7_phone_picked_up"), full_page=True)
