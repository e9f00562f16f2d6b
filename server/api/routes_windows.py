"""Window operations for signed-in staff: one endpoint per action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import access
from ..domain.model import Actor
from ..usecases.windows import TransferRequest, WindowResult, Windows
from . import schemas
from .http import Endpoint, ok
from .state import actor, require_role, staff_ticket, state, window_out

Op = Callable[[Windows, str, Actor, Any, str | None], Awaitable[WindowResult]]


def _endpoint(
    name: str, summary: str, op: Op, body: type[schemas.Strict] | None = None
) -> Endpoint:
    async def handler(request: Request, payload: Any) -> Response:
        who = actor(request)
        assert who is not None
        require_role(who, *access.QUEUE_ROLES)
        st = state(request)
        # A client may retry with the same Idempotency-Key: the command runs once.
        key = request.headers.get("idempotency-key") or None
        result = await op(st.windows, request.path_params["window"], who, payload, key)
        return ok(
            schemas.WindowOpResult(
                window=window_out(result.window, result.ticket if _holds(result) else None),
                ticket=staff_ticket(result.ticket) if result.ticket is not None else None,
                replayed=result.replayed,
            )
        )

    return Endpoint(
        "POST",
        f"/api/windows/{{window}}/{name}",
        handler,
        summary,
        schemas.WindowOpResult,
        body,
        auth=True,
        tag="windows",
        headers=(
            ("Idempotency-Key", "retry-safe command id: a repeat is answered, not run", False),
        ),
    )


def _holds(result: WindowResult) -> bool:
    t = result.ticket
    return t is not None and result.window.current_ticket_id == t.id


def _transfer(body: schemas.TransferRequest) -> TransferRequest:
    return TransferRequest(body.service, body.window, body.keep_place, body.reason)


ENDPOINTS = (
    _endpoint("open", "Open the window and sign in at it", lambda w, i, a, _, k: w.open(i, a, command_id=k)),
    _endpoint("pause", "Pause (暂离) with a reason", lambda w, i, a, b, k: w.pause(i, a, b.reason, command_id=k), schemas.PauseRequest),
    _endpoint("resume", "Resume after a pause", lambda w, i, a, _, k: w.resume(i, a, command_id=k)),
    _endpoint("close", "Close the window", lambda w, i, a, _, k: w.close(i, a, command_id=k)),
    _endpoint("call-next", "Call the next ticket (叫号)", lambda w, i, a, _, k: w.call_next(i, a, command_id=k)),
    _endpoint("recall", "Call the current ticket again (重呼)", lambda w, i, a, _, k: w.recall(i, a, command_id=k)),
    _endpoint("no-show", "The called citizen did not come (过号)", lambda w, i, a, _, k: w.no_show(i, a, command_id=k)),
    _endpoint("call-back", "Call a passed ticket again (召回)", lambda w, i, a, b, k: w.call_back(i, a, b.ticket, command_id=k), schemas.CallBackRequest),
    _endpoint("start", "Start serving the called citizen", lambda w, i, a, _, k: w.start(i, a, command_id=k)),
    _endpoint("finish", "Finish serving (办结)", lambda w, i, a, _, k: w.finish(i, a, command_id=k)),
    _endpoint("transfer", "Transfer the current ticket (转号)", lambda w, i, a, b, k: w.transfer(i, a, _transfer(b), command_id=k), schemas.TransferRequest),
)  # fmt: skip
