"""Ratings, their follow-ups and the rating pads: the SQL both dialects share.

A rating's comment and a follow-up's contact phone are sealed, each bound to its
row's id: only the supervisor's views open them (a contact view is audited).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..crypto import Sealer
from ..domain.rating import Followup, FollowupState, Level, Malicious
from .db import Conn, Row

COMMENT = "rating.comment"
CONTACT = "followup.contact"


@dataclass(frozen=True, slots=True)
class Rating:
    id: str
    hall_id: str
    channel: str
    level: Level
    reasons: tuple[str, ...]
    business_day: date
    rated_at: datetime
    ticket_id: str | None = None
    case_id: str | None = None
    service: str | None = None
    window_id: str | None = None
    clerk_id: str | None = None
    comment: str | None = None  # opened only where staff read it
    malicious: Malicious | None = None
    prompted_by: str | None = None  # 'finish' | 'reprompt' on the pad; None on the phone
    delay_s: int | None = None  # seconds from the end of service to the rating


_RATING_COLUMNS = (
    "id, hall_id, ticket_id, case_id, service, window_id, clerk_id, channel, level, reasons,"
    " comment, business_day, rated_at, malicious, malicious_reason, malicious_by, malicious_at,"
    " prompted_by, delay_s"
)
_FOLLOWUP_COLUMNS = (
    "id, rating_id, hall_id, state, opened_at, due_day, call_note, called_back_at,"
    " called_back_by, finding, rectification, rectified_at, rectified_by, response, closed_at,"
    " closed_by"
)


def _rating(r: Row, sealer: Sealer | None = None) -> Rating:
    comment = None
    if sealer is not None and r["comment"]:
        comment = sealer.open(r["comment"], f"{COMMENT}:{r['id']}")
    bad = Malicious(r["malicious_reason"], r["malicious_by"], r["malicious_at"]) \
        if r["malicious"] else None  # fmt: skip
    return Rating(
        id=r["id"], hall_id=r["hall_id"], channel=r["channel"], level=Level(int(r["level"])),
        reasons=tuple(json.loads(r["reasons"])), business_day=r["business_day"],
        rated_at=r["rated_at"], ticket_id=r["ticket_id"], case_id=r["case_id"],
        service=r["service"], window_id=r["window_id"], clerk_id=r["clerk_id"], comment=comment,
        malicious=bad, prompted_by=r["prompted_by"], delay_s=r["delay_s"],
    )  # fmt: skip


async def insert(c: Conn, sealer: Sealer, r: Rating) -> None:
    sealed = sealer.seal(r.comment, f"{COMMENT}:{r.id}") if r.comment else None
    await c.execute(
        f"INSERT INTO ratings ({_RATING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " $10, $11, $12, $13, $14, NULL, NULL, NULL, $15, $16)",
        r.id, r.hall_id, r.ticket_id, r.case_id, r.service, r.window_id, r.clerk_id, r.channel,
        int(r.level), json.dumps(list(r.reasons)), sealed, r.business_day, r.rated_at, False,
        r.prompted_by, r.delay_s,
    )  # fmt: skip


async def get(c: Conn, rating_id: str, *, sealer: Sealer | None = None,
              lock: str = "") -> Rating | None:  # fmt: skip
    r = await c.fetchrow(f"SELECT {_RATING_COLUMNS} FROM ratings WHERE id = $1 {lock}", rating_id)
    return None if r is None else _rating(r, sealer)


async def of_ticket(c: Conn, ticket_id: str) -> Rating | None:
    r = await c.fetchrow(f"SELECT {_RATING_COLUMNS} FROM ratings WHERE ticket_id = $1", ticket_id)
    return None if r is None else _rating(r)


async def of_case(c: Conn, case_id: str) -> Rating | None:
    r = await c.fetchrow(f"SELECT {_RATING_COLUMNS} FROM ratings WHERE case_id = $1", case_id)
    return None if r is None else _rating(r)


async def mark_malicious(c: Conn, rating_id: str, m: Malicious) -> None:
    await c.execute(
        "UPDATE ratings SET malicious = $2, malicious_reason = $3, malicious_by = $4,"
        " malicious_at = $5 WHERE id = $1",
        rating_id, True, m.reason, m.by, m.at,
    )  # fmt: skip


# --- follow-ups ------------------------------------------------------------------------


def _followup(r: Row) -> Followup:
    return Followup(
        id=r["id"], rating_id=r["rating_id"], hall_id=r["hall_id"],
        state=FollowupState(r["state"]), opened_at=r["opened_at"], due_day=r["due_day"],
        call_note=r["call_note"], called_back_at=r["called_back_at"],
        called_back_by=r["called_back_by"], finding=r["finding"],
        rectification=r["rectification"], rectified_at=r["rectified_at"],
        rectified_by=r["rectified_by"], response=r["response"], closed_at=r["closed_at"],
        closed_by=r["closed_by"],
    )  # fmt: skip


async def insert_followup(c: Conn, sealer: Sealer, f: Followup, phone: str | None,
                          phone_masked: str | None) -> None:  # fmt: skip
    sealed = sealer.seal(phone, f"{CONTACT}:{f.id}") if phone else None
    await c.execute(
        "INSERT INTO rating_followups (id, rating_id, hall_id, state, opened_at, due_day,"
        " contact_enc, contact_masked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        f.id, f.rating_id, f.hall_id, f.state.value, f.opened_at, f.due_day, sealed,
        phone_masked,
    )  # fmt: skip


async def update_followup(c: Conn, f: Followup) -> None:
    await c.execute(
        "UPDATE rating_followups SET state = $2, call_note = $3, called_back_at = $4,"
        " called_back_by = $5, finding = $6, rectification = $7, rectified_at = $8,"
        " rectified_by = $9, response = $10, closed_at = $11, closed_by = $12 WHERE id = $1",
        f.id, f.state.value, f.call_note, f.called_back_at, f.called_back_by, f.finding,
        f.rectification, f.rectified_at, f.rectified_by, f.response, f.closed_at, f.closed_by,
    )  # fmt: skip


async def clear_contact(c: Conn, followup_id: str) -> None:
    """Forget the phone once the follow-up is closed (its SMS is queued by then); the
    masked form stays for the record."""
    await c.execute("UPDATE rating_followups SET contact_enc = NULL WHERE id = $1", followup_id)


async def followup(c: Conn, followup_id: str, *, lock: str = "") -> Followup | None:
    r = await c.fetchrow(
        f"SELECT {_FOLLOWUP_COLUMNS} FROM rating_followups WHERE id = $1 {lock}", followup_id
    )
    return None if r is None else _followup(r)


async def followup_of(c: Conn, rating_id: str) -> Followup | None:
    r = await c.fetchrow(
        f"SELECT {_FOLLOWUP_COLUMNS} FROM rating_followups WHERE rating_id = $1", rating_id
    )
    return None if r is None else _followup(r)


async def contact(c: Conn, sealer: Sealer, followup_id: str) -> tuple[str | None, str | None]:
    """(phone, masked phone) to call the citizen back on; (None, None) if none was left."""
    r = await c.fetchrow(
        "SELECT contact_enc, contact_masked FROM rating_followups WHERE id = $1", followup_id
    )
    if r is None or not r["contact_enc"]:
        return None, None
    return sealer.open(r["contact_enc"], f"{CONTACT}:{followup_id}"), r["contact_masked"]


@dataclass(frozen=True, slots=True)
class Item:
    """A follow-up as the supervisor's list shows it, with its rating."""

    followup: Followup
    rating: Rating
    contact_masked: str | None
    ticket_number: str | None
    case_number: str | None
    window_number: int | None
    has_comment: bool = False



async def items(c: Conn, sealer: Sealer | None, hall_id: str, *, open_only: bool = False,
                followup_id: str | None = None, limit: int = 200) -> list[Item]:  # fmt: skip
    """The hall's follow-ups (or one), open ones by deadline first (their partial index).
    Comments are opened only with a ``sealer`` (the audited detail view)."""
    args: list[Any] = [hall_id]
    where = "f.hall_id = $1" + (" AND f.state <> 'closed'" if open_only else "")
    if followup_id is not None:
        args.append(followup_id)
        where += " AND f.id = $2"
    order = "f.due_day, f.opened_at" if open_only else "f.state = 'closed', f.due_day DESC"
    cols = ", ".join(f"r.{x.strip()} AS r_{x.strip()}" for x in _RATING_COLUMNS.split(","))
    fcols = ", ".join(f"f.{x.strip()}" for x in _FOLLOWUP_COLUMNS.split(","))
    found = await c.fetch(
        f"SELECT {fcols}, f.contact_masked, {cols}, t.number AS t_number, k.number AS k_number,"
        " w.number AS w_number FROM rating_followups f JOIN ratings r ON r.id = f.rating_id"
        " LEFT JOIN tickets t ON t.id = r.ticket_id LEFT JOIN cases k ON k.id = r.case_id"
        f" LEFT JOIN windows w ON w.id = r.window_id WHERE {where} ORDER BY {order}"
        f" LIMIT {int(limit)}",
        *args,
    )
    out = []
    for r in found:
        rating_row: dict[str, Any] = {k[2:]: v for k, v in dict(r).items() if k.startswith("r_")}
        out.append(Item(_followup(r), _rating(rating_row, sealer), r["contact_masked"],
                        r["t_number"], r["k_number"], r["w_number"],
                        bool(rating_row["comment"])))  # fmt: skip
    return out


# --- pads ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pad:
    window_id: str
    hall_id: str
    key_hash: str
    paired_by: str
    paired_at: datetime
    prompt_ticket_id: str | None = None
    prompt_at: datetime | None = None


async def pad(c: Conn, window_id: str, *, lock: str = "") -> Pad | None:
    r = await c.fetchrow(
        "SELECT window_id, hall_id, key_hash, paired_by, paired_at, prompt_ticket_id, prompt_at"
        f" FROM rating_pads WHERE window_id = $1 {lock}",
        window_id,
    )
    return None if r is None else Pad(**dict(r))


async def pair(c: Conn, p: Pad) -> None:
    """A new key for the window's pad: the one before stops working at once. One upsert,
    so two pairings at once both succeed (the later key wins) on either backend."""
    await c.execute(
        "INSERT INTO rating_pads (window_id, hall_id, key_hash, paired_by, paired_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (window_id) DO UPDATE SET"
        " hall_id = excluded.hall_id, key_hash = excluded.key_hash,"
        " paired_by = excluded.paired_by, paired_at = excluded.paired_at,"
        " prompt_ticket_id = NULL, prompt_at = NULL",
        p.window_id, p.hall_id, p.key_hash, p.paired_by, p.paired_at,
    )  # fmt: skip


async def unpair(c: Conn, window_id: str) -> bool:
    found = await c.fetchval("SELECT window_id FROM rating_pads WHERE window_id = $1", window_id)
    await c.execute("DELETE FROM rating_pads WHERE window_id = $1", window_id)
    return found is not None


async def paired_windows(c: Conn, hall_id: str) -> dict[str, datetime]:
    found = await c.fetch(
        "SELECT window_id, paired_at FROM rating_pads WHERE hall_id = $1", hall_id
    )
    return {r["window_id"]: r["paired_at"] for r in found}


async def prompt(c: Conn, window_id: str, ticket_id: str, at: datetime) -> None:
    await c.execute(
        "UPDATE rating_pads SET prompt_ticket_id = $2, prompt_at = $3 WHERE window_id = $1",
        window_id, ticket_id, at,
    )  # fmt: skip


async def served_by(c: Conn, ticket_id: str) -> str | None:
    """The clerk who served the ticket (tickets.served_by, from migration 0010)."""
    found = await c.fetchval("SELECT served_by FROM tickets WHERE id = $1", ticket_id)
    return None if found is None else str(found)


async def called_since(c: Conn, hall_id: str, window_id: str, day: date,
                       after: datetime) -> bool:  # fmt: skip
    """Whether the window called anyone after ``after`` (its last finish) today."""
    found = await c.fetchval(
        "SELECT 1 FROM tickets WHERE hall_id = $1 AND business_day = $2 AND window_id = $3"
        " AND called_at > $4 LIMIT 1",
        hall_id, day, window_id, after,
    )  # fmt: skip
    return found is not None


async def latest_done(c: Conn, hall_id: str, window_id: str, day: date) -> Row | None:
    """The ticket the window finished last today (id, number, finished_at), if any."""
    return await c.fetchrow(
        "SELECT id, number, finished_at FROM tickets WHERE hall_id = $1 AND business_day = $2"
        " AND window_id = $3 AND state = 'done' ORDER BY finished_at DESC, seq_no DESC LIMIT 1",
        hall_id, day, window_id,
    )  # fmt: skip
