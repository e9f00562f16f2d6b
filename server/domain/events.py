"""Event payloads: what goes into a hall's stream.

Hall streams are public (displays subscribe to them), so payloads carry only
display-safe data: numbers, services, windows, states — never a name, an ID
number, a phone number or a ticket token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Ticket, Window


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


def ticket_event(kind: str, ticket: Ticket, window: Window | None = None) -> NewEvent:
    data: dict[str, Any] = {
        "ticket": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "kind": ticket.kind.value,
        "state": ticket.state.value,
        "recall_count": ticket.recall_count,
    }
    if window is not None:
        data["window"] = window.id
        data["window_number"] = window.number
        data["window_name"] = window.name
    if ticket.target_window_id is not None:
        data["target_window"] = ticket.target_window_id
    return NewEvent(f"ticket.{kind}", data)


def transferred_event(ticket: Ticket, window: Window | None, keep_place: bool) -> NewEvent:
    """A transfer, from a window or by a supervisor; says whether it kept its place."""
    ev = ticket_event("transferred", ticket, window)
    ev.data["keep_place"] = keep_place
    return ev


def window_event(kind: str, window: Window) -> NewEvent:
    return NewEvent(
        f"window.{kind}",
        {
            "window": window.id,
            "window_number": window.number,
            "window_name": window.name,
            "state": window.state.value,
            "pause_reason": window.pause_reason,
            # Staff names are shown on window screens; citizens' never are.
            "clerk_name": window.clerk_name,
        },
    )
