"""Single-window intake (一窗受理) and unified pickup (统一出件) in the clerk console.

A clerk serving a ticket takes a case in with one material missing and issues the
one-time notice; the notice page (A4) lists every missing item with masked data only.
The citizen comes back, the clerk finds the case by its 受理编号 and accepts it; both
departments approve over HTTP; the citizen takes a pickup ticket, and the pickup clerk
serving it sees the result, is refused a wrong collector's ID number in Chinese, and
hands it out to the authorised collector. axe-core checks each new panel (WCAG 2.1 AA).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import Browser, Page, expect

from server.auth import hash_password
from server.store.store import Store
from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.test_admin import Api, make_admin
from tests.browser.test_console import Console, console, get, issue
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number, matter_body, seed_departments

APPLICANT = id_number(7)
COLLECTOR = id_number(8)
STRANGER = id_number(9)
# The check character of APPLICANT, changed: a typing slip the page must catch.
SLIP = APPLICANT[:17] + ("0" if APPLICANT[17] != "0" else "1")


async def office(server: ServerProcess, hall: HallFixture, pg_url: str) -> dict[str, str]:
    """Two approving departments with an officer each (department -> username), and the
    matter "food" approved by both: taken in at service A, handed out at service D."""
    store = Store.from_url(pg_url)
    await store.open()
    try:
        officers = await seed_departments(
            store, hall, datetime.now(UTC), 2, hash_password(PASSWORD)
        )
    finally:
        await store.close()
    admin = await make_admin(pg_url)
    await Api(server.base_url).ok("PUT", f"/api/admin/halls/{hall.id}/matters/food", admin,
                                  matter_body(list(officers), pickup_service="D"))  # fmt: skip
    return {d: o.username for d, o in officers.items()}


async def axe_clean(page: Page, css: str, where: str) -> None:
    found = await violations(page, context=css)
    assert not found, f"{where}:\n{describe(found)}"


async def shot(page: Page, name: str) -> None:
    """What the clerk sees on a 1366×768 desk, and the whole panel on a taller screen."""
    for label, height in (("", 768), ("-tall", 1300)):
        await page.set_viewport_size({"width": 1366, "height": height})
        await page.wait_for_timeout(150)  # let the layout settle
        await page.screenshot(path=shot_path(f"console_{name}{label}"))
    await page.set_viewport_size({"width": 1366, "height": 768})


async def serve_next(c: Console, number: str) -> None:
    """Call the next ticket and start serving it, by keyboard."""
    await c.page.keyboard.press("F1")
    await c.shows(number, "called")
    await c.page.keyboard.press("s")
    await c.shows(number, "serving")


async def approve_all(http: Http, officers: dict[str, str], case_id: str) -> dict[str, Any]:
    """Each department's officer claims and approves the case's task, as dept_console would."""
    last: dict[str, Any] = {}
    for officer in officers.values():
        inbox = await get(http, "/api/dept/tasks", officer)
        [task] = [t for t in inbox["tasks"] if t["case"] == case_id]
        for action in ("claim", "approve"):
            last = await http.post(f"/api/tasks/{task['task']}/{action}", {}, officer)
    return last


async def test_intake_notice_return_and_pickup(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    officers = await office(web_server, web_hall, pg_url)
    http = Http(web_server.base_url, web_hall)
    await issue(http, "A", name="张小三", id_number=APPLICANT)
    async with console(browser, web_server.base_url) as c:
        page, kb = c.page, c.page.keyboard
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(web_hall.window(1))
        await kb.press("F1")
        await c.shows("A001", "called")
        # Not before the citizen is being served: said beside the actions.
        await kb.press("i")
        await expect(c.error).to_have_text("受理：请先按 S 开始办理号票")
        await kb.press("s")
        await c.shows("A001", "serving")

        # --- intake by keyboard: matter by pinyin initials, applicant, collector ------------
        await kb.press("i")
        panel = page.locator("#casework")
        await expect(panel).to_be_visible()
        await expect(page.locator("#casework-title")).to_have_text("一窗受理")
        await expect(page.locator('#actions button[data-op="intake"]')).to_have_attribute(
            "aria-expanded", "true"
        )
        await expect(page.locator("#matter-q")).to_be_focused()
        await kb.type("spjy")
        await expect(page.locator("#matter-list button")).to_have_count(1)
        await kb.press("Enter")
        await expect(page.locator("#matter-name")).to_have_text("食品经营许可证核发")
        await expect(page.locator("#ap-name")).to_be_focused()
        await expect(page.locator("#ap-ticket")).to_have_text(
            re.compile(r"号票登记：张\*三 370\*+")
        )
        await kb.type("张小三")
        await kb.press("Enter")  # Enter goes on to the next field
        await expect(page.locator("#ap-id")).to_be_focused()
        await kb.type(SLIP)
        await kb.press("Enter")
        await kb.type("13800001111")
        await page.check("#co-on")
        await expect(page.locator("#co-name")).to_be_focused()
        await kb.type("李四")
        await kb.press("Enter")
        await kb.type(COLLECTOR)
        await page.click("#mat-all")
        licence = page.locator('#checklist fieldset[data-key="licence"]')
        await expect(licence.locator("legend")).to_contain_text("必交")
        await expect(licence.locator("legend")).to_contain_text("可容缺")
        await expect(
            page.locator('#checklist fieldset[data-key="form"] input[value="waived"]')
        ).to_have_count(0)
        await licence.locator('input[value="missing"]').check()
        await expect(licence).to_have_attribute("data-mark", "missing")
        await axe_clean(page, "#casework", "the intake form")
        await shot(page, "intake_form")

        # The ID number's check character is checked here, before anything is sent.
        await page.click("#decide-correction")
        await expect(page.locator("#ap-id-error")).to_have_text("第18位校验码不对，请核对")
        await expect(page.locator("#ap-id")).to_be_focused()
        await expect(page.locator("#ap-id")).to_have_attribute("aria-invalid", "true")
        await page.fill("#ap-id", APPLICANT)
        await expect(page.locator("#ap-id")).not_to_have_attribute("aria-invalid", "true")
        await page.click("#decide-correction")

        result = page.locator("#intake-result")
        await expect(result).to_be_visible()
        await expect(result.locator("#result-title")).to_have_text("已出具一次性告知")
        await expect(result.locator(".case-pill")).to_have_text("待补正")
        await expect(result.locator(".missing-list li")).to_have_count(1)
        await expect(result.locator(".missing-list")).to_contain_text("营业执照")
        await expect(result.locator(".missing-list")).to_contain_text("原件 1 份 · 复印件 1 份")
        await expect(page.locator("#result-print")).to_be_focused()
        number = (await result.locator(".case-number").text_content() or "").strip()
        assert re.fullmatch(rf"{web_hall.id.upper()}-\d{{8}}-\d{{4}}", number), number
        await axe_clean(page, "#casework", "the correction result")
        await shot(page, "intake_correction")
        # The words follow the language, the result stays.
        await page.click("#lang")
        await expect(result.locator("#result-title")).to_have_text("Correction notice issued")
        await expect(result.locator(".case-pill")).to_have_text("Awaiting correction")
        await page.click("#lang")
        await expect(result.locator("#result-title")).to_have_text("已出具一次性告知")

        # --- the notice: a page of its own, masked data only, A4 -----------------------------
        async with page.context.expect_page() as opened:
            await page.click("#result-print")
        notice = await opened.value
        await expect(notice.locator("#notice")).to_be_visible()
        await expect(notice.locator("#n-number")).to_have_text(number)
        await expect(notice.locator("#n-applicant")).to_have_text("张*三")
        await expect(notice.locator("#n-id")).to_have_text(
            re.compile(r"^370\*+" + APPLICANT[-4:] + "$")
        )
        await expect(notice.locator("#n-matter")).to_have_text("食品经营许可证核发")
        await expect(notice.locator(".hall-name").first).to_have_text("测试大厅")
        await expect(notice.locator("#n-window")).to_have_text("1号窗口")
        rows = notice.locator("#n-items tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_text(
            re.compile(r"1\s*营业执照\s*1 份\s*1 份\s*必交，可容缺")
        )
        await expect(notice.locator("#print")).to_be_focused()
        html = await notice.content()
        assert APPLICANT not in html and "张小三" not in html and "13800001111" not in html
        await axe_clean(notice, "body", "the notice page")
        await notice.screenshot(path=shot_path("console_notice"), full_page=True)
        await notice.emulate_media(media="print")
        await notice.set_viewport_size({"width": 642, "height": 971})  # A4 less its margins
        await notice.screenshot(path=shot_path("console_notice_print"), full_page=True)
        await expect(notice.locator("#print")).to_be_hidden()
        pdf = await notice.pdf(prefer_css_page_size=True)
        sizes = {
            tuple(round(float(x)) for x in m)
            for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        }
        assert sizes == {(595, 842)}, sizes  # A4 in points, every page
        await notice.close()

        await kb.press("Escape")  # out of the panel: the queue keys again
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")
        await expect(panel).to_be_hidden()  # the case work went with the ticket

        # --- the citizen comes back with the licence ------------------------------------------
        await issue(http, "A", name="张小三", id_number=APPLICANT)
        await serve_next(c, "A002")
        await kb.press("l")
        await expect(page.locator("#lookup-number")).to_be_focused()
        await kb.type(number.lower())
        await kb.press("Enter")
        await expect(page.locator("#found-title")).to_have_text(f"补正件 {number}")
        await expect(page.locator("#found-facts")).to_contain_text("告知补正 1 项")
        await expect(page.locator("#decide-correction")).to_be_hidden()
        await expect(licence).to_have_attribute("data-mark", "missing")
        await expect(page.locator('#checklist fieldset[data-key="form"]')).to_have_attribute(
            "data-mark", "received"
        )
        await axe_clean(page, "#casework", "a case found in correction")
        await shot(page, "intake_found")
        await licence.locator('input[value="received"]').check()
        await kb.press("Control+Enter")
        await expect(result.locator("#result-title")).to_have_text("已受理")
        await expect(result.locator(".case-pill")).to_have_text("审批中")
        await expect(result).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}（剩 \d+ 个工作日）"))
        await expect(result.locator(".case-number")).to_have_text(number)
        await axe_clean(page, "#casework", "the accepted result")
        await shot(page, "intake_accepted")
        await kb.press("Escape")
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")
        c.assert_clean()

    found = await get(
        http, f"/api/halls/{web_hall.id}/cases?number={number}", web_hall.clerk(1).username
    )
    assert found["state"] == "in_review" and found["checklist"]["licence"] == "received"
    assert found["collector"] and found["collector"].startswith("李*")
    assert (await approve_all(http, officers, found["id"]))["state"] == "result_ready"

    # --- pickup at another window ---------------------------------------------------------
    taken = await http.post(f"/api/halls/{web_hall.id}/pickup-tickets",
                            {"number": number, "id_suffix": APPLICANT[-4:]})
    assert taken["ticket"]["service"] == "D"
    async with console(browser, web_server.base_url) as p:
        page, kb = p.page, p.page.keyboard
        await p.sign_in(web_hall.clerk(4).username)
        await p.choose_window(web_hall.window(4))  # serves C and D
        await serve_next(p, taken["ticket"]["number"])
        # A pickup ticket opens the pickup pane by itself, with that citizen's results.
        await expect(page.locator("#casework-title")).to_have_text("统一出件")
        item = page.locator(f'#pickup-list li[data-number="{number}"]')
        await expect(item).to_be_visible()
        await expect(page.locator("#pickup-status")).to_have_text("共 1 件待领取")
        await expect(item.locator(".pk-result")).to_have_text("办理结果：准予许可")
        await expect(item.locator(".pk-who")).to_contain_text("申请人 张*三 370")
        await expect(item.locator(".pk-who")).to_contain_text("代领人 李*")
        await expect(item.locator(".pk-waived")).to_have_count(0)
        await axe_clean(page, "#casework", "the pickup pane")
        await kb.press("h")  # the key focuses the first collector field
        await expect(item.locator(".pk-collector")).to_be_focused()
        await kb.type(STRANGER)
        await kb.press("Enter")
        error = item.locator(".pk-error")
        await expect(error).to_have_text("身份证号与申请人或授权代领人不符，不能领取")
        await expect(item.locator(".pk-collector")).to_have_attribute("aria-invalid", "true")
        await axe_clean(page, "#casework", "the pickup pane with an error")
        await shot(page, "pickup_refused")
        await item.locator(".pk-collector").fill(COLLECTOR)
        await kb.press("Enter")
        await expect(item.locator(".pk-done")).to_have_text("已领取")
        await expect(item).to_have_attribute("data-state", "picked_up")
        await shot(page, "pickup_done")
        p.assert_clean("403")  # Chromium logs the refused hand-out's status

    after = await get(http, f"/api/cases/{found['id']}", web_hall.clerk(4).username)
    assert after["state"] == "picked_up"
    assert after["timeline"][-1]["note"].startswith("代领：李*")


async def test_refusal_waiver_and_mailing_on_demand(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    """A refusal needs its reason; a case accepted with 容缺 is approved with waiver, and
    its result leaves the hall only once the waived material came: mailed here, found by
    ID number at a free window."""
    officers = await office(web_server, web_hall, pg_url)
    http = Http(web_server.base_url, web_hall)
    applicant = id_number(21)
    await issue(http, "A", name="王五", id_number=applicant)
    async with console(browser, web_server.base_url) as c:
        page, kb = c.page, c.page.keyboard
        await c.sign_in(web_hall.clerk(1).username)
        await c.choose_window(web_hall.window(1))
        await serve_next(c, "A001")
        await kb.press("i")
        await kb.type("食品")  # a name substring finds it too
        await expect(page.locator('#matter-list button[data-code="food"]')).to_be_visible()
        await kb.press("ArrowDown")
        await expect(page.locator('#matter-list button[data-code="food"]')).to_be_focused()
        await kb.press("Enter")
        await page.fill("#ap-name", "王五")
        await page.fill("#ap-id", applicant)
        await page.click("#decide-refuse")
        await expect(page.locator("#reason-error")).to_have_text("不予受理须写明原因")
        await expect(page.locator("#refuse-reason")).to_be_focused()
        await kb.type("不属于本厅受理范围")
        await page.click("#decide-refuse")
        result = page.locator("#intake-result")
        await expect(result.locator("#result-title")).to_have_text("不予受理")
        await expect(result).to_contain_text("不属于本厅受理范围")
        await expect(result.locator(".case-pill")).to_have_text("不予受理")
        await axe_clean(page, "#casework", "the refusal")
        await shot(page, "intake_refused")

        # The button shows and hides the panel; the key goes back into it as it was.
        intake = page.locator('#actions button[data-op="intake"]')
        await intake.click()
        await expect(page.locator("#casework")).to_be_hidden()
        await expect(intake).to_have_attribute("aria-expanded", "false")
        await kb.press("i")
        await expect(page.locator("#result-again")).to_be_focused()

        # Another case for the same citizen: the licence waived (容缺).
        await kb.press("Enter")
        await expect(page.locator("#matter-q")).to_be_focused()
        await expect(page.locator("#ap-name")).to_have_value("")
        await kb.type("spjy")
        await expect(page.locator("#matter-list button")).to_have_count(1)
        await kb.press("Enter")
        await kb.type("王五")
        await kb.press("Enter")
        await kb.type(applicant)
        await page.click("#mat-all")
        await page.locator('#checklist fieldset[data-key="licence"] input[value="waived"]').check()
        await kb.press("Control+Enter")
        await expect(result.locator("#result-title")).to_have_text("已受理")
        number = (await result.locator(".case-number").text_content() or "").strip()
        await kb.press("Escape")
        await kb.press("f")
        await expect(c.current).to_have_attribute("data-state", "open")
        await expect(page.locator("#casework")).to_be_hidden()
        c.assert_clean()

    case = await get(
        http, f"/api/halls/{web_hall.id}/cases?number={number}", web_hall.clerk(1).username
    )
    assert (await approve_all(http, officers, case["id"]))["state"] == "result_ready"

    async with console(browser, web_server.base_url) as p:
        page, kb = p.page, p.page.keyboard
        await p.sign_in(web_hall.clerk(4).username)
        await p.choose_window(web_hall.window(4))
        await kb.press("h")  # no ticket: find by ID number, to mail the result
        await expect(page.locator("#pickup-for")).to_have_text(
            "未在办理号票：可按身份证号查找（如办理邮寄）"
        )
        await expect(page.locator("#pickup-id")).to_be_focused()
        await kb.type(applicant[:17])
        await kb.press("Enter")
        await expect(page.locator("#pickup-error")).to_have_text("身份证号应为18位，现为 17 位")
        await kb.type(applicant[17])
        await kb.press("Enter")
        item = page.locator(f'#pickup-list li[data-number="{number}"]')
        await expect(item.locator(".pk-result")).to_have_text("办理结果：准予许可（容缺受理）")
        box = item.locator(".pk-waived")
        await expect(item.locator(".pk-waived-row")).to_have_text("容缺材料已收齐：营业执照")
        await item.locator(".pk-collector").fill(applicant)
        await item.locator(".pk-collector").press("Enter")
        error = item.locator(".pk-error")
        await expect(error).to_have_text("请先收齐容缺受理时后补的材料")
        await expect(box).to_be_focused()
        await axe_clean(page, "#casework", "a waived result")
        await shot(page, "pickup_waived")
        await item.locator(".pk-tracking").press("Enter")
        await expect(error).to_have_text("请填写邮件单号")
        await item.locator(".pk-tracking").fill("SF1234567890")
        await item.locator(".pk-tracking").press("Enter")
        await expect(error).to_have_text("该办件为容缺受理，须先收齐后补材料才能领取")
        await box.check()
        await item.locator(".pk-tracking").press("Enter")
        await expect(item.locator(".pk-done")).to_have_text("已邮寄，单号 SF1234567890")
        p.assert_clean("409")  # Chromium logs the refused hand-out's status

    after = await get(http, f"/api/cases/{case['id']}", web_hall.clerk(4).username)
    assert (after["state"], after["tracking_no"]) == ("mailed", "SF1234567890")
