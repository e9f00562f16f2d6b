"""One headless Chromium per test worker, and a clean slate for each test that uses it.

Starting Playwright's driver and launching Chromium cost each browser test about a
second and a half of a busy machine: a worker now does it once, and every test opens
contexts of its own from that browser (cookies, storage, cache, routes and offline
state all belong to a context, so nothing leaks from one test to the next).

Playwright's objects belong to the event loop that made them, so the tests that use
the shared browser run on the worker's session loop (tests/browser/conftest.py marks
them); what `isolated` closes and cancels at the end of each test is what the end
of a test's own loop used to take with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

from playwright.async_api import Browser, Playwright, async_playwright

Launch = Callable[[Playwright], Awaitable[Browser]]
# A live browser answers in milliseconds, even on a loaded machine; one that takes
# this long is as good as gone for the tests that would use it.
PROBE_S = 10.0
CLOSE_S = 10.0


class SharedChromium:
    """The worker's browser: launched at first use, and again whenever it has gone away
    (crashed, or closed by a test), so one lost browser fails one test, not the rest."""

    def __init__(self, launch: Launch) -> None:
        self._launch = launch
        self._pw: Playwright | None = None
        self._browser: Browser | None = None

    async def browser(self) -> Browser:
        if self._browser is not None and await answers(self._browser):
            return self._browser
        if self._browser is not None:
            # Said on the test's output: a test failing after this knows why.
            print("the shared Chromium stopped answering: relaunching it", file=sys.stderr)
        # The driver too: a browser that died may have taken its driver with it.
        await self.close()
        self._pw = await async_playwright().start()
        self._browser = await self._launch(self._pw)
        return self._browser

    async def close(self) -> None:
        browser, pw = self._browser, self._pw
        self._browser = self._pw = None
        # Either may be dead or hung already; closing what is left must not fail a test.
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), CLOSE_S)
        if pw is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pw.stop(), CLOSE_S)


async def answers(browser: Browser) -> bool:
    """Whether the browser answers through its driver. is_connected() alone is not
    enough: when the driver dies, the browser still says it is connected."""
    if not browser.is_connected():
        return False
    try:
        session = await asyncio.wait_for(browser.new_browser_cdp_session(), PROBE_S)
        await asyncio.wait_for(session.detach(), PROBE_S)
    except Exception:
        return False
    return True


@contextlib.asynccontextmanager
async def isolated(browser: Browser) -> AsyncIterator[Browser]:
    """The browser for one test. Afterwards, the contexts the test left open are closed
    (browser.new_page() makes one too) and the tasks it left running are cancelled, as
    the end of its own event loop would have done."""
    contexts = set(browser.contexts)
    tasks = asyncio.all_tasks()
    try:
        yield browser
    finally:
        for context in browser.contexts:
            if context not in contexts:
                with contextlib.suppress(Exception):  # the browser may have gone
                    await asyncio.wait_for(context.close(), CLOSE_S)
        left = asyncio.all_tasks() - tasks - {asyncio.current_task()}
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
