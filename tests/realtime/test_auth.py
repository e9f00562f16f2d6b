"""Who may read which topic and run which command over /ws (docs/protocol.md, "Topics").

One server for the module; every test seeds a hall of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("ws-auth"), server_env(pg_url)) as srv:
        yield srv


async def refused(ws: RawWS, topic: str, **extra: Any) -> str:
    """Subscribe and expect an error for that topic; its code. The connection stays open."""
    await ws.send({"op": "subscribe", "topic": topic, **extra})
    answer = await ws.until(
        lambda m: m.get("topic") == topic and m.get("op") in ("subscribed", "error")
    )
    assert answer["op"] == "error", f"{topic} was not refused: {answer}"
    assert answer["error"]["message"] and answer["error"]["message_zh"]
    await ws.send({"op": "ping"})
    await ws.op("pong")
    code: str = answer["error"]["code"]
    return code


async def test_window_topics_are_for_its_clerk_and_supervisors(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    w1, w2 = pg_hall.window(1), pg_hall.window(2)
    c1, c2, sup = pg_hall.clerk(1).username, pg_hall.clerk(2).username, pg_hall.supervisor.username
    await api.post(f"/api/windows/{w1}/open", user=c1)
    await api.post(f"/api/windows/{w2}/open", user=c2)
    url = ws_url(server)

    async with await RawWS.open(url) as display:
        assert await refused(display, f"window:{w1}") == "sign_in_required"
        await display.subscribe(f"hall:{pg_hall.id}")  # what a display may read

    async with await RawWS.open(url, token=await api.token(c2)) as other_clerk:
        welcome = await other_clerk.op("welcome")
        assert welcome["user"]["username"] == c2
        assert await refused(other_clerk, f"window:{w1}") == "topic_forbidden"
        await other_clerk.subscribe(f"window:{w2}")  # its own window is fine

    async with await RawWS.open(url, token=await api.token(c1)) as clerk:
        ok = await clerk.subscribe(f"window:{w1}")
        snap = await clerk.op("snapshot", topic=f"window:{w1}")
        assert ok["recovered"] is False
        assert snap["data"]["window"]["id"] == w1
        assert snap["data"]["window"]["state"] == "open"

    async with await RawWS.open(url, token=await api.token(sup)) as supervisor:
        for w in (w1, w2, pg_hall.window(3)):  # opened or not
            await supervisor.subscribe(f"window:{w}")


async def test_a_clerk_not_signed_in_at_a_window_may_not_follow_it(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    # Nobody has opened window 1: being a clerk of the hall is not enough.
    token = await api.token(pg_hall.clerk(1).username)
    async with await RawWS.open(ws_url(server), token=token) as clerk:
        assert await refused(clerk, f"window:{pg_hall.window(1)}") == "topic_forbidden"


async def test_ticket_topic_needs_the_ticket_token_and_follows_the_queue(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    hall = pg_hall.id
    issued = [await api.post(f"/api/halls/{hall}/tickets", {"service": "A"}) for _ in range(3)]
    mine = issued[-1]
    other = issued[0]
    assert mine["people_ahead"] == 2
    topic = f"ticket:{mine['id']}"

    async with await RawWS.open(ws_url(server)) as phone:
        assert await refused(phone, topic) == "ticket_token_invalid"
        assert await refused(phone, topic, token="not-the-token") == "ticket_token_invalid"
        # Another ticket's (valid) token does not open this one.
        assert await refused(phone, topic, token=other["token"]) == "ticket_token_invalid"

        ok = await phone.subscribe(topic, token=mine["token"])
        assert ok["recovered"] is False
        first = await phone.op("snapshot", topic=topic)
        assert first["position"] == ok["position"]
        assert first["data"]["id"] == mine["id"]
        assert first["data"]["number"] == mine["number"]
        assert first["data"]["state"] == "waiting"
        assert first["data"]["people_ahead"] == 2
        assert first["data"]["position"] == 3

        # Someone ahead is called: a fresh snapshot shows the queue moved.
        w1, c1 = pg_hall.window(1), pg_hall.clerk(1).username
        await api.post(f"/api/windows/{w1}/open", user=c1)
        called = await api.post(f"/api/windows/{w1}/call-next", user=c1)
        assert called["ticket"]["id"] == issued[0]["id"]
        moved = await phone.until(
            lambda m: (
                m.get("op") == "snapshot"
                and m.get("topic") == topic
                and m["data"]["people_ahead"] < 2
            ),
            timeout=20,
        )
        assert moved["data"]["people_ahead"] == 1
        assert moved["data"]["position"] == 2
        assert moved["data"]["state"] == "waiting"
        # Nothing else's events reach a ticket topic: only this ticket's own.
        assert all(m["data"]["ticket"] == mine["id"] for m in phone.events(topic))


async def test_a_clerk_cannot_command_another_clerks_window(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    hall, w1, w2 = pg_hall.id, pg_hall.window(1), pg_hall.window(2)
    c1, c2 = pg_hall.clerk(1).username, pg_hall.clerk(2).username
    await api.post(f"/api/windows/{w1}/open", user=c1)
    await api.post(f"/api/windows/{w2}/open", user=c2)
    await api.post(f"/api/halls/{hall}/tickets", {"service": "A"})  # w1 could call it
    before = await api.last_seq(hall)

    async with await RawWS.open(ws_url(server), token=await api.token(c2)) as clerk2:
        for op, ref in (("call_next", 1), ("pause", "two"), ("close", 3)):
            reply = await clerk2.command(op, w1, ref)
            assert reply["ok"] is False, reply
            assert reply["ref"] == ref
            assert reply["error"]["code"] == "not_your_window"
            assert "window" not in reply and "ticket" not in reply

    assert await api.last_seq(hall) == before, "a refused command changed something"
    view = await api.get(f"/api/halls/{hall}")
    w1_view = next(w for w in view["windows"] if w["id"] == w1)
    assert w1_view["state"] == "open"
    assert next(s for s in view["services"] if s["code"] == "A")["waiting"] == 1


async def test_commands_need_a_sign_in(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    hall, w1 = pg_hall.id, pg_hall.window(1)
    before = await api.last_seq(hall)
    async with await RawWS.open(ws_url(server)) as anonymous:
        welcome = await anonymous.op("welcome")
        assert welcome["user"] is None
        for op, ref in (("open", 1), ("call_next", 2)):
            reply = await anonymous.command(op, w1, ref)
            assert reply["ok"] is False
            assert reply["ref"] == ref
            assert reply["error"]["code"] == "sign_in_required"
    assert await api.last_seq(hall) == before


async def test_an_invalid_token_on_connect_closes_4001(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    good = await api.token(pg_hall.clerk(1).username)
    bad = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")  # a forged signature
    for token in ("bad", bad):
        ws = await RawWS.open(ws_url(server), token=token)
        assert await ws.closed() == 4001
        assert not [m for m in ws.seen if m.get("op") == "welcome"]


async def test_an_auth_message_with_a_bad_token_closes_4001(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    ws = await RawWS.open(ws_url(server))
    await ws.op("welcome")
    await ws.send({"op": "auth", "token": "bad"})
    assert await ws.closed() == 4001
    assert ws.ws.close_reason


async def test_an_auth_message_signs_in_an_open_connection(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    w1, c1 = pg_hall.window(1), pg_hall.clerk(1).username
    async with await RawWS.open(ws_url(server)) as ws:
        assert await refused(ws, f"window:{w1}") == "sign_in_required"
        await ws.send({"op": "auth", "token": await api.token(c1)})
        signed = await ws.op("authenticated")
        assert signed["user"]["username"] == c1
        assert signed["user"]["role"] == "clerk"
        reply = await ws.command("open", w1, 1)
        assert reply["ok"] is True, reply
        await ws.subscribe(f"window:{w1}")


async def test_unknown_and_closed_topics_are_refused(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    async with await RawWS.open(ws_url(server)) as ws:
        assert await refused(ws, "dept:x") == "sign_in_required"  # officers only
        assert await refused(ws, "hall:nope") == "unknown_hall"
        assert await refused(ws, "nonsense") == "bad_topic"
        assert await refused(ws, "hall:") == "bad_topic"
        # None of that cost the connection its usefulness.
        await ws.subscribe(f"hall:{pg_hall.id}")
        await ws.op("snapshot", topic=f"hall:{pg_hall.id}")
