"""The admin console's 事项 section in real Chromium against a real server: an admin creates
a matter with two materials, ticking two back offices and choosing the lead; a missing
material name is shown beside that row's field before anything is sent, and the API's refusal
of a department that stopped being a back office beside that department; then the matter is
edited (a material removed, a new lead). A matter that cases name is offered for disabling
instead of deletion; a supervisor manages their own hall's matters. axe-core on every state."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Route, expect

from tests.browser.guide_helpers import seed_catalog
from tests.browser.test_admin import REFUSED, AdminPage, admin_page, no_axe_violations, shots
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess

ED = "#matters-editor"


def material(a: AdminPage, i: int, name: str) -> Any:
    return a.sel(f'{ED} [name="materials.{i}.{name}"]')


def dept_row(a: AdminPage, dept: str) -> Any:
    return a.sel(f'{ED} .dept-row[data-dept="{dept}"]')


async def test_an_admin_creates_a_matter_with_two_materials_then_edits_it(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    hall = web_hall.id
    cat = await seed_catalog(web_server.base_url, pg_url, hall, with_matters=False)
    gaj, scj, swj = cat.depts["gaj"], cat.depts["scj"], cat.depts["swj"]
    async with admin_page(browser, web_server.base_url, hall=hall) as a:
        p = a.page
        await a.sign_in(cat.admin)
        await a.signed_in()
        await a.choose_hall(hall)
        await a.go("matters")
        await expect(a.sel("#sec-matters .empty")).to_have_text("本大厅还没有事项。")
        await no_axe_violations(p, "matters, none yet")

        await p.click("#matters-add")
        await expect(a.editor("matters")).to_be_visible()
        await expect(a.sel(f"{ED} [name=code]")).to_be_focused()
        await a.sel(f"{ED} [name=code]").fill("T-100")
        await a.sel(f"{ED} [name=name]").fill("居民身份证换领")
        # Only this hall's back offices are offered; the first ticked becomes the lead.
        await expect(a.sel(f"{ED} .dept-row")).to_have_count(3)
        await dept_row(a, gaj).locator("input[name=dept]").check()
        assert await dept_row(a, gaj).locator("input[name=lead]").is_checked()
        # Choosing the lead ticks the department too.
        await dept_row(a, scj).locator("input[name=lead]").check()
        assert await dept_row(a, scj).locator("input[name=dept]").is_checked()

        # Two materials: the second with its name forgotten, two copies, 容缺.
        await p.click("[data-action=add-material]")
        await p.click("[data-action=add-material]")
        await expect(a.sel(f"{ED} fieldset.material")).to_have_count(2)
        await expect(material(a, 1, "name")).to_be_focused()
        await material(a, 0, "name").fill("原居民身份证")
        await material(a, 1, "copies").fill("2")
        await material(a, 1, "required").uncheck()
        await material(a, 1, "waivable").check()  # 容缺 only for a required one: ticks it
        assert await material(a, 1, "required").is_checked()
        await a.sel(f"{ED} [name=promised_days]").fill("5")
        await a.sel(f"{ED} [name=legal_days]").fill("20")
        await p.select_option(f"{ED} [name=intake_service]", "A")
        await p.select_option(f"{ED} [name=pickup_service]", "D")
        await a.sel(f"{ED} [name=fees]").fill("工本费 20 元")
        await a.sel(f"{ED} [name=apply_at]").fill("一楼 1号窗口")
        await p.click(f"{ED} button[type=submit]")
        await expect(a.field_error(ED, "materials.1.name")).to_have_text("请填写此项")
        await expect(material(a, 1, "name")).to_be_focused()
        await expect(material(a, 1, "name")).to_have_attribute("aria-invalid", "true")
        await shots(p, "matters-editor-error")
        await no_axe_violations(p, "the matter editor with an error beside a material")

        # The API refuses a department that stopped being a back office meanwhile: said
        # beside that department (the lead, sent first: departments.0).
        await material(a, 1, "name").fill("居民户口簿")
        await cat.api.ok("PATCH", f"/api/admin/departments/{scj}", cat.admin, {"kind": "front"})
        await p.click(f"{ED} button[type=submit]")
        bad = dept_row(a, scj)
        await expect(bad.locator(".field-error")).to_contain_text("不是后台审批部门")
        await expect(bad).to_have_attribute("data-field", "departments.0")
        await expect(bad.locator("input[name=dept]")).to_be_focused()
        await no_axe_violations(p, "the matter editor with the API's error beside a department")
        await bad.locator("input[name=dept]").uncheck()  # the lead passes to the other
        assert await dept_row(a, gaj).locator("input[name=lead]").is_checked()
        await p.click(f"{ED} button[type=submit]")
        await a.status("已新增：T-100 居民身份证换领")
        await expect(a.editor("matters")).to_be_hidden()
        row = a.row("matters", "T-100")
        await expect(row).to_contain_text("公安局户政管理")
        await expect(row).to_contain_text("承诺 5 / 法定 20")
        await expect(row).to_contain_text("启用")
        await no_axe_violations(p, "matters, one")

        got = await cat.api.ok("GET", f"/api/admin/halls/{hall}/matters", cat.admin)
        [m] = got["matters"]
        assert [d["id"] for d in m["departments"]] == [gaj]
        assert m["materials"] == [
            {"key": "m1", "name": "原居民身份证", "originals": 1, "copies": 0,
             "required": True, "waivable": False},
            {"key": "m2", "name": "居民户口簿", "originals": 1, "copies": 2,
             "required": True, "waivable": True},
        ]  # fmt: skip
        assert (m["promised_days"], m["legal_days"], m["intake_service"], m["pickup_service"]) == (
            5,
            20,
            "A",
            "D",
        )
        assert (m["fees"], m["apply_at"], m["pickup_at"], m["initials"]) == (
            "工本费 20 元",
            "一楼 1号窗口",
            "",
            "jmsfzhl",
        )

        # Edit: a new name, the first material removed, a second department as the lead.
        await row.locator("button[data-action=edit]").click()
        await expect(a.sel(f"{ED} h2")).to_have_text("编辑事项：T-100 居民身份证换领")
        await expect(a.sel(f"{ED} [name=code]")).to_have_count(0)
        await expect(a.sel(f"{ED} fieldset.material")).to_have_count(2)
        await expect(material(a, 1, "waivable")).to_be_checked()
        await a.sel(f"{ED} [name=name]").fill("居民身份证换领（到期换证）")
        await (
            a.sel(f"{ED} fieldset.material >> nth=0")
            .locator("[data-action=remove-material]")
            .click()
        )
        await expect(a.sel(f"{ED} fieldset.material")).to_have_count(1)
        await expect(material(a, 0, "name")).to_have_value("居民户口簿")
        await expect(material(a, 0, "name")).to_be_focused()
        await dept_row(a, swj).locator("input[name=lead]").check()
        await shots(p, "matters-editor-edit")
        await no_axe_violations(p, "the matter editor, editing")
        await p.click(f"{ED} button[type=submit]")
        await a.status("已保存：T-100 居民身份证换领（到期换证）")
        await expect(a.row("matters", "T-100")).to_contain_text("税务局")
        got = await cat.api.ok("GET", f"/api/admin/halls/{hall}/matters", cat.admin)
        [m] = got["matters"]
        assert m["name"] == "居民身份证换领（到期换证）"
        assert [d["id"] for d in m["departments"]] == [swj, gaj]
        assert [(x["key"], x["name"], x["waivable"]) for x in m["materials"]] == [
            ("m2", "居民户口簿", True)
        ]
        a.assert_clean(*REFUSED)


async def test_a_matter_in_use_is_disabled_instead_and_a_supervisor_manages_their_hall(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, pg_url: str
) -> None:
    hall = web_hall.id
    cat = await seed_catalog(web_server.base_url, pg_url, hall)
    sup = web_hall.supervisor.username
    async with admin_page(browser, web_server.base_url) as a:
        p = a.page
        await a.sign_in(sup)
        await a.signed_in()
        await a.go("matters")
        await expect(a.sel("#matters-table tbody tr")).to_have_count(3)
        await expect(a.sel("#matters-add")).to_be_visible()
        await shots(p, "matters-list")
        await no_axe_violations(p, "matters, a supervisor's")

        # Deleted outright when no case names it.
        await a.row("matters", "GA-2").locator("button[data-action=delete]").click()
        await expect(a.sel("#dlg-confirm")).to_be_visible()
        await expect(a.sel("#confirm-title")).to_have_text(
            "删除事项“GA-2 户口迁入（投靠直系亲属）”？"
        )
        await p.click("#confirm-ok")
        await a.status("已删除：GA-2 户口迁入（投靠直系亲属）")
        await expect(a.sel("#matters-table tbody tr")).to_have_count(2)

        # One that cases name (the server's 409, here as the server words it): disable it?
        async def in_use(route: Route) -> None:
            if route.request.method != "DELETE":
                await route.continue_()
                return
            await route.fulfill(status=409, content_type="application/json", body=json.dumps({
                "error": {"code": "matter_in_use", "message": "cases name this matter",
                          "message_zh": "已有办件使用该事项，不能删除"},
            }))  # fmt: skip

        await p.route("**/api/admin/halls/*/matters/GA-1", in_use)
        await a.row("matters", "GA-1").locator("button[data-action=delete]").click()
        await p.click("#confirm-ok")
        await expect(a.sel("#confirm-title")).to_contain_text("已有办件，不能删除。改为停用？")
        await expect(a.sel("#confirm-ok")).to_have_text("停用")
        await no_axe_violations(p, "the offer to disable")
        await p.click("#confirm-ok")
        await a.status("已停用：GA-1 居民身份证换领")
        await expect(a.row("matters", "GA-1")).to_contain_text("停用")
        got = await cat.api.ok("GET", f"/api/admin/halls/{hall}/matters", sup)
        assert {m["code"]: m["enabled"] for m in got["matters"]} == {"GA-1": False, "SC-1": True}
        # Disabled already: the dialog says why it cannot go, and stays.
        await a.row("matters", "GA-1").locator("button[data-action=delete]").click()
        await p.click("#confirm-ok")
        await expect(a.sel("#dlg-confirm .dlg-error")).to_contain_text("它已是停用状态")
        await p.keyboard.press("Escape")
        await expect(a.sel("#dlg-confirm")).to_be_hidden()
        a.assert_clean(*REFUSED)
