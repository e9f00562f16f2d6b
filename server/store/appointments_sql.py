"""Appointments and per-slot counts: the SQL both dialects share.

Capacity is one conditional upsert on ``slot_counts``: the row's lock (PostgreSQL)
or the single writer (SQLite) makes "check and take" one step, so a slot is never
overbooked whatever the concurrency. Listing slots reads only that table, so its
cost follows the number of slots, not of bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..crypto import Sealer, SealError
from ..domain.appointment import Appointment, AppointmentState
from .db import Conn, Row

PHONE = "appointment.phone"  # what a booking's sealed phone and e-mail are bound to
EMAIL = "appointment.email"

_COLUMNS = (
    "id, hall_id, service, code, slot_start_at, slot_end_at, state, id_fingerprint, id_masked,"
    " created_at, name_masked, phone_masked, owner_fp, booked_by, ticket_id, checked_in_at,"
    " cancel_reason, reminded, lang"
)


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str | None
    email: str | None
    lang: str


async def take_place(
    c: Conn, hall_id: str, service: str, start: datetime, capacity: int
) -> int | None:
    """One more booking in a slot; its new count, or None when the slot is full."""
    booked = await c.fetchval(
        "INSERT INTO slot_counts (hall_id, service, slot_start_at, booked) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (hall_id, service, slot_start_at) DO UPDATE"
        " SET booked = slot_counts.booked + 1 WHERE slot_counts.booked < $4"
        " RETURNING booked",
        hall_id, service, start, capacity,
    )  # fmt: skip
    return None if booked is None else int(booked)


async def give_back(c: Conn, hall_id: str, service: str, start: datetime) -> int:
    """A booking left its slot (cancelled, moved); the slot's new count."""
    booked = await c.fetchval(
        "UPDATE slot_counts SET booked = booked - 1"
        " WHERE hall_id = $1 AND service = $2 AND slot_start_at = $3 AND booked > 0"
        " RETURNING booked",
        hall_id, service, start,
    )  # fmt: skip
    return int(booked or 0)


async def counts(
    c: Conn, hall_id: str, service: str, first: datetime, last: datetime
) -> dict[datetime, int]:
    found = await c.fetch(
        "SELECT slot_start_at, booked FROM slot_counts WHERE hall_id = $1 AND service = $2"
        " AND slot_start_at >= $3 AND slot_start_at <= $4",
        hall_id, service, first, last,
    )  # fmt: skip
    return {r["slot_start_at"]: int(r["booked"]) for r in found}


async def insert(
    c: Conn, sealer: Sealer, a: Appointment, day: date, phone: str | None, email: str | None
) -> None:
    await c.execute(
        "INSERT INTO appointments (id, hall_id, service, code, slot_start_at, slot_end_at,"
        " slot_day, state, id_fingerprint, id_masked, name_masked, phone_masked, phone_enc,"
        " email_enc, owner_fp, booked_by, created_at, reminded, lang)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
        " $18, $19)",
        a.id, a.hall_id, a.service, a.code, a.slot_start, a.slot_end, day, a.state.value,
        a.id_fingerprint, a.id_masked, a.name_masked, a.phone_masked,
        sealer.seal(phone, PHONE) if phone else None,
        sealer.seal(email, EMAIL) if email else None,
        a.owner_fp, a.booked_by, a.created_at, int(a.reminded), a.lang,
    )  # fmt: skip


async def get(c: Conn, appointment_id: str, *, lock: str = "") -> Appointment | None:
    r = await c.fetchrow(f"SELECT {_COLUMNS} FROM appointments WHERE id = $1 {lock}", appointment_id)
    return None if r is None else _row(r)


async def by_code(c: Conn, code: str) -> Appointment | None:
    r = await c.fetchrow(f"SELECT {_COLUMNS} FROM appointments WHERE code = $1", code)
    return None if r is None else _row(r)


async def active(c: Conn, hall_id: str, service: str, fp: str) -> Appointment | None:
    r = await c.fetchrow(
        f"SELECT {_COLUMNS} FROM appointments WHERE hall_id = $1 AND service = $2"
        " AND id_fingerprint = $3 AND state = 'booked'",
        hall_id, service, fp,
    )  # fmt: skip
    return None if r is None else _row(r)


async def booked_for_person(c: Conn, hall_id: str, fp: str, day: date) -> list[Appointment]:
    """An ID number's live bookings of one day in a hall (check-in by ID number)."""
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM appointments WHERE hall_id = $1 AND id_fingerprint = $2"
        " AND state = 'booked' AND slot_day = $3 ORDER BY slot_start_at",
        hall_id, fp, day,
    )  # fmt: skip
    return [_row(r) for r in found]


async def no_show_days(c: Conn, hall_id: str, fp: str, since: date) -> list[date]:
    found = await c.fetch(
        "SELECT slot_day FROM appointments WHERE hall_id = $1 AND id_fingerprint = $2"
        " AND state = 'no_show' AND slot_day >= $3",
        hall_id, fp, since,
    )  # fmt: skip
    return [r["slot_day"] for r in found]


async def of_owner(c: Conn, owner_fp: str, since: date) -> list[Appointment]:
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM appointments WHERE owner_fp = $1 AND slot_day >= $2"
        " ORDER BY slot_start_at",
        owner_fp, since,
    )  # fmt: skip
    return [_row(r) for r in found]


async def of_day(c: Conn, hall_id: str, day: date) -> list[Appointment]:
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM appointments WHERE hall_id = $1 AND slot_day = $2"
        " ORDER BY service, slot_start_at",
        hall_id, day,
    )  # fmt: skip
    return [_row(r) for r in found]


async def booked_between(
    c: Conn, hall_id: str, first: date, last: date, *, lock: str = ""
) -> list[Appointment]:
    """Live bookings with slot days in [first, last]: reminders, blackouts, no-shows.

    ``lock``: the dialect's ``skip_locked``, so a sweep takes only rows nobody is
    changing, all before it touches a slot's count (no lock-order cycle with a cancel)."""
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM appointments WHERE hall_id = $1 AND state = 'booked'"
        f" AND slot_day >= $2 AND slot_day <= $3 ORDER BY slot_start_at, id {lock}",
        hall_id, first, last,
    )  # fmt: skip
    return [_row(r) for r in found]


async def active_of_owner(c: Conn, hall_id: str, owner_fp: str) -> int:
    """How many live bookings one citizen's account holds in a hall."""
    n = await c.fetchval(
        "SELECT count(*) FROM appointments WHERE hall_id = $1 AND owner_fp = $2"
        " AND state = 'booked'",
        hall_id, owner_fp,
    )  # fmt: skip
    return int(n or 0)


async def no_show_days_of_owner(c: Conn, hall_id: str, owner_fp: str, since: date) -> list[date]:
    found = await c.fetch(
        "SELECT slot_day FROM appointments WHERE hall_id = $1 AND owner_fp = $2"
        " AND state = 'no_show' AND slot_day >= $3",
        hall_id, owner_fp, since,
    )  # fmt: skip
    return [r["slot_day"] for r in found]


async def live_in_service(c: Conn, hall_id: str, service: str) -> int:
    n = await c.fetchval(
        "SELECT count(*) FROM appointments WHERE hall_id = $1 AND service = $2"
        " AND state = 'booked'",
        hall_id, service,
    )  # fmt: skip
    return int(n or 0)


async def of_person_day(c: Conn, fp: str, day: date) -> list[Appointment]:
    """An ID number's bookings of a date in any hall and state (check-in by ID number)."""
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM appointments WHERE id_fingerprint = $1 AND slot_day = $2"
        " ORDER BY slot_start_at",
        fp, day,
    )  # fmt: skip
    return [_row(r) for r in found]


async def booked_days(c: Conn, hall_id: str, since: date) -> list[date]:
    found = await c.fetch(
        "SELECT DISTINCT slot_day FROM appointments WHERE hall_id = $1 AND state = 'booked'"
        " AND slot_day >= $2",
        hall_id, since,
    )  # fmt: skip
    return sorted(r["slot_day"] for r in found)


async def move(c: Conn, a: Appointment, start: datetime, end: datetime, day: date) -> None:
    await c.execute(
        "UPDATE appointments SET slot_start_at = $2, slot_end_at = $3, slot_day = $4,"
        " reminded = $5 WHERE id = $1",
        a.id, start, end, day, int(a.reminded),
    )  # fmt: skip


async def end(
    c: Conn, a: Appointment, state: AppointmentState, now: datetime, *,
    ticket_id: str | None = None, reason: str | None = None,
) -> bool:  # fmt: skip
    """The live booking ``a`` (as read: same slot) is over one way or another; its phone
    and e-mail are forgotten. False if it had changed meanwhile: nothing is done, so the
    caller gives no place back and sends nothing."""
    checked_in = now if state in (AppointmentState.CHECKED_IN, AppointmentState.LATE) else None
    done = await c.fetchval(
        "UPDATE appointments SET state = $2, ended_at = $3, checked_in_at = $4, ticket_id = $5,"
        " cancel_reason = $6, phone_enc = NULL, email_enc = NULL"
        " WHERE id = $1 AND state = 'booked' AND slot_start_at = $7 RETURNING id",
        a.id, state.value, now, checked_in, ticket_id, reason, a.slot_start,
    )  # fmt: skip
    return done is not None


async def mark_reminded(c: Conn, appointment_id: str) -> None:
    await c.execute("UPDATE appointments SET reminded = 1 WHERE id = $1", appointment_id)


async def contact(c: Conn, sealer: Sealer, appointment_id: str) -> Contact:
    r = await c.fetchrow(
        "SELECT phone_enc, email_enc, lang FROM appointments WHERE id = $1", appointment_id
    )
    if r is None:
        return Contact(None, None, "zh")
    return Contact(_open(sealer, r["phone_enc"], PHONE), _open(sealer, r["email_enc"], EMAIL),
                   r["lang"])  # fmt: skip


def _open(sealer: Sealer, sealed: str | None, what: str) -> str | None:
    if not sealed:
        return None
    try:
        return sealer.open(sealed, what)
    except SealError:
        # Sealed under another secret: the message is lost, the booking is not.
        return None


def _row(r: Row) -> Appointment:
    return Appointment(
        id=r["id"],
        hall_id=r["hall_id"],
        service=r["service"],
        code=r["code"],
        slot_start=r["slot_start_at"],
        slot_end=r["slot_end_at"],
        state=AppointmentState(r["state"]),
        id_fingerprint=r["id_fingerprint"],
        id_masked=r["id_masked"],
        created_at=r["created_at"],
        name_masked=r["name_masked"],
        phone_masked=r["phone_masked"],
        owner_fp=r["owner_fp"],
        booked_by=r["booked_by"],
        ticket_id=r["ticket_id"],
        checked_in_at=r["checked_in_at"],
        cancel_reason=r["cancel_reason"],
        reminded=bool(r["reminded"]),
        lang=r["lang"],
    )
