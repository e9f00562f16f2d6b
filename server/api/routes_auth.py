"""Staff sign-in, sign-out, who am I, and changing one's own password."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import RateLimited
from ..domain.model import User
from . import schemas
from .http import Endpoint, ok
from .state import client_address, signed_in, state, user_agent


class PasswordChange(schemas.Strict):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    id: str
    username: str
    display_name: str
    role: schemas.Roles
    hall: str | None
    department: str | None
    department_name: str | None = None  # what an officer's console shows
    must_change_password: bool


def _signed_in(token: str, user: User, expires: datetime) -> Response:
    return ok(
        schemas.LoginResponse(
            token=token,
            id=user.id,
            role=user.role.value,
            hall=user.hall_id,
            department=user.department_id,
            display_name=user.display_name,
            expires_at=expires,
            must_change_password=user.must_change_password,
        )
    )


async def _limit(request: Request, *keys: str) -> None:
    """Sign-in's rate limit (per client, per user): a password is checked behind each key."""
    st = state(request)
    for key in keys:
        if not await st.tickets.limiter.hit(key, st.login_limit):
            raise RateLimited(
                "rate_limited",
                "too many sign-in attempts; wait a minute",
                "登录尝试过于频繁，请稍后再试",
            )


async def login(request: Request, body: schemas.LoginRequest) -> Response:
    st = state(request)
    client = client_address(request)
    await _limit(request, f"login:{client}")
    token, user, expires = await st.sessions.sign_in(
        body.username, body.password, client, user_agent(request)
    )
    return _signed_in(token, user, expires)


async def logout(request: Request, _: Any) -> Response:
    await state(request).sessions.sign_out(signed_in(request))
    return Response(status_code=204)


async def me(request: Request, _: Any) -> Response:
    who = signed_in(request)
    st = state(request)
    user = await st.ctx.store.user_by_name(who.username)
    assert user is not None  # a live session has a user
    dept_name = None
    if user.department_id:
        async with st.ctx.store.db.reader() as c:
            dept_name = await c.fetchval("SELECT name FROM departments WHERE id = $1",
                                         user.department_id)  # fmt: skip
    return ok(
        Me(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            hall=user.hall_id,
            department=user.department_id,
            department_name=dept_name,
            must_change_password=user.must_change_password,
        )
    )


async def change_password(request: Request, body: PasswordChange) -> Response:
    st = state(request)
    who = signed_in(request)
    # The current password is checked here too: as rate-limited as a sign-in.
    await _limit(request, f"login:{client_address(request)}", f"password:{who.id}")
    token, user, expires = await st.sessions.change_password(
        who, body.old_password, body.new_password
    )
    return _signed_in(token, user, expires)


ENDPOINTS = (
    Endpoint("POST", "/api/auth/login", login, "Staff sign-in", schemas.LoginResponse, schemas.LoginRequest, tag="auth", reads_token=False),
    Endpoint("POST", "/api/auth/logout", logout, "Sign out: the token is revoked", None, status=204, auth=True, tag="auth", pending_ok=True),
    Endpoint("GET", "/api/auth/me", me, "The signed-in user", Me, auth=True, tag="auth", pending_ok=True),
    Endpoint("POST", "/api/auth/password", change_password, "Change one's own password; other sessions end", schemas.LoginResponse, PasswordChange, auth=True, tag="auth", pending_ok=True),
)  # fmt: skip
