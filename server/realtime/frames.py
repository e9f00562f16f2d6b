"""Server WebSocket frames built once, for every connection that gets them.

A server's text frame, uncompressed, carries no mask: it is the same bytes for every
client. So an event is framed once per topic and those bytes are written straight to
each subscriber's transport, instead of each connection turning the same text into the
same frame through ASGI send, the websockets protocol and its buffers (issue 13).

The ASGI server offers this path as a scope extension (``FRAMES``, put there by
``ws_protocol.OneWindowWSProtocol``); under any other server a session sends text as
usual.
"""

from __future__ import annotations

import struct
from typing import Protocol

FRAMES = "onewindow.frames"
_TEXT = 0x81  # FIN + opcode 1 (text); no RSV bits: no extension touches these frames


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final text frame holding ``payload`` (RFC 6455, 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((_TEXT, n)) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", _TEXT, 126, n) + payload
    return struct.pack("!BBQ", _TEXT, 127, n) + payload


class Outgoing:
    """A message for one connection or many: its text, and its frame made at most once."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.text.encode())
        return self._frame


class FrameSink(Protocol):
    """The connection's side of the path: what a session needs to write frames itself."""

    def ready(self) -> bool:
        """Open, and its transport takes more now (not paused by a full buffer)."""

    def write(self, frame: bytes) -> None: ...

    async def drained(self) -> bool:
        """Wait until the transport takes more; False once the connection is closing."""
