"""Citizens' sign-in by phone and SMS code, and "my tickets" (the phone page's 我的)."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ..domain.errors import Unauthorized
from ..usecases.citizens import Citizen
from . import schemas
from .http import Endpoint, ok
from .state import client_address, state, ticket_status

SCHEME = "citizen"  # Authorization: Citizen <token>; staff tokens use Bearer


async def citizen_of(conn: HTTPConnection, *, required: bool = False) -> Citizen | None:
    """The signed-in citizen, if the request carries a citizen token."""
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        if required:
            raise Unauthorized(
                "citizen_sign_in_required", "sign in with your phone number",
                "请先用手机号登录",
            )  # fmt: skip
        return None
    return await state(conn).citizens.authenticate(token)


async def request_code(request: Request, body: schemas.CodeRequest) -> Response:
    st = state(request)
    sent = await st.citizens.request_code(body.phone, client_address(request), body.lang)
    return ok(schemas.CodeSent(expires_in=sent.expires_in, resend_in=sent.resend_in), 202)


async def sign_in(request: Request, body: schemas.CitizenSignIn) -> Response:
    done = await state(request).citizens.sign_in(body.phone, body.code, client_address(request))
    return ok(
        schemas.CitizenSession(
            token=done.token, phone_masked=done.citizen.phone_masked, expires_at=done.expires_at
        )
    )


async def sign_out(request: Request, _: Any) -> Response:
    citizen = await citizen_of(request, required=True)
    assert citizen is not None
    await state(request).citizens.sign_out(citizen)
    return Response(status_code=204)


async def mine(request: Request, _: Any) -> Response:
    st = state(request)
    citizen = await citizen_of(request, required=True)
    assert citizen is not None
    views = [await st.tickets.view(t) for t in await st.citizens.tickets(citizen)]
    return ok(
        schemas.CitizenTickets(
            phone_masked=citizen.phone_masked,
            tickets=[await ticket_status(st.ctx, v) for v in views],
        )
    )


CITIZEN = (("authorization", "`Citizen <token>` from POST /api/citizen/session", True),)
ENDPOINTS = (
    Endpoint("POST", "/api/citizen/code", request_code, "Send a sign-in code by SMS (5 minutes; limited per phone and client)", schemas.CodeSent, schemas.CodeRequest, status=202, tag="citizen", reads_token=False),
    Endpoint("POST", "/api/citizen/session", sign_in, "Sign in with the phone number and the code (5 wrong tries end the code)", schemas.CitizenSession, schemas.CitizenSignIn, tag="citizen", reads_token=False),
    Endpoint("DELETE", "/api/citizen/session", sign_out, "Sign out: every token of this citizen issued so far ends", None, status=204, tag="citizen", reads_token=False, headers=CITIZEN),
    Endpoint("GET", "/api/citizen/me", mine, "My tickets of today (masked phone)", schemas.CitizenTickets, tag="citizen", reads_token=False, headers=CITIZEN),
)  # fmt: skip
