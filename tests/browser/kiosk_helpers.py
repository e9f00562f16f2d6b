"""Helpers for the kiosk tests: valid test ID numbers, a kiosk page with its requests,
prints and speech recorded, and an administrator to configure the hall; for check-in
(预约签到), a bookable service, bookings by staff or by a signed-in citizen, and the
booking QR read as the kiosk's scanner reads it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from playwright.async_api import Browser, Page, expect

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


async def walk_in(
    k: Kiosk, number: str, printed: int, *, person: str | None = None, home: bool = True
) -> None:
    """An ordinary ticket of service A by touch, with no phone: with no ID number, or
    `person`'s typed on the keypad. Ends on the start screen, or on the result (home=False)."""
    await k.page.click("#tiles .tile[data-service=A]")
    if person is None:
        await k.page.click("#id-skip")
    else:
        await k.tap_keys(person)
        await k.page.click("#id-next")
    await k.page.click("#phone-skip")
    await k.page.click("#confirm-go")
    await expect(k.page.locator("#done-number")).to_have_text(number)
    assert await k.text("#done-title-text") == "取号成功"
    await k.wait(f"(window.__printed || []).length === {printed}")
    if home:
        await k.page.click("#done-home")
        await k.at("start")


async def admin_patch(base: str, admin: str, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/auth/login", json={"username": admin, "password": PASSWORD})
        r.raise_for_status()
        token = r.json()["token"]
        r = await c.patch(path, json=body, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text


# --- appointments and check-in -------------------------------------------------------------

# 30-minute slots whose check-in opens 30 minutes before: the first slot still open
# (starting within the next 30 minutes) can be checked in at once, later ones are too early.
BOOKING = {"slot_minutes": 30, "capacity": 5, "days_ahead": 3, "checkin_before_min": 30}


def noon_zone(now: datetime) -> str:
    """A time zone in which it is now between 12:00 and 13:00. A hall put in it has its
    slots, check-in windows and "today" well inside one local day whatever time the suite
    runs (its local date is the UTC date, which seed_hall makes a working day)."""
    offset = 12 - now.astimezone(UTC).hour  # local = UTC + offset, from -11 to +12
    if offset == 0:
        return "Etc/UTC"
    # POSIX signs: Etc/GMT-8 is eight hours ahead of UTC.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def login(base: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        token: str = r.json()["token"]
        return token


async def make_bookable(
    base: str, admin: str, hall: str, service: str = "A", rules: dict[str, Any] | None = None
) -> None:
    """The hall in its noon zone, and `service` taking bookings by `rules` (BOOKING)."""
    await admin_patch(base, admin, f"/api/admin/halls/{hall}", {"tz": noon_zone(datetime.now(UTC))})
    await admin_patch(base, admin, f"/api/admin/halls/{hall}/services/{service}",
                      {"booking": rules or BOOKING})  # fmt: skip


async def open_slots(base: str, hall: str, service: str = "A") -> list[dict[str, Any]]:
    """The slots still open to booking, soonest first ({start, end, free, ...})."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/api/halls/{hall}/services/{service}/slots")
        assert r.status_code == 200, r.text
        slots: list[dict[str, Any]] = r.json()["slots"]
        return slots


async def book_by_staff(
    base: str, clerk: str, hall: str, slot: str, id_number: str, service: str = "A",
    phone: str = "13600005566",  # not test_phone.py's citizen: the run shares one database
) -> dict[str, Any]:  # fmt: skip
    """A booking a clerk makes for a citizen (Bearer): the AppointmentOut."""
    token = await login(base, clerk)
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/appointments", headers={"authorization": f"Bearer {token}"},
                         json={"hall": hall, "service": service, "slot": slot,
                               "id_number": id_number, "phone": phone, "lang": "zh"})  # fmt: skip
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


async def book_as_citizen(
    base: str, codes: Any, phone: str, hall: str, slot: str, id_number: str, service: str = "A"
) -> dict[str, Any]:
    """A citizen signs in with the code texted to `phone` (codes: a recording SMS gateway
    with wait_code, tests/browser/phone_helpers.py) and books: the AppointmentOut."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/citizen/code", json={"phone": phone})
        assert r.status_code == 202, r.text
        code = await asyncio.to_thread(codes.wait_code, phone)
        r = await c.post("/api/citizen/session", json={"phone": phone, "code": code})
        assert r.status_code == 200, r.text
        auth = {"authorization": f"Citizen {r.json()['token']}"}
        r = await c.post("/api/appointments", headers=auth,
                         json={"hall": hall, "service": service, "slot": slot,
                               "id_number": id_number, "lang": "zh"})  # fmt: skip
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


async def scan_qr(browser: Browser, svg: str) -> str:
    """What a scanner reads from a booking's QR code (its qr_svg, drawn as a page draws it)."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(f"<!doctype html><body style='margin:10mm'>{svg}</body>")
        pdf = await page.pdf(width="80mm", height="80mm")
    finally:
        await context.close()
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4, grayscale=True).to_numpy()
    [found] = zxingcpp.read_barcodes(image)
    text: str = found.text
    return text


def record_check_ins(k: Kiosk) -> list[dict[str, Any]]:
    """Every check-in the kiosk posts, in order (its JSON body)."""
    sent: list[dict[str, Any]] = []

    def request(r: Any) -> None:
        if r.method == "POST" and r.url.endswith("/check-in"):
            sent.append(json.loads(r.post_data or "{}"))

    k.page.on("request", request)
    return sent


def allow_refused(k: Kiosk, *statuses: int) -> None:
    """Forget Chromium's console line for refusals a test provokes on purpose (a 404 for an
    unknown booking code): the kiosk says what went wrong in its own words."""
    k.errors[:] = [e for e in k.errors if not any(f"status of {s}" in e for s in statuses)]
