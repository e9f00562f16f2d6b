"""The citizens' phone pages (H5) in real Chromium at 375×667 against a real server: take a
ticket remotely, follow it live to the call, survive a restart and a lost network, cancel,
a wrong token, and sign-in by SMS code through a local gateway that records the posts."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from server.store.store import Store
from tests.browser.displays import Desk
from tests.browser.phone_helpers import (
    Gateway,
    Phone,
    phone,
    sms_gateway,
    take_ticket_http,
    ticket_status,
)
from tests.conftest import HallFixture, make_hall
from tests.realtime.conftest import ALL_DAY, running, server_env
from tests.system.server_proc import ServerProcess

CITIZEN_PHONE = "13912345678"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@pytest.fixture
def phone_server(
    tmp_path: Path, pg_url: str, web_hall: HallFixture, gateway: Gateway
) -> Iterator[ServerProcess]:
    env = server_env(
        pg_url,
        ONEWINDOW_WS_HEARTBEAT_S="2",
        ONEWINDOW_SMS_GATEWAY_URL=gateway.url,
        ONEWINDOW_NOTIFY_POLL_S="0.2",
    )
    with running(tmp_path, env) as srv:
        yield srv


def hall_url(server: ServerProcess, hall: HallFixture) -> str:
    return f"{server.base_url}/m/{hall.id}"


def follow_url(server: ServerProcess, ticket: dict[str, str], token: str | None = None) -> str:
    return f"{server.base_url}/m/ticket/{ticket['id']}?token={token or ticket['token']}"


async def shows_state(p: Phone, state: str, timeout: float = 5.0) -> None:
    await expect(p.page.locator("body")).to_have_attribute(
        "data-state", state, timeout=timeout * 1000
    )


async def take_on_page(p: Phone, service: str) -> str:
    """Tap the service's 取号, confirm, land on the ticket page; the ticket id."""
    await p.page.locator(f".svc[data-service={service}] button").tap()
    await expect(p.page.locator("#form-title")).to_be_focused()
    await p.page.locator("#submit").tap()
    await p.page.wait_for_url("**/m/ticket/**")
    await expect(p.page.locator("#t-number")).not_to_be_empty()
    return p.page.url.split("/m/ticket/")[1].split("?")[0]


async def test_a_phone_follows_its_ticket_from_issue_to_call_and_result(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(phone_server, web_hall)
    first = await desk.issue("A")  # someone at the kiosk, ahead of us
    async with phone(browser, hall_url(phone_server, web_hall)) as p:
        svc = p.page.locator(".svc[data-service=A]")
        await expect(svc.locator(".svc-facts")).to_contain_text("等候 1 人")
        await expect(p.page.locator("#hall-state")).to_have_text("✓ 正在办理")
        await p.shot("phone-take-375x667")
        await p.assert_accessible("the take-ticket page")

        # A typo in the ID number is explained before anything is sent.
        await svc.locator("button").tap()
        await p.page.locator("#id-number").fill("11010519491231002Y")
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#id-number-error")).to_contain_text("前 17 位应为数字")
        await p.page.locator("#id-number").fill("110105194912310021")
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#id-number-error")).to_contain_text("校验码")
        await expect(p.page.locator("#id-number-error")).to_contain_text("应为“X”")
        await expect(p.page.locator("#id-number")).to_be_focused()
        await p.shot("phone-take-id-number-error-375x667")
        await p.assert_accessible("the take-ticket form with an error")
        await p.page.locator("#id-number").fill("")
        await p.page.locator("#back").tap()

        ticket_id = await take_on_page(p, "A")
        # The token went into the phone's storage and out of the address bar.
        assert "token" not in p.page.url
        kept = await p.stored()
        assert kept[ticket_id]["token"]
        assert await p.text("#t-number") == "A002"
        await shows_state(p, "waiting")
        assert await p.text("#t-state") == "○ 等候中"
        assert await p.text("#t-ahead") == "1 人"

        # Call alerts: asked once, on a tap, and remembered.
        await p.page.locator("#notify").tap()
        await expect(p.page.locator("#notify-note")).to_have_text("到号提醒已开启。")
        assert await p.page.evaluate("window.__asked") == 1
        await p.shot("phone-follow-waiting-375x667")
        await p.assert_accessible("the ticket page, waiting")

        # The one ahead is called: we are next, live.
        assert first["number"] == "A001"
        await desk.call(2)
        await expect(p.page.locator("#t-ahead")).to_have_text("下一位就是您")

        # Our call: full screen within a second of the call's reply.
        called = await desk.call(1)
        started = time.monotonic()
        await p.page.wait_for_selector("#called", timeout=1000)
        took = time.monotonic() - started
        assert called == "A002"
        assert took < 1.0
        assert await p.text("#called-window") == "1号窗口"
        assert await p.text("#called-number") == "A002"
        assert "请到" in await p.text("#called-text")
        await expect(p.page.locator("#called-ok")).to_be_focused()
        assert len(await p.page.evaluate("window.__vibrations")) == 1
        notes = await p.page.evaluate("window.__notes")
        assert [n["title"] for n in notes] == ["请 A002 号到 1号窗口 办理"]
        await p.shot("phone-called-375x667")
        await p.assert_accessible("the called screen")

        await p.page.locator("#called-ok").tap()
        await expect(p.page.locator("#called")).to_be_hidden()
        assert await p.text("#t-result") == "请到 1号窗口 办理。"
        # A recall is news again.
        await desk.window(1, "recall")
        await p.page.wait_for_selector("#called", timeout=1000)
        assert len(await p.page.evaluate("window.__vibrations")) == 2

        await desk.window(1, "start")
        await shows_state(p, "serving")
        await expect(p.page.locator("#called")).to_be_hidden()
        await desk.window(1, "finish")
        await shows_state(p, "done")
        assert await p.text("#t-state") == "✓ 已办结"
        assert await p.text("#t-result") == "业务已办结，感谢您的耐心等候。"
        assert await p.page.locator("#cancel-box").is_hidden()
        await p.shot("phone-result-done-375x667")
        await p.assert_accessible("the ticket page, done")

        # A reload keeps it all: the token is on the phone, the address no longer has it.
        await p.page.reload()
        await shows_state(p, "done")
        assert await p.text("#t-number") == "A002"
        assert await p.page.evaluate("localStorage.getItem('ow.citizen.notify_asked')") == "1"


async def test_the_ticket_page_survives_a_server_restart_and_a_lost_network(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(phone_server, web_hall)
    await desk.issue("A")
    await desk.issue("A")
    mine = await take_ticket_http(phone_server.base_url, web_hall.id, "A")
    async with phone(browser, follow_url(phone_server, mine)) as p:
        await shows_state(p, "waiting")
        await expect(p.page.locator("#t-ahead")).to_have_text("2 人")
        offline = p.page.locator("#offline")
        await expect(offline).to_be_hidden()

        # The server goes away and comes back on the same port and database.
        await asyncio.to_thread(phone_server.stop)
        await expect(offline).to_be_visible(timeout=8000)
        await expect(offline).to_have_text("网络已断开，正在重连…")
        await p.shot("phone-follow-offline-375x667")
        await asyncio.to_thread(phone_server.start)
        await expect(offline).to_be_hidden(timeout=10_000)
        await desk.call(2)
        await expect(p.page.locator("#t-ahead")).to_have_text("1 人")

        # The phone loses its network; the queue moves and our ticket is called meanwhile.
        await p.context.set_offline(True)
        await expect(offline).to_be_visible(timeout=5000)
        await desk.call(1)
        await desk.window(2, "start")
        await desk.window(2, "finish")
        number = await desk.call(2)
        assert number == mine["number"]
        await asyncio.sleep(0.5)
        assert await p.page.locator("#called").is_hidden()
        await p.context.set_offline(False)
        await p.page.wait_for_selector("#called", timeout=10_000)
        await expect(offline).to_be_hidden()
        assert await p.text("#called-window") == "2号窗口"
        assert len(await p.page.evaluate("window.__vibrations")) == 1

        # Reloaded, the page is still the same ticket, called (no token in the address).
        await p.page.reload()
        await shows_state(p, "called")
        await expect(p.page.locator("#called")).to_be_visible()
        # Seen on this phone already: it does not buzz again for the same call.
        assert await p.page.evaluate("window.__vibrations") == []


async def test_a_wrong_token_shows_nothing_but_not_found(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture
) -> None:
    t = await take_ticket_http(phone_server.base_url, web_hall.id, "A")
    async with phone(browser, follow_url(phone_server, t, token="not-the-token")) as p:
        await expect(p.page.locator("#notfound")).to_be_visible()
        assert await p.page.locator("#ticket").is_hidden()
        text = await p.page.locator("main").inner_text()
        assert text.split() == ["未找到该号票", "Not", "found"]
        assert t["number"] not in await p.page.content()
        assert "token" not in p.page.url
        assert await p.stored() == {}
        await p.shot("phone-not-found-375x667")
        await p.assert_accessible("the not-found page")

        # No token at all, and an unknown ticket: the same.
        for path in (f"/m/ticket/{t['id']}", "/m/ticket/nope?token=x"):
            await p.page.goto(phone_server.base_url + path)
            await expect(p.page.locator("#notfound")).to_be_visible()
            assert await p.page.locator("#ticket").is_hidden()


async def test_cancel_a_waiting_ticket_after_confirming(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture
) -> None:
    t = await take_ticket_http(phone_server.base_url, web_hall.id, "C")
    async with phone(browser, follow_url(phone_server, t)) as p:
        await shows_state(p, "waiting")
        await p.page.locator("#cancel").tap()
        await expect(p.page.locator("#cancel-q")).to_have_text(
            f"确定要取消 {t['number']} 号吗？取消后不能恢复。"
        )
        await expect(p.page.locator("#cancel-no")).to_be_focused()
        await p.assert_accessible("the cancel confirmation")
        await p.page.locator("#cancel-no").tap()
        await expect(p.page.locator("#cancel-confirm")).to_be_hidden()
        still = await ticket_status(phone_server.base_url, t["id"], t["token"])
        assert still["state"] == "waiting"

        await p.page.locator("#cancel").tap()
        await p.page.locator("#cancel-yes").tap()
        await shows_state(p, "cancelled")
        assert await p.text("#t-state") == "✕ 已取消"
        assert await p.text("#t-result") == "号票已取消。如需办理，请重新取号。"
        assert await p.page.locator("#cancel-box").is_hidden()
        await p.shot("phone-result-cancelled-375x667")
        status = await ticket_status(phone_server.base_url, t["id"], t["token"])
        assert status["state"] == "cancelled"


async def test_sign_in_by_sms_code_and_my_tickets(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture, gateway: Gateway
) -> None:
    async with phone(browser, f"{phone_server.base_url}/m/me") as p:
        # The resend countdown runs on the page's clock, which the test moves.
        await p.page.clock.install()
        await p.page.reload()
        await expect(p.page.locator("#signin-view")).to_be_visible()
        await expect(p.page.locator("#local-none")).to_be_visible()
        code_box = p.page.locator("#si-code")
        assert await code_box.get_attribute("autocomplete") == "one-time-code"
        await p.shot("phone-signin-375x667")
        await p.assert_accessible("the sign-in page")

        await p.page.locator("#si-phone").fill("1234")
        await p.page.locator("#send").tap()
        await expect(p.page.locator("#si-phone-error")).to_contain_text("11 位大陆手机号码")
        await p.page.locator("#si-phone").fill(CITIZEN_PHONE)
        await p.page.locator("#send").tap()
        await expect(p.page.locator("#sent")).to_have_text(
            "验证码已发送到 139****5678，5 分钟内有效。"
        )
        await expect(p.page.locator("#send")).to_be_disabled()
        await expect(p.page.locator("#send")).to_have_text("60 秒后可重发")
        await p.page.clock.run_for(30_000)
        await expect(p.page.locator("#send")).to_have_text("30 秒后可重发")
        await expect(code_box).to_be_focused()
        code = await asyncio.to_thread(gateway.wait_code, CITIZEN_PHONE)
        post = next(x for x in gateway.posts if x.get("template") == "sign_in_code")
        assert post["params"]["minutes"] == 5 and post["idempotency_key"]

        wrong = "000000" if code != "000000" else "111111"
        await code_box.fill(wrong)
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#si-code-error")).to_have_text("验证码不正确，还可尝试 4 次。")
        await expect(code_box).to_have_attribute("aria-invalid", "true")
        await p.shot("phone-signin-error-375x667")

        # The countdown over on the page, the server still counts its own minute: asking
        # again this soon is refused with the wait, in words, and the button waits too.
        await p.page.clock.run_for(30_000)
        await expect(p.page.locator("#send")).to_have_text("获取验证码")
        await p.page.locator("#send").tap()
        await expect(p.page.locator("#si-phone-error")).to_have_text(
            re.compile(r"^请 [0-9]+ 秒后再试。$")
        )
        await expect(p.page.locator("#send")).to_have_text(re.compile(r"^[0-9]+ 秒后可重发$"))
        await expect(p.page.locator("#send")).to_be_disabled()

        await code_box.fill(code)
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#me-view")).to_be_visible()
        await expect(p.page.locator("#me-phone")).to_have_text("已登录：139****5678")
        await expect(p.page.locator("#me-none")).to_be_visible()

        # A ticket taken while signed in is listed under 我的, and opens its page.
        await p.page.goto(hall_url(phone_server, web_hall))
        await expect(p.page.locator("#services .svc").first).to_be_visible()
        await p.page.locator(".svc[data-service=B] button").tap()
        await expect(p.page.locator("#form-who")).to_contain_text("139****5678")
        await p.page.locator("#submit").tap()
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text("B001")
        await p.page.locator("#mine").tap()
        await p.page.wait_for_url("**/m/me")
        item = p.page.locator("#me-tickets .tl")
        await expect(item).to_have_count(1)
        await expect(item.locator(".tl-number")).to_have_text("B001")
        await expect(item.locator(".tl-state")).to_have_text("○ 等候中 · 下一位就是您")
        # Listed once: the phone's own list does not repeat it.
        await expect(p.page.locator("#local-view")).to_be_hidden()
        await expect(p.page.locator("#take")).to_have_attribute("href", f"/m/{web_hall.id}")
        await p.shot("phone-mine-375x667")
        await p.assert_accessible("the 我的 page")
        await item.locator("a").tap()
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text("B001")

        # Signing out forgets the sign-in here and on the server.
        await p.page.goto(f"{phone_server.base_url}/m/me")
        token = await p.page.evaluate(
            "JSON.parse(localStorage.getItem('ow.citizen.session')).token"
        )
        await p.page.locator("#signout").tap()
        await expect(p.page.locator("#signin-view")).to_be_visible()
        await expect(p.page.locator("#status")).to_have_text("已退出登录。")
        # The ticket is still on this phone.
        await expect(p.page.locator("#local-tickets .tl-number")).to_have_text("B001")
        await p.shot("phone-signed-out-local-375x667")
        async with httpx.AsyncClient(base_url=phone_server.base_url) as c:
            r = await c.get("/api/citizen/me", headers={"authorization": f"Citizen {token}"})
            assert r.status_code == 401


async def test_english_and_taking_a_ticket_by_keyboard(
    browser: Browser, phone_server: ServerProcess, web_hall: HallFixture
) -> None:
    async with phone(browser, hall_url(phone_server, web_hall) + "?lang=en") as p:
        await expect(p.page.locator("#hall-state")).to_have_text("✓ Open now")
        assert await p.page.get_attribute("html", "lang") == "en"
        facts = p.page.locator(".svc[data-service=A] .svc-facts")
        await expect(facts).to_have_text("0 waiting · no wait")
        # Someone takes a ticket at the kiosk: the count follows, live.
        await Desk.of(phone_server, web_hall).issue("A")
        await expect(facts).to_have_text("1 waiting · about 5 min", timeout=5000)
        # Keyboard only: Tab to the first service's button, Enter, fill, Enter.
        await p.page.locator(".svc[data-service=A] button").focus()
        await p.page.keyboard.press("Enter")
        await expect(p.page.locator("#form-title")).to_have_text("Ticket: Service A")
        await p.page.keyboard.press("Tab")
        await expect(p.page.locator("#id-number")).to_be_focused()
        await p.page.keyboard.type("110105194912310021")
        await p.page.keyboard.press("Enter")
        await expect(p.page.locator("#id-number-error")).to_contain_text("check digit")
        await p.page.locator("#id-number").fill("")
        await p.page.keyboard.press("Enter")
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-state")).to_have_text("○ Waiting")
        await p.shot("phone-follow-waiting-en-375x667")
        await p.assert_accessible("the English ticket page")


async def test_a_closed_hall_says_so_and_offers_no_ticket(
    browser: Browser, phone_server: ServerProcess, pg_url: str
) -> None:
    store = Store.from_url(pg_url)
    await store.open()
    try:
        closed = await make_hall(
            store, datetime.now(UTC), hours={d: [] for d in ALL_DAY}, hash_passwords=True
        )
    finally:
        await store.close()
    async with phone(browser, f"{phone_server.base_url}/m/{closed.id}") as p:
        state = p.page.locator("#hall-state")
        await expect(state).to_have_text("✕ 现在不在办理时间")
        await expect(p.page.locator("#hall-note")).to_have_text(
            "暂不能远程取号，请在办理时间内再来。"
        )
        buttons = p.page.locator(".svc button")
        await expect(buttons).to_have_count(4)
        for n in range(4):
            await expect(buttons.nth(n)).to_be_disabled()
        await p.shot("phone-take-closed-375x667")
        await p.assert_accessible("the take-ticket page of a closed hall")
    async with httpx.AsyncClient(base_url=phone_server.base_url) as c:
        r = await c.post(
            f"/api/halls/{closed.id}/tickets",
            json={"service": "A", "channel": "phone", "kind": "walk_in"},
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "hall_closed"
