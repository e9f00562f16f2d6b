"""A message to one citizen, as a use case asks for it inside its transaction (the
notifier in server/notify/ sends it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SMS = "sms"
EMAIL = "email"
KINDS = (SMS, EMAIL)


@dataclass(frozen=True, slots=True)
class Message:
    kind: str  # sms | email: what the recipient is; settings pick the transport
    recipient: str  # a phone number or an e-mail address, sealed when stored
    template: str  # a name in notify/templates.py
    # Goes into the text as it is: masked data only, never a full ID or phone number.
    params: dict[str, Any] = field(default_factory=dict)
    # One message per key: a use case that runs twice for one cause enqueues it once,
    # and the gateway is given the key so a resend after a crash is not a second SMS.
    idem_key: str = ""
    lang: str = "zh"
    hall_id: str | None = None
