"""The service editor's online-appointment part (/admin, admin/static/booking.js).

An admin sets a service's booking rules through the form (spans typed out of order),
the service list says which services are bookable; the server's refusal of a span
(backwards, overlapping) is shown beside that span, a malformed time beside its input
before anything is sent; booking is turned off again with {"booking": null}; and
axe-core finds no WCAG 2.1 AA violation in the part, in Chinese and in English.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Browser, Request, expect

from tests.browser.test_admin import (
    REFUSED,
    AdminPage,
    Api,
    admin_page,
    make_admin,
    no_axe_violations,
    shots,
)
from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess


@pytest.fixture
async def admin_name(pg_url: str, web_hall: HallFixture) -> str:
    return await make_admin(pg_url)


def patches(a: AdminPage) -> list[dict[str, Any]]:
    """The bodies of the PATCHes the page sends to services, in order."""
    sent: list[dict[str, Any]] = []

    def record(r: Request) -> None:
        if r.method == "PATCH" and "/services/" in r.url:
            sent.append(json.loads(r.post_data or "{}"))

    a.page.on("request", record)
    return sent


async def services(api: Api, hall: str, user: str) -> dict[str, Any]:
    found = await api.ok("GET", f"/api/admin/halls/{hall}/services", user)
    return {s["code"]: s for s in found["services"]}


async def test_booking_rules_through_the_form(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    api = Api(web_server.base_url)
    hall = web_hall.id
    async with admin_page(browser, web_server.base_url, hall=hall) as a:
        p = a.page
        sent = patches(a)
        await a.sign_in(admin_name)
        await a.signed_in()
        await a.go("services")
        row = a.row("services", "B")
        await expect(row).to_contain_text("不可预约")

        # Booking on: the rules appear with the server's defaults.
        await row.locator("button[data-action=edit]").click()
        ed = a.editor("services")
        rules = ed.locator(".booking-rules")
        await expect(rules).to_be_hidden()
        await ed.get_by_label("接受网上预约").check()
        await expect(rules).to_be_visible()
        field = {n: ed.locator(f'[name="booking.{n}"]') for n in (
            "slot_minutes", "capacity", "days_ahead", "checkin_before_min", "no_show_limit",
            "no_show_window_days", "ban_days", "reminder_at")}  # fmt: skip
        await expect(field["slot_minutes"]).to_have_value("30")
        await expect(field["reminder_at"]).to_have_value("18:00")
        await expect(ed.locator("fieldset.spans")).to_contain_text("按大厅开放时间")

        await field["slot_minutes"].fill("20")
        await field["capacity"].fill("3")
        # Two spans, the afternoon typed first; each input has its own label.
        add = ed.get_by_role("button", name="添加时段")
        await add.click()
        await expect(ed.get_by_label("可预约第 1 段 开始时间")).to_be_focused()
        await p.keyboard.type("13:30")
        await ed.get_by_label("可预约第 1 段 结束时间").fill("17:00")
        await add.click()
        await ed.get_by_label("可预约第 2 段 开始时间").fill("09:00")
        await ed.get_by_label("可预约第 2 段 结束时间").fill("11:30")
        await field["days_ahead"].fill("5")
        await field["checkin_before_min"].fill("15")
        await field["no_show_window_days"].fill("14")
        await field["no_show_limit"].fill("2")
        await field["ban_days"].fill("7")
        await expect(ed.locator("fieldset.no-show .hint")).to_have_text(
            "14 天内爽约 2 次，暂停网上预约 7 天"
        )
        await field["reminder_at"].fill("17:30")
        await ed.locator("button[type=submit]").click()
        await a.status("已保存")
        await expect(ed).to_be_hidden()
        await expect(row).to_contain_text("可预约")
        await expect(row).to_contain_text("每 20 分钟 3 人")
        rules_b = {
            "slot_minutes": 20, "capacity": 3, "spans": [["09:00", "11:30"], ["13:30", "17:00"]],
            "days_ahead": 5, "checkin_before_min": 15, "no_show_limit": 2,
            "no_show_window_days": 14, "ban_days": 7, "reminder_at": "17:30",
        }  # fmt: skip
        assert sent == [{"booking": rules_b}]
        assert (await services(api, hall, admin_name))["B"]["booking"] == rules_b

        # Saved unchanged: nothing is sent.
        await row.locator("button[data-action=edit]").click()
        await expect(ed.get_by_label("可预约第 1 段 开始时间")).to_have_value("09:00")
        await ed.locator("button[type=submit]").click()
        await a.status("没有需要保存的更改")
        assert len(sent) == 1

        # A span that ends before it starts: the server's words, beside that span.
        await row.locator("button[data-action=edit]").click()
        await ed.get_by_label("可预约第 2 段 开始时间").fill("17:00")
        await ed.get_by_label("可预约第 2 段 结束时间").fill("13:30")
        await ed.locator("button[type=submit]").click()
        err = a.field_error("#services-editor", "booking.spans.1")
        await expect(err).to_have_text("时段开始须早于结束")
        await expect(err).to_have_attribute("role", "alert")
        second = ed.locator('[data-field="booking.spans.1"] input')
        for i in range(2):
            await expect(second.nth(i)).to_have_attribute("aria-invalid", "true")
        await expect(second.first).to_be_focused()
        await expect(a.field_error("#services-editor", "booking.spans.0")).to_be_empty()
        await no_axe_violations(p, "the booking part with a span refused")
        await shots(p, "booking-span-refused")

        # Overlapping spans, the later typed first: sent in time order, and the error
        # sits beside the span the server names.
        await ed.get_by_label("可预约第 1 段 开始时间").fill("11:00")
        await ed.get_by_label("可预约第 1 段 结束时间").fill("12:00")
        await ed.get_by_label("可预约第 2 段 开始时间").fill("09:00")
        await ed.get_by_label("可预约第 2 段 结束时间").fill("11:30")
        await ed.locator("button[type=submit]").click()
        await expect(a.field_error("#services-editor", "booking.spans.1")).to_have_text(
            "可预约时段重叠"
        )
        await expect(ed.get_by_label("可预约第 1 段 开始时间")).to_have_value("09:00")
        await expect(ed.get_by_label("可预约第 2 段 开始时间")).to_have_value("11:00")
        assert sent[-1]["booking"]["spans"] == [["09:00", "11:30"], ["11:00", "12:00"]]

        # A time that is no time, and a number out of range: said before anything is sent.
        await ed.get_by_label("可预约第 2 段 开始时间").fill("12:00")
        await ed.get_by_label("可预约第 2 段 结束时间").fill("12:30")
        await field["reminder_at"].fill("25:00")
        await field["capacity"].fill("0")
        before = len(sent)
        await ed.locator("button[type=submit]").click()
        await expect(a.field_error("#services-editor", "booking.capacity")).to_have_text(
            "请输入 1 到 1000 之间的整数"
        )
        await expect(a.field_error("#services-editor", "booking.reminder_at")).to_have_text(
            "时间格式应为 HH:MM，如 08:30"
        )
        await expect(field["capacity"]).to_be_focused()
        assert len(sent) == before

        # In English: the part re-labelled, errors included, and still clean for axe.
        await p.click("#lang")
        await expect(ed.get_by_label("Take online appointments")).to_be_checked()
        await expect(a.field_error("#services-editor", "booking.reminder_at")).to_have_text(
            "Use HH:MM, e.g. 08:30"
        )
        await expect(ed.get_by_label("Bookable hours 2 start")).to_have_value("12:00")
        await no_axe_violations(p, "the booking part in English, with errors")
        await shots(p, "booking-editor-en")
        await p.click("#lang")
        await ed.locator("button[type=submit]").press("Escape")
        await expect(ed).to_be_hidden()
        assert (await services(api, hall, admin_name))["B"]["booking"] == rules_b

        # Booking off: {"booking": null}; the list says so.
        await row.locator("button[data-action=edit]").click()
        await ed.get_by_label("接受网上预约").uncheck()
        await expect(rules).to_be_hidden()
        await ed.locator("button[type=submit]").click()
        await a.status("已保存")
        await expect(row).to_contain_text("不可预约")
        assert sent[-1] == {"booking": None}
        assert (await services(api, hall, admin_name))["B"]["booking"] is None
        await no_axe_violations(p, "the service list")
        await shots(p, "booking-list")
        a.assert_clean(*REFUSED)


async def test_supervisor_reads_the_rules(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture, admin_name: str
) -> None:
    """A supervisor sees which services are bookable, and cannot change the rules."""
    api = Api(web_server.base_url)
    await api.ok("PATCH", f"/api/admin/halls/{web_hall.id}/services/A", admin_name,
                 {"booking": {"slot_minutes": 15, "capacity": 6}})  # fmt: skip
    async with admin_page(browser, web_server.base_url) as a:
        await a.sign_in(web_hall.supervisor.username)
        await a.signed_in()
        await a.go("services")
        await expect(a.row("services", "A")).to_contain_text("每 15 分钟 6 人")
        await expect(a.row("services", "C")).to_contain_text("不可预约")
        await expect(a.sel("#services-table button[data-action=edit]")).to_have_count(0)
        await no_axe_violations(a.page, "the service list, read only")
        a.assert_clean(*REFUSED)
