"""The phone a ticket is followed on (sealed), and citizens' accounts and sign-in codes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from ..crypto import Sealer, SealError
from ..domain.model import Ticket
from . import rows
from .db import Conn, Row

TICKET_PHONE = "ticket.phone"  # what a ticket's sealed phone is bound to
CITIZEN_PHONE = "citizen.phone"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Contact:
    ticket_id: str
    phone: str
    lang: str
    advance_sent: bool


async def add(
    c: Conn, sealer: Sealer, t: Ticket, phone: str, lang: str, *, advance_sent: bool
) -> None:
    await c.execute(
        "INSERT INTO ticket_contacts (ticket_id, hall_id, business_day, phone_fp, phone_enc,"
        " lang, advance_sent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        t.id, t.hall_id, t.business_day, sealer.fingerprint("phone", phone),
        sealer.seal(phone, TICKET_PHONE), lang, advance_sent,
    )  # fmt: skip


async def of_ticket(c: Conn, sealer: Sealer, ticket_id: str) -> Contact | None:
    r = await c.fetchrow(
        "SELECT ticket_id, phone_enc, lang, advance_sent FROM ticket_contacts WHERE ticket_id = $1",
        ticket_id,
    )
    return None if r is None else _contact(sealer, r)


async def front_to_tell(
    c: Conn, sealer: Sealer, hall_id: str, service: str, places: int
) -> list[tuple[Ticket, int, Contact]]:
    """The first ``places`` waiting tickets of a service's queue, in dispatch order: those
    whose holder gave a phone and has not been told to come back, with people ahead.

    One read of the front of the queue, and only the phones to be texted opened: this
    runs in every call's transaction."""
    found = await c.fetch(
        f"SELECT {rows.TICKET_COLUMNS_T}, c.ticket_id, c.phone_enc, c.lang, c.advance_sent"
        " FROM tickets t LEFT JOIN ticket_contacts c ON c.ticket_id = t.id"
        " WHERE t.hall_id = $1 AND t.service = $2 AND t.state = 'waiting'"
        " AND t.target_window_id IS NULL"
        f" ORDER BY t.priority, t.queue_at, t.seq_no LIMIT {int(places)}",
        hall_id,
        service,
    )
    out = []
    for ahead, r in enumerate(found):
        if r["ticket_id"] is None or r["advance_sent"]:
            continue
        contact = _contact(sealer, r)
        if contact is not None:
            out.append((rows.ticket(r), ahead, contact))
    return out


async def mark_advance_sent(c: Conn, ticket_ids: list[str], skip_locked: str) -> set[str]:
    """Mark these holders told; the ones marked now. A row another transaction is marking
    (``skip_locked``: PostgreSQL's SKIP LOCKED) is left to it, not waited for: two groups
    of window commands calling two services in crossed order would otherwise wait on each
    other's rows."""
    if not ticket_ids:
        return set()
    marks = ", ".join(f"${i}" for i in range(1, 1 + len(ticket_ids)))
    found = await c.fetch(
        "UPDATE ticket_contacts SET advance_sent = TRUE WHERE ticket_id IN"
        f" (SELECT ticket_id FROM ticket_contacts WHERE ticket_id IN ({marks})"
        f" AND NOT advance_sent {skip_locked}) RETURNING ticket_id",
        *ticket_ids,
    )
    return {r["ticket_id"] for r in found}


async def tickets_of_phone(c: Conn, phone_fp: str, days: list[date]) -> list[Ticket]:
    """A phone's tickets on the given business days (each hall has its own), newest first."""
    if not days:
        return []
    marks = ", ".join(f"${i}" for i in range(2, 2 + len(days)))
    found = await c.fetch(
        f"SELECT {rows.TICKET_COLUMNS_T} FROM tickets t"
        " JOIN ticket_contacts c ON c.ticket_id = t.id"
        f" WHERE c.phone_fp = $1 AND c.business_day IN ({marks}) ORDER BY t.issued_at DESC",
        phone_fp,
        *days,
    )
    return [rows.ticket(r) for r in found]


async def forget_before(c: Conn, hall_id: str, day: date) -> int:
    """Delete the phones of tickets from business days before ``day``; returns how many."""
    n = await c.fetchval(
        "SELECT count(*) FROM ticket_contacts WHERE hall_id = $1 AND business_day < $2",
        hall_id,
        day,
    )
    if n:
        await c.execute(
            "DELETE FROM ticket_contacts WHERE hall_id = $1 AND business_day < $2", hall_id, day
        )
    return int(n)


def _contact(sealer: Sealer, r: Row) -> Contact | None:
    """None when the phone does not open (sealed under another secret): a message is
    not worth failing a clerk's call for."""
    try:
        phone = sealer.open(r["phone_enc"], TICKET_PHONE)
    except SealError:
        log.warning("the phone of ticket %s does not open with this secret", r["ticket_id"])
        return None
    return Contact(r["ticket_id"], phone, r["lang"], bool(r["advance_sent"]))


# --- citizens' accounts and sign-in codes ------------------------------------------------


async def citizen_by_phone(c: Conn, phone_fp: str) -> Row | None:
    return await c.fetchrow("SELECT * FROM citizens WHERE phone_fp = $1", phone_fp)


async def citizen(c: Conn, citizen_id: str) -> Row | None:
    return await c.fetchrow("SELECT * FROM citizens WHERE id = $1", citizen_id)


async def add_citizen(c: Conn, sealer: Sealer, citizen_id: str, phone: str, now: datetime) -> None:
    await c.execute(
        "INSERT INTO citizens (id, phone_fp, phone_enc, created_at, signed_in_at)"
        " VALUES ($1, $2, $3, $4, $4) ON CONFLICT (phone_fp) DO NOTHING",
        citizen_id, sealer.fingerprint("phone", phone), sealer.seal(phone, CITIZEN_PHONE), now,
    )  # fmt: skip


async def citizen_signed_in(c: Conn, citizen_id: str, now: datetime) -> None:
    await c.execute("UPDATE citizens SET signed_in_at = $2 WHERE id = $1", citizen_id, now)


async def code_row(c: Conn, phone_fp: str, lock: str = "") -> Row | None:
    return await c.fetchrow(f"SELECT * FROM sign_in_codes WHERE phone_fp = $1 {lock}", phone_fp)


async def put_code(
    c: Conn, phone_fp: str, code_hash: str, now: datetime, expires: datetime
) -> None:
    """The phone's new code replaces any earlier one, and its wrong tries start over."""
    await c.execute(
        "INSERT INTO sign_in_codes (phone_fp, code_hash, tries, created_at, expires_at)"
        " VALUES ($1, $2, 0, $3, $4) ON CONFLICT (phone_fp) DO UPDATE SET"
        " code_hash = excluded.code_hash, tries = 0, created_at = excluded.created_at,"
        " expires_at = excluded.expires_at",
        phone_fp, code_hash, now, expires,
    )  # fmt: skip


async def count_wrong_try(c: Conn, phone_fp: str) -> None:
    await c.execute("UPDATE sign_in_codes SET tries = tries + 1 WHERE phone_fp = $1", phone_fp)


async def drop_code(c: Conn, phone_fp: str) -> None:
    await c.execute("DELETE FROM sign_in_codes WHERE phone_fp = $1", phone_fp)


async def citizen_signed_out(c: Conn, citizen_id: str, now: datetime) -> None:
    await c.execute("UPDATE citizens SET signed_out_at = $2 WHERE id = $1", citizen_id, now)
