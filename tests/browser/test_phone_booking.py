"""Online appointments on the citizens' phone pages (网上预约, 我的预约) in real Chromium at
375×667 against a real server: the way in from the hall page, signing in on the way,
booking a slot, the code and its QR, free places dropping live on a second phone,
rescheduling, cancelling; a slot taken meanwhile and a booking ban said in words
(in English); check-in offered only inside its window, on time and late.

The hall is open 00:00–24:00 and put in a time zone where it is now midday
(kiosk_helpers.make_bookable), so its slots and check-in windows never straddle midnight;
a phone's clock that must be elsewhere is Playwright's, installed in the page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Locator, expect

from server.store.store import Store
from tests.browser.conftest import shot_path
from tests.browser.kiosk_helpers import id_number, make_bookable, scan_qr, wrong_check
from tests.browser.phone_helpers import (
    Gateway,
    Phone,
    book_http,
    citizen_call,
    citizen_session,
    keep_session,
    page_session,
    phone,
    slot_list,
    sms_gateway,
)
from tests.browser.test_admin import make_admin
from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.system.server_proc import ServerProcess

# Numbers of these tests alone: 我的预约 lists a number's bookings in every hall of the run.
PHONE1, PHONE2, PHONE3, PHONE4 = "13712348801", "13712348802", "13712348803", "13712348804"
ID1, ID2, ID3 = (
    id_number("19800101", serial="011"),
    id_number("19850505", serial="022"),
    id_number("19900909", serial="033"),
)
ID4, ID5 = id_number("19750303", serial="044"), id_number("19660606", serial="055")
RULES = {"slot_minutes": 30, "capacity": 2, "days_ahead": 3, "checkin_before_min": 30}
WEEK = "一二三四五六日"


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


async def bookable(pg_url: str, server: ServerProcess, hall: HallFixture, **rules: Any) -> None:
    admin = await make_admin(pg_url)
    for service, r in (rules or {"A": RULES}).items():
        await make_bookable(server.base_url, admin, hall.id, service, r)


def day_zh(iso: str) -> str:
    d = date.fromisoformat(iso[:10])
    return f"{d.month}月{d.day}日 周{WEEK[d.weekday()]}"


def slot_zh(s: dict[str, Any]) -> str:
    start, end = s.get("start") or s["slot_start"], s.get("end") or s["slot_end"]
    return f"{day_zh(start)} {start[11:16]}–{end[11:16]}"


def slot_en(s: dict[str, Any]) -> str:
    d = date.fromisoformat(s["start"][:10])
    return f"{d:%a} {d.day} {d:%b} {s['start'][11:16]}–{s['end'][11:16]}"


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def slot_button(where: Phone | Locator, s: dict[str, Any]) -> Locator:
    root = where.page if isinstance(where, Phone) else where
    return root.locator(f'.slot[data-slot="{ms(s["start"])}"]')


def of_day(listing: dict[str, Any], day: str) -> list[dict[str, Any]]:
    return [s for s in listing["slots"] if s["start"].startswith(day)]


async def mine(base: str, session: dict[str, Any]) -> list[dict[str, Any]]:
    r = await citizen_call(base, session, "GET", "/api/appointments/mine")
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["appointments"]
    return out


async def store_sql(pg_url: str, sql: str, *args: Any) -> None:
    """A change no API makes: time passing for a booking (a past slot, a missed one)."""
    store = Store.from_url(pg_url)
    await store.open()
    try:
        async with store.db.transaction() as c:
            await c.execute(sql, *args)
    finally:
        await store.close()


async def sign_in_here(p: Phone, gateway: Gateway, number: str) -> None:
    """On /m/me: the number, the code the SMS brought, 登录."""
    await p.page.locator("#si-phone").fill(number)
    await p.page.locator("#send").tap()
    code = await asyncio.to_thread(gateway.wait_code, number)
    await p.page.locator("#si-code").fill(code)
    await p.page.locator("#submit").tap()


async def test_book_a_slot_then_reschedule_and_cancel_it_with_free_places_live(
    browser: Browser, server: ServerProcess, web_hall: HallFixture, gateway: Gateway, pg_url: str
) -> None:
    base, hall = server.base_url, web_hall.id
    await bookable(pg_url, server, web_hall)
    listing = await slot_list(base, hall, "A")
    tomorrow = listing["days"][1]  # every slot of it lies ahead, whatever the hour
    slots = of_day(listing, tomorrow)
    first, other = (
        next(s for s in slots if s["start"][11:16] == hhmm) for hhmm in ("09:00", "10:30")
    )
    async with (
        phone(browser, f"{base}/m/{hall}") as p,
        phone(browser, f"{base}/m/{hall}/book/A") as w,
    ):
        # The hall page: 网上预约 beside the bookable service only.
        entry = p.page.locator(".svc[data-service=A] a.book-link")
        await expect(entry).to_have_text("网上预约")
        await expect(entry).to_have_attribute("aria-label", "网上预约：业务A")
        await expect(p.page.locator(".svc[data-service=B] a.book-link")).to_have_count(0)
        await p.shot("phone-book-entry-375x667")
        await entry.tap()
        await p.page.wait_for_url(f"**/m/{hall}/book/A")

        # Day, then slot: the bookable days, each slot with its free places.
        days = p.page.locator("#picker .day")
        await expect(days).to_have_count(len(listing["days"]))
        await expect(days.nth(0).locator(".day-top")).to_have_text("今天")
        await expect(days.nth(1).locator(".day-top")).to_have_text("明天")
        await days.nth(1).tap()
        await expect(days.nth(1)).to_have_attribute("aria-pressed", "true")
        await expect(p.page.locator("#picker .slot")).to_have_count(len(slots))
        await expect(slot_button(p, first).locator(".slot-free")).to_have_text("余 2 个")
        await p.shot("phone-book-slots-375x667")
        await p.assert_accessible("the slot list")

        # Not signed in: the sign-in of 我的, and back to confirm the same slot.
        await slot_button(p, first).tap()
        await expect(p.page.locator("#signin-when")).to_have_text(f"业务A · {slot_zh(first)}")
        await p.shot("phone-book-signin-first-375x667")
        await p.page.locator("#signin-link").tap()
        await p.page.wait_for_url("**/m/me?next=**")
        await sign_in_here(p, gateway, PHONE1)
        await p.page.wait_for_url(f"**/m/{hall}/book/A")
        await expect(p.page.locator("#confirm")).to_be_visible()
        await expect(p.page.locator("#c-when")).to_have_text(slot_zh(first))
        await expect(p.page.locator("#c-phone")).to_have_text("137****8801")
        await expect(p.page.locator("#c-free")).to_have_text("余 2 个")
        assert "slot=" not in p.page.url

        # A second phone watches the same slot.
        await w.page.locator("#picker .day").nth(1).tap()
        watched = slot_button(w, first).locator(".slot-free")
        await expect(watched).to_have_text("余 2 个")

        # The ID number is required and checked before anything is sent; so is an e-mail.
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#id-number-error")).to_have_text("请填写办事人的身份证号码。")
        await expect(p.page.locator("#id-number")).to_be_focused()
        await p.page.locator("#id-number").fill(wrong_check(ID1))
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#id-number-error")).to_contain_text("校验码")
        await p.page.locator("#id-number").fill(ID1)
        await p.page.locator("#name").fill("张三")
        await p.page.locator("#email").fill("zhang@")
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#email-error")).to_contain_text("电子邮箱格式不正确")
        await expect(p.page.locator("#email")).to_be_focused()
        await p.page.locator("#email").fill("zhang@example.cn")
        await p.shot("phone-book-confirm-375x667")
        await p.assert_accessible("the confirm step")
        assert await mine(base, await page_session(p)) == []

        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#done-title")).to_be_focused()
        [booked] = await mine(base, await page_session(p))
        code = booked["code"]
        await expect(p.page.locator("#done-code .code-group")).to_have_text([code[:4], code[4:]])
        await expect(p.page.locator("#done-code .sr-only")).to_have_text(" ".join(code))
        await expect(p.page.locator("#d-when")).to_have_text(slot_zh(first))
        opens, closes = booked["check_in_from"], booked["check_in_until"]
        await expect(p.page.locator("#d-window")).to_have_text(
            f"{day_zh(opens)} {opens[11:16]}–{closes[11:16]}"
        )
        qr = p.page.locator("#done-qr svg")
        assert await qr.get_attribute("viewBox")
        assert await scan_qr(browser, await qr.evaluate("e => e.outerHTML")) == code
        box = await p.page.locator("#done-qr .qr").bounding_box()
        assert box is not None and box["width"] >= 180
        await p.shot("phone-book-done-375x667")
        await p.page.screenshot(path=shot_path("phone-book-done-whole-375"), full_page=True)
        await p.assert_accessible("the booking confirmation")
        assert booked["state"] == "booked" and booked["name_masked"] and ID1 not in str(booked)

        # The other phone's count dropped, live.
        await expect(watched).to_have_text("余 1 个", timeout=5000)

        # The same ID number again for this service: told so, with the way to 我的预约.
        await p.page.goto(f"{base}/m/{hall}/book/A")
        await p.page.locator("#picker .day").nth(1).tap()
        await slot_button(p, other).tap()
        await p.page.locator("#id-number").fill(ID1)
        await p.page.locator("#submit").tap()
        await expect(p.page.locator("#form-error")).to_have_text(
            "该身份证号在此业务下已有预约，可在“我的预约”中改期或取消"
        )
        await p.page.locator("#form-error-link").tap()
        await p.page.wait_for_url("**/m/me#appointments")

        # 我的预约: the booking with its code and QR; 签到 waits for its window.
        card = p.page.locator(f'.appt[data-appt="{booked["id"]}"]')
        await expect(card.locator(".appt-state")).to_have_text("○ 已预约")
        await expect(card.locator(".appt-slot")).to_have_text(slot_zh(first))
        await expect(card.locator(".code-group")).to_have_text([code[:4], code[4:]])
        assert await card.locator(".qr svg").count() == 1
        await expect(card.locator(".checkin")).to_be_disabled()
        await expect(card.locator(".appt-ci")).to_have_text(
            f"签到时间未到：{day_zh(opens)} {opens[11:16]} 起可签到。"
        )
        await expect(p.page.locator("#ap-title")).to_be_focused()
        await p.shot("phone-appointments-375x667")
        await p.assert_accessible("我的预约")

        # 改期: the same service's slots, ours marked; the places move, live on the other phone.
        await card.locator(".resched").tap()
        panel = card.locator(".appt-panel")
        await expect(panel.locator(".panel-title")).to_be_focused()
        await panel.locator(".day").nth(1).tap()
        await expect(slot_button(panel, first)).to_be_disabled()
        await expect(slot_button(panel, first).locator(".slot-free")).to_have_text("当前预约")
        await slot_button(panel, first).scroll_into_view_if_needed()
        await p.shot("phone-appointments-reschedule-pick-375x667")
        await slot_button(panel, other).tap()
        await expect(panel.locator(".confirm-q")).to_have_text(
            f"从 {slot_zh(first)} 改到 {slot_zh(other)}？"
        )
        await expect(panel.locator(".picker")).to_be_hidden()
        await p.shot("phone-appointments-reschedule-375x667")
        await p.assert_accessible("改期")
        await panel.get_by_role("button", name="确认改期").tap()
        await expect(card.locator(".appt-slot")).to_have_text(slot_zh(other))
        await expect(p.page.locator("#ap-status")).to_have_text(f"已改期到 {slot_zh(other)}。")
        await expect(watched).to_have_text("余 2 个", timeout=5000)
        await expect(slot_button(w, other).locator(".slot-free")).to_have_text("余 1 个")
        [moved] = await mine(base, await page_session(p))
        assert ms(moved["slot_start"]) == ms(other["start"]) and moved["code"] == code

        # 取消: asked first; "不取消" keeps it.
        await card.locator(".cancel").tap()
        await expect(card.get_by_role("button", name="不取消")).to_be_focused()
        await expect(card.locator(".confirm p")).to_have_text(
            f"确定要取消 {slot_zh(other)} 的预约吗？取消后名额会让给他人。"
        )
        await card.get_by_role("button", name="不取消").tap()
        await expect(card.locator(".cancel")).to_be_focused()
        assert (await mine(base, await page_session(p)))[0]["state"] == "booked"
        await card.locator(".cancel").tap()
        await card.get_by_role("button", name="确认取消").tap()
        await expect(card.locator(".appt-state")).to_have_text("✕ 已取消")
        await expect(p.page.locator("#ap-status")).to_have_text("预约已取消。")
        await expect(card.locator(".checkin")).to_have_count(0)
        await expect(card.get_by_role("link", name="重新预约")).to_have_attribute(
            "href", f"/m/{hall}/book/A"
        )
        await expect(slot_button(w, other).locator(".slot-free")).to_have_text(
            "余 2 个", timeout=5000
        )
        assert (await mine(base, await page_session(p)))[0]["state"] == "cancelled"
        await p.shot("phone-appointments-cancelled-375x667")
        await p.assert_accessible("我的预约 with a cancelled booking")

    # The confirmation went out by SMS with the code (the e-mail goes by its own channel).
    sent = [x for x in gateway.posts if x.get("template") == "booking_confirmed"]
    assert [x["params"]["code"] for x in sent] == [code]


async def test_a_slot_taken_meanwhile_and_a_ban_are_said_in_words_in_english(
    browser: Browser, server: ServerProcess, web_hall: HallFixture, gateway: Gateway, pg_url: str
) -> None:
    base, hall = server.base_url, web_hall.id
    await bookable(pg_url, server, web_hall, A={**RULES, "capacity": 1})
    me, other = (
        await citizen_session(base, gateway, PHONE2),
        await citizen_session(base, gateway, PHONE3),
    )
    listing = await slot_list(base, hall, "A")
    day = listing["days"][1]
    x, y, *rest = of_day(listing, day)
    async with phone(browser, f"{base}/m/{hall}/book/A?lang=en") as p:
        await keep_session(p, me)
        await p.page.reload()
        await expect(p.page.locator("#slot-title")).to_have_text("Book: Service A")
        await expect(p.page.locator("#picker .day").nth(1).locator(".day-top")).to_have_text(
            "Tomorrow"
        )

        # By keyboard: a day, then its first slot has the focus; Enter chooses it.
        await p.page.locator("#picker .day").nth(1).focus()
        await p.page.keyboard.press("Enter")
        await expect(slot_button(p, x)).to_be_focused()
        await p.page.keyboard.press("Tab")
        await expect(slot_button(p, y)).to_be_focused()
        await p.page.keyboard.press("Enter")
        await expect(p.page.locator("#confirm-title")).to_be_focused()
        await p.page.keyboard.press("Tab")
        await expect(p.page.locator("#id-number")).to_be_focused()
        await p.page.keyboard.type(ID2)

        # Taken by someone else while this phone looks at it: said at once, no sending.
        await book_http(base, other, hall, "A", y["start"], ID4)
        await expect(p.page.locator("#c-gone")).to_have_text(
            "This time was just fully booked; please choose another.", timeout=5000
        )
        await expect(p.page.locator("#submit")).to_be_disabled()
        await expect(p.page.locator("#c-free")).to_have_text("✕ Full")
        await p.shot("phone-book-slot-gone-en-375x667")
        await p.assert_accessible("the confirm step of a slot just taken")
        await p.page.locator("#back-slots").tap()
        await expect(slot_button(p, y)).to_be_disabled()
        await expect(slot_button(p, y).locator(".slot-free")).to_have_text("✕ Full")

        # Taken while the phone missed the news: the server refuses, the page says why and
        # shows the list afresh.
        await slot_button(p, x).tap()
        await p.page.evaluate("window.__socket.stop()")
        await book_http(base, other, hall, "A", x["start"], ID3)
        await p.page.locator("#id-number").fill(ID2)
        await p.page.locator("#id-number").press("Enter")
        await expect(p.page.locator("#slot-alert")).to_have_text("this slot is fully booked")
        await expect(p.page.locator("#slot-title")).to_be_focused()
        await expect(slot_button(p, x).locator(".slot-free")).to_have_text("✕ Full")
        await p.shot("phone-book-slot-full-en-375x667")
        await p.assert_accessible("the slot list after a refusal")

        # Three missed bookings of one ID number: booking is banned, and the page says until when.
        for s in rest[:3]:
            missed = await book_http(base, other, hall, "A", s["start"], ID5)
            await store_sql(
                pg_url, "UPDATE appointments SET state = 'no_show' WHERE id = $1", missed["id"]
            )
        free = rest[3]
        await slot_button(p, free).tap()
        await p.page.locator("#id-number").fill(ID5)
        await p.page.locator("#submit").tap()
        until = date.fromisoformat(day) + timedelta(days=30)
        await expect(p.page.locator("#form-error")).to_have_text(
            f"too many missed appointments: booking is possible again from {until.isoformat()}"
        )
        await expect(p.page.locator("#form-error-until")).to_have_text(
            f"You can book again from {until:%a} {until.day} {until:%b} {until.year}."
        )
        await expect(p.page.locator("#form-error-link")).to_be_hidden()
        await p.shot("phone-book-banned-en-375x667")

        # The other citizen's 我的预约 in English: two booked, soonest first, then the missed.
        await keep_session(p, other)
        await p.page.goto(f"{base}/m/me")
        states = p.page.locator(".appt .appt-state")
        await expect(states).to_have_text(["○ Booked"] * 2 + ["✕ Missed"] * 3)
        await expect(p.page.locator(".appt .appt-service").first).to_have_text("Service A")
        await expect(p.page.locator(".appt .checkin").first).to_have_text("Check in")
        await expect(p.page.locator(".appt .appt-slot").nth(0)).to_have_text(slot_en(x))
        await expect(p.page.locator(".appt .appt-slot").nth(1)).to_have_text(slot_en(y))
        await p.shot("phone-appointments-en-375x667")
        await p.assert_accessible("我的预约 in English")
    assert await mine(base, me) == []


async def test_check_in_only_inside_its_window_then_on_to_the_ticket_on_time_or_late(
    browser: Browser, server: ServerProcess, web_hall: HallFixture, gateway: Gateway, pg_url: str
) -> None:
    base, hall = server.base_url, web_hall.id
    await bookable(pg_url, server, web_hall, A=RULES, B={**RULES, "slot_minutes": 60})
    me = await citizen_session(base, gateway, PHONE4)
    a_list, b_list = await slot_list(base, hall, "A"), await slot_list(base, hall, "B")
    # Today's next A slot starts within 30 minutes: its check-in window is open now.
    soon = await book_http(base, me, hall, "A", of_day(a_list, a_list["days"][0])[0]["start"], ID1)
    later = await book_http(base, me, hall, "B", of_day(b_list, b_list["days"][1])[0]["start"], ID1)
    opens = datetime.fromisoformat(soon["check_in_from"])
    assert opens <= datetime.now(UTC)

    async with phone(browser, f"{base}/m/me") as p:
        await keep_session(p, me)
        # The phone's clock five seconds before the window opens, then time passes.
        await p.page.clock.install(time=opens - timedelta(seconds=5))
        await p.page.reload()
        now_card = p.page.locator(f'.appt[data-appt="{soon["id"]}"]')
        later_card = p.page.locator(f'.appt[data-appt="{later["id"]}"]')
        await expect(now_card.locator(".checkin")).to_be_disabled()
        await expect(later_card.locator(".checkin")).to_be_disabled()
        await expect(now_card.locator(".appt-ci")).to_contain_text("签到时间未到")
        await p.page.clock.run_for(10_000)
        await expect(now_card.locator(".checkin")).to_be_enabled()
        await expect(now_card.locator(".appt-ci")).to_have_text(
            f"现在可以签到（{soon['check_in_until'][11:16]} 前）。"
        )
        await expect(later_card.locator(".checkin")).to_be_disabled()
        await p.shot("phone-appointments-check-in-open-375x667")
        await p.assert_accessible("我的预约 with check-in open")

        await now_card.locator(".checkin").tap()
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text(re.compile(r"^A\d{3}$"))
        assert "token" not in p.page.url
        ticket_id = p.page.url.split("/m/ticket/")[1].split("?")[0]
        assert (await p.stored())[ticket_id]["token"]
        await p.page.reload()
        await expect(p.page.locator("#t-number")).to_have_text(re.compile(r"^A\d{3}$"))
        await p.page.goto(f"{base}/m/me")
        await expect(now_card.locator(".appt-state")).to_have_text("✓ 已签到")
        await expect(now_card.locator("a.button")).to_have_attribute(
            "href", f"/m/ticket/{ticket_id}"
        )

    # A slot that ended ten minutes ago, on a phone whose clock is behind: a walk-in ticket,
    # and the page says so before going to it. One that ended twenty minutes ago is past its
    # window on that phone too: no 签到 there.
    now = datetime.now(UTC)
    today_b = of_day(b_list, b_list["days"][0])[0]["start"]
    past = await book_http(base, me, hall, "B", today_b, ID2)
    gone = await book_http(base, me, hall, "B", today_b, ID3)
    move = "UPDATE appointments SET slot_start_at = $2, slot_end_at = $3 WHERE id = $1"
    for booking, ended in ((past, 10), (gone, 20)):
        end = now - timedelta(minutes=ended)
        await store_sql(pg_url, move, booking["id"], end - timedelta(minutes=60), end)
    async with phone(browser, f"{base}/m/me") as p:
        await keep_session(p, me)
        await p.page.clock.install(time=now - timedelta(minutes=12))
        await p.page.reload()
        over = p.page.locator(f'.appt[data-appt="{gone["id"]}"]')
        await expect(over.locator(".checkin")).to_be_disabled()
        await expect(over.locator(".appt-ci")).to_have_text(
            "已过签到时间。当天到大厅仍可在取号机签到，但只能取普通号。时段已开始，不能再改期或取消。"
        )
        await expect(over.locator(".resched")).to_be_disabled()
        card = p.page.locator(f'.appt[data-appt="{past["id"]}"]')
        await expect(card.locator(".checkin")).to_be_enabled()
        await card.locator(".checkin").tap()
        late = card.locator(".late")
        await expect(late).to_contain_text("您已超过预约时段，已为您取普通号，请按顺序等候。")
        await expect(late.locator("a")).to_be_focused()
        await expect(card.locator(".appt-state")).to_have_text("✓ 已签到（普通号）")
        await expect(card.locator("a")).to_have_count(1)
        await p.shot("phone-appointments-late-375x667")
        await p.assert_accessible("a late check-in")
        await late.locator("a").tap()
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text(re.compile(r"^B\d{3}$"))

        # Booking without a service named: the bookable ones to choose from.
        await p.page.goto(f"{base}/m/{hall}/book")
        choices = p.page.locator("#book-services .svc-choice")
        await expect(choices).to_have_count(2)
        await expect(choices.locator(".svc-name")).to_have_text(["业务A", "业务B"])
        await p.shot("phone-book-services-375x667")
        await p.assert_accessible("the service step")
        await choices.nth(1).locator("button").tap()
        await expect(p.page.locator("#slot-title")).to_have_text("预约：业务B")
        await expect(p.page.locator("#slot-title")).to_be_focused()
