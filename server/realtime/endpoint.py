"""The /ws endpoint: accept, authenticate if a token came along, hand over to a Session."""

from __future__ import annotations

from starlette.websockets import WebSocket

from ..api.state import client_address, state
from ..domain.errors import OneWindowError
from .hub import Hub
from .limits import auth_failure
from .protocol import CloseCode
from .session import Session


async def ws_endpoint(websocket: WebSocket) -> None:
    st = state(websocket)
    hub: Hub = websocket.app.state.hub
    address = client_address(websocket)
    # Accepted, then closed: a refused handshake reaches a browser as a bare 1006,
    # while a close code tells the client to come back later.
    await websocket.accept()
    if not hub.addresses.take(address, st.settings.ws_max_per_client):
        code = int(CloseCode.TOO_MANY_CONNECTIONS)
        hub.metrics.ws_closed.labels(str(code)).inc()
        await websocket.close(code, "too many connections from your address; try again later")
        return
    try:
        session = Session(websocket, hub, st, st.settings.ws_outbox)
        try:
            await session.run(websocket.query_params.get("token"))
        except OneWindowError as err:
            await websocket.close(*auth_failure(err))
    finally:
        hub.addresses.give_back(address)
