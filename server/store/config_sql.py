"""The hall's configuration in SQL: halls, services, windows, departments, staff.

Plain functions over a connection, so one transaction can change several of
them together with their audit rows and events (an import, a user's scope).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from ..domain.model import Department, DepartmentKind, Hall, Service, User, Window
from . import rows
from .db import Conn, Dialect


async def insert_hall(c: Conn, h: Hall, now: datetime) -> None:
    """A hall and its event stream, which every later change appends to."""
    await c.execute(
        "INSERT INTO halls (id, name, tz, hours, calendar, created_at, region_code,"
        " notify_issued, advance_notice, green_pin_hash) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " $8, $9, $10)",
        h.id, h.name, h.tz, json.dumps(h.hours), json.dumps(h.calendar), now, h.region_code,
        h.notify_issued, h.advance_notice, h.green_pin_hash,
    )  # fmt: skip
    await c.execute(
        "INSERT INTO hall_streams (hall_id, epoch, last_seq) VALUES ($1, $2, 0)",
        h.id,
        secrets.token_hex(8),
    )


async def hall(c: Conn, hall_id: str, lock: str = "") -> Hall | None:
    r = await c.fetchrow(f"SELECT * FROM halls WHERE id = $1 {lock}", hall_id)
    return None if r is None else rows.hall(r)


async def save_hall(c: Conn, h: Hall) -> None:
    await c.execute(
        "UPDATE halls SET name = $2, tz = $3, hours = $4, calendar = $5, region_code = $6,"
        " notify_issued = $7, advance_notice = $8, green_pin_hash = $9 WHERE id = $1",
        h.id, h.name, h.tz, json.dumps(h.hours), json.dumps(h.calendar), h.region_code,
        h.notify_issued, h.advance_notice, h.green_pin_hash,
    )  # fmt: skip


async def service_rows(c: Conn, hall_id: str) -> list[Service]:
    found = await c.fetch(
        "SELECT * FROM services WHERE hall_id = $1 AND retired = 0 ORDER BY code", hall_id
    )
    return [rows.service(r) for r in found]


async def save_service(c: Conn, s: Service, *, insert: bool) -> None:
    args = (s.hall_id, s.code, s.name, s.name_en, s.avg_service_s,
            ",".join(ch.value for ch in s.channels), s.daily_quota,
            json.dumps(s.booking.to_json()) if s.booking else None)  # fmt: skip
    if insert:
        # A code deleted before comes back to life: its old tickets still point at it.
        await c.execute(
            "INSERT INTO services (hall_id, code, name, name_en, avg_service_s, channels,"
            " daily_quota, booking, retired) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)"
            " ON CONFLICT (hall_id, code) DO UPDATE SET name = excluded.name,"
            " name_en = excluded.name_en, avg_service_s = excluded.avg_service_s,"
            " channels = excluded.channels, daily_quota = excluded.daily_quota,"
            " booking = excluded.booking, retired = 0",
            *args,
        )
    else:
        await c.execute(
            "UPDATE services SET name = $3, name_en = $4, avg_service_s = $5, channels = $6,"
            " daily_quota = $7, booking = $8 WHERE hall_id = $1 AND code = $2",
            *args,
        )


async def retire_service(c: Conn, hall_id: str, code: str) -> None:
    await c.execute(
        "UPDATE services SET retired = 1 WHERE hall_id = $1 AND code = $2", hall_id, code
    )


async def service_use(c: Conn, hall_id: str, code: str) -> tuple[int, list[int]]:
    """Tickets waiting for a service, and the numbers of the windows serving it."""
    waiting = await c.fetchval(
        "SELECT count(*) FROM tickets WHERE hall_id = $1 AND service = $2"
        " AND state IN ('waiting', 'called', 'serving', 'no_show')",
        hall_id,
        code,
    )
    found = await c.fetch(
        "SELECT w.number FROM windows w JOIN window_services s ON s.window_id = w.id"
        " WHERE s.hall_id = $1 AND s.service_code = $2 ORDER BY w.number",
        hall_id,
        code,
    )
    return int(waiting), [int(r["number"]) for r in found]


async def window_rows(c: Conn, dialect: Dialect, hall_id: str) -> list[Window]:
    found = await c.fetch(
        f"{rows.window_select(dialect)} WHERE hall_id = $1 ORDER BY number", hall_id
    )
    return [rows.window_row(r) for r in found]


async def number_taken(c: Conn, hall_id: str, number: int, other_than: str) -> bool:
    found = await c.fetchval(
        "SELECT id FROM windows WHERE hall_id = $1 AND number = $2 AND id <> $3",
        hall_id,
        number,
        other_than,
    )
    return found is not None


async def save_window(c: Conn, w: Window, *, insert: bool) -> None:
    if insert:
        await c.execute(
            "INSERT INTO windows (id, hall_id, number, name, state, priority_streak,"
            " department_id) VALUES ($1, $2, $3, $4, $5, 0, $6)",
            w.id, w.hall_id, w.number, w.name, w.state.value, w.department_id,
        )  # fmt: skip
    else:
        await c.execute(
            "UPDATE windows SET number = $2, name = $3, department_id = $4 WHERE id = $1",
            w.id,
            w.number,
            w.name,
            w.department_id,
        )
        await c.execute("DELETE FROM window_services WHERE window_id = $1", w.id)
    for code in w.services:
        await c.execute(
            "INSERT INTO window_services (window_id, hall_id, service_code) VALUES ($1, $2, $3)",
            w.id,
            w.hall_id,
            code,
        )


async def window_hall(c: Conn, window_id: str) -> str | None:
    found = await c.fetchval("SELECT hall_id FROM windows WHERE id = $1", window_id)
    return None if found is None else str(found)


async def targeted(c: Conn, window_id: str) -> int:
    """Waiting tickets sent to this window by name: removing it would strand them."""
    n = await c.fetchval(
        "SELECT count(*) FROM tickets WHERE target_window_id = $1 AND state = 'waiting'",
        window_id,
    )
    return int(n)


async def delete_window(c: Conn, window_id: str) -> None:
    await c.execute("DELETE FROM window_services WHERE window_id = $1", window_id)
    await c.execute("DELETE FROM windows WHERE id = $1", window_id)


# --- departments ---------------------------------------------------------------------


def dept_stream(dept_id: str) -> str:
    """The stream key of a department's events (beside the halls' in hall_streams)."""
    return f"dept:{dept_id}"


async def departments(c: Conn, hall_id: str | None = None) -> list[Department]:
    where = (
        " WHERE id IN (SELECT department_id FROM department_halls WHERE hall_id = $1)"
        if hall_id
        else ""
    )
    found = await c.fetch(
        f"SELECT * FROM departments{where} ORDER BY id", *((hall_id,) if hall_id else ())
    )
    links = await c.fetch("SELECT department_id, hall_id FROM department_halls ORDER BY hall_id")
    halls: dict[str, list[str]] = {}
    for link in links:
        halls.setdefault(link["department_id"], []).append(link["hall_id"])
    return [
        Department(
            id=r["id"],
            name=r["name"],
            kind=DepartmentKind(r["kind"]),
            halls=tuple(halls.get(r["id"], ())),
            name_en=r["name_en"],
        )
        for r in found
    ]


async def save_department(c: Conn, d: Department, now: datetime, *, insert: bool) -> None:
    if insert:
        await c.execute(
            "INSERT INTO departments (id, name, name_en, kind, created_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            d.id, d.name, d.name_en, d.kind.value, now,
        )  # fmt: skip
        # Its officers' live inbox (topic dept:{id}). Kept if the department is removed,
        # so one re-created under the same id continues the stream rather than reuse seqs.
        await c.execute(
            "INSERT INTO hall_streams (hall_id, epoch, last_seq) VALUES ($1, $2, 0)"
            " ON CONFLICT (hall_id) DO NOTHING",
            dept_stream(d.id), secrets.token_hex(8),
        )  # fmt: skip
    else:
        await c.execute(
            "UPDATE departments SET name = $2, name_en = $3, kind = $4 WHERE id = $1",
            d.id, d.name, d.name_en, d.kind.value,
        )  # fmt: skip
        await c.execute("DELETE FROM department_halls WHERE department_id = $1", d.id)
    for hall_id in d.halls:
        await c.execute(
            "INSERT INTO department_halls (department_id, hall_id) VALUES ($1, $2)", d.id, hall_id
        )


async def department_use(c: Conn, dept_id: str) -> int:
    """Windows, users, approval tasks and matters that name a department."""
    n = await c.fetchval(
        "SELECT (SELECT count(*) FROM windows WHERE department_id = $1)"
        " + (SELECT count(*) FROM users WHERE department_id = $1)"
        " + (SELECT count(*) FROM case_tasks WHERE department = $1)"
        # A matter lists its departments in its JSON spec, each as a quoted string.
        " + (SELECT count(*) FROM matters WHERE spec LIKE $2)",
        dept_id, f'%"{dept_id}"%',
    )  # fmt: skip
    return int(n)


async def delete_department(c: Conn, dept_id: str) -> None:
    await c.execute("DELETE FROM department_halls WHERE department_id = $1", dept_id)
    await c.execute("DELETE FROM departments WHERE id = $1", dept_id)


# --- staff ---------------------------------------------------------------------------


async def users(c: Conn, hall_id: str | None = None) -> list[User]:
    if hall_id:
        found = await c.fetch("SELECT * FROM users WHERE hall_id = $1 ORDER BY username", hall_id)
    else:
        found = await c.fetch("SELECT * FROM users ORDER BY username")
    return [rows.user(r) for r in found]


async def user(c: Conn, user_id: str, lock: str = "") -> User | None:
    """A user; ``lock`` (the dialect's FOR UPDATE) holds the row to the transaction's end."""
    r = await c.fetchrow(f"SELECT * FROM users WHERE id = $1 {lock}", user_id)
    return None if r is None else rows.user(r)


async def set_password(c: Conn, user_id: str, password_hash: str, *, must_change: bool) -> None:
    await c.execute(
        "UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1",
        user_id,
        password_hash,
        int(must_change),
    )


async def save_user(c: Conn, u: User, now: datetime, *, insert: bool) -> None:
    if insert:
        await c.execute(
            "INSERT INTO users (id, username, display_name, role, hall_id, password_hash,"
            " created_at, department_id, enabled, must_change_password)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            u.id, u.username, u.display_name, u.role.value, u.hall_id, u.password_hash, now,
            u.department_id, int(u.enabled), int(u.must_change_password),
        )  # fmt: skip
    else:
        await c.execute(
            "UPDATE users SET display_name = $2, role = $3, hall_id = $4, password_hash = $5,"
            " department_id = $6, enabled = $7, must_change_password = $8 WHERE id = $1",
            u.id, u.display_name, u.role.value, u.hall_id, u.password_hash, u.department_id,
            int(u.enabled), int(u.must_change_password),
        )  # fmt: skip


async def enabled_admins(c: Conn, lock: str = "") -> list[str]:
    """Locked (PostgreSQL), so two admins demoting each other cannot leave none."""
    found = await c.fetch(f"SELECT id FROM users WHERE role = 'admin' AND enabled = 1 {lock}")
    return [r["id"] for r in found]
