"""The notification outbox's SQL: rows written inside the causing transaction, then
claimed, sent and marked by the worker (server/notify/worker.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..crypto import Sealer
from ..domain.message import Message
from .db import Conn, Dialect, Row

RECIPIENT = "outbox.recipient"  # what a sealed recipient is bound to
# Sealed too: a sign-in code is a credential for its five minutes, and a database dump
# must not hand it (or who was texted what) to its reader.
PARAMS = "outbox.params"


async def insert(c: Conn, sealer: Sealer, messages: Sequence[Message], now: datetime) -> None:
    """Queue messages; one whose key is already queued (a repeated cause) is skipped."""
    for m in messages:
        await c.execute(
            "INSERT INTO outbox (id, idem_key, hall_id, channel, recipient_enc, template, lang,"
            " params, state, attempts, created_at, next_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9)"
            " ON CONFLICT (idem_key) DO NOTHING",
            uuid.uuid4().hex,
            m.idem_key or uuid.uuid4().hex,
            m.hall_id,
            m.kind,
            sealer.seal(m.recipient, RECIPIENT),
            m.template,
            m.lang,
            sealer.seal(json.dumps(m.params, ensure_ascii=False, sort_keys=True), PARAMS),
            now,
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    idem_key: str
    channel: str
    recipient_enc: str
    template: str
    lang: str
    params_enc: str  # sealed JSON
    attempts: int  # counting this one: a send is counted when it is claimed


@dataclass(frozen=True, slots=True)
class Backlog:
    pending: dict[str, int]  # by channel
    oldest: datetime | None  # created_at of the oldest pending message


async def claim(
    c: Conn, dialect: Dialect, now: datetime, until: datetime, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due messages for this worker until ``until``.

    Oldest first; a claim is a lease, so the messages of a worker that died come
    back when it runs out. On PostgreSQL, rows another worker is claiming right now
    are skipped, not waited for. The attempt is counted here, at the claim, so a
    message that kills its sender cannot be retried without end.
    """
    found = await c.fetch(
        "UPDATE outbox SET claimed_until_at = $2, attempts = attempts + 1 WHERE id IN"
        " (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $1"
        "  AND (claimed_until_at IS NULL OR claimed_until_at <= $1)"
        f"  ORDER BY next_at LIMIT $3 {dialect.skip_locked})"
        " RETURNING id, idem_key, channel, recipient_enc, template, lang, params, attempts,"
        " next_at",
        now,
        until,
        limit,
    )
    return [_claimed(r) for r in sorted(found, key=lambda r: r["next_at"])]


def _claimed(r: Row) -> Claimed:
    return Claimed(
        r["id"], r["idem_key"], r["channel"], r["recipient_enc"], r["template"], r["lang"],
        r["params"], int(r["attempts"]),
    )  # fmt: skip


async def mark_sent(c: Conn, message_ids: Sequence[str], now: datetime) -> None:
    """Delivered: the recipient is no longer needed, so it is not kept."""
    if not message_ids:
        return
    marks = ", ".join(f"${i}" for i in range(2, 2 + len(message_ids)))
    await c.execute(
        "UPDATE outbox SET state = 'sent', sent_at = $1, recipient_enc = '',"
        f" claimed_until_at = NULL, last_error = NULL WHERE id IN ({marks})"
        " AND state = 'pending'",
        now,
        *message_ids,
    )


async def mark_retry(c: Conn, message_id: str, next_at: datetime, error: str) -> None:
    await c.execute(
        "UPDATE outbox SET next_at = $2, claimed_until_at = NULL, last_error = $3"
        " WHERE id = $1 AND state = 'pending'",
        message_id,
        next_at,
        error,
    )


async def mark_failed(c: Conn, message_id: str, error: str) -> None:
    """Given up: the reason is kept, the recipient is not."""
    await c.execute(
        "UPDATE outbox SET state = 'failed', recipient_enc = '', claimed_until_at = NULL,"
        " last_error = $2 WHERE id = $1 AND state = 'pending'",
        message_id,
        error,
    )


async def backlog(c: Conn) -> Backlog:
    """Pending messages per channel and the oldest one's age: what metrics show."""
    found = await c.fetch(
        "SELECT channel, count(*) AS n, min(created_at) AS oldest_at FROM outbox"
        " WHERE state = 'pending' GROUP BY channel"
    )
    oldest = [r["oldest_at"] for r in found if r["oldest_at"] is not None]
    return Backlog({r["channel"]: int(r["n"]) for r in found}, min(oldest) if oldest else None)


async def purge(c: Conn, before: datetime) -> int:
    """Forget messages sent or failed before ``before``; returns how many."""
    n = await c.fetchval(
        "SELECT count(*) FROM outbox WHERE state <> 'pending' AND created_at < $1", before
    )
    if n:
        await c.execute("DELETE FROM outbox WHERE state <> 'pending' AND created_at < $1", before)
    return int(n)
