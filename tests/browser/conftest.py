"""Real headless Chromium (Debian's, driven by Playwright) against a real server process;
for the journeys, that server pointed at a local SMS gateway that records what it got."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Playwright, async_playwright

from tests.browser.shared_browser import SharedChromium, isolated
from tests.conftest import HallFixture, keep_clear_of_local_midnight
from tests.notify.gateway import FakeGateway
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
HERE = Path(__file__).parent


async def launch(pw: Playwright) -> Browser:
    """Debian's Chromium, headless, as every browser test launches it."""
    return await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A browser of the caller's own, on the caller's event loop."""
    async with async_playwright() as pw:
        b = await launch(pw)
        try:
            yield b
        finally:
            await b.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests here that take `browser` run on the worker's session loop, where the
    shared browser lives (tests/browser/shared_browser.py). Their other async fixtures
    still run on a loop of the test's own, so such a fixture hands over data (ids, a
    name), never a connection or a task."""
    for item in items:
        if HERE in item.path.parents and "browser" in getattr(item, "fixturenames", ()):
            # First in the list: the closest asyncio mark is the one that counts.
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_chromium() -> AsyncIterator[SharedChromium]:
    shared = SharedChromium(launch)
    try:
        yield shared
    finally:
        await shared.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(shared_chromium: SharedChromium) -> AsyncIterator[Browser]:
    """The worker's Chromium; each test opens contexts of its own, closed after it."""
    async with isolated(await shared_chromium.browser()) as b:
        yield b


@pytest.fixture
async def web_hall(pg_url: str) -> HallFixture:
    return await seed_hall(pg_url)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[ServerProcess]:
    """One server for a module's tests, each of which seeds a hall of its own: a server
    started per test was a third of these tests' time. Sign-ins are not rate limited here,
    since a module's tests add up; a module whose tests count a limit takes `fresh_server`."""
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2", ONEWINDOW_RATE_LIMIT_LOGIN="1000000/60")
    with running(tmp_path_factory.mktemp("server"), env) as srv:
        yield srv


@pytest.fixture
def fresh_server(tmp_path: Path, pg_url: str, web_hall: HallFixture) -> Iterator[ServerProcess]:
    """A server of the test's own, started after its hall was seeded."""
    with running(tmp_path, server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2")) as srv:
        yield srv


def shot_path(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


@pytest.fixture
def fake_gw() -> Iterator[FakeGateway]:
    with FakeGateway() as gw:
        yield gw


@pytest.fixture
def gw_server(
    tmp_path: Path, pg_url: str, web_hall: HallFixture, fake_gw: FakeGateway
) -> Iterator[ServerProcess]:
    """web_server, with its texts going to fake_gw (the outbox polled often)."""
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S="2", ONEWINDOW_SMS_GATEWAY_URL=fake_gw.url,
                     ONEWINDOW_NOTIFY_POLL_S="0.2")  # fmt: skip
    with running(tmp_path, env) as srv:
        yield srv


async def texts(gw: FakeGateway, to: str, template: str, count: int = 1) -> list[dict[str, Any]]:
    """The SMS of `template` the gateway got for `to` (their JSON bodies), once `count` came."""

    def found() -> list[dict[str, Any]]:
        return [p.body for p in list(gw.posts)
                if p.body.get("phone") == to and p.body.get("template") == template]  # fmt: skip

    await gw.wait_for(lambda: len(found()) >= count)
    return found()


@pytest.fixture(autouse=True)
def _clear_of_midnight() -> None:
    """These tests run a server on the real clock (tests/conftest.py says why)."""
    keep_clear_of_local_midnight()
