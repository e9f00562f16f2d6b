"""The hub: routes each hall's events to the local subscribers of their topics.

Fan-out encodes an event once per topic and hands the same string to every
subscriber's bounded queue; a subscriber whose queue is full is cut off with
4008 (resume from your position) and never slows the others. Subscribing runs
under the hall's lock, so a replay or snapshot and the live stream join with
nothing missed and nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from ..bus.base import Bus
from ..loops import stop_if_cancelled
from ..metrics import Metrics
from ..store.store import Store
from ..store.tx import StoredEvent
from .feed import HallFeed, advance
from .frames import Outgoing
from .limits import AddressSlots
from .positions import PositionRefresher
from .protocol import CloseCode, Position, Topic, dumps, pad_topic, revoked_pad
from .snapshot import Snapshots

log = logging.getLogger(__name__)


class Peer(Protocol):
    id: int

    def offer(self, message: str | Outgoing, replay: bool = False) -> bool: ...
    def kick(self, code: CloseCode, reason: str) -> None: ...


def event_message(topic: str, e: StoredEvent) -> str:
    return dumps(
        {
            "op": "event",
            "topic": topic,
            "seq": e.seq,
            "type": e.type,
            "data": e.data,
            "at": e.at.isoformat(),
        }
    )


def topics_of(hall_id: str, e: StoredEvent) -> list[str]:
    if hall_id.startswith("dept:"):
        return [hall_id]  # a department's stream is its one topic
    out = [f"hall:{hall_id}"]
    for key in ("window", "target_window"):
        if isinstance(e.data.get(key), str):
            out.append(f"window:{e.data[key]}")
    if isinstance(e.data.get("ticket"), str):
        out.append(f"ticket:{e.data['ticket']}")
    if (pad := pad_topic(e.type, e.data)) is not None:
        out.append(pad)
    return out


class Hub:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        snapshots: Snapshots,
        *,
        ring_size: int = 5000,
        max_replay: int = 5000,
        poll_s: float = 1.0,
        heartbeat_s: float = 15.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()
        self.store = store
        self.bus = bus
        self.snapshots = snapshots
        self.ring_size = ring_size
        self.max_replay = max_replay
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.peers: dict[int, Peer] = {}
        # Open connections per client address (ws_max_per_client), kept beside the peers.
        self.addresses = AddressSlots()
        self.feeds: dict[str, HallFeed] = {}
        self._feeders: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stops: list[Any] = []
        self.positions_refresher = PositionRefresher(store, snapshots, self._offer_to)

    async def start(self) -> None:
        self._stops.append(self.bus.listen(self._on_bus))
        resync = getattr(self.bus, "on_resync", None)
        if resync is not None:
            self._stops.append(resync(self._poke_all))
        self._tasks.append(asyncio.create_task(self._poll(), name="hub-poll"))
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="hub-heartbeat"))

    async def stop(self) -> None:
        for stop in self._stops:
            stop()
        for peer in list(self.peers.values()):
            peer.kick(CloseCode.SERVICE_RESTART, "server restarting; reconnect and resume")
        tasks = [*self._tasks, *self._feeders.values(), *self.positions_refresher.tasks.values()]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    # --- peers and subscriptions -----------------------------------------------------

    def attach(self, peer: Peer) -> None:
        self.peers[peer.id] = peer
        self.metrics.ws_connections.set(len(self.peers))

    def detach(self, peer: Peer) -> None:
        self.peers.pop(peer.id, None)
        self.metrics.ws_connections.set(len(self.peers))
        for feed in self.feeds.values():
            for topic in [
                t
                for t, subs in feed.subs.items()
                if subs.pop(peer.id, None) is not None and not subs
            ]:
                del feed.subs[topic]  # a phone's ticket topic must not outlive its followers

    async def subscribe(
        self, peer: Peer, hall_id: str, topic: Topic, since: Position | None
    ) -> None:
        feed = await self._feed(hall_id)
        key = str(topic)
        if since is not None and since.seq > feed.delivered:
            # Ahead of this process: trusted only as far as the stream itself goes. A
            # position from beyond its end (a database restored from a backup keeps its
            # epoch) would otherwise skip real events as already seen.
            position = await self.store.stream_position(hall_id)
            if position is None or since.epoch != position[0] or since.seq > position[1]:
                since = None
        snap: tuple[dict[str, Any], str, int] | None = None
        if since is None or not self._recoverable(feed, since):
            # Read outside the lock: a crowd of snapshots must not hold up live delivery.
            snap = await self.snapshots.build(hall_id, topic)
        async with feed.lock:
            # What a subscriber is owed on joining goes past the live outbox bound
            # (a client cut off for being slow has by definition missed more than its
            # outbox holds), within a catch-up bound of its own.
            owed: list[str | Outgoing] = []
            if since is not None and self._recoverable(feed, since):
                start = since.seq
                # The position the client stands at: the replayed events follow from it.
                owed.append(self._subscribed(key, True, feed.epoch, start))
            else:
                if snap is None or snap[1] != feed.epoch or not feed.replayable_from(snap[2]):
                    snap = await self.snapshots.build(hall_id, topic)  # rare: build it in place
                data, epoch, start = snap
                owed.append(self._subscribed(key, False, epoch, start))
                owed.append(dumps({"op": "snapshot", "topic": key, "data": data,
                                   "position": {"epoch": epoch, "seq": start}}))  # fmt: skip
            # Replayed events, or whatever this process delivered after the snapshot.
            owed += [
                self._encoded(feed, key, e)
                for e in await self._replay(feed, start)
                if key in topics_of(hall_id, e)
            ]
            if not all(peer.offer(text, replay=True) for text in owed):
                peer.kick(CloseCode.TOO_SLOW, "too far behind; reconnect and resume")
                return
            feed.subs.setdefault(key, {})[peer.id] = max(start, feed.delivered)

    def unsubscribe(self, peer: Peer, hall_id: str, topic: Topic) -> bool:
        feed = self.feeds.get(hall_id)
        subs = feed.subs.get(str(topic)) if feed else None
        if subs is None or subs.pop(peer.id, None) is None:
            return False
        if not subs and feed is not None:
            del feed.subs[str(topic)]
        return True

    def positions(self, peer: Peer) -> dict[str, dict[str, Any]]:
        return {
            topic: {"epoch": feed.epoch, "seq": subs[peer.id]}
            for feed in self.feeds.values()
            for topic, subs in feed.subs.items()
            if peer.id in subs
        }

    @staticmethod
    def _subscribed(topic: str, recovered: bool, epoch: str, seq: int) -> str:
        return dumps({"op": "subscribed", "topic": topic, "recovered": recovered,
                      "position": {"epoch": epoch, "seq": seq}})  # fmt: skip

    def _recoverable(self, feed: HallFeed, since: Position) -> bool:
        return since.epoch == feed.epoch and feed.delivered - since.seq <= self.max_replay

    async def _replay(self, feed: HallFeed, after: int) -> list[StoredEvent]:
        if after >= feed.delivered:
            return []
        if feed.replayable_from(after):
            return [e for e in feed.ring if e.seq > after]
        out: list[StoredEvent] = []
        while after < feed.delivered:
            page = await self.store.read_events(feed.hall_id, after, 1000)
            page = [e for e in page if e.seq <= feed.delivered]
            if not page:
                break
            out += page
            after = page[-1].seq
        return out

    # --- the streams -----------------------------------------------------------------

    async def _feed(self, hall_id: str) -> HallFeed:
        feed = self.feeds.get(hall_id)
        if feed is None:
            position = await self.store.stream_position(hall_id)
            assert position is not None  # the caller resolved the hall
            # Start with the recent past in memory: after a restart, clients resuming
            # from where they were are served without a database read each.
            ring: deque[StoredEvent] = deque(maxlen=self.ring_size)
            after = max(0, position[1] - self.ring_size)
            while after < position[1]:
                page = await self.store.read_events(hall_id, after, 1000)
                page = [e for e in page if e.seq <= position[1]]
                if not page:
                    break
                ring.extend(page)
                after = page[-1].seq
            feed = self.feeds.setdefault(hall_id, HallFeed(hall_id, position[0], position[1], ring))
            if hall_id not in self._feeders:
                self._feeders[hall_id] = asyncio.create_task(self._run_feed(feed))
        return feed

    def _on_bus(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        feed = self.feeds.get(hall_id)
        if feed is not None:
            feed.inbox.put_nowait(events)

    def _poke_all(self) -> None:
        """The bus may have lost messages (Redis reconnected): look at every stream now."""
        for feed in self.feeds.values():
            feed.inbox.put_nowait(-1)

    async def _run_feed(self, feed: HallFeed) -> None:
        while True:
            batch = await feed.inbox.get()
            try:
                if batch == -1:
                    position = await self.store.stream_position(feed.hall_id)
                    if position is None:
                        continue
                    batch = position[1] if position[0] == feed.epoch else -1
                async with feed.lock:
                    gap = self.metrics.ws_gap_fills.labels(feed.hall_id).inc
                    if batch == -1 or not await advance(
                        self.store, feed, batch, self._deliver, gap
                    ):
                        await self._reset(feed)
            except Exception:
                stop_if_cancelled()
                log.exception("hall %s: delivery failed; the next poll retries", feed.hall_id)

    async def _reset(self, feed: HallFeed) -> None:
        """The stream's epoch changed (its log was reset): everyone reloads a snapshot."""
        position = await self.store.stream_position(feed.hall_id)
        assert position is not None
        log.warning("hall %s: stream epoch changed to %s", feed.hall_id, position[0])
        feed.epoch, feed.delivered = position
        feed.ring.clear()
        feed.hall_texts.clear()
        for subs in feed.subs.values():
            for peer_id in list(subs):
                peer = self.peers.get(peer_id)
                if peer is not None:
                    peer.kick(CloseCode.SERVICE_RESTART, "stream reset; reconnect")
            subs.clear()

    def _deliver(self, feed: HallFeed, e: StoredEvent) -> None:
        if (cut := revoked_pad(e.type, e.data)) is not None:  # a pad's key replaced/revoked
            for peer_id in feed.subs.pop(cut, {}):
                if (peer := self.peers.get(peer_id)) is not None:
                    peer.kick(CloseCode.UNAUTHORIZED, "the pad was unpaired or paired again")
        for topic in topics_of(feed.hall_id, e):
            subs = feed.subs.get(topic)
            if not subs:
                continue
            text = self._encoded(feed, topic, e)  # once per topic, not once per subscriber
            for peer_id, after in list(subs.items()):
                if e.seq <= after:
                    continue
                subs[peer_id] = e.seq
                peer = self.peers.get(peer_id)
                if peer is not None and not peer.offer(text):
                    subs.pop(peer_id, None)
                    peer.kick(CloseCode.TOO_SLOW, "too slow; reconnect and resume")
                    self.metrics.ws_closed.labels(str(int(CloseCode.TOO_SLOW))).inc()
        if e.type.startswith("ticket.") and any(t.startswith("ticket:") for t in feed.subs):
            self.positions_refresher.schedule(feed)

    @staticmethod
    def _encoded(feed: HallFeed, topic: str, e: StoredEvent) -> Outgoing:
        """The event's message on a topic: its text, and its frame once a peer needs it."""
        if topic != f"hall:{feed.hall_id}":
            return Outgoing(event_message(topic, e))
        out = feed.hall_texts.get(e.seq)
        if out is None:
            out = Outgoing(event_message(topic, e))
            if feed.ring and feed.ring[0].seq <= e.seq:  # only while the ring holds it
                feed.hall_texts[e.seq] = out
        return out

    def _offer_to(self, peer_id: int, text: str) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None:
            peer.offer(text)

    async def _poll(self) -> None:
        """A safety net under the bus: a dropped last message is noticed within poll_s."""
        while True:
            await asyncio.sleep(self.poll_s)
            for feed in list(self.feeds.values()):
                try:
                    position = await self.store.stream_position(feed.hall_id)
                except Exception:
                    stop_if_cancelled()
                    log.warning("hall %s: stream position unavailable", feed.hall_id)
                    continue
                if position is not None and (
                    position[0] != feed.epoch or position[1] > feed.delivered
                ):
                    feed.inbox.put_nowait(-1)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            for peer in list(self.peers.values()):
                peer.offer(dumps({"op": "heartbeat", "positions": self.positions(peer),
                                  "server_time": self.snapshots.ctx.clock().isoformat()}))  # fmt: skip
