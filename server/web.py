"""The pages: hall board, window screen, clerk console and admin console, from Jinja2 templates.

The templates and their scripts keep the checkout's top-level folders
(``displays/``, ``window_client/``, ``admin/``, ``web_common/``), which
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
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .api.state import state
from .domain.errors import OneWindowError

PAGES_PACKAGE = "onewindow_pages"
FOLDERS = ("displays", "window_client", "admin", "web_common")


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
                [FileSystemLoader(self.folders[n]) for n in ("displays", "window_client", "admin")]
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

    async def admin(self, request: Request) -> Response:
        return self.render("admin.html")

    def _missing(self, err: OneWindowError) -> Response:
        return self.render(
            "missing.html", status=404, message=err.message, message_zh=err.message_zh
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/display/{hall}", self.board, methods=["GET"]),
            Route("/display/{hall}/window/{window}", self.window_screen, methods=["GET"]),
            Route("/console", self.console, methods=["GET"]),
            Route("/admin", self.admin, methods=["GET"]),
            Mount("/static/common", _Static(directory=self.folders["web_common"])),
            Mount("/static/displays", _Static(directory=self.folders["displays"] / "static")),
            Mount("/static/console", _Static(directory=self.folders["window_client"] / "static")),
            Mount("/static/admin", _Static(directory=self.folders["admin"] / "static")),
        ]
