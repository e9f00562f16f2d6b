"""Real headless Chromium (Debian's, driven by Playwright) against a real server process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.conftest import HallFixture
from tests.realtime.conftest import running, seed_hall, server_env
from tests.system.server_proc import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
# Playwright's string predicates (wait_for_function) are evaluated in the page, which
# the pages' Content-Security-Policy forbids: behaviour tests lift it for the harness;
# tests/browser/test_headers.py and the admin tests run under the real policy.
HARNESS_EVAL = True
# Screenshots are kept with the test output, for people to look at.
SHOTS = Path(os.environ.get("ONEWINDOW_TEST_OUTPUT", "test-output")) / "screenshots"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, as every browser test launches it."""
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest.fixture
async def web_hall(pg_url: str) -> HallFixture:
    return await seed_hall(pg_url)


@pytest.fixture
def web_server(tmp_path: Path, pg_url: str, web_hall: HallFixture) -> Iterator[ServerProcess]:
    with running(tmp_path, server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2")) as srv:
        yield srv


def shot_path(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"
