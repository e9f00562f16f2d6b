"""Cases, their department tasks and timelines: the SQL both dialects share.

A case's personal data (name, full ID number, phone, address) is one sealed JSON
value bound to the case's id: it is opened only by the use case that checks who
may see it and audits the view. Lookups go by keyed fingerprints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..crypto import Sealer
from ..domain.case import Case, CaseState, Mark, Task, TaskState
from ..domain.deadline import Stop
from .db import Conn, Row

PERSONAL = "case.personal"  # what a case's sealed personal data is bound to (plus its id)

_CASE_COLUMNS = (
    "id, hall_id, number, matter, state, business_day, channel, created_at, id_fingerprint,"
    " id_masked, name_masked, phone_masked, owner_fp, collector_fingerprint, collector_masked,"
    " checklist, missing, promised_days, legal_days, ticket_id, window_id, clerk_id, accepted_at,"
    " accepted_day, due_day, decided_at, closed_at, reasons, tracking_no, alert, application_id,"
    " outcome"
)
_TASK_COLUMNS = (
    "id, case_id, hall_id, department, lead, state, created_at, officer_id, officer_name,"
    " decided_at, note, stops, due_day, alert"
)


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: datetime
    action: str
    from_state: str | None = None
    to_state: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None
    department: str | None = None
    note: str | None = None
    internal: bool = False  # an officer's working note: staff only


# --- numbers -------------------------------------------------------------------------


async def next_number(c: Conn, hall_id: str, day: date) -> int:
    """The hall's next 受理编号 counter of the day; the row lock keeps numbers gapless."""
    value = await c.fetchval(
        "INSERT INTO case_counters (hall_id, business_day, last) VALUES ($1, $2, 1)"
        " ON CONFLICT (hall_id, business_day) DO UPDATE SET last = case_counters.last + 1"
        " RETURNING last",
        hall_id, day,
    )  # fmt: skip
    return int(value)


# --- cases ---------------------------------------------------------------------------


def _case(r: Row) -> Case:
    return Case(
        id=r["id"], hall_id=r["hall_id"], number=r["number"], matter=r["matter"],
        state=CaseState(r["state"]), business_day=r["business_day"], channel=r["channel"],
        created_at=r["created_at"], id_fingerprint=r["id_fingerprint"], id_masked=r["id_masked"],
        name_masked=r["name_masked"], phone_masked=r["phone_masked"],
        collector_fingerprint=r["collector_fingerprint"], collector_masked=r["collector_masked"],
        checklist={k: Mark(v) for k, v in json.loads(r["checklist"]).items()},
        missing=tuple(json.loads(r["missing"])), promised_days=r["promised_days"],
        legal_days=r["legal_days"], ticket_id=r["ticket_id"], window_id=r["window_id"],
        clerk_id=r["clerk_id"], accepted_at=r["accepted_at"], accepted_day=r["accepted_day"],
        decided_at=r["decided_at"], closed_at=r["closed_at"], reasons=r["reasons"],
        tracking_no=r["tracking_no"], alert=r["alert"], application_id=r["application_id"],
        outcome=r["outcome"],
    )  # fmt: skip


def personal_context(case_id: str) -> str:
    return f"{PERSONAL}:{case_id}"


async def insert_case(c: Conn, sealer: Sealer, case: Case, personal: Mapping[str, str | None],
                      owner_fp: str | None) -> None:  # fmt: skip
    sealed = sealer.seal(json.dumps(dict(personal), ensure_ascii=False), personal_context(case.id))
    await c.execute(
        "INSERT INTO cases (id, hall_id, number, matter, state, business_day, channel, created_at,"
        " id_fingerprint, id_masked, name_masked, phone_masked, personal_enc, owner_fp,"
        " collector_fingerprint, collector_masked, checklist, missing, promised_days, legal_days,"
        " ticket_id, window_id, clerk_id, application_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
        " $18, $19, $20, $21, $22, $23, $24)",
        case.id, case.hall_id, case.number, case.matter, case.state.value, case.business_day,
        case.channel, case.created_at, case.id_fingerprint, case.id_masked, case.name_masked,
        case.phone_masked, sealed, owner_fp, case.collector_fingerprint, case.collector_masked,
        _marks(case.checklist), json.dumps(list(case.missing)), case.promised_days,
        case.legal_days, case.ticket_id, case.window_id, case.clerk_id, case.application_id,
    )  # fmt: skip


def _marks(checklist: Mapping[str, Mark]) -> str:
    return json.dumps({k: v.value for k, v in checklist.items()})


async def update_case(c: Conn, case: Case, due: date | None) -> None:
    await c.execute(
        "UPDATE cases SET state = $2, checklist = $3, missing = $4, accepted_at = $5,"
        " accepted_day = $6, due_day = $7, decided_at = $8, closed_at = $9, reasons = $10,"
        " tracking_no = $11, alert = $12, outcome = $13 WHERE id = $1",
        case.id, case.state.value, _marks(case.checklist), json.dumps(list(case.missing)),
        case.accepted_at, case.accepted_day, due, case.decided_at, case.closed_at, case.reasons,
        case.tracking_no, case.alert, case.outcome,
    )  # fmt: skip


async def get(c: Conn, case_id: str, *, lock: str = "") -> Case | None:
    r = await c.fetchrow(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = $1 {lock}", case_id)
    return None if r is None else _case(r)


async def by_number(c: Conn, number: str) -> Case | None:
    r = await c.fetchrow(f"SELECT {_CASE_COLUMNS} FROM cases WHERE number = $1", number)
    return None if r is None else _case(r)


async def personal(c: Conn, sealer: Sealer, case_id: str) -> dict[str, str | None]:
    sealed = await c.fetchval("SELECT personal_enc FROM cases WHERE id = $1", case_id)
    if sealed is None:
        return {}
    opened: dict[str, str | None] = json.loads(sealer.open(sealed, personal_context(case_id)))
    return opened


async def ready_for(c: Conn, hall_id: str, fingerprint: str) -> list[Case]:
    """Results waiting at the hall's pickup windows for this person (applicant or collector)."""
    found = await c.fetch(
        f"SELECT {_CASE_COLUMNS} FROM cases WHERE hall_id = $1 AND state = 'result_ready'"
        " AND (id_fingerprint = $2 OR collector_fingerprint = $2) ORDER BY number",
        hall_id, fingerprint,
    )  # fmt: skip
    return [_case(r) for r in found]


async def of_owner(c: Conn, owner_fp: str, limit: int = 50) -> list[Case]:
    found = await c.fetch(
        f"SELECT {_CASE_COLUMNS} FROM cases WHERE owner_fp = $1 ORDER BY created_at DESC LIMIT $2",
        owner_fp, limit,
    )  # fmt: skip
    return [_case(r) for r in found]


async def live(c: Conn, hall_id: str, states: Iterable[CaseState],
               limit: int = 10_000) -> list[tuple[Case, date | None]]:  # fmt: skip
    """Cases of the hall in these states, each with its stored deadline."""
    # The states inline (enum values, not user input): a generic plan over parameters
    # could not prove the partial index of live cases applies.
    names = ", ".join(f"'{CaseState(s).value}'" for s in states)
    found = await c.fetch(
        f"SELECT {_CASE_COLUMNS} FROM cases WHERE hall_id = $1 AND state IN ({names})"
        f" AND state <> 'archived' ORDER BY due_day, number LIMIT {int(limit)}",
        hall_id,
    )  # fmt: skip
    return [(_case(r), r["due_day"]) for r in found]


async def closed_before(c: Conn, hall_id: str, before: datetime, limit: int = 500) -> list[str]:
    """Cases closed (handed out, mailed, refused, withdrawn) before this instant."""
    found = await c.fetch(
        "SELECT id FROM cases WHERE hall_id = $1"
        " AND state IN ('picked_up', 'mailed', 'refused', 'withdrawn') AND closed_at < $2"
        f" ORDER BY id LIMIT {int(limit)}",
        hall_id, before,
    )  # fmt: skip
    return [r["id"] for r in found]


async def archive(c: Conn, ids: Sequence[str]) -> None:
    for case_id in ids:
        await c.execute("UPDATE cases SET state = 'archived' WHERE id = $1", case_id)


# --- tasks ---------------------------------------------------------------------------


def _stops(raw: str) -> tuple[Stop, ...]:
    return tuple(
        Stop(date.fromisoformat(a), None if b is None else date.fromisoformat(b))
        for a, b in json.loads(raw)
    )


def _stops_json(stops: Iterable[Stop]) -> str:
    return json.dumps([[s.start.isoformat(), s.end.isoformat() if s.end else None] for s in stops])


def _task(r: Row) -> Task:
    return Task(
        id=r["id"], case_id=r["case_id"], hall_id=r["hall_id"], department=r["department"],
        lead=bool(r["lead"]), state=TaskState(r["state"]), created_at=r["created_at"],
        officer_id=r["officer_id"], officer_name=r["officer_name"], decided_at=r["decided_at"],
        note=r["note"], stops=_stops(r["stops"]),
    )  # fmt: skip


async def insert_task(c: Conn, t: Task, due: date | None, alert: str) -> None:
    await c.execute(
        f"INSERT INTO case_tasks ({_TASK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " $10, $11, $12, $13, $14)",
        t.id, t.case_id, t.hall_id, t.department, int(t.lead), t.state.value, t.created_at,
        t.officer_id, t.officer_name, t.decided_at, t.note, _stops_json(t.stops), due, alert,
    )  # fmt: skip


async def update_task(c: Conn, t: Task, due: date | None, alert: str) -> None:
    await c.execute(
        "UPDATE case_tasks SET state = $2, officer_id = $3, officer_name = $4, decided_at = $5,"
        " note = $6, stops = $7, due_day = $8, alert = $9 WHERE id = $1",
        t.id, t.state.value, t.officer_id, t.officer_name, t.decided_at, t.note,
        _stops_json(t.stops), due, alert,
    )  # fmt: skip


async def task(c: Conn, task_id: str) -> Task | None:
    r = await c.fetchrow(f"SELECT {_TASK_COLUMNS} FROM case_tasks WHERE id = $1", task_id)
    return None if r is None else _task(r)


async def tasks_of(c: Conn, case_id: str) -> list[Task]:
    found = await c.fetch(
        f"SELECT {_TASK_COLUMNS} FROM case_tasks WHERE case_id = $1 ORDER BY lead DESC, department",
        case_id,
    )
    return [_task(r) for r in found]


@dataclass(frozen=True, slots=True)
class InboxRow:
    task: Task
    due: date | None
    alert: str
    case: Case


async def inbox(c: Conn, department: str, *, overdue_before: date | None = None,
                due_by: date | None = None, limit: int = 200) -> list[InboxRow]:  # fmt: skip
    """A department's open tasks by deadline, with their cases: read through the partial
    index of open tasks, so the archive's size does not matter."""
    where = ["t.department = $1", "t.state IN ('pending', 'claimed', 'supplement', 'suspended')"]
    args: list[Any] = [department]
    if overdue_before is not None:
        args.append(overdue_before)
        where.append(f"t.due_day < ${len(args)} AND t.state IN ('pending', 'claimed')")
    if due_by is not None:
        args.append(due_by)
        where.append(f"t.due_day <= ${len(args)} AND t.state IN ('pending', 'claimed')")
    cols = ", ".join(f"c.{x.strip()} AS c_{x.strip()}" for x in _CASE_COLUMNS.split(","))
    found = await c.fetch(
        f"SELECT t.id, t.case_id, t.hall_id, t.department, t.lead, t.state, t.created_at,"
        f" t.officer_id, t.officer_name, t.decided_at, t.note, t.stops, t.due_day, t.alert, {cols}"
        f" FROM case_tasks t JOIN cases c ON c.id = t.case_id WHERE {' AND '.join(where)}"
        f" ORDER BY t.due_day, c.number LIMIT {int(limit)}",
        *args,
    )
    out = []
    for r in found:
        case_row = {k[2:]: v for k, v in dict(r).items() if k.startswith("c_")}
        out.append(InboxRow(_task(r), r["due_day"], r["alert"], _case(case_row)))
    return out


async def department_names(c: Conn, ids: Sequence[str]) -> dict[str, str]:
    """Departments' names by id (an id stands for itself if the department is gone)."""
    marks = ", ".join(f"${i}" for i in range(1, 1 + len(ids)))
    found = await c.fetch(f"SELECT id, name FROM departments WHERE id IN ({marks})", *ids)
    names = {r["id"]: r["name"] for r in found}
    return {d: names.get(d, d) for d in ids}


# --- timeline ------------------------------------------------------------------------


async def log(c: Conn, case_id: str, entries: Sequence[LogEntry]) -> None:
    last = await c.fetchval("SELECT max(seq) FROM case_log WHERE case_id = $1", case_id)
    seq = int(last or 0)
    for e in entries:
        seq += 1
        await c.execute(
            "INSERT INTO case_log (case_id, seq, at, action, from_state, to_state, actor_id,"
            " actor_name, department, note, internal)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            case_id, seq, e.at, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name,
            e.department, e.note, int(e.internal),
        )  # fmt: skip


async def timeline(c: Conn, case_id: str, *, public: bool) -> list[LogEntry]:
    found = await c.fetch(
        "SELECT at, action, from_state, to_state, actor_id, actor_name, department, note,"
        " internal FROM case_log WHERE case_id = $1 ORDER BY seq",
        case_id,
    )
    out = []
    for r in found:
        internal = bool(r["internal"])
        if public:
            # The public sees what happened and when, never who among staff or their notes.
            out.append(LogEntry(r["at"], r["action"], r["from_state"], r["to_state"],
                                department=r["department"],
                                note=None if internal else r["note"]))  # fmt: skip
        else:
            out.append(LogEntry(r["at"], r["action"], r["from_state"], r["to_state"],
                                r["actor_id"], r["actor_name"], r["department"], r["note"],
                                internal))  # fmt: skip
    return out
