"""Ticket issue, follow and cancel over HTTP."""

from __future__ import annotations

import json
from dataclasses import replace

from server.settings import Settings
from tests.api.conftest import Api, open_api
from tests.conftest import FakeClock

VALID_ID = "11010519491231002X"  # born 1949: 76 on the test clock's day


async def test_issue_follow_cancel(api: Api) -> None:
    hall = api.hall.id
    first = await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})
    assert first.status_code == 201, first.text
    second = await api.client.post(
        f"/api/halls/{hall}/tickets",
        json={"service": "A", "id_number": VALID_ID, "name": "张小三", "phone": "13812345678"},
    )
    body = second.json()
    assert (body["number"], body["position"], body["people_ahead"]) == ("A002", 2, 1)
    assert body["eta_minutes"] >= 0 and body["token"]

    status = await api.client.get(f"/api/tickets/{body['id']}", params={"token": body["token"]})
    assert status.status_code == 200
    assert status.json()["state"] == "waiting" and status.json()["people_ahead"] == 1

    wrong = await api.client.get(f"/api/tickets/{body['id']}", params={"token": "nope"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "ticket_token_invalid"

    gone = await api.client.delete(f"/api/tickets/{body['id']}", params={"token": body["token"]})
    assert gone.status_code == 200 and gone.json()["state"] == "cancelled"
    again = await api.client.delete(f"/api/tickets/{body['id']}", params={"token": body["token"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"


async def test_hall_view_is_public_and_masked(api: Api) -> None:
    hall = api.hall.id
    await api.client.post(
        f"/api/halls/{hall}/tickets", json={"service": "A", "id_number": VALID_ID, "name": "张小三"}
    )
    headers = await api.login(api.hall.clerk(1).username)
    await api.client.post(f"/api/windows/{api.hall.window(1)}/open", headers=headers)
    await api.client.post(f"/api/windows/{api.hall.window(1)}/call-next", headers=headers)
    r = await api.client.get(f"/api/halls/{hall}")
    assert r.status_code == 200
    view = r.json()
    w1 = next(w for w in view["windows"] if w["id"] == api.hall.window(1))
    assert w1["state"] == "serving" and w1["current"]["number"] == "A001"
    assert {s["code"]: s["waiting"] for s in view["services"]}["A"] == 0
    for secret in (VALID_ID, "张小三", "002X"):
        assert secret not in r.text
    events = (await api.client.get(f"/api/halls/{hall}/events")).text
    assert VALID_ID not in events and "张" not in events


async def test_duplicate_id_per_service(api: Api) -> None:
    hall = api.hall.id
    ok = await api.client.post(
        f"/api/halls/{hall}/tickets", json={"service": "A", "id_number": VALID_ID}
    )
    assert ok.status_code == 201
    dup = await api.client.post(
        f"/api/halls/{hall}/tickets", json={"service": "A", "id_number": VALID_ID}
    )
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate_ticket"
    other = await api.client.post(
        f"/api/halls/{hall}/tickets", json={"service": "B", "id_number": VALID_ID}
    )
    assert other.status_code == 201
    counts = {
        s["code"]: s["waiting"]
        for s in (await api.client.get(f"/api/halls/{hall}")).json()["services"]
    }
    assert counts["A"] == 1 and counts["B"] == 1


async def test_green_channel(api: Api) -> None:
    hall = api.hall.id
    young = "11010520000101001X"
    no_reason = await api.client.post(
        f"/api/halls/{hall}/tickets", json={"service": "A", "kind": "green"}
    )
    assert (
        no_reason.status_code == 422
        and no_reason.json()["error"]["code"] == "green_reason_required"
    )
    too_young = await api.client.post(
        f"/api/halls/{hall}/tickets",
        json={
            "service": "A",
            "kind": "green",
            "green_reason": "elderly",
            "id_number": _valid(young),
        },
    )
    assert (
        too_young.status_code == 403 and too_young.json()["error"]["code"] == "green_not_eligible"
    )
    walk_in = await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})
    elder = await api.client.post(
        f"/api/halls/{hall}/tickets",
        json={"service": "A", "kind": "green", "green_reason": "elderly", "id_number": VALID_ID},
    )
    assert elder.status_code == 201 and elder.json()["people_ahead"] == 0
    headers = await api.login(api.hall.clerk(1).username)
    await api.client.post(f"/api/windows/{api.hall.window(1)}/open", headers=headers)
    called = await api.client.post(f"/api/windows/{api.hall.window(1)}/call-next", headers=headers)
    assert called.json()["ticket"]["id"] == elder.json()["id"]
    assert walk_in.json()["number"] == "A001"


async def test_hall_closed_for_kiosk_but_not_for_staff(api: Api, clock: FakeClock) -> None:
    app_hall = api.hall.id
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    async with api.store.db.transaction() as c:
        await c.execute("UPDATE halls SET hours = $2 WHERE id = $1", app_hall,
                        json.dumps({d: [["00:00", "23:59"]] for d in days}))  # fmt: skip
    api.app.state.ow.ctx.forget(app_hall)
    clock.advance(hours=13, minutes=59, seconds=30)  # 23:59:30 in Shanghai: outside 00:00–23:59
    closed = await api.client.post(f"/api/halls/{app_hall}/tickets", json={"service": "A"})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "hall_closed"
    headers = await api.login(api.hall.clerk(1).username)
    staff = await api.client.post(
        f"/api/halls/{app_hall}/tickets",
        json={"service": "A", "channel": "window"},
        headers=headers,
    )
    assert staff.status_code == 201


async def test_rate_limited_per_client_and_per_id(settings: Settings, clock: FakeClock) -> None:
    limited = replace(settings, rate_limit_client="3/60", rate_limit_id="1/60")
    async with open_api(limited, clock) as api:
        url = f"/api/halls/{api.hall.id}/tickets"
        by_id = [
            (await api.client.post(url, json={"service": s, "id_number": VALID_ID})).status_code
            for s in "AB"
        ]
        assert by_id == [201, 429]
        codes = [(await api.client.post(url, json={"service": "A"})).status_code for _ in range(3)]
        assert codes == [201, 429, 429]
        assert (await api.client.post(url, json={"service": "A"})).json()["error"][
            "code"
        ] == "rate_limited"
        clock.advance(seconds=61)
        # The limiter counts real seconds, not the test clock: only the hall view is checked here.
        assert (await api.client.get(f"/api/halls/{api.hall.id}")).json()["services"][0][
            "waiting"
        ] == 2


def _valid(first17_plus: str) -> str:
    from server.domain.identity import check_character

    return first17_plus[:17] + check_character(first17_plus[:17])
