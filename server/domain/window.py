"""The window state machine: closed / open / paused / serving.

    closed ──open──▶ open ──occupy──▶ serving ──release──▶ open
                      │ ▲
                pause │ │ resume
                      ▼ │
                     paused        open|paused ──close──▶ closed

A window holding a ticket (serving) must settle it before pausing or closing,
so no citizen is left called at a window nobody is at.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import Conflict
from .model import Window, WindowState

STATE_ZH = {
    WindowState.CLOSED: "未开启",
    WindowState.OPEN: "空闲",
    WindowState.PAUSED: "暂停服务",
    WindowState.SERVING: "服务中",
}


def _illegal(window: Window, action_en: str, action_zh: str) -> Conflict:
    return Conflict(
        "window_state",
        f"window {window.number} is {window.state.value}; cannot {action_en}",
        f"{window.number}号窗口当前{STATE_ZH[window.state]}，不能{action_zh}",
    )


def open_(window: Window, clerk_id: str) -> Window:
    if window.state is not WindowState.CLOSED:
        raise _illegal(window, "open", "开启")
    return replace(
        window, state=WindowState.OPEN, clerk_id=clerk_id, clerk_name=None, pause_reason=None
    )


def pause(window: Window, reason: str | None) -> Window:
    if window.state is not WindowState.OPEN:
        raise _illegal(window, "pause", "暂停")
    return replace(window, state=WindowState.PAUSED, pause_reason=reason)


def resume(window: Window) -> Window:
    if window.state is not WindowState.PAUSED:
        raise _illegal(window, "resume", "恢复")
    return replace(window, state=WindowState.OPEN, pause_reason=None)


def close(window: Window) -> Window:
    if window.state not in (WindowState.OPEN, WindowState.PAUSED):
        raise _illegal(window, "close", "关闭")
    return replace(
        window,
        state=WindowState.CLOSED,
        clerk_id=None,
        clerk_name=None,
        pause_reason=None,
        priority_streak=0,
        appointment_streak=0,
    )


def require_free(window: Window, action_en: str, action_zh: str) -> None:
    """Calling a ticket needs an open window with nobody at it."""
    if window.state is not WindowState.OPEN:
        raise _illegal(window, action_en, action_zh)


def occupy(
    window: Window, ticket_id: str, streak: int, appointment_streak: int | None = None
) -> Window:
    require_free(window, "call", "叫号")
    return replace(
        window,
        state=WindowState.SERVING,
        current_ticket_id=ticket_id,
        priority_streak=streak,
        appointment_streak=(
            window.appointment_streak if appointment_streak is None else appointment_streak
        ),
    )


def release(window: Window) -> Window:
    if window.state is not WindowState.SERVING:
        raise _illegal(window, "release a ticket", "释放号票")
    return replace(window, state=WindowState.OPEN, current_ticket_id=None)


def require_current(window: Window) -> str:
    if window.current_ticket_id is None:
        raise Conflict(
            "no_current_ticket",
            f"window {window.number} has no ticket",
            f"{window.number}号窗口当前没有号票",
        )
    return window.current_ticket_id
