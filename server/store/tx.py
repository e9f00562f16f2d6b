"""One write transaction: the primitives the use cases combine.

Events emitted during the transaction get their ``seq`` only at the end, just
before commit, by locking the hall's stream row last: the lock is held as
briefly as possible and seq order is commit order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..audit import AuditRecord, Chainer
from ..crypto import Sealer
from ..domain.events import NewEvent
from ..domain.message import Message
from ..domain.model import Priority, Ticket, Window
from . import audit_sql, outbox_sql, rows
from .db import Conn, Dialect

_TICKET_SET = (
    "service = $2, state = $3, priority = $4, queue_at = $5, window_id = $6,"
    " target_window_id = $7, recall_count = $8, transfer_count = $9, called_at = $10,"
    " started_at = $11, finished_at = $12, note = $13"
)
_WINDOW_COLUMNS = ("state", "current_ticket_id", "clerk_id", "pause_reason", "priority_streak",
                   "appointment_streak")  # fmt: skip


def _window_set(first: int) -> str:
    """The window's SET list, its parameters numbered from ``first`` (its id is first - 1)."""
    return ", ".join(f"{c} = ${first + i}" for i, c in enumerate(_WINDOW_COLUMNS))


NO_QUOTA = 2**31 - 1  # "no quota": far above any day's tickets, within an integer column
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, 27))


@dataclass(frozen=True, slots=True)
class StoredEvent:
    hall_id: str
    epoch: str
    seq: int
    type: str
    data: dict[str, Any]
    at: datetime


class Tx:
    def __init__(
        self,
        conn: Conn,
        dialect: Dialect,
        hall_id: str,
        now: datetime,
        chainer: Chainer,
        sealer: Sealer,
    ) -> None:
        self.conn = conn
        self.dialect = dialect
        self.hall_id = hall_id
        self.now = now
        self.chainer = chainer
        self.sealer = sealer
        self._messages: list[Message] = []
        self.queued = 0  # messages written to the outbox
        self._pending: list[NewEvent] = []
        self._elsewhere: dict[str, list[NewEvent]] = {}  # other halls' events
        self._audits: list[AuditRecord] = []
        self.events: list[StoredEvent] = []

    def emit(self, event: NewEvent) -> None:
        self._pending.append(event)

    def emit_to(self, hall_id: str, event: NewEvent) -> None:
        """An event for another hall's stream, committed with this transaction."""
        if hall_id == self.hall_id:
            self._pending.append(event)
        else:
            self._elsewhere.setdefault(hall_id, []).append(event)

    def audit(self, record: AuditRecord) -> None:
        """Record who did what; written with the change it describes, or not at all."""
        self._audits.append(record)

    def notify(self, message: Message) -> None:
        """Queue a message to a citizen: in the outbox with this change, or not at all."""
        self._messages.append(message)

    def mark(self) -> tuple[int, int, int, dict[str, int]]:
        """How much is queued for the flush now; `undo` goes back to it."""
        elsewhere = {h: len(evs) for h, evs in self._elsewhere.items()}
        return len(self._pending), len(self._audits), len(self._messages), elsewhere

    def undo(self, mark: tuple[int, int, int, dict[str, int]]) -> None:
        """Forget what was queued since `mark`: a refused command in a group that commits."""
        pending, audits, messages, elsewhere = mark
        del self._pending[pending:], self._audits[audits:], self._messages[messages:]
        for hall_id in list(self._elsewhere):
            del self._elsewhere[hall_id][elsewhere.get(hall_id, 0) :]
            if not self._elsewhere[hall_id]:
                del self._elsewhere[hall_id]

    async def window(self, window_id: str, *, lock: bool = True) -> Window | None:
        # The service list rides along in one round trip: this runs on every window command.
        r = await self.conn.fetchrow(
            f"{rows.window_select(self.dialect)} WHERE id = $1 AND hall_id = $2"
            f" {self.dialect.for_update if lock else ''}",
            window_id,
            self.hall_id,
        )
        return None if r is None else rows.window_row(r)

    async def clerk_window(self, clerk_id: str, *, other_than: str) -> int | None:
        """The number of another window this clerk is signed in at, if any."""
        n = await self.conn.fetchval(
            "SELECT number FROM windows WHERE clerk_id = $1 AND state <> 'closed' AND id <> $2",
            clerk_id,
            other_than,
        )
        return None if n is None else int(n)

    async def command_seen(self, window_id: str, command_id: str) -> tuple[str, str | None] | None:
        """(command id, ticket id) if this window already ran this command."""
        r = await self.conn.fetchrow(
            "SELECT command_id, ticket_id FROM window_commands"
            " WHERE window_id = $1 AND command_id = $2",
            window_id,
            command_id,
        )
        return None if r is None else (r["command_id"], r["ticket_id"])

    async def record_command(self, window_id: str, command_id: str, ticket_id: str | None) -> None:
        await self.conn.execute(
            "INSERT INTO window_commands (window_id, command_id, ticket_id, at)"
            " VALUES ($1, $2, $3, $4)",
            window_id,
            command_id,
            ticket_id,
            self.now,
        )

    async def ticket(self, ticket_id: str) -> Ticket | None:
        r = await self.conn.fetchrow(
            f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE id = $1 AND hall_id = $2"
            f" {self.dialect.for_update}",
            ticket_id,
            self.hall_id,
        )
        return None if r is None else rows.ticket(r)

    async def claim_next(self, window: Window, order: tuple[Priority, ...]) -> Ticket | None:
        """Lock the ticket this window should call next, skipping ones others are claiming.

        One indexed probe per class, in the order given, each reading the head of a
        partial index of waiting tickets: the cost follows the queue ahead, never the
        day's history, and only the ticket taken is ever locked.
        """
        lock = self.dialect.skip_locked
        r = await self.conn.fetchrow(
            f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1 AND state = 'waiting'"
            f" AND target_window_id = $2 ORDER BY priority, queue_at, seq_no LIMIT 1 {lock}",
            self.hall_id,
            window.id,
        )
        if r is None and window.services and self.dialect.name == "postgres":
            # One round trip for every class: the classes are probed in the order given,
            # and the limit stops at the first that has someone (no later class is locked).
            r = await self.conn.fetchrow(
                f"SELECT {rows.TICKET_COLUMNS} FROM unnest($2::smallint[]) WITH ORDINALITY"
                " AS o(cls, rank) CROSS JOIN LATERAL (SELECT * FROM tickets t"
                " WHERE t.hall_id = $1 AND t.state = 'waiting' AND t.priority = o.cls"
                " AND t.target_window_id IS NULL AND t.service = ANY($3::text[])"
                f" ORDER BY t.queue_at, t.seq_no LIMIT 1 {lock}) AS tickets LIMIT 1",
                self.hall_id,
                [int(p) for p in order],
                list(window.services),
            )
        elif r is None and window.services:
            services = ", ".join(f"${i}" for i in range(3, 3 + len(window.services)))
            for priority in order:
                r = await self.conn.fetchrow(
                    f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1"
                    " AND state = 'waiting' AND priority = $2 AND target_window_id IS NULL"
                    f" AND service IN ({services}) ORDER BY queue_at, seq_no LIMIT 1 {lock}",
                    self.hall_id,
                    int(priority),
                    *window.services,
                )
                if r is not None:
                    break
        return None if r is None else rows.ticket(r)

    async def next_number(self, service: str, day: date, quota: int | None = None) -> int | None:
        """The service's next daily counter value; the row lock keeps numbers gapless.

        None when the day's quota is used up: the check and the increment are one
        statement, so no two processes can both take the last number."""
        if quota is not None and quota < 1:
            return None
        value = await self.conn.fetchval(
            "INSERT INTO ticket_counters (hall_id, service_code, business_day, last)"
            " VALUES ($1, $2, $3, 1)"
            " ON CONFLICT (hall_id, service_code, business_day)"
            " DO UPDATE SET last = ticket_counters.last + 1 WHERE ticket_counters.last < $4"
            " RETURNING last",
            self.hall_id,
            service,
            day,
            NO_QUOTA if quota is None else quota,
        )
        return None if value is None else int(value)

    async def active_ticket_for(self, service: str, day: date, fingerprint: str) -> Ticket | None:
        r = await self.conn.fetchrow(
            f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1 AND service = $2"
            " AND business_day = $3 AND id_fingerprint = $4"
            " AND state IN ('waiting', 'called', 'serving')",
            self.hall_id,
            service,
            day,
            fingerprint,
        )
        return None if r is None else rows.ticket(r)

    async def queue_length(self, service: str, up_to: Priority) -> int:
        """Waiting, untargeted tickets of a service in classes ``up_to`` and above."""
        n = await self.conn.fetchval(
            "SELECT count(*) FROM tickets WHERE hall_id = $1 AND service = $2"
            " AND state = 'waiting' AND target_window_id IS NULL AND priority <= $3",
            self.hall_id,
            service,
            int(up_to),
        )
        return int(n)

    async def stale_tickets(self, before: date) -> list[Ticket]:
        found = await self.conn.fetch(
            f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1"
            " AND business_day < $2 AND state IN ('waiting', 'no_show')"
            f" ORDER BY business_day, number {self.dialect.for_update}",
            self.hall_id,
            before,
        )
        return [rows.ticket(r) for r in found]

    async def insert_ticket(self, t: Ticket) -> None:
        await self.conn.execute(
            f"INSERT INTO tickets ({rows.TICKET_COLUMNS}) VALUES ({_PLACEHOLDERS})",
            *rows.ticket_args(t),
        )

    async def update_ticket(self, t: Ticket) -> None:
        await self.conn.execute(f"UPDATE tickets SET {_TICKET_SET} WHERE id = $1", *_ticket_args(t))

    async def update_window(self, w: Window) -> None:
        await self.conn.execute(f"UPDATE windows SET {_window_set(2)} WHERE id = $1", *_window_args(w))

    async def save(self, w: Window, t: Ticket | None) -> None:
        """A window and the ticket at it; on PostgreSQL in one round trip, as every window
        command ends with both."""
        if t is None or self.dialect.name != "postgres":
            await self.update_window(w)
            if t is not None:
                await self.update_ticket(t)
            return
        await self.conn.execute(  # the window's parameters follow the ticket's 13
            f"WITH w AS (UPDATE windows SET {_window_set(15)} WHERE id = $14)"
            f" UPDATE tickets SET {_TICKET_SET} WHERE id = $1",
            *_ticket_args(t),
            *_window_args(w),
        )

    async def save_notice(self, n: dict[str, Any], *, insert: bool) -> None:
        args = (n["id"], n["hall_id"], n["kind"], n["title"], n["body"], n["position"],
                int(bool(n["active"])), self.now)  # fmt: skip
        if insert:
            await self.conn.execute(
                "INSERT INTO notices (id, hall_id, kind, title, body, position, active,"
                " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                *args,
            )
        else:
            await self.conn.execute(
                "UPDATE notices SET kind = $3, title = $4, body = $5, position = $6, active = $7,"
                " updated_at = $8 WHERE id = $1 AND hall_id = $2",
                *args,
            )

    async def delete_notice(self, notice_id: str) -> None:
        await self.conn.execute("DELETE FROM notices WHERE id = $1", notice_id)

    async def flush(self) -> None:
        """Audit rows, then events, each in one lock order; called once, right before commit."""
        if self._audits:
            await audit_sql.append(self.conn, self.dialect, self.chainer, self._audits, self.now)
            self._audits.clear()
        if self._messages:
            await outbox_sql.insert(self.conn, self.sealer, self._messages, self.now)
            self.queued += len(self._messages)
            self._messages.clear()
        if not self._elsewhere:
            await self.flush_events()
            return
        # Streams locked in hall order, so two multi-hall transactions cannot deadlock.
        own, home = self._pending, self.hall_id
        for hall_id in sorted({home, *self._elsewhere}):
            self.hall_id = hall_id
            self._pending = own if hall_id == home else self._elsewhere[hall_id]
            await self.flush_events()
        self.hall_id, self._pending = home, []
        self._elsewhere.clear()

    async def flush_events(self) -> None:
        """Number and append the pending events of this hall's stream."""
        if not self._pending:
            return
        if self.dialect.name == "postgres":
            await self._flush_one_statement()
            return
        n = len(self._pending)
        r = await self.conn.fetchrow(
            "UPDATE hall_streams SET last_seq = last_seq + $2 WHERE hall_id = $1"
            " RETURNING last_seq, epoch",
            self.hall_id,
            n,
        )
        if r is None:
            raise LookupError(f"hall {self.hall_id!r} has no stream")
        first = int(r["last_seq"]) - n + 1
        stored = [StoredEvent(self.hall_id, r["epoch"], first + i, ev.type, ev.data, self.now)
                  for i, ev in enumerate(self._pending)]  # fmt: skip
        # One INSERT for all: on SQLite each statement is a trip to the driver's thread.
        values = ", ".join(f"($1, ${3 * i + 3}, ${3 * i + 4}, ${3 * i + 5}, $2)" for i in range(n))
        await self.conn.execute(
            f"INSERT INTO events (hall_id, seq, type, data, at) VALUES {values}",
            self.hall_id,
            self.now,
            *(v for e in stored for v in (e.seq, e.type, json.dumps(e.data, ensure_ascii=False))),
        )
        self.events += stored
        self._pending.clear()

    async def _flush_one_statement(self) -> None:
        """PostgreSQL: bump the stream and append every event in one round trip, so the
        hall's stream row stays locked for that statement and the commit, nothing more."""
        n = len(self._pending)
        found = await self.conn.fetch(
            "WITH s AS (UPDATE hall_streams SET last_seq = last_seq + $2 WHERE hall_id = $1"
            "           RETURNING last_seq, epoch),"
            " e AS (INSERT INTO events (hall_id, seq, type, data, at)"
            "       SELECT $1, s.last_seq - $2 + x.ord, x.type, x.data::jsonb, $5"
            "       FROM s, unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(type, data, ord)"
            "       RETURNING seq)"
            " SELECT s.epoch, e.seq FROM s, e ORDER BY e.seq",
            self.hall_id,
            n,
            [ev.type for ev in self._pending],
            [json.dumps(ev.data, ensure_ascii=False) for ev in self._pending],
            self.now,
        )
        if len(found) != n:
            raise LookupError(f"hall {self.hall_id!r} has no stream")
        for ev, r in zip(self._pending, found, strict=True):
            self.events.append(
                StoredEvent(self.hall_id, r["epoch"], int(r["seq"]), ev.type, ev.data, self.now)
            )
        self._pending.clear()


def _ticket_args(t: Ticket) -> tuple[Any, ...]:
    return (t.id, t.service, t.state.value, int(t.priority), t.queue_at, t.window_id,
            t.target_window_id, t.recall_count, t.transfer_count, t.called_at, t.started_at,
            t.finished_at, t.note)  # fmt: skip


def _window_args(w: Window) -> tuple[Any, ...]:
    return (w.id, w.state.value, w.current_ticket_id, w.clerk_id, w.pause_reason,
            w.priority_streak, w.appointment_streak)  # fmt: skip
