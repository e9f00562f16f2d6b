"""Complaints (投诉): public filing and query, the supervisors' steps."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.complaint import STATE_ZH, Complaint
from ..usecases.complaints import FileRequest
from . import schemas_complaints as m
from .http import Endpoint, ok
from .state import client_address, signed_in, state


def _base(x: Complaint, tz: str) -> dict[str, Any]:
    return {
        "tz": tz,
        "number": x.number, "hall": x.hall_id, "channel": x.channel, "state": x.state.value,
        "state_zh": STATE_ZH[x.state], "subject": x.subject.value,
        "subject_label": x.subject_label,
        "filed_at": x.filed_at.isoformat(), "due_day": x.due_day.isoformat(),
        "steps": [{"state": s.value, "at": st.at.isoformat()} for s, st in x.steps.items()],
    }  # fmt: skip


def public_dict(x: Complaint, tz: str) -> dict[str, Any]:
    return {**_base(x, tz), "text": x.text, "answer": x.answer}


def _row(x: Complaint, today: date, tz: str) -> dict[str, Any]:
    return {
        **_base(x, tz),
        "id": x.id, "subject_id": x.subject_id, "name_masked": x.name_masked,
        "phone_masked": x.phone_masked, "assignee": x.assignee_id,
        "assignee_name": x.assignee_name, "overdue": x.overdue(today),
        "steps": [{"state": s.value, "at": st.at.isoformat(), "by": st.by_name}
                  for s, st in x.steps.items()],
    }  # fmt: skip


def staff_out(x: Complaint, today: date, tz: str) -> m.ComplaintStaffOut:
    """One complaint with its texts: only from a read that was audited (or a step)."""
    return m.ComplaintStaffOut.model_validate({**_row(x, today, tz), "text": x.text,
                                               "finding": x.finding, "answer": x.answer})  # fmt: skip


async def _tz(request: Request, hall_id: str) -> str:
    return (await state(request).ctx.hall(hall_id)).hall.tz


async def file(request: Request, body: m.ComplaintIn) -> Response:
    contact = body.contact or m.ComplaintContactIn()
    req = FileRequest(hall=request.path_params["hall"], subject=body.subject,
                      subject_id=body.subject_id, text=body.text, name=contact.name,
                      phone=contact.phone, channel=body.channel)  # fmt: skip
    got = await state(request).complaints.file(req, client_address(request))
    tz = await _tz(request, got.complaint.hall_id)
    return ok(m.ComplaintFiledOut(complaint=m.ComplaintPublicOut.model_validate(
        public_dict(got.complaint, tz)), query_code=got.query_code), 201)  # fmt: skip


async def query(request: Request, body: m.ComplaintQueryIn) -> Response:
    x = await state(request).complaints.query(body.number, body.secret, client_address(request))
    return ok(m.ComplaintPublicOut.model_validate(public_dict(x, await _tz(request, x.hall_id))))


async def board(request: Request, _: Any) -> Response:
    b = await state(request).complaints.board(signed_in(request), request.path_params["hall"],
                                              request.query_params.get("view", "open"))  # fmt: skip
    return ok(m.ComplaintBoardOut(
        today=b.today.isoformat(), tz=b.tz,
        supervisors=[m.SupervisorOut(id=i, name=n) for i, n in b.supervisors],
        complaints=[m.ComplaintRowOut.model_validate(_row(x, b.today, b.tz))
                    for x in b.complaints],
    ))  # fmt: skip


async def get_one(request: Request, _: Any) -> Response:
    x, today = await state(request).complaints.get(signed_in(request),
                                                   request.path_params["complaint"])  # fmt: skip
    return ok(staff_out(x, today, await _tz(request, x.hall_id)))


async def contact(request: Request, _: Any) -> Response:
    c = await state(request).complaints.contact(signed_in(request),
                                                request.path_params["complaint"])  # fmt: skip
    return ok(m.ComplaintContactOut(name=c.name, phone=c.phone))


async def act(request: Request, body: m.ComplaintStepIn) -> Response:
    x, today = await state(request).complaints.act(
        signed_in(request), request.path_params["complaint"], request.path_params["action"],
        body.model_dump(),
    )
    return ok(staff_out(x, today, await _tz(request, x.hall_id)))


# fmt: off
ENDPOINTS = [
    Endpoint("POST", "/api/halls/{hall}/complaints", file, "File a complaint about a window, a clerk, a matter or the hall (public, rate-limited per client and channel, capped per hall per day); the query code is given once, and texted to the phone left", m.ComplaintFiledOut, m.ComplaintIn, status=201, tag="complaints", max_body=m.BODY_MAX),
    Endpoint("POST", "/api/complaint-status", query, "A complaint's progress and answer by its number and query code (public, rate-limited; a number locks after 10 codes tried in a day)", m.ComplaintPublicOut, m.ComplaintQueryIn, tag="complaints"),
    Endpoint("GET", "/api/halls/{hall}/complaints", board, "The hall's complaints without their texts, overdue ones marked, with the supervisors to assign to; view=open|all (the hall's supervisors, admins)", m.ComplaintBoardOut, auth=True, tag="complaints", query=(("view", "open (default: not yet answered) or all (the last 90 days)", False),)),
    Endpoint("GET", "/api/complaints/{complaint}", get_one, "One complaint with every step and its texts (the hall's supervisors, admins; every read audited)", m.ComplaintStaffOut, auth=True, tag="complaints"),
    Endpoint("GET", "/api/complaints/{complaint}/contact", contact, "The contact the citizen left, unmasked (the hall's supervisors, admins; every view audited)", m.ComplaintContactOut, auth=True, tag="complaints"),
    Endpoint("POST", "/api/complaints/{complaint}/{action}", act, "A step, in order: assign (assignee), investigate (finding), answer (answer: texted to the citizen), close (the hall's supervisors, admins)", m.ComplaintStaffOut, m.ComplaintStepIn, auth=True, tag="complaints", max_body=m.BODY_MAX),
]
# fmt: on
