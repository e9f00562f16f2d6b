"""Console commands over the WebSocket: the same use cases as the HTTP window endpoints."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..api.state import AppState
from ..domain.errors import OneWindowError, Unauthorized
from ..domain.model import Actor
from ..usecases.windows import TransferRequest, WindowResult, Windows
from .protocol import Command
from .snapshot import staff_ticket_dict, window_dict

log = logging.getLogger(__name__)

Op = Callable[[Windows, Actor, Command], Awaitable[WindowResult]]

OPS: dict[str, Op] = {
    "open": lambda w, a, m: w.open(m.window, a, command_id=m.cid),
    "close": lambda w, a, m: w.close(m.window, a, command_id=m.cid),
    "pause": lambda w, a, m: w.pause(m.window, a, m.reason, command_id=m.cid),
    "resume": lambda w, a, m: w.resume(m.window, a, command_id=m.cid),
    "call_next": lambda w, a, m: w.call_next(m.window, a, command_id=m.cid),
    "recall": lambda w, a, m: w.recall(m.window, a, command_id=m.cid),
    "no_show": lambda w, a, m: w.no_show(m.window, a, command_id=m.cid),
    "call_back": lambda w, a, m: w.call_back(m.window, a, m.ticket or "", command_id=m.cid),
    "start": lambda w, a, m: w.start(m.window, a, command_id=m.cid),
    "finish": lambda w, a, m: w.finish(m.window, a, command_id=m.cid),
    "transfer": lambda w, a, m: w.transfer(
        m.window,
        a,
        TransferRequest(m.service, m.target_window, m.keep_place, m.reason),
        command_id=m.cid,
    ),
}


async def run_command(app: AppState, actor: Actor | None, msg: Command) -> dict[str, Any]:
    """Run one command; the reply carries the same ``ref``, success or not."""
    try:
        if actor is None:
            raise Unauthorized("sign_in_required", "sign in first", "请先登录")
        result = await OPS[msg.op](app.windows, actor, msg)
    except OneWindowError as err:
        return {"op": "reply", "ref": msg.ref, "ok": False, "error": err.as_dict()}
    except Exception:
        log.exception("command %s at window %s failed", msg.op, msg.window)
        return {
            "op": "reply",
            "ref": msg.ref,
            "ok": False,
            "error": {"code": "internal_error", "message": "internal error; it has been logged",
                      "message_zh": "服务器内部错误，已记录"},
        }  # fmt: skip
    t = result.ticket
    held = t if t is not None and result.window.current_ticket_id == t.id else None
    return {
        "op": "reply",
        "ref": msg.ref,
        "ok": True,
        "replayed": result.replayed,
        "window": window_dict(result.window, held),
        "ticket": staff_ticket_dict(t) if t is not None else None,
    }
