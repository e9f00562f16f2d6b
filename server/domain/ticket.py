"""The ticket state machine (DESIGN.md, "Ticket states").

    waiting ──call──▶ called ──start──▶ serving ──finish──▶ done
       │                │ ▲ recall         │
       │                ▼ │                │
       │             no_show ──call_back──▶ called
       │                                   │
       ├◀──────── transfer (front|back) ───┘ (also from called and waiting)
       ├──cancel──▶ cancelled
       └──(day end)──▶ void  (also no_show)

Every function checks the source state and, where a window acts, that the
window holds the ticket; anything else raises ``Conflict`` and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .errors import Conflict
from .model import KIND_PRIORITY, STALE_STATES, Ticket, TicketState


def _illegal(ticket: Ticket, action: str) -> Conflict:
    return Conflict(
        "illegal_transition",
        f"ticket {ticket.number} is {ticket.state.value}; cannot {action}",
        f"号票 {ticket.number} 当前状态为「{STATE_ZH[ticket.state]}」，不能{ACTION_ZH[action]}",
    )


STATE_ZH = {
    TicketState.WAITING: "等待中",
    TicketState.CALLED: "已叫号",
    TicketState.SERVING: "办理中",
    TicketState.DONE: "已办结",
    TicketState.NO_SHOW: "已过号",
    TicketState.CANCELLED: "已取消",
    TicketState.VOID: "已作废",
}
ACTION_ZH = {
    "call": "叫号",
    "recall": "重呼",
    "no_show": "过号",
    "call_back": "召回",
    "start": "开始办理",
    "finish": "办结",
    "transfer": "转移",
    "cancel": "取消",
    "void": "作废",
}


def _require(ticket: Ticket, action: str, *states: TicketState) -> None:
    if ticket.state not in states:
        raise _illegal(ticket, action)


def _require_window(ticket: Ticket, window_id: str) -> None:
    if ticket.window_id != window_id:
        raise Conflict(
            "not_this_window",
            f"ticket {ticket.number} is held by another window",
            f"号票 {ticket.number} 不属于本窗口",
        )


def call(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    _require(ticket, "call", TicketState.WAITING)
    return replace(
        ticket,
        state=TicketState.CALLED,
        window_id=window_id,
        target_window_id=None,
        called_at=now,
        recall_count=0,
    )


def recall(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    _require(ticket, "recall", TicketState.CALLED)
    _require_window(ticket, window_id)
    return replace(ticket, recall_count=ticket.recall_count + 1, called_at=now)


def no_show(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    _require(ticket, "no_show", TicketState.CALLED)
    _require_window(ticket, window_id)
    return replace(ticket, state=TicketState.NO_SHOW, finished_at=now)


def call_back(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    """A passed ticket is called again, by the window that passed it or another one."""
    _require(ticket, "call_back", TicketState.NO_SHOW)
    return replace(
        ticket,
        state=TicketState.CALLED,
        window_id=window_id,
        called_at=now,
        finished_at=None,
        recall_count=ticket.recall_count + 1,
    )


def start(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    _require(ticket, "start", TicketState.CALLED)
    _require_window(ticket, window_id)
    return replace(ticket, state=TicketState.SERVING, started_at=now)


def finish(ticket: Ticket, window_id: str, now: datetime) -> Ticket:
    _require(ticket, "finish", TicketState.SERVING)
    _require_window(ticket, window_id)
    return replace(ticket, state=TicketState.DONE, finished_at=now)


def transfer(
    ticket: Ticket,
    *,
    service: str,
    target_window_id: str | None,
    keep_place: bool,
    reason: str | None,
    now: datetime,
) -> Ticket:
    """Send a ticket to another queue; it keeps its number.

    ``keep_place`` puts it at its original place (its issue time, or an
    appointment's slot time); otherwise it goes to the back of the target queue.
    """
    _require(ticket, "transfer", TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)
    if (
        ticket.state is TicketState.WAITING
        and service == ticket.service
        and target_window_id == ticket.target_window_id
    ):
        raise Conflict(
            "transfer_noop",
            "the ticket is already waiting in that queue",
            "该号票已在目标队列中等待",
        )
    return replace(
        ticket,
        state=TicketState.WAITING,
        service=service,
        priority=KIND_PRIORITY[ticket.kind],
        target_window_id=target_window_id,
        window_id=None,
        queue_at=(ticket.slot_at or ticket.issued_at) if keep_place else now,
        transfer_count=ticket.transfer_count + 1,
        called_at=None,
        started_at=None,
        recall_count=0,
        note=reason,
    )


def cancel(ticket: Ticket, now: datetime) -> Ticket:
    _require(ticket, "cancel", TicketState.WAITING)
    return replace(ticket, state=TicketState.CANCELLED, finished_at=now)


def void(ticket: Ticket, now: datetime) -> Ticket:
    _require(ticket, "void", *STALE_STATES)
    return replace(ticket, state=TicketState.VOID, finished_at=now)
