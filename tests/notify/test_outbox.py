"""The outbox on both backends: written with its transaction, sent, retried, failed."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from server.domain.message import SMS, Message
from server.notify.templates import TemplateError, check
from server.notify.worker import backoff
from server.store import outbox_sql
from server.store.store import Store
from tests.conftest import FakeClock
from tests.notify.conftest import (
    HALL,
    PHONE,
    called,
    enqueue,
    notifier,
    outbox,
    sample,
    settings_for,
)
from tests.notify.gateway import FakeGateway


async def test_sms_goes_to_the_gateway_and_the_row_keeps_no_phone(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    await enqueue(ostore, clock, called("call:t1:1"))
    [row] = await outbox(ostore)
    assert row["state"] == "pending" and PHONE not in row["recipient_enc"]
    n = notifier(ostore, settings_for(gateway), clock)
    clock.advance(seconds=1)
    assert await n.run_once() == 1
    [post] = gateway.posts
    assert post.body == {
        "template": "SMS_100",  # our "called" under the gateway's id, from the settings
        "phone": PHONE,
        "params": {"number": "A001", "window": 3},
        "idempotency_key": "call:t1:1",
        "text": "请 A001 号到 3号窗口办理",
        "lang": "zh",
    }
    assert post.headers["authorization"] == "Bearer gw-key"
    assert post.headers["idempotency-key"] == "call:t1:1"
    [row] = await outbox(ostore)
    assert row["state"] == "sent" and row["sent_at"] == clock.now
    assert row["recipient_enc"] == "" and row["attempts"] == 1 and row["last_error"] is None
    assert sample(n, "onewindow_notify_queued_total", channel="sms") == 1
    assert sample(n, "onewindow_notify_sent_total", channel="sms") == 1
    assert await n.run_once() == 0
    await n.stop()


async def test_template_without_a_gateway_id_goes_under_its_own_name(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    m = Message(SMS, PHONE, "advance_notice", {"hall": "市民中心", "number": "A009", "ahead": 3},
                "adv:t9", "en", HALL)  # fmt: skip
    await enqueue(ostore, clock, m)
    n = notifier(ostore, settings_for(gateway), clock)
    assert await n.run_once() == 1
    body = gateway.posts[0].body
    assert body["template"] == "advance_notice" and body["lang"] == "en"
    assert body["text"] == (
        "市民中心: ticket A009, 3 people ahead of you. Please come back to the hall."
    )
    await n.stop()


async def test_log_channel_is_the_default_and_masks_the_phone(
    ostore: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    code = Message(SMS, PHONE, "sign_in_code", {"code": "482913", "minutes": 5}, "code:1")
    await enqueue(ostore, clock, code)
    n = notifier(ostore, settings_for(), clock)
    with caplog.at_level(logging.INFO, logger="onewindow.notify"):
        assert await n.run_once() == 1
    ours = [r for r in caplog.records if r.name == "onewindow.notify"]
    # Without a gateway, the log says loudly that texts (codes included) land there.
    assert any(r.levelno == logging.WARNING and "no SMS gateway" in r.getMessage() for r in ours)
    [line] = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert "138****5678" in line
    assert "您的登录验证码是 482913，5 分钟内有效" in line
    assert all(PHONE not in r.getMessage() for r in caplog.records)
    [row] = await outbox(ostore)
    assert row["state"] == "sent" and row["recipient_enc"] == ""
    await n.stop()


async def test_gateway_500_is_retried_with_backoff_then_failed(
    ostore: Store, clock: FakeClock, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.mode = "fail"
    await enqueue(ostore, clock, called("call:t2:1"))
    n = notifier(ostore, settings_for(gateway, notify_max_attempts=3), clock)
    start = clock.now
    for attempt in (1, 2):
        assert await n.run_once() == 1
        [row] = await outbox(ostore)
        assert row["state"] == "pending" and row["attempts"] == attempt
        assert "500" in row["last_error"] and row["claimed_until_at"] is None
        assert row["next_at"] == clock.now + backoff(row["id"], attempt)
        # 5 s, then 10 s, less up to a fifth of jitter
        expected = 5.0 * 2 ** (attempt - 1)
        assert 0.8 * expected <= (row["next_at"] - clock.now).total_seconds() <= expected
        assert await n.run_once() == 0  # not due yet
        clock.now = row["next_at"]
    assert await n.run_once() == 1
    [row] = await outbox(ostore)
    assert row["state"] == "failed" and row["attempts"] == 3 and row["recipient_enc"] == ""
    assert row["last_error"].startswith("gateway answered 500")
    assert len(gateway.posts) == 3 and not gateway.delivered
    assert {p.body["idempotency_key"] for p in gateway.posts} == {"call:t2:1"}
    assert clock.now > start
    assert sample(n, "onewindow_notify_retried_total", channel="sms") == 2
    assert sample(n, "onewindow_notify_failed_total", channel="sms") == 1
    assert sample(n, "onewindow_notify_queued_total", channel="sms") == 1
    assert all(PHONE not in r.getMessage() for r in caplog.records)
    assert any("failed for good" in r.getMessage() for r in caplog.records)
    await n.stop()


async def test_gateway_4xx_fails_at_once(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    gateway.mode = "reject"
    await enqueue(ostore, clock, called("call:t3:1"))
    n = notifier(ostore, settings_for(gateway), clock)
    assert await n.run_once() == 1
    [row] = await outbox(ostore)
    assert row["state"] == "failed" and row["attempts"] == 1
    assert row["last_error"].startswith("gateway answered 400")
    await n.stop()


def test_a_template_is_checked_before_it_is_queued() -> None:
    """Use cases check their template and parameters before queueing, so a mistake fails
    the change that caused it rather than a send long after."""
    with pytest.raises(TemplateError):
        check("no_such", {})
    with pytest.raises(TemplateError):  # a parameter too few
        check("called", {"number": "A001"})
    with pytest.raises(TemplateError):  # one too many: parameters go to the gateway as they are
        check("called", {"number": "A001", "window": 3, "phone": "13800001234"})
    check("called", {"number": "A001", "window": 3})


async def test_unknown_template_in_a_row_fails_without_a_send(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    # A row an older version queued, whose template has since gone.
    async with ostore.db.transaction() as c:
        await outbox_sql.insert(c, ostore.sealer, [Message(SMS, PHONE, "no_such", {}, "bad:1")],
                                clock.now)  # fmt: skip
    n = notifier(ostore, settings_for(gateway), clock)
    assert await n.run_once() == 1
    [row] = await outbox(ostore)
    assert row["state"] == "failed" and "no_such" in row["last_error"]
    assert not gateway.posts
    await n.stop()


async def test_hanging_gateway_times_out_and_others_still_go_out(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    slow = "13900000000"
    gateway.modes[slow] = "hang"
    await enqueue(ostore, clock, called("hang:1", phone=slow),
                  *(called(f"ok:{i}", number=f"A00{i}") for i in range(5)))  # fmt: skip
    n = notifier(ostore, settings_for(gateway, notify_timeout_s=0.5), clock)
    assert await n.run_once() == 6
    assert set(gateway.delivered) == {f"ok:{i}" for i in range(5)}
    rows = {r["idem_key"]: r for r in await outbox(ostore)}
    assert rows["hang:1"]["state"] == "pending"
    assert rows["hang:1"]["last_error"] == "no answer within 0.5 s"
    assert all(rows[f"ok:{i}"]["state"] == "sent" for i in range(5))
    await n.stop()


async def test_running_worker_is_not_stuck_behind_a_hanging_send(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    slow = "13900000000"
    gateway.modes[slow] = "hang"
    n = notifier(ostore, settings_for(gateway, notify_timeout_s=3.0, notify_poll_s=30), clock)
    await n.start()
    await enqueue(ostore, clock, called("hang:2", phone=slow))
    n.wake()
    await gateway.wait_for(lambda: len(gateway.posts) == 1)
    # The hanging send holds one slot; a message committed now goes out at once,
    # while that send is still waiting for its answer.
    await enqueue(ostore, clock, called("ok:after"))
    n.wake()
    sent = lambda: sample(n, "onewindow_notify_sent_total", channel="sms") == 1  # noqa: E731
    await gateway.wait_for(sent, timeout=2)
    rows = {r["idem_key"]: r for r in await outbox(ostore)}
    assert rows["ok:after"]["state"] == "sent"
    assert rows["hang:2"]["last_error"] is None and rows["hang:2"]["claimed_until_at"]
    # Stopping waits for the hanging send only as long as its timeout.
    await asyncio.wait_for(n.stop(), timeout=6)
    rows = {r["idem_key"]: r for r in await outbox(ostore)}
    assert rows["ok:after"]["state"] == "sent"
    assert rows["hang:2"]["state"] == "pending" and "no answer" in rows["hang:2"]["last_error"]


async def test_rolled_back_transaction_leaves_no_message(ostore: Store, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        async with ostore.write(HALL, clock.now) as tx:
            tx.notify(called("call:rollback"))
            raise RuntimeError("the use case failed after asking for the message")
    assert await outbox(ostore) == []


async def test_repeated_idempotency_key_is_one_message(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    await enqueue(ostore, clock, called("call:t4:1"))
    await enqueue(ostore, clock, called("call:t4:1"), called("call:t4:1"))
    assert len(await outbox(ostore)) == 1
    n = notifier(ostore, settings_for(gateway), clock)
    assert await n.run_once() == 1
    assert len(gateway.posts) == 1
    await n.stop()


async def test_claim_of_a_dead_worker_runs_out_and_the_resend_keeps_the_key(
    ostore: Store, clock: FakeClock, gateway: FakeGateway
) -> None:
    await enqueue(ostore, clock, called("call:t5:1"))
    dead = notifier(ostore, settings_for(gateway), clock)
    claimed = await dead._claim(10)  # claimed, then the process died before sending
    assert [m.idem_key for m in claimed] == ["call:t5:1"]
    other = notifier(ostore, settings_for(gateway), clock)
    assert await other.run_once() == 0  # still leased
    clock.now += other.lease
    assert await other.run_once() == 1
    [row] = await outbox(ostore)
    assert row["state"] == "sent" and row["attempts"] == 2
    assert gateway.posts[0].headers["idempotency-key"] == "call:t5:1"
    assert (
        sample(other, "onewindow_notify_queued_total", channel="sms") == 0
    )  # counted once, by the first claim
    await other.stop()
    await dead.stop()


async def test_backlog_metrics(ostore: Store, clock: FakeClock) -> None:
    n = notifier(ostore, settings_for(), clock)
    await n.refresh_stats()
    assert sample(n, "onewindow_notify_outbox_age_seconds") == 0
    await enqueue(ostore, clock, called("m:1"))
    clock.advance(seconds=30)
    await enqueue(ostore, clock, called("m:2"), Message("email", "a@b.cn", "called",
                  {"number": "A1", "window": 1}, "m:3"))  # fmt: skip
    clock.advance(seconds=12)
    await n.refresh_stats()
    assert sample(n, "onewindow_notify_outbox_age_seconds") == 42
    assert sample(n, "onewindow_notify_pending", channel="sms") == 2
    assert sample(n, "onewindow_notify_pending", channel="email") == 1
    assert await n.run_once() == 3
    await n.refresh_stats()
    assert sample(n, "onewindow_notify_pending", channel="sms") == 0
    assert sample(n, "onewindow_notify_outbox_age_seconds") == 0
    await n.stop()


def test_backoff_doubles_up_to_a_cap() -> None:
    delays = [backoff("m", a).total_seconds() for a in range(1, 12)]
    for a, d in enumerate(delays, start=1):
        full = min(5.0 * 2 ** (a - 1), 1800.0)
        assert 0.8 * full <= d <= full
    assert backoff("m", 3) == backoff("m", 3)  # the jitter is the message's own
    assert len({backoff(f"m{i}", 3) for i in range(20)}) > 10
    assert timedelta(seconds=1440) <= backoff("m", 40) <= timedelta(seconds=1800)
