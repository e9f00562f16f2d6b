"""Tests for server.domain.window: the window state machine, legal and illegal moves."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from server.domain import window as wn
from server.domain.errors import Conflict, OneWindowError
from server.domain.model import Window, WindowState

CJK = re.compile(r"[\u4e00-\u9fff]")


def make_window(**changes: object) -> Window:
    """Window 3, closed, serving services A and B; pass fields to vary it."""
    base = Window(id="w3", hall_id="h1", number=3, name="3号窗口", services=("A", "B"))
    return replace(base, **changes)  # type: ignore[arg-type]


def window_in(state: WindowState) -> Window:
    """A plausible window in ``state``: staffed unless closed, holding t1 when serving."""
    if state is WindowState.CLOSED:
        return make_window()
    w = make_window(state=state, clerk_id="c1", priority_streak=2)
    if state is WindowState.PAUSED:
        return replace(w, pause_reason="午休")
    if state is WindowState.SERVING:
        return replace(w, current_ticket_id="t1")
    return w


def assert_bilingual(err: OneWindowError) -> None:
    assert err.message and not CJK.search(err.message), err.message
    assert CJK.search(err.message_zh), err.message_zh


# --- the transition table ------------------------------------------------------

ACTIONS: dict[str, Callable[[Window], object]] = {
    "open": lambda w: wn.open_(w, "c9"),
    "pause": lambda w: wn.pause(w, "开会"),
    "resume": wn.resume,
    "close": wn.close,
    "occupy": lambda w: wn.occupy(w, "t9", 1),
    "release": wn.release,
    "require_free": lambda w: wn.require_free(w, "call", "叫号"),
}

ALLOWED: dict[str, set[WindowState]] = {
    "open": {WindowState.CLOSED},
    "pause": {WindowState.OPEN},
    "resume": {WindowState.PAUSED},
    "close": {WindowState.OPEN, WindowState.PAUSED},
    "occupy": {WindowState.OPEN},
    "release": {WindowState.SERVING},
    "require_free": {WindowState.OPEN},
}

# Words of each action that the refusal must show, in English and Chinese.
WORDS: dict[str, tuple[str, str]] = {
    "open": ("open", "开启"),
    "pause": ("pause", "暂停"),
    "resume": ("resume", "恢复"),
    "close": ("close", "关闭"),
    "occupy": ("call", "叫号"),
    "release": ("release", "释放"),
    "require_free": ("call", "叫号"),
}

RESULT: dict[str, WindowState] = {
    "open": WindowState.OPEN,
    "pause": WindowState.PAUSED,
    "resume": WindowState.OPEN,
    "close": WindowState.CLOSED,
    "occupy": WindowState.SERVING,
    "release": WindowState.OPEN,
}

LEGAL = [(a, s) for a in ACTIONS for s in WindowState if s in ALLOWED[a]]
ILLEGAL = [(a, s) for a in ACTIONS for s in WindowState if s not in ALLOWED[a]]


def test_state_names_cover_every_state() -> None:
    assert set(wn.STATE_ZH) == set(WindowState)


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_legal_transition_leaves_original(action: str, state: WindowState) -> None:
    before = window_in(state)
    snapshot = replace(before)
    after = ACTIONS[action](before)
    if action == "require_free":
        assert after is None
    else:
        assert isinstance(after, Window)
        assert after.state is RESULT[action]
    assert before == snapshot


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_illegal_transition_raises_window_state(action: str, state: WindowState) -> None:
    before = window_in(state)
    snapshot = replace(before)
    with pytest.raises(Conflict) as info:
        ACTIONS[action](before)
    err = info.value
    en, zh = WORDS[action]
    assert err.code == "window_state"
    assert err.status == 409
    assert "window 3" in err.message and state.value in err.message and en in err.message
    assert "3号窗口" in err.message_zh and wn.STATE_ZH[state] in err.message_zh
    assert zh in err.message_zh
    assert_bilingual(err)
    assert before == snapshot


def test_illegal_transition_message_text() -> None:
    with pytest.raises(Conflict) as info:
        wn.pause(window_in(WindowState.SERVING), None)
    assert info.value.message == "window 3 is serving; cannot pause"
    assert info.value.message_zh == "3号窗口当前服务中，不能暂停"


# --- each legal transition, field by field -------------------------------------


def test_open_signs_the_clerk_in() -> None:
    closed = make_window(pause_reason="stale")
    opened = wn.open_(closed, "c1")
    assert opened == replace(closed, state=WindowState.OPEN, clerk_id="c1", pause_reason=None)


@pytest.mark.parametrize("reason", ["午休", None])
def test_pause_records_reason(reason: str | None) -> None:
    open_ = window_in(WindowState.OPEN)
    paused = wn.pause(open_, reason)
    assert paused == replace(open_, state=WindowState.PAUSED, pause_reason=reason)


def test_resume_clears_reason() -> None:
    paused = window_in(WindowState.PAUSED)
    resumed = wn.resume(paused)
    assert resumed == replace(paused, state=WindowState.OPEN, pause_reason=None)
    assert resumed.clerk_id == "c1"


@pytest.mark.parametrize("state", [WindowState.OPEN, WindowState.PAUSED])
def test_close_signs_out_and_resets_streak(state: WindowState) -> None:
    before = window_in(state)
    closed = wn.close(before)
    assert closed == replace(
        before, state=WindowState.CLOSED, clerk_id=None, pause_reason=None, priority_streak=0
    )


def test_occupy_holds_ticket_and_records_streak() -> None:
    open_ = window_in(WindowState.OPEN)
    busy = wn.occupy(open_, "t7", 4)
    assert busy == replace(
        open_, state=WindowState.SERVING, current_ticket_id="t7", priority_streak=4
    )


def test_release_frees_window_and_keeps_streak() -> None:
    busy = window_in(WindowState.SERVING)
    free = wn.release(busy)
    assert free == replace(busy, state=WindowState.OPEN, current_ticket_id=None)
    assert free.priority_streak == 2


def test_a_day_at_the_window() -> None:
    w = wn.open_(make_window(), "c1")
    w = wn.occupy(w, "t1", 1)
    w = wn.release(w)
    w = wn.pause(w, "午休")
    w = wn.resume(w)
    w = wn.occupy(w, "t2", 2)
    w = wn.release(w)
    w = wn.close(w)
    assert w == make_window()


def test_require_free_uses_the_callers_words() -> None:
    with pytest.raises(Conflict) as info:
        wn.require_free(window_in(WindowState.PAUSED), "call back", "召回")
    assert info.value.code == "window_state"
    assert info.value.message == "window 3 is paused; cannot call back"
    assert info.value.message_zh == "3号窗口当前暂停服务，不能召回"


# --- require_current -----------------------------------------------------------


def test_require_current_returns_the_held_ticket() -> None:
    assert wn.require_current(window_in(WindowState.SERVING)) == "t1"


@pytest.mark.parametrize("state", [WindowState.CLOSED, WindowState.OPEN, WindowState.PAUSED])
def test_require_current_without_ticket_raises(state: WindowState) -> None:
    with pytest.raises(Conflict) as info:
        wn.require_current(window_in(state))
    err = info.value
    assert err.code == "no_current_ticket"
    assert err.status == 409
    assert "window 3" in err.message and "3号窗口" in err.message_zh
    assert_bilingual(err)


# --- immutability ----------------------------------------------------------------


def test_windows_are_frozen() -> None:
    w = make_window()
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.state = WindowState.OPEN  # type: ignore[misc]
    assert w.state is WindowState.CLOSED
