"""The Redis bus: several server processes, one Redis pub/sub channel.

It is a wake-up, never the record. Pub/sub drops whatever is published while a
subscriber is disconnected, and ``publish`` gives up quietly when Redis is
down: the store's event log is the record, and a listener that sees a gap in
``seq`` (or is told to resync) reads what it missed from there.

Each process holds ONE subscription, to ``{prefix}events`` for every hall, and
fans the batches out to its local listeners; it skips its own messages, which
``publish`` has already handed to them without waiting on Redis. After every
(re)subscription that follows ``start()`` the ``on_resync`` callbacks run,
since messages may have been lost meanwhile; the initial subscription, which
``start()`` waits for, does not trigger them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ..store.tx import StoredEvent
from .base import Listener

log = logging.getLogger(__name__)

_TIMEOUT_S = 2.0  # connect and command timeout: publish never hangs a commit for long
_PING_AFTER_S = 5.0  # a silent subscription is pinged ...
_DEAD_AFTER_S = 15.0  # ... and given up on (half-open TCP) when even that goes unanswered
_WARN_EVERY_S = 5.0
PUBLISH_BACKOFF_S = 1.0  # after a failed publish, skip Redis this long (the polls cover it)


class RedisBus:
    def __init__(
        self, url: str, prefix: str, *, reconnect_min_s: float = 0.1, reconnect_max_s: float = 5.0
    ) -> None:
        self._url = url
        self._channel = f"{prefix}events"
        self._min_s = reconnect_min_s
        self._max_s = reconnect_max_s
        self._origin = secrets.token_hex(8)
        self._listeners: list[Listener] = []
        self._resync: list[Callable[[], None]] = []
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._first_try = asyncio.Event()
        self._started = False
        self._healthy = False
        self._warned: dict[str, float] = {}
        self._quiet_until = 0.0

    @property
    def healthy(self) -> bool:
        """Subscribed right now: messages from other processes are reaching this one."""
        return self._healthy

    async def start(self) -> None:
        # One immediate retry, on a broken connection only: a pooled one may be stale
        # after a Redis restart. Not on timeouts: a hung Redis must not stall publish
        # twice. Outages are the subscriber loop's business, with its own back-off.
        self._client = aioredis.from_url(
            self._url,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            socket_timeout=_TIMEOUT_S,
            socket_connect_timeout=_TIMEOUT_S,
        )
        self._first_try = asyncio.Event()
        self._task = asyncio.create_task(self._subscriber(), name=f"redis-bus {self._channel}")
        # Wait for the first attempt, not for success: the server runs without Redis.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2 * _TIMEOUT_S + 1):
                await self._first_try.wait()
        self._started = True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._listeners.clear()
        self._resync.clear()
        self._healthy = self._started = False

    async def publish(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        self._deliver(hall_id, events)
        if self._client is None or (not self._healthy and time.monotonic() < self._quiet_until):
            # Redis failed a moment ago and is not back: do not make every commit wait
            # out a timeout; the other processes' store polls carry the events meanwhile.
            return
        payload = json.dumps(
            {
                "origin": self._origin,
                "hall": hall_id,
                "events": [
                    {"epoch": e.epoch, "seq": e.seq, "type": e.type, "data": e.data,
                     "at": e.at.isoformat()}
                    for e in events
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )  # fmt: skip
        try:
            await self._client.publish(self._channel, payload)
        except (RedisError, OSError) as exc:
            self._quiet_until = time.monotonic() + PUBLISH_BACKOFF_S
            self._warn("publish", "bus: publish to Redis failed, peers catch up later: %r", exc)

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: _discard(self._listeners, listener)

    def on_resync(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each resubscription (messages may have been lost)."""
        self._resync.append(callback)
        return lambda: _discard(self._resync, callback)

    async def _subscriber(self) -> None:
        assert self._client is not None
        failures = 0
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                await self._read(pubsub)
            except (RedisError, OSError) as exc:
                failures = 1 if self._healthy else failures + 1
                self._warn("subscribe", "bus: Redis subscription lost, reconnecting: %r", exc)
            finally:
                self._healthy = False
                self._first_try.set()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            delay = min(self._max_s, self._min_s * 2 ** min(failures - 1, 30))
            await asyncio.sleep(random.uniform(delay / 2, delay))  # noqa: S311 - jitter

    async def _read(self, pubsub: PubSub) -> None:
        """Handle messages until the connection fails (raises) or the task is cancelled."""
        last_seen = pinged = time.monotonic()
        while True:
            msg: dict[str, Any] | None = await pubsub.get_message(timeout=_PING_AFTER_S / 5)
            now = time.monotonic()
            if msg is None:
                if now - last_seen > _DEAD_AFTER_S:
                    raise TimeoutError(f"no reply from Redis for {_DEAD_AFTER_S:.0f} s")
                if now - last_seen > _PING_AFTER_S and now - pinged > _PING_AFTER_S:
                    pinged = now
                    await pubsub.ping()
                continue
            last_seen = now
            if msg["type"] == "subscribe":
                # Also seen when redis-py reconnects and resubscribes on its own.
                self._healthy = True
                self._first_try.set()
                if self._started:
                    log.info("bus: Redis subscription (re)established, resyncing")
                    for callback in list(self._resync):
                        _call(callback)
            elif msg["type"] == "message":
                self._receive(msg["data"])

    def _receive(self, raw: bytes) -> None:
        try:
            msg = json.loads(raw)
            if msg["origin"] == self._origin:
                return  # already delivered locally by publish()
            hall = str(msg["hall"])
            events = [
                StoredEvent(hall, e["epoch"], int(e["seq"]), e["type"], e["data"], _at(e["at"]))
                for e in msg["events"]
            ]
        except (ValueError, TypeError, KeyError) as exc:
            self._warn("decode", "bus: undecodable message on %s: %r", self._channel, exc)
            return
        self._deliver(hall, events)

    def _deliver(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        for listener in list(self._listeners):
            _call(listener, hall_id, events)

    def _warn(self, key: str, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._warned.get(key, -_WARN_EVERY_S) >= _WARN_EVERY_S:
            self._warned[key] = now
            log.warning(msg, *args)


def _at(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _call(fn: Callable[..., None], *args: object) -> None:
    try:
        fn(*args)
    except Exception:
        # One broken listener must not keep the events from the others.
        log.exception("bus callback failed")


def _discard(items: list[Any], item: object) -> None:
    if item in items:
        items.remove(item)
