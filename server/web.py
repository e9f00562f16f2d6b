"""The pages: hall screens, clerk and admin consoles, kiosk and phone pages, from Jinja2 templates.

The templates and their scripts keep the checkout's top-level folders
(``displays/``, ``window_client/``, ``admin/``, ``kiosk/``, ``citizen/``,
``dept_console/``, ``web_common/``), which
``pyproject.toml`` maps into the distribution as the data packages
``onewindow_pages.<folder>``. The server finds them with
``importlib.resources``: in an editable install that is the checkout's folder
(an edit shows at the next request), in a wheel the copy in site-packages.
The server renders the shell and the pages do the rest over /ws.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import qr
from .api.state import public_base, state
from .domain.errors import OneWindowError
from .usecases.cases import number_prefix

PAGES_PACKAGE = "onewindow_pages"
FOLDERS = ("displays", "window_client", "admin", "web_common", "kiosk", "citizen", "dept_console",
           "stats", "supervisor")
TEMPLATE_FOLDERS = ("displays", "window_client", "admin", "kiosk", "citizen", "dept_console",
                    "stats", "supervisor")


class PagesNotInstalled(RuntimeError):
    """The page folders cannot be found: OneWindow runs from a checkout it was not installed from."""


def page_folders() -> dict[str, Path]:
    """Each page folder, as the directory on disk that Jinja2 and StaticFiles read."""
    out = {}
    for name in FOLDERS:
        package = f"{PAGES_PACKAGE}.{name}"
        try:
            found = resources.files(package)
        except ModuleNotFoundError as err:
            raise PagesNotInstalled(
                f"the pages ({package}) are not installed: install OneWindow"
                " (pip install . or a wheel; pip install -e . in a checkout)"
            ) from err
        if not isinstance(found, Path) or not found.is_dir():
            raise PagesNotInstalled(f"the pages ({package}) are not a directory on disk: {found}")
        out[name] = found
    return out


class _Static(StaticFiles):
    """Static files, without the ``__init__.py`` (and bytecode) that makes a folder a package."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if any(part.startswith("__") for part in Path(path).parts):
            return "", None
        return super().lookup_path(path)


class Pages:
    def __init__(self) -> None:
        self.folders = page_folders()
        self.env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(self.folders[n]) for n in TEMPLATE_FOLDERS]
            ),
            autoescape=select_autoescape(["html"]),
        )

    def render(self, template: str, status: int = 200, **context: object) -> Response:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)

    async def board(self, request: Request) -> Response:
        hall_id = request.path_params["hall"]
        try:
            info = await state(request).ctx.hall(hall_id)
        except OneWindowError as err:
            return self._missing(err)
        return self.render("board.html", hall_id=hall_id, hall_name=info.hall.name)

    async def window_screen(self, request: Request) -> Response:
        hall_id, window_id = request.path_params["hall"], request.path_params["window"]
        try:
            info = await state(request).ctx.hall(hall_id)
            if await state(request).ctx.window_hall(window_id) != hall_id:
                raise OneWindowError(
                    "unknown_window", "no such window in this hall", "本大厅没有该窗口"
                )
        except OneWindowError as err:
            return self._missing(err)
        return self.render(
            "window.html", hall_id=hall_id, hall_name=info.hall.name, window_id=window_id
        )

    async def console(self, request: Request) -> Response:
        return self.render("console.html")

    async def case_notice(self, request: Request) -> Response:
        # Only the shell: the page reads the case with the console's sign-in.
        return self.render("case_notice.html", case_id=request.path_params["case"])

    async def admin(self, request: Request) -> Response:
        return self.render("admin.html")

    async def rate_pad(self, request: Request) -> Response:
        """The rating pad (评价器): the shell; the pad reads its window with its own key."""
        hall_id, window_id = request.path_params["hall"], request.path_params["window"]
        try:
            info = await state(request).ctx.hall(hall_id)
            if await state(request).ctx.window_hall(window_id) != hall_id:
                raise OneWindowError(
                    "unknown_window", "no such window in this hall", "本大厅没有该窗口"
                )
        except OneWindowError as err:
            return self._missing(err)
        return self.render("rate.html", hall_id=hall_id, hall_name=info.hall.name,
                           window_id=window_id)  # fmt: skip

    async def supervise(self, request: Request) -> Response:
        # Only the shell: the page reads the follow-ups with the supervisor's sign-in.
        return self.render("followups.html")

    async def supervise_complaints(self, request: Request) -> Response:
        # Only the shell: the page reads the complaints with the supervisor's sign-in.
        return self.render("complaints.html")

    async def stats(self, request: Request) -> Response:
        # Only the shell: the page signs in and reads the figures of the user's hall.
        return self.render("stats.html")

    async def dept(self, request: Request) -> Response:
        return self.render("dept.html")

    async def _hall_page(self, request: Request, template: str, **extra: str) -> Response:
        hall_id = request.path_params["hall"]
        try:
            info = await state(request).ctx.hall(hall_id)
        except OneWindowError as err:
            return self._missing(err)
        return self.render(template, 200, hall_id=hall_id, hall_name=info.hall.name, **extra)

    async def _case_page(self, request: Request, template: str) -> Response:
        # With the first part of the hall's 受理编号, which the citizen then need not type.
        hall_id = request.path_params["hall"]
        try:
            info = await state(request).ctx.hall(hall_id)
        except OneWindowError as err:
            return self._missing(err)
        return self.render(template, hall_id=hall_id, hall_name=info.hall.name,
                           case_prefix=number_prefix(info.hall.region_code, hall_id))  # fmt: skip

    async def kiosk(self, request: Request) -> Response:
        return await self._case_page(request, "kiosk.html")

    async def slip(self, request: Request) -> Response:
        """The printed ticket (80 mm): what the kiosk prints, with the QR to follow it."""
        st = state(request)
        hall_id, ticket_id = request.path_params["hall"], request.path_params["ticket"]
        token = request.query_params.get("token", "")
        try:
            view = await st.tickets.get(ticket_id, token)
            t = view.ticket
            if t.hall_id != hall_id:
                raise OneWindowError("unknown_ticket", "no such ticket", "没有该号票")
            info = await st.ctx.hall(hall_id)
            svc = await st.ctx.service(hall_id, t.service)
        except OneWindowError as err:
            if err.status >= 500:  # the database is down: say so, not "no such ticket"
                return self._missing(err)
            # A wrong token tells nothing: the same page as no such ticket.
            return self._missing(OneWindowError("unknown_ticket", "no such ticket", "没有该号票"))
        base = public_base(request)
        return self.render(
            "slip.html",
            hall_id=hall_id,
            hall_name=info.hall.name,
            ticket=t,
            service_name=svc.name,
            people_ahead=view.people_ahead,
            eta_minutes=view.eta_minutes,
            issued_at=t.issued_at.astimezone(info.clock.tz).strftime("%Y-%m-%d %H:%M"),
            holder=t.name_masked or t.id_masked or "",
            qr=Markup(qr.svg(qr.follow_url(base, t.id, token))),  # noqa: S704  (segno's own SVG)
            autoprint=request.query_params.get("print") == "1",
        )

    async def phone(self, request: Request) -> Response:
        return await self._hall_page(request, "phone.html")

    async def guide(self, request: Request) -> Response:
        return await self._hall_page(request, "guide.html")

    async def matter(self, request: Request) -> Response:
        # The page reads the matter from the public API and says there when it is
        # unknown or disabled, as it does for a network failure.
        return await self._hall_page(request, "matter.html", code=request.path_params["code"])

    async def book(self, request: Request) -> Response:
        # Whether the service takes bookings can change while the page is open: the page
        # says so; here only an unknown hall or service is "not found".
        hall_id, code = request.path_params["hall"], request.path_params.get("service", "")
        try:
            info = await state(request).ctx.hall(hall_id)
            if code:
                await state(request).ctx.service(hall_id, code)
        except OneWindowError as err:
            return self._missing(err)
        return self.render("book.html", hall_id=hall_id, hall_name=info.hall.name, service=code)

    async def follow(self, request: Request) -> Response:
        # The page reads its token from the address and keeps it on the phone; the
        # server renders only the shell, so a wrong token shows nothing but "not found".
        return self.render("ticket.html", ticket_id=request.path_params["ticket"])

    async def mine(self, request: Request) -> Response:
        return self.render("me.html")

    async def complaint(self, request: Request) -> Response:
        # 投诉建议: file, and look up the answer (number and secret in a POST body).
        return await self._hall_page(request, "complaint.html")

    async def case_status(self, request: Request) -> Response:
        # 办件查询: the number and the ID suffix go in a POST body, never in this address.
        return await self._case_page(request, "case.html")

    async def apply(self, request: Request) -> Response:
        # 网上申报 of a matter; the page checks the matter and the sign-in itself.
        return await self._hall_page(request, "apply.html", code=request.path_params["code"],
                                     application="")  # fmt: skip

    async def application(self, request: Request) -> Response:
        # One of the citizen's applications: only the shell, read with their sign-in.
        return self.render("apply.html", hall_id="", hall_name="", code="",
                           application=request.path_params["application"])  # fmt: skip

    def _missing(self, err: OneWindowError) -> Response:
        # A database outage is no "not found": the page says so and asks to come back.
        status = err.status if err.status >= 500 else 404
        return self.render(
            "missing.html", status=status, message=err.message, message_zh=err.message_zh
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/display/{hall}", self.board, methods=["GET"]),
            Route("/display/{hall}/window/{window}", self.window_screen, methods=["GET"]),
            Route("/display/{hall}/window/{window}/rate", self.rate_pad, methods=["GET"]),
            Route("/supervise", self.supervise, methods=["GET"]),
            Route("/supervise/complaints", self.supervise_complaints, methods=["GET"]),
            Route("/console", self.console, methods=["GET"]),
            Route("/console/notice/{case}", self.case_notice, methods=["GET"]),
            Route("/admin", self.admin, methods=["GET"]),
            Route("/dept", self.dept, methods=["GET"]),
            Route("/stats", self.stats, methods=["GET"]),
            Route("/kiosk/{hall}", self.kiosk, methods=["GET"]),
            Route("/kiosk/{hall}/slip/{ticket}", self.slip, methods=["GET"]),
            Route("/m/me", self.mine, methods=["GET"]),
            Route("/m/ticket/{ticket}", self.follow, methods=["GET"]),
            Route("/m/application/{application}", self.application, methods=["GET"]),
            Route("/m/{hall}/case", self.case_status, methods=["GET"]),
            Route("/m/{hall}/complaint", self.complaint, methods=["GET"]),
            Route("/m/{hall}/apply/{code}", self.apply, methods=["GET"]),
            Route("/m/{hall}/guide", self.guide, methods=["GET"]),
            Route("/m/{hall}/guide/{code}", self.matter, methods=["GET"]),
            Route("/m/{hall}/book", self.book, methods=["GET"]),
            Route("/m/{hall}/book/{service}", self.book, methods=["GET"]),
            Route("/m/{hall}", self.phone, methods=["GET"]),
            Mount("/static/common", _Static(directory=self.folders["web_common"])),
            Mount("/static/displays", _Static(directory=self.folders["displays"] / "static")),
            Mount("/static/console", _Static(directory=self.folders["window_client"] / "static")),
            Mount("/static/admin", _Static(directory=self.folders["admin"] / "static")),
            Mount("/static/dept", _Static(directory=self.folders["dept_console"] / "static")),
            Mount("/static/kiosk", _Static(directory=self.folders["kiosk"] / "static")),
            Mount("/static/citizen", _Static(directory=self.folders["citizen"] / "static")),
            Mount("/static/stats", _Static(directory=self.folders["stats"] / "static")),
            Mount("/static/supervisor",
                  _Static(directory=self.folders["supervisor"] / "static")),
        ]
