"""Two workers on one PostgreSQL outbox (two server processes): disjoint claims, no resends."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from server.notify.worker import Notifier
from server.store.store import Store
from tests.conftest import PG_ADMIN_URL, FakeClock, pg_admin
from tests.notify.conftest import SECRET, called, enqueue, notifier, outbox, settings_for
from tests.notify.gateway import FakeGateway

MESSAGES = 300


@pytest.fixture
async def pg_db() -> AsyncIterator[str]:
    name = f"ow_notify_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_two_workers_claim_disjoint_rows_and_send_each_message_once(
    pg_db: str, clock: FakeClock, gateway: FakeGateway
) -> None:
    stores = [Store.from_url(pg_db, SECRET) for _ in range(2)]
    for s in stores:
        await s.open()
    try:
        for start in range(0, MESSAGES, 50):
            await enqueue(stores[0], clock, *(called(f"m:{i}") for i in range(start, start + 50)))
        workers = [notifier(s, settings_for(gateway), clock, concurrency=8) for s in stores]

        async def drain(n: Notifier) -> int:
            handled = 0
            while got := await n.run_once():
                handled += got
            return handled

        handled = await asyncio.gather(*(drain(n) for n in workers))
        assert sum(handled) == MESSAGES
        assert all(h > 0 for h in handled), handled  # both really worked
        sends = Counter(p.body["idempotency_key"] for p in gateway.posts)
        assert len(sends) == MESSAGES and set(sends.values()) == {1}
        assert {r["state"] for r in await outbox(stores[0])} == {"sent"}
        for n in workers:
            await n.stop()
    finally:
        for s in stores:
            await s.close()
