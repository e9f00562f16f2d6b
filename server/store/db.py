"""The thin seam between the store's SQL and a database driver.

The store writes its SQL once, with PostgreSQL's ``$1`` placeholders; each
driver adapts it (SQLite takes ``?1``) and maps rows to plain dicts with Python
types. Column naming carries the types SQLite lacks: ``*_at`` columns are
timestamps and ``*_day`` columns are dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Row = Mapping[str, Any]


class UniqueViolation(Exception):
    """A unique constraint refused a write; ``constraint`` names it where the driver says."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class Contention(Exception):
    """The database ended the transaction to break a deadlock (or a serialization
    conflict): nothing of it was kept, and running it again may well succeed."""


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    # Appended to the claim query: PostgreSQL lets concurrent windows skip rows
    # another transaction is claiming; SQLite has a single writer and needs none.
    skip_locked: str
    for_update: str
    # Aggregate a window's service codes into one comma-separated column.
    concat_services: str
    # Holds a configuration row against concurrent edits without blocking the foreign-key
    # checks of rows that point at it (a window's clerk, a hall's notices).
    lock_row: str = ""


class Conn(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...
    async def execute(self, sql: str, *args: Any) -> None: ...


class Database(Protocol):
    dialect: Dialect

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self) -> AbstractAsyncContextManager[Conn]:
        """A write transaction; commits on clean exit, rolls back on error."""
        ...

    def reader(self) -> AbstractAsyncContextManager[Conn]:
        """A connection for reads that need no transaction."""
        ...

    async def migrate(self) -> list[int]:
        """Apply pending migrations; returns the versions applied."""
        ...

    async def pending_migrations(self) -> list[int]: ...


def open_database(url: str) -> Database:
    """Pick the driver by URL scheme; each driver is imported only when used."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresDatabase

        return PostgresDatabase(url)
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteDatabase

        return SqliteDatabase(url.removeprefix("sqlite:///"))
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]!r}")
