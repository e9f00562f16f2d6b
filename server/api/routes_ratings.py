"""Ratings (好差评): the pad and the phone rate; supervisors pair pads, follow bad ratings
up (差评整改) and mark malicious ones. No endpoint changes or deletes a rating."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import InvalidInput
from ..usecases.ratings import RatingInput, Status
from . import schemas_ratings as m
from .http import Endpoint, ok
from .state import client_address, public_base, signed_in, state

PAD_KEY = (("X-Pad-Key", "the pad's key, issued when it was paired with the window", True),)
TOKEN = (("token", "the ticket's secret token", True),)


def _token(request: Request) -> str:
    token = request.query_params.get("token", "")
    if not token:
        raise InvalidInput("token_required", "the ticket token is required", "缺少号票凭证 token")
    return token


def _status(s: Status, number: str | None = None) -> m.RatingStatus:
    return m.RatingStatus.model_validate({**s.as_dict(), "number": number})


# --- citizens ------------------------------------------------------------------------


async def ticket_rating(request: Request, _: Any) -> Response:
    s = await state(request).ratings.ticket_status(request.path_params["ticket"], _token(request))
    return ok(_status(s))


async def rate_ticket(request: Request, body: m.RatingIn) -> Response:
    given = RatingInput(body.level, tuple(body.reasons), body.comment, body.phone)
    s = await state(request).ratings.rate_ticket(request.path_params["ticket"], _token(request),
                                                 given)  # fmt: skip
    return ok(_status(s), 201)


async def case_rating(request: Request, body: m.CaseRatingQueryIn) -> Response:
    number, s = await state(request).ratings.case_status(body.number, body.id_number,
                                                         client_address(request))  # fmt: skip
    return ok(_status(s, number))


async def rate_case(request: Request, body: m.CaseRatingIn) -> Response:
    given = RatingInput(body.level, tuple(body.reasons), body.comment, body.phone)
    number, s = await state(request).ratings.rate_case(body.number, body.id_number,
                                                       client_address(request), given)  # fmt: skip
    return ok(_status(s, number), 201)


# --- the pad -------------------------------------------------------------------------


def _pad_key(request: Request) -> str | None:
    return request.headers.get("x-pad-key") or None


async def pad_view(request: Request, _: Any) -> Response:
    view = await state(request).pads.view(request.path_params["window"], _pad_key(request))
    return ok(m.PadView.model_validate(view))


async def pad_rate(request: Request, body: m.PadRatingIn) -> Response:
    given = RatingInput(body.level, tuple(body.reasons), body.comment, body.phone)
    r = await state(request).ratings.rate_at_pad(request.path_params["window"], _pad_key(request),
                                                 body.ticket, given)  # fmt: skip
    return ok(m.PadRatingOut(rating=r.id, level=int(r.level)), 201)


# --- staff ---------------------------------------------------------------------------


async def pair(request: Request, _: Any) -> Response:
    p = await state(request).pads.pair(signed_in(request), request.path_params["window"])
    url = f"{public_base(request)}/display/{p.window.hall_id}/window/{p.window.id}/rate#key={p.key}"
    return ok(m.PadPairing(window=p.window.id, key=p.key, paired_at=p.paired_at.isoformat(),
                           pad_url=url), 201)  # fmt: skip


async def unpair(request: Request, _: Any) -> Response:
    await state(request).pads.unpair(signed_in(request), request.path_params["window"])
    return Response(status_code=204)


async def paired(request: Request, _: Any) -> Response:
    found = await state(request).pads.paired(signed_in(request), request.path_params["hall"])
    return ok(m.PadList(paired={w: at.isoformat() for w, at in found.items()}))


async def prompt(request: Request, _: Any) -> Response:
    p = await state(request).pads.prompt(signed_in(request), request.path_params["window"])
    return ok(m.PadPrompt.model_validate(p.as_dict()))


async def followups(request: Request, _: Any) -> Response:
    rows = await state(request).followups.list(signed_in(request), request.path_params["hall"],
                                               request.query_params.get("view", "open"))  # fmt: skip
    return ok(m.FollowupList(followups=[m.FollowupOut.model_validate(r.as_dict()) for r in rows]))


async def contact(request: Request, _: Any) -> Response:
    found = await state(request).followups.contact(signed_in(request),
                                                   request.path_params["followup"])  # fmt: skip
    return ok(m.FollowupContact.model_validate(found))


async def act(request: Request, body: m.FollowupActIn) -> Response:
    row = await state(request).followups.act(
        signed_in(request), request.path_params["followup"], request.path_params["action"],
        {"note": body.note, "finding": body.finding, "rectification": body.rectification,
         "response": body.response},
    )  # fmt: skip
    return ok(m.FollowupOut.model_validate(row.as_dict()))


async def malicious(request: Request, body: m.MaliciousIn) -> Response:
    rating = request.path_params["rating"]
    await state(request).followups.mark_malicious(signed_in(request), rating, body.reason)
    return ok(m.MaliciousOut(rating=rating, malicious=True))


# fmt: off
ENDPOINTS = (
    Endpoint("GET", "/api/tickets/{ticket}/rating", ticket_rating, "May this ticket be rated (until 5 working days after service), and its rating and the follow-up's response (the ticket's holder)", m.RatingStatus, tag="ratings", query=TOKEN),
    Endpoint("POST", "/api/tickets/{ticket}/rating", rate_ticket, "Rate a served ticket on the phone, once; the bottom two levels need a reason (the ticket's holder)", m.RatingStatus, m.RatingIn, status=201, tag="ratings", query=TOKEN),
    Endpoint("POST", "/api/case-rating", case_rating, "May this case be rated, and its rating, by 受理编号 and the full ID number of its applicant or collector (public, rate-limited; a POST so the ID stays out of URLs)", m.RatingStatus, m.CaseRatingQueryIn, tag="ratings"),
    Endpoint("POST", "/api/case-ratings", rate_case, "Rate a case once its result is collected or mailed, once (public, by 受理编号 and full ID number)", m.RatingStatus, m.CaseRatingIn, status=201, tag="ratings"),
    Endpoint("GET", "/api/pads/{window}", pad_view, "The rating pad's start: its window, the clerk's name, the prompt to show now (the paired pad)", m.PadView, tag="ratings", headers=PAD_KEY),
    Endpoint("POST", "/api/pads/{window}/ratings", pad_rate, "Rate the ticket just finished at the pad's window, while prompted (the paired pad)", m.PadRatingOut, m.PadRatingIn, status=201, tag="ratings", headers=PAD_KEY),
    Endpoint("POST", "/api/windows/{window}/pad", pair, "Pair a rating pad with the window: a new key, shown once; the old one stops working (hall supervisor, admin)", m.PadPairing, status=201, auth=True, tag="ratings"),
    Endpoint("DELETE", "/api/windows/{window}/pad", unpair, "Revoke the window's rating pad (hall supervisor, admin)", status=204, auth=True, tag="ratings"),
    Endpoint("GET", "/api/halls/{hall}/pads", paired, "Which windows have a paired rating pad (hall supervisor, admin)", m.PadList, auth=True, tag="ratings"),
    Endpoint("POST", "/api/windows/{window}/rating-prompt", prompt, "请评价: show the rating levels on the window's pad again for the ticket just finished (the window's clerk, supervisor, admin)", m.PadPrompt, auth=True, tag="ratings"),
    Endpoint("GET", "/api/halls/{hall}/followups", followups, "Bad-rating follow-ups (差评整改), open ones by deadline; view=open|all (hall supervisor, admin)", m.FollowupList, auth=True, tag="ratings", query=(("view", "open (default) or all", False),)),
    Endpoint("GET", "/api/followups/{followup}/contact", contact, "A follow-up's personal data: the phone to call back and the citizen's comment (hall supervisor, admin; every view audited)", m.FollowupContact, auth=True, tag="ratings"),
    Endpoint("POST", "/api/followups/{followup}/{action}", act, "Work a follow-up: call_back (note), rectify (finding, rectification), close (response: texted to the citizen) (hall supervisor, admin)", m.FollowupOut, m.FollowupActIn, auth=True, tag="ratings"),
    Endpoint("POST", "/api/ratings/{rating}/malicious", malicious, "Mark a rating malicious, with a reason: kept, but out of the satisfaction rate (hall supervisor, admin; audited)", m.MaliciousOut, m.MaliciousIn, auth=True, tag="ratings"),
)
# fmt: on
