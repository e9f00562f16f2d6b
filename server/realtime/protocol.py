"""The WebSocket wire protocol: message shapes, topics and close codes (docs/protocol.md).

Close codes tell a client what to do next:

    1000  normal closure               the client asked; do not reconnect
    1009  message too big              a client bug; reconnect, never resend that message
    1012  service restart              reconnect with back-off and resume
    1013  try again later              a sign-in could not be checked now; back off, retry
    4000  bad message                  a client bug; do not retry the same message
    4001  unauthorized                 sign in again, then reconnect
    4002  idle                         reconnect only with a topic to follow or a token
    4008  too slow                     reconnect now and resume from your position
    4013  too many connections         this address holds its share; back off, retry
    4029  too many subscriptions       older servers only (now an error reply)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.errors import InvalidInput


class CloseCode(IntEnum):
    NORMAL = 1000
    MESSAGE_TOO_BIG = 1009  # the standard code; the WebSocket layer sends it for a big frame
    SERVICE_RESTART = 1012
    # The standard "try again later": a sign-in could not be checked (the database is
    # down), which must not read as a bad token (4001, after which clients give up).
    TRY_AGAIN_LATER = 1013
    BAD_MESSAGE = 4000
    UNAUTHORIZED = 4001
    IDLE = 4002  # neither signed in nor subscribed, and silent
    TOO_SLOW = 4008
    TOO_MANY_CONNECTIONS = 4013  # mirrors 1013: the address holds its share of connections
    TOO_MANY_SUBSCRIPTIONS = 4029  # sent by older servers; now an error reply


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(_Msg):
    epoch: str = Field(max_length=64)
    seq: int = Field(ge=0)


class Subscribe(_Msg):
    op: Literal["subscribe"]
    topic: str = Field(max_length=128)
    since: Position | None = None
    token: str | None = Field(default=None, max_length=256,
                              description="a ticket's token, or a rating pad's key")


class Unsubscribe(_Msg):
    op: Literal["unsubscribe"]
    topic: str = Field(max_length=128)


class Auth(_Msg):
    op: Literal["auth"]
    token: str = Field(max_length=1024)


class Ping(_Msg):
    op: Literal["ping"]


class Command(_Msg):
    """A console command; answered by a reply with the same ``ref``."""

    op: Literal[
        "open", "close", "pause", "resume", "call_next", "recall", "no_show",
        "call_back", "start", "finish", "transfer",
    ]  # fmt: skip
    ref: int | str
    # A command id the console keeps across retries: a command arriving again
    # with the same id at the same window is answered, not run again.
    cid: str | None = Field(default=None, min_length=8, max_length=64)
    window: str = Field(max_length=64)
    ticket: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=8)
    target_window: str | None = Field(default=None, max_length=64)
    keep_place: bool = True
    reason: str | None = Field(default=None, max_length=200)


ClientMessage = Subscribe | Unsubscribe | Auth | Ping | Command
_PARSERS: dict[str, type[_Msg]] = {
    "subscribe": Subscribe,
    "unsubscribe": Unsubscribe,
    "auth": Auth,
    "ping": Ping,
}


def parse(text: str) -> ClientMessage:
    """Decode one client frame; raises InvalidInput with a code the client can act on."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("bad_json", "the message is not JSON", "消息不是有效的 JSON") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("op"), str):
        raise InvalidInput("bad_message", "a message needs an op", "消息缺少 op 字段")
    model = _PARSERS.get(raw["op"], Command)
    try:
        msg = model.model_validate(raw)
    except ValueError as exc:
        raise InvalidInput(
            "bad_message", f"malformed {raw['op']!r} message", f"消息 {raw['op']} 格式不正确"
        ) from exc
    return msg  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Topic:
    kind: Literal["hall", "window", "ticket", "dept", "pad"]
    key: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> Topic:
        kind, sep, key = text.partition(":")
        if not sep or not key or kind not in ("hall", "window", "ticket", "dept", "pad"):
            raise InvalidInput(
                "bad_topic",
                "topics are hall:{hall}, window:{window}, ticket:{ticket}, dept:{department}"
                " or pad:{window}",
                "主题应为 hall:、window:、ticket:、dept: 或 pad: 加编号",
            )
        return cls(kind, key)  # type: ignore[arg-type]


# What a window's rating pad (topic pad:{window}) is told: the window's finishes, the
# clerk's 请评价, that a rating was made, and the window's own changes (the clerk's name).
PAD_TYPES = frozenset({"ticket.finished", "rating.prompt", "rating.recorded", "window.opened",
                       "window.closed", "window.paused", "window.resumed"})  # fmt: skip


def pad_topic(event_type: str, data: dict[str, Any]) -> str | None:
    """The pad topic an event of a hall's stream also goes to, if any."""
    window = data.get("window")
    if event_type in PAD_TYPES and isinstance(window, str):
        return f"pad:{window}"
    return None


def revoked_pad(event_type: str, data: dict[str, Any]) -> str | None:
    """The pad topic whose subscribers are cut off by this event (a pad re-paired or
    unpaired: the key they subscribed with no longer holds), if any."""
    window = data.get("window")
    if event_type == "pad.revoked" and isinstance(window, str):
        return f"pad:{window}"
    return None


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)
