"""Helpers for the hall display tests: a hall driven over HTTP, pages, a speech stub."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.async_api import Browser, Page, WebSocketRoute

from tests.browser.conftest import HARNESS_EVAL
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess

LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}

# Replaces the browser's speech synthesis: records every utterance with the
# moments it was handed over, started and ended (each "speaks" for 150 ms), and
# whether it was handed over while another was still speaking. Every chime
# (two oscillators) is recorded too.
SPEECH_STUB = """
(() => {
  const said = [];
  const chimes = [];
  window.__said = said;
  window.__chimes = chimes;
  const synth = {
    speaking: false, pending: false, paused: false,
    getVoices: () => [],
    speak(u) {
      const rec = { text: u.text, lang: u.lang, queued: performance.now(),
                    start: null, end: null, overlap: synth.speaking };
      said.push(rec);
      synth.speaking = true;
      setTimeout(() => {
        rec.start = performance.now();
        if (u.onstart) u.onstart({});
        setTimeout(() => {
          rec.end = performance.now();
          synth.speaking = false;
          if (u.onend) u.onend({});
        }, 150);
      }, 20);
    },
    cancel() { synth.speaking = false; },
    pause() {}, resume() {},
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  class Utterance {
    constructor(text) { Object.assign(this, { text, lang: "", rate: 1, voice: null,
                                              onstart: null, onend: null, onerror: null }); }
  }
  Object.defineProperty(window, "SpeechSynthesisUtterance",
                        { value: Utterance, configurable: true, writable: true });
  const Ctx = window.AudioContext;
  if (Ctx) {
    const create = Ctx.prototype.createOscillator;
    Ctx.prototype.createOscillator = function () {
      chimes.push(performance.now());
      return create.call(this);
    };
  }
})();
"""


@dataclass
class Desk:
    """The hall, driven the way clerks and the kiosk drive it: over HTTP."""

    http: Http
    hall: HallFixture
    opened: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, server: ServerProcess, hall: HallFixture) -> Desk:
        return cls(Http(server.base_url, hall), hall)

    def clerk(self, n: int) -> str:
        return f"{self.hall.id}-c{n}"

    async def issue(self, service: str, **extra: Any) -> dict[str, Any]:
        return await self.http.post(
            f"/api/halls/{self.hall.id}/tickets", {"service": service, **extra}
        )

    async def window(self, n: int, action: str, body: Any = None) -> dict[str, Any]:
        if action == "open":
            self.opened.add(n)
        elif n not in self.opened and action != "close":
            await self.window(n, "open")
        return await self.http.post(
            f"/api/windows/{self.hall.window(n)}/{action}", body, user=self.clerk(n)
        )

    async def call(self, n: int) -> str:
        """Call the next ticket at window n (opening it first); the ticket's number."""
        out = await self.window(n, "call-next")
        number: str = out["ticket"]["number"]
        return number

    async def notice(self, title: str, body: str, kind: str = "general", position: int = 0) -> str:
        out = await self.http.post(
            f"/api/halls/{self.hall.id}/notices",
            {"title": title, "body": body, "kind": kind, "position": position},
            user=f"{self.hall.id}-sup",
        )
        notice_id: str = out["id"]
        return notice_id

    async def delete_notice(self, notice_id: str) -> None:
        token = await self.http.token(f"{self.hall.id}-sup")
        async with httpx.AsyncClient(base_url=self.http.base) as c:
            r = await c.delete(
                f"/api/notices/{notice_id}", headers={"authorization": f"Bearer {token}"}
            )
            assert r.status_code == 204, r.text


class Gate:
    """The board's network, as far as /ws goes: open, or refusing every connection."""

    def __init__(self) -> None:
        self.open = True

    async def route(self, ws: WebSocketRoute) -> None:
        if self.open:
            ws.connect_to_server()
        else:
            await ws.close(code=1012, reason="network down")


@dataclass
class Screen:
    page: Page
    errors: list[str]
    gate: Gate

    async def said(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = await self.page.evaluate("window.__said || []")
        return out

    async def texts(self) -> list[str]:
        return [s["text"] for s in await self.said()]

    async def text(self, selector: str) -> str:
        return (await self.page.locator(selector).inner_text()).strip()

    async def wait(self, js: str, timeout: float = 5.0, arg: Any = None) -> float:
        """Wait until js is truthy; returns the seconds it took."""
        started = time.monotonic()
        await self.page.wait_for_function(js, arg=arg, timeout=timeout * 1000)
        return time.monotonic() - started

    async def drop(self) -> None:
        """Cut the connection and keep it down until restore()."""
        self.gate.open = False
        await self.page.evaluate("window.__socket.drop()")
        await self.wait("!window.__socket.online")

    async def restore(self) -> None:
        self.gate.open = True


def _is_error(kind: str, text: str) -> bool:
    # A server that is down is expected in some tests; the browser says so on the console.
    return kind == "error" and "WebSocket connection to" not in text and "net::ERR_" not in text


@asynccontextmanager
async def screen(
    browser: Browser,
    url: str,
    *,
    viewport: dict[str, int] = LANDSCAPE,
    speech_stub: bool = True,
) -> AsyncIterator[Screen]:
    """A fresh browser context on url, with the speech stub, and its page errors collected."""
    context = await browser.new_context(viewport=viewport, bypass_csp=HARNESS_EVAL)  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _is_error(m.type, m.text) else None)
    if speech_stub:
        await page.add_init_script(SPEECH_STUB)
    gate = Gate()
    await page.route_web_socket("**/ws", gate.route)
    try:
        await page.goto(url)
        yield Screen(page, errors, gate)
    finally:
        await context.close()
    assert not errors, errors


async def board_ready(s: Screen, windows: int) -> None:
    """The snapshot is in: every window has its card."""
    await s.wait(f"document.querySelectorAll('#windows .win').length === {windows}")
