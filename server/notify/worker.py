"""The outbox worker: claims due messages, sends them, marks them sent, retried or failed.

One runs in every server process. A claim is one short transaction that leases
the oldest due rows to this worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers never wait on each other and never take the same row); the sends run
outside any transaction, each bounded by ``notify_timeout_s``, at most
``concurrency`` at a time; each result is marked in its own transaction as soon
as it is known. A hanging gateway holds one slot for at most the timeout, never
the worker.

What it promises: every committed message is sent at least once, or marked
failed with the reason. A crash between a send and its mark sends the message
again when the lease runs out, with the same idempotency key, so a gateway that
honours the key delivers it once. What it does not promise: order between
messages, or exactly-once delivery through a gateway that ignores the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from ..crypto import SealError
from ..loops import stop_if_cancelled
from ..metrics import Metrics
from ..settings import Settings
from ..store import outbox_sql
from ..store.outbox_sql import Claimed
from ..store.store import Store
from . import templates
from .channels import Outgoing, SendError, Transport, mask_recipient, transports
from .marks import Marker, Outcome

log = logging.getLogger("onewindow.notify")

BACKOFF_BASE_S = 5.0  # the first retry; each one after waits twice as long
BACKOFF_CAP_S = 1800.0
STATS_EVERY_S = 5.0  # how often the backlog gauges are read from the database
# Sends in flight per process. httpx's connection pool costs grow with the square of
# the requests in flight: on the bench machine 8 gave 1,000 posts/s, 32 gave 180/s.
# Eight slots still carry 40 SMS/s through a gateway that takes 200 ms per request.
SEND_SLOTS = 8


def backoff(message_id: str, attempts: int) -> timedelta:
    """Exponential, with a jitter of up to -20 % taken from the message id: messages that
    failed together (a gateway outage) come back spread out, yet a test can predict it."""
    spread = int(hashlib.sha256(f"{message_id}:{attempts}".encode()).hexdigest()[:4], 16)
    delay = min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_CAP_S)
    return timedelta(seconds=delay * (1.0 - 0.2 * spread / 0xFFFF))


class Notifier:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        transports_by_kind: Mapping[str, Transport] | None = None,
        concurrency: int = SEND_SLOTS,
    ) -> None:
        self._store = store
        self.metrics = metrics
        self._clock = clock
        self._poll_s = settings.notify_poll_s
        self._timeout_s = settings.notify_timeout_s
        # Longer than any send can take, so only a dead worker's claims run out.
        self.lease = timedelta(seconds=self._timeout_s + max(5.0, self._timeout_s))
        self._concurrency = max(1, concurrency)
        self._marker = Marker(store, metrics, clock, max(1, settings.notify_max_attempts), backoff)
        self._transports = dict(
            transports(settings, log, self._concurrency)
            if transports_by_kind is None
            else transports_by_kind
        )
        self._inflight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._saturated = False  # the last claim filled every free slot: more may be due
        self._task: asyncio.Task[None] | None = None
        self._stats_at = float("-inf")

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="onewindow-notifier")

    async def stop(self) -> None:
        """Stop claiming; let the sends in flight finish (each within its timeout)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._inflight:
            _, late = await asyncio.wait(self._inflight, timeout=self._timeout_s + 2.0)
            for t in late:  # their claims run out and another worker sends them
                t.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for transport in {id(t): t for t in self._transports.values()}.values():
            await transport.aclose()

    def wake(self) -> None:
        """Messages were committed: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim one batch, send it all, mark it; the number of messages handled."""
        claimed = await self._claim(self._concurrency)
        await asyncio.gather(*(self._deliver(m) for m in claimed))
        return len(claimed)

    async def refresh_stats(self) -> None:
        async with self._store.db.reader() as c:
            b = await outbox_sql.backlog(c)
        age = 0.0 if b.oldest is None else (self._clock() - b.oldest).total_seconds()
        self.metrics.set_outbox(b.pending, max(0.0, age))

    # --- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                free = self._concurrency - len(self._inflight)
                if free > 0:
                    claimed = await self._claim(free)
                    self._saturated = len(claimed) == free
                    for m in claimed:
                        self._spawn(m)
                if time.monotonic() - self._stats_at >= STATS_EVERY_S:
                    self._stats_at = time.monotonic()
                    await self.refresh_stats()
            except Exception:
                stop_if_cancelled()
                log.exception("outbox poll failed; trying again in %.1f s", self._poll_s)
                self._saturated = False
            if self._saturated and len(self._inflight) <= self._concurrency // 2:
                continue  # more are due and half the slots are free: no need to wait
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._wake.wait()

    def _spawn(self, m: Claimed) -> None:
        task = asyncio.create_task(self._deliver(m), name=f"onewindow-notify-{m.id}")
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        # Under load, claim again once half the slots are free, not once per message:
        # each claim is a transaction.
        if self._saturated and len(self._inflight) <= self._concurrency // 2:
            self._wake.set()

    async def _claim(self, limit: int) -> list[Claimed]:
        now = self._clock()
        async with self._store.db.transaction() as c:
            claimed = await outbox_sql.claim(
                c, self._store.db.dialect, now, now + self.lease, limit
            )
        for m in claimed:
            if m.attempts == 1:
                self.metrics.notify_queued.labels(m.channel).inc()
        return claimed

    # --- one message --------------------------------------------------------------------

    def _open(self, m: Claimed) -> Outgoing:
        try:
            recipient = self._store.sealer.open(m.recipient_enc, outbox_sql.RECIPIENT)
            params = json.loads(self._store.sealer.open(m.params_enc, outbox_sql.PARAMS))
        except SealError as exc:
            raise SendError(
                "the message does not open with this server's secret", permanent=True
            ) from exc
        try:
            rendered = templates.render(m.template, m.lang, params)
        except templates.TemplateError as exc:
            raise SendError(str(exc), permanent=True) from exc
        return Outgoing(
            m.id, m.idem_key, m.channel, recipient, m.template, m.lang, params, rendered
        )

    async def _deliver(self, m: Claimed) -> None:
        error: SendError | None = None
        who = "?"
        started = time.perf_counter()
        try:
            out = self._open(m)
            who = mask_recipient(out.recipient)
            transport = self._transports.get(m.channel)
            if transport is None:
                raise SendError(f"no transport for channel {m.channel!r}", permanent=True)
            async with asyncio.timeout(self._timeout_s):
                await transport.send(out)
            self.metrics.notify_send_seconds.labels(m.channel).observe(
                time.perf_counter() - started
            )
        except SendError as exc:
            error = exc
        except TimeoutError:
            error = SendError(f"no answer within {self._timeout_s:g} s", permanent=False)
        except Exception as exc:  # a transport's bug must not end the worker
            log.exception("notify %s: unexpected error from the %s transport", m.id, m.channel)
            error = SendError(f"{type(exc).__name__}", permanent=False)
        try:
            await self._marker.record(Outcome(m, error, who))
        except Exception:
            # The claim runs out and the message is sent again, with the same key.
            log.exception("notify %s: could not record the outcome; it will be retried", m.id)
