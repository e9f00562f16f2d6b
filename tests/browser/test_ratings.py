"""Ratings (好差评) in real Chromium, under the pages' real Content-Security-Policy, against
ONE real server for the module (its texts go to a local SMS gateway):

- the paired rating pad shows the five levels within 1 s of the clerk's 办结 (measured from
  the click to the buttons on screen); the bottom two ask why; the clerk's console gets no
  frame that carries the choice, before or after it is made; 请评价 puts the levels up again;
- a bad rating on the phone opens a follow-up the supervisor works on /supervise (the
  number shown on request, called back, rectified, closed with a response); the response
  reaches the SMS gateway and the citizen reads it on the phone;
- a collected case is rated on its status page (by number and ID suffix, never in the URL).

axe-core checks the pad, the phone's rating view and the supervisor page; screenshots kept.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path, texts
from tests.conftest import PASSWORD, HallFixture
from tests.notify.gateway import FakeGateway
from tests.realtime.conftest import Http, running, seed_hall, server_env, wait_for
from tests.system.server_proc import ServerProcess

PHONE = "13812340000"
PHONE_390 = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as gw:
        yield gw


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pg_url: str,
           gateway: FakeGateway) -> Iterator[ServerProcess]:  # fmt: skip
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2", ONEWINDOW_SMS_GATEWAY_URL=gateway.url,
                     ONEWINDOW_NOTIFY_POLL_S="0.2")  # fmt: skip
    with running(Path(tmp_path_factory.mktemp("ratings")), env) as srv:
        yield srv


@asynccontextmanager
async def page_at(browser: Browser, url: str | None, viewport: dict[str, int],
                  frames: list[str] | None = None) -> AsyncIterator[Page]:  # fmt: skip
    """A page in its own context; ``frames`` collects every WebSocket frame it receives."""
    context = await browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "status of" not in m.text else None)  # fmt: skip
    if frames is not None:
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: frames.append(str(payload))))
    try:
        if url:
            await page.goto(url)
        yield page
    finally:
        await context.close()
    assert not errors, errors


async def accessible(page: Page, name: str) -> None:
    found = await violations(page)
    await page.screenshot(path=str(shot_path(name)), full_page=True)
    assert not found, f"{name}:\n{describe(found)}"


async def call(http: Http, method: str, path: str, user: str | None = None,
               body: Any = None) -> Any:  # fmt: skip
    headers = {"authorization": f"Bearer {await http.token(user)}"} if user else {}
    async with httpx.AsyncClient(base_url=http.base) as c:
        r = await c.request(method, path, json=body, headers=headers)
        assert r.is_success, r.text
        return r.json() if r.content else None


async def sign_in(page: Page, username: str) -> None:
    await page.fill("#signin-user", username)
    await page.fill("#signin-pass", PASSWORD)
    await page.press("#signin-pass", "Enter")


# --- the pad ----------------------------------------------------------------------------


async def test_the_pad_gets_the_prompt_within_a_second_and_the_console_never_the_choice(
    browser: Browser, server: ServerProcess, pg_url: str
) -> None:
    hall: HallFixture = await seed_hall(pg_url)
    http = Http(server.base_url, hall)
    w1 = hall.window(1)
    clerk = hall.clerk(1).username
    pairing = await call(http, "POST", f"/api/windows/{w1}/pad", hall.supervisor.username)
    assert pairing["pad_url"].startswith(server.base_url)

    console_frames: list[str] = []
    async with page_at(browser, None, DESKTOP, console_frames) as con, \
            page_at(browser, None, TABLET) as pad:  # fmt: skip
        await con.goto(f"{server.base_url}/console")
        await sign_in(con, clerk)
        await con.locator(f'.wpick[data-window="{w1}"]').click()
        await expect(con.locator("#current")).to_have_attribute("data-state", "open")

        # A pad without its key says so (and how to pair it); no prompt ever reaches it.
        await pad.goto(f"{server.base_url}/display/{hall.id}/window/{w1}/rate")
        await expect(pad.locator("#unpaired-title")).to_have_text("评价器未配对")
        await accessible(pad, "rating_pad_unpaired")

        # The pad: paired by the address the supervisor got; the key leaves the address bar.
        await pad.goto(pairing["pad_url"])
        await expect(pad.locator("#idle")).to_be_visible()
        await expect(pad.locator("#clerk-name")).to_have_text("窗口1")
        await expect(pad.locator("#pad-title")).to_have_text("1号窗口 服务评价")
        assert "key=" not in pad.url
        await accessible(pad, "rating_pad_idle")

        await call(http, "POST", f"/api/halls/{hall.id}/tickets", body={"service": "A"})
        await con.locator('#actions button[data-op="call_next"]').click()
        await expect(con.locator("#cur-number")).to_have_text("A001")
        await con.locator('#actions button[data-op="start"]').click()
        await expect(con.locator("#cur-state")).to_have_attribute("data-state", "serving")
        await expect(con.locator("#actions")).to_have_attribute("aria-busy", "false")

        # 办结 at the console: the five levels on the pad within a second.
        started = time.perf_counter()
        await con.locator('#actions button[data-op="finish"]').click()
        await pad.wait_for_selector('#levels button[data-level="5"]', state="visible")
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"the prompt took {elapsed:.3f} s"
        await expect(pad.locator("#ask-title")).to_have_text("请对本次服务（A001）进行评价")
        await expect(pad.locator("#levels button")).to_have_text(
            ["◎非常满意", "○满意", "△基本满意", "▽不满意", "✕非常不满意"])
        await expect(pad.locator("#countdown")).to_contain_text("秒后自动结束，不计为评价")
        await accessible(pad, "rating_pad_ask")

        # The bottom two ask why; nothing reaches the console while the citizen chooses.
        await pad.locator('#levels button[data-level="2"]').click()
        await expect(pad.locator("#why")).to_be_visible()
        await pad.locator("#send").click()
        await expect(pad.locator("#why-error")).to_have_text("请选择或填写不满意的原因。")
        await pad.locator('#reasons button[data-reason="wait"]').click()
        await expect(pad.locator('#reasons button[data-reason="wait"]')).to_have_attribute(
            "aria-pressed", "true")
        await accessible(pad, "rating_pad_why")
        assert not any("rating" in f for f in console_frames), "the console heard of the rating"
        await pad.locator("#send").click()
        await expect(pad.locator("#thanks")).to_be_visible()
        await expect(pad.locator("#thanks-title")).to_have_text("感谢您的评价！")
        await expect(pad.locator("#thanks-note")).to_have_text("我们会认真核查整改，并给您答复。")

        # Made: the console hears that a rating was made, never which.
        await wait_for(lambda: any("rating.recorded" in f for f in console_frames),
                       what="rating.recorded at the console")  # fmt: skip
        said = [f for f in console_frames if "rating" in f]
        assert not any('"level"' in f or "不满意" in f for f in said), said
        assert "不满意" not in await con.locator("main").inner_text()
        await expect(pad.locator("#idle")).to_be_visible(timeout=8000)

        # The next ticket: 请评价 from the console puts the levels up again on the pad.
        await call(http, "POST", f"/api/halls/{hall.id}/tickets", body={"service": "A"})
        for op, state in (("call_next", "called"), ("start", "serving")):
            await con.locator(f'#actions button[data-op="{op}"]').click()
            await expect(con.locator("#cur-state")).to_have_attribute("data-state", state)
            await expect(con.locator("#actions")).to_have_attribute("aria-busy", "false")
        await con.locator('#actions button[data-op="finish"]').click()
        await expect(pad.locator("#ask-title")).to_contain_text("A002")
        await pad.locator('#levels button[data-level="5"]').click()
        await expect(pad.locator("#thanks")).to_be_visible()  # shown once the server said yes
        await expect(pad.locator("#thanks-title")).to_have_text("感谢您的评价！")
        await con.locator("#rate-ask").click()
        await expect(con.locator("#rate-status")).to_have_text("您已评价过，不能重复评价")
        await pad.screenshot(path=str(shot_path("rating_pad_thanks")))
        await con.screenshot(path=str(shot_path("rating_console")))
        # Paired again: the old key's live subscription is cut off (4001) and the pad,
        # finding its key gone, asks to be paired.
        await call(http, "POST", f"/api/windows/{w1}/pad", hall.supervisor.username)
        await expect(pad.locator("#unpaired-title")).to_have_text("评价器未配对")

    ratings = await call(http, "GET", f"/api/halls/{hall.id}/followups",
                         hall.supervisor.username)  # fmt: skip
    [f] = ratings["followups"]
    assert f["rating"]["level"] == 2 and f["rating"]["channel"] == "pad"


# --- phone, supervisor, phone --------------------------------------------------------------


async def test_a_bad_rating_is_followed_up_and_the_citizen_reads_the_response(
    browser: Browser, server: ServerProcess, pg_url: str, gateway: FakeGateway
) -> None:
    hall: HallFixture = await seed_hall(pg_url)
    http = Http(server.base_url, hall)
    w2 = hall.window(2)
    clerk = hall.clerk(2).username
    t = await call(http, "POST", f"/api/halls/{hall.id}/tickets",
                   body={"service": "A", "phone": PHONE})  # fmt: skip
    for op in ("open", "call-next", "start", "finish"):
        await call(http, "POST", f"/api/windows/{w2}/{op}", clerk)
    follow = f"{server.base_url}/m/ticket/{t['id']}?token={t['token']}"

    async with page_at(browser, follow, PHONE_390) as phone:
        box = phone.locator("#rating")
        await expect(box.locator("h2")).to_have_text("服务评价")
        await expect(box).to_contain_text("每笔业务只能评价一次")
        await accessible(phone, "rating_phone_form")
        await box.get_by_label("非常不满意").check()
        await expect(box.locator(".rating-why")).to_be_visible()
        await box.get_by_label("服务态度不好").check()
        await box.locator("textarea").fill("窗口人员一直在看手机")
        await box.locator("#rating-phone").fill(PHONE)  # the consent to be called back
        await accessible(phone, "rating_phone_why")
        await box.locator("#rating-send").click()
        await expect(box.locator(".rating-thanks")).to_have_text("感谢您的评价！")
        await expect(box.locator(".rating-level")).to_have_text("您的评价：非常不满意")
        await expect(box.locator(".rating-state")).to_have_text("整改进度：待回访")

    response = "经核查属实，已对窗口人员批评教育并加强巡查，感谢您的监督。"
    async with page_at(browser, f"{server.base_url}/supervise", DESKTOP) as sup:
        await sign_in(sup, hall.supervisor.username)
        row = sup.locator("#fu-rows tr")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("非常不满意")
        await expect(row).to_contain_text("服务态度不好")
        await expect(row).to_contain_text("待回访")
        await expect(sup.locator("#pads-list li")).to_have_count(4)
        await accessible(sup, "rating_supervise_list")
        await row.locator("button.fu-open").click()
        await expect(sup.locator("#d-comment")).not_to_contain_text("看手机")  # sealed in lists
        await expect(sup.locator("#d-contact")).to_have_text("138****0000")
        await sup.locator("#d-contact-show").click()
        await expect(sup.locator("#d-contact")).to_have_text(PHONE)
        await expect(sup.locator("#d-comment")).to_have_text("窗口人员一直在看手机")
        await sup.fill("#a-note", "已电话回访，市民反映属实")
        await sup.locator("#act-call_back button").click()
        await expect(sup.locator("#act-done")).to_have_text("已记录回访。")
        await sup.fill("#a-finding", "窗口人员办理间隙使用手机")
        await sup.fill("#a-rectification", "批评教育，纳入月度考核")
        await sup.locator("#act-rectify button").click()
        await expect(sup.locator("#act-done")).to_have_text("已记录整改。")
        await accessible(sup, "rating_supervise_detail")
        # Closing without a response is refused, with the server's words.
        await sup.locator("#act-close button").click()
        await expect(sup.locator("#act-error")).to_have_text("请填写答复内容")
        await sup.fill("#a-response", response)
        await sup.locator("#act-close button").click()
        await expect(sup.locator("#act-done")).to_have_text("已办结，答复已发送给市民。")
        await expect(sup.locator("#fu-empty")).to_be_visible()

    [sms] = await texts(gateway, PHONE, "rating_response")
    assert response in str(sms)

    async with page_at(browser, follow, PHONE_390) as phone:
        box = phone.locator("#rating")
        await expect(box.locator(".rating-state")).to_have_text("整改进度：已办结")
        await expect(box.locator(".rating-response")).to_have_text(f"回复：{response}")
        await accessible(phone, "rating_phone_response")

    # A clerk is turned away from /supervise (the API answers 403: tests/api).
    async with page_at(browser, f"{server.base_url}/supervise", DESKTOP) as page:
        await sign_in(page, clerk)
        await expect(page.locator("#signin-error")).to_have_text(
            "只有值班主任和系统管理员可以处理差评整改。")


# --- a case, on its status page ------------------------------------------------------------


async def test_a_collected_case_is_rated_on_its_status_page(
    browser: Browser, server: ServerProcess, pg_url: str
) -> None:
    from tests.browser.case_page_helpers import Office
    from tests.usecases.case_helpers import id_number

    hall: HallFixture = await seed_hall(pg_url)
    o = await Office.open(server, hall, pg_url)
    case = await o.ready(21)
    await o.http.post(f"/api/cases/{case['id']}/pickup", {"collector_id": id_number(21)},
                      o.clerk)  # fmt: skip
    async with page_at(browser, f"{server.base_url}/m/{hall.id}/case", PHONE_390) as phone:
        await phone.locator("#number").fill(case["number"])
        await phone.locator("#suffix").fill(id_number(21)[-4:])
        await phone.locator("#submit").click()
        box = phone.locator("#case-rating")
        await expect(box.locator("h2")).to_have_text("服务评价")
        # The case's rating asks for the full ID number (the suffix is staff-visible).
        await accessible(phone, "rating_case_id")
        await box.locator("#case-rating-open").click()
        await expect(box.locator("#case-rating-id-error")).to_have_text("请填写 18 位身份证号码。")
        await box.locator("#case-rating-id").fill(id_number(21))
        await box.locator("#case-rating-open").click()
        await box.get_by_label("满意", exact=True).check()
        await expect(box.locator(".rating-why")).to_be_hidden()
        await accessible(phone, "rating_case_form")
        await box.locator("#case-rating-send").click()
        await expect(box.locator(".rating-level")).to_have_text("您的评价：满意")
        assert id_number(21)[-4:] not in phone.url
