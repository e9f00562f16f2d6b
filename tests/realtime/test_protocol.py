"""The /ws wire protocol (docs/protocol.md): console commands, malformed messages,
resuming across epochs, heartbeats, graceful shutdown, and the embedded SQLite backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.realtime.commands import OPS
from server.realtime.protocol import CloseCode
from tests.conftest import HallFixture
from tests.realtime.conftest import running, seed_hall, server_env
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess

HEARTBEAT_S = 0.5
# docs/protocol.md, "Close codes": the ones after which a client reconnects and resumes.
RECONNECT_AND_RESUME = {1001, int(CloseCode.SERVICE_RESTART), int(CloseCode.TOO_SLOW)}


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = server_env(pg_url, ONEWINDOW_WS_HEARTBEAT_S=str(HEARTBEAT_S))
    with running(tmp_path_factory.mktemp("ws-protocol"), env) as srv:
        yield srv


# --- console commands ----------------------------------------------------------------


async def test_console_commands_reply_by_ref_and_publish_their_events(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    hall, w1 = pg_hall.id, pg_hall.window(1)  # window 1 serves A and B
    first = await api.post(f"/api/halls/{hall}/tickets", {"service": "A"})
    second = await api.post(f"/api/halls/{hall}/tickets", {"service": "A"})
    topic = f"window:{w1}"
    sup_token = await api.token(pg_hall.supervisor.username)
    clerk_token = await api.token(pg_hall.clerk(1).username)

    async with (
        await RawWS.open(ws_url(server), token=sup_token) as watcher,
        await RawWS.open(ws_url(server), token=clerk_token) as console,
    ):
        await watcher.subscribe(topic)
        base = (await watcher.op("snapshot", topic=topic))["position"]["seq"]

        # (op, ref, params, window state after, ticket id or None, ticket state, event type)
        steps: list[tuple[str, Any, dict[str, Any], str, str | None, str | None, str]] = [
            ("open", 1, {}, "open", None, None, "window.opened"),
            ("call_next", 2, {}, "serving", first["id"], "called", "ticket.called"),
            ("recall", "r-3", {}, "serving", first["id"], "called", "ticket.recalled"),
            ("no_show", 4, {}, "open", first["id"], "no_show", "ticket.no_show"),
            ("call_back", 5, {"ticket": first["id"]}, "serving", first["id"], "called",
             "ticket.called_back"),
            ("start", 6, {}, "serving", first["id"], "serving", "ticket.started"),
            ("finish", 7, {}, "open", first["id"], "done", "ticket.finished"),
            ("call_next", 8, {}, "serving", second["id"], "called", "ticket.called"),
            ("transfer", 9, {"service": "B", "reason": "转办"}, "open", second["id"], "waiting",
             "ticket.transferred"),
            ("pause", 10, {"reason": "午休"}, "paused", None, None, "window.paused"),
            ("resume", 11, {}, "open", None, None, "window.resumed"),
            ("close", "12", {}, "closed", None, None, "window.closed"),
        ]  # fmt: skip
        for n, (op, ref, params, w_state, ticket, t_state, event) in enumerate(steps, 1):
            reply = await console.command(op, w1, ref, **params)
            assert reply["ref"] == ref and type(reply["ref"]) is type(ref)
            assert reply["ok"] is True, reply
            assert reply["window"]["id"] == w1
            assert reply["window"]["state"] == w_state, (op, reply["window"])
            if ticket is None:
                assert reply["ticket"] is None, (op, reply)
            else:
                assert reply["ticket"]["id"] == ticket, (op, reply)
                assert reply["ticket"]["state"] == t_state, (op, reply["ticket"])
            seen = await watcher.op("event", topic=topic)
            assert seen["type"] == event, (op, seen)
            assert seen["seq"] == base + n
            assert seen["data"]["window"] == w1
            if ticket is not None:
                assert seen["data"]["ticket"] == ticket
                assert seen["data"]["state"] == t_state

        # Every command of docs/protocol.md was run, and the stream recorded each once.
        assert {s[0] for s in steps} == set(OPS)
        events = watcher.events(topic)
        assert [e["type"] for e in events] == [s[6] for s in steps]
        assert events[2]["data"]["recall_count"] == 1
        assert events[8]["data"]["service"] == "B"
        assert events[9]["data"]["pause_reason"] == "午休"
        # The console's own connection never subscribed: it got replies, not events.
        assert not console.events(topic)


async def test_a_refused_command_replies_with_its_ref_and_changes_nothing(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    hall, w1 = pg_hall.id, pg_hall.window(1)
    token = await api.token(pg_hall.clerk(1).username)
    async with await RawWS.open(ws_url(server), token=token) as console:
        assert (await console.command("open", w1, "a"))["ok"] is True
        before = await api.last_seq(hall)
        empty = await console.command("call_next", w1, "b")
        assert empty["ok"] is False and empty["ref"] == "b"
        assert empty["error"]["code"] == "queue_empty"
        wrong = await console.command("start", w1, "c")
        assert wrong["ok"] is False and wrong["error"]["code"]
        unknown = await console.command("call_next", "no-such-window", "d")
        assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_window"
        assert await api.last_seq(hall) == before


# --- malformed messages --------------------------------------------------------------


async def error_code(ws: RawWS, frame: str | dict[str, Any]) -> str:
    """Send a bad frame: expect an error message, and a connection still usable after it."""
    await ws.send(frame)
    err = await ws.op("error")
    await ws.send({"op": "ping"})
    await ws.op("pong")
    assert err["error"]["message"] and err["error"]["message_zh"]
    code: str = err["error"]["code"]
    return code


async def test_malformed_messages_get_an_error_and_the_connection_stays_usable(
    server: ServerProcess, pg_hall: HallFixture
) -> None:
    async with await RawWS.open(ws_url(server)) as ws:
        await ws.op("welcome")
        assert await error_code(ws, "{not json") == "bad_json"
        assert await error_code(ws, "") == "bad_json"
        assert await error_code(ws, {"op": "frobnicate"}) == "bad_message"
        assert await error_code(ws, {"topic": "hall:x"}) == "bad_message"  # no op
        assert await error_code(ws, "[1, 2]") == "bad_message"
        wrong_types: list[dict[str, Any]] = [
            {"op": "subscribe", "topic": 123},
            {"op": "subscribe", "topic": f"hall:{pg_hall.id}", "since": {"epoch": "e", "seq": "x"}},
            {"op": "subscribe", "topic": f"hall:{pg_hall.id}", "since": {"epoch": "e", "seq": -1}},
            {"op": "subscribe", "topic": f"hall:{pg_hall.id}", "extra": True},
            {"op": "call_next", "window": pg_hall.window(1), "ref": {"no": "dicts"}},
            {"op": "call_next", "window": 1, "ref": 1},
            {"op": "pause", "window": pg_hall.window(1), "ref": 1, "reason": ["x"]},
            {"op": "ping", "please": 1},
        ]
        for frame in wrong_types:
            assert await error_code(ws, frame) == "bad_message", frame
        # Still a working subscriber after all that.
        await ws.subscribe(f"hall:{pg_hall.id}")
        await ws.op("snapshot")


async def test_a_binary_frame_closes_4000(server: ServerProcess) -> None:
    ws = await RawWS.open(ws_url(server))
    await ws.op("welcome")
    await ws.ws.send(b'{"op":"ping"}')
    assert await ws.closed() == int(CloseCode.BAD_MESSAGE)


# --- resuming --------------------------------------------------------------------------


async def make_events(api: Api, hall: HallFixture, recalls: int) -> None:
    w1, c1 = hall.window(1), hall.clerk(1).username
    await api.post(f"/api/windows/{w1}/open", user=c1)
    await api.post(f"/api/halls/{hall.id}/tickets", {"service": "A"})
    await api.post(f"/api/windows/{w1}/call-next", user=c1)
    for _ in range(recalls):
        await api.post(f"/api/windows/{w1}/recall", user=c1)


async def test_a_position_from_another_epoch_gets_a_fresh_snapshot(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    await make_events(api, pg_hall, 2)
    topic = f"hall:{pg_hall.id}"
    epoch = (await api.get(f"/api/halls/{pg_hall.id}/events?limit=1"))["epoch"]
    last = await api.last_seq(pg_hall.id)
    assert last == 5
    async with await RawWS.open(ws_url(server)) as ws:
        ok = await ws.subscribe(topic, since={"epoch": "0123456789abcdef", "seq": 3})
        assert ok["recovered"] is False
        assert ok["position"] == {"epoch": epoch, "seq": last}
        snap = await ws.op("snapshot", topic=topic)
        assert snap["position"] == ok["position"]
        assert snap["data"]["hall"]["id"] == pg_hall.id
        # Live events follow on from the snapshot.
        await api.post(f"/api/windows/{pg_hall.window(1)}/recall", user=pg_hall.clerk(1).username)
        event = await ws.op("event", topic=topic)
        assert event["seq"] == last + 1
        assert [m["seq"] for m in ws.events(topic)] == [last + 1]


async def test_a_position_far_back_in_a_short_log_is_recovered_in_full(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    await make_events(api, pg_hall, 10)
    topic = f"hall:{pg_hall.id}"
    epoch = (await api.get(f"/api/halls/{pg_hall.id}/events?limit=1"))["epoch"]
    last = await api.last_seq(pg_hall.id)
    async with await RawWS.open(ws_url(server)) as ws:
        ok = await ws.subscribe(topic, since={"epoch": epoch, "seq": 0})
        assert ok["recovered"] is True
        assert ok["position"] == {"epoch": epoch, "seq": 0}
        await ws.until(lambda m: m.get("op") == "event" and m["seq"] == last)
        assert [m["seq"] for m in ws.events(topic)] == list(range(1, last + 1))
        assert [m["type"] for m in ws.events(topic)][:3] == [
            "window.opened", "ticket.issued", "ticket.called",
        ]  # fmt: skip
        assert not [m for m in ws.seen if m.get("op") == "snapshot"]
        # A position already current replays nothing and still joins the live stream.
    async with await RawWS.open(ws_url(server)) as ws:
        ok = await ws.subscribe(topic, since={"epoch": epoch, "seq": last})
        assert ok["recovered"] is True
        await api.post(f"/api/windows/{pg_hall.window(1)}/recall", user=pg_hall.clerk(1).username)
        assert (await ws.op("event", topic=topic))["seq"] == last + 1


async def test_a_position_ahead_of_the_stream_is_not_trusted(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    """A position the stream has not reached (same epoch) cannot be resumed from: it would
    skip real events as seen (a database restored from a backup keeps its epoch)."""
    await make_events(api, pg_hall, 0)
    topic = f"hall:{pg_hall.id}"
    epoch = (await api.get(f"/api/halls/{pg_hall.id}/events?limit=1"))["epoch"]
    last = await api.last_seq(pg_hall.id)
    async with await RawWS.open(ws_url(server)) as ws:
        ok = await ws.subscribe(topic, since={"epoch": epoch, "seq": last + 100})
        await api.post(f"/api/windows/{pg_hall.window(1)}/recall", user=pg_hall.clerk(1).username)
        if not ok["recovered"]:
            snap = await ws.op("snapshot", topic=topic)
            assert snap["position"] == {"epoch": epoch, "seq": last}
        # Recovered or not, the next event of the hall must reach it: no silent hole.
        event = await ws.op("event", topic=topic, timeout=5)
        assert event["seq"] == last + 1


# --- heartbeats ------------------------------------------------------------------------


async def test_heartbeats_carry_the_topic_positions(
    server: ServerProcess, api: Api, pg_hall: HallFixture
) -> None:
    topic = f"hall:{pg_hall.id}"
    async with await RawWS.open(ws_url(server)) as ws:
        welcome = await ws.op("welcome")
        assert welcome["heartbeat_s"] == HEARTBEAT_S
        ok = await ws.subscribe(topic)
        beat = await ws.until(lambda m: m.get("op") == "heartbeat" and topic in m["positions"])
        assert beat["positions"][topic] == ok["position"]
        await make_events(api, pg_hall, 1)
        last = await api.last_seq(pg_hall.id)
        moved = await ws.until(
            lambda m: m.get("op") == "heartbeat" and m["positions"][topic]["seq"] == last
        )
        assert moved["positions"][topic]["epoch"] == ok["position"]["epoch"]
        beats = [m for m in ws.seen if m.get("op") == "heartbeat"]
        assert len(beats) >= 2
        # Positions only move forward.
        seqs = [b["positions"][topic]["seq"] for b in beats if topic in b["positions"]]
        assert seqs == sorted(seqs)


async def test_a_heartbeat_before_any_subscription_has_no_positions(
    server: ServerProcess,
) -> None:
    async with await RawWS.open(ws_url(server)) as ws:
        beat = await ws.op("heartbeat", timeout=10)
        assert beat["positions"] == {}


# --- shutdown ----------------------------------------------------------------------------


async def test_graceful_shutdown_tells_clients_to_reconnect(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    srv = ServerProcess(env=server_env(pg_url), cwd=tmp_path, log_path=tmp_path / "server.log")
    with srv:
        topic = f"hall:{pg_hall.id}"
        ws = await RawWS.open(ws_url(srv))
        await ws.subscribe(topic)
        await ws.op("snapshot")
        exit_code = await asyncio.to_thread(srv.stop)
        code = await ws.closed(timeout=20)
    print(f"\nSIGTERM: the client saw close code {code}; the server exited with {exit_code}")
    assert code in RECONNECT_AND_RESUME, f"close code {code} does not say 'reconnect'"
    assert code == int(CloseCode.SERVICE_RESTART)  # what uvicorn and the hub both send
    assert exit_code == 0


# --- the embedded backend ----------------------------------------------------------------


async def test_subscribe_call_receive_on_the_sqlite_backend(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ow.db'}"
    hall = await seed_hall(url)
    topic = f"hall:{hall.id}"
    w1, c1 = hall.window(1), hall.clerk(1).username
    with running(tmp_path, server_env(url)) as srv:
        async with Api(srv.base_url) as api:
            token = await api.token(c1)
            async with (
                await RawWS.open(ws_url(srv)) as display,
                await RawWS.open(ws_url(srv), token=token) as console,
            ):
                ok = await display.subscribe(topic)
                start = ok["position"]
                snap = await display.op("snapshot", topic=topic)
                assert snap["data"]["hall"]["id"] == hall.id

                assert (await console.command("open", w1, 1))["ok"] is True
                issued = await api.post(f"/api/halls/{hall.id}/tickets", {"service": "A"})
                called = await console.command("call_next", w1, 2)
                assert called["ok"] is True
                assert called["ticket"]["id"] == issued["id"]
                await api.post(f"/api/windows/{w1}/recall", user=c1)  # HTTP and WS alike

                await display.until(
                    lambda m: m.get("op") == "event" and m["seq"] == start["seq"] + 4
                )
                events = display.events(topic)
                assert [e["seq"] for e in events] == [start["seq"] + i for i in (1, 2, 3, 4)]
                assert [e["type"] for e in events] == [
                    "window.opened", "ticket.issued", "ticket.called", "ticket.recalled",
                ]  # fmt: skip
                assert events[2]["data"]["number"] == issued["number"]
                assert events[2]["data"]["window"] == w1
                last = events[-1]["seq"]

            # Away for a while, then back: recovered, nothing missed.
            for _ in range(5):
                await api.post(f"/api/windows/{w1}/recall", user=c1)
            async with await RawWS.open(ws_url(srv)) as back:
                ok = await back.subscribe(topic, since={"epoch": start["epoch"], "seq": last})
                assert ok["recovered"] is True
                await back.until(lambda m: m.get("op") == "event" and m["seq"] == last + 5)
                assert [e["seq"] for e in back.events(topic)] == list(range(last + 1, last + 6))
