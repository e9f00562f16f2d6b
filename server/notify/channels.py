"""Transports: how a message leaves the server (HTTP SMS gateway, SMTP, the log).

Every transport raises ``SendError`` for a failed send and says whether trying
again can help (``permanent=False``: a timeout, a 5xx, a refused connection) or
not (``permanent=True``: the gateway refused the request itself). Each send
carries the message's idempotency key, so a resend after a crash can be
recognised by a gateway that honours it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import aiosmtplib
import httpx

from ..domain.errors import InvalidInput
from ..domain.identity import mask_phone
from ..domain.message import EMAIL, SMS
from ..settings import Settings
from .templates import Rendered

_DIGITS = re.compile(r"\d{7,}")
_ADDRESS = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")


def scrub(text: str) -> str:
    """What a gateway or mail server said, without the phone number or address it may
    echo: the reason is logged and kept in the outbox long after the recipient is gone."""
    return _ADDRESS.sub("…@…", _DIGITS.sub("…", text))


class SendError(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        reason = scrub(reason)
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One claimed outbox row, opened and rendered, ready for a transport."""

    id: str
    idem_key: str
    channel: str
    recipient: str  # in clear: only ever handed to a transport, never logged
    template: str
    lang: str
    params: Mapping[str, Any]
    rendered: Rendered


class Transport(Protocol):
    async def send(self, msg: Outgoing) -> None: ...
    async def aclose(self) -> None: ...


def mask_recipient(recipient: str) -> str:
    """What a log line may show of a phone number or an e-mail address."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    try:
        return mask_phone(recipient)
    except InvalidInput:
        # Not a mainland mobile: keep too little of it to be worth anything.
        return (
            "*" * len(recipient) if len(recipient) <= 7 else f"{recipient[:3]}***{recipient[-2:]}"
        )


def parse_templates(spec: str) -> dict[str, str]:
    """``"called=SMS_1, sign_in_code=SMS_2"`` → {"called": "SMS_1", ...}."""
    out: dict[str, str] = {}
    for item in spec.split(","):
        name, sep, gateway_id = item.partition("=")
        if not item.strip():
            continue
        if not sep or not name.strip() or not gateway_id.strip():
            raise ValueError(f"sms_templates: expected name=ID, got {item.strip()!r}")
        out[name.strip()] = gateway_id.strip()
    return out


class HttpSmsGateway:
    """A JSON POST per message; the contract is in docs/notifications.md."""

    def __init__(
        self,
        url: str,
        key: str,
        templates: Mapping[str, str],
        timeout_s: float,
        connections: int = 8,
    ) -> None:
        self._url = url
        self._key = key
        self._templates = dict(templates)
        # As many kept-alive connections as sends in flight: with fewer, every burst
        # closes and reopens the difference (httpx keeps 20 by default).
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(timeout=timeout_s, limits=limits)

    async def send(self, msg: Outgoing) -> None:
        body = {
            "template": self._templates.get(msg.template, msg.template),
            "phone": msg.recipient,
            "params": dict(msg.params),
            "idempotency_key": msg.idem_key,
            # For gateways that send free text rather than their own templates.
            "text": msg.rendered.text,
            "lang": msg.lang,
        }
        headers = {"Idempotency-Key": msg.idem_key}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        try:
            r = await self._client.post(self._url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendError(f"gateway timed out ({type(exc).__name__})", permanent=False) from exc
        except httpx.HTTPError as exc:
            raise SendError(f"gateway unreachable: {type(exc).__name__}", permanent=False) from exc
        if r.is_success:
            return
        detail = r.text[:200].replace("\n", " ")
        # 408 and 429 say "later", not "never"; every other 4xx is our request's fault.
        retry = r.status_code >= 500 or r.status_code in (408, 429)
        raise SendError(f"gateway answered {r.status_code}: {detail}", permanent=not retry)

    async def aclose(self) -> None:
        await self._client.aclose()


class SmtpMail:
    """One SMTP session per message (halls send few mails; no idle connection kept)."""

    def __init__(self, settings: Settings) -> None:
        self._s = settings

    def build(self, msg: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._s.smtp_from
        mail["To"] = msg.recipient
        mail["Subject"] = msg.rendered.subject
        mail["Date"] = formatdate(localtime=False)
        # The same key gives the same Message-ID, so a resend after a crash is a
        # duplicate that mail systems and readers can recognise.
        digest = hashlib.sha256(msg.idem_key.encode()).hexdigest()[:32]
        domain = self._s.smtp_from.rpartition("@")[2] or "onewindow"
        mail["Message-ID"] = f"<{digest}@{domain}>"
        mail.set_content(msg.rendered.text)
        return mail

    async def send(self, msg: Outgoing) -> None:
        s = self._s
        try:
            await aiosmtplib.send(
                self.build(msg),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user or None,
                password=s.smtp_password or None,
                start_tls=s.smtp_starttls,
                timeout=s.notify_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            permanent = all(code >= 500 for code in codes)
            raise SendError(f"recipient refused ({codes})", permanent=permanent) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is a refusal for good; 4xx asks to try again later.
            raise SendError(
                f"SMTP {exc.code}: {exc.message[:200]}", permanent=exc.code >= 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP failed: {type(exc).__name__}", permanent=False) from exc

    async def aclose(self) -> None:
        return None


class LogTransport:
    """The embedded default: the text goes to the server's log, the recipient masked."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger

    async def send(self, msg: Outgoing) -> None:
        self._log.info(
            "notify %s to %s [%s %s]: %s",
            msg.channel,
            mask_recipient(msg.recipient),
            msg.template,
            msg.idem_key,
            msg.rendered.text,
        )

    async def aclose(self) -> None:
        return None


def transports(
    settings: Settings, logger: logging.Logger, concurrency: int = 8
) -> dict[str, Transport]:
    """The transport of each kind of message, as the settings choose."""
    log_transport = LogTransport(logger)
    sms: Transport = log_transport
    if not settings.sms_gateway_url:
        # Right for a demo (the sign-in code is read off the log), wrong for a hall.
        logger.warning(
            "no SMS gateway (ONEWINDOW_SMS_GATEWAY_URL): text messages, sign-in codes"
            " included, are written to this log; set the gateway in production"
        )
    if settings.sms_gateway_url:
        sms = HttpSmsGateway(
            settings.sms_gateway_url,
            settings.sms_gateway_key,
            parse_templates(settings.sms_templates),
            settings.notify_timeout_s,
            concurrency,
        )
    email: Transport = SmtpMail(settings) if settings.smtp_host else log_transport
    return {SMS: sms, EMAIL: email}
