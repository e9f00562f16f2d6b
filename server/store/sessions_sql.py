"""Staff sign-in sessions in SQL: a token is good while its row is neither revoked nor expired."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from .db import Conn


async def create(c: Conn, sid: str, user_id: str, now: datetime, expires: datetime) -> None:
    await c.execute(
        "INSERT INTO staff_sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        sid,
        user_id,
        now,
        expires,
    )


async def revoke(c: Conn, sid: str, now: datetime) -> None:
    await c.execute(
        "UPDATE staff_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", sid, now
    )


async def revoke_user(c: Conn, user_id: str, now: datetime, *, except_sid: str = "") -> None:
    await c.execute(
        "UPDATE staff_sessions SET revoked_at = $2"
        " WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3",
        user_id,
        now,
        except_sid,
    )


async def live(c: Conn, sid: str) -> bool:
    """The session exists, is not revoked, and its user is enabled."""
    found = await c.fetchval(
        "SELECT 1 FROM staff_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = $1 AND s.revoked_at IS NULL AND u.enabled = 1",
        sid,
    )
    return found is not None


async def dead_among(c: Conn, sids: Collection[str]) -> set[str]:
    """Which of these sessions may no longer act (revoked, unknown, or user disabled)."""
    if not sids:
        return set()
    ordered = sorted(sids)
    marks = ", ".join(f"${i}" for i in range(1, len(ordered) + 1))
    found = await c.fetch(
        "SELECT s.id FROM staff_sessions s JOIN users u ON u.id = s.user_id"
        f" WHERE s.id IN ({marks}) AND s.revoked_at IS NULL AND u.enabled = 1",
        *ordered,
    )
    return set(ordered) - {r["id"] for r in found}


async def purge(c: Conn, before: datetime) -> None:
    """Sessions that ended long ago are kept for nothing (the audit log has the sign-ins)."""
    await c.execute("DELETE FROM staff_sessions WHERE expires_at < $1", before)
