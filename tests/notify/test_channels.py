"""Transports against real servers: SMTP (aiosmtpd) and the HTTP gateway's error classes."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from server.domain.message import EMAIL, Message
from server.notify.channels import (
    HttpSmsGateway,
    Outgoing,
    SendError,
    mask_recipient,
    parse_templates,
)
from server.notify.templates import render
from server.store.store import Store
from tests.conftest import FakeClock
from tests.notify.conftest import enqueue, notifier, outbox, sample, settings_for
from tests.notify.gateway import FakeGateway
from tests.system.server_proc import free_port


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_mail_reaches_a_real_smtp_server(
    ostore: Store, clock: FakeClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    params = {"hall": "市民中心", "number": "B012", "service": "社保", "ahead": 4}
    await enqueue(ostore, clock, Message(EMAIL, "citizen@example.cn", "ticket_issued", params,
                                         "issued:t7", "zh", "h1"))  # fmt: skip
    settings = settings_for(smtp_host="127.0.0.1", smtp_port=port, smtp_from="hall@onewindow.cn")
    n = notifier(ostore, settings, clock)
    assert await n.run_once() == 1
    [(sender, to, raw)] = inbox.mails
    assert sender == "hall@onewindow.cn" and to == ["citizen@example.cn"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "取号成功 B012"
    body = mail.get_body()
    assert body is not None
    assert "您已取号 B012（社保），前面还有 4 人" in body.get_content()
    message_id = mail["Message-ID"]
    assert message_id.endswith("@onewindow.cn>")
    [row] = await outbox(ostore)
    assert row["state"] == "sent" and row["recipient_enc"] == ""
    assert sample(n, "onewindow_notify_sent_total", channel="email") == 1
    await n.stop()


async def test_unreachable_smtp_server_is_retried(ostore: Store, clock: FakeClock) -> None:
    await enqueue(ostore, clock, Message(EMAIL, "a@b.cn", "called", {"number": "A1", "window": 2},
                                         "m:1"))  # fmt: skip
    n = notifier(ostore, settings_for(smtp_host="127.0.0.1", smtp_port=free_port()), clock)
    assert await n.run_once() == 1
    [row] = await outbox(ostore)
    assert row["state"] == "pending" and row["last_error"].startswith("SMTP failed")
    await n.stop()


def _outgoing(key: str) -> Outgoing:
    params = {"number": "A001", "window": 3}
    return Outgoing("id1", key, "sms", "13812345678", "called", "zh", params,
                    render("called", "zh", params))  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "permanent", "reason"),
    [("fail", False, "gateway answered 500"), ("reject", True, "gateway answered 400")],
)
async def test_gateway_error_classes(mode: str, permanent: bool, reason: str) -> None:
    with FakeGateway(mode) as gw:
        gateway = HttpSmsGateway(gw.url, "", {}, 2.0)
        with pytest.raises(SendError) as err:
            await gateway.send(_outgoing("k"))
        await gateway.aclose()
    assert err.value.permanent is permanent and err.value.reason.startswith(reason)
    assert "authorization" not in gw.posts[0].headers  # no key configured, none sent


async def test_gateway_unreachable_is_retried() -> None:
    gateway = HttpSmsGateway(f"http://127.0.0.1:{free_port()}/sms", "k", {}, 2.0)
    with pytest.raises(SendError) as err:
        await gateway.send(_outgoing("k"))
    await gateway.aclose()
    assert not err.value.permanent and "unreachable" in err.value.reason


def test_same_key_same_message_id() -> None:
    from server.notify.channels import SmtpMail

    mail = SmtpMail(settings_for(smtp_host="x", smtp_from="a@hall.cn"))
    one, two, other = (mail.build(_outgoing(k)) for k in ("k1", "k1", "k2"))
    assert one["Message-ID"] == two["Message-ID"] != other["Message-ID"]


def test_parse_templates() -> None:
    assert parse_templates("") == {}
    assert parse_templates("called=SMS_1, sign_in_code = SMS_2,") == {
        "called": "SMS_1",
        "sign_in_code": "SMS_2",
    }
    with pytest.raises(ValueError, match="name=ID"):
        parse_templates("called")


def test_mask_recipient() -> None:
    assert mask_recipient("13812345678") == "138****5678"
    assert mask_recipient("+86 138-1234-5678") == "138****5678"
    assert mask_recipient("zhang.san@example.cn") == "z***@example.cn"
    assert mask_recipient("12345") == "*****"
    assert "12345678901" not in mask_recipient("0012345678901")


def test_what_a_gateway_echoes_loses_numbers_and_addresses() -> None:
    """A refusal reason is logged and kept after the recipient is blanked: it must not
    carry the phone number or the address a gateway or mail server echoed back."""
    err = SendError("gateway answered 400: invalid mobile 13800001234 for <zhang@example.cn>",
                    permanent=True)  # fmt: skip
    assert "13800001234" not in err.reason and "zhang@example.cn" not in err.reason
    assert err.reason.startswith("gateway answered 400: invalid mobile")
