"""A store of the test's own (the outbox is read whole), a local SMS gateway, a notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest

from server.domain.message import SMS, Message
from server.metrics import Metrics
from server.notify.worker import Notifier
from server.settings import Settings
from server.store.store import Store
from tests.conftest import FakeClock
from tests.notify.gateway import FakeGateway

SECRET = b"notify-test-secret"
PHONE = "13812345678"
HALL = "h-notify"  # the outbox needs no hall row; the id only labels the message


@pytest.fixture
async def ostore(own_db_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(own_db_url, SECRET)
    await s.open()
    yield s
    await s.close()


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as gw:
        yield gw


def settings_for(gw: FakeGateway | None = None, **kw: Any) -> Settings:
    base = Settings(secret="x", notify_timeout_s=2.0, notify_max_attempts=3, notify_poll_s=0.05)
    if gw is not None:
        base = replace(
            base,
            sms_gateway_url=gw.url,
            sms_gateway_key="gw-key",
            sms_templates="called=SMS_100, sign_in_code=SMS_200",
        )
    return replace(base, **kw)


def called(key: str, phone: str = PHONE, number: str = "A001", window: int = 3) -> Message:
    return Message(SMS, phone, "called", {"number": number, "window": window}, key, "zh", HALL)


async def enqueue(store: Store, clock: FakeClock, *messages: Message) -> None:
    async with store.write(HALL, clock.now) as tx:
        for m in messages:
            tx.notify(m)


async def outbox(store: Store) -> list[dict[str, Any]]:
    async with store.db.reader() as c:
        return [dict(r) for r in await c.fetch("SELECT * FROM outbox ORDER BY created_at, id")]


def notifier(store: Store, settings: Settings, clock: FakeClock, **kw: Any) -> Notifier:
    return Notifier(store, settings, Metrics(), clock, **kw)


def sample(n: Notifier, name: str, **labels: str) -> float:
    value = n.metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else float(value)
