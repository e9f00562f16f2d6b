"""A revoked sign-in ends everywhere: HTTP refuses the token, its WebSockets close with 4001.

Two server processes on one PostgreSQL: the revocation is made through one and
the socket is open on the other, with no Redis between them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.auth import hash_password
from server.domain.model import Role, User
from server.store.store import Store
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import running, server_env
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess


@pytest.fixture(scope="module")
def pair(
    pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    base = tmp_path_factory.mktemp("revocation")
    env = server_env(pg_url)
    with running(Path(base), env, "a") as a, running(Path(base), env, "b") as b:
        yield a, b


@pytest.fixture
async def apis(pair: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[tuple[Api, Api]]:
    async with Api(pair[0].base_url) as a, Api(pair[1].base_url) as b:
        yield a, b


async def _admin(pg_url: str, hall: HallFixture) -> str:
    store = Store.from_url(pg_url)
    await store.open()
    try:
        name = f"root-{hall.id}"
        await store.add_user(
            User(f"u-{name}", name, "管理员", Role.ADMIN, None, hash_password(PASSWORD)),
            datetime.now(UTC),
        )
        return name
    finally:
        await store.close()


async def _closed_within(ws: RawWS, seconds: float) -> int | None:
    started = time.monotonic()
    code = await ws.closed(timeout=seconds + 1)
    assert time.monotonic() - started < seconds, "the socket stayed open too long"
    return code


@pytest.mark.parametrize("how", ["disable", "role", "reset", "logout"])
async def test_revoked_sessions_are_refused_and_their_sockets_closed_on_every_process(
    pair: tuple[ServerProcess, ServerProcess], apis: tuple[Api, Api], pg_hall: HallFixture,
    pg_url: str, how: str,
) -> None:  # fmt: skip
    a, b = apis
    clerk = pg_hall.clerk(1)
    admin = await _admin(pg_url, pg_hall)
    token = await b.token(clerk.username)
    await b.post(f"/api/windows/{pg_hall.window(1)}/open", user=clerk.username)
    async with await RawWS.open(ws_url(pair[1]), token=token) as ws:
        await ws.op("welcome")
        await ws.subscribe(f"window:{pg_hall.window(1)}")
        change = {
            "disable": ("PATCH", f"/api/admin/users/{clerk.id}", {"enabled": False}, admin),
            "role": ("PATCH", f"/api/admin/users/{clerk.id}", {"role": "supervisor"}, admin),
            "reset": ("POST", f"/api/admin/users/{clerk.id}/password", {"password": "reset-pass-9"}, admin),
            "logout": ("POST", "/api/auth/logout", None, clerk.username),
        }[how]  # fmt: skip
        method, path, body, user = change
        if how == "logout":
            a.tokens[clerk.username] = token  # the same sign-in, ended through the other process
        r = await a.call(method, path, body, user)
        assert r.status_code in (200, 204), r.text
        assert await _closed_within(ws, 1.5) == 4001
    refused = await b.call("POST", f"/api/windows/{pg_hall.window(1)}/pause", {}, clerk.username)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    # A socket opened with the old token is turned away at once.
    late = await RawWS.open(ws_url(pair[0]), token=token)
    assert await late.closed() == 4001


async def test_a_disabled_user_cannot_sign_in_and_sign_ins_are_audited(
    apis: tuple[Api, Api], pg_hall: HallFixture, pg_url: str
) -> None:
    a, _ = apis
    admin = await _admin(pg_url, pg_hall)
    clerk = pg_hall.clerk(2)
    bad = await a.client.post("/api/auth/login", json={"username": clerk.username, "password": "wrong"},
                              headers={"user-agent": "kiosk-test/1"})  # fmt: skip
    assert bad.status_code == 401
    r = await a.call("PATCH", f"/api/admin/users/{clerk.id}", {"enabled": False}, admin)
    assert r.status_code == 200, r.text
    off = await a.client.post(
        "/api/auth/login", json={"username": clerk.username, "password": PASSWORD}
    )
    assert off.status_code == 403 and off.json()["error"]["code"] == "user_disabled"
    log = await a.call("GET", f"/api/audit?hall={pg_hall.id}&target={clerk.username}", None, admin)
    entries = log.json()["entries"]
    reasons = [e["detail"]["reason"] for e in entries if e["action"] == "auth.sign_in_failed"]
    assert reasons == ["disabled", "bad_credentials"]
    failed = entries[-1]
    assert failed["client"] == "127.0.0.1" and failed["user_agent"] == "kiosk-test/1"
    assert failed["role"] is None  # a failed sign-in earns no role
