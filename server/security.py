"""Security headers on every HTTP answer: a strict Content-Security-Policy and friends.

Pages load scripts and styles only from this server (no inline script, no
third-party origin: halls run on closed networks, and a notice text that slips
markup in cannot run it). Staff pages may not be framed at all; hall screens may
be framed by the origins a hall configures for its own signage page; the kiosk
only by itself (it prints its slip from a frame).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{img};"
    " font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
    " form-action 'self'"
)
# Screens a hall may show inside its own signage page (the board, a window screen).
_FRAMEABLE = ("/display/",)
# The kiosk prints its slip from a frame of its own page: framed by itself only.
_SELF_FRAMED = ("/kiosk/",)
# The clerk console shows an uploaded image (网上申报 pre-review) from a blob: URL its own
# script made from the bytes it fetched with the bearer token; only a same-origin script
# can mint one, and an image runs nothing.
_CONSOLE = "/console"


def policy(frame_ancestors: str, img: str = "") -> str:
    return f"{_BASE.format(img=img)}; frame-ancestors {frame_ancestors}"


class SecurityHeaders:
    """ASGI middleware: adds the headers to every HTTP response (WebSockets pass through)."""

    def __init__(self, app: ASGIApp, display_ancestors: Iterable[str] = ()) -> None:
        self.app = app
        ancestors = " ".join(display_ancestors) or "'none'"
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        self._staff = [*common, (b"content-security-policy", policy("'none'").encode()),
                       (b"x-frame-options", b"DENY")]  # fmt: skip
        self._display = [*common, (b"content-security-policy", policy(ancestors).encode())]
        self._kiosk = [*common, (b"content-security-policy", policy("'self'").encode()),
                       (b"x-frame-options", b"SAMEORIGIN")]  # fmt: skip
        self._console = [*common, (b"content-security-policy", policy("'none'", " blob:").encode()),
                         (b"x-frame-options", b"DENY")]  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(_FRAMEABLE):
            extra = self._display
        elif path.startswith(_SELF_FRAMED):
            extra = self._kiosk
        elif path == _CONSOLE:
            extra = self._console
        else:
            extra = self._staff

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
