"""The kiosk (取号机, /kiosk/{hall}) and its printed slip, in real Chromium against a
real server: a ticket by touch and by an ID-card reader's keystrokes, bad ID numbers
explained and never sent, the green channel for 70 and over and by a guide's PIN, a
refused ticket explained, the 30 s idle reset, live waiting counts, WCAG 2.1 AA by
axe-core, and the 80 mm slip as a PDF whose QR code opens the follow page."""

from __future__ import annotations

import httpx
import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from playwright.async_api import Browser, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.displays import LANDSCAPE, PORTRAIT, Desk
from tests.browser.kiosk_helpers import (
    Kiosk,
    admin_patch,
    id_number,
    kiosk_page,
    wrong_check,
)
from tests.browser.test_admin import make_admin
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

YOUNG = id_number("19900101")
OLD = id_number("19500101")
PHONE = "13812345678"


def url(server: ServerProcess, hall: HallFixture, query: str = "") -> str:
    return f"{server.base_url}/kiosk/{hall.id}{'?' + query if query else ''}"


async def to_id_step(k: Kiosk, service: str = "A") -> None:
    await k.ready()
    await k.page.click(f"#tiles .tile[data-service={service}]")
    await k.at("id")


async def test_a_ticket_by_touch_prints_its_slip_and_says_the_number(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    async with kiosk_page(browser, url(web_server, web_hall, "done=60")) as k:
        await k.ready()
        await k.page.screenshot(path=shot_path("kiosk-start-1920x1080"))
        await k.page.click("#pref-voice")
        assert await k.page.get_attribute("#pref-voice", "aria-pressed") == "true"

        await to_id_step(k)
        assert "请输入身份证号码，或将身份证放在读卡区" in await k.said()
        await k.tap_keys(YOUNG[:10])
        assert await k.text("#id-count") == "已输入 10 / 18 位"
        await k.tap_keys("9")
        await k.page.click("#id-keypad [data-key=delete]")
        await k.tap_keys(YOUNG[10:])
        assert await k.page.input_value("#id-input") == YOUNG
        await k.page.screenshot(path=shot_path("kiosk-keypad-1920x1080"))
        await k.page.click("#id-next")

        # Under 70: no green channel offered; straight to the optional phone number.
        await k.at("phone")
        await k.tap_keys(PHONE, "#phone-keypad")
        await k.page.click("#phone-next")
        await k.at("confirm")
        assert await k.text("#sum-service") == "业务A"
        assert await k.text("#sum-id") == YOUNG[:3] + "*" * 11 + YOUNG[-4:]
        assert await k.text("#sum-phone") == "138****5678"
        assert await k.text("#sum-kind") == "普通"
        assert await k.page.is_hidden("#confirm-guide")  # this hall has no guide PIN
        await k.page.click("#confirm-go")

        await k.at("done")
        assert await k.text("#done-number") == "A001"
        assert await k.text("#done-ahead") == "前面还有 0 人"
        assert k.posts == [{"service": "A", "channel": "kiosk", "kind": "walk_in", "lang": "zh",
                            "id_number": YOUNG, "phone": PHONE}]  # fmt: skip
        await k.wait("(window.__printed || []).length === 1")
        [printed] = await k.printed()
        assert printed.startswith(f"/kiosk/{web_hall.id}/slip/") and printed.endswith("&print=1")
        # The slip tells the kiosk it has printed; its frame goes.
        await k.wait(
            "document.body.dataset.printed === '1' && !document.querySelector('.slip-frame')"
        )
        await k.wait("(window.__said || []).some(s => s.text.includes('A零零一'))")
        assert "取号成功，您的号码是 A零零一，前面还有 0 人，请取走号票" in await k.said()
        await k.page.screenshot(path=shot_path("kiosk-result-1920x1080"))

        await k.page.click("#done-home")
        await k.at("start")
        assert await k.page.input_value("#id-input") == ""
        assert await k.page.input_value("#phone-input") == ""
        assert await k.text("#done-number") == ""


async def test_the_kiosk_and_its_slip_frame_run_under_the_real_security_policy(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    # Any refused script, style or frame shows as a console error, which fails the test.
    async with kiosk_page(browser, url(web_server, web_hall), real_csp=True) as k:
        await k.page.click("#tiles .tile[data-service=A]")
        await k.page.keyboard.type(YOUNG)
        await k.page.keyboard.press("Enter")
        await k.page.click("#phone-skip")
        await k.page.click("#confirm-go")
        await expect(k.page.locator("#done-number")).to_have_text("A001")
        await k.page.wait_for_selector("body[data-printed='1']", state="attached")
        assert await k.printed() == [await k.page.evaluate("window.__kiosk.printer.lastUrl")]


async def test_an_id_card_reader_types_the_number_without_a_touch(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    async with kiosk_page(browser, url(web_server, web_hall), viewport=PORTRAIT) as k:
        await k.ready()
        await k.page.screenshot(path=shot_path("kiosk-start-1080x1920"))
        await to_id_step(k, "C")
        # The reader: digits then Enter, as keystrokes; the keypad is never touched.
        await k.page.keyboard.type(YOUNG)
        await k.page.keyboard.press("Enter")
        await k.at("phone")
        await k.page.keyboard.press("Enter")  # nothing typed: no SMS
        await k.at("confirm")
        assert await k.text("#sum-phone") == "未填写"
        await k.page.screenshot(path=shot_path("kiosk-confirm-1080x1920"))
        await k.page.keyboard.press("Enter")  # the focus is on 确认取号
        await k.at("done")
        assert await k.text("#done-number") == "C001"
        await k.page.screenshot(path=shot_path("kiosk-result-1080x1920"))
        assert k.posts == [{"service": "C", "channel": "kiosk", "kind": "walk_in", "lang": "zh",
                            "id_number": YOUNG}]  # fmt: skip

        # A reader's keys land in the field even when a button has the focus.
        await k.page.click("#done-home")
        await to_id_step(k, "C")
        await k.page.focus("#id-skip")
        await k.page.keyboard.type(OLD[:6])
        assert await k.page.input_value("#id-input") == OLD[:6]


async def test_a_wrong_id_number_is_explained_and_nothing_is_sent(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    cases = [
        (wrong_check(YOUNG), "第18位校验码不对，请核对身份证号", "check"),
        (
            id_number("19900230"),
            "第7–14位出生日期不对：“19900230”不是有效日期，请核对身份证号",
            "birth",
        ),
        (
            id_number("18990101"),
            "第7–14位出生日期不对：年份 1899 早于1900年，请核对身份证号",
            "birth",
        ),
        (
            id_number("20990101"),
            "第7–14位出生日期不对：2099-01-01 晚于今天，请核对身份证号",
            "birth",
        ),
        (
            id_number(region="990102"),
            "前6位地区码不对（不存在以“99”开头的地区），请核对身份证号",
            "region",
        ),
        (YOUNG[:17], "身份证号码应为18位，您输入了 17 位，请核对", None),
        (YOUNG[:5] + "X" + YOUNG[6:], "只有第18位可以是 X，请核对身份证号", "region"),
    ]
    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        await to_id_step(k)
        for number, explained, part in cases:
            await k.page.click("#id-keypad [data-key=clear]")
            await k.page.keyboard.type(number)
            await k.page.keyboard.press("Enter")
            await k.wait("!document.getElementById('id-error').hidden")
            assert await k.text("#id-error .error-text") == explained, number
            assert await k.page.get_attribute("#id-input", "aria-invalid") == "true"
            marked = await k.page.eval_on_selector_all(
                "#id-groups .group-bad", "els => els.map(e => e.dataset.part)"
            )
            assert marked == ([part] if part and len(number) == 18 else []), number
            if part == "check":
                await k.page.screenshot(path=shot_path("kiosk-id-error-1920x1080"))
            assert await k.step() == "id"
        # Typing again clears the error.
        await k.page.keyboard.press("Backspace")
        assert await k.page.is_hidden("#id-error")
        assert await k.page.get_attribute("#id-input", "aria-invalid") is None
        # A phone number is checked the same way.
        await k.page.click("#id-skip")
        await k.at("phone")
        await k.page.keyboard.type("1231234567")
        await k.page.keyboard.press("Enter")
        assert await k.text("#phone-error .error-text") == "手机号码应为11位，您输入了 10 位"
        await k.page.keyboard.type("8")
        await k.page.keyboard.press("Enter")
        assert await k.text("#phone-error .error-text") == "手机号码应以 13–19 开头，请核对"
    assert k.posts == []


async def test_the_green_channel_is_offered_at_70_and_given_by_a_guide_pin(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    admin = await make_admin(pg_url)
    await admin_patch(web_server.base_url, admin, f"/api/admin/halls/{web_hall.id}",
                      {"green_pin": "2468"})  # fmt: skip
    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        await to_id_step(k, "B")
        await k.page.keyboard.type(OLD)
        await k.page.keyboard.press("Enter")
        await k.at("green")
        await k.page.screenshot(path=shot_path("kiosk-green-1920x1080"))
        await k.page.click("#green-take")
        await k.at("phone")
        await k.page.click("#phone-skip")
        await k.at("confirm")
        assert await k.text("#sum-kind") == "绿色通道 · 高龄老人（70 周岁及以上）"
        assert await k.page.is_hidden("#confirm-guide")  # green already
        await k.page.click("#confirm-go")
        await k.at("done")
        assert k.posts[-1] == {"service": "B", "channel": "kiosk", "kind": "green", "lang": "zh",
                               "id_number": OLD, "green_reason": "elderly"}  # fmt: skip

        # Another group: a hall guide chooses it and types the PIN.
        await k.page.click("#done-home")
        await to_id_step(k, "B")
        await k.page.click("#id-skip")
        await k.page.click("#phone-skip")
        await k.at("confirm")
        await k.page.click("#confirm-guide")
        await k.at("guide")
        await k.page.click("#guide-ok")
        assert await k.text("#guide-error .error-text") == "请先选择类别"
        await k.page.click("label.reason:has(input[value=pregnant])")
        await k.tap_keys("1357", "#pin-keypad")
        await k.page.screenshot(path=shot_path("kiosk-guide-1920x1080"))
        await k.page.click("#guide-ok")
        await k.at("confirm")
        assert await k.text("#sum-kind") == "绿色通道 · 孕妇"
        await k.page.click("#confirm-go")
        await k.at("fail")
        assert await k.text("#fail-text") == "授权码不正确"
        await k.page.click("#fail-fix")
        await k.at("guide")
        await k.page.click("#pin-keypad [data-key=clear]")
        await k.tap_keys("2468", "#pin-keypad")
        await k.page.click("#guide-ok")
        await k.page.click("#confirm-go")
        await k.at("done")
        assert k.posts[-1] == {"service": "B", "channel": "kiosk", "kind": "green", "lang": "zh",
                               "green_reason": "pregnant", "staff_pin": "2468"}  # fmt: skip
        assert await k.text("#done-number") == "B002"


async def test_a_refused_ticket_says_why_in_large_chinese(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.issue("A", id_number=YOUNG)
    async with httpx.AsyncClient(base_url=web_server.base_url) as c:
        r = await c.post(f"/api/halls/{web_hall.id}/tickets",
                         json={"service": "A", "id_number": YOUNG})  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_ticket"
        why = r.json()["error"]["message_zh"]
    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        await to_id_step(k)
        await k.page.keyboard.type(YOUNG)
        await k.page.keyboard.press("Enter")
        await k.page.click("#phone-skip")
        await k.page.click("#confirm-go")
        await k.at("fail")
        assert await k.text("#fail-text") == why
        size = await k.page.eval_on_selector(
            "#fail-text", "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size >= 60  # large: 3rem on a 1080-pixel-high screen
        assert await k.page.is_hidden("#fail-fix")
        await k.page.screenshot(path=shot_path("kiosk-refused-1920x1080"))
        await k.page.click("#fail-home")
        await k.at("start")
        assert await k.text("#fail-text") == ""
        assert await k.page.input_value("#id-input") == ""


async def test_a_closed_hall_says_so_and_gives_no_ticket(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    admin = await make_admin(pg_url)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    await admin_patch(
        web_server.base_url,
        admin,
        f"/api/admin/halls/{web_hall.id}",
        {"hours": {d: [] for d in days}},
    )
    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        await k.ready()
        assert await k.page.is_visible("#closed")
        assert await k.text("#closed") == "⚠ 当前不在办公时间，暂停取号"
        assert await k.page.get_attribute("[data-service=A]", "aria-disabled") == "true"
        # aria-disabled, yet a touch still answers: with why there is no ticket.
        await k.page.click("[data-service=A]", force=True)
        await k.at("fail")
        assert await k.text("#fail-text") == "当前不在办公时间，暂停取号"
        await k.page.click("#fail-home")
        await k.at("start")
    assert k.posts == []


async def test_thirty_seconds_idle_goes_back_to_the_start_and_clears_every_field(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    async with kiosk_page(browser, url(web_server, web_hall), clock=True) as k:
        await to_id_step(k)
        await k.page.keyboard.type(wrong_check(YOUNG))
        await k.page.keyboard.press("Enter")
        await k.wait("!document.getElementById('id-error').hidden")
        await k.page.click("#id-keypad [data-key=clear]")
        await k.page.keyboard.type(YOUNG)
        await k.page.keyboard.press("Enter")
        await k.at("phone")
        await k.page.keyboard.type("1381234")
        await k.page.keyboard.press("Enter")  # 7 digits: explained
        await k.wait("!document.getElementById('phone-error').hidden")

        await k.page.clock.fast_forward(21_000)
        await k.wait("!document.getElementById('idle-warn').hidden")
        assert await k.text("#idle-warn") == "9 秒后返回首页，触摸屏幕可继续"
        assert await k.step() == "phone"
        # A touch starts the 30 s again.
        await k.page.click("#phone-keypad [data-key='5']")
        await k.page.clock.fast_forward(21_000)
        assert await k.step() == "phone"
        await k.page.clock.fast_forward(10_000)
        await k.at("start")
        for field in ("#id-input", "#phone-input", "#pin-input"):
            assert await k.page.input_value(field) == "", field
        for box in ("#id-error", "#phone-error", "#idle-warn", "#id-groups"):
            assert await k.page.is_hidden(box), box
        assert await k.page.evaluate("window.__kiosk.state().id") is None

        # The issued number goes too, after the few seconds it is shown.
        await to_id_step(k)
        await k.page.click("#id-skip")
        await k.page.click("#phone-skip")
        await k.page.click("#confirm-go")
        await k.at("done")
        assert await k.text("#done-number") == "A001"
        await k.page.clock.fast_forward(11_000)
        await k.at("start")
        assert await k.text("#done-number") == ""
    assert [p.get("id_number") for p in k.posts] == [None]


async def test_waiting_counts_follow_the_hall_and_only_kiosk_services_show(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    admin = await make_admin(pg_url)
    await admin_patch(web_server.base_url, admin,
                      f"/api/admin/halls/{web_hall.id}/services/D", {"channels": ["window"]})  # fmt: skip
    desk = Desk.of(web_server, web_hall)
    await desk.issue("A")
    async with kiosk_page(browser, url(web_server, web_hall)) as k:
        await k.ready()
        tiles = await k.page.eval_on_selector_all(
            "#tiles .tile", "els => els.map(e => e.dataset.service)"
        )
        assert tiles == ["A", "B", "C"]
        assert await k.text("[data-service=A] .tile-n") == "1"
        assert await k.text("[data-service=B] .tile-n") == "0"
        await desk.issue("B")
        await desk.issue("B")
        took = await k.wait(
            "document.querySelector('[data-service=B] .tile-n').textContent === '2'"
        )
        assert took < 2
        await desk.call(1)  # window 1 serves A and B: the A ticket came first
        await k.wait("document.querySelector('[data-service=A] .tile-n').textContent === '0'")
        # The estimated wait comes with the re-read a few seconds later.
        await k.wait(
            "document.querySelector('[data-service=B] .tile-eta').textContent.includes('分钟')",
            timeout=8,
        )


async def test_no_accessibility_violations_at_both_sizes_and_in_high_contrast(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    for viewport, name in ((LANDSCAPE, "1920x1080"), (PORTRAIT, "1080x1920")):
        for contrast in (False, True):
            async with kiosk_page(browser, url(web_server, web_hall), viewport=viewport) as k:
                await k.ready()
                if contrast:
                    await k.page.click("#pref-contrast")
                    assert await k.page.evaluate("document.body.classList.contains('hc')")
                    await k.page.reload()  # remembered on this kiosk
                    await k.ready()
                    assert await k.page.evaluate("document.body.classList.contains('hc')")
                    assert await k.page.get_attribute("#pref-contrast", "aria-pressed") == "true"
                where = f"{name}{' high contrast' if contrast else ''}"
                await no_violations(k, f"start {where}")
                await to_id_step(k)
                await k.page.keyboard.type(wrong_check(YOUNG))
                await k.page.keyboard.press("Enter")
                await no_violations(k, f"ID error {where}")
                if contrast:
                    await k.page.screenshot(path=shot_path(f"kiosk-id-error-hc-{name}"))
                await k.page.click("#id-skip")
                await k.page.click("#phone-skip")
                await no_violations(k, f"confirm {where}")
                await k.page.click("#confirm-go")
                await k.at("done")
                await no_violations(k, f"done {where}")
    async with kiosk_page(browser, url(web_server, web_hall, "lang=en")) as k:
        await k.ready()
        assert await k.text("#start-title") == "Choose a service"
        assert await k.text("[data-service=A] .tile-name") == "Service A"
        await no_violations(k, "English start")
        await k.page.screenshot(path=shot_path("kiosk-start-en-1920x1080"))


async def no_violations(k: Kiosk, where: str) -> None:
    found = await violations(k.page)
    assert not found, f"{where}:\n{describe(found)}"


async def test_the_slip_is_80mm_and_its_qr_opens_the_follow_page(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    desk = Desk.of(web_server, web_hall)
    await desk.issue("A")
    t = await desk.issue("A", id_number=YOUNG, name="张小三")
    follow = f"{web_server.base_url}/m/ticket/{t['id']}?token={t['token']}"
    slip = f"{web_server.base_url}/kiosk/{web_hall.id}/slip/{t['id']}?token={t['token']}"
    context = await browser.new_context(viewport={"width": 420, "height": 900})
    try:
        page = await context.new_page()
        r = await page.goto(slip)
        assert r is not None and r.status == 200
        body = await page.inner_text("body")
        for text in ("测试大厅", "A002", "业务A", "1 人", "张*三", "扫码在手机上查看排队进度"):
            assert text in body, text
        assert YOUNG not in body
        await page.screenshot(path=shot_path("kiosk-slip"), full_page=True)
        found = await violations(page)
        assert not found, describe(found)

        pdf = await page.pdf(width="80mm", print_background=True)
        doc = pypdfium2.PdfDocument(pdf)
        assert len(doc) == 1
        width_pt = doc[0].get_width()
        assert abs(width_pt - 80 / 25.4 * 72) < 2  # 80 mm
        image = doc[0].render(scale=4, grayscale=True).to_numpy()
        codes = zxingcpp.read_barcodes(image)
        assert [c.text for c in codes] == [follow]

        # A wrong token shows nothing but "not found".
        r = await page.goto(slip.replace(t["token"], "wrong-token"))
        assert r is not None and r.status == 404
        assert "A002" not in await page.inner_text("body")
    finally:
        await context.close()
