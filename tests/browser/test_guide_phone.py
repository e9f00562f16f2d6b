"""The phone's 办事指南 in real Chromium at 390×844 against a real server: from the hall page
to the guide, a search as one types by pinyin initials and by name (debounced), one matter's
guide (departments with the lead, the materials with 容缺, the time limits, fees and places),
a ticket for its intake service through the phone's own ticket flow, an unknown matter, the
English page, and axe-core on every state."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Request, expect

from tests.browser.conftest import shot_path
from tests.browser.guide_helpers import Catalog, seed_catalog
from tests.browser.phone_helpers import Phone, phone
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

SIZE: Any = {"width": 390, "height": 844}


async def at_390(p: Phone) -> None:
    await p.page.set_viewport_size(SIZE)


async def full_shot(p: Phone, name: str) -> None:
    await p.page.screenshot(path=shot_path(name), full_page=True)


def names(p: Phone) -> Any:
    return p.page.locator("#matters .matter-name")


async def test_the_guide_is_searched_by_pinyin_initials_and_by_name_as_one_types(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    async with phone(browser, f"{web_server.base_url}/m/{web_hall.id}") as p:
        await at_390(p)
        entry = p.page.locator("#guide-entry")
        await expect(entry).to_contain_text("办事指南")
        await p.assert_accessible("the hall page with the guide's entry")
        await entry.tap()
        await p.page.wait_for_url(f"**/m/{web_hall.id}/guide")
        await expect(p.page.locator("#count")).to_have_text("本大厅共 3 项事项")
        await expect(names(p)).to_have_text(
            ["居民身份证换领", "户口迁入（投靠直系亲属）", "个体工商户设立登记"]
        )
        brief = p.page.locator("[data-matter='GA-1'] .matter-brief")
        await expect(brief).to_have_text("承诺 15 个工作日 · 公安局户政管理 牵头")
        await p.shot("phone-guide-390x844")
        await p.assert_accessible("the guide's list")

        # Typed letter by letter: searched once the typing pauses, not at every key.
        searches: list[str] = []

        def seen(r: Request) -> None:
            if "/matters?q=" in r.url:
                searches.append(r.url.split("q=")[1])

        p.page.on("request", seen)
        await p.page.locator("#q").press_sequentially("jmsfz", delay=40)
        await expect(p.page.locator("#count")).to_have_text("找到 1 项事项")
        await expect(names(p)).to_have_text(["居民身份证换领"])
        assert searches == ["jmsfz"], searches
        await p.shot("phone-guide-initials-390x844")
        await p.assert_accessible("the guide found by initials")

        # Upper case initials, then a word of the name.
        await p.page.locator("#q").fill("HKQR")
        await expect(names(p)).to_have_text(["户口迁入（投靠直系亲属）"])
        await p.page.locator("#q").fill("登记")
        await expect(names(p)).to_have_text(["个体工商户设立登记"])
        await p.page.locator("#q").fill("xyzw")
        await expect(p.page.locator("#count")).to_contain_text("没有找到与“xyzw”相关的事项")
        await expect(names(p)).to_have_count(0)
        await p.shot("phone-guide-none-390x844")
        await p.assert_accessible("the guide with nothing found")

        # The search is kept for this tab: back from a matter, it is still there.
        await p.page.locator("#q").fill("gtgsh")
        await expect(names(p)).to_have_text(["个体工商户设立登记"])
        await p.page.locator("[data-matter='SC-1'] a").tap()
        await p.page.wait_for_url("**/guide/SC-1")
        await p.page.locator("#guide-link").tap()
        await p.page.wait_for_url(re.compile(r".*/guide$"))
        await expect(p.page.locator("#q")).to_have_value("gtgsh")
        await expect(names(p)).to_have_text(["个体工商户设立登记"])


async def test_a_matters_guide_and_a_ticket_for_its_intake_service(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    cat: Catalog = await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    base = f"{web_server.base_url}/m/{web_hall.id}"
    async with phone(browser, f"{base}/guide/GA-2") as p:
        await at_390(p)
        await expect(p.page.locator("#m-name")).to_have_text("户口迁入（投靠直系亲属）")
        facts = p.page.locator(".matter-facts")
        await expect(facts.locator(".fact-promised dd")).to_have_text("5 个工作日")
        await expect(facts.locator(".fact-legal dd")).to_have_text("20 个工作日")
        await expect(facts.locator(".fact-fees dd")).to_have_text("不收费")
        # No place given: the services' windows are said instead.
        await expect(facts.locator(".fact-apply_at dd")).to_have_text("“业务A”窗口")
        await expect(facts.locator(".fact-pickup_at dd")).to_have_text("“业务D”窗口")
        await expect(p.page.locator(".matter-depts .dept")).to_have_text(["公安局户政管理 牵头"])
        rows = p.page.locator(".matter-materials tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_have_text(
            re.compile(r"被投靠人居民户口簿\s*1 份\s*1 份\s*必交$")
        )
        await expect(rows.nth(1)).to_have_text(
            re.compile(r"亲属关系证明\s*1 份\s*1 份\s*必交\s*容缺$")
        )
        await expect(p.page.locator(".matter-note")).to_contain_text("容缺：暂缺该材料时可先受理")
        await expect(p.page.locator("#m-take-note")).to_have_text(
            "将为您取“业务A”的号，到号后请带齐材料到窗口办理。"
        )
        await full_shot(p, "phone-matter-390x844")
        await p.assert_accessible("a matter's guide")

        # Two departments, the lead first and marked; an optional material; fees and places.
        await p.page.goto(f"{base}/guide/SC-1")
        await expect(p.page.locator(".matter-depts .dept")).to_have_text(
            ["市场监管局 牵头", "税务局"]
        )
        assert (
            await p.page.get_attribute(".matter-depts .dept >> nth=0", "data-department")
            == (cat.depts["scj"])
        )
        await p.page.goto(f"{base}/guide/GA-1")
        await expect(p.page.locator(".fact-fees dd")).to_have_text("工本费 20 元")
        await expect(p.page.locator(".fact-apply_at dd")).to_have_text("一楼综合受理区 1号窗口")
        await expect(p.page.locator(".fact-pickup_at dd")).to_have_text("一楼 4号统一出件窗口")
        photo = p.page.locator(".matter-materials tr[data-material=photo]")
        await expect(photo).to_have_text(re.compile(r"数码照片回执\s*1 份\s*无\s*可选$"))
        await expect(p.page.locator(".matter-note")).to_have_count(0)

        # 取号办理: the phone's own ticket form for service A, then the ticket.
        await p.page.locator("#m-take-link").tap()
        await p.page.wait_for_url(re.compile(r".*/m/[^/]+\?take=A$"))
        await expect(p.page.locator("#form-title")).to_have_text("取号：业务A")
        await expect(p.page.locator("#form-title")).to_be_focused()
        await p.assert_accessible("the ticket form opened from a guide")
        await p.page.locator("#submit").tap()
        await p.page.wait_for_url("**/m/ticket/**")
        await expect(p.page.locator("#t-number")).to_have_text("A001")
        await expect(p.page.locator("#t-service")).to_contain_text("业务A")


async def test_an_unknown_matter_and_the_english_guide(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    cat = await seed_catalog(web_server.base_url, pg_url, web_hall.id)
    base = f"{web_server.base_url}/m/{web_hall.id}"
    # A disabled matter is unknown to the public.
    body = {**(await cat.api.ok("GET", f"/api/halls/{web_hall.id}/matters/GA-2", cat.admin))}
    keep = ("name", "name_en", "materials", "promised_days", "legal_days", "intake_service",
            "pickup_service", "fees", "apply_at", "pickup_at")  # fmt: skip
    spec = {k: body[k] for k in keep} | {"departments": [cat.depts["gaj"]], "enabled": False}
    await cat.put_matter("GA-2", spec)
    async with phone(browser, f"{base}/guide/GA-2") as p:
        await at_390(p)
        await expect(p.page.locator("#notfound")).to_be_visible()
        await expect(p.page.locator("#notfound-text")).to_have_text("该事项不存在或已停止办理。")
        await p.assert_accessible("an unknown matter")
        await p.page.goto(f"{base}/guide")
        await expect(p.page.locator("#count")).to_have_text("本大厅共 2 项事项")

        await p.page.goto(f"{base}/guide/GA-1?lang=en")
        await expect(p.page.locator("#m-name")).to_have_text("Renewal of the resident ID card")
        await expect(p.page.locator("#m-alt")).to_have_text("居民身份证换领")
        await expect(p.page.locator(".fact-promised dt")).to_have_text("Promised time")
        await expect(p.page.locator(".fact-promised dd")).to_have_text("15 working days")
        await expect(p.page.locator("#m-take-link")).to_have_text("Take a ticket")
        assert await p.page.get_attribute("html", "lang") == "en"
        await full_shot(p, "phone-matter-en-390x844")
        await p.assert_accessible("a matter's guide in English")


async def test_names_with_markup_stay_text_in_the_guide(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    xss = "<img src=x onerror=window.__xss=1>"
    cat = await seed_catalog(web_server.base_url, pg_url, web_hall.id, with_matters=False)
    await cat.put_matter("X-1", {
        "name": f"事项{xss}", "departments": [cat.depts["gaj"]],
        "materials": [{"name": f"材料{xss}"}], "promised_days": 3,
        "intake_service": "A", "pickup_service": "D", "fees": xss, "apply_at": xss,
    })  # fmt: skip
    base = f"{web_server.base_url}/m/{web_hall.id}"
    async with phone(browser, f"{base}/guide") as p:
        await expect(names(p)).to_have_text([f"事项{xss}"])
        await p.page.goto(f"{base}/guide/X-1")
        await expect(p.page.locator("#m-name")).to_have_text(f"事项{xss}")
        await expect(p.page.locator(".matter-materials tbody th")).to_have_text(f"材料{xss}")
        await expect(p.page.locator(".fact-fees dd")).to_have_text(xss)
        assert await p.page.evaluate("typeof window.__xss") == "undefined"
        assert await p.page.locator("img").count() == 0
