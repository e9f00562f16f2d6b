"""Helpers for the citizens' case pages (办件查询, 网上申报, the kiosk's 领取结果): cases taken
in over HTTP as the clerk console takes them in, decided by the departments' officers,
and the screenshots people look at."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from tests.browser.conftest import shot_path
from tests.browser.test_console_intake import approve_all, office
from tests.conftest import HallFixture
from tests.realtime.conftest import Http
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number

ALL = {"form": "received", "licence": "received", "plan": "received"}
PHONE_390: Any = {"width": 390, "height": 844}


class Office:
    """The hall's intake side over HTTP: the matter "food" (approved by two departments,
    taken in at service A, handed out at service D) and a clerk to take cases in."""

    def __init__(self, server: ServerProcess, hall: HallFixture) -> None:
        self.http = Http(server.base_url, hall)
        self.hall = hall
        self.clerk = hall.clerk(1).username
        self.officers: dict[str, str] = {}

    @classmethod
    async def open(cls, server: ServerProcess, hall: HallFixture, pg_url: str) -> Office:
        o = cls(server, hall)
        o.officers = await office(server, hall, pg_url)
        return o

    async def intake(self, n: int, *, phone: str | None = None, **over: Any) -> dict[str, Any]:
        """A case for the applicant with test ID number n (accepted unless `over` says)."""
        applicant: dict[str, Any] = {"name": "李小四", "id_number": id_number(n)}
        if phone:
            applicant["phone"] = phone
        body = {"hall": self.hall.id, "matter": "food", "applicant": applicant, "materials": ALL,
                **over}  # fmt: skip
        return await self.http.post("/api/cases", body, self.clerk)

    async def ready(self, n: int, **kw: Any) -> dict[str, Any]:
        """A case whose result waits at the pickup window (every department approved)."""
        case = await self.intake(n, **kw)
        return await approve_all(self.http, self.officers, case["id"])


async def shot(page: Page, name: str, *, full: bool = True) -> None:
    """The page as a phone shows it (the whole length when full) or the kiosk's screen."""
    await page.wait_for_timeout(100)  # let the layout settle
    await page.screenshot(path=shot_path(name), full_page=full)
