"""Tests for server.domain.dispatch (class order, interleave, wait estimate) and events."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from server.domain.dispatch import DispatchPolicy, estimate_wait_minutes
from server.domain.events import ticket_event, window_event
from server.domain.model import (
    Channel,
    Priority,
    Ticket,
    TicketKind,
    TicketState,
    Window,
    WindowState,
)

G, A, W = Priority.GREEN, Priority.APPOINTMENT, Priority.WALK_IN
STRICT = (G, A, W)
WALK_IN_FIRST = (W, G, A)


# --- class_order -----------------------------------------------------------------


@pytest.mark.parametrize("streak", [0, 1, 2])
def test_below_max_streak_is_strict_priority(streak: int) -> None:
    assert DispatchPolicy(max_priority_streak=3).class_order(streak) == STRICT


@pytest.mark.parametrize("streak", [3, 4, 10])
def test_at_or_above_max_streak_walk_in_goes_first(streak: int) -> None:
    assert DispatchPolicy(max_priority_streak=3).class_order(streak) == WALK_IN_FIRST


def test_max_streak_of_one_alternates() -> None:
    policy = DispatchPolicy(max_priority_streak=1)
    assert policy.class_order(0) == STRICT
    assert policy.class_order(1) == WALK_IN_FIRST


@pytest.mark.parametrize("streak", [0, 1, 3, 100])
def test_zero_max_streak_disables_interleave(streak: int) -> None:
    assert DispatchPolicy(max_priority_streak=0).class_order(streak) == STRICT


@pytest.mark.parametrize("max_streak", [0, 1, 3])
@pytest.mark.parametrize("streak", [0, 1, 2, 3, 7])
def test_class_order_tries_every_class_once(max_streak: int, streak: int) -> None:
    order = DispatchPolicy(max_priority_streak=max_streak).class_order(streak)
    assert sorted(order) == sorted(Priority)


# --- next_streak -----------------------------------------------------------------


@pytest.mark.parametrize("claimed", [G, A])
def test_priority_claim_extends_streak(claimed: Priority) -> None:
    policy = DispatchPolicy(max_priority_streak=3)
    assert policy.next_streak(0, claimed) == 1
    assert policy.next_streak(5, claimed) == 6


@pytest.mark.parametrize("streak", [0, 2, 3, 9])
def test_walk_in_claim_resets_streak(streak: int) -> None:
    assert DispatchPolicy(max_priority_streak=3).next_streak(streak, W) == 0


def test_policy_is_frozen() -> None:
    policy = DispatchPolicy(max_priority_streak=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_priority_streak = 0  # type: ignore[misc]


# --- a pure simulation of one window's calls ---------------------------------------


def simulate(policy: DispatchPolicy, calls: int, waiting: Iterable[Priority]) -> list[Priority]:
    """Classes served by one window calling ``calls`` times while ``waiting`` never run dry."""
    never_empty = set(waiting)
    streak = appointment_streak = 0
    served = []
    for _ in range(calls):
        order = policy.class_order(streak, appointment_streak)
        claimed = next(c for c in order if c in never_empty)
        served.append(claimed)
        streak = policy.next_streak(streak, claimed)
        appointment_streak = policy.next_appointment_streak(appointment_streak, claimed)
    return served


@pytest.mark.parametrize("max_streak", [1, 2, 3, 5])
def test_walk_ins_are_not_starved_by_green_channel(max_streak: int) -> None:
    served = simulate(DispatchPolicy(max_priority_streak=max_streak), 60, {G, W})
    span = max_streak + 1
    for i in range(len(served) - span + 1):
        assert W in served[i : i + span], f"no walk-in in calls {i}..{i + span - 1}: {served}"
    # ...and the green channel still gets all the other calls.
    assert served[:span] == [G] * max_streak + [W]


def test_without_interleave_green_channel_starves_walk_ins() -> None:
    served = simulate(DispatchPolicy(max_priority_streak=0), 60, {G, W})
    assert W not in served


def test_interleave_does_not_hold_back_priority_when_no_walk_in_waits() -> None:
    policy = DispatchPolicy(max_priority_streak=2)
    assert simulate(policy, 6, {G}) == [G] * 6
    assert simulate(policy, 6, {A, W}) == [A, A, W, A, A, W]


@pytest.mark.parametrize("max_streak", [1, 3])
def test_no_class_is_starved(max_streak: int) -> None:
    served = simulate(DispatchPolicy(max_priority_streak=max_streak), 100, {G, A, W})
    span = 4 * (max_streak + 1)  # a generous bound
    for i in range(len(served) - span + 1):
        window = served[i : i + span]
        assert set(window) == {G, A, W}, f"calls {i}..{i + span - 1}: {window}"


# --- estimate_wait_minutes -----------------------------------------------------------


def test_nobody_ahead_means_no_wait() -> None:
    assert estimate_wait_minutes(0, 300, 3) == 0


@pytest.mark.parametrize("open_windows", [0, -1])
def test_no_open_window_is_counted_as_one(open_windows: int) -> None:
    assert estimate_wait_minutes(4, 300, open_windows) == estimate_wait_minutes(4, 300, 1) == 20


@pytest.mark.parametrize(
    ("ahead", "avg_service_s", "open_windows", "minutes"),
    [
        (1, 300, 1, 5),
        (6, 300, 2, 15),
        (10, 300, 3, 17),  # 16.67
        (1, 80, 1, 1),  # 1.33
        (1, 100, 1, 2),  # 1.67
        (1, 20, 1, 0),  # 0.33
        (3, 300, 2, 8),  # 7.5: a half rounds up here under either convention
    ],
)
def test_estimate_rounds_to_nearest_minute(
    ahead: int, avg_service_s: int, open_windows: int, minutes: int
) -> None:
    got = estimate_wait_minutes(ahead, avg_service_s, open_windows)
    assert type(got) is int
    assert got == minutes


def test_estimate_is_monotonic() -> None:
    for windows in range(1, 6):
        waits = [estimate_wait_minutes(n, 137, windows) for n in range(100)]
        assert waits == sorted(waits)
    for ahead in range(0, 40, 7):
        waits = [estimate_wait_minutes(ahead, 137, n) for n in range(1, 8)]
        assert waits == sorted(waits, reverse=True)


# --- events carry no personal data ---------------------------------------------------

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SECRETS = {
    "id_masked": "370***********1234",
    "name_masked": "张*三",
    "phone_masked": "138****5678",
    "token_hash": "c0ffee-token-hash-9f8e",
    "id_fingerprint": "f1ngerpr1nt-5c4b3a",
}


def make_ticket(**changes: object) -> Ticket:
    """A green-channel ticket carrying every piece of personal data the model has."""
    base = Ticket(
        id="t1",
        hall_id="h1",
        service="A",
        number="A001",
        business_day=date(2026, 11, 25),
        kind=TicketKind.GREEN,
        channel=Channel.PHONE,
        state=TicketState.CALLED,
        priority=Priority.GREEN,
        issued_at=NOW,
        queue_at=NOW,
        window_id="w3",
        recall_count=1,
        **SECRETS,  # type: ignore[arg-type]
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def make_window(**changes: object) -> Window:
    base = Window(
        id="w3",
        hall_id="h1",
        number=3,
        name="3号窗口",
        services=("A",),
        state=WindowState.SERVING,
        current_ticket_id="t1",
        clerk_id="c1",
        priority_streak=2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


TICKET_KEYS = {
    "ticket",
    "number",
    "service",
    "kind",
    "state",
    "recall_count",
    "window",
    "window_number",
    "window_name",
    "target_window",
}


def dumped(data: dict[str, object]) -> str:
    # ensure_ascii=False, or "张*三" would be escaped and never found.
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("state", list(TicketState))
@pytest.mark.parametrize("with_window", [True, False])
@pytest.mark.parametrize("target", [None, "w4"])
def test_ticket_event_has_no_personal_data(
    state: TicketState, with_window: bool, target: str | None
) -> None:
    ticket = make_ticket(state=state, target_window_id=target)
    event = ticket_event("called", ticket, make_window() if with_window else None)
    text = dumped(event.data)
    for field, value in SECRETS.items():
        assert value not in text, f"{field} leaked into {event.type}: {text}"
    assert set(event.data) <= TICKET_KEYS


def test_ticket_event_content() -> None:
    event = ticket_event("transferred", make_ticket(target_window_id="w4"), make_window())
    assert event.type == "ticket.transferred"
    assert event.data == {
        "ticket": "t1",
        "number": "A001",
        "service": "A",
        "kind": "green",
        "state": "called",
        "recall_count": 1,
        "window": "w3",
        "window_number": 3,
        "window_name": "3号窗口",
        "target_window": "w4",
    }


def test_ticket_event_without_window_or_target() -> None:
    event = ticket_event("cancelled", make_ticket(state=TicketState.CANCELLED))
    assert event.type == "ticket.cancelled"
    assert set(event.data) == {"ticket", "number", "service", "kind", "state", "recall_count"}


@pytest.mark.parametrize("state", list(WindowState))
def test_window_event_is_display_safe(state: WindowState) -> None:
    event = window_event("paused", make_window(state=state, pause_reason="午休"))
    assert event.type == "window.paused"
    assert event.data == {
        "window": "w3",
        "window_number": 3,
        "window_name": "3号窗口",
        "state": state.value,
        "pause_reason": "午休",
        "clerk_name": None,
    }
    text = dumped(event.data)
    assert "c1" not in text and "t1" not in text
