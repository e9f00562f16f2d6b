"""A transaction cancelled at any point ends as a cancellation and leaves the
database usable; the loops built on it stop when asked.

A cancelled COMMIT on SQLite once surfaced as "cannot rollback - no transaction
is active", which the notifier's loop took for an ordinary failure: it went round
again and the server's shutdown waited for it forever.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from server.loops import stop_if_cancelled
from server.store.store import Store


async def _write(store: Store, table: str, n: int) -> None:
    async with store.db.transaction() as c:
        await c.execute(f"INSERT INTO {table} (n) VALUES ($1)", n)


async def test_a_transaction_cancelled_anywhere_ends_as_a_cancellation(store: Store) -> None:
    table = f"cancel_probe_{secrets.token_hex(3)}"
    async with store.db.transaction() as c:
        await c.execute(f"CREATE TABLE {table} (n integer NOT NULL)")
    outcomes = set()
    # Cancelling after 0, 1, 2, ... turns of the loop lands in BEGIN, the INSERT,
    # the COMMIT and after it, on either driver.
    for n in range(60):
        task = asyncio.create_task(_write(store, table, n))
        for _ in range(n % 30):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
            outcomes.add("done")
        except asyncio.CancelledError:
            outcomes.add("cancelled")
        # Whatever happened, the next transaction works.
        await _write(store, table, 1000 + n)
    assert "cancelled" in outcomes
    async with store.db.reader() as c:
        after = await c.fetchval(f"SELECT count(*) FROM {table} WHERE n >= 1000")
    assert after == 60


async def test_a_loop_that_catches_errors_still_stops_when_cancelled() -> None:
    turns = 0

    async def loop() -> None:
        nonlocal turns
        while True:
            turns += 1
            try:
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    # A driver's cleanup failing on the way out.
                    raise RuntimeError("cleanup failed") from None
            except Exception:
                stop_if_cancelled()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)
    assert turns == 1
