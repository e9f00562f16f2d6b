"""Helpers for the kiosk tests: valid test ID numbers, a kiosk page with its requests,
prints and speech recorded, and an administrator to configure the hall."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.async_api import Browser, Page

from tests.browser.conftest import HARNESS_EVAL
from tests.browser.displays import LANDSCAPE, SPEECH_STUB
from tests.conftest import PASSWORD

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: str = "19900101", region: str = "370102", serial: str = "123") -> str:
    """A resident ID number with its GB 11643 check character (written here, not imported
    from the server, so the kiosk's check and the server's are both checked against it)."""
    first17 = region + birth + serial
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def wrong_check(number: str) -> str:
    """The same number with another check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


# Records what the page prints (window.print in any frame, the slip's frame included).
PRINT_STUB = """
(() => {
  window.print = () => {
    const top = window.top;
    (top.__printed = top.__printed || []).push(location.pathname + location.search);
  };
})();
"""
# Chromium logs every refused request; the kiosk says what went wrong in its own words.
REFUSED = ("status of 403", "status of 409", "status of 422", "status of 429")


@dataclass
class Kiosk:
    page: Page
    errors: list[str]
    posts: list[dict[str, Any]] = field(default_factory=list)

    async def wait(self, js: str, timeout: float = 5.0, arg: Any = None) -> float:
        started = time.monotonic()
        await self.page.wait_for_function(js, arg=arg, timeout=timeout * 1000)
        return time.monotonic() - started

    async def text(self, selector: str) -> str:
        return (await self.page.locator(selector).inner_text()).strip()

    async def step(self) -> str:
        step: str = await self.page.evaluate("document.body.dataset.step")
        return step

    async def at(self, step: str, timeout: float = 5.0) -> None:
        await self.wait(f"document.body.dataset.step === {step!r}", timeout)

    async def ready(self) -> None:
        """The hall is read: the tiles are on screen."""
        await self.wait("document.querySelectorAll('#tiles .tile').length > 0")

    async def tap_keys(self, text: str, pad: str = "#id-keypad") -> None:
        for ch in text:
            await self.page.click(f"{pad} [data-key='{ch}']")

    async def said(self) -> list[str]:
        out: list[str] = await self.page.evaluate("(window.__said || []).map(s => s.text)")
        return out

    async def printed(self) -> list[str]:
        out: list[str] = await self.page.evaluate("window.__printed || []")
        return out


@asynccontextmanager
async def kiosk_page(
    browser: Browser,
    url: str,
    *,
    viewport: dict[str, int] = LANDSCAPE,
    clock: bool = False,
    real_csp: bool = False,
) -> AsyncIterator[Kiosk]:
    """A fresh browser context on the kiosk, with every ticket POST recorded. Under the
    real Content-Security-Policy (real_csp) a test may not wait on page-evaluated code."""
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        bypass_csp=HARNESS_EVAL and not real_csp,
        locale="zh-CN",
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def console(kind: str, text: str) -> None:
        if kind == "error" and not any(r in text for r in REFUSED):
            errors.append(text)

    page.on("console", lambda m: console(m.type, m.text))
    await page.add_init_script(SPEECH_STUB)
    await page.add_init_script(PRINT_STUB)
    k = Kiosk(page, errors)

    def request(r: Any) -> None:
        if r.method == "POST" and r.url.endswith("/tickets"):
            k.posts.append(json.loads(r.post_data or "{}"))

    page.on("request", request)
    if clock:
        await page.clock.install()
    try:
        await page.goto(url)
        yield k
    finally:
        await context.close()
    assert not errors, errors


async def admin_patch(base: str, admin: str, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/auth/login", json={"username": admin, "password": PASSWORD})
        r.raise_for_status()
        token = r.json()["token"]
        r = await c.patch(path, json=body, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
