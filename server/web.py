"""The pages: hall board, window screen, clerk console and admin console, from Jinja2 templates.

Templates and their scripts live beside the package (``displays/``,
``window_client/``, ``web_common/``); the server renders the shell and the
pages do the rest over /ws.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .api.state import state
from .domain.errors import OneWindowError

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


class Pages:
    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root
        self.env = Environment(
            loader=ChoiceLoader(
                [
                    FileSystemLoader(root / "displays"),
                    FileSystemLoader(root / "window_client"),
                    FileSystemLoader(root / "admin"),
                ]
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
            Mount("/static/common", StaticFiles(directory=self.root / "web_common")),
            Mount("/static/displays", StaticFiles(directory=self.root / "displays" / "static")),
            Mount("/static/console", StaticFiles(directory=self.root / "window_client" / "static")),
            Mount("/static/admin", StaticFiles(directory=self.root / "admin" / "static")),
        ]
