"""Which waiting ticket a window gets next.

Green channel first, then checked-in appointments by slot time, then walk-ins by
issue time. Strict priority can starve the lower classes on a busy green-channel
morning, so each window counts the higher-class calls since it last served a
walk-in (green or appointment) and since it last served an appointment (green
only); a class whose count reaches ``max_priority_streak`` goes first on the
next call, walk-ins before appointments when both are due. So every class keeps
getting calls however busy the ones above it are. Tickets
transferred to a window by name always come first there: they were already
being served.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Priority


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    max_priority_streak: int = 3

    def class_order(self, streak: int, appointment_streak: int = 0) -> tuple[Priority, ...]:
        """The order in which classes are tried, given the calls since each lower class was served.

        ``streak`` counts calls since a walk-in, ``appointment_streak`` since an appointment.
        """
        limit = self.max_priority_streak
        walk_in_due = limit > 0 and streak >= limit
        appointment_due = limit > 0 and appointment_streak >= limit
        if walk_in_due and appointment_due:
            return (Priority.WALK_IN, Priority.APPOINTMENT, Priority.GREEN)
        if walk_in_due:
            return (Priority.WALK_IN, Priority.GREEN, Priority.APPOINTMENT)
        if appointment_due:
            return (Priority.APPOINTMENT, Priority.GREEN, Priority.WALK_IN)
        return (Priority.GREEN, Priority.APPOINTMENT, Priority.WALK_IN)

    def next_streak(self, streak: int, claimed: Priority) -> int:
        return streak + 1 if claimed is not Priority.WALK_IN else 0

    def next_appointment_streak(self, streak: int, claimed: Priority) -> int:
        # Only green-channel calls pass an appointment by; a walk-in's turn is the interleave.
        if claimed is Priority.APPOINTMENT:
            return 0
        return streak + 1 if claimed is Priority.GREEN else streak


def estimate_wait_minutes(ahead: int, avg_service_s: int, open_windows: int) -> int:
    """A plain queue estimate: people ahead shared among the open windows."""
    servers = max(open_windows, 1)
    return round(ahead * avg_service_s / servers / 60)
