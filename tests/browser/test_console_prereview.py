"""Pre-review (预审) of online applications (网上申报) in the clerk console.

A citizen signed in by SMS code applies for a matter over HTTP, uploads a PDF and a PNG
and submits. The clerk's W button counts it; the pane lists it, the review shows each
material with its files and a mark (uploaded: 已收, else 缺); the PNG appears beside the
list (fetched with the clerk's token, shown from a blob: URL under the console's real
Content-Security-Policy), the PDF opens in a new tab. An empty list is not sent back;
the return lists the one missing material and the citizen is texted it. The citizen
uploads it and submits again; the queue shows it again, and 受理 makes it a case in
review, its 受理编号 shown. axe-core checks the queue, the review and both results.
"""

from __future__ import annotations

import asyncio
import re
import struct
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from server.store.store import Store
from tests.browser.phone_helpers import Gateway, citizen_call, citizen_session, sms_gateway
from tests.browser.test_console import Console, get
from tests.browser.test_console_intake import axe_clean, office, shot
from tests.conftest import HallFixture
from tests.realtime.conftest import Http, running, server_env
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number

PHONE = "13712340531"  # this test's own: a phone has at most ten open applications
APPLICANT = id_number(31)
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
       b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")  # fmt: skip


def png(width: int, height: int, ink: tuple[int, int, int]) -> bytes:
    """A real PNG (a scan's stand-in: a grid of lines), so the page has a picture to show."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            rows += bytes(ink) if x % 40 < 3 or y % 40 < 3 else b"\xfa\xfa\xf5"
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))  # fmt: skip


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


@asynccontextmanager
async def strict_console(browser: Browser, base: str) -> AsyncIterator[Console]:
    """The console under its real Content-Security-Policy (no harness eval: locators only),
    so a blob: image it may not show would fail here, and say so on the console."""
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                    bypass_csp=False)  # fmt: skip
    try:
        page = await ctx.new_page()
        c = Console(page)
        await page.goto(base + "/console")
        yield c
    finally:
        await ctx.close()


async def upload(base: str, session: dict[str, Any], app: str, material: str, name: str,
                 data: bytes) -> dict[str, Any]:  # fmt: skip
    """A file put as the phone page puts it: the raw bytes as the body."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.put(f"/api/applications/{app}/files/{material}", params={"name": name},
                        content=data, headers={"authorization": f"Citizen {session['token']}"})  # fmt: skip
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


async def citizen_ok(base: str, session: dict[str, Any], method: str, path: str,
                     body: Any = None) -> dict[str, Any]:  # fmt: skip
    r = await citizen_call(base, session, method, path, body)
    assert r.status_code in (200, 201), r.text
    out: dict[str, Any] = r.json()
    return out


def texts(gateway: Gateway, template: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The parameters of each ``template`` text the gateway got for PHONE (waiting a little)."""
    deadline = time.monotonic() + timeout
    while True:
        with gateway.lock:
            found = [dict(p["params"]) for p in gateway.posts
                     if p.get("template") == template and p.get("phone") == PHONE]  # fmt: skip
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


async def natural_width(page: Page) -> int:
    """The width of the picture the viewer shows, once it has loaded (0 if it cannot)."""
    for _ in range(100):
        width: int = await page.locator("#pr-img").evaluate(
            "img => img.complete ? img.naturalWidth : -1"
        )
        if width >= 0:
            return width
        await asyncio.sleep(0.05)
    return -1


async def test_prereview_return_resubmit_accept(
    browser: Browser, server: ServerProcess, web_hall: HallFixture, pg_url: str, gateway: Gateway
) -> None:
    await office(server, web_hall, pg_url)
    base = server.base_url
    http = Http(base, web_hall)
    clerk = web_hall.clerk(1).username

    # --- the citizen applies online: the form as a PDF, the floor plan as a PNG ---------------
    me = await citizen_session(base, gateway, PHONE)
    app = await citizen_ok(base, me, "POST", "/api/applications", {
        "hall": web_hall.id, "matter": "food",
        "applicant": {"name": "吴九", "id_number": APPLICANT, "address": "历城区1号"}})  # fmt: skip
    await upload(base, me, app["id"], "form", "申请书.pdf", PDF)
    await upload(base, me, app["id"], "plan", "平面图.png", png(320, 200, (21, 101, 192)))
    assert (await citizen_ok(base, me, "POST", f"/api/applications/{app['id']}/submit"))[
        "state"] == "submitted"  # fmt: skip
    reference = app["reference"]

    async with strict_console(browser, base) as c:
        page, kb = c.page, c.page.keyboard
        await c.sign_in(clerk)
        await c.choose_window(web_hall.window(1))
        button = c.action("prereview")
        badge = page.locator("#pr-badge")
        # The count shows on the button before the pane is ever opened.
        await expect(badge).to_be_visible()
        await expect(page.locator("#pr-badge-n")).to_have_text("1")
        await expect(button).to_have_accessible_name(re.compile("网上申报.*W.*1 件待预审"))

        # --- the queue: W, no ticket needed --------------------------------------------------
        await kb.press("w")
        await expect(page.locator("#casework-title")).to_have_text("网上申报预审")
        await expect(button).to_have_attribute("aria-expanded", "true")
        item = page.locator(f'#pr-list li[data-reference="{reference}"] button')
        await expect(item).to_be_focused()
        await expect(item).to_contain_text("食品经营许可证核发")
        await expect(item).to_contain_text("2 个文件")
        await expect(item).to_contain_text(re.compile(r"提交于 今天 \d\d:\d\d"))
        await expect(item.locator(".pr-again")).to_be_hidden()
        await expect(page.locator("#pr-status")).to_have_text("共 1 件，先提交的排在前面")
        await axe_clean(page, "#casework", "the pre-review queue")
        await shot(page, "prereview_queue")

        # --- the review: marks prefilled from the uploads --------------------------------------
        await kb.press("Enter")
        await expect(page.locator("#pr-title")).to_have_text(f"预审编号 {reference}")
        await expect(page.locator("#pr-state")).to_have_text("待预审")
        await expect(page.locator("#pr-facts")).to_contain_text("食品经营许可证核发")
        rows = page.locator("#pr-checklist fieldset.mat")
        await expect(rows).to_have_count(3)
        form, licence, plan = (page.locator(f'#pr-checklist fieldset[data-key="{k}"]')
                               for k in ("form", "licence", "plan"))  # fmt: skip
        await expect(form).to_have_attribute("data-mark", "received")
        await expect(licence).to_have_attribute("data-mark", "missing")
        await expect(plan).to_have_attribute("data-mark", "received")
        await expect(licence.locator(".pr-none")).to_have_text("未上传文件")
        await expect(form.locator(".pr-files li")).to_contain_text(
            re.compile(r"申请书\.pdf\s*PDF · \d+ B")
        )
        await expect(form.locator('input[value="received"]')).to_be_focused()

        # The PNG shows beside the list, fetched with the clerk's token.
        view = plan.get_by_role("button", name="查看 平面图.png")
        await view.click()
        await expect(page.locator("#pr-viewer-status")).to_have_text(
            "正在显示：布局平面图 · 平面图.png"
        )
        await expect(page.locator("#pr-img")).to_be_visible()
        await expect(page.locator("#pr-img")).to_have_attribute("alt", "布局平面图 · 平面图.png")
        await expect(page.locator("#pr-img")).to_have_attribute("src", re.compile(r"^blob:"))
        assert await natural_width(page) == 320
        await axe_clean(page, "#casework", "the review with a picture")
        await shot(page, "prereview_review")
        # The words follow the language; the marks and the picture stay.
        await page.click("#lang")
        await expect(page.locator("#pr-title")).to_have_text(f"Pre-review {reference}")
        await expect(page.locator("#pr-viewer-status")).to_have_text(
            "Showing: 布局平面图 · 平面图.png"
        )
        await expect(licence.locator('input[value="missing"]')).to_be_checked()
        await expect(button).to_contain_text("Online apps")
        await shot(page, "prereview_review_en")
        await page.click("#lang")
        await expect(page.locator("#pr-title")).to_have_text(f"预审编号 {reference}")

        # The PDF opens in a new tab of its own.
        async with page.context.expect_page() as opened:
            await form.get_by_role("button", name="查看 申请书.pdf").click()
        tab = await opened.value
        await expect(page.locator("#pr-viewer-status")).to_have_text(
            "已在新标签页打开：申请书 · 申请书.pdf"
        )
        for _ in range(100):
            if tab.url.startswith("blob:"):
                break
            await asyncio.sleep(0.05)
        assert tab.url.startswith("blob:"), tab.url
        await tab.close()

        # --- 退回补正: an empty list is not sent --------------------------------------------------
        await licence.locator('input[value="received"]').check()
        await page.click("#pr-return")
        await expect(page.locator("#pr-materials-error")).to_have_text(
            "退回补正须列明缺少的材料：请先把缺少或需更正的材料标为「缺」"
        )
        await expect(page.locator("#pr-decide-error")).to_have_text("请先改正标出的项目")
        await licence.locator('input[value="missing"]').check()
        await page.fill("#pr-note", "请上传营业执照（副本扫描件）")
        await page.click("#pr-return")
        result = page.locator("#pr-result")
        await expect(result.locator("#pr-result-title")).to_have_text("已退回补正")
        await expect(result.locator(".missing-list li")).to_have_count(1)
        await expect(result.locator(".missing-list")).to_have_text("营业执照")
        await expect(result.locator(".pr-sms")).to_have_text(
            f"已短信一次性告知申请人 {PHONE[:3]}****{PHONE[-4:]}"
        )
        await expect(page.locator("#pr-result-again")).to_be_focused()
        await expect(badge).to_be_hidden()  # nothing waits now
        await axe_clean(page, "#casework", "the return")
        await shot(page, "prereview_returned")

        mine = await citizen_ok(base, me, "GET", f"/api/applications/{app['id']}")
        assert mine["state"] == "returned" and [x["key"] for x in mine["missing"]] == ["licence"]
        assert mine["note"] == "请上传营业执照（副本扫描件）"
        [sms] = await asyncio.to_thread(texts, gateway, "application_returned")
        assert sms["reference"] == reference and sms["items"] == "营业执照", sms

        await kb.press("Enter")  # 预审下一件: none is waiting
        await expect(page.locator("#pr-status")).to_have_text("没有待预审的网上申报")
        await expect(page.locator("#pr-refresh")).to_be_focused()

        # --- the citizen completes it: the queue shows it again when the pane opens ------------
        await upload(base, me, app["id"], "licence", "营业执照.png", png(240, 160, (46, 125, 50)))
        await citizen_ok(base, me, "POST", f"/api/applications/{app['id']}/submit")
        await button.click()  # the button shuts the pane …
        await expect(page.locator("#casework")).to_be_hidden()
        await kb.press("w")  # … and W opens it, read afresh
        await expect(item).to_be_focused()
        await expect(item.locator(".pr-again")).to_have_text("补正后再次提交")
        await expect(page.locator("#pr-badge-n")).to_have_text("1")
        await kb.press("Enter")
        await expect(page.locator("#pr-last")).to_have_text(
            "上次退回补正：营业执照（说明：请上传营业执照（副本扫描件））"
        )
        await expect(licence).to_have_attribute("data-mark", "received")
        await expect(licence.locator(".pr-files li")).to_contain_text("营业执照.png")
        await kb.press("Control+Enter")
        await expect(result.locator("#pr-result-title")).to_have_text("已受理")
        await expect(result.locator(".case-pill")).to_have_text("审批中")
        await expect(result).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}（剩 \d+ 个工作日）"))
        number = (await result.locator(".case-number").text_content() or "").strip()
        assert re.fullmatch(rf"{web_hall.id.upper()}-\d{{8}}-\d{{4}}", number), number
        await expect(page.locator("#pr-state")).to_have_text("已受理")
        await expect(page.locator("#pr-result-again")).to_be_focused()
        await axe_clean(page, "#casework", "the accepted application")
        await shot(page, "prereview_accepted")
        await kb.press("Escape")  # the queue keys again: the window is still free
        await expect(c.action("call_next")).to_be_enabled()
        c.assert_clean()

    done = await citizen_ok(base, me, "GET", f"/api/applications/{app['id']}")
    assert done["state"] == "accepted" and done["case"]
    case = await get(http, f"/api/cases/{done['case']}", clerk)
    assert case["number"] == number and case["state"] == "in_review"
    assert case["checklist"] == {"form": "received", "licence": "received", "plan": "received"}
    assert case["timeline"][0]["note"] == "网上申报"
    store = Store.from_url(pg_url)
    await store.open()
    try:
        async with store.db.reader() as conn:
            channel = await conn.fetchval("SELECT channel FROM cases WHERE id = $1", case["id"])
    finally:
        await store.close()
    assert channel == "online"


async def test_only_the_console_may_show_blob_images(server: ServerProcess) -> None:
    """The smallest widening of the policy the viewer needs, on the console page alone."""
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        console_csp = (await c.get("/console")).headers["content-security-policy"]
        assert "img-src 'self' data: blob:;" in console_csp
        assert "object-src 'none'" in console_csp and "frame-ancestors 'none'" in console_csp
        for path in ("/admin", "/console/notice/x", "/dept"):
            csp = (await c.get(path)).headers["content-security-policy"]
            assert "blob:" not in csp, path
