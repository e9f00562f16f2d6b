"""Backpressure: a client that stops reading is cut off (4008), never stalls the others.

One raw connection with a tiny socket receive buffer subscribes to the hall and
stops reading, while 100 clients on the same topic read continuously and a few
thousand recalls go through the HTTP API. The slow one must be closed with 4008
(resume from your position); each fast one must get every event, in order, each
soon after the HTTP call that made it.

How much a client that does not read can be sent before the server notices is
mostly the server's kernel send buffer, which Linux grows to ``tcp_wmem`` max
(4 MB) from the MSS the client announced: a loopback peer announces 64 KB and
would swallow ~13 000 events. The slow client here announces a small MSS (as a
client on a poor link would), which keeps that buffer near 200 KB, so the
server's own outbox fills after a few hundred events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env, wait_for
from tests.realtime.ws_helpers import Api, RawWS

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

FAST_CLIENTS = 100
EVENTS = 3000  # recalls, spread over the hall's four windows
OUTBOX = 50
WINDOWS = 4
P99_LIMIT_S = 1.0
CUT_OFF = "onewindow_ws_server_closes_total"
CONNECTIONS = "onewindow_ws_connections"

Key = tuple[str, int]  # (window, recall_count): what one recall's event and response share


@dataclass
class Fast:
    """A client that reads all the time; notes when each event arrived."""

    n: int
    seqs: list[int] = field(default_factory=list)
    arrived: dict[Key, float] = field(default_factory=dict)
    position: dict[str, Any] | None = None
    close_code: int | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, url: str, topic: str) -> None:
        async with connect(url, proxy=None, open_timeout=60, max_size=2**22) as ws:
            await ws.send(json.dumps({"op": "subscribe", "topic": topic}))
            try:
                async for raw in ws:
                    now = time.monotonic()
                    msg = json.loads(raw)
                    op = msg["op"]
                    if op == "event":
                        self.seqs.append(msg["seq"])
                        data = msg["data"]
                        if msg["type"] == "ticket.recalled":
                            self.arrived[(data["window"], data["recall_count"])] = now
                    elif op == "snapshot":
                        self.position = msg["position"]
                        self.ready.set()
            except ConnectionClosed:
                pass
            self.close_code = ws.close_code


async def open_slow(host: str, port: int, path: str = "/ws") -> ClientConnection:
    """A connection whose socket holds almost nothing and whose library queue is tiny."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # the kernel's minimum
    # A small MSS in the SYN keeps the server's send buffer autotuning small (see above).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        return await connect(
            f"ws://{host}:{port}{path}",
            sock=sock,
            max_queue=2,
            ping_interval=None,  # a client that stops reading answers nothing either
            open_timeout=20,
            proxy=None,
        )
    except BaseException:
        sock.close()
        raise


async def called_at_every_window(api: Api, hall: HallFixture) -> None:
    """Four open windows, each holding a called ticket it can recall as often as it likes."""
    for n in range(1, WINDOWS + 1):
        await api.post(f"/api/windows/{hall.window(n)}/open", user=hall.clerk(n).username)
    for service in ("A", "A", "C", "C"):
        await api.post(f"/api/halls/{hall.id}/tickets", {"service": service})
    for n in range(1, WINDOWS + 1):
        await api.post(f"/api/windows/{hall.window(n)}/call-next", user=hall.clerk(n).username)


async def resume(
    url: str, topic: str, since: dict[str, Any], last: int
) -> tuple[dict[str, Any], list[int], RawWS]:
    """Resubscribe from ``since``: the answer, the seqs that follow it, the connection's log.

    Waits (5 s at most) for the event ``last``; what is missing then stays missing.
    """
    async with await RawWS.open(url, max_size=2**22) as ws:
        await ws.send({"op": "subscribe", "topic": topic, "since": since})
        answer = await ws.until(lambda m: m.get("topic") == topic and m.get("op") != "event")
        with contextlib.suppress(AssertionError):
            await ws.until(
                lambda m: (
                    (m.get("op") == "event" and m["seq"] >= last)
                    or (m.get("op") == "snapshot" and m["position"]["seq"] >= last)
                ),
                timeout=5,
            )
    return answer, [m["seq"] for m in ws.events(topic)], ws


def no_silent_hole(
    answer: dict[str, Any], seqs: list[int], log: RawWS, since: int, last: int
) -> None:
    """Recovered and replayed in full, or told not (with a snapshot): never a hole."""
    assert answer["op"] == "subscribed", answer
    if answer["recovered"]:
        assert seqs == list(range(since + 1, last + 1)), (
            f"recovered: true, then {len(seqs)} of the {last - since} missed events"
            f" ({seqs[:1]}..{seqs[-1:]} of {since + 1}..{last})"
        )
    else:
        snap = next(m for m in log.seen if m.get("op") == "snapshot")
        at = snap["position"]["seq"]
        assert seqs == list(range(at + 1, last + 1))


async def test_slow_client_is_cut_off_while_100_fast_clients_keep_up(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    env = server_env(pg_url, ONEWINDOW_WS_OUTBOX=str(OUTBOX))
    with running(tmp_path, env) as srv:
        async with Api(srv.base_url) as api:
            await called_at_every_window(api, pg_hall)
            await backpressure(srv.base_url, srv.port, api, pg_hall)


async def backpressure(base: str, port: int, api: Api, hall: HallFixture) -> None:
    url = base.replace("http://", "ws://") + "/ws"
    topic = f"hall:{hall.id}"

    fast = [Fast(i) for i in range(FAST_CLIENTS)]
    tasks = [asyncio.create_task(f.run(url, topic)) for f in fast]
    try:
        await asyncio.wait_for(asyncio.gather(*(f.ready.wait() for f in fast)), 60)

        # The slow client: subscribed, then it stops reading. Connected last, so that the
        # server's keep-alive ping (sent 10 s in, 10 s to answer) is not what ends it.
        slow = RawWS(await open_slow("127.0.0.1", port))
        subscribed = await slow.subscribe(topic)
        snapshot = await slow.op("snapshot", topic=topic)
        start = snapshot["position"]
        assert subscribed["recovered"] is False
        assert all(f.position == start for f in fast), "nothing happened since they joined"
        assert await api.metric(CONNECTIONS) == FAST_CLIENTS + 1

        responded: dict[Key, float] = {}

        async def recalls(n: int, count: int) -> None:
            window, clerk = hall.window(n), hall.clerk(n).username
            for _ in range(count):
                out = await api.post(f"/api/windows/{window}/recall", user=clerk)
                responded[(window, out["ticket"]["recall_count"])] = time.monotonic()

        began = time.monotonic()
        workers = [
            asyncio.create_task(recalls(n, EVENTS // WINDOWS)) for n in range(1, WINDOWS + 1)
        ]
        # The server says when it gave up on the slow one; only then does it read again,
        # while the recalls go on.
        cut = 0.0
        while not cut:
            await asyncio.sleep(0.2)
            cut = await api.metric(CUT_OFF, code="4008")
            for w in workers:
                if w.done():
                    w.result()  # a failed recall fails the test here
            assert not all(w.done() for w in workers), "every event sent; the slow one never cut"
        cut_s, cut_at = time.monotonic() - began, min(len(f.seqs) for f in fast)
        code = await slow.closed(timeout=30)
        slow_seqs = [m["seq"] for m in slow.events(topic)]

        # It was told to resume (4008), and what it did get was the stream's start, whole.
        assert code == 4008, f"closed with {code}, not 4008 (too slow): {slow.seen[-3:]}"
        assert slow.ws.close_reason and "slow" in slow.ws.close_reason
        assert slow_seqs == list(range(start["seq"] + 1, start["seq"] + 1 + len(slow_seqs)))
        assert len(slow_seqs) < EVENTS
        # And the server no longer counts it.
        await wait_for_metric(api, CONNECTIONS, FAST_CLIENTS)

        await asyncio.gather(*workers)
        generated_s = time.monotonic() - began
        last = start["seq"] + EVENTS
        assert await api.last_seq(hall.id) == last

        # Every fast client: every event, in order, each once, and still connected.
        expected = list(range(start["seq"] + 1, last + 1))
        await wait_for(
            lambda: all(len(f.seqs) >= EVENTS for f in fast), 60, "every event everywhere"
        )
        for f in fast:
            assert f.seqs == expected, f"fast client {f.n} got a hole, a repeat or disorder"
            assert f.close_code is None, f"fast client {f.n} was closed with {f.close_code}"
        assert await api.metric(CUT_OFF, code="4008") == 1, "only the slow one was cut off"

        # From each HTTP response to the last of the 100 having the event.
        latencies = sorted(max(f.arrived[k] for f in fast) - at for k, at in responded.items())
        assert len(latencies) == EVENTS
        p50 = statistics.median(latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]

        # A reconnect from where it stands works, with no silent hole. (That it is a
        # replay, as documented: test_a_cut_off_client_resumes_with_every_missed_event.)
        stood = slow_seqs[-1] if slow_seqs else start["seq"]
        since = {"epoch": start["epoch"], "seq": stood}
        answer, seqs, log = await resume(url, topic, since, last)
        no_silent_hole(answer, seqs, log, stood, last)

        print(
            f"\n{EVENTS} events in {generated_s:.1f} s ({EVENTS / generated_s:.0f}/s) to"
            f" {FAST_CLIENTS} fast clients; the slow one cut off after {cut_s:.1f} s"
            f" (fast ones at {cut_at} events) having {len(slow_seqs)} events, closed {code};"
            f" latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms,"
            f" max {latencies[-1] * 1000:.0f} ms; resumed with recovered={answer['recovered']}"
        )
        assert p99 < P99_LIMIT_S, f"p99 {p99:.3f} s: the slow client held the others back"
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_metric(api: Api, name: str, value: float, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (seen := await api.metric(name)) != value:
        if loop.time() > deadline:
            raise AssertionError(f"{name} is {seen}, not {value}, after {timeout} s")
        await asyncio.sleep(0.2)


async def test_resume_longer_than_the_outbox_leaves_no_hole(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    missed = 4 * OUTBOX
    with running(tmp_path, server_env(pg_url, ONEWINDOW_WS_OUTBOX=str(OUTBOX))) as srv:
        url = srv.base_url.replace("http://", "ws://") + "/ws"
        topic = f"hall:{pg_hall.id}"
        window, clerk = pg_hall.window(1), pg_hall.clerk(1).username
        async with Api(srv.base_url) as api:
            await api.post(f"/api/windows/{window}/open", user=clerk)
            await api.post(f"/api/halls/{pg_hall.id}/tickets", {"service": "A"})
            await api.post(f"/api/windows/{window}/call-next", user=clerk)
            async with await RawWS.open(url) as first:
                await first.subscribe(topic)
                since = (await first.op("snapshot"))["position"]
            for _ in range(missed):  # while it is away
                await api.post(f"/api/windows/{window}/recall", user=clerk)
            last = since["seq"] + missed
        answer, seqs, log = await resume(url, topic, since, last)
        no_silent_hole(answer, seqs, log, since["seq"], last)


async def test_a_cut_off_client_resumes_with_every_missed_event(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    """docs/protocol.md: "being cut off costs it a reconnect": its missed events are replayed."""
    with running(tmp_path, server_env(pg_url, ONEWINDOW_WS_OUTBOX=str(OUTBOX))) as srv:
        url = srv.base_url.replace("http://", "ws://") + "/ws"
        topic = f"hall:{pg_hall.id}"
        window, clerk = pg_hall.window(1), pg_hall.clerk(1).username
        async with Api(srv.base_url) as api:
            await called_at_every_window(api, pg_hall)
            slow = RawWS(await open_slow("127.0.0.1", srv.port))
            await slow.subscribe(topic)
            start = (await slow.op("snapshot"))["position"]
            await cut_off(api, window, clerk)
            assert await slow.closed() == 4008
            got = [m["seq"] for m in slow.events(topic)]
            stood = got[-1] if got else start["seq"]
            for _ in range(20):  # and the hall goes on while it reconnects
                await api.post(f"/api/windows/{window}/recall", user=clerk)
            last = await api.last_seq(pg_hall.id)
        answer, seqs, _ = await resume(url, topic, {"epoch": start["epoch"], "seq": stood}, last)
        assert answer["op"] == "subscribed", answer
        assert answer["recovered"] is True, "a cut-off client should be replayed to, not reset"
        assert seqs == list(range(stood + 1, last + 1)), (
            f"{len(seqs)} of the {last - stood} missed events"
        )


async def cut_off(api: Api, window: str, clerk: str, within_s: float = 60.0) -> None:
    """Recall at ``window`` until the server says it cut a client off for being slow.

    The bound only stops a broken server from looping for ever; it is no speed goal."""
    began = time.monotonic()
    while not await api.metric(CUT_OFF, code="4008"):
        for _ in range(50):
            await api.post(f"/api/windows/{window}/recall", user=clerk)
        assert time.monotonic() - began < within_s, f"nobody cut off within {within_s} s"


def tcp_state(sock: socket.socket) -> int:
    """The kernel's state of a TCP socket (tcpi_state: 1 is ESTABLISHED)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


@pytest.mark.slow
async def test_a_cut_off_client_that_never_reads_again_is_let_go(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    # The server pings every 10 s and waits 10 s for the pong (docs/protocol.md: dead
    # peers are found "within 20 s"); give it that and 10 s more.
    let_go_within_s = 30.0
    with running(tmp_path, server_env(pg_url, ONEWINDOW_WS_OUTBOX=str(OUTBOX))) as srv:
        async with Api(srv.base_url) as api:
            await called_at_every_window(api, pg_hall)
            slow = RawWS(await open_slow("127.0.0.1", srv.port))
            connected = time.monotonic()
            sock = slow.ws.transport.get_extra_info("socket")
            try:
                await slow.subscribe(f"hall:{pg_hall.id}")
                await cut_off(api, pg_hall.window(1), pg_hall.clerk(1).username)
                # It never reads again. The server stops counting it...
                left = let_go_within_s - (time.monotonic() - connected)
                await wait_for_metric(api, CONNECTIONS, 0, timeout=left)
                # ...and drops the connection itself (a FIN or a reset reaches the client).
                left = let_go_within_s - (time.monotonic() - connected)
                await wait_for(
                    lambda: tcp_state(sock) != 1, max(left, 0.1), "the connection dropped"
                )
            finally:
                slow.ws.transport.abort()  # lets the server stop promptly either way
