"""Every page is served with a strict Content-Security-Policy, and none of them breaks it."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, ConsoleMessage

from tests.conftest import HallFixture
from tests.system.server_proc import ServerProcess


def pages(hall: HallFixture) -> dict[str, str]:
    return {
        "board": f"/display/{hall.id}",
        "window screen": f"/display/{hall.id}/window/{hall.window(1)}",
        "missing": "/display/no-such-hall",
        "console": "/console",
        "admin": "/admin",
    }


async def test_every_page_sends_the_security_headers(
    web_server: ServerProcess, web_hall: HallFixture
) -> None:
    async with httpx.AsyncClient(base_url=web_server.base_url) as c:
        for name, path in pages(web_hall).items():
            r = await c.get(path)
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, name
            assert "http:" not in csp and "https:" not in csp, name  # no third-party origin
            assert r.headers["x-content-type-options"] == "nosniff", name
            assert r.headers["referrer-policy"] == "no-referrer", name
            framing = "frame-ancestors 'none'" in csp
            assert framing, f"{name}: only a configured signage origin may frame a page"
            if not path.startswith("/display/"):
                assert r.headers["x-frame-options"] == "DENY", name
        api = await c.get(f"/api/halls/{web_hall.id}")
        assert api.headers["x-content-type-options"] == "nosniff"
        script = await c.get("/static/console/console.js")
        assert script.headers["content-type"].startswith("text/javascript")


async def test_no_page_breaks_its_policy(
    browser: Browser, web_server: ServerProcess, web_hall: HallFixture
) -> None:
    page = await browser.new_page()
    violations: list[str] = []

    def watch(msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            violations.append(msg.text)

    page.on("console", watch)
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    for name, path in pages(web_hall).items():
        await page.goto(web_server.base_url + path)
        await page.wait_for_load_state("networkidle")
        assert not violations, f"{name}: {violations}"
    await page.close()
