"""A real server SIGKILLed between sending messages and marking them sent.

The gateway delivers every message it gets, then holds its answers back until
the test has killed the server, so each message is out but its row is still
pending and claimed. After the restart the claims run out, the worker sends the
same messages again with the same idempotency keys, and the gateway recognises
them: every message is delivered exactly once, none is lost, including the ones
committed while the server was down.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.store.store import Store
from tests.conftest import PG_ADMIN_URL, FakeClock, pg_admin
from tests.notify.conftest import called, enqueue, outbox
from tests.notify.gateway import FakeGateway
from tests.system.server_proc import ServerProcess

# Load- and timing-sensitive: runs alone, after the parallel part of the suite.
pytestmark = pytest.mark.solo

SECRET = "crash-test-secret"
BEFORE = 5  # committed before the crash: sent, not marked
WHILE_DOWN = 3  # committed while the server is dead


@pytest.fixture
async def pg_db() -> AsyncIterator[str]:
    name = f"ow_crash_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def rows(url: str) -> list[dict[str, Any]]:
    store = Store.from_url(url, SECRET.encode())
    await store.open(migrate=False)
    try:
        return await outbox(store)
    finally:
        await store.close()


async def commit(url: str, clock: FakeClock, keys: list[str]) -> None:
    """What a use case does: messages written in a transaction of the server's database."""
    store = Store.from_url(url, SECRET.encode())
    await store.open()
    try:
        await enqueue(store, clock, *(called(k) for k in keys))
    finally:
        await store.close()


async def test_sigkill_between_send_and_mark_sends_every_message_exactly_once(
    pg_db: str, tmp_path: Path
) -> None:
    # The server runs on the wall clock: messages committed a minute ago are due at once,
    # and young enough that its start-up trim of old sent messages leaves them alone
    # (committed in 2024, the ones sent before that trim ran were deleted under the test).
    clock = FakeClock(datetime.now(UTC) - timedelta(minutes=1))
    first = [f"before:{i}" for i in range(BEFORE)]
    later = [f"down:{i}" for i in range(WHILE_DOWN)]
    await commit(pg_db, clock, first)
    env = {
        "ONEWINDOW_DATABASE_URL": pg_db,
        "ONEWINDOW_SECRET": SECRET,
        "ONEWINDOW_LOG_LEVEL": "WARNING",
        "ONEWINDOW_NOTIFY_POLL_S": "0.1",
        "ONEWINDOW_NOTIFY_TIMEOUT_S": "2",  # a claim's lease: 2 + 5 s
    }
    with FakeGateway() as gateway:
        env["ONEWINDOW_SMS_GATEWAY_URL"] = gateway.url
        gateway.hold()
        srv = ServerProcess(env=env, cwd=tmp_path, log_path=tmp_path / "server.log")
        with srv:
            try:
                await gateway.wait_for(lambda: len(gateway.delivered) == BEFORE)
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc}: is the Notifier started in the app's lifespan?\n{srv.output()}"
                ) from None
            srv.kill()  # every message is out, no answer has come back
            gateway.release()
            stuck = await rows(pg_db)
            assert {r["state"] for r in stuck} == {"pending"}, srv.output()
            assert all(r["claimed_until_at"] is not None for r in stuck)
            await commit(pg_db, clock, later)

            srv.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while {r["state"] for r in await rows(pg_db)} != {"sent"}:
                assert loop.time() < deadline, srv.output()
                await asyncio.sleep(0.2)

        assert set(gateway.delivered) == {*first, *later}
        for key in first:  # sent twice, delivered once: the key was recognised
            posts = gateway.posts_for(key)
            assert len(posts) == 2, (key, len(posts))
            assert {p.headers["idempotency-key"] for p in posts} == {key}
        for key in later:
            assert len(gateway.posts_for(key)) == 1
        final = await rows(pg_db)
        assert all(r["recipient_enc"] == "" for r in final)
        assert {r["idem_key"]: r["attempts"] for r in final} == {
            **dict.fromkeys(first, 2),
            **dict.fromkeys(later, 1),
        }
