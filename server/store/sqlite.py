"""SQLite driver (aiosqlite): the embedded default, one hall on one machine.

SQLite has one writer at a time, so writes share one connection behind a lock
and run as ``BEGIN IMMEDIATE`` transactions: claiming a ticket is atomic without
row locks. Reads use a second connection; WAL lets them run beside a write.
``synchronous=FULL`` makes a commit durable before a ticket is handed out.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import aiosqlite

from . import migrations
from .db import Conn, Dialect, Row, UniqueViolation

DIALECT = Dialect(
    name="sqlite", skip_locked="", for_update="", concat_services="group_concat(service_code, ',')"
)
_PLACEHOLDER = re.compile(r"\$(\d+)")


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        # One fixed UTC format, so text order is time order.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _column(name: str, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if name == "at" or name.endswith("_at"):
        return datetime.fromisoformat(value)
    if name.endswith("_day"):
        return date.fromisoformat(value)
    return value


class _SqliteConn:
    def __init__(self, conn: aiosqlite.Connection, sql_cache: dict[str, str]) -> None:
        self._c = conn
        self._cache = sql_cache

    def _sql(self, sql: str) -> str:
        out = self._cache.get(sql)
        if out is None:
            out = self._cache[sql] = _PLACEHOLDER.sub(r"?\1", sql)
        return out

    async def _run(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        try:
            # One trip to aiosqlite's thread per statement (execute, fetch and close
            # each took one): a window command is a dozen statements.
            rows = list(await self._c.execute_fetchall(self._sql(sql), [_param(a) for a in args]))
            names = rows[0].keys() if rows else []
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise
        return [{n: _column(n, v) for n, v in zip(names, r, strict=True)} for r in rows]

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._run(sql, args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self._run(sql, args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else next(iter(row.values()))

    async def execute(self, sql: str, *args: Any) -> None:
        await self._run(sql, args)


async def _roll_back(conn: aiosqlite.Connection) -> None:
    """End a transaction that is being abandoned, without hiding why.

    A cancelled COMMIT still runs on aiosqlite's thread, so by the time ROLLBACK
    gets there the transaction may be over. Its "no transaction is active" must not
    replace the CancelledError: a background loop would catch it as an ordinary
    failure, go round again and never stop.
    """
    with suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


class SqliteDatabase:
    dialect = DIALECT

    def __init__(self, path: str) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._cache: dict[str, str] = {}

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        conn.row_factory = sqlite3.Row  # rows carry their column names
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=10000",
        ):
            await conn.execute(pragma)
        return conn

    async def open(self) -> None:
        self._writer = await self._connect()
        self._reader = await self._connect()

    async def close(self) -> None:
        for conn in (self._writer, self._reader):
            if conn is not None:
                await conn.close()
        self._writer = self._reader = None

    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self._lock:
            conn = self._w()
            try:
                # Inside the try: a BEGIN whose caller was cancelled still runs on
                # aiosqlite's thread, and would leave the next BEGIN failing forever.
                await conn.execute("BEGIN IMMEDIATE")
                yield _SqliteConn(conn, self._cache)
            except BaseException:
                await _roll_back(conn)
                raise
            try:
                await conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full, I/O error) leaves the transaction open;
                # without this every later BEGIN would fail until a restart.
                await _roll_back(conn)
                raise

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Conn]:
        if self._reader is None:
            raise RuntimeError("database is not open")
        yield _SqliteConn(self._reader, self._cache)

    async def _applied(self) -> set[int]:
        conn = self._w()
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version integer PRIMARY KEY, applied_at text NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        async with conn.execute("SELECT version FROM schema_migrations") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def pending_migrations(self) -> list[int]:
        """Read-only: a database without the bookkeeping table has everything pending."""
        conn = self._w()
        async with conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ) as cur:
            row = await cur.fetchone()
        done: set[int] = set()
        if row is not None and row[0]:
            async with conn.execute("SELECT version FROM schema_migrations") as cur:
                done = {r[0] for r in await cur.fetchall()}
        return [v for v, _ in migrations.load("sqlite") if v not in done]

    async def migrate(self) -> list[int]:
        applied = []
        async with self._lock:
            done = await self._applied()
            for version, sql in migrations.load("sqlite"):
                if version in done:
                    continue
                # executescript would commit on its own; one script, one transaction.
                script = (
                    f"BEGIN IMMEDIATE;\n{sql}\n"
                    f"INSERT INTO schema_migrations (version) VALUES ({int(version)});\nCOMMIT;"
                )
                try:
                    await self._w().executescript(script)
                except Exception:
                    if self._w().in_transaction:
                        await self._w().execute("ROLLBACK")
                    raise
                applied.append(version)
        return applied
