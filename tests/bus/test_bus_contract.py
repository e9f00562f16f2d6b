"""The bus contract, run on every backend, and what only the Redis bus must do.

Backends: ``memory`` (in-process), ``redis`` (one RedisBus publishing to its own
listeners) and ``redis-peer`` (published on one RedisBus, heard on another with
the same prefix: two processes). Delivery is awaited with short polling loops;
"nothing arrived" is shown by a later marker batch that did arrive.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.bus import redis as redis_bus
from server.bus.base import Bus
from server.bus.memory import MemoryBus
from server.bus.redis import RedisBus
from server.store.tx import StoredEvent
from tests.conftest import REDIS_URL
from tests.private_redis import PrivateRedis

SHANGHAI = timezone(timedelta(hours=8))
Got = list[tuple[str, list[StoredEvent]]]


def ev(hall: str, seq: int, *, type: str = "ticket.issued", epoch: str = "e1") -> StoredEvent:
    return StoredEvent(
        hall,
        epoch,
        seq,
        type,
        {"number": f"A{seq:03d}", "name": "张三", "n": [1, 2.5, None, True]},
        datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=SHANGHAI) + timedelta(seconds=seq),
    )


def recorder() -> tuple[Got, Callable[[str, Sequence[StoredEvent]], None]]:
    got: Got = []
    return got, lambda hall, events: got.append((hall, list(events)))


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def prefix() -> str:
    return f"owtest:{secrets.token_hex(4)}:"


async def started(*buses: RedisBus) -> None:
    for bus in buses:
        await bus.start()
    await until(lambda: all(b.healthy for b in buses))


@dataclass
class Pair:
    pub: Bus  # where batches are published
    sub: Bus  # where listeners listen


@pytest.fixture(params=["memory", "redis", "redis-peer"])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    buses: list[Bus]
    if request.param == "memory":
        buses = [MemoryBus()]
    elif request.param == "redis":
        buses = [RedisBus(REDIS_URL, prefix())]
    else:
        p = prefix()
        buses = [RedisBus(REDIS_URL, p), RedisBus(REDIS_URL, p)]
    for bus in buses:
        await bus.start()
    try:
        await until(lambda: all(getattr(b, "healthy", True) for b in buses))
        yield Pair(buses[0], buses[-1])
    finally:
        for bus in buses:
            await bus.stop()


class TestBusContract:
    async def test_listener_receives_events_in_order_with_identical_fields(
        self, pair: Pair
    ) -> None:
        got, listener = recorder()
        pair.sub.listen(listener)
        batch = [ev("h1", 1), ev("h1", 2, type="ticket.called"), ev("h1", 3)]
        await pair.pub.publish("h1", batch)
        await until(lambda: len(got) == 1)
        assert got == [("h1", batch)]
        events = got[0][1]
        for a, b in zip(events, batch, strict=True):
            assert (a.hall_id, a.epoch, a.seq, a.type, a.data) == (
                b.hall_id, b.epoch, b.seq, b.type, b.data
            )  # fmt: skip
            assert a.at == b.at and a.at.utcoffset() == b.at.utcoffset()

    async def test_utc_timestamps_come_back_aware(self, pair: Pair) -> None:
        got, listener = recorder()
        pair.sub.listen(listener)
        at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        await pair.pub.publish("h1", [StoredEvent("h1", "e", 1, "t", {}, at)])
        await until(lambda: len(got) == 1)
        assert got[0][1][0].at == at and got[0][1][0].at.tzinfo is not None

    async def test_several_listeners_each_receive(self, pair: Pair) -> None:
        recs = [recorder() for _ in range(3)]
        for _, listener in recs:
            pair.sub.listen(listener)
        await pair.pub.publish("h1", [ev("h1", 1)])
        await until(lambda: all(len(got) == 1 for got, _ in recs))
        assert all(got == [("h1", [ev("h1", 1)])] for got, _ in recs)

    async def test_unsubscribe_stops_delivery(self, pair: Pair) -> None:
        gone, gone_listener = recorder()
        kept, kept_listener = recorder()
        stop = pair.sub.listen(gone_listener)
        pair.sub.listen(kept_listener)
        await pair.pub.publish("h1", [ev("h1", 1)])
        await until(lambda: len(kept) == 1)
        stop()
        stop()  # twice is harmless
        await pair.pub.publish("h1", [ev("h1", 2)])
        await until(lambda: len(kept) == 2)
        assert gone == [("h1", [ev("h1", 1)])]

    async def test_a_raising_listener_does_not_stop_the_others(
        self, pair: Pair, caplog: pytest.LogCaptureFixture
    ) -> None:
        before, first = recorder()
        after, last = recorder()

        def broken(hall: str, events: Sequence[StoredEvent]) -> None:
            raise RuntimeError("listener bug")

        pair.sub.listen(first)
        pair.sub.listen(broken)
        pair.sub.listen(last)
        for seq in (1, 2):
            await pair.pub.publish("h1", [ev("h1", seq)])
        await until(lambda: len(after) == 2)
        assert before == after == [("h1", [ev("h1", 1)]), ("h1", [ev("h1", 2)])]
        assert "listener bug" in caplog.text

    async def test_publish_order_is_preserved_for_500_batches(self, pair: Pair) -> None:
        got, listener = recorder()
        pair.sub.listen(listener)
        for seq in range(1, 501):
            await pair.pub.publish("h1", [ev("h1", seq)])
        await until(lambda: len(got) == 500)
        assert [events[0].seq for _, events in got] == list(range(1, 501))

    async def test_events_of_two_halls_are_told_apart(self, pair: Pair) -> None:
        got, listener = recorder()
        pair.sub.listen(listener)
        await pair.pub.publish("h1", [ev("h1", 1)])
        await pair.pub.publish("h2", [ev("h2", 1, epoch="e2"), ev("h2", 2, epoch="e2")])
        await pair.pub.publish("h1", [ev("h1", 2)])
        await until(lambda: len(got) == 3)
        assert [(hall, [(e.hall_id, e.epoch, e.seq) for e in events]) for hall, events in got] == [
            ("h1", [("h1", "e1", 1)]),
            ("h2", [("h2", "e2", 1), ("h2", "e2", 2)]),
            ("h1", [("h1", "e1", 2)]),
        ]


@pytest.fixture
async def buses() -> AsyncIterator[Callable[..., RedisBus]]:
    made: list[RedisBus] = []

    def make(url: str = REDIS_URL, prefix: str = "", **kw: float) -> RedisBus:
        made.append(RedisBus(url, prefix, **kw))
        return made[-1]

    try:
        yield make
    finally:
        for bus in made:
            await bus.stop()


class TestRedisBus:
    async def test_two_processes_each_receive_a_batch_exactly_once(
        self, buses: Callable[..., RedisBus]
    ) -> None:
        p = prefix()
        a, b = buses(prefix=p), buses(prefix=p)
        await started(a, b)
        got_a, listen_a = recorder()
        got_b, listen_b = recorder()
        a.listen(listen_a)
        b.listen(listen_b)
        await a.publish("h1", [ev("h1", 1)])
        assert got_a == [("h1", [ev("h1", 1)])]  # local delivery does not wait on Redis
        await a.publish("h1", [ev("h1", 2)])
        await until(lambda: len(got_b) == 2)
        # A marker from B, heard by A after any echo of A's own batches would have been.
        await b.publish("h1", [ev("h1", 3)])
        await until(lambda: len(got_a) == 3)
        assert got_a == got_b == [("h1", [ev("h1", s)]) for s in (1, 2, 3)]

    async def test_another_prefix_does_not_receive(self, buses: Callable[..., RedisBus]) -> None:
        p, q = prefix(), prefix()
        a, b, c, d = buses(prefix=p), buses(prefix=p), buses(prefix=q), buses(prefix=q)
        await started(a, b, c, d)
        got_b, listen_b = recorder()
        got_c, listen_c = recorder()
        b.listen(listen_b)
        c.listen(listen_c)
        await a.publish("h1", [ev("h1", 1)])
        await until(lambda: len(got_b) == 1)
        await d.publish("h9", [ev("h9", 1)])  # after A's: C hears it only after A's, if at all
        await until(lambda: len(got_c) == 1)
        assert got_c == [("h9", [ev("h9", 1)])]

    async def test_publish_without_redis_returns_and_still_delivers_locally(
        self, buses: Callable[..., RedisBus], caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = buses("redis://127.0.0.1:1/0", prefix(), reconnect_max_s=0.2)
        t0 = time.monotonic()
        await bus.start()
        assert time.monotonic() - t0 < 3
        assert not bus.healthy
        got, listener = recorder()
        bus.listen(listener)
        for seq in range(1, 21):
            await bus.publish("h1", [ev("h1", seq)])
        assert [events[0].seq for _, events in got] == list(range(1, 21))
        warnings = [r for r in caplog.records if "publish to Redis failed" in r.getMessage()]
        assert len(warnings) == 1  # rate-limited

    async def test_publish_before_start_delivers_locally(self) -> None:
        bus = RedisBus(REDIS_URL, prefix())
        got, listener = recorder()
        bus.listen(listener)
        await bus.publish("h1", [ev("h1", 1)])
        assert got == [("h1", [ev("h1", 1)])]
        await bus.stop()

    async def test_redis_restart_resubscribes_and_resyncs(
        self, private_redis: PrivateRedis, buses: Callable[..., RedisBus]
    ) -> None:
        p = prefix()
        a = buses(private_redis.url, p, reconnect_min_s=0.05, reconnect_max_s=0.5)
        b = buses(private_redis.url, p, reconnect_min_s=0.05, reconnect_max_s=0.5)
        await started(a, b)
        resyncs: list[float] = []
        dropped: list[float] = []
        b.on_resync(lambda: resyncs.append(time.monotonic()))
        b.on_resync(lambda: dropped.append(time.monotonic()))()  # registered, then removed
        got_a, listen_a = recorder()
        got_b, listen_b = recorder()
        a.listen(listen_a)
        b.listen(listen_b)
        await a.publish("h1", [ev("h1", 1)])
        await until(lambda: len(got_b) == 1)
        assert resyncs == []  # not for the initial subscription

        await private_redis.kill()
        await until(lambda: not a.healthy and not b.healthy)
        await a.publish("h1", [ev("h1", 2)])  # lost for B, and that is fine: no exception
        assert [events[0].seq for _, events in got_a] == [1, 2]

        await private_redis.start()
        await until(lambda: a.healthy and b.healthy)
        assert len(resyncs) >= 1 and dropped == []
        await a.publish("h1", [ev("h1", 3)])
        await until(lambda: len(got_b) == 2)
        assert [events[0].seq for _, events in got_b] == [1, 3]

    async def test_a_hung_redis_is_given_up_on_and_rejoined(
        self,
        private_redis: PrivateRedis,
        buses: Callable[..., RedisBus],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(redis_bus, "_TIMEOUT_S", 0.3)
        monkeypatch.setattr(redis_bus, "_PING_AFTER_S", 0.2)
        monkeypatch.setattr(redis_bus, "_DEAD_AFTER_S", 0.6)
        p = prefix()
        a = buses(private_redis.url, p, reconnect_min_s=0.05, reconnect_max_s=0.3)
        b = buses(private_redis.url, p, reconnect_min_s=0.05, reconnect_max_s=0.3)
        await started(a, b)
        resyncs: list[float] = []
        b.on_resync(lambda: resyncs.append(time.monotonic()))
        got_b, listen_b = recorder()
        b.listen(listen_b)
        assert private_redis.proc is not None
        private_redis.proc.send_signal(signal.SIGSTOP)  # the TCP connections stay up, silent
        try:
            await until(lambda: not b.healthy)
            t0 = time.monotonic()
            await a.publish("h1", [ev("h1", 1)])
            assert time.monotonic() - t0 < 1.0  # one timeout, not one per retry
        finally:
            private_redis.proc.send_signal(signal.SIGCONT)
        await until(lambda: a.healthy and b.healthy)
        assert resyncs
        await a.publish("h1", [ev("h1", 2)])
        await until(lambda: any(events[0].seq == 2 for _, events in got_b))
