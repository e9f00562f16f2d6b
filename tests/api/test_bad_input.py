"""Bad input gets a clear error, in both languages, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


async def _snapshot(api: Api) -> tuple[Any, ...]:
    """What must not change: tickets, waiting counts, windows, the event stream."""
    hall = api.hall.id
    view = (await api.client.get(f"/api/halls/{hall}")).json()
    position = await api.store.stream_position(hall)
    tickets = await api.store.tickets_on(
        hall,
        (await api.app.state.ow.ctx.hall(hall)).clock.business_day(api.app.state.ow.ctx.clock()),
    )
    return view["services"], view["windows"], position, [(t.number, t.state) for t in tickets]


def _assert_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["message"] and err["message_zh"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message_zh"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"service": "Z"}, 404, "unknown_service"),
        ({"service": "A", "id_number": "110105194912310021"}, 422, "id_number_check_digit"),
        ({"service": "A", "id_number": "110105194902300028"}, 422, "id_number_birth_date"),
        ({"service": "A", "id_number": "12345"}, 422, "id_number_format"),
        ({"service": "A", "phone": "12345"}, 422, "phone_format"),
        ({"service": "A", "kind": "vip"}, 422, "invalid_request"),
        ({"service": "A", "kind": "appointment"}, 422, "invalid_request"),
        ({"service": "A", "unknown": 1}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ([1, 2], 422, "invalid_request"),
        ({"service": "A", "channel": "window"}, 403, "staff_only_channel"),
    ],
)
async def test_bad_ticket_requests(api: Api, body: Any, status: int, code: str) -> None:
    before = await _snapshot(api)
    r = await api.client.post(f"/api/halls/{api.hall.id}/tickets", json=body)
    _assert_error(r, status, code)
    assert await _snapshot(api) == before


async def test_unknown_hall(api: Api) -> None:
    _assert_error(
        await api.client.post("/api/halls/nowhere/tickets", json={"service": "A"}),
        404,
        "unknown_hall",
    )
    _assert_error(await api.client.get("/api/halls/nowhere"), 404, "unknown_hall")


async def test_non_json_and_oversize_bodies(api: Api) -> None:
    before = await _snapshot(api)
    url = f"/api/halls/{api.hall.id}/tickets"
    _assert_error(await api.client.post(url, content=b"service=A"), 400, "invalid_json")
    _assert_error(await api.client.post(url, content=b"\xff\xfe\x00"), 400, "invalid_json")
    big = b'{"service": "A", "name": "' + b"x" * 20_000 + b'"}'
    _assert_error(await api.client.post(url, content=big), 413, "body_too_large")

    async def chunks() -> Any:  # no Content-Length: the limit must hold while streaming
        for _ in range(40):
            yield b" " * 1024

    _assert_error(await api.client.post(url, content=chunks()), 413, "body_too_large")
    assert await _snapshot(api) == before


async def test_unknown_paths_and_methods(api: Api) -> None:
    _assert_error(await api.client.get("/api/nothing-here"), 404, "not_found")
    _assert_error(
        await api.client.put(f"/api/halls/{api.hall.id}/tickets"), 405, "method_not_allowed"
    )


async def test_login_errors(api: Api) -> None:
    r = await api.client.post(
        "/api/auth/login", json={"username": api.hall.clerk(1).username, "password": "wrong"}
    )
    _assert_error(r, 401, "bad_credentials")
    _assert_error(
        await api.client.post("/api/auth/login", json={"username": "ghost", "password": "x"}),
        401,
        "bad_credentials",
    )
    _assert_error(
        await api.client.post("/api/auth/login", json={"username": ""}), 422, "invalid_request"
    )


async def test_window_ops_need_sign_in_and_the_right_clerk(api: Api) -> None:
    w1, w2 = api.hall.window(1), api.hall.window(2)
    await api.client.post(f"/api/halls/{api.hall.id}/tickets", json={"service": "A"})
    _assert_error(await api.client.post(f"/api/windows/{w1}/open"), 401, "sign_in_required")
    _assert_error(
        await api.client.post(
            f"/api/windows/{w1}/open", headers={"authorization": "Bearer forged.token"}
        ),
        401,
        "token_invalid",
    )
    clerk1 = await api.login(api.hall.clerk(1).username)
    clerk2 = await api.login(api.hall.clerk(2).username)
    assert (await api.client.post(f"/api/windows/{w1}/open", headers=clerk1)).status_code == 200
    before = await _snapshot(api)
    # A clerk acting on another clerk's window.
    _assert_error(
        await api.client.post(f"/api/windows/{w1}/call-next", headers=clerk2),
        403,
        "not_your_window",
    )
    _assert_error(
        await api.client.post(f"/api/windows/{w1}/close", headers=clerk2), 403, "not_your_window"
    )
    # A clerk signed in at one window cannot open a second one.
    _assert_error(
        await api.client.post(f"/api/windows/{w2}/open", headers=clerk1), 409, "clerk_busy"
    )
    _assert_error(
        await api.client.post("/api/windows/nope/call-next", headers=clerk1), 404, "unknown_window"
    )
    _assert_error(
        await api.client.post(f"/api/windows/{w1}/finish", headers=clerk1), 409, "no_current_ticket"
    )
    _assert_error(
        await api.client.post(f"/api/windows/{w1}/transfer", json={}, headers=clerk1),
        422,
        "invalid_request",
    )
    assert await _snapshot(api) == before


async def test_window_in_another_hall_is_forbidden(api: Api) -> None:
    from tests.conftest import make_hall

    other = await make_hall(api.store, api.app.state.ow.ctx.clock(), hash_passwords=True)
    stranger = await api.login(other.clerk(1).username)
    _assert_error(
        await api.client.post(f"/api/windows/{api.hall.window(1)}/open", headers=stranger),
        403,
        "other_hall",
    )


async def test_sign_in_attempts_are_rate_limited(settings: Any, clock: Any) -> None:
    from dataclasses import replace

    from tests.api.conftest import open_api

    async with open_api(replace(settings, rate_limit_login="3/60"), clock) as api:
        body = {"username": api.hall.clerk(1).username, "password": "wrong"}
        codes = [
            (await api.client.post("/api/auth/login", json=body)).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
