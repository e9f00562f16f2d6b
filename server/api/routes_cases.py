"""One-window intake, department approval, unified pickup and status query."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import case as cs
from ..domain.case import CaseState
from ..domain.model import Channel
from ..usecases.case_tasks import item_dict
from ..usecases.cases import Applicant, CaseView, IntakeRequest
from . import schemas_cases as m
from .http import Endpoint, ok
from .routes_citizen import CITIZEN, citizen_of
from .routes_public import issued_out
from .state import client_address, signed_in, state


def view_dict(v: CaseView, *, public: bool = False) -> dict[str, Any]:
    """The JSON of a case view; ``public`` leaves out staff, notes and the checklist."""
    c = v.case
    out: dict[str, Any] = {
        "id": c.id, "number": c.number, "hall": c.hall_id, "matter": c.matter,
        "matter_name": v.matter.name, "state": c.state.value, "state_zh": cs.CASE_ZH[c.state],
        "outcome": c.outcome, "channel": c.channel,
        "business_day": c.business_day.isoformat(), "applicant": c.name_masked,
        "id_masked": c.id_masked, "created_at": c.created_at.isoformat(),
        "accepted_at": c.accepted_at.isoformat() if c.accepted_at else None,
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        "closed_at": c.closed_at.isoformat() if c.closed_at else None,
        "promised_days": c.promised_days, "legal_days": c.legal_days, **v.clock.as_dict(),
        "missing": [{"key": k, "name": m.name} for k in c.missing
                    if (m := v.matter.material(k)) is not None],
        "tasks": [{"department": t.department, "lead": t.lead, "state": t.state.value}
                  for t in v.tasks],
        "timeline": [{"at": e.at.isoformat(), "action": e.action, "to_state": e.to_state,
                      "department": e.department, "note": e.note,
                      **({} if public else {"actor": e.actor_name, "internal": e.internal})}
                     for e in v.timeline],
    }  # fmt: skip
    if not public:
        out.update({
            "phone_masked": c.phone_masked, "collector": c.collector_masked,
            "checklist": {k: m.value for k, m in c.checklist.items()}, "reasons": c.reasons,
            "tracking_no": c.tracking_no, "ticket": c.ticket_id, "window": c.window_id,
            "application": c.application_id,
            "files": [{"material": u.material, "digest": u.digest, "name": u.name,
                       "size": u.size, "content_type": u.content_type} for u in v.uploads],
            "tasks": [{"id": t.id, "department": t.department, "lead": t.lead,
                       "state": t.state.value, "officer": t.officer_name, "note": t.note,
                       "decided_at": t.decided_at.isoformat() if t.decided_at else None}
                      for t in v.tasks],
        })  # fmt: skip
    elif c.state is CaseState.REFUSED or c.outcome == CaseState.REJECTED.value:
        out["reasons"] = c.reasons  # the citizen is told why, as the written decision says
    return out


def case_out(v: CaseView, *, public: bool = False) -> m.CaseOut:
    return m.CaseOut.model_validate(view_dict(v, public=public))


def _applicant(a: m.ApplicantIn | m.CollectorIn) -> Applicant:
    return Applicant(name=a.name, id_number=a.id_number, phone=getattr(a, "phone", None),
                     address=getattr(a, "address", None))  # fmt: skip


async def intake(request: Request, body: m.IntakeIn) -> Response:
    req = IntakeRequest(
        hall=body.hall, matter=body.matter, applicant=_applicant(body.applicant),
        materials=dict(body.materials), decision=body.decision, reason=body.reason,
        ticket=body.ticket, window=body.window,
        collector=_applicant(body.collector) if body.collector else None,
    )  # fmt: skip
    return ok(case_out(await state(request).cases.intake(signed_in(request), req)), 201)


async def get_case(request: Request, _: Any) -> Response:
    v = await state(request).cases.get(signed_in(request), request.path_params["case"])
    return ok(case_out(v))


async def find(request: Request, _: Any) -> Response:
    v = await state(request).cases.find(signed_in(request), request.path_params["hall"],
                                        request.query_params.get("number", ""))  # fmt: skip
    return ok(case_out(v))


async def personal(request: Request, _: Any) -> Response:
    found = await state(request).cases.personal(signed_in(request), request.path_params["case"])
    return ok(m.PersonalOut.model_validate(found))


async def accept(request: Request, body: m.AcceptIn) -> Response:
    v = await state(request).cases.accept(signed_in(request), request.path_params["case"],
                                          dict(body.materials))  # fmt: skip
    return ok(case_out(v))


async def refuse(request: Request, body: m.ReasonIn) -> Response:
    v = await state(request).cases.refuse(signed_in(request), request.path_params["case"],
                                          body.reason)  # fmt: skip
    return ok(case_out(v))


async def withdraw(request: Request, body: m.ReasonIn) -> Response:
    v = await state(request).cases.withdraw(signed_in(request), request.path_params["case"],
                                            body.reason)  # fmt: skip
    return ok(case_out(v))


async def inbox(request: Request, _: Any) -> Response:
    who = signed_in(request)
    view = request.query_params.get("view", "open")
    found = await state(request).case_tasks.inbox(who, view)
    return ok(m.Inbox(department=who.department_id or "", tasks=[m.InboxItemOut.model_validate(item_dict(i)) for i in found]))


async def act(request: Request, body: m.ReasonIn) -> Response:
    v = await state(request).case_tasks.act(signed_in(request), request.path_params["task"],
                                            request.path_params["action"], body.reason)  # fmt: skip
    return ok(case_out(v))


async def pickup_ticket(request: Request, body: m.PickupTicketIn) -> Response:
    hall_id = request.path_params["hall"]
    got = await state(request).pickup.take_ticket(
        hall_id, body.number, body.id_suffix, body.id_number, Channel(body.channel),
        client_address(request))
    matters = state(request).matters
    ready = [m.ReadyCase(number=c.number, matter_name=(
        await matters.matter(hall_id, c.matter, include_disabled=True)).name) for c in got.cases]
    issued = await issued_out(request, hall_id, got.view, got.token)
    return ok(m.PickupTicketOut(ticket=issued, cases=ready), 201)


async def ready(request: Request, body: m.ReadyIn) -> Response:
    found = await state(request).pickup.ready(
        signed_in(request), request.path_params["hall"], body.ticket, body.id_number)
    return ok(m.CaseList(cases=[case_out(v) for v in found]))


async def pick_up(request: Request, body: m.PickupIn) -> Response:
    v = await state(request).pickup.hand_out(signed_in(request), request.path_params["case"],
                                             body.collector_id, body.waived_supplied)  # fmt: skip
    return ok(case_out(v))


async def mail(request: Request, body: m.MailIn) -> Response:
    v = await state(request).pickup.hand_out(signed_in(request), request.path_params["case"],
                                             None, body.waived_supplied,
                                             body.tracking_no)  # fmt: skip
    return ok(case_out(v))


async def status(request: Request, body: m.StatusIn) -> Response:
    v = await state(request).case_query.status(body.number, body.id_suffix,
                                               client_address(request))  # fmt: skip
    return ok(case_out(v, public=True))


async def mine(request: Request, _: Any) -> Response:
    citizen = await citizen_of(request, required=True)
    assert citizen is not None
    found = await state(request).case_query.mine(citizen)
    return ok(m.CaseList(cases=[case_out(v, public=True) for v in found]))


ACTIONS = "claim, release, approve, reject, supplement, suspend or resume"
# fmt: off
ENDPOINTS = [
    Endpoint("POST", "/api/cases", intake, "Take in a case from the ticket being served (受理): accept, issue the one-time notice of missing materials, or refuse (hall staff)", m.CaseOut, m.IntakeIn, status=201, auth=True, tag="cases"),
    Endpoint("GET", "/api/cases/{case}", get_case, "A case with its tasks, deadline and timeline (hall staff, officers of its departments)", m.CaseOut, auth=True, tag="cases"),
    Endpoint("GET", "/api/cases/{case}/personal", personal, "The applicant's unmasked data (entitled staff; every view audited)", m.PersonalOut, auth=True, tag="cases"),
    Endpoint("POST", "/api/cases/{case}/accept", accept, "Accept a case once its materials are complete (hall staff)", m.CaseOut, m.AcceptIn, auth=True, tag="cases"),
    Endpoint("POST", "/api/cases/{case}/refuse", refuse, "Refuse a case, with reasons (不予受理; hall staff)", m.CaseOut, m.ReasonIn, auth=True, tag="cases"),
    Endpoint("POST", "/api/cases/{case}/withdraw", withdraw, "Withdraw a case before its decision (hall staff)", m.CaseOut, m.ReasonIn, auth=True, tag="cases"),
    Endpoint("POST", "/api/cases/{case}/pickup", pick_up, "Hand out the result to the applicant or an authorised collector (hall staff)", m.CaseOut, m.PickupIn, auth=True, tag="cases"),
    Endpoint("POST", "/api/cases/{case}/mail", mail, "Mark the result mailed, with its tracking number (hall staff)", m.CaseOut, m.MailIn, auth=True, tag="cases"),
    Endpoint("GET", "/api/halls/{hall}/cases", find, "A case of the hall by its exact 受理编号, e.g. when the citizen returns after a correction notice (hall staff)", m.CaseOut, auth=True, tag="cases", query=(("number", "the 受理编号", True),)),
    Endpoint("POST", "/api/halls/{hall}/pickup", ready, "Results waiting for the citizen of a ticket or an ID number (hall staff; a POST so the ID number stays out of URLs)", m.CaseList, m.ReadyIn, auth=True, tag="cases"),
    Endpoint("POST", "/api/halls/{hall}/pickup-tickets", pickup_ticket, "Take a pickup ticket by 受理编号 or ID number (kiosk, phone)", m.PickupTicketOut, m.PickupTicketIn, status=201, tag="cases"),
    Endpoint("POST", "/api/case-status", status, "Status query by 受理编号 and the ID number's last 4 characters (public, rate-limited)", m.CaseOut, m.StatusIn, tag="cases"),
    Endpoint("GET", "/api/citizen/cases", mine, "A signed-in citizen's own cases", m.CaseList, tag="citizen", reads_token=False, headers=CITIZEN),
    Endpoint("GET", "/api/dept/tasks", inbox, "The officer's department inbox by deadline; view=open|overdue|due_soon (officers)", m.Inbox, auth=True, tag="dept", query=(("view", "open (default), overdue or due_soon", False),)),
    Endpoint("POST", "/api/tasks/{task}/{action}", act, f"Work a task: {ACTIONS}; reject, supplement and suspend need a reason (officers of its department)", m.CaseOut, m.ReasonIn, auth=True, tag="dept"),
]
# fmt: on
