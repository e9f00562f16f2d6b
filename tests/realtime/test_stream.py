"""Subscribe, call, receive; resume after a gap: everything, in order, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.realtime.client import OneWindowClient
from tests.conftest import HallFixture
from tests.realtime.conftest import (
    Http,
    Recorder,
    running,
    server_env,
    start_client,
    stop_client,
    wait_for,
)


async def test_subscribe_call_receive_and_resume_after_50(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    with running(tmp_path, server_env(pg_url)) as srv:
        http = Http(srv.base_url, pg_hall)
        hall, w1, clerk = pg_hall.id, pg_hall.window(1), pg_hall.clerk(1).username
        topic = f"hall:{hall}"
        client, rec, task = await start_client(http.ws_url(), [topic])
        await wait_for(lambda: rec.snapshots.get(topic) == 1, what="first snapshot")

        await http.post(f"/api/windows/{w1}/open", user=clerk)
        await http.post(f"/api/halls/{hall}/tickets", {"service": "A"})
        called = await http.post(f"/api/windows/{w1}/call-next", user=clerk)
        await wait_for(lambda: len(rec.events.get(topic, [])) == 3, what="three events")
        assert rec.types[topic] == ["window.opened", "ticket.issued", "ticket.called"]
        last_call = next(m for m in reversed(rec.messages) if m.get("type") == "ticket.called")
        assert last_call["data"]["number"] == called["ticket"]["number"]
        assert last_call["data"]["window"] == w1

        # Offline while 50 events happen.
        await stop_client(client, task)
        for _ in range(50):
            await http.post(f"/api/windows/{w1}/recall", user=clerk)
        rec2 = Recorder()
        again = OneWindowClient(http.ws_url(), on_message=rec2)
        again.follow(topic)
        again.positions = dict(client.positions)  # where the first one left off
        task2 = asyncio.create_task(again.run())
        await wait_for(lambda: len(rec2.events.get(topic, [])) == 50, what="50 replayed events")
        subscribed = next(m for m in rec2.messages if m.get("op") == "subscribed")
        assert subscribed["recovered"] is True
        assert rec2.snapshots.get(topic) is None
        assert rec2.events[topic] == list(range(4, 54))
        assert set(rec2.types[topic]) == {"ticket.recalled"}
        await stop_client(again, task2)
