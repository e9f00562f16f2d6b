"""Which waiting ticket a window gets next.

Green channel first, then checked-in appointments by slot time, then walk-ins by
issue time. Strict priority can starve walk-ins on a busy green-channel morning,
so after ``max_priority_streak`` priority calls in a row at one window the next
call takes a walk-in first when one is waiting. Tickets transferred to a window
by name always come first there: they were already being served.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Priority


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    max_priority_streak: int = 3

    def class_order(self, streak: int) -> tuple[Priority, ...]:
        """The order in which classes are tried for a window with this streak."""
        if self.max_priority_streak > 0 and streak >= self.max_priority_streak:
            return (Priority.WALK_IN, Priority.GREEN, Priority.APPOINTMENT)
        return (Priority.GREEN, Priority.APPOINTMENT, Priority.WALK_IN)

    def next_streak(self, streak: int, claimed: Priority) -> int:
        return streak + 1 if claimed is not Priority.WALK_IN else 0


def estimate_wait_minutes(ahead: int, avg_service_s: int, open_windows: int) -> int:
    """A plain queue estimate: people ahead shared among the open windows."""
    servers = max(open_windows, 1)
    return round(ahead * avg_service_s / servers / 60)
