"""网上申报 on the phone in real Chromium at 390×844 against a real server and a local SMS
gateway: from a matter's guide, signing in on the way (the code texted to the gateway),
naming the applicant, uploading a PDF and a PNG (type and size shown, one removed), an
executable renamed .pdf refused with the server's Chinese words beside its material,
提交预审 with the 预审编号; the clerk returns it over HTTP with the one missing material
and a note, which the page shows; the material uploaded and the application submitted
again; accepted by the clerk, it shows on "我的" under 我的办件 and 网上申报; a second
application withdrawn. axe-core checks every state."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from tests.browser.case_page_helpers import PHONE_390, Office, shot
from tests.browser.phone_helpers import Gateway, Phone, phone, sms_gateway
from tests.browser.test_console_prereview import PDF, png
from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number

MOBILE = "13712340902"  # this test's own: a phone has at most ten open applications
APPLICANT = id_number(41)
# A Windows executable's first bytes, named as a PDF: refused by what it is.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@pytest.fixture
def server(
    tmp_path: Path, pg_url: str, web_hall: HallFixture, gateway: Gateway
) -> Iterator[ServerProcess]:
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2", ONEWINDOW_SMS_GATEWAY_URL=gateway.url,
                     ONEWINDOW_NOTIFY_POLL_S="0.2")  # fmt: skip
    with running(tmp_path, env) as srv:
        yield srv


def material(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#materials [data-material='{key}']")


async def put_file(page: Page, key: str, name: str, data: bytes, mime: str) -> None:
    await page.locator(f"#mat-{key}-file").set_input_files(
        files=[FilePayload(name=name, mimeType=mime, buffer=data)]
    )


async def sign_in(p: Phone, gateway: Gateway) -> None:
    """On "我的": the mobile number, the code the gateway got, then back where we came from."""
    await p.page.locator("#si-phone").fill(MOBILE)
    await p.page.locator("#send").tap()
    code = await asyncio.to_thread(gateway.wait_code, MOBILE)
    await p.page.locator("#si-code").fill(code)
    await p.page.locator("#submit").tap()


async def test_apply_upload_submit_returned_complete_resubmit(
    browser: Browser, server: ServerProcess, web_hall: HallFixture, pg_url: str, gateway: Gateway
) -> None:
    o = await Office.open(server, web_hall, pg_url)
    base = server.base_url
    async with phone(browser, f"{base}/m/{web_hall.id}/guide/food") as p:
        page = p.page
        await page.set_viewport_size(PHONE_390)
        link = page.locator("#m-apply-link")
        await expect(link).to_have_text("网上申报")
        await link.scroll_into_view_if_needed()
        await shot(page, "citizen_case_apply_entry", full=False)
        await p.assert_accessible("a matter's guide with 网上申报")
        await link.tap()
        await page.wait_for_url(f"**/m/{web_hall.id}/apply/food")
        await expect(page.locator("#signin-box")).to_be_visible()
        await p.assert_accessible("sign in first")
        await page.locator("#signin-link").tap()
        await page.wait_for_url("**/m/me?next=**")
        await sign_in(p, gateway)
        await page.wait_for_url(f"**/m/{web_hall.id}/apply/food")

        # --- the applicant ----------------------------------------------------------------------
        await expect(page.locator("#matter-name")).to_have_text("食品经营许可证核发")
        await page.locator("#name").fill("吴小九")
        await page.locator("#id-number").fill(APPLICANT[:17] + ("0" if APPLICANT[17] != "0" else "1"))
        await page.locator("#create-go").tap()
        await expect(page.locator("#id-number-error")).to_contain_text("最后一位是校验码")
        await shot(page, "citizen_case_apply_form")
        await p.assert_accessible("the applicant's form with an error")
        await page.locator("#id-number").fill(APPLICANT)
        await page.locator("#address").fill("历城区1号")
        await page.locator("#create-go").tap()
        await page.wait_for_url(re.compile(r".*/m/application/[0-9a-f]+$"))
        app_id = page.url.rsplit("/", 1)[1]
        await expect(page.locator("#materials-title")).to_be_focused()
        await expect(page.locator("#materials-title")).to_have_text("申请材料（共 3 项）")
        await expect(page.locator("#app-state")).to_have_text("✎ 填写中")
        await expect(page.locator("#app-applicant")).to_have_text("吴*九")
        await expect(page.locator("#app-id")).to_have_text(f"{APPLICANT[:3]}{'*' * 11}{APPLICANT[-4:]}")
        reference = await p.text("#app-reference")
        assert re.fullmatch(r"YS\d{8}[A-Z0-9]{6}", reference), reference
        await expect(material(page, "licence").locator(".tag")).to_have_text(["必交", "容缺"])
        await p.assert_accessible("a draft")

        # --- uploads: a PDF, a PNG, a picture removed, an executable refused ----------------------
        await put_file(page, "form", "申请书.pdf", PDF, "application/pdf")
        form = material(page, "form")
        await expect(form.locator(".file")).to_have_count(1)
        await expect(form.locator(".file-name")).to_have_text("申请书.pdf")
        await expect(form.locator(".file-meta")).to_have_text(f"PDF · {len(PDF)} B")
        picture = png(320, 200, (21, 101, 192))
        await put_file(page, "plan", "平面图.png", picture, "image/png")
        plan = material(page, "plan")
        await expect(plan.locator(".file-meta")).to_have_text(re.compile(r"PNG 图片 · [\d.]+ KB"))
        await put_file(page, "plan", "多余.png", png(40, 40, (0, 0, 0)), "image/png")
        await expect(plan.locator(".file")).to_have_count(2)
        await plan.get_by_role("button", name="删除 多余.png").tap()
        await expect(plan.locator(".file")).to_have_count(1)
        await expect(plan.locator(".material-status")).to_have_text("已删除 多余.png。")
        await put_file(page, "licence", "营业执照.pdf", EXE, "application/pdf")
        licence = material(page, "licence")
        await expect(licence.locator("[data-role=error]")).to_have_text(
            "营业执照.pdf：只能上传 PDF、JPEG 或 PNG 文件（按文件内容检查，而非文件名）"
        )
        await expect(licence.locator(".file")).to_have_count(0)
        await expect(licence.locator(".no-file")).to_have_text("未上传")
        await shot(page, "citizen_case_apply_uploads")
        await p.assert_accessible("files uploaded, one refused")

        # --- 提交预审: the 容缺 licence may follow -------------------------------------------------
        await expect(page.locator("#waivable-note")).to_contain_text("营业执照")
        await page.locator("#submit").tap()
        await expect(page.locator("#app-title")).to_be_focused()
        await expect(page.locator("#app-title")).to_have_text("已提交预审")
        await expect(page.locator("#app-state")).to_have_text("○ 待预审")
        await expect(page.locator("#app-ref")).to_have_text(reference)
        await expect(page.locator("#submit")).to_be_hidden()
        await expect(page.locator("#materials input[type=file]")).to_have_count(0)
        await shot(page, "citizen_case_apply_submitted")
        await p.assert_accessible("submitted")

        # --- returned by the clerk: the missing list and the note ---------------------------------
        await o.http.post(f"/api/applications/{app_id}/return",
                          {"missing": ["licence"], "note": "请上传营业执照副本扫描件"}, o.clerk)  # fmt: skip
        await page.reload()
        await expect(page.locator("#app-title")).to_have_text("已退回补正")
        await expect(page.locator("#app-state")).to_have_text("! 已退回补正")
        await expect(page.locator("#app-missing-list li")).to_have_text(["营业执照"])
        await expect(page.locator("#app-note-text")).to_have_text("请上传营业执照副本扫描件")
        await expect(licence.locator("[data-role=fix]")).to_have_text("! 需补正")
        await expect(page.locator("#submit")).to_have_text("重新提交预审")
        await shot(page, "citizen_case_apply_returned")
        await p.assert_accessible("returned")
        # Sent again without what the return listed: not sent, said why, and where.
        await page.locator("#submit").tap()
        await expect(page.locator("#submit-error")).to_have_text("请先补传退回时列明的材料：营业执照。")
        await expect(page.locator("#mat-licence-file")).to_be_focused()
        await expect(page.locator("#waivable-note")).to_be_hidden()

        await put_file(page, "licence", "营业执照.pdf", PDF, "application/pdf")
        await expect(licence.locator(".file-name")).to_have_text("营业执照.pdf")
        await expect(licence.locator("[data-role=fix]")).to_have_text("✓ 已补传")
        await page.locator("#submit").tap()
        await expect(page.locator("#app-title")).to_have_text("已提交预审")
        await expect(page.locator("#app-ref")).to_have_text(reference)

        # --- accepted: 我的办件 and 网上申报 on "我的" ----------------------------------------------
        case = await o.http.post(f"/api/applications/{app_id}/accept", {}, o.clerk)
        await page.reload()
        await expect(page.locator("#app-title")).to_have_text("已受理")
        await page.locator("#app-cases-link").tap()
        await page.wait_for_url("**/m/me#cases")
        card = page.locator(f"#cs-list article[data-case='{case['id']}']")
        await expect(card.locator(".case-number")).to_have_text(f"受理编号 {case['number']}")
        await expect(card.locator(".case-state")).to_have_text("● 审批中")
        await expect(card.locator(".case-now")).to_contain_text("2 个部门并联审批中")
        await expect(card.locator(".case-history")).not_to_have_attribute("open", "")
        await card.locator(".case-history summary").tap()
        await expect(card.locator(".case-log li").first).to_contain_text("窗口收件")
        item = page.locator(f"#apl-list [data-application='{app_id}']")
        await expect(item).to_contain_text("✓ 已受理")
        await expect(item).to_contain_text(f"预审编号 {reference}")
        await shot(page, "citizen_case_me")
        await p.assert_accessible("我的 with a case and an application")

        # --- a second application, withdrawn --------------------------------------------------------
        await page.goto(f"{base}/m/{web_hall.id}/apply/food")
        await page.locator("#name").fill("吴小九")
        await page.locator("#id-number").fill(APPLICANT)
        await page.locator("#create-go").tap()
        await page.wait_for_url(re.compile(r".*/m/application/[0-9a-f]+$"))
        await page.locator("#withdraw").tap()
        await expect(page.locator("#withdraw-no")).to_be_focused()
        await p.assert_accessible("withdraw, asked to confirm")
        await page.locator("#withdraw-yes").tap()
        await expect(page.locator("#app-title")).to_have_text("已撤回")
        await expect(page.locator("#app-state")).to_have_text("✕ 已撤回")
        await expect(page.locator("#withdraw-box")).to_be_hidden()
        await shot(page, "citizen_case_apply_withdrawn")
        await p.assert_accessible("withdrawn")

        # The accepted one in English, at ?lang=en.
        await page.goto(f"{base}/m/application/{app_id}?lang=en")
        await expect(page.locator("#app-title")).to_have_text("Accepted")
        await expect(page.locator("#materials-title")).to_have_text("Materials (3 items)")
        await shot(page, "citizen_case_apply_accepted_en")
        await p.assert_accessible("accepted, in English")
