"""Complaints (投诉): the SQL both dialects share.

The contact a citizen left (name, phone) is one sealed JSON value bound to the
complaint's id, opened only by the use case that checks who may read it and
audits the view (or to send the answer's SMS). The texts (the complaint, the
finding, the answer) are sealed each, bound to the id and their column: lists
read none of them, only one complaint's read (given the sealer) opens them. The
query code is never stored: only its keyed fingerprint, bound to the number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..crypto import Sealer
from ..domain.complaint import Complaint, Contact, State, Step, Subject
from .db import Conn, Row

CONTACT = "complaint.contact"  # what a sealed contact is bound to (plus the complaint's id)
QUERY_FP = "complaint.query"  # the query secret's fingerprint kind (plus the number)

TEXT = "complaint.text"  # what a sealed text is bound to (plus its column and the id)

_COLUMNS = (
    "id, hall_id, number, business_day, channel, subject, subject_id, subject_label,"
    " name_masked, phone_masked, state, steps, assignee_id, assignee_name, due_day"
)
_TEXTS = ("body_enc", "finding_enc", "answer_enc")


def secret_fp(sealer: Sealer, number: str, secret: str) -> str:
    return sealer.fingerprint(f"{QUERY_FP}:{number}", secret)


async def next_number(c: Conn, hall_id: str, day: date) -> int:
    """The hall's next complaint counter of the day; the row lock keeps numbers gapless."""
    value = await c.fetchval(
        "INSERT INTO complaint_counters (hall_id, business_day, last) VALUES ($1, $2, 1)"
        " ON CONFLICT (hall_id, business_day) DO UPDATE SET last = complaint_counters.last + 1"
        " RETURNING last",
        hall_id, day,
    )  # fmt: skip
    return int(value)


def _steps_json(steps: Mapping[State, Step]) -> str:
    return json.dumps({s.value: {"at": st.at.isoformat(), "by_id": st.by_id,
                                 "by_name": st.by_name} for s, st in steps.items()})  # fmt: skip


def _steps(raw: str) -> dict[State, Step]:
    return {State(k): Step(datetime.fromisoformat(v["at"]), v["by_id"], v["by_name"])
            for k, v in json.loads(raw).items()}  # fmt: skip


def _seal(sealer: Sealer, complaint_id: str, column: str, text: str | None) -> str | None:
    return None if text is None else sealer.seal(text, f"{TEXT}:{column}:{complaint_id}")


def _open(sealer: Sealer | None, r: Row, column: str) -> str | None:
    if sealer is None or r[column] is None:
        return None
    return sealer.open(r[column], f"{TEXT}:{column}:{r['id']}")


def _complaint(r: Row, sealer: Sealer | None = None) -> Complaint:
    """Without a sealer (a list), the texts stay sealed: text "", finding and answer None."""
    return Complaint(
        id=r["id"], hall_id=r["hall_id"], number=r["number"], business_day=r["business_day"],
        channel=r["channel"], subject=Subject(r["subject"]), subject_id=r["subject_id"],
        subject_label=r["subject_label"], text=_open(sealer, r, "body_enc") or "",
        name_masked=r["name_masked"], phone_masked=r["phone_masked"], due_day=r["due_day"],
        state=State(r["state"]), steps=_steps(r["steps"]), assignee_id=r["assignee_id"],
        assignee_name=r["assignee_name"], finding=_open(sealer, r, "finding_enc"),
        answer=_open(sealer, r, "answer_enc"),
    )  # fmt: skip


def _context(complaint_id: str) -> str:
    return f"{CONTACT}:{complaint_id}"


async def insert(c: Conn, sealer: Sealer, x: Complaint, contact: Contact, fp: str) -> None:
    sealed = None
    if not contact.empty:
        sealed = sealer.seal(json.dumps({"name": contact.name, "phone": contact.phone},
                                        ensure_ascii=False), _context(x.id))  # fmt: skip
    await c.execute(
        f"INSERT INTO complaints ({_COLUMNS}, {', '.join(_TEXTS)}, contact_enc, secret_fp,"
        " filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
        " $16, $17, $18, $19, $20, $21)",
        x.id, x.hall_id, x.number, x.business_day, x.channel, x.subject.value, x.subject_id,
        x.subject_label, x.name_masked, x.phone_masked, x.state.value, _steps_json(x.steps),
        x.assignee_id, x.assignee_name, x.due_day, _seal(sealer, x.id, "body_enc", x.text),
        _seal(sealer, x.id, "finding_enc", x.finding),
        _seal(sealer, x.id, "answer_enc", x.answer), sealed, fp, x.filed_at,
    )  # fmt: skip


async def update(c: Conn, sealer: Sealer, x: Complaint) -> None:
    """A step: the state, the steps, the assignee, and the finding and answer (sealed)."""
    await c.execute(
        "UPDATE complaints SET state = $2, steps = $3, assignee_id = $4, assignee_name = $5,"
        " finding_enc = $6, answer_enc = $7 WHERE id = $1",
        x.id, x.state.value, _steps_json(x.steps), x.assignee_id, x.assignee_name,
        _seal(sealer, x.id, "finding_enc", x.finding), _seal(sealer, x.id, "answer_enc", x.answer),
    )  # fmt: skip


async def get(c: Conn, complaint_id: str, *, lock: str = "",
              sealer: Sealer | None = None) -> Complaint | None:  # fmt: skip
    """One complaint; its texts opened only when given the sealer (the caller audits)."""
    r = await c.fetchrow(f"SELECT {_COLUMNS}, {', '.join(_TEXTS)} FROM complaints WHERE id = $1"
                         f" {lock}", complaint_id)  # fmt: skip
    return None if r is None else _complaint(r, sealer)


async def secret_fp_of(c: Conn, number: str) -> str | None:
    """The fingerprint of the query code of the complaint with this number."""
    value = await c.fetchval("SELECT secret_fp FROM complaints WHERE number = $1", number)
    return None if value is None else str(value)


async def by_number(c: Conn, sealer: Sealer, number: str) -> Complaint | None:
    """The complaint as its citizen sees it: the text and the answer opened, no finding."""
    r = await c.fetchrow(f"SELECT {_COLUMNS}, body_enc, NULL AS finding_enc, answer_enc"
                         " FROM complaints WHERE number = $1", number)  # fmt: skip
    return None if r is None else _complaint(r, sealer)


async def contact(c: Conn, sealer: Sealer, complaint_id: str) -> Contact:
    sealed = await c.fetchval("SELECT contact_enc FROM complaints WHERE id = $1", complaint_id)
    if sealed is None:
        return Contact(None, None)
    opened: dict[str, Any] = json.loads(sealer.open(sealed, _context(complaint_id)))
    return Contact(opened.get("name"), opened.get("phone"))


async def of_hall(c: Conn, hall_id: str, *, open_only: bool, since: date | None = None,
                  limit: int = 200) -> list[Complaint]:  # fmt: skip
    """The hall's complaints, the oldest deadline first: the open ones through their
    partial index; or everything filed since a day, newest first."""
    if open_only:
        found = await c.fetch(
            f"SELECT {_COLUMNS} FROM complaints WHERE hall_id = $1"
            " AND state IN ('intake', 'assigned', 'investigated')"
            f" ORDER BY due_day, number LIMIT {int(limit)}",
            hall_id,
        )  # fmt: skip
    else:
        found = await c.fetch(
            f"SELECT {_COLUMNS} FROM complaints WHERE hall_id = $1 AND business_day >= $2"
            f" ORDER BY business_day DESC, number DESC LIMIT {int(limit)}",
            hall_id, since or date.min,
        )  # fmt: skip
    return [_complaint(r) for r in found]


async def supervisors(c: Conn, hall_id: str) -> list[tuple[str, str]]:
    """Who a complaint of the hall may be assigned to: its enabled supervisors."""
    found = await c.fetch(
        "SELECT id, display_name FROM users WHERE hall_id = $1 AND role = 'supervisor'"
        " AND enabled = 1 ORDER BY display_name, id",
        hall_id,
    )  # fmt: skip
    return [(r["id"], r["display_name"]) for r in found]
