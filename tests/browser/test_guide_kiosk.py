"""The kiosk's 办事指南 in real Chromium at 1080×1920 (portrait) and 1920×1080 against a real
server: the entry on the start screen, the list narrowed by touching letter keys (pinyin
initials), a matter's guide, 取号办理 through the ordinary ticket flow for its intake service,
a matter this kiosk cannot issue for, the idle reset that forgets it all, and axe-core on
every state, in high contrast too."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path
from tests.browser.displays import LANDSCAPE, PORTRAIT
from tests.browser.guide_helpers import seed_catalog
from tests.browser.kiosk_helpers import Kiosk, admin_patch, kiosk_page
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess


def url(server: ServerProcess, hall: HallFixture, query: str = "") -> str:
    return f"{server.base_url}/kiosk/{hall.id}{'?' + query if query else ''}"


async def no_violations(k: Kiosk, where: str) -> None:
    found = await violations(k.page)
    assert not found, f"{where}:\n{describe(found)}"


async def open_guide(k: Kiosk) -> None:
    await k.ready()
    await expect(k.page.locator("#guide-open")).to_be_visible()
    await k.page.click("#guide-open")
    await k.at("matters")
    await expect(k.page.locator("#mq-count")).to_have_text("共 3 项事项")


def listed(k: Kiosk):  # type: ignore[no-untyped-def]
    return k.page.locator("#matter-list .matter-name")


async def test_a_matter_found_by_touch_and_a_ticket_for_it(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    async with kiosk_page(browser, url(web_server, web_hall, "done=60"), viewport=PORTRAIT) as k:
        await k.ready()
        await expect(k.page.locator("#guide-open .checkin-open-title")).to_have_text(
            "办事指南 Service guide"
        )
        await k.page.screenshot(path=shot_path("kiosk-guide-start-1080x1920"))
        await no_violations(k, "start with the guide's entry")
        await open_guide(k)
        await expect(listed(k)).to_have_text(
            ["居民身份证换领", "户口迁入（投靠直系亲属）", "个体工商户设立登记"]
        )
        await expect(k.page.locator("#mq-input")).to_be_focused()
        await k.page.screenshot(path=shot_path("kiosk-guide-list-1080x1920"))
        await no_violations(k, "the guide's list")

        # Letter keys: H K finds 户口…; a wrong letter says so, delete puts it right.
        await k.tap_keys("HKX", "#mq-keypad")
        assert await k.page.input_value("#mq-input") == "HKX"
        await expect(k.page.locator("#mq-count")).to_have_text(
            "没有找到拼音首字母为“HKX”的事项，请删除几个字母再试"
        )
        await expect(listed(k)).to_have_count(0)
        await no_violations(k, "the guide with nothing found")
        await k.page.click("#mq-keypad [data-key=delete]")
        await expect(listed(k)).to_have_text(["户口迁入（投靠直系亲属）"])
        await k.page.click("#mq-keypad [data-key=clear]")
        await k.tap_keys("JMSFZ", "#mq-keypad")
        await expect(k.page.locator("#mq-count")).to_have_text("找到 1 项事项")
        await expect(listed(k)).to_have_text(["居民身份证换领"])
        await k.page.screenshot(path=shot_path("kiosk-guide-found-1080x1920"))

        await k.page.click("#matter-list [data-matter='GA-1']")
        await k.at("matter")
        await expect(k.page.locator("#matter-title")).to_have_text("居民身份证换领")
        await expect(k.page.locator("#matter-title")).to_be_focused()
        await expect(k.page.locator(".fact-promised dd")).to_have_text("15 个工作日")
        await expect(k.page.locator(".fact-legal dd")).to_have_text("60 个工作日")
        await expect(k.page.locator(".matter-depts .dept")).to_have_text(["公安局户政管理 牵头"])
        await expect(k.page.locator(".matter-materials tbody tr")).to_have_count(3)
        await expect(k.page.locator("#matter-take")).to_have_text("取号办理 · 业务A")
        await k.page.screenshot(path=shot_path("kiosk-guide-matter-1080x1920"))
        await no_violations(k, "a matter's guide")

        # Back to the list keeps the search; then 取号办理: the ordinary ticket flow for A.
        await k.page.click("#matter-back")
        await k.at("matters")
        assert await k.page.input_value("#mq-input") == "JMSFZ"
        await k.page.click("#matter-list [data-matter='GA-1']")
        await k.at("matter")
        await k.page.click("#matter-take")
        await k.at("id")
        assert await k.text("#step-id [data-crumb]") == "办理业务：业务A"
        await k.page.click("#id-skip")
        await k.page.click("#phone-skip")
        await k.at("confirm")
        assert await k.text("#sum-service") == "业务A"
        await k.page.click("#confirm-go")
        await k.at("done")
        assert await k.text("#done-number") == "A001"
    assert k.posts == [{"service": "A", "channel": "kiosk", "kind": "walk_in", "lang": "zh"}]


async def test_a_matter_the_kiosk_cannot_issue_for_and_the_idle_reset(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    cat = await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    # Service B (the intake of 个体工商户设立登记) is taken at the windows only.
    await admin_patch(web_server.base_url, cat.admin,
                      f"/api/admin/halls/{web_hall.id}/services/B", {"channels": ["window"]})  # fmt: skip
    async with kiosk_page(browser, url(web_server, web_hall), viewport=LANDSCAPE, clock=True) as k:
        await open_guide(k)
        await k.tap_keys("GT", "#mq-keypad")
        await expect(listed(k)).to_have_text(["个体工商户设立登记"])
        await k.page.click("#matter-list [data-matter='SC-1']")
        await k.at("matter")
        await expect(k.page.locator(".matter-depts .dept")).to_have_text(
            ["市场监管局 牵头", "税务局"]
        )
        await expect(k.page.locator("#matter-take")).to_be_hidden()
        await expect(k.page.locator("#matter-take-note")).to_have_text(
            "本机不能为该事项取号，请咨询大厅引导员"
        )
        await k.page.screenshot(path=shot_path("kiosk-guide-matter-1920x1080"))
        await no_violations(k, "a matter without a kiosk ticket")

        # Left alone, the kiosk warns, then goes back to the start and forgets the search.
        await k.page.clock.fast_forward(21_000)
        await k.wait("!document.getElementById('idle-warn').hidden")
        assert await k.step() == "matter"
        await k.page.clock.fast_forward(10_000)
        await k.at("start")
        assert await k.page.input_value("#mq-input") == ""
        assert await k.page.locator("#matter-list li").count() == 0
        assert await k.text("#matter-title") == ""

        # A physical keyboard types into the search too, in high contrast.
        await k.page.click("#pref-contrast")
        await k.page.click("#guide-open")
        await k.at("matters")
        await expect(k.page.locator("#mq-count")).to_have_text("共 3 项事项")
        await k.page.keyboard.type("hkx")
        await expect(k.page.locator("#mq-count")).to_contain_text("没有找到")
        assert await k.page.input_value("#mq-input") == "HKX"
        await k.page.keyboard.press("Backspace")
        await expect(listed(k)).to_have_text(["户口迁入（投靠直系亲属）"])
        await k.page.screenshot(path=shot_path("kiosk-guide-list-hc-1920x1080"))
        await no_violations(k, "the guide's list in high contrast")
        await k.page.click("#matter-list [data-matter='GA-2']")
        await k.at("matter")
        await expect(k.page.locator(".matter-materials .tag-waivable")).to_have_text("容缺")
        await no_violations(k, "a matter's guide in high contrast")
        await k.page.click("#matter-back")
        await k.at("matters")
        await k.page.click("#matters-back")
        await k.at("start")


async def test_the_english_kiosk_guide(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    async with kiosk_page(browser, url(web_server, web_hall, "lang=en"), viewport=PORTRAIT) as k:
        await k.ready()
        await expect(k.page.locator("#guide-open .checkin-open-title")).to_have_text(
            "Service guide 办事指南"
        )
        await k.page.click("#guide-open")
        await k.at("matters")
        await expect(k.page.locator("#mq-count")).to_have_text("3 matters")
        await k.page.click("#matter-list [data-matter='GA-1']")
        await k.at("matter")
        await expect(k.page.locator("#matter-title")).to_have_text(
            "Renewal of the resident ID card"
        )
        await expect(k.page.locator("#matter-alt")).to_have_text("居民身份证换领")
        await expect(k.page.locator("#matter-take")).to_have_text("Take a ticket · Service A")
        await no_violations(k, "an English matter's guide")
