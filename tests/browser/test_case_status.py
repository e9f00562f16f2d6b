"""办件查询 on the phone (/m/{hall}/case) in real Chromium at 390×844 against a real server:
the way in from the hall page and the guide, the form's own checks, a case in review (its
step, deadline in words, masked applicant, timeline without staff), a wrong ID suffix
answered exactly as an unknown number, the one-time list of a correction, the reasons of
a refusal, a number locked for the day, the English page; and a result waiting at the
pickup window: 取号领取 takes a phone ticket for it and follows it. Neither the number
nor the suffix ever appears in an address. axe-core checks every state."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.case_page_helpers import PHONE_390, Office, shot
from tests.browser.phone_helpers import Phone, phone
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number


@pytest.fixture
def web_server(fresh_server: ServerProcess) -> ServerProcess:
    """A server per test: the query limit (20 per client in 10 minutes) would count them all."""
    return fresh_server


NOT_FOUND = "没有查到该办件，请核对受理编号和身份证号后4位"


async def ask(page: Page, number: str, suffix: str) -> None:
    await page.locator("#number").fill(number)
    await page.locator("#suffix").fill(suffix)
    await page.locator("#submit").tap()


async def again(p: Phone) -> None:
    await p.page.locator("#again").tap()
    await expect(p.page.locator("#number")).to_be_focused()


def secret_free(p: Phone, *secrets: str) -> None:
    assert not any(s in p.page.url for s in secrets), p.page.url


async def test_a_case_is_found_by_number_and_suffix_and_a_wrong_suffix_says_not_found(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    o = await Office.open(web_server, web_hall, pg_url)
    case = await o.intake(11)
    suffix = id_number(11)[-4:]
    async with phone(browser, f"{web_server.base_url}/m/{web_hall.id}") as p:
        await p.page.set_viewport_size(PHONE_390)
        entry = p.page.locator("#case-entry")
        await expect(entry).to_contain_text("办件查询")
        await shot(p.page, "citizen_case_entry", full=False)
        await p.assert_accessible("the hall page with the status query's entry")
        await entry.tap()
        await p.page.wait_for_url(f"**/m/{web_hall.id}/case")
        await expect(p.page.locator("h1")).to_have_text("办件查询")
        await shot(p.page, "citizen_case_form")
        await p.assert_accessible("the empty query form")

        # The form's own checks, beside each field, before anything is sent.
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#number-error")).to_have_text("请输入受理编号。")
        await expect(p.page.locator("#suffix-error")).to_contain_text("请输入身份证号码的最后 4 位")
        await expect(p.page.locator("#number")).to_be_focused()
        await ask(p.page, "12345", "12")
        await expect(p.page.locator("#number-error")).to_contain_text("受理编号格式不对")
        await expect(p.page.locator("#number")).to_have_attribute("aria-invalid", "true")
        await shot(p.page, "citizen_case_bad_format")
        await p.assert_accessible("the form with its errors")

        # Found: typed in lower case with spaces, the way a phone's keyboard may give it.
        await ask(p.page, f"  {case['number'].lower()} ", suffix)
        card = p.page.locator(f"article.case[data-case='{case['id']}']")
        await expect(card.locator(".case-matter")).to_be_focused()
        await expect(card.locator(".case-matter")).to_have_text("食品经营许可证核发")
        await expect(card.locator(".case-number")).to_have_text(f"受理编号 {case['number']}")
        await expect(card.locator(".case-state")).to_have_text("● 审批中")
        await expect(card.locator(".case-now")).to_have_text(
            "当前环节：2 个部门并联审批中，已通过 0 个。"
        )
        await expect(card.locator(".case-steps [aria-current=step]")).to_contain_text("审批")
        await expect(card.locator(".case-steps .is-done")).to_have_count(2)
        facts = card.locator(".case-facts")
        await expect(facts.locator(".case-who")).to_have_text("李*四")
        await expect(facts.locator(".case-id")).to_have_text(
            f"{id_number(11)[:3]}{'*' * 11}{id_number(11)[-4:]}"
        )
        await expect(facts).to_contain_text("5 个工作日")
        await expect(facts.locator(".chip")).to_have_text(re.compile("● 正常|▲ 即将到期"))
        await expect(facts.locator(".case-left")).to_have_text(re.compile(r"还剩 \d+ 个工作日"))
        log = card.locator(".case-log li")
        await expect(log).to_have_count(3)
        await expect(log.nth(0)).to_contain_text("窗口收件")
        await expect(log.nth(2)).to_contain_text("分送审批部门并联审批：审批局1、审批局2")
        # No staff: neither the clerk's name nor an officer's.
        text = await p.page.locator("main").inner_text()
        assert o.clerk not in text and not any(u in text for u in o.officers.values())
        assert not await p.page.locator("#suffix").input_value()
        secret_free(p, case["number"], suffix)
        await shot(p.page, "citizen_case_found")
        await p.assert_accessible("a case in review")

        # A wrong suffix and an unknown number: one and the same answer.
        await again(p)
        await ask(p.page, case["number"], "0000" if suffix != "0000" else "1111")
        await expect(p.page.locator("#form-error")).to_have_text(NOT_FOUND)
        wrong = await p.text("#form-error")
        await p.page.locator("#number").fill(re.sub(r"\d{4}$", "9999", case["number"]))
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#form-error")).to_have_text(wrong)
        secret_free(p, case["number"], suffix)
        await shot(p.page, "citizen_case_not_found")
        await p.assert_accessible("not found")

        # A correction: the one-time list of what is missing.
        fix = await o.intake(12, decision="correction", materials={"form": "received"})
        await ask(p.page, fix["number"], id_number(12)[-4:])
        card = p.page.locator(f"article.case[data-case='{fix['id']}']")
        await expect(card.locator(".case-state")).to_have_text("! 待补正")
        await expect(card.locator(".case-missing li")).to_have_text(["营业执照", "布局平面图"])
        await expect(card.locator(".case-facts")).to_contain_text("受理后开始计时")
        await shot(p.page, "citizen_case_correction")
        await p.assert_accessible("a correction")

        # A refusal: its reasons.
        await again(p)
        no = await o.intake(13, decision="refuse", reason="不属于本大厅受理范围")
        await ask(p.page, no["number"], id_number(13)[-4:])
        card = p.page.locator(f"article.case[data-case='{no['id']}']")
        await expect(card.locator(".case-state")).to_have_text("✕ 不予受理")
        await expect(card.locator(".case-reasons")).to_contain_text("不属于本大厅受理范围")
        await expect(card.locator(".case-steps")).to_have_count(0)
        await shot(p.page, "citizen_case_refused")
        await p.assert_accessible("a refusal")

        # English, at ?lang=en.
        await p.page.goto(f"{web_server.base_url}/m/{web_hall.id}/case?lang=en")
        await expect(p.page.locator("h1")).to_have_text("Case status")
        await ask(p.page, case["number"], suffix)
        card = p.page.locator(f"article.case[data-case='{case['id']}']")
        await expect(card.locator(".case-state")).to_have_text("● Under review")
        await shot(p.page, "citizen_case_found_en")
        await p.assert_accessible("a case in English")


async def test_a_number_tried_wrongly_too_often_is_locked_for_the_day(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    o = await Office.open(web_server, web_hall, pg_url)
    case = await o.intake(14)
    right = id_number(14)[-4:]
    # Ten different wrong suffixes: the same one again is no new guess and is not counted.
    wrong = [f"{n:04d}" for n in range(11) if f"{n:04d}" != right][:10]
    async with httpx.AsyncClient(base_url=web_server.base_url) as c:
        for suffix in wrong:
            r = await c.post("/api/case-status", json={"number": case["number"], "id_suffix": suffix})
            assert r.status_code == 404, r.text
    async with phone(browser, f"{web_server.base_url}/m/{web_hall.id}/case") as p:
        await p.page.set_viewport_size(PHONE_390)
        # Locked: even the right suffix is not looked up today.
        await ask(p.page, case["number"], right)
        await expect(p.page.locator("#form-error")).to_have_text(
            "该受理编号今日核对错误次数过多，请明天再试或到大厅咨询"
        )
        await expect(p.page.locator("#form-error")).to_be_focused()
        await expect(p.page.locator("#result")).to_be_hidden()
        p.errors[:] = [e for e in p.errors if "status of 429" not in e]
        await shot(p.page, "citizen_case_locked")
        await p.assert_accessible("a locked number")


async def test_a_result_ready_offers_a_pickup_ticket_that_is_followed(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    o = await Office.open(web_server, web_hall, pg_url)
    case = await o.ready(15)
    assert case["state"] == "result_ready"
    suffix = id_number(15)[-4:]
    async with phone(browser, f"{web_server.base_url}/m/{web_hall.id}/guide") as p:
        await p.page.set_viewport_size(PHONE_390)
        # The guide's way in.
        await p.page.locator("#case-link").tap()
        await p.page.wait_for_url(f"**/m/{web_hall.id}/case")
        await ask(p.page, case["number"], suffix)
        card = p.page.locator(f"article.case[data-case='{case['id']}']")
        await expect(card.locator(".case-state")).to_have_text("! 待领取")
        await expect(card.locator(".case-outcome")).to_have_text("办理结果：准予许可")
        await expect(card.locator(".case-now")).to_contain_text(
            "办理结果已出，请到统一出件窗口领取：统一出件窗口"
        )
        await expect(card.locator(".case-steps .is-done")).to_have_count(3)
        await expect(card.locator(".chip")).to_have_text(re.compile("✓ 按时办结"))
        await expect(card.locator(".case-log li").last).to_contain_text("办理结果已出，待领取")
        button = card.get_by_role("button", name=f"取号领取 {case['number']} 的办理结果")
        await expect(button).to_be_visible()
        await shot(p.page, "citizen_case_ready")
        await p.assert_accessible("a result waiting")

        await button.focus()
        await p.page.keyboard.press("Enter")
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text("D001")
        await expect(p.page.locator("#t-service")).to_contain_text("业务D")
        await expect(p.page).not_to_have_url(re.compile("token="))
        secret_free(p, case["number"], suffix)
        kept = await p.stored()
        assert [k["number"] for k in kept.values()] == ["D001"]
        await shot(p.page, "citizen_case_pickup_ticket")
        await p.assert_accessible("the pickup ticket followed")

        # A second pickup ticket while the first waits: said in words beside the button.
        await p.page.goto(f"{web_server.base_url}/m/{web_hall.id}/case")
        await ask(p.page, case["number"], suffix)
        await card.get_by_role("button", name=re.compile("取号领取")).tap()
        await expect(card.locator(".case-pickup-box .error")).to_have_text(
            re.compile("您已有一张领取结果的号票尚未办理")
        )
        p.errors[:] = [e for e in p.errors if "status of 409" not in e]
        await shot(p.page, "citizen_case_pickup_twice")
        await p.assert_accessible("a second pickup ticket refused")
