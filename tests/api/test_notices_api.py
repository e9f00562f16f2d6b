"""Notices for idle screens, and supervisors moving waiting tickets."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_notices_are_managed_by_supervisors_and_public_to_read(api: Api) -> None:
    hall = api.hall.id
    boss = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    body = {"kind": "materials", "title": "社保卡补办所需材料", "body": "身份证原件", "position": 1}
    denied = await api.client.post(f"/api/halls/{hall}/notices", json=body, headers=clerk)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "role_forbidden"
    made = await api.client.post(f"/api/halls/{hall}/notices", json=body, headers=boss)
    assert made.status_code == 201, made.text
    other = await api.client.post(
        f"/api/halls/{hall}/notices", json={"title": "办公时间", "position": 0}, headers=boss
    )
    listed = (await api.client.get(f"/api/halls/{hall}/notices")).json()["notices"]
    assert [n["title"] for n in listed] == ["办公时间", "社保卡补办所需材料"]

    nid = made.json()["id"]
    off = await api.client.patch(f"/api/notices/{nid}", json={"active": False}, headers=boss)
    assert off.status_code == 200 and off.json()["active"] is False
    assert [
        n["id"] for n in (await api.client.get(f"/api/halls/{hall}/notices")).json()["notices"]
    ] == [other.json()["id"]]
    assert (await api.client.delete(f"/api/notices/{nid}", headers=boss)).status_code == 204
    gone = await api.client.delete(f"/api/notices/{nid}", headers=boss)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_notice"
    bad = await api.client.post(f"/api/halls/{hall}/notices", json={"title": ""}, headers=boss)
    assert bad.status_code == 422
    events = (await api.client.get(f"/api/halls/{hall}/events")).json()["events"]
    assert [e["type"] for e in events] == ["notice.changed"] * 4


async def test_supervisor_moves_a_waiting_ticket(api: Api) -> None:
    hall = api.hall.id
    boss = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    t = (await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})).json()
    no = await api.client.post(f"/api/tickets/{t['id']}/move", json={"service": "C"}, headers=clerk)
    assert no.status_code == 403
    moved = await api.client.post(
        f"/api/tickets/{t['id']}/move",
        json={"window": api.hall.window(3), "reason": "专窗办理"},
        headers=boss,
    )
    assert moved.status_code == 200, moved.text
    clerk3 = await api.login(api.hall.clerk(3).username)
    await api.client.post(f"/api/windows/{api.hall.window(3)}/open", headers=clerk3)
    called = (
        await api.client.post(f"/api/windows/{api.hall.window(3)}/call-next", headers=clerk3)
    ).json()
    assert called["ticket"]["number"] == t["number"]  # window 3 serves only C, yet takes it
    again = await api.client.post(
        f"/api/tickets/{t['id']}/move", json={"service": "B"}, headers=boss
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_waiting"


async def test_staff_see_the_queue_in_dispatch_order(api: Api) -> None:
    hall = api.hall.id
    url = f"/api/halls/{hall}/tickets"
    await api.client.post(url, json={"service": "A", "name": "张小三"})
    staff = await api.login(api.hall.clerk(1).username)
    # Only staff (or a hall guide's PIN) give the green channel to the disabled.
    green = {"service": "B", "kind": "green", "green_reason": "disabled"}
    assert (await api.client.post(url, json=green, headers=staff)).status_code == 201
    assert (await api.client.get(f"/api/halls/{hall}/queue")).status_code == 401
    got = (await api.client.get(f"/api/halls/{hall}/queue", headers=staff)).json()["tickets"]
    assert [t["number"] for t in got] == ["B001", "A001"]
    assert got[1]["name_masked"] == "张*三"


async def test_a_null_cannot_clear_a_required_field(api: Api) -> None:
    boss = await api.login(api.hall.supervisor.username)
    made = (
        await api.client.post(
            f"/api/halls/{api.hall.id}/notices", json={"title": "办公时间"}, headers=boss
        )
    ).json()
    r = await api.client.patch(f"/api/notices/{made['id']}", json={"title": None}, headers=boss)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
