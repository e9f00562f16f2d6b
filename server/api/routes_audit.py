"""The audit trail: who did what, when (admin; a supervisor for their hall)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import InvalidInput
from ..store.audit_sql import AuditQuery
from . import schemas_admin as m
from .http import Endpoint, ok
from .state import signed_in, state

_FILTERS = (
    ("hall", "only this hall's entries (`*` for those outside any hall)", False),
    ("actor", "username of whoever acted", False),
    ("action", "an action (`auth.sign_in`), or a prefix ending in a dot (`config.`)", False),
    ("target", "id of what was acted on", False),
    ("since", "ISO time, inclusive", False),
    ("until", "ISO time, exclusive", False),
)


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("invalid_request", f"{name} is not an ISO time", f"{name} 时间格式不正确",
                           field=name) from exc  # fmt: skip
    if value.tzinfo is None:
        raise InvalidInput("invalid_request", f"{name} needs a time zone (e.g. +08:00)",
                           f"{name} 须带时区，如 +08:00", field=name)  # fmt: skip
    return value


def _query(request: Request) -> AuditQuery:
    p = request.query_params
    try:
        limit = min(max(int(p.get("limit", "100")), 1), 500)
    except ValueError as exc:
        raise InvalidInput("invalid_request", "limit is a number", "limit 须为数字",
                           field="limit") from exc  # fmt: skip
    return AuditQuery(
        chain=p.get("hall") or None, actor=p.get("actor") or None, action=p.get("action") or None,
        target=p.get("target") or None, since=_time(request, "since"),
        until=_time(request, "until"), before=p.get("before") or None, limit=limit,
    )  # fmt: skip


async def audit_page(request: Request, _: Any) -> Response:
    entries, nxt = await state(request).audit_log.page(signed_in(request), _query(request))
    return ok(m.AuditPage(entries=[m.AuditEntry(**e) for e in entries], next=nxt))


async def audit_csv(request: Request, _: Any) -> Response:
    text = await state(request).audit_log.csv(signed_in(request), _query(request))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="onewindow-audit.csv"'},
    )


ENDPOINTS = (
    Endpoint("GET", "/api/audit", audit_page, "Audit log, newest first, paged (admin; a supervisor for their hall)", m.AuditPage, auth=True, tag="audit",
             query=(*_FILTERS, ("before", "cursor: the `next` of the previous page", False), ("limit", "entries per page (1–500)", False))),
    Endpoint("GET", "/api/audit.csv", audit_csv, "Audit log as CSV (same filters)", auth=True, tag="audit", query=_FILTERS),
)  # fmt: skip
