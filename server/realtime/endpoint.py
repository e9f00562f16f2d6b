"""The /ws endpoint: accept, authenticate if a token came along, hand over to a Session."""

from __future__ import annotations

from starlette.websockets import WebSocket

from ..api.state import state
from ..domain.errors import OneWindowError
from .hub import Hub
from .protocol import CloseCode
from .session import Session


async def ws_endpoint(websocket: WebSocket) -> None:
    st = state(websocket)
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    session = Session(websocket, hub, st, st.settings.ws_outbox)
    try:
        await session.run(websocket.query_params.get("token"))
    except OneWindowError:
        await websocket.close(int(CloseCode.UNAUTHORIZED), "invalid or expired token")
