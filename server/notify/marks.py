"""Recording what became of each send, with one commit for the outcomes that arrive together.

A mark is a transaction, and on PostgreSQL a commit waits for the WAL to reach
disk; one per message would make the database, not the gateway, set the pace.
Outcomes that arrive while a mark is being written wait and go together in the
next one (the first caller writes, the others wait for it), as ticket issue
does in ``usecases/issuing.py``. A send's task returns only once its outcome is
committed, so a crash can at worst leave a sent message unmarked, never a mark
unwritten that was reported written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..metrics import Metrics
from ..store import outbox_sql
from ..store.outbox_sql import Claimed
from ..store.store import Store
from .channels import SendError

log = logging.getLogger("onewindow.notify")


@dataclass(frozen=True, slots=True)
class Outcome:
    message: Claimed
    error: SendError | None  # None: sent
    who: str  # the recipient, masked, for log lines


class Marker:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        clock: Callable[[], datetime],
        max_attempts: int,
        backoff: Callable[[str, int], timedelta],
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._waiting: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._writing = False

    def gives_up(self, o: Outcome) -> bool:
        return o.error is not None and (
            o.error.permanent or o.message.attempts >= self._max_attempts
        )

    async def record(self, outcome: Outcome) -> None:
        """Returns once the outcome is committed; raises if its transaction failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, done))
        if not self._writing:
            self._writing = True
            try:
                while self._waiting:
                    batch, self._waiting = self._waiting, []
                    await self._write(batch)
            except BaseException as exc:
                # Cancelled or broken mid-write: nobody may be left waiting for it.
                for _, f in [*batch, *self._waiting]:
                    if f is done:
                        f.cancel()  # the leader itself: it raises below, nobody awaits this
                    elif not f.done():
                        f.set_exception(RuntimeError(f"outcome not recorded: {exc!r}"))
                self._waiting = []
                raise
            finally:
                self._writing = False
        await done

    async def _write(self, batch: list[tuple[Outcome, asyncio.Future[None]]]) -> None:
        now = self._clock()
        try:
            async with self._store.db.transaction() as c:
                sent = [o.message.id for o, _ in batch if o.error is None]
                await outbox_sql.mark_sent(c, sent, now)
                for o, _ in batch:
                    m, error = o.message, o.error
                    if error is None:
                        continue
                    if self.gives_up(o):
                        await outbox_sql.mark_failed(c, m.id, error.reason)
                    else:
                        due = now + self._backoff(m.id, m.attempts)
                        await outbox_sql.mark_retry(c, m.id, due, error.reason)
        except Exception as exc:
            for _, f in batch:
                f.set_exception(exc)
            return
        for o, f in batch:
            self._observe(o)
            f.set_result(None)

    def _observe(self, o: Outcome) -> None:
        m, error = o.message, o.error
        what = f"{m.channel} {m.template} to {o.who} ({m.idem_key}, attempt {m.attempts})"
        if error is None:
            self._metrics.notify_sent.labels(m.channel).inc()
        elif self.gives_up(o):
            self._metrics.notify_failed.labels(m.channel).inc()
            log.error("notify %s failed for good: %s", what, error.reason)
        else:
            self._metrics.notify_retried.labels(m.channel).inc()
            log.warning("notify %s failed, will retry: %s", what, error.reason)
