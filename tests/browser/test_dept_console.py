"""The department console (/dept) in real headless Chromium against a real server.

Two officers of two departments work one case in parallel by keyboard alone, each
seeing its task arrive live; a rejection needs its reason, a supplement stops the
clock and resume starts it; a deadline passing turns the task red live (a server in
the test's loop, with the test's clock); an officer of a third department never sees
the task; axe finds no WCAG 2.1 AA violation on the inbox, the case or the dialog.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from playwright.async_api import Browser, Route, expect

from server.settings import Settings
from tests.browser.dept_helpers import (
    LIVE_S,
    REFUSED,
    Office,
    dept_page,
    no_axe_violations,
    screenshots,
    seed_office,
)
from tests.browser.inproc import serving
from tests.conftest import PASSWORD, FakeClock, HallFixture, make_hall
from tests.system.server_proc import ServerProcess

LIVE_MS = LIVE_S * 1000


async def office_of(web_server: ServerProcess, web_hall: HallFixture, pg_url: str) -> Office:
    from server.store.store import Store

    store = Store.from_url(pg_url)
    await store.open()
    try:
        return await seed_office(store, web_hall, web_server.base_url, datetime.now(UTC))
    finally:
        await store.close()


async def test_two_departments_approve_a_case_live_by_keyboard(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    office = await office_of(web_server, web_hall, pg_url)
    d1, d2, _ = office.depts
    async with dept_page(browser, office.base) as one, dept_page(browser, office.base) as two:
        await one.sign_in(office.officers[d1])
        await two.sign_in(office.officers[d2])
        await expect(one.rows).to_have_count(0)
        case = await office.intake()
        number = case["number"]
        for c in (one, two):
            # Live, without a reload: the task.created event, marked new.
            await expect(c.row(number)).to_be_visible(timeout=LIVE_MS)
            await expect(c.row(number).locator(".new-tag")).to_have_text("新")
            await expect(c.row(number)).to_have_attribute("data-state", "pending")
            await expect(c.row(number).locator(".pill")).to_have_text("待认领")
            await expect(c.row(number).locator(".badge")).to_contain_text("正常")
            await expect(c.row(number)).to_contain_text("张*三")
            await expect(c.page.locator("#live")).to_contain_text(f"新任务：{number}")
        await screenshots(one.page, "inbox_new_task")

        for c in (one, two):
            await c.open_first(number)
            await c.keys("c")  # 认领
            await expect(c.row(number)).to_have_attribute("data-state", "claimed")
            await expect(c.action("approve")).to_be_visible()
            await expect(c.action("approve")).to_be_enabled()  # not while a request is in flight
            await expect(c.action("claim")).to_be_hidden()
            await c.keys("a")  # 通过: a confirmation, Enter confirms
            await expect(c.page.locator("#dlg-approve")).to_be_visible()
            await expect(c.page.locator("#approve-ok")).to_be_focused()
            await c.keys("Enter")
            await expect(c.page.locator("#dlg-approve")).to_be_hidden()
            # Finished tasks leave the inbox; the case stays open, saying so.
            await expect(c.row(number)).to_have_count(0, timeout=LIVE_MS)
            await expect(c.page.locator("#case-note")).to_contain_text("已通过")
        await expect(two.page.locator("#case-state")).to_have_text("待领取")
        await expect(two.page.locator('#case-tasks li[data-state="approved"]')).to_have_count(2)

        found = await office.case(case["id"])
        assert found["state"] == "result_ready", found
        assert [t["state"] for t in found["tasks"]] == ["approved", "approved"]
        one.assert_clean()
        two.assert_clean()


async def test_reject_needs_a_reason_and_a_supplement_stops_the_clock(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    office = await office_of(web_server, web_hall, pg_url)
    d1 = office.depts[0]
    async with dept_page(browser, office.base) as c:
        await c.sign_in(office.officers[d1])
        # A connection cut as a network would: the console resumes from its position
        # (subscribe with since) and the task taken in meanwhile shows.
        await c.page.evaluate("window.__socket.drop()")
        case = await office.intake(2)
        number = case["number"]
        await expect(c.row(number)).to_be_visible(timeout=LIVE_MS)
        await expect(c.page.locator("#conn")).to_have_attribute("data-state", "online")
        resumed = [f for f in c.sent if '"subscribe"' in f and '"since"' in f]
        assert resumed and f'"dept:{d1}"' in resumed[0], c.sent
        await c.open_first(number)
        error = c.page.locator("#action-error")

        await c.keys("r")  # not claimed yet: said beside the actions, nothing sent
        await expect(error).to_have_text("不予许可：当前不能不予许可")
        # The server's refusal is said beside the action, in its Chinese words.
        refusal = {"error": {"code": "task_claimed", "message": "someone is working on it",
                             "message_zh": "该任务已由 李四 认领"}}  # fmt: skip

        async def refuse(route: Route) -> None:
            await route.fulfill(status=409, content_type="application/json",
                                body=json.dumps(refusal))  # fmt: skip

        await c.page.route("**/api/tasks/*/claim", refuse)
        await c.keys("c")
        await expect(error).to_have_text("认领：该任务已由 李四 认领")
        await c.page.unroute("**/api/tasks/*/claim", refuse)
        await c.keys("c")
        await expect(c.action("reject")).to_be_visible()
        await expect(c.action("reject")).to_be_enabled()  # not while a request is in flight
        await expect(error).to_have_text("")

        # Reject: the dialog asks for the reason and will not go without one.
        dialog, text = c.page.locator("#dlg-reason"), c.page.locator("#reason-text")
        await c.keys("r")
        await expect(dialog).to_be_visible()
        await expect(c.page.locator("#reason-title")).to_have_text(f"不予许可：{number}")
        await expect(text).to_be_focused()
        await c.keys("Control+Enter")
        await expect(c.page.locator("#reason-error")).to_have_text("请填写原因")
        await expect(text).to_have_attribute("aria-invalid", "true")
        await expect(dialog).to_be_visible()
        # Focus stays inside: Tab from the last button comes back to the reason.
        await c.keys("Tab", "Tab")
        await expect(c.page.locator("#reason-ok")).to_be_focused()
        await c.keys("Tab")
        await expect(text).to_be_focused()
        await c.keys("Shift+Tab")
        await expect(c.page.locator("#reason-ok")).to_be_focused()
        await c.keys("Escape")
        await expect(dialog).to_be_hidden()
        await expect(c.row(number)).to_have_attribute("data-state", "claimed")
        assert (await office.case(case["id"]))["state"] == "in_review"

        # Supplement: the clock stops (待补正 on the row; the case is suspended).
        await c.keys("s")
        await expect(c.page.locator("#reason-title")).to_have_text(f"要求补正：{number}")
        await text.press_sequentially("请补交营业执照副本一份")
        await c.keys("Control+Enter")
        await expect(dialog).to_be_hidden()
        await expect(c.row(number)).to_have_attribute("data-state", "supplement")
        await expect(c.row(number).locator(".pill")).to_have_text("待补正")
        await expect(c.row(number).locator(".due-text")).to_contain_text("计时已停止")
        await expect(c.action("resume")).to_be_visible()
        await expect(c.action("resume")).to_be_enabled()  # not while a request is in flight
        await expect(c.action("approve")).to_be_hidden()
        await expect(c.page.locator("#case-facts")).to_contain_text("请补交营业执照副本一份")
        found = await office.case(case["id"])
        assert found["state"] == "suspended", found
        mine = next(t for t in found["tasks"] if t["department"] == d1)
        assert mine["state"] == "supplement" and mine["note"] == "请补交营业执照副本一份"
        await screenshots(c.page, "case_supplement")

        # A reload keeps the sign-in (stored as the clerk console stores its own).
        await c.page.reload()
        await expect(c.page.locator("#conn")).to_have_attribute("data-state", "online")
        await expect(c.row(number)).to_have_attribute("data-state", "supplement")
        await c.open_first(number)
        await c.keys("u")  # 恢复计时
        await expect(c.row(number)).to_have_attribute("data-state", "claimed")
        await expect(c.row(number).locator(".pill")).to_have_text("办理中")
        assert (await office.case(case["id"]))["state"] == "in_review"

        # Reject with a reason: the case is decided, the task leaves.
        await c.keys("r")
        await text.press_sequentially("经营场所不符合食品安全要求")
        await c.keys("Control+Enter")
        await expect(dialog).to_be_hidden()
        await expect(c.row(number)).to_have_count(0, timeout=LIVE_MS)
        found = await office.case(case["id"])
        assert found["state"] == "result_ready" and "经营场所不符合食品安全要求" in found["reasons"]
        actions = [e["action"] for e in found["timeline"]]
        assert {"task.supplement", "task.resume", "task.reject", "rejected"} <= set(actions)
        await expect(c.page.locator("#case-timeline")).to_contain_text("部门不予许可")
        c.assert_clean(*REFUSED)


async def test_a_task_turns_red_live_when_its_deadline_passes(
    browser: Browser, pg_url: str
) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # Wednesday, 10:00 Shanghai
    # Sign-ins last the month the test's clock moves through.
    settings = Settings(database_url=pg_url, secret="dept-console-test",
                        rate_limit_client="1000000/60", token_ttl_s=40 * 86400,
                        ws_heartbeat_s=2.0, ws_poll_s=0.5)  # fmt: skip
    async with serving(settings, clock) as srv:
        ctx = srv.app.state.ow.ctx
        hall = await make_hall(ctx.store, clock.now, hash_passwords=True)
        ctx.forget(hall.id)
        office = await seed_office(ctx.store, hall, srv.base_url, clock.now)
        async with dept_page(browser, office.base) as c:
            await c.sign_in(office.officers[office.depts[0]])
            case = await office.intake(3)
            number = case["number"]
            row = c.row(number)
            await expect(row).to_have_attribute("data-colour", "green", timeout=LIVE_MS)
            assert case["due_day"] == "2026-12-02"  # 5 working days after Wednesday
            await c.open_first(number)

            clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # one working day before
            assert await srv.sweep_cases(hall.id) > 0
            await expect(row).to_have_attribute("data-colour", "yellow", timeout=LIVE_MS)
            await expect(row.locator(".badge")).to_have_text("▲临期")
            await c.keys("2")  # 临期
            await expect(row).to_be_visible()

            clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # the day after the limit
            assert await srv.sweep_cases(hall.id) > 0
            # The row leaves 临期 and shows under 超期, red, said in words; no reload.
            await expect(row).to_have_count(0, timeout=LIVE_MS)
            await c.keys("3")
            await expect(c.page.locator("#tab-overdue")).to_have_attribute("aria-selected", "true")
            await expect(row).to_have_attribute("data-colour", "red")
            await expect(row.locator(".badge")).to_have_text("✖超期")
            await expect(row.locator(".due-text")).to_contain_text("超期 1 个工作日")
            await expect(c.page.locator("#tab-overdue .count")).to_have_text("1")
            await expect(c.page.locator("#case-badge")).to_have_text("✖超期", timeout=LIVE_MS)
            await expect(c.page.locator("#live")).to_contain_text(f"任务 {number} 已超期")
            await screenshots(c.page, "overdue")
            c.assert_clean()


async def test_other_departments_see_nothing_and_axe_finds_no_violation(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    office = await office_of(web_server, web_hall, pg_url)
    d1, _, d3 = office.depts
    async with dept_page(browser, office.base) as c, dept_page(browser, office.base) as other:
        await no_axe_violations(c.page, "sign-in")
        # A clerk is turned away, in words.
        await other.page.fill("#signin-user", office.clerk)
        await other.page.fill("#signin-pass", PASSWORD)
        await other.page.press("#signin-pass", "Enter")
        await expect(other.page.locator("#signin-error")).to_have_text(
            "部门审批台仅供后台审批人员使用，请用审批人员账号登录")  # fmt: skip
        await c.sign_in(office.officers[d1])
        await other.sign_in(office.officers[d3])
        case = await office.intake(4)
        number = case["number"]
        await expect(c.row(number)).to_be_visible(timeout=LIVE_MS)
        await no_axe_violations(c.page, "inbox")

        await c.open_first(number)
        await c.page.locator("#personal-btn").click()
        await expect(c.page.locator("#personal-data")).to_contain_text("张小三")
        await expect(c.page.locator("#personal-box")).to_contain_text("审计日志")
        await expect(c.page.locator("#case-materials li")).to_have_count(3)
        await expect(c.page.locator('#case-materials li[data-key="form"]')).to_contain_text("已收")
        await no_axe_violations(c.page, "case view")
        await screenshots(c.page, "case_view")

        await c.keys("c")
        await expect(c.action("reject")).to_be_visible()
        await expect(c.action("reject")).to_be_enabled()  # not while a request is in flight
        await c.keys("p")  # 暂停计时: the reason dialog
        await expect(c.page.locator("#dlg-reason")).to_be_visible()
        await no_axe_violations(c.page, "reason dialog")
        await screenshots(c.page, "reason_dialog")
        await c.keys("Escape")

        # The third department: nothing on its console, nothing over HTTP either.
        await expect(other.rows).to_have_count(0)
        await expect(other.page.locator("#inbox-empty")).to_have_text(
            "暂无待办任务，新任务会自动出现")  # fmt: skip
        officer = office.officers[d3]
        r = await office.call("GET", "/api/dept/tasks", officer)
        assert r.status_code == 200 and r.json()["tasks"] == [], r.text
        r = await office.call("GET", f"/api/cases/{case['id']}", officer)
        assert r.status_code == 403, r.text
        await no_axe_violations(other.page, "empty inbox")
        c.assert_clean(*REFUSED)
        other.assert_clean()
