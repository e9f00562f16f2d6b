"""The store: every read the server needs and the door to write transactions.

One implementation over the ``Database`` seam; SQLite and PostgreSQL differ
only in their drivers and migrations, and one contract test runs on both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from ..audit import Chainer
from ..crypto import Sealer
from ..domain.model import Hall, Service, Ticket, TicketState, User, Window
from . import config_sql, rows
from .db import Database, open_database
from .tx import StoredEvent, Tx


class Store:
    def __init__(
        self, db: Database, chainer: Chainer | None = None, sealer: Sealer | None = None
    ) -> None:
        self.db = db
        # Key the audit chain's hashes and seal personal data; the server passes its secret.
        self.chainer = chainer or Chainer(b"")
        self.sealer = sealer or Sealer(b"")
        # Told after a commit that queued messages, so the outbox worker need not wait.
        self.on_outbox: Callable[[], None] | None = None

    @classmethod
    def from_url(cls, url: str, secret: bytes = b"") -> Store:
        return cls(open_database(url), Chainer(secret), Sealer(secret))

    @property
    def dialect(self) -> str:
        return self.db.dialect.name

    async def open(self, *, migrate: bool = True) -> None:
        await self.db.open()
        if migrate:
            await self.db.migrate()

    async def close(self) -> None:
        await self.db.close()

    @asynccontextmanager
    async def write(self, hall_id: str, now: datetime) -> AsyncIterator[Tx]:
        """A transaction for one hall; its events are numbered and stored with it."""
        async with self.db.transaction() as conn:
            tx = Tx(conn, self.db.dialect, hall_id, now, self.chainer, self.sealer)
            yield tx
            await tx.flush()
        if tx.queued and self.on_outbox is not None:
            self.on_outbox()

    # --- halls, services, windows, users -------------------------------------------

    async def create_hall(self, hall: Hall, now: datetime) -> None:
        async with self.db.transaction() as c:
            await config_sql.insert_hall(c, hall, now)

    async def add_service(self, s: Service) -> None:
        async with self.db.transaction() as c:
            await config_sql.save_service(c, s, insert=True)

    async def add_window(self, w: Window) -> None:
        async with self.db.transaction() as c:
            await config_sql.save_window(c, w, insert=True)

    async def add_user(self, u: User, now: datetime) -> None:
        async with self.db.transaction() as c:
            await config_sql.save_user(c, u, now, insert=True)

    async def hall(self, hall_id: str) -> Hall | None:
        async with self.db.reader() as c:
            r = await c.fetchrow("SELECT * FROM halls WHERE id = $1", hall_id)
        return None if r is None else rows.hall(r)

    async def halls(self) -> list[Hall]:
        async with self.db.reader() as c:
            return [rows.hall(r) for r in await c.fetch("SELECT * FROM halls ORDER BY id")]

    async def services(self, hall_id: str) -> list[Service]:
        async with self.db.reader() as c:
            return await config_sql.service_rows(c, hall_id)

    async def windows(self, hall_id: str) -> list[Window]:
        async with self.db.reader() as c:
            return await config_sql.window_rows(c, self.db.dialect, hall_id)

    async def window(self, window_id: str) -> Window | None:
        async with self.db.reader() as c:
            r = await c.fetchrow(f"{rows.window_select(self.db.dialect)} WHERE id = $1", window_id)
        return None if r is None else rows.window_row(r)

    async def user_by_name(self, username: str) -> User | None:
        async with self.db.reader() as c:
            r = await c.fetchrow("SELECT * FROM users WHERE username = $1", username)
        return None if r is None else rows.user(r)

    # --- tickets ----------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> Ticket | None:
        async with self.db.reader() as c:
            r = await c.fetchrow(
                f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id
            )
        return None if r is None else rows.ticket(r)

    async def tickets_placed(self, hall_id: str, ticket_ids: Sequence[str]) -> list[tuple[Ticket, int]]:
        """A hall's tickets by id, each with its people ahead (0 unless waiting), in a
        few reads however many there are: every phone's place after a queue moves."""
        found: list[Ticket] = []
        async with self.db.reader() as c:
            for i in range(0, len(ticket_ids), 500):  # within any driver's parameter limit
                chunk = ticket_ids[i : i + 500]
                marks = ", ".join(f"${n}" for n in range(2, 2 + len(chunk)))
                found += [
                    rows.ticket(r)
                    for r in await c.fetch(
                        f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1"
                        f" AND id IN ({marks})",
                        hall_id,
                        *chunk,
                    )
                ]
            waiting = [t for t in found if t.state is TicketState.WAITING]
            ahead = await rows.places(c, hall_id, waiting)
        return [(t, ahead.get(t.id, 0)) for t in found]

    async def current_tickets(self, hall_id: str) -> dict[str, Ticket]:
        """The ticket each busy window holds, by window id."""
        async with self.db.reader() as c:
            found = await c.fetch(
                f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE id IN"
                " (SELECT current_ticket_id FROM windows WHERE hall_id = $1"
                "  AND current_ticket_id IS NOT NULL)",
                hall_id,
            )
        return {t.window_id: t for t in map(rows.ticket, found) if t.window_id is not None}

    async def forget_commands(self, before: datetime) -> None:
        """Retries come within seconds; a day-old command id is kept for nothing."""
        async with self.db.transaction() as c:
            await c.execute("DELETE FROM window_commands WHERE at < $1", before)

    async def ping(self) -> bool:
        try:
            async with self.db.reader() as c:
                return bool(await c.fetchval("SELECT 1") == 1)
        except Exception:
            return False

    async def tickets_on(self, hall_id: str, day: date) -> list[Ticket]:
        async with self.db.reader() as c:
            found = await c.fetch(
                f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1"
                " AND business_day = $2 ORDER BY issued_at, number",
                hall_id,
                day,
            )
        return [rows.ticket(r) for r in found]

    async def waiting(self, hall_id: str) -> list[Ticket]:
        """Every waiting ticket of a hall, by class then queue time (staff views)."""
        async with self.db.reader() as c:
            found = await c.fetch(
                f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE hall_id = $1"
                " AND state = 'waiting' ORDER BY priority, queue_at, seq_no",
                hall_id,
            )
        return [rows.ticket(r) for r in found]

    async def waiting_counts(self, hall_id: str) -> dict[str, int]:
        async with self.db.reader() as c:
            found = await c.fetch(
                "SELECT service, count(*) AS n FROM tickets WHERE hall_id = $1"
                " AND state = 'waiting' GROUP BY service",
                hall_id,
            )
        return {r["service"]: int(r["n"]) for r in found}

    async def people_ahead(self, t: Ticket) -> int:
        """Waiting tickets of the same service that dispatch would call before this one."""
        async with self.db.reader() as c:
            return await rows.people_ahead(c, t)

    async def serving_windows(self, hall_id: str, service: str) -> int:
        async with self.db.reader() as c:
            n = await c.fetchval(
                "SELECT count(*) FROM windows w JOIN window_services s ON s.window_id = w.id"
                " WHERE s.hall_id = $1 AND s.service_code = $2 AND w.state IN ('open', 'serving')",
                hall_id,
                service,
            )
        return int(n)

    async def recent_service_seconds(
        self, hall_id: str, service: str, limit: int = 20
    ) -> list[float]:
        """Durations of the latest finished services, for wait estimates."""
        async with self.db.reader() as c:
            found = await c.fetch(
                "SELECT started_at, finished_at FROM tickets WHERE hall_id = $1 AND service = $2"
                " AND state = $3 AND finished_at IS NOT NULL AND started_at IS NOT NULL"
                " ORDER BY finished_at DESC LIMIT $4",
                hall_id,
                service,
                TicketState.DONE.value,
                limit,
            )
        return [(r["finished_at"] - r["started_at"]).total_seconds() for r in found]

    # --- notices --------------------------------------------------------------------

    async def notices(self, hall_id: str, *, active_only: bool) -> list[dict[str, Any]]:
        only = " AND active = 1" if active_only else ""
        async with self.db.reader() as c:
            found = await c.fetch(
                f"SELECT {_NOTICE} FROM notices WHERE hall_id = $1{only} ORDER BY position, created_at",
                hall_id,
            )
        return [_notice(r) for r in found]

    async def notice(self, notice_id: str) -> dict[str, Any] | None:
        async with self.db.reader() as c:
            r = await c.fetchrow(f"SELECT {_NOTICE} FROM notices WHERE id = $1", notice_id)
        return None if r is None else _notice(r)

    # --- the event log ---------------------------------------------------------------

    async def stream_position(self, hall_id: str) -> tuple[str, int] | None:
        async with self.db.reader() as c:
            r = await c.fetchrow(
                "SELECT epoch, last_seq FROM hall_streams WHERE hall_id = $1", hall_id
            )
        return None if r is None else (r["epoch"], int(r["last_seq"]))

    async def read_events(self, hall_id: str, after: int, limit: int = 1000) -> list[StoredEvent]:
        """Events with seq > after, oldest first."""
        async with self.db.reader() as c:
            epoch = await c.fetchval("SELECT epoch FROM hall_streams WHERE hall_id = $1", hall_id)
            found = await c.fetch(
                "SELECT seq, type, data, at FROM events WHERE hall_id = $1 AND seq > $2"
                " ORDER BY seq LIMIT $3",
                hall_id,
                after,
                limit,
            )
        return [
            StoredEvent(
                hall_id, epoch, int(r["seq"]), r["type"], rows.json_value(r["data"]), r["at"]
            )
            for r in found
        ]

    async def latest_events(
        self, hall_id: str, types: tuple[str, ...], limit: int
    ) -> list[StoredEvent]:
        """The newest events of the given types, newest first."""
        marks = ", ".join(f"${i}" for i in range(3, 3 + len(types)))
        async with self.db.reader() as c:
            epoch = await c.fetchval("SELECT epoch FROM hall_streams WHERE hall_id = $1", hall_id)
            found = await c.fetch(
                f"SELECT seq, type, data, at FROM events WHERE hall_id = $1 AND type IN ({marks})"
                " ORDER BY seq DESC LIMIT $2",
                hall_id,
                limit,
                *types,
            )
        return [
            StoredEvent(
                hall_id, epoch, int(r["seq"]), r["type"], rows.json_value(r["data"]), r["at"]
            )
            for r in found
        ]


_NOTICE = "id, hall_id, kind, title, body, position, active"


def _notice(r: Any) -> dict[str, Any]:
    return {**r, "active": bool(r["active"])}
