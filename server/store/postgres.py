"""PostgreSQL driver (asyncpg): the production store's connection pool."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.exceptions._base import InternalClientError

from ..domain.errors import OneWindowError, Unavailable
from . import migrations
from .db import Conn, Contention, Dialect, Row, UniqueViolation

DIALECT = Dialect(
    name="postgres",
    skip_locked="FOR UPDATE SKIP LOCKED",
    for_update="FOR UPDATE",
    concat_services="string_agg(service_code, ',')",
    lock_row="FOR NO KEY UPDATE",
)

# The database is gone or going (stopped, restarting, the network cut), as opposed to
# refusing a statement: the request may succeed later, so it is a 503, not a 500.
_GONE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def _lost(exc: BaseException | None) -> bool:
    """The connection died under a statement (not: the statement was wrong)."""
    # A lost connection often surfaces as a later error (the transaction cannot end on
    # it; the server's "terminating connection" confused an idle one's protocol
    # state), so the whole chain is looked at.
    while exc is not None:
        if isinstance(exc, (*_GONE, InternalClientError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable() -> Unavailable:
    return Unavailable(
        "database_unavailable",
        "the database is not reachable; try again shortly",
        "数据库暂时不可用，请稍后再试",
        details={"retry_after": 2},
    )


# Any constant works as long as every OneWindow process uses the same one.
_MIGRATION_LOCK = 0x0E_57_1D_07


class _PgConn:
    def __init__(self, conn: Any) -> None:
        self._c = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return [dict(r) for r in await self._wrap(self._c.fetch(sql, *args))]

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        r = await self._wrap(self._c.fetchrow(sql, *args))
        return None if r is None else dict(r)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._wrap(self._c.fetchval(sql, *args))

    async def execute(self, sql: str, *args: Any) -> None:
        await self._wrap(self._c.execute(sql, *args))

    @staticmethod
    async def _wrap(aw: Any) -> Any:
        try:
            return await aw
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or "") from exc
        except asyncpg.TransactionRollbackError as exc:  # a deadlock, a serialization failure
            raise Contention(str(exc)) from exc


async def _light_reset(conn: Any) -> None:
    """The store keeps no session state (no LISTEN, cursors, SET or held advisory locks),
    so the pool's default reset, a round trip on every release, buys nothing; an
    abandoned transaction is the one thing worth undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PostgresDatabase:
    dialect = DIALECT

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 20) -> None:
        self._url = url
        self._min = min_size
        self._max = max_size
        self._pool: Any = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._url,
            min_size=self._min,
            max_size=self._max,
            command_timeout=30,
            # A connection attempt to an unreachable host fails in seconds, not a minute.
            timeout=5,
            reset=_light_reset,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self._connection() as conn, conn.transaction():
            yield _PgConn(conn)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Conn]:
        async with self._connection() as conn:
            yield _PgConn(conn)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """A pooled connection; losing the database on the way is Unavailable (503)."""
        try:
            async with self._pool.acquire() as conn:
                try:
                    yield conn
                except Exception as exc:
                    # A domain error is the use case's answer, whatever it caught before.
                    if isinstance(exc, OneWindowError) or not _lost(exc):
                        raise
                    with contextlib.suppress(asyncpg.InterfaceError):  # already let go
                        conn.terminate()  # unusable now: the pool opens a fresh one
                    raise unavailable() from exc
        except _GONE as exc:  # connecting failed
            raise unavailable() from exc

    async def _applied(self, conn: Any) -> set[int]:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        return {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}

    async def pending_migrations(self) -> list[int]:
        async with self._pool.acquire() as conn:
            exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
            done: set[int] = set()
            if exists:
                done = {
                    r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")
                }
        return [v for v, _ in migrations.load("postgres") if v not in done]

    async def migrate(self) -> list[int]:
        applied = []
        async with self._pool.acquire() as conn:
            # Several processes may start at once; one migrates, the others wait.
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                done = await self._applied(conn)
                for version, sql in migrations.load("postgres"):
                    if version in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version) VALUES ($1)", version
                        )
                    applied.append(version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        return applied
