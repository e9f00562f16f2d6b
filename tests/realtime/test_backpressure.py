"""Backpressure: a client that stops reading is cut off (4008), never stalls the others.

One raw connection with a tiny socket receive buffer subscribes to the hall and
stops reading, while 100 clients on the same topic read continuously and a few
thousand recalls go through the HTTP API. The slow one must be closed with 4008
(resume from your position) and must be able to resume without a hole; each fast
one must get every event, in order, each soon after the HTTP call that made it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import HallFixture
from tests.realtime.conftest import running, server_env, wait_for
from tests.realtime.ws_helpers import Api, RawWS

FAST_CLIENTS = 100
EVENTS = 3000  # recalls, spread over the hall's four windows
OUTBOX = 50
WINDOWS = 4
# The fast clients together must have this many events before the slow one reads
# again: far more than its outbox, the server's write buffer and both sockets hold.
SLOW_PAUSE_EVENTS = 800
P99_LIMIT_S = 1.0

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


async def open_slow(host: str, port: int, path: str) -> ClientConnection:
    """A connection whose socket can hold almost nothing, and whose library queue is tiny."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # the kernel's minimum
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    return await connect(
        f"ws://{host}:{port}{path}",
        sock=sock,
        max_queue=2,
        ping_interval=None,  # a client that stops reading does not answer anything either
        open_timeout=20,
        proxy=None,
    )


async def test_slow_client_is_cut_off_while_100_fast_clients_keep_up(
    tmp_path: Path, pg_url: str, pg_hall: HallFixture
) -> None:
    env = server_env(pg_url, ONEWINDOW_WS_OUTBOX=str(OUTBOX))
    with running(tmp_path, env) as srv:
        async with Api(srv.base_url) as api:
            await backpressure(srv.base_url, srv.port, api, pg_hall)


async def backpressure(base: str, port: int, api: Api, hall: HallFixture) -> None:
    url = base.replace("http://", "ws://") + "/ws"
    topic = f"hall:{hall.id}"

    # Four windows, each holding a called ticket it can recall as often as it likes.
    for n in range(1, WINDOWS + 1):
        await api.post(f"/api/windows/{hall.window(n)}/open", user=hall.clerk(n).username)
    for service in ("A", "A", "C", "C"):
        await api.post(f"/api/halls/{hall.id}/tickets", {"service": service})
    for n in range(1, WINDOWS + 1):
        await api.post(f"/api/windows/{hall.window(n)}/call-next", user=hall.clerk(n).username)

    fast = [Fast(i) for i in range(FAST_CLIENTS)]
    tasks = [asyncio.create_task(f.run(url, topic)) for f in fast]
    await asyncio.wait_for(asyncio.gather(*(f.ready.wait() for f in fast)), 60)

    # The slow client: subscribed, then it stops reading. Connected last, so that the
    # server's keep-alive ping (10 s + 10 s to answer) cannot end it before we look.
    slow = RawWS(await open_slow("127.0.0.1", port, "/ws"))
    subscribed = await slow.subscribe(topic)
    snapshot = await slow.op("snapshot", topic=topic)
    start = snapshot["position"]
    assert subscribed["recovered"] is False
    assert all(f.position == start for f in fast), "nothing happened since they joined"

    responded: dict[Key, float] = {}

    async def recalls(n: int, count: int) -> None:
        window, clerk = hall.window(n), hall.clerk(n).username
        for _ in range(count):
            out = await api.post(f"/api/windows/{window}/recall", user=clerk)
            responded[(window, out["ticket"]["recall_count"])] = time.monotonic()

    generated = time.monotonic()
    workers = [asyncio.create_task(recalls(n, EVENTS // WINDOWS)) for n in range(1, WINDOWS + 1)]
    # Read again only once the slow one has surely been cut off; events keep coming.
    await wait_for(
        lambda: min(len(f.seqs) for f in fast) >= SLOW_PAUSE_EVENTS,
        timeout=120,
        what=f"{SLOW_PAUSE_EVENTS} events at every fast client",
    )
    paused_s = time.monotonic() - generated
    code = await slow.closed(timeout=30)
    slow_seqs = [m["seq"] for m in slow.events(topic)]
    await asyncio.gather(*workers)
    generated_s = time.monotonic() - generated
    last = start["seq"] + EVENTS
    assert await api.last_seq(hall.id) == last

    # Every fast client: every event, in order, each once.
    expected = list(range(start["seq"] + 1, last + 1))
    await wait_for(
        lambda: all(len(f.seqs) >= EVENTS for f in fast), timeout=60, what="every event everywhere"
    )
    for f in fast:
        assert f.seqs == expected, f"fast client {f.n} got a hole, a repeat or disorder"
        assert f.close_code is None, f"fast client {f.n} was closed with {f.close_code}"

    # From each HTTP response to the last fast client having the event.
    latencies = sorted(max(f.arrived[key] for f in fast) - at for key, at in responded.items())
    assert len(latencies) == EVENTS
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\n{EVENTS} events in {generated_s:.1f} s ({EVENTS / generated_s:.0f}/s) to"
        f" {FAST_CLIENTS} fast clients; slow one read again after {paused_s:.1f} s"
        f" having {len(slow_seqs)} events, closed with {code};"
        f" latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms,"
        f" max {latencies[-1] * 1000:.0f} ms"
    )
    assert p99 < P99_LIMIT_S, f"p99 {p99:.3f} s: the slow client held the others back"

    # The slow one was told to resume, and what it did get was the stream's start, whole.
    assert code == 4008, f"closed with {code}, not 4008 (too slow)"
    assert slow.ws.close_reason and "slow" in slow.ws.close_reason
    assert slow_seqs == list(range(start["seq"] + 1, start["seq"] + 1 + len(slow_seqs)))
    assert len(slow_seqs) < SLOW_PAUSE_EVENTS, "it was cut off long before it read again"

    # It resumes from where it stands and gets exactly what it missed.
    stood = slow_seqs[-1] if slow_seqs else start["seq"]
    async with await RawWS.open(url, max_size=2**22) as again:
        resumed = await again.subscribe(topic, since={"epoch": start["epoch"], "seq": stood})
        assert resumed["recovered"] is True
        assert resumed["position"] == {"epoch": start["epoch"], "seq": stood}
        try:
            await again.until(lambda m: m.get("op") == "event" and m["seq"] == last, timeout=10)
        except AssertionError:
            ev = [m["seq"] for m in again.events(topic)]
            print(
                "DEBUG resumed",
                stood,
                last,
                len(ev),
                ev[:3],
                ev[-3:],
                [m for m in again.seen if m.get("op") != "event"],
            )
            raise
        assert [m["seq"] for m in again.events(topic)] == list(range(stood + 1, last + 1))
        assert not [m for m in again.seen if m.get("op") == "snapshot"]

    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
