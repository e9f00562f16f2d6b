"""The message catalog: every template in both languages; wrong use is refused early."""

from __future__ import annotations

import pytest

from server.notify.templates import CATALOG, Rendered, TemplateError, check, render


def test_called_in_chinese_and_english() -> None:
    p = {"number": "A001", "window": 3}
    assert render("called", "zh", p).text == "请 A001 号到 3号窗口办理"
    assert render("called", "en", p).text == "Ticket A001, please go to window 3."
    assert render("called", "en-GB", p) == render("called", "en", p)


def test_advance_notice_and_ticket_issued() -> None:
    p = {"hall": "市民中心", "number": "A009", "ahead": 3}
    assert (
        render("advance_notice", "zh", p).text == "【市民中心】A009 号：前面还有 3 人，请回到大厅。"
    )
    issued = render("ticket_issued", "zh", {**p, "service": "社保"})
    assert issued == Rendered(
        "取号成功 A009", "【市民中心】您已取号 A009（社保），前面还有 3 人。请留意叫号。"
    )


def test_sign_in_code() -> None:
    r = render("sign_in_code", "en", {"code": "123456", "minutes": 5})
    assert r.text == "Your sign-in code is 123456, valid for 5 minutes. Do not share it."


@pytest.mark.parametrize("name", sorted(CATALOG))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders_every_param(name: str, lang: str) -> None:
    params = {p: f"<{p}>" for p in CATALOG[name].params}
    r = render(name, lang, params)
    for p in CATALOG[name].params:
        assert f"<{p}>" in r.subject + r.text
    assert "{" not in r.subject + r.text


def test_wrong_use_is_refused() -> None:
    with pytest.raises(TemplateError, match="unknown message template 'nope'"):
        check("nope", {})
    with pytest.raises(TemplateError, match="missing window"):
        check("called", {"number": "A001"})
    # Only named parameters reach a gateway: nothing unmasked can ride along.
    with pytest.raises(TemplateError, match="unknown phone"):
        check("called", {"number": "A001", "window": 3, "phone": "13812345678"})
    assert check("called", {"number": "A001", "window": 3}) is CATALOG["called"]
