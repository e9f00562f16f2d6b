"""One-window intake over HTTP, on both backends: the journey from intake to pickup and
status query, and the bad input the issue names (each refused with a clear error and
nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth import hash_password
from tests.api.conftest import Api
from tests.conftest import PASSWORD, FakeClock
from tests.usecases.case_helpers import id_number, matter_body, seed_departments

APPLICANT = {"name": "李四", "id_number": id_number(7), "phone": "13900002222"}
ALL = {"form": "received", "licence": "received", "plan": "received"}


@pytest.fixture
async def depts(api: Api, clock: FakeClock) -> dict[str, str]:
    """department -> its officer's username; a matter "food" approved by both."""
    officers = await seed_departments(api.store, api.hall, clock.now, 2, hash_password(PASSWORD))
    admin = await _admin(api)
    r = await api.client.put(f"/api/admin/halls/{api.hall.id}/matters/food", headers=admin,
                             json=matter_body(list(officers)))  # fmt: skip
    assert r.status_code == 201, r.text
    return {d: o.username for d, o in officers.items()}


async def _admin(api: Api) -> dict[str, str]:
    from tests.api.test_admin_api import admin_of

    return await admin_of(api)


async def _intake(api: Api, who: dict[str, str], **over: Any) -> Any:
    body = {"hall": api.hall.id, "matter": "food", "applicant": APPLICANT, "materials": ALL}
    body.update(over)
    return await api.client.post("/api/cases", headers=who, json=body)


async def test_intake_to_pickup_over_http(api: Api, depts: dict[str, str]) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    r = await _intake(api, clerk, materials={"form": "received", "licence": "missing"},
                      decision="correction")  # fmt: skip
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["state"] == "correction" and [m["name"] for m in case["missing"]] == [
        "营业执照", "布局平面图"]
    r = await api.client.post(f"/api/cases/{case['id']}/accept", headers=clerk,
                              json={"materials": ALL})  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "in_review"
    assert r.json()["colour"] == "green" and r.json()["due_day"]

    for dept, officer in depts.items():
        who = await api.login(officer)
        inbox = (await api.client.get("/api/dept/tasks", headers=who)).json()
        assert inbox["department"] == dept
        [task] = [t for t in inbox["tasks"] if t["case"] == case["id"]]
        assert task["applicant"] == "李*"
        for action in ("claim", "approve"):
            r = await api.client.post(f"/api/tasks/{task['task']}/{action}", headers=who, json={})
            assert r.status_code == 200, r.text
    assert r.json()["state"] == "result_ready"

    r = await api.client.post(f"/api/halls/{api.hall.id}/pickup-tickets",
                              json={"number": case["number"]})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "id_suffix_invalid"
    r = await api.client.post(f"/api/halls/{api.hall.id}/pickup-tickets",
                              json={"number": case["number"], "id_suffix": "0000"})  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_result_ready"
    r = await api.client.post(f"/api/halls/{api.hall.id}/pickup-tickets",
                              json={"number": case["number"], "id_suffix": id_number(7)[-4:]})
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["service"] == "B"
    assert r.json()["cases"] == [{"number": case["number"], "matter_name": "食品经营许可证核发"}]
    ready = await api.client.post(f"/api/halls/{api.hall.id}/pickup", headers=clerk,
                                  json={"ticket": r.json()["ticket"]["id"]})  # fmt: skip
    assert [c["id"] for c in ready.json()["cases"]] == [case["id"]]
    r = await api.client.post(f"/api/cases/{case['id']}/pickup", headers=clerk,
                              json={"collector_id": id_number(7)})  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "picked_up"

    r = await api.client.post("/api/case-status",
                              json={"number": case["number"], "id_suffix": id_number(7)[-4:]})
    assert r.status_code == 200
    public = r.json()
    assert public["state"] == "picked_up" and public["checklist"] is None
    assert all(e["actor"] is None for e in public["timeline"])


async def test_bad_input_is_refused_and_changes_nothing(api: Api, depts: dict[str, str]) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    cases = [
        ({"materials": {"form": "received"}}, 409, "materials_missing"),
        ({"materials": {"form": "received", "plan": "waived", "licence": "received"}}, 422,
         "material_not_waivable"),
        ({"materials": {"nope": "received"}}, 422, "material_unknown"),
        ({"applicant": {**APPLICANT, "id_number": "370102198001010000"}}, 422, None),
        ({"decision": "refuse"}, 422, "reason_required"),
        ({"matter": "nothing"}, 404, "unknown_matter"),
    ]
    for over, status, code in cases:
        r = await _intake(api, clerk, **over)
        assert r.status_code == status, (over, r.text)
        err = r.json()["error"]
        assert err["message_zh"] and err["message"]
        if code:
            assert err["code"] == code
    async with api.store.db.reader() as c:
        assert await c.fetchval("SELECT count(*) FROM cases WHERE hall_id = $1", api.hall.id) == 0


async def test_pickup_and_task_refusals(api: Api, depts: dict[str, str]) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    case = (await _intake(api, clerk)).json()
    [d1, d2] = list(depts)
    first = await api.login(depts[d1])
    other_task = next(t["id"] for t in case["tasks"] if t["department"] == d2)
    r = await api.client.post(f"/api/tasks/{other_task}/claim", headers=first, json={})
    assert r.status_code == 403 and r.json()["error"]["code"] == "other_department"
    r = await api.client.post(f"/api/tasks/{other_task}/approve", headers=clerk, json={})
    assert r.status_code == 403
    r = await api.client.post(f"/api/cases/{case['id']}/pickup", headers=clerk,
                              json={"collector_id": id_number(7)})  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "result_not_ready"
    r = await api.client.get("/api/dept/tasks?view=late", headers=first)
    assert r.status_code == 422
    r = await api.client.post("/api/case-status", json={"number": case["number"], "id_suffix": "0000"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
    r = await api.client.get(f"/api/cases/{case['id']}/personal", headers=first)
    assert r.status_code == 200 and r.json()["id_number"] == id_number(7)
    stranger = await api.login(api.hall.clerk(2).username)
    r = await api.client.get(f"/api/cases/{case['id']}", headers=stranger)
    assert r.status_code == 200  # the hall's staff


async def test_staff_find_a_case_by_its_number(api: Api, depts: dict[str, str]) -> None:
    """The citizen comes back with the notice: the clerk finds the case by 受理编号 (exact,
    any case), staff of the hall only."""
    clerk = await api.login(api.hall.clerk(1).username)
    case = (await _intake(api, clerk, materials={"form": "received"}, decision="correction")).json()
    path = f"/api/halls/{api.hall.id}/cases"
    for number in (case["number"], f" {case['number'].lower()} "):
        r = await api.client.get(path, headers=clerk, params={"number": number})
        assert r.status_code == 200, r.text
        found = r.json()
        assert (found["id"], found["state"]) == (case["id"], "correction")
        assert found["checklist"] == {"form": "received", "licence": "missing", "plan": "missing"}
        assert [e["action"] for e in found["timeline"]] == ["received", "correction"]
    for params, status, code in [
        ({"number": case["number"] + "9"}, 404, "unknown_case"),
        ({"number": case["number"][:-1]}, 404, "unknown_case"),
        ({"number": " "}, 422, "number_required"),
        ({}, 422, "number_required"),
    ]:
        r = await api.client.get(path, headers=clerk, params=params)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (params, r.text)
        assert r.json()["error"]["message_zh"]
    # Only staff of the hall the path names: not a clerk of another hall, not an officer.
    r = await api.client.get("/api/halls/elsewhere/cases", headers=clerk,
                             params={"number": case["number"]})  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["code"] == "case_forbidden"
    officer = await api.login(next(iter(depts.values())))
    r = await api.client.get(path, headers=officer, params={"number": case["number"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "case_forbidden"
    r = await api.client.get(path, params={"number": case["number"]})
    assert r.status_code == 401
