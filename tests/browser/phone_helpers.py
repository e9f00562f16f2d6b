"""Helpers for the phone page tests: a recording SMS gateway, a phone-sized browser page."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot_path

PHONE = {"width": 375, "height": 667}

# The phone's vibration motor and system notifications, recorded. The permission the
# citizen gives is kept in localStorage, as a browser keeps it per origin.
DEVICE_STUB = """
(() => {
  window.__vibrations = [];
  window.__notes = [];
  window.__asked = 0;
  Object.defineProperty(Navigator.prototype, "vibrate", {
    configurable: true,
    value: function (pattern) { window.__vibrations.push(pattern); return true; },
  });
  class Note {
    static get permission() { return localStorage.getItem("__perm") || "default"; }
    static async requestPermission() {
      window.__asked += 1;
      localStorage.setItem("__perm", "granted");
      return "granted";
    }
    constructor(title, options) { window.__notes.push({ title, ...(options || {}) }); }
    close() {}
  }
  Object.defineProperty(window, "Notification", { value: Note, configurable: true, writable: true });
})();
"""


class Gateway:
    """A local HTTP SMS gateway that records every JSON post and answers 200."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        posts, lock = self.posts, self.lock

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(size) or b"{}")
                with lock:
                    posts.append(body)
                out = json.dumps({"ok": True, "id": f"m{len(posts)}"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def codes(self, phone: str) -> list[str]:
        with self.lock:
            return [
                str(p["params"]["code"])
                for p in self.posts
                if p.get("template") == "sign_in_code" and p.get("phone") == phone
            ]

    def wait_code(self, phone: str, count: int = 1, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.codes(phone)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no sign-in code #{count} for {phone}; gateway got {self.posts}")


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gw = Gateway()
    thread = threading.Thread(target=gw.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        gw.server.shutdown()
        gw.server.server_close()


def _is_error(kind: str, text: str) -> bool:
    # A server or network that is down is what some tests do; the browser says so.
    expected = ("WebSocket connection to", "net::ERR_", "Failed to load resource")
    return kind == "error" and not any(e in text for e in expected)


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    async def text(self, selector: str) -> str:
        return (await self.page.locator(selector).inner_text()).strip()

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=shot_path(name))

    async def assert_accessible(self, what: str) -> None:
        found = await violations(self.page)
        assert not found, f"{what}:\n{describe(found)}"

    async def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = await self.page.evaluate(
            "JSON.parse(localStorage.getItem('ow.citizen.tickets') || '{}')"
        )
        return out


@asynccontextmanager
async def phone(browser: Browser, url: str) -> AsyncIterator[Phone]:
    """A fresh phone (375×667, touch) on url, with its vibration and notifications recorded."""
    context = await browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        # The pages' real Content-Security-Policy: these tests wait with locators only.
        bypass_csp=False,
    )
    await context.add_init_script(DEVICE_STUB)
    page = await context.new_page()
    p = Phone(context, page)
    page.on("pageerror", lambda e: p.errors.append(str(e)))
    page.on("console", lambda m: p.errors.append(m.text) if _is_error(m.type, m.text) else None)
    try:
        await page.goto(url)
        yield p
    finally:
        await context.close()
    assert not p.errors, p.errors


async def take_ticket_http(
    base: str, hall: str, service: str = "A", **extra: Any
) -> dict[str, Any]:
    """A ticket taken as the phone page takes it, over HTTP (for tests that start later)."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post(
            f"/api/halls/{hall}/tickets",
            json={"service": service, "channel": "phone", "kind": "walk_in", **extra},
        )
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


async def ticket_status(base: str, ticket: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/api/tickets/{ticket}", params={"token": token})
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


# --- online appointments -----------------------------------------------------------------

SESSION_KEY = "ow.citizen.session"


async def citizen_session(base: str, gateway: Gateway, phone_number: str) -> dict[str, Any]:
    """A citizen signed in over HTTP as the phone page signs in (code by SMS, then the
    session): {token, phone_masked, expires_at}, what the page keeps."""
    async with httpx.AsyncClient(base_url=base) as c:
        before = len(gateway.codes(phone_number))
        r = await c.post("/api/citizen/code", json={"phone": phone_number, "lang": "zh"})
        assert r.status_code == 202, r.text
        code = await asyncio.to_thread(gateway.wait_code, phone_number, before + 1)
        r = await c.post("/api/citizen/session", json={"phone": phone_number, "code": code})
        assert r.status_code == 200, r.text
        s = r.json()
        return {k: s[k] for k in ("token", "phone_masked", "expires_at")}


async def keep_session(p: Phone, session: dict[str, Any]) -> None:
    """Put a sign-in on the phone, where the page's own sign-in keeps it."""
    await p.page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)", [SESSION_KEY, json.dumps(session)]
    )


async def page_session(p: Phone) -> dict[str, Any]:
    out: dict[str, Any] = await p.page.evaluate(
        f"JSON.parse(localStorage.getItem('{SESSION_KEY}') || 'null')"
    )
    return out


async def citizen_call(
    base: str, session: dict[str, Any], method: str, path: str, body: Any = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as c:
        return await c.request(
            method, path, json=body, headers={"authorization": f"Citizen {session['token']}"}
        )


async def slot_list(base: str, hall: str, service: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/api/halls/{hall}/services/{service}/slots")
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


async def book_http(
    base: str, session: dict[str, Any], hall: str, service: str, slot: str, id_number: str
) -> dict[str, Any]:
    """A booking made as the booking page makes it, over HTTP."""
    r = await citizen_call(base, session, "POST", "/api/appointments", {
        "hall": hall, "service": service, "slot": slot, "id_number": id_number, "lang": "zh",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out
