"""Appointment check-in (预约签到) at the kiosk (/kiosk/{hall}) in real Chromium against a
real server: a booking made through the API (by a citizen signed in with an SMS code, or
by a clerk for a citizen) checked in by its QR code on the scanner with no touch at all,
by its code on the code keypad, or by the ID number on the ID keypad; the slip printed as
for any ticket; after the slot, told in large Chinese that it is a walk-in ticket; too
early, told from when; every refusal said; every field cleared on the way back; WCAG 2.1
AA by axe-core at both screen sizes and in high contrast.

The server runs on the real clock: its hall is put in a time zone where it is about noon
(noon_zone), so "today", the slots and their check-in windows never cross a midnight. A
booking whose slot is over cannot be made (the API refuses slots in the past), so such a
booking's slot is moved back in the database, as time would have moved past it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.displays import LANDSCAPE, PORTRAIT
from tests.browser.kiosk_helpers import (
    Kiosk,
    allow_refused,
    book_as_citizen,
    book_by_staff,
    id_number,
    kiosk_page,
    login,
    make_bookable,
    open_slots,
    record_check_ins,
    scan_qr,
    wrong_check,
)
from tests.browser.phone_helpers import Gateway, sms_gateway
from tests.browser.test_admin import make_admin
from tests.conftest import HallFixture
from tests.realtime.conftest import running, seed_hall, server_env
from tests.system.server_proc import ServerProcess

CITIZEN = "13600005566"  # not test_phone.py's: bookings would show on its 我的
ON_TIME = "签到成功，将按预约时段优先叫号。"
LATE = "您已超过预约时段，已为您取普通号，请按顺序等候。"


def url(server: ServerProcess, hall: HallFixture, query: str = "") -> str:
    return f"{server.base_url}/kiosk/{hall.id}{'?' + query if query else ''}"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@pytest.fixture
def sms_server(
    tmp_path: Path, pg_url: str, web_hall: HallFixture, gateway: Gateway
) -> Iterator[ServerProcess]:
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2", ONEWINDOW_SMS_GATEWAY_URL=gateway.url,
                     ONEWINDOW_NOTIFY_POLL_S="0.2")  # fmt: skip
    with running(tmp_path, env) as srv:
        yield srv


async def bookable(server: ServerProcess, hall: HallFixture, pg_url: str) -> list[dict[str, Any]]:
    """Service A takes bookings; the slots still open, soonest first (the first one's
    check-in is open now: it starts within 30 minutes)."""
    await make_bookable(server.base_url, await make_admin(pg_url), hall.id)
    return await open_slots(server.base_url, hall.id)


async def by_clerk(
    server: ServerProcess, hall: HallFixture, slot: str, id_no: str
) -> dict[str, Any]:
    return await book_by_staff(server.base_url, hall.clerks[0].username, hall.id, slot, id_no)


async def appointment(
    server: ServerProcess, hall: HallFixture, appointment_id: str
) -> dict[str, Any]:
    token = await login(server.base_url, hall.clerks[0].username)
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.get(f"/api/appointments/{appointment_id}",
                        headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


async def printed_ticket(server: ServerProcess, k: Kiosk, count: int) -> tuple[dict[str, Any], str]:
    """The ticket behind the count-th slip the kiosk printed, and the slip's text."""
    await k.wait(f"(window.__printed || []).length === {count}")
    path = (await k.printed())[count - 1]
    assert path.endswith("&print=1")
    ticket_id = path.split("/slip/")[1].split("?")[0]
    token = path.split("token=")[1].split("&")[0]
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.get(f"/api/tickets/{ticket_id}", params={"token": token})
        assert r.status_code == 200, r.text
        slip = await c.get(path.removesuffix("&print=1"))
        assert slip.status_code == 200
        out: dict[str, Any] = r.json()
        return out, slip.text


async def move_slot(pg_url: str, appointment_id: str, by: timedelta) -> None:
    """Time passing for one booking: its slot moved back (its slot_day is left, so the
    server's no-show sweep does not settle it first)."""
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            "UPDATE appointments SET slot_start_at = slot_start_at + $2,"
            " slot_end_at = slot_end_at + $2 WHERE id = $1",
            appointment_id, by,
        )  # fmt: skip
    finally:
        await conn.close()


async def no_violations(k: Kiosk, where: str) -> None:
    found = await violations(k.page)
    assert not found, f"{where}:\n{describe(found)}"


async def large(k: Kiosk, selector: str) -> float:
    size: float = await k.page.eval_on_selector(
        selector, "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    return size


async def fields_cleared(k: Kiosk) -> None:
    for field in ("#ci-code-input", "#ci-id-input", "#id-input"):
        assert await k.page.input_value(field) == "", field
    for box in ("#ci-code-error", "#ci-id-error", "#ci-id-groups", "#done-note"):
        assert await k.page.is_hidden(box), box
    assert await k.text("#fail-text") == ""
    assert await k.page.get_attribute("#ci-mode-code", "aria-pressed") == "true"


async def test_a_scanned_booking_qr_checks_in_at_the_start_screen_and_prints_the_slip(
    browser: Browser, sms_server: ServerProcess, web_hall: HallFixture, gateway: Gateway,
    pg_url: str,
) -> None:  # fmt: skip
    slots = await bookable(sms_server, web_hall, pg_url)
    booking = await book_as_citizen(sms_server.base_url, gateway, CITIZEN, web_hall.id,
                                    slots[0]["start"], id_number("19900101"))  # fmt: skip
    # What the scanner reads from the QR code the citizen shows.
    scanned = await scan_qr(browser, booking["qr_svg"])
    assert scanned == booking["code"]
    async with kiosk_page(browser, url(sms_server, web_hall, "done=60")) as k:
        sent = record_check_ins(k)
        await k.ready()
        await expect(k.page.locator("#ci-open")).to_be_visible()
        assert await k.text("#ci-open .checkin-open-title") == "预约签到 Appointment check-in"
        await k.page.click("#pref-voice")  # the focus is left on a button: the scan still counts
        await k.page.screenshot(path=shot_path("kiosk-checkin-start-1920x1080"))

        # The scanner types the code and Enter; nobody touches the screen.
        await k.page.keyboard.type(scanned)
        await k.page.keyboard.press("Enter")
        await k.at("done")
        assert sent == [{"code": booking["code"]}]
        assert await k.text("#done-title-text") == "预约签到"
        assert await k.text("#done-number") == "A001"
        assert await k.text("#done-note-text") == ON_TIME
        ticket, slip = await printed_ticket(sms_server, k, 1)
        assert ticket["number"] == "A001" and ticket["kind"] == "appointment"
        assert "A001" in slip and "预约" in slip
        await k.wait("(window.__said || []).some(s => s.text.includes('A零零一'))")
        assert "签到成功，您的号码是 A零零一，前面还有 0 人，请取走号票" in await k.said()
        await k.page.screenshot(path=shot_path("kiosk-checkin-done-1920x1080"))
        after = await appointment(sms_server, web_hall, booking["id"])
        assert after["state"] == "checked_in" and after["ticket_id"] == ticket["id"]

        await k.page.click("#done-home")
        await k.at("start")
        await fields_cleared(k)
        assert await k.text("#done-number") == ""

        # Scanned again: already checked in, said large; nothing printed.
        await k.page.keyboard.type(scanned)
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        assert await k.text("#fail-title-text") == "未能签到"
        assert await k.text("#fail-text") == "该预约已签到，请勿重复签到"
        assert await large(k, "#fail-text") >= 60
        assert await k.page.is_hidden("#fail-fix")
        assert len(await k.printed()) == 1
        assert sent == [{"code": booking["code"]}] * 2


async def test_check_in_by_id_number_on_the_keypad_and_by_code_typed_in_lower_case(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    slots = await bookable(web_server, web_hall, pg_url)
    person = id_number("19851231", serial="456")
    await by_clerk(web_server, web_hall, slots[0]["start"], person)
    other = await by_clerk(web_server, web_hall, slots[0]["start"], id_number("19700505"))
    third = await by_clerk(web_server, web_hall, slots[0]["start"], id_number("19750606"))
    async with kiosk_page(browser, url(web_server, web_hall, "voice=1"), viewport=PORTRAIT) as k:
        sent = record_check_ins(k)
        await k.ready()
        await expect(k.page.locator("#ci-open")).to_be_visible()
        await k.page.screenshot(path=shot_path("kiosk-checkin-start-1080x1920"))
        await k.page.click("#ci-open")
        await k.at("checkin")
        await expect(k.page.locator("#ci-code-input")).to_be_focused()
        assert "请扫描预约二维码，或输入八位预约码" in await k.said()
        await k.page.screenshot(path=shot_path("kiosk-checkin-code-1080x1920"))

        await k.page.click("#ci-mode-id")
        assert await k.page.get_attribute("#ci-mode-id", "aria-pressed") == "true"
        assert await k.page.get_attribute("#ci-mode-code", "aria-pressed") == "false"
        assert await k.page.is_hidden("#ci-code-keypad")
        await expect(k.page.locator("#ci-id-input")).to_be_focused()
        assert "请输入预约时填写的身份证号码，或将身份证放在读卡区" in await k.said()
        # A wrong check digit is found here, with its group marked, and never sent.
        await k.tap_keys(wrong_check(person), "#ci-id-keypad")
        await k.page.click("#ci-go")
        assert await k.text("#ci-id-error .error-text") == "第18位校验码不对，请核对身份证号"
        assert await k.page.get_attribute("#ci-id-input", "aria-invalid") == "true"
        marked = await k.page.eval_on_selector_all(
            "#ci-id-groups .group-bad", "els => els.map(e => e.dataset.part)"
        )
        assert marked == ["check"]
        assert "第18位校验码不对，请核对身份证号" in await k.said()
        await k.page.screenshot(path=shot_path("kiosk-checkin-id-error-1080x1920"))
        await no_violations(k, "check-in ID error 1080x1920")
        await k.page.click("#ci-id-keypad [data-key=clear]")
        assert await k.page.is_hidden("#ci-id-error")
        await k.tap_keys(person, "#ci-id-keypad")
        assert await k.text("#ci-id-count") == "已输入 18 / 18 位"
        await k.page.click("#ci-go")
        await k.at("done")
        assert sent == [{"id_number": person}]
        assert await k.text("#done-number") == "A001"
        ticket, _ = await printed_ticket(web_server, k, 1)
        assert ticket["kind"] == "appointment"
        await k.page.screenshot(path=shot_path("kiosk-checkin-done-1080x1920"))
        await k.page.click("#done-home")
        await k.at("start")
        await fields_cleared(k)
        assert (await k.said())[
            -1
        ] == "请触摸屏幕，选择要办理的业务；已预约的，请扫描预约二维码签到"

        # Typed on a keyboard in lower case, on the check-in screen: the same code.
        await k.page.click("#ci-open")
        await k.page.keyboard.type(other["code"].lower())
        assert await k.page.input_value("#ci-code-input") == other["code"]
        assert await k.text("#ci-code-count") == "已输入 8 / 8 位"
        await k.page.keyboard.press("Enter")
        await k.at("done")
        assert await k.text("#done-number") == "A002"
        assert sent[-1] == {"code": other["code"]}
        await printed_ticket(web_server, k, 2)

        # Stray keys at the start screen, an ordinary ticket, and while its number is
        # shown the next citizen scans a booking: checked in at once.
        await k.page.click("#done-home")
        await k.at("start")
        await k.page.keyboard.type("9Z")
        await k.page.click("#tiles .tile[data-service=B]")
        await k.page.click("#id-skip")
        await k.page.click("#phone-skip")
        await k.page.click("#confirm-go")
        await k.at("done")
        assert await k.text("#done-number") == "B001"
        assert await k.text("#done-title-text") == "取号成功"
        assert await k.page.is_hidden("#done-note")
        await k.page.keyboard.type(third["code"])
        await k.page.keyboard.press("Enter")
        await k.wait("document.getElementById('done-number').textContent === 'A003'")
        assert await k.text("#done-title-text") == "预约签到"
        assert sent[-1] == {"code": third["code"]}
        await printed_ticket(web_server, k, 4)


async def test_too_early_says_from_when_an_unknown_code_says_so_and_idle_clears_it_all(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    slots = await bookable(web_server, web_hall, pg_url)
    first = datetime.fromisoformat(slots[0]["start"])
    later = next(
        s for s in slots if datetime.fromisoformat(s["start"]) >= first + timedelta(hours=2)
    )
    assert later["start"][:10] == slots[0]["start"][:10]  # today, on the hall's clock
    # Another day's slot, in its morning (so that its check-in opens that day too).
    other_day = next(s for s in slots if s["start"][:10] != slots[0]["start"][:10]
                     and datetime.fromisoformat(s["start"]).hour >= 9)  # fmt: skip
    today = await by_clerk(web_server, web_hall, later["start"], id_number("19800808"))
    coming = await by_clerk(web_server, web_hall, other_day["start"], id_number("19810909"))
    opens = datetime.fromisoformat(coming["check_in_from"])
    year = "" if coming["check_in_from"][:4] == slots[0]["start"][:4] else f"{opens.year}年"
    async with kiosk_page(browser, url(web_server, web_hall), clock=True) as k:
        sent = record_check_ins(k)
        await k.ready()
        await k.page.click("#ci-open")
        await k.at("checkin")
        await k.page.screenshot(path=shot_path("kiosk-checkin-code-1920x1080"))
        # Typed on the code keypad, then 签到.
        await k.tap_keys(today["code"], "#ci-code-keypad")
        assert await k.page.input_value("#ci-code-input") == today["code"]
        await k.page.click("#ci-go")
        await k.at("fail")
        assert await k.text("#fail-text") == (
            f"签到时间未到，请于今天 {today['check_in_from'][11:16]} 后签到"
        )
        assert await large(k, "#fail-text") >= 60
        assert await k.page.is_hidden("#fail-fix")
        await k.page.screenshot(path=shot_path("kiosk-checkin-too-early-1920x1080"))
        await no_violations(k, "too early")
        await k.page.click("#fail-home")
        await k.at("start")
        await fields_cleared(k)

        # Another day's booking, scanned at the start screen: its date too.
        await k.page.keyboard.type(coming["code"])
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        assert await k.text("#fail-text") == (
            f"签到时间未到，请于 {year}{opens.month}月{opens.day}日 {opens:%H:%M} 后签到"
        )
        await k.page.click("#fail-home")

        # A code nobody booked: said so, and typed again from an empty field.
        await k.page.click("#ci-open")
        await k.page.keyboard.type("abcdefgh")
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        assert await k.text("#fail-text") == "预约码不存在，请核对后重新输入"
        assert await k.text("#fail-fix") == "重新输入预约码"
        await k.page.screenshot(path=shot_path("kiosk-checkin-unknown-1920x1080"))
        await k.page.click("#fail-fix")
        await k.at("checkin")
        assert await k.page.input_value("#ci-code-input") == ""
        await expect(k.page.locator("#ci-code-input")).to_be_focused()

        # Another QR (a web address) is no booking code: said here, not sent.
        await k.page.keyboard.type("https://example.org/m/ticket/1")
        await k.page.keyboard.press("Enter")
        assert await k.text("#ci-code-error .error-text") == (
            "这不是预约二维码，请扫描预约短信或预约页面上的二维码"
        )
        assert await k.page.input_value("#ci-code-input") == ""
        # Too short, and then half an ID number: left there, the kiosk goes back to the
        # start in 30 s and forgets all of it.
        await k.page.keyboard.type("ABC")
        await k.page.keyboard.press("Enter")
        assert (
            await k.text("#ci-code-error .error-text") == "预约码应为 8 位，您输入了 3 位，请核对"
        )
        await k.page.click("#ci-mode-id")
        await k.tap_keys("370102", "#ci-id-keypad")
        await k.page.clock.fast_forward(21_000)
        await k.wait("!document.getElementById('idle-warn').hidden")
        assert await k.step() == "checkin"
        await k.page.clock.fast_forward(10_000)
        await k.at("start")
        await fields_cleared(k)
        assert await k.page.is_hidden("#ci-id-keypad")
        assert [s["code"] for s in sent] == [today["code"], coming["code"], "ABCDEFGH"]
        allow_refused(k, 404)

    # On an English screen: the Chinese large, the English under it.
    async with kiosk_page(browser, url(web_server, web_hall, "lang=en")) as k:
        await k.ready()
        await k.page.keyboard.type(today["code"])
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        assert await k.text("#fail-title-text") == "Not checked in"
        assert await k.text("#fail-text") == (
            f"签到时间未到，请于今天 {today['check_in_from'][11:16]} 后签到"
        )
        assert await k.text("#fail-alt") == (
            f"Check-in opens at {today['check_in_from'][11:16]} today. Please come back then"
        )
        await k.page.screenshot(path=shot_path("kiosk-checkin-too-early-en-1920x1080"))


async def test_after_the_slot_a_walk_in_ticket_is_said_large_and_refusals_say_why(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    slots = await bookable(web_server, web_hall, pg_url)
    start = slots[0]["start"]
    late = [await by_clerk(web_server, web_hall, start, id_number("19600101", serial=s))
            for s in ("111", "222")]  # fmt: skip
    expired = await by_clerk(web_server, web_hall, start, id_number("19600101", serial="333"))
    for a in late:  # booked for a slot that ended an hour and a half ago
        await move_slot(pg_url, a["id"], timedelta(hours=-2))
    await move_slot(pg_url, expired["id"], timedelta(days=-1))  # its day is over
    # A booking at another hall.
    hall2 = await seed_hall(pg_url)
    await make_bookable(web_server.base_url, await make_admin(pg_url), hall2.id)
    slot2 = (await open_slots(web_server.base_url, hall2.id))[0]["start"]
    elsewhere = await book_by_staff(web_server.base_url, hall2.clerks[0].username, hall2.id,
                                    slot2, id_number("19600101", serial="444"))  # fmt: skip

    for n, (viewport, size) in enumerate(((PORTRAIT, "1080x1920"), (LANDSCAPE, "1920x1080"))):
        async with kiosk_page(
            browser, url(web_server, web_hall, "done=60&voice=1"), viewport=viewport
        ) as k:
            await k.ready()
            await k.page.keyboard.type(late[n]["code"])
            await k.page.keyboard.press("Enter")
            await k.at("done")
            assert await k.text("#done-title-text") == "预约签到"
            assert await k.text("#done-note-text") == LATE
            assert await large(k, "#done-note-text") >= 60
            assert await k.text("#done-number") == f"A00{n + 1}"
            ticket, slip = await printed_ticket(web_server, k, 1)
            assert ticket["kind"] == "walk_in" and "预约" not in slip
            number = f"A零零{'一二'[n]}"
            await k.wait(f"(window.__said || []).some(s => s.text.includes('{number}'))")
            assert f"{LATE}您的号码是 {number}，前面还有 {n} 人，请取走号票" in await k.said()
            await k.page.screenshot(path=shot_path(f"kiosk-checkin-late-{size}"))
            await no_violations(k, f"late {size}")
    after = await appointment(web_server, web_hall, late[0]["id"])
    assert after["state"] == "late"

    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        sent = record_check_ins(k)
        await k.ready()
        for code, why in ((expired["code"], "预约日期已过，该预约已失效"),
                          (elsewhere["code"], "该预约属于测试大厅，请到该大厅签到")):  # fmt: skip
            await k.page.keyboard.type(code)
            await k.page.keyboard.press("Enter")
            await k.at("fail")
            assert await k.text("#fail-text") == why
            await k.page.click("#fail-home")
            await k.at("start")
        # An ID number with no booking here today.
        await k.page.click("#ci-open")
        await k.page.click("#ci-mode-id")
        await k.page.keyboard.type(id_number("19990101"))  # the ID-card reader
        await k.page.keyboard.press("Enter")
        await k.at("fail")
        assert await k.text("#fail-text") == "该身份证号今天在本大厅没有预约"
        await k.page.click("#fail-fix")
        await k.at("checkin")
        assert await k.page.get_attribute("#ci-mode-id", "aria-pressed") == "true"
        assert await k.page.input_value("#ci-id-input") == ""
        assert sent == [{"code": expired["code"]}, {"code": elsewhere["code"]},
                        {"id_number": id_number("19990101")}]  # fmt: skip
        allow_refused(k, 404)


async def test_the_check_in_screens_have_no_accessibility_violations(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    await bookable(web_server, web_hall, pg_url)
    for viewport, size in ((LANDSCAPE, "1920x1080"), (PORTRAIT, "1080x1920")):
        for contrast in (False, True):
            query = "contrast=high" if contrast else ""
            where = f"{size}{' high contrast' if contrast else ''}"
            async with kiosk_page(
                browser, url(web_server, web_hall, query), viewport=viewport
            ) as k:
                await k.ready()
                await expect(k.page.locator("#ci-open")).to_be_visible()
                await no_violations(k, f"start {where}")
                await k.page.click("#ci-open")
                await k.at("checkin")
                await no_violations(k, f"check-in code {where}")
                await k.page.keyboard.type("ABC")
                await k.page.keyboard.press("Enter")
                await expect(k.page.locator("#ci-code-error")).to_be_visible()
                await no_violations(k, f"check-in code error {where}")
                if contrast:
                    await k.page.screenshot(path=shot_path(f"kiosk-checkin-code-hc-{size}"))
                await k.page.click("#ci-mode-id")
                await k.page.keyboard.type(wrong_check(id_number()))
                await k.page.keyboard.press("Enter")
                await expect(k.page.locator("#ci-id-groups")).to_be_visible()
                await no_violations(k, f"check-in ID error {where}")
                # Every control is reached with Tab: the field switch, the keys, 签到.
                await k.page.focus("#ci-id-input")
                reached = set()
                for _ in range(25):
                    await k.page.keyboard.press("Tab")
                    reached.add(
                        await k.page.evaluate(
                            "document.activeElement.id || document.activeElement.dataset.key || ''"
                        )
                    )
                assert {"ci-back", "ci-go", "0", "X", "clear"} <= reached, reached
    async with kiosk_page(browser, url(web_server, web_hall, "lang=en")) as k:
        await k.ready()
        assert await k.text("#ci-open .checkin-open-title") == "Appointment check-in 预约签到"
        await k.page.click("#ci-open")
        assert await k.text("#ci-title") == "Appointment check-in"
        assert await k.text("#ci-mode-code") == "✔ Booking code"
        await no_violations(k, "English check-in")
        await k.page.screenshot(path=shot_path("kiosk-checkin-code-en-1920x1080"))
