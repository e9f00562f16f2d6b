"""WebSocket limits (docs/protocol.md, "Limits"): message size, subscriptions per
connection, connections per client address, and idle anonymous connections.

One real server process with small limits. Connections come from their own loopback
addresses (127.0.0.x: the whole block is local on Linux), so the per-address count of
one test never meets another's.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from server.realtime.protocol import CloseCode
from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env, start_client, stop_client
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

MAX_BYTES = 1024
MAX_SUBSCRIPTIONS = 3
MAX_PER_CLIENT = 3
IDLE_S = 1.0
_addresses = itertools.count(2)


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = server_env(
        pg_url,
        ONEWINDOW_WS_MAX_MESSAGE_BYTES=str(MAX_BYTES),
        ONEWINDOW_WS_MAX_SUBSCRIPTIONS=str(MAX_SUBSCRIPTIONS),
        ONEWINDOW_WS_MAX_PER_CLIENT=str(MAX_PER_CLIENT),
        ONEWINDOW_WS_IDLE_S=str(IDLE_S),
    )
    with running(tmp_path_factory.mktemp("ws-limits"), env) as srv:
        yield srv


def fresh_address() -> str:
    """A loopback source address no other test here has used."""
    return f"127.0.0.{next(_addresses)}"


async def open_from(server: ServerProcess, address: str, **kw: Any) -> RawWS:
    return await RawWS.open(ws_url(server), local_addr=(address, 0), **kw)


# --- message size --------------------------------------------------------------------


async def test_a_message_over_the_limit_closes_with_1009(server: ServerProcess) -> None:
    async with await open_from(server, fresh_address()) as ws:
        await ws.op("welcome")
        # Just under the bound: read, refused as a message, the connection stays.
        await ws.send("x" * (MAX_BYTES - 10))
        assert (await ws.op("error"))["error"]["code"] == "bad_json"
        await ws.send({"op": "ping", "pad": "y" * (2 * MAX_BYTES)})
        assert await ws.closed(timeout=10) == int(CloseCode.MESSAGE_TOO_BIG)


async def test_the_limit_counts_bytes_not_characters(server: ServerProcess) -> None:
    async with await open_from(server, fresh_address()) as ws:
        await ws.op("welcome")
        await ws.send("窗" * (MAX_BYTES // 2))  # half the characters, 1.5 times the bytes
        assert await ws.closed(timeout=10) == int(CloseCode.MESSAGE_TOO_BIG)


# --- subscriptions -------------------------------------------------------------------


async def test_a_subscription_over_the_limit_is_refused_and_the_connection_stays(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    token = await api.token(pg_hall.supervisor.username)
    topics = [f"hall:{pg_hall.id}", *(f"window:{w}" for w in pg_hall.windows)]
    assert len(topics) > MAX_SUBSCRIPTIONS
    async with await open_from(server, fresh_address(), token=token) as ws:
        for topic in topics[:MAX_SUBSCRIPTIONS]:
            await ws.subscribe(topic)
        # The same topic again is a resume, not one more.
        await ws.subscribe(topics[0])
        over = topics[MAX_SUBSCRIPTIONS]
        await ws.send({"op": "subscribe", "topic": over})
        error = await ws.op("error", topic=over)
        assert error["error"]["code"] == "too_many_subscriptions"
        assert error["error"]["limit"] == MAX_SUBSCRIPTIONS
        # Room made, the topic is taken; live events still flow on the others.
        await ws.send({"op": "unsubscribe", "topic": topics[1]})
        await ws.op("unsubscribed", topic=topics[1])
        await ws.subscribe(over)
        await api.post(f"/api/halls/{pg_hall.id}/tickets", {"service": "A"})
        event = await ws.op("event", topic=topics[0])
        assert event["type"] == "ticket.issued"


# --- connections per client address --------------------------------------------------


async def test_connections_over_the_per_address_limit_close_with_4013(
    server: ServerProcess,
) -> None:
    crowded, other = fresh_address(), fresh_address()
    held = [await open_from(server, crowded) for _ in range(MAX_PER_CLIENT)]
    try:
        for ws in held:
            await ws.op("welcome")
        extra = await open_from(server, crowded)
        assert await extra.closed(timeout=10) == int(CloseCode.TOO_MANY_CONNECTIONS)
        assert extra.seen == []  # refused before any welcome
        # Another address is not held to this one's count.
        async with await open_from(server, other) as ws:
            await ws.op("welcome")
        # A slot given back is free again (the server notices the close at once).
        await held.pop().close()
        for _ in range(50):
            again = await open_from(server, crowded)
            if (await again.recv())["op"] == "welcome":
                held.append(again)
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the slot was never given back")
    finally:
        for ws in held:
            await ws.close()


# --- idle anonymous connections ------------------------------------------------------


async def test_a_silent_anonymous_connection_is_closed_with_4002(server: ServerProcess) -> None:
    async with await open_from(server, fresh_address()) as ws:
        await ws.op("welcome")
        started = asyncio.get_running_loop().time()
        assert await ws.closed(timeout=IDLE_S + 10) == int(CloseCode.IDLE)
        assert asyncio.get_running_loop().time() - started >= IDLE_S * 0.5


async def test_boards_and_signed_in_consoles_are_never_idle(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    """A hall board subscribes at once and then only listens; a console may sit silent."""
    token = await api.token(pg_hall.clerk(1).username)
    board = await open_from(server, fresh_address())
    console = await open_from(server, fresh_address(), token=token)
    dropped = await open_from(server, fresh_address())
    client, rec, task = await start_client(ws_url(server), [f"hall:{pg_hall.id}"])
    try:
        await board.subscribe(f"hall:{pg_hall.id}")
        await console.op("welcome")
        # Subscribed, then let go of everything: idle again from the last message.
        await dropped.subscribe(f"hall:{pg_hall.id}")
        await dropped.send({"op": "unsubscribe", "topic": f"hall:{pg_hall.id}"})
        await dropped.op("unsubscribed")
        assert await dropped.closed(timeout=IDLE_S + 10) == int(CloseCode.IDLE)
        await asyncio.sleep(IDLE_S * 2)  # well past the idle bound for the others
        for ws in (board, console):
            await ws.send({"op": "ping"})
            await ws.op("pong", timeout=5)
        assert client.connections == 1  # the reference client was never cut off
        await api.post(f"/api/halls/{pg_hall.id}/tickets", {"service": "A"})
        assert (await board.op("event"))["type"] == "ticket.issued"
    finally:
        await stop_client(client, task)
        for ws in (board, console, dropped):
            await ws.close()
    assert rec.snapshots == {f"hall:{pg_hall.id}": 1}
