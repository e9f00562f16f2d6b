"""What the schemathesis run needs around it: a seeded database, tokens, and a
fingerprint of the database to prove that a refused request changed nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import TracebackType

import asyncpg
import httpx

from server.auth import hash_password
from server.domain.model import Role, User
from server.store.store import Store
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import seed_hall

# Every table the server writes. A refused request must leave each one as it was.
TABLES = (
    "halls", "hall_streams", "services", "users", "windows", "window_services",
    "ticket_counters", "tickets", "events", "window_commands", "notices", "departments",
    "department_halls", "staff_sessions", "audit_heads", "audit_log", "citizens",
    "sign_in_codes", "ticket_contacts", "outbox",
)  # fmt: skip
# The notifier works through the outbox in the background (attempts, sent_at): compare
# which rows exist, not their state, so an earlier ticket's SMS going out is no "change".
KEYS_ONLY = {"outbox": "id"}


async def seed(url: str) -> tuple[HallFixture, str]:
    """A hall open all day (clerks, a supervisor) and an admin; returns the admin's name."""
    hall = await seed_hall(url)
    store = Store.from_url(url)
    await store.open()
    try:
        admin = f"{hall.id}-admin"
        user = User(admin, admin, "管理员", Role.ADMIN, None, hash_password(PASSWORD))
        await store.add_user(user, datetime.now(UTC))
    finally:
        await store.close()
    return hall, admin


def sign_in(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


class Fingerprint:
    """One digest per table, read over a connection of its own (sync callers: a private loop)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection | None = None
        parts = []
        for t in TABLES:
            row = f"x.{KEYS_ONLY[t]}::text" if t in KEYS_ONLY else "x::text"
            parts.append(
                f"(SELECT md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) FROM {t} x)"
            )
        self.sql = "SELECT " + ", ".join(parts)

    def __enter__(self) -> Fingerprint:
        self.conn = self.loop.run_until_complete(asyncpg.connect(self.url))
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.conn is not None:
            self.loop.run_until_complete(self.conn.close())
        self.loop.close()

    def take(self) -> dict[str, str]:
        assert self.conn is not None
        row = self.loop.run_until_complete(self.conn.fetchrow(self.sql))
        return dict(zip(TABLES, row, strict=True))

    @staticmethod
    def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
        return {t for t in TABLES if before[t] != after[t]}
