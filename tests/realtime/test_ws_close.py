"""A connection that ends normally leaves nothing behind: no reset timer firing later on
a socket already gone (server/realtime/ws_protocol.py), no error in the log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.realtime.ws_protocol import ABORT_AFTER_S
from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.realtime.ws_helpers import RawWS, ws_url


async def test_displays_that_close_leave_no_error_behind(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    with running(tmp_path, server_env(pg_url)) as srv:
        displays = [await RawWS.open(ws_url(srv)) for _ in range(20)]
        for d in displays:
            await d.subscribe(f"hall:{pg_hall.id}")
        for d in displays[:10]:
            await d.ws.close()  # the client ends it
        for d in displays[10:]:
            d.ws.transport.abort()  # the client vanishes
        # Past the delay a hanging close gets before it is reset.
        await asyncio.sleep(ABORT_AFTER_S + 1.5)
        log = srv.output()
        assert srv.running
    assert "Exception in callback" not in log and "Traceback" not in log, log[-3000:]
