"""Rows to domain values and back."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from ..domain.appointment import BookingRules
from ..domain.model import (
    Channel,
    Hall,
    Priority,
    Role,
    Service,
    Ticket,
    TicketKind,
    TicketState,
    User,
    Window,
    WindowState,
)
from .db import Conn, Dialect, Row

TICKET_COLUMNS = (
    "id, hall_id, service, number, business_day, kind, channel, state, priority, issued_at,"
    " queue_at, token_hash, window_id, target_window_id, recall_count, transfer_count,"
    " called_at, started_at, finished_at, id_fingerprint, id_masked, name_masked,"
    " phone_masked, note, seq_no, slot_at"
)
# The same columns of a ``tickets t`` in a join.
TICKET_COLUMNS_T = ", ".join(f"t.{c.strip()}" for c in TICKET_COLUMNS.split(","))


# The clerk's display name rides along with a window: window screens show it.
WINDOW_COLUMNS = "*, (SELECT display_name FROM users u WHERE u.id = windows.clerk_id) AS clerk_name"


def json_value(value: Any) -> Any:
    """jsonb comes back parsed from some drivers and as text from others."""
    return json.loads(value) if isinstance(value, str) else value


def hall(r: Row) -> Hall:
    return Hall(
        id=r["id"],
        name=r["name"],
        tz=r["tz"],
        hours=json_value(r["hours"]),
        calendar=json_value(r["calendar"]),
        region_code=r.get("region_code"),
        notify_issued=bool(r["notify_issued"]),
        advance_notice=int(r["advance_notice"]),
        green_pin_hash=r["green_pin_hash"],
    )


def service(r: Row) -> Service:
    return Service(
        hall_id=r["hall_id"],
        code=r["code"],
        name=r["name"],
        name_en=r["name_en"],
        avg_service_s=r["avg_service_s"],
        channels=tuple(Channel(c) for c in (r.get("channels") or "").split(",") if c),
        daily_quota=r.get("daily_quota"),
        booking=BookingRules.from_json(json.loads(r["booking"])) if r.get("booking") else None,
    )


def window_select(dialect: Dialect) -> str:
    """Window columns with the clerk's name and the service list, in one row each."""
    return (
        f"SELECT {WINDOW_COLUMNS}, (SELECT {dialect.concat_services} FROM window_services s"
        " WHERE s.window_id = windows.id) AS service_codes FROM windows"
    )


def window_row(r: Row) -> Window:
    """A row from window_select()."""
    return window(r, sorted(filter(None, (r["service_codes"] or "").split(","))))


def window(r: Row, services: Iterable[str]) -> Window:
    return Window(
        id=r["id"],
        hall_id=r["hall_id"],
        number=r["number"],
        name=r["name"],
        services=tuple(services),
        state=WindowState(r["state"]),
        current_ticket_id=r["current_ticket_id"],
        clerk_id=r["clerk_id"],
        pause_reason=r["pause_reason"],
        clerk_name=r.get("clerk_name"),
        priority_streak=r["priority_streak"],
        appointment_streak=r["appointment_streak"],
        department_id=r.get("department_id"),
    )


def ticket(r: Row) -> Ticket:
    return Ticket(
        id=r["id"],
        hall_id=r["hall_id"],
        service=r["service"],
        number=r["number"],
        business_day=r["business_day"],
        kind=TicketKind(r["kind"]),
        channel=Channel(r["channel"]),
        state=TicketState(r["state"]),
        priority=Priority(r["priority"]),
        issued_at=r["issued_at"],
        queue_at=r["queue_at"],
        token_hash=r["token_hash"],
        window_id=r["window_id"],
        target_window_id=r["target_window_id"],
        recall_count=r["recall_count"],
        transfer_count=r["transfer_count"],
        called_at=r["called_at"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        id_fingerprint=r["id_fingerprint"],
        id_masked=r["id_masked"],
        name_masked=r["name_masked"],
        phone_masked=r["phone_masked"],
        note=r["note"],
        seq_no=r["seq_no"],
        slot_at=r["slot_at"],
    )


def ticket_args(t: Ticket) -> tuple[Any, ...]:
    """Parameters in TICKET_COLUMNS order."""
    return (
        t.id, t.hall_id, t.service, t.number, t.business_day, t.kind.value, t.channel.value,
        t.state.value, int(t.priority), t.issued_at, t.queue_at, t.token_hash, t.window_id,
        t.target_window_id, t.recall_count, t.transfer_count, t.called_at, t.started_at,
        t.finished_at, t.id_fingerprint, t.id_masked, t.name_masked, t.phone_masked, t.note,
        t.seq_no, t.slot_at,
    )  # fmt: skip


def _queue(t: Ticket) -> tuple[str, str]:
    """The queue a waiting ticket stands in, as (SQL condition on $2, the value for $2).

    A ticket sent to a window by name queues only behind others sent there;
    any other ticket queues behind the untargeted tickets of its service.
    """
    if t.target_window_id:
        return "target_window_id = $2", t.target_window_id
    return "target_window_id IS NULL AND service = $2", t.service


async def people_ahead(c: Conn, t: Ticket) -> int:
    """Waiting tickets that dispatch would call before this one."""
    queue, name = _queue(t)
    n = await c.fetchval(
        f"SELECT count(*) FROM tickets WHERE hall_id = $1 AND {queue}"
        " AND state = 'waiting' AND (priority < $3 OR (priority = $3 AND"
        " (queue_at < $4 OR (queue_at = $4 AND seq_no < $5))))",
        t.hall_id, name, int(t.priority), t.queue_at, t.seq_no,
    )  # fmt: skip
    return int(n)


async def places(c: Conn, hall_id: str, waiting: Iterable[Ticket]) -> dict[str, int]:
    """people_ahead() of many waiting tickets of a hall: one read per queue, not per ticket.

    Each queue's waiting tickets come back in dispatch order; a ticket's place is how
    many sort before it, the same count people_ahead() makes.
    """
    queues: dict[tuple[str, str], list[Ticket]] = {}
    for t in waiting:
        queues.setdefault(_queue(t), []).append(t)
    out: dict[str, int] = {}
    for (queue, name), mine in queues.items():
        found = await c.fetch(
            f"SELECT priority, queue_at, seq_no FROM tickets WHERE hall_id = $1 AND {queue}"
            " AND state = 'waiting' ORDER BY priority, queue_at, seq_no",
            hall_id,
            name,
        )
        keys = [(int(r["priority"]), r["queue_at"], int(r["seq_no"])) for r in found]
        for t in mine:
            out[t.id] = bisect_left(keys, (int(t.priority), t.queue_at, t.seq_no))
    return out


def user(r: Row) -> User:
    return User(
        id=r["id"],
        username=r["username"],
        display_name=r["display_name"],
        role=Role(r["role"]),
        hall_id=r["hall_id"],
        password_hash=r["password_hash"],
        department_id=r.get("department_id"),
        enabled=bool(r.get("enabled", 1)),
        must_change_password=bool(r.get("must_change_password", 0)),
        created_at=r.get("created_at"),
    )
