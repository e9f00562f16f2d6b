"""Tests for server.domain.ticket: the ticket state machine, legal and illegal moves."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain import ticket as tk
from server.domain.errors import Conflict, OneWindowError
from server.domain.model import Channel, Priority, Ticket, TicketKind, TicketState

ISSUED = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
NOW = ISSUED + timedelta(minutes=40)
LATER = NOW + timedelta(minutes=5)
W1 = "w1"
W2 = "w2"
CJK = re.compile(r"[\u4e00-\u9fff]")


def make_ticket(**changes: object) -> Ticket:
    """A waiting walk-in ticket A001 at service A; pass fields to vary it."""
    base = Ticket(
        id="t1",
        hall_id="h1",
        service="A",
        number="A001",
        business_day=date(2026, 11, 25),
        kind=TicketKind.WALK_IN,
        channel=Channel.KIOSK,
        state=TicketState.WAITING,
        priority=Priority.WALK_IN,
        issued_at=ISSUED,
        queue_at=ISSUED,
        token_hash="token-hash",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# States in which a ticket sits at (or was settled by) a window.
HELD_STATES = (TicketState.CALLED, TicketState.SERVING, TicketState.NO_SHOW, TicketState.DONE)


def ticket_in(state: TicketState) -> Ticket:
    """A plausible ticket in ``state``: held by W1 where the state implies a window."""
    return make_ticket(state=state, window_id=W1 if state in HELD_STATES else None)


def assert_bilingual(err: OneWindowError) -> None:
    assert err.message and not CJK.search(err.message), err.message
    assert CJK.search(err.message_zh), err.message_zh


# --- the transition table ------------------------------------------------------

ACTIONS: dict[str, Callable[[Ticket], Ticket]] = {
    "call": lambda t: tk.call(t, W1, NOW),
    "recall": lambda t: tk.recall(t, W1, NOW),
    "no_show": lambda t: tk.no_show(t, W1, NOW),
    "call_back": lambda t: tk.call_back(t, W1, NOW),
    "start": lambda t: tk.start(t, W1, NOW),
    "finish": lambda t: tk.finish(t, W1, NOW),
    # To another service, so a waiting ticket is not a no-op transfer.
    "transfer": lambda t: tk.transfer(
        t, service="B", target_window_id=None, keep_place=True, reason=None, now=NOW
    ),
    "cancel": lambda t: tk.cancel(t, NOW),
    "void": lambda t: tk.void(t, NOW),
}

ALLOWED: dict[str, set[TicketState]] = {
    "call": {TicketState.WAITING},
    "recall": {TicketState.CALLED},
    "no_show": {TicketState.CALLED},
    "call_back": {TicketState.NO_SHOW},
    "start": {TicketState.CALLED},
    "finish": {TicketState.SERVING},
    "transfer": {TicketState.WAITING, TicketState.CALLED, TicketState.SERVING},
    "cancel": {TicketState.WAITING},
    "void": {TicketState.WAITING, TicketState.NO_SHOW},
}

RESULT: dict[str, TicketState] = {
    "call": TicketState.CALLED,
    "recall": TicketState.CALLED,
    "no_show": TicketState.NO_SHOW,
    "call_back": TicketState.CALLED,
    "start": TicketState.SERVING,
    "finish": TicketState.DONE,
    "transfer": TicketState.WAITING,
    "cancel": TicketState.CANCELLED,
    "void": TicketState.VOID,
}

LEGAL = [(a, s) for a in ACTIONS for s in TicketState if s in ALLOWED[a]]
ILLEGAL = [(a, s) for a in ACTIONS for s in TicketState if s not in ALLOWED[a]]


def test_table_covers_every_action_and_state() -> None:
    assert set(ACTIONS) == set(tk.ACTION_ZH)
    assert set(tk.STATE_ZH) == set(TicketState)
    assert len(LEGAL) + len(ILLEGAL) == len(ACTIONS) * len(TicketState)


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_legal_transition_returns_new_ticket_and_leaves_original(
    action: str, state: TicketState
) -> None:
    before = ticket_in(state)
    snapshot = replace(before)
    after = ACTIONS[action](before)
    assert after.state is RESULT[action]
    assert after is not before
    assert before == snapshot
    assert before.state is state


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_illegal_transition_raises_conflict(action: str, state: TicketState) -> None:
    before = ticket_in(state)
    snapshot = replace(before)
    with pytest.raises(Conflict) as info:
        ACTIONS[action](before)
    err = info.value
    assert err.code == "illegal_transition"
    assert err.status == 409
    assert "A001" in err.message and state.value in err.message and action in err.message
    assert "A001" in err.message_zh
    assert tk.STATE_ZH[state] in err.message_zh
    assert tk.ACTION_ZH[action] in err.message_zh
    assert_bilingual(err)
    assert before == snapshot


def test_illegal_transition_message_text() -> None:
    with pytest.raises(Conflict) as info:
        tk.finish(make_ticket(), W1, NOW)
    assert info.value.message == "ticket A001 is waiting; cannot finish"
    assert info.value.message_zh == "号票 A001 当前状态为「等待中」，不能办结"
    assert info.value.as_dict() == {
        "code": "illegal_transition",
        "message": "ticket A001 is waiting; cannot finish",
        "message_zh": "号票 A001 当前状态为「等待中」，不能办结",
    }


# --- only the window holding the ticket may act on it --------------------------

WINDOW_BOUND: list[tuple[str, TicketState, Callable[[Ticket, str], Ticket]]] = [
    ("recall", TicketState.CALLED, lambda t, w: tk.recall(t, w, NOW)),
    ("no_show", TicketState.CALLED, lambda t, w: tk.no_show(t, w, NOW)),
    ("start", TicketState.CALLED, lambda t, w: tk.start(t, w, NOW)),
    ("finish", TicketState.SERVING, lambda t, w: tk.finish(t, w, NOW)),
]


@pytest.mark.parametrize(
    ("state", "act"), [(s, f) for _, s, f in WINDOW_BOUND], ids=[a for a, _, _ in WINDOW_BOUND]
)
@pytest.mark.parametrize("holder", [W1, None], ids=["other-window", "no-window"])
def test_acting_from_another_window_is_refused(
    state: TicketState, act: Callable[[Ticket, str], Ticket], holder: str | None
) -> None:
    before = make_ticket(state=state, window_id=holder)
    snapshot = replace(before)
    with pytest.raises(Conflict) as info:
        act(before, W2)
    assert info.value.code == "not_this_window"
    assert "A001" in info.value.message and "A001" in info.value.message_zh
    assert_bilingual(info.value)
    assert before == snapshot


@pytest.mark.parametrize(
    ("state", "act"), [(s, f) for _, s, f in WINDOW_BOUND], ids=[a for a, _, _ in WINDOW_BOUND]
)
def test_holding_window_may_act(state: TicketState, act: Callable[[Ticket, str], Ticket]) -> None:
    after = act(make_ticket(state=state, window_id=W2), W2)
    assert after.window_id == W2


# --- each legal transition, field by field -------------------------------------


def test_call() -> None:
    waiting = make_ticket(target_window_id=W1, recall_count=2)
    called = tk.call(waiting, W1, NOW)
    assert called == replace(
        waiting,
        state=TicketState.CALLED,
        window_id=W1,
        target_window_id=None,
        called_at=NOW,
        recall_count=0,
    )


def test_recall_counts_each_recall() -> None:
    called = tk.call(make_ticket(), W1, NOW)
    once = tk.recall(called, W1, LATER)
    twice = tk.recall(once, W1, LATER + timedelta(minutes=1))
    assert once == replace(called, recall_count=1, called_at=LATER)
    assert twice.recall_count == 2
    assert twice.called_at == LATER + timedelta(minutes=1)
    assert twice.state is TicketState.CALLED and twice.window_id == W1
    assert called.recall_count == 0 and once.recall_count == 1


def test_no_show_keeps_window_and_sets_finished_at() -> None:
    called = tk.call(make_ticket(), W1, NOW)
    passed = tk.no_show(called, W1, LATER)
    assert passed == replace(called, state=TicketState.NO_SHOW, finished_at=LATER)


@pytest.mark.parametrize("window_id", [W1, W2], ids=["same-window", "other-window"])
def test_call_back_is_a_counted_recall_from_any_window(window_id: str) -> None:
    passed = tk.no_show(tk.recall(tk.call(make_ticket(), W1, NOW), W1, NOW), W1, NOW)
    assert passed.recall_count == 1
    back = tk.call_back(passed, window_id, LATER)
    assert back == replace(
        passed,
        state=TicketState.CALLED,
        window_id=window_id,
        called_at=LATER,
        finished_at=None,
        recall_count=2,
    )


def test_start() -> None:
    called = tk.call(make_ticket(), W1, NOW)
    serving = tk.start(called, W1, LATER)
    assert serving == replace(called, state=TicketState.SERVING, started_at=LATER)


def test_finish() -> None:
    serving = tk.start(tk.call(make_ticket(), W1, NOW), W1, NOW)
    done = tk.finish(serving, W1, LATER)
    assert done == replace(serving, state=TicketState.DONE, finished_at=LATER)


def test_full_journey_with_a_pass_and_a_call_back() -> None:
    t = make_ticket()
    t = tk.call(t, W1, NOW)
    t = tk.recall(t, W1, NOW)
    t = tk.no_show(t, W1, NOW)
    t = tk.call_back(t, W2, NOW)
    t = tk.start(t, W2, NOW)
    t = tk.finish(t, W2, LATER)
    assert (t.state, t.window_id, t.recall_count) == (TicketState.DONE, W2, 2)
    assert t.finished_at == LATER


def test_cancel() -> None:
    waiting = make_ticket()
    assert tk.cancel(waiting, NOW) == replace(waiting, state=TicketState.CANCELLED, finished_at=NOW)


@pytest.mark.parametrize("state", [TicketState.WAITING, TicketState.NO_SHOW])
def test_void(state: TicketState) -> None:
    stale = ticket_in(state)
    assert tk.void(stale, NOW) == replace(stale, state=TicketState.VOID, finished_at=NOW)


# --- transfer ------------------------------------------------------------------


def served_ticket(**changes: object) -> Ticket:
    """A ticket being served at W1, recalled once; it was sent to the back once before."""
    t = make_ticket(queue_at=ISSUED + timedelta(minutes=20), transfer_count=1, **changes)
    t = tk.recall(tk.call(t, W1, NOW), W1, NOW)
    return tk.start(t, W1, NOW)


def test_transfer_keep_place_returns_to_issue_time() -> None:
    serving = served_ticket()
    moved = tk.transfer(
        serving, service="B", target_window_id=None, keep_place=True, reason="材料齐全", now=LATER
    )
    assert moved == replace(
        serving,
        state=TicketState.WAITING,
        service="B",
        window_id=None,
        target_window_id=None,
        queue_at=ISSUED,
        transfer_count=2,
        called_at=None,
        started_at=None,
        recall_count=0,
        note="材料齐全",
    )


def test_transfer_to_the_back_queues_at_now() -> None:
    serving = served_ticket()
    moved = tk.transfer(
        serving, service="B", target_window_id=None, keep_place=False, reason=None, now=LATER
    )
    assert moved.queue_at == LATER
    assert moved.issued_at == ISSUED
    assert moved.state is TicketState.WAITING


def test_transfer_to_a_named_window_keeps_number() -> None:
    called = tk.call(make_ticket(), W1, NOW)
    moved = tk.transfer(
        called, service="A", target_window_id=W2, keep_place=True, reason=None, now=LATER
    )
    assert moved.target_window_id == W2
    assert moved.window_id is None
    assert moved.service == "A"
    assert moved.number == "A001" and moved.id == "t1"
    assert moved.transfer_count == 1


@pytest.mark.parametrize(
    ("kind", "priority"),
    [
        (TicketKind.WALK_IN, Priority.WALK_IN),
        (TicketKind.GREEN, Priority.GREEN),
        (TicketKind.APPOINTMENT, Priority.APPOINTMENT),
        (TicketKind.TRANSFER, Priority.WALK_IN),
    ],
)
def test_transfer_keeps_the_dispatch_class_of_its_kind(
    kind: TicketKind, priority: Priority
) -> None:
    serving = served_ticket(kind=kind, priority=priority)
    moved = tk.transfer(
        serving, service="B", target_window_id=None, keep_place=True, reason=None, now=LATER
    )
    assert moved.priority is priority
    assert moved.kind is kind


def test_called_ticket_can_go_back_to_its_own_queue() -> None:
    called = tk.call(make_ticket(), W1, NOW)
    moved = tk.transfer(
        called, service="A", target_window_id=None, keep_place=False, reason=None, now=LATER
    )
    assert (moved.state, moved.service, moved.queue_at) == (TicketState.WAITING, "A", LATER)


def test_waiting_ticket_can_move_to_a_named_window_of_its_service() -> None:
    waiting = make_ticket()
    moved = tk.transfer(
        waiting, service="A", target_window_id=W2, keep_place=True, reason=None, now=NOW
    )
    assert moved.target_window_id == W2


@pytest.mark.parametrize("keep_place", [True, False])
def test_transfer_to_the_queue_it_waits_in_is_a_noop(keep_place: bool) -> None:
    waiting = make_ticket()
    with pytest.raises(Conflict) as info:
        tk.transfer(
            waiting,
            service="A",
            target_window_id=None,
            keep_place=keep_place,
            reason=None,
            now=NOW,
        )
    assert info.value.code == "transfer_noop"
    assert_bilingual(info.value)


def test_waiting_ticket_for_a_named_window_can_be_released_to_the_service_queue() -> None:
    waiting = make_ticket(target_window_id=W2, transfer_count=1)
    moved = tk.transfer(
        waiting, service="A", target_window_id=None, keep_place=True, reason=None, now=NOW
    )
    assert moved.target_window_id is None
    assert moved.state is TicketState.WAITING


def test_transfer_to_the_named_window_it_waits_for_is_a_noop() -> None:
    waiting = make_ticket(target_window_id=W2, transfer_count=1)
    with pytest.raises(Conflict) as info:
        tk.transfer(
            waiting, service="A", target_window_id=W2, keep_place=True, reason=None, now=NOW
        )
    assert info.value.code == "transfer_noop"


def test_appointment_transferred_keeping_its_place_keeps_its_slot_time() -> None:
    slot = ISSUED + timedelta(minutes=25)  # checked in 25 minutes before its 10:00 slot
    appointment = make_ticket(
        number="A002",
        kind=TicketKind.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        channel=Channel.PHONE,
        queue_at=slot,
        slot_at=slot,
    )
    called = tk.call(appointment, W1, NOW)
    moved = tk.transfer(
        called, service="B", target_window_id=None, keep_place=True, reason=None, now=LATER
    )
    assert moved.queue_at == slot


# --- immutability ----------------------------------------------------------------


def test_tickets_are_frozen() -> None:
    t = make_ticket()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.state = TicketState.DONE  # type: ignore[misc]
    assert t.state is TicketState.WAITING
