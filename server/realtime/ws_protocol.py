"""uvicorn's sans-I/O WebSocket protocol, with closes that cannot hang.

Every way uvicorn ends a connection (our close frame unanswered, a keep-alive ping
unanswered, the app returning) calls ``transport.close()``, and a transport's close
waits until its write buffer has gone out. A peer that stopped reading with full
buffers (a display box whose network froze, a client cut off with 4008 that never
reads again) never takes it, so its connection stayed ESTABLISHED for good, buffers
and all.

Here each such close is given ``ABORT_AFTER_S`` to flush, then the connection is reset
(the peer is gone anyway). Chosen in ``server/serve.py`` with uvicorn's ``ws=``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from asyncio import AbstractEventLoop, BaseTransport, TimerHandle, Transport
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from .frames import FRAMES

# A peer that reads at all has taken a closing connection's last bytes within seconds;
# one that has not by then is not reading. The close handshake gets as long, so a peer
# cut off for being slow is gone within about ten seconds of being told.
ABORT_AFTER_S = 5.0
CLOSE_HANDSHAKE_S = 5.0


class _ClosingTransport:
    """The connection's transport, but for a close that turns into an abort if it hangs.

    (uvloop's transports do not let an attribute be replaced, so it is wrapped.)"""

    def __init__(self, inner: Transport, loop: AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self.abort_timer: TimerHandle | None = None
        self.lost = False  # the connection is gone: a later close has nothing to reset
        # The per-message calls, bound once (not looked up through __getattr__ each time).
        self.write = inner.write
        self.is_closing = inner.is_closing

    def close(self) -> None:
        self._inner.close()
        # uvicorn closes again after connection_lost (when the app returns): no timer then,
        # or it would fire on a socket already gone.
        if self.abort_timer is None and not self.lost:
            self.abort_timer = self._loop.call_later(ABORT_AFTER_S, self.reset)

    def reset(self) -> None:
        """Drop the connection now, with a reset. An abort alone is not enough: the
        kernel would go on offering the unsent bytes to a peer whose window stays shut."""
        sock = self._inner.get_extra_info("socket")
        if sock is not None:
            # uvloop says ValueError for a socket closed meanwhile.
            with contextlib.suppress(OSError, ValueError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._inner.abort()

    def cancel_abort(self) -> None:
        self.lost = True
        if self.abort_timer is not None:
            self.abort_timer.cancel()
            self.abort_timer = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class OneWindowWSProtocol(WebSocketsSansIOProtocol):
    """With closes that end, and a path for frames built once (frames.FrameSink)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.close_timeout = CLOSE_HANDSHAKE_S

    def connection_made(self, transport: BaseTransport) -> None:
        self.closing = _ClosingTransport(cast(Transport, transport), self.loop)
        super().connection_made(cast(Transport, self.closing))

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # (which closes the transport once more)
        # Gone, flushed or not: nothing left to reset, now or on a later close.
        self.closing.cancel_abort()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The frame path is offered only where frames go out as they are: no extension
        # (we turn compression off) and a handshake that was accepted.
        if self.response.status_code == 101 and not self.conn.extensions:
            self.scope["extensions"][FRAMES] = {"sink": self}

    # --- frames.FrameSink ------------------------------------------------------------

    def ready(self) -> bool:
        return (self.handshake_complete and not self.close_sent and not self.disconnected
                and self.writable.is_set())  # fmt: skip

    def write(self, frame: bytes) -> None:
        self.transport.write(frame)

    async def drained(self) -> bool:
        await self.writable.wait()
        return not (self.close_sent or self.disconnected)
