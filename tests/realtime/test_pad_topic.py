"""The rating pad's topic (pad:{window}) over /ws: only its key opens it, and it carries
the window's finishes and 请评价, never the queue's other traffic or another window's.

One server for the module; every test seeds a hall of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.realtime.test_auth import refused
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("ws-pad"), server_env(pg_url)) as srv:
        yield srv


async def test_the_pad_topic_opens_with_its_key_and_carries_its_window_only(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    w1, w2 = pg_hall.window(1), pg_hall.window(2)
    sup, c1, c2 = pg_hall.supervisor.username, pg_hall.clerk(1).username, pg_hall.clerk(2).username
    key = (await api.post(f"/api/windows/{w1}/pad", user=sup))["key"]
    async with await RawWS.open(ws_url(server)) as ws:
        assert await refused(ws, f"pad:{w1}") == "pad_key_invalid"
        assert await refused(ws, f"pad:{w1}", token="wrong") == "pad_key_invalid"
        assert await refused(ws, f"pad:{w2}", token=key) == "pad_key_invalid"  # not its window
        await ws.subscribe(f"pad:{w1}", token=key)
        snap = await ws.op("snapshot", topic=f"pad:{w1}")
        assert snap["data"]["window"]["id"] == w1 and snap["data"]["prompt"] is None

        for clerk, window in ((c1, w1), (c2, w2)):
            await api.post(f"/api/windows/{window}/open", user=clerk)
            await api.post(f"/api/halls/{pg_hall.id}/tickets", {"service": "A"})
            for op in ("call-next", "start", "finish"):
                await api.post(f"/api/windows/{window}/{op}", user=clerk)
        finished = await ws.until(lambda m: m.get("type") == "ticket.finished")
        assert finished["topic"] == f"pad:{w1}" and finished["data"]["window"] == w1
        await api.post(f"/api/windows/{w1}/rating-prompt", user=c1)
        prompt = await ws.until(lambda m: m.get("type") == "rating.prompt")
        assert prompt["data"]["ticket"] == finished["data"]["ticket"]
        got = [(m["type"], m["data"].get("window")) for m in ws.events(f"pad:{w1}")]
        assert got == [("window.opened", w1), ("ticket.finished", w1), ("rating.prompt", w1)]

    # Paired again: the old key's live subscription is cut off at once (4001), not left
    # running; the new key opens it.
    async with await RawWS.open(ws_url(server)) as ws:
        await ws.subscribe(f"pad:{w1}", token=key)
        key = (await api.post(f"/api/windows/{w1}/pad", user=sup))["key"]
        assert await ws.closed() == 4001
    async with await RawWS.open(ws_url(server)) as ws:
        await ws.subscribe(f"pad:{w1}", token=key)
        # Unpaired: cut off too, and the key no longer opens the topic.
        await api.call("DELETE", f"/api/windows/{w1}/pad", user=sup)
        assert await ws.closed() == 4001
    async with await RawWS.open(ws_url(server)) as ws:
        assert await refused(ws, f"pad:{w1}", token=key) == "pad_key_invalid"
