"""Complaints (投诉) end to end in real Chromium, under the pages' real Content-Security-
Policy, against ONE real server (this module's one test) whose texts go to a local SMS
gateway: a complaint filed on the phone (from the hall page's link) and one at the kiosk
by touch alone; the supervisor assigns, investigates, answers and closes on
/supervise/complaints (each complaint's texts read on its detail only); the query code
and then the answer reach the gateway, and the citizen reads the answer by number and
query code (the kiosk's by the code on its screen); a clerk is turned away. axe-core checks
every new view; screenshots are kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Browser, Page, expect

from server.domain import complaint as cp
from server.store import complaints_sql
from server.store.store import Store
from server.usecases.cases import number_prefix
from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path, texts
from tests.browser.displays import LANDSCAPE
from tests.conftest import PASSWORD, HallFixture
from tests.notify.gateway import FakeGateway
from tests.system.server_proc import ServerProcess

PHONE = "13812345678"
PHONE_390 = {"width": 390, "height": 844}
NUMBER = re.compile(r"^TS-[0-9A-Z]+-\d{8}-\d{4}$")
CODE = re.compile(f"^[{cp.CODE_ALPHABET}]{{8}}$")


@asynccontextmanager
async def page_at(browser: Browser, url: str, viewport: dict[str, int]) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "status of" not in m.text else None)  # fmt: skip
    try:
        await page.goto(url)
        yield page
    finally:
        await context.close()
    assert not errors, errors


async def accessible(page: Page, name: str) -> None:
    found = await violations(page)
    await page.screenshot(path=str(shot_path(name)), full_page=True)
    assert not found, f"{name}:\n{describe(found)}"


async def file_on_the_phone(browser: Browser, base: str, hall: HallFixture) -> tuple[str, str]:
    async with page_at(browser, f"{base}/m/{hall.id}", PHONE_390) as page:
        entry = page.locator("#complaint-entry")
        await expect(entry).to_contain_text("投诉建议")
        await entry.click()
        await expect(page).to_have_url(f"{base}/m/{hall.id}/complaint")
        await expect(page.locator("#tab-file")).to_have_attribute("aria-current", "page")
        # The form's own checks first: nothing chosen, nothing written.
        await page.locator("#file-submit").click()
        await expect(page.locator("#subject-error")).to_contain_text("请选择投诉对象")
        await page.locator("input[name=subject][value=window]").check()
        await expect(page.locator("#window option")).to_have_count(1 + len(hall.windows))
        await page.locator("#window").select_option(hall.window(2))
        await page.locator("#file-submit").click()
        await expect(page.locator("#text-error")).to_contain_text("请填写投诉内容")
        await page.locator("#text").fill("12月3日上午在2号窗口办理时，工作人员态度生硬，不解释所缺材料。")
        await page.locator("#name").fill("张三")
        await page.locator("#phone").fill(PHONE)
        await accessible(page, "complaint_phone_form")
        await page.locator("#file-submit").click()
        await expect(page.locator("#filed-title")).to_be_focused()
        number = (await page.locator("#filed-number").inner_text()).strip()
        assert NUMBER.match(number), number
        code = (await page.locator("#filed-code").inner_text()).strip()
        assert CODE.match(code), code
        await expect(page.locator("#filed-help")).to_contain_text("短信")
        await accessible(page, "complaint_phone_filed")
        return number, code


async def file_at_the_kiosk(browser: Browser, base: str, hall: HallFixture) -> tuple[str, str]:
    async with page_at(browser, f"{base}/kiosk/{hall.id}", LANDSCAPE) as page:
        await expect(page.locator("#tiles .tile").first).to_be_visible()
        await page.screenshot(path=str(shot_path("complaint_kiosk_start")))
        await page.locator("#cpk-open").click()
        await expect(page.locator("#step-complaint")).to_be_visible()
        await expect(page.locator("#cpk-title")).to_be_focused()
        step = page.locator("#step-complaint")
        await step.get_by_role("button", name="下一步").click()
        await expect(page.locator("#cpk-error")).to_contain_text("请先选择投诉对象")
        await step.get_by_role("button", name="窗口工作人员").click()
        await expect(step.get_by_role("button", name="窗口工作人员")).to_have_attribute(
            "aria-pressed", "true")
        await step.get_by_role("button", name="1号窗口").click()
        await step.get_by_role("button", name="等候时间过长").click()
        await step.get_by_role("button", name="办事效率低").click()
        await accessible(page, "complaint_kiosk_about")
        await step.get_by_role("button", name="下一步").click()
        await expect(page.locator("#cpk-phone-input")).to_be_focused()
        await accessible(page, "complaint_kiosk_phone")
        await step.get_by_role("button", name="跳过").click()
        await expect(page.locator("#cpk-done-title")).to_be_focused()
        number = (await page.locator("#cpk-number").inner_text()).strip()
        code = (await page.locator("#cpk-code").inner_text()).strip()
        assert NUMBER.match(number) and CODE.match(code), (number, code)
        await accessible(page, "complaint_kiosk_done")
        # Back to the start: nothing of it is left on the screen.
        await step.get_by_role("button", name="返回首页").click()
        await expect(page.locator("#step-start")).to_be_visible()
        await expect(page.locator("#cpk-number")).to_have_count(0)
        return number, code


async def overdue_one(pg_url: str, hall: HallFixture) -> str:
    """A complaint filed three weeks ago and never answered, written as the server
    writes it (the server's clock is the real one: it cannot be moved)."""
    store = Store.from_url(pg_url, b"realtime-test-secret")  # server_env's secret
    await store.open(migrate=False)
    try:
        filed = datetime.now(UTC) - timedelta(days=21)
        day = filed.date()
        x = cp.file(id=f"{hall.id}-old", hall_id=hall.id,
                    number=cp.number(number_prefix(None, hall.id), day, 1), day=day,
                    channel="phone", subject=cp.Subject.HALL, subject_id=None,
                    subject_label="测试大厅", text="洗手间长期无人打扫。",
                    contact=cp.Contact(None, None), now=filed, due=day + timedelta(days=7))  # fmt: skip
        async with store.write(hall.id, filed) as tx:
            await complaints_sql.insert(tx.conn, tx.sealer, x, cp.Contact(None, None),
                                        complaints_sql.secret_fp(tx.sealer, x.number, "23456789"))  # fmt: skip
        return x.number
    finally:
        await store.close()


async def supervise(browser: Browser, base: str, hall: HallFixture, number: str,
                    kiosk_number: str, late: str) -> None:  # fmt: skip
    async with page_at(browser, f"{base}/supervise/complaints", LANDSCAPE) as page:
        await page.locator("#signin-user").fill(hall.supervisor.username)
        await page.locator("#signin-pass").fill(PASSWORD)
        await page.locator("#signin-submit").click()
        rows = page.locator("#cp-rows tr")
        await expect(rows).to_have_count(3)
        await expect(page.locator("#cp-rows")).to_contain_text("工作人员：1号窗口")
        # The overdue one comes first (the oldest deadline), marked by a sign and a word.
        await expect(rows.first).to_contain_text(late)
        await expect(rows.first.locator(".cp-overdue")).to_have_text("⚠ 已超期")
        await expect(page.locator("#cp-summary")).to_have_text("共 3 件，其中超期 1 件")
        await expect(page.locator("nav.sv-nav a[href='/supervise']")).to_have_text("差评整改")
        await accessible(page, "complaint_supervisor_list")
        await page.get_by_role("button", name=f"办理投诉 {number}").click()
        await expect(page.locator("#cp-detail-title")).to_have_text(number)
        await expect(page.locator("#d-contact")).to_have_text("张* 138****5678")
        await page.locator("#d-contact-show").click()
        await expect(page.locator("#d-contact")).to_contain_text(PHONE)
        # Assigned to the supervisor signed in (the default), then each step in turn.
        await page.locator("#act-assign button[type=submit]").click()
        await expect(page.locator("#act-done")).to_have_text("已分派。")
        await page.locator("#a-finding").fill("调阅录像属实，已约谈该工作人员。")
        await page.locator("#act-investigate button[type=submit]").click()
        await expect(page.locator("#act-done")).to_have_text("已记录调查情况。")
        await accessible(page, "complaint_supervisor_detail")
        await page.locator("#a-answer").fill("经核实，已对该工作人员批评教育并责令整改，感谢您的监督。")
        await page.locator("#act-answer button[type=submit]").click()
        await expect(page.locator("#act-done")).to_have_text("已答复。")
        await page.locator("#act-close button[type=submit]").click()
        await expect(page.locator("#act-done")).to_have_text("已办结。")
        await expect(page.locator("#cp-detail-state")).to_contain_text("已办结")
        # The open list now holds the kiosk's and the late one; "all" shows every one,
        # each step timed.
        await expect(rows).to_have_count(2)
        await expect(page.locator("#cp-rows")).to_contain_text(kiosk_number)
        await page.locator("#view-all").click()
        await expect(rows).to_have_count(3)
        closed = page.locator("#cp-rows tr", has_text=number)
        await expect(closed.locator("li")).to_have_count(5)
        await expect(closed).to_contain_text("已办结")


async def query_on_the_phone(browser: Browser, base: str, hall: HallFixture, number: str,
                             secret: str, expect_answer: bool) -> None:  # fmt: skip
    async with page_at(browser, f"{base}/m/{hall.id}/complaint#query", PHONE_390) as page:
        await expect(page.locator("#query-view")).to_be_visible()
        await page.locator("#q-number").fill(number)
        await page.locator("#q-secret").fill("ZZZZZZZZ" if secret != "ZZZZZZZZ" else "YYYYYYYY")
        await page.locator("#query-submit").click()
        await expect(page.locator("#query-error")).to_contain_text("没有查到该投诉")
        await page.locator("#q-secret").fill(f"{secret[:4].lower()}-{secret[4:]}")  # as typed
        await page.locator("#query-submit").click()
        await expect(page.locator("#cp-card-title")).to_have_text(number)
        assert secret not in page.url and number not in page.url
        if expect_answer:
            await expect(page.locator("#cp-answer-text")).to_contain_text("批评教育")
            await expect(page.locator(".cp-step.done")).to_have_count(5)
            await expect(page.locator("#answer-box")).not_to_contain_text("约谈")  # the finding
            await accessible(page, "complaint_phone_answer")
        else:
            await expect(page.locator("#answer-box")).to_contain_text("尚未答复")


async def test_complaints_from_phone_and_kiosk_to_the_answer(
    browser: Browser, gw_server: ServerProcess, web_hall: HallFixture, fake_gw: FakeGateway,
    pg_url: str,
) -> None:
    base = gw_server.base_url
    late = await overdue_one(pg_url, web_hall)
    number, phone_code = await file_on_the_phone(browser, base, web_hall)
    filed = await texts(fake_gw, PHONE, "complaint_filed")
    assert len(filed) == 1 and phone_code in str(filed[0]), filed
    kiosk_number, code = await file_at_the_kiosk(browser, base, web_hall)
    await supervise(browser, base, web_hall, number, kiosk_number, late)
    sms = await texts(fake_gw, PHONE, "complaint_answered")
    assert len(sms) == 1 and number in str(sms[0]), sms
    await query_on_the_phone(browser, base, web_hall, number, phone_code, expect_answer=True)
    await query_on_the_phone(browser, base, web_hall, kiosk_number, code, expect_answer=False)
    # A clerk: the page will not take the sign-in, and the API says 403.
    async with page_at(browser, f"{base}/supervise/complaints", LANDSCAPE) as page:
        await page.locator("#signin-user").fill(web_hall.clerk(1).username)
        await page.locator("#signin-pass").fill(PASSWORD)
        await page.locator("#signin-submit").click()
        await expect(page.locator("#signin-error")).to_have_text("只有值班主任和系统管理员可以处理投诉。")
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/auth/login", json={"username": web_hall.clerk(1).username,
                                                  "password": PASSWORD})  # fmt: skip
        headers = {"authorization": f"Bearer {r.json()['token']}"}
        r = await c.get(f"/api/halls/{web_hall.id}/complaints", headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "role_forbidden")
