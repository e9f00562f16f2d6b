"""The matters catalog (事项) in SQL: the SQL both dialects share.

A row keeps the name, the pinyin initials and the enabled flag in columns of
their own (what a listing filters and searches on) and the rest of the matter
as the JSON ``matter_json`` writes, read back through ``parse_matter``.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..domain.matter import Matter, matter_json, parse_matter
from .db import Conn, Row

_COLUMNS = "hall_id, code, name, initials, spec, enabled"


async def save(c: Conn, m: Matter, now: datetime) -> bool:
    """Insert the matter, or replace the one of that hall and code; True when inserted.

    Insert-or-nothing first, then an update: the unique key decides which, so two
    concurrent saves of a new code make one insert and one replace, never two inserts."""
    args = (m.hall_id, m.code, m.name, m.initials,
            json.dumps(matter_json(m), ensure_ascii=False), int(m.enabled), now)  # fmt: skip
    inserted = await c.fetchval(
        "INSERT INTO matters (hall_id, code, name, initials, spec, enabled, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hall_id, code) DO NOTHING"
        " RETURNING code",
        *args,
    )
    if inserted is not None:
        return True
    await c.execute(
        "UPDATE matters SET name = $3, initials = $4, spec = $5, enabled = $6, updated_at = $7"
        " WHERE hall_id = $1 AND code = $2",
        *args,
    )
    return False


async def get(c: Conn, hall_id: str, code: str, *, lock: str = "") -> Matter | None:
    """One matter, disabled or not; ``lock`` is the dialect's row lock, when writing."""
    r = await c.fetchrow(
        f"SELECT {_COLUMNS} FROM matters WHERE hall_id = $1 AND code = $2 {lock}", hall_id, code
    )
    return None if r is None else _row(r)


async def of_hall(c: Conn, hall_id: str, *, enabled_only: bool) -> list[Matter]:
    only = " AND enabled = 1" if enabled_only else ""
    found = await c.fetch(f"SELECT {_COLUMNS} FROM matters WHERE hall_id = $1{only}", hall_id)
    return _by_code(found)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern's literal part (the queries say ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(c: Conn, hall_id: str, q: str, *, enabled_only: bool = True) -> list[Matter]:
    """Matters whose name or pinyin initials contain ``q`` (a citizen types "sfz" for
    居民身份证换领 too), or whose code starts with it; case-insensitive, by code. ``q`` is
    matched as typed: no wildcards."""
    only = " AND enabled = 1" if enabled_only else ""
    text = _like(q.lower())
    # lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM matters WHERE hall_id = $1{only}"
        " AND (lower(name) LIKE $2 ESCAPE '\\' OR initials LIKE $2 ESCAPE '\\'"
        "      OR lower(code) LIKE $3 ESCAPE '\\')",
        hall_id, f"%{text}%", f"{text}%",
    )  # fmt: skip
    return _by_code(found)


async def delete(c: Conn, hall_id: str, code: str) -> bool:
    gone = await c.fetchval(
        "DELETE FROM matters WHERE hall_id = $1 AND code = $2 RETURNING code", hall_id, code
    )
    return gone is not None


async def in_use(c: Conn, hall_id: str, code: str) -> bool:
    """Whether any case, of any state, names the matter (its row must then stay)."""
    # No index leads with the matter: a scan of the hall's cases, for a rare admin action.
    found = await c.fetchval(
        "SELECT 1 FROM cases WHERE hall_id = $1 AND matter = $2"
        " UNION ALL SELECT 1 FROM applications WHERE hall_id = $1 AND matter = $2 LIMIT 1",
        hall_id, code,
    )  # fmt: skip
    return found is not None


def _by_code(found: list[Row]) -> list[Matter]:
    # Sorted here, not by ORDER BY: a PostgreSQL database's collation (en_US, zh_CN ...)
    # would order codes differently from SQLite's bytes, and from one server to the next.
    return sorted(map(_row, found), key=lambda m: m.code)


def _row(r: Row) -> Matter:
    # The columns are what listings filter on: they win over the copy inside the spec.
    spec = {**json.loads(r["spec"]), "name": r["name"], "enabled": bool(r["enabled"])}
    return parse_matter(r["hall_id"], r["code"], spec, initials=r["initials"])
