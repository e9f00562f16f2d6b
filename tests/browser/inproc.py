"""A real server on a loopback port inside the test's own event loop, so the test holds
its clock: deadlines, day changes and sweeps are moved by hand, not waited for.

Same app, same uvicorn WebSocket implementation as ``onewindow serve``; only the
clock is the test's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import uvicorn
from starlette.applications import Starlette

from server.app import create_app
from server.settings import Settings
from server.usecases.case_sweep import sweep as case_sweep
from tests.system.server_proc import free_port


@dataclass
class InProc:
    app: Starlette
    base_url: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws"

    async def sweep_cases(self, hall_id: str) -> int:
        """Run the cases' minute sweep now (deadline colours, archive), as the loop would."""
        st = self.app.state.ow
        return await case_sweep(st.ctx, st.matters, hall_id, st.ctx.clock())


@contextlib.asynccontextmanager
async def serving(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[InProc]:
    port = free_port()
    app = create_app(settings, clock=clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws="websockets-sansio", ws_per_message_deflate=False,
                            lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
        await asyncio.sleep(0.02)
    try:
        yield InProc(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
