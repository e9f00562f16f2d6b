"""Configuring a hall over the API: what works, and bad input that changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from server.auth import hash_password
from server.domain.errors import OneWindowError
from server.domain.model import Role, User
from tests.api.conftest import Api
from tests.conftest import PASSWORD, make_hall

Headers = dict[str, str]


async def admin_of(api: Api, *, only: bool = False) -> Headers:
    """An admin for this test (``root-<hall>``); ``only``: the one enabled admin there is."""
    name = f"root-{api.hall.id}"
    now: datetime = api.app.state.ow.ctx.clock()
    await api.store.add_user(
        User(f"u-{name}", name, "管理员", Role.ADMIN, None, hash_password(PASSWORD)), now
    )
    if only:  # the PostgreSQL database is shared by the run: other tests made admins too
        async with api.store.db.transaction() as c:
            await c.execute("UPDATE users SET enabled = 0 WHERE role = 'admin' AND id <> $1",
                            f"u-{name}")  # fmt: skip
    return await api.login(name)


async def _state(api: Api, admin: Headers) -> tuple[Any, ...]:
    """Everything a refused change must leave as it was: configuration, users, the stream."""
    hall = api.hall.id
    got = [
        (await api.client.get(path, headers=admin)).json()
        for path in (
            f"/api/admin/halls/{hall}",
            f"/api/admin/halls/{hall}/services",
            f"/api/admin/halls/{hall}/windows",
            "/api/admin/departments",
            "/api/admin/users",
        )
    ]
    return (*got, await api.store.stream_position(hall))


def _error(r: Any, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in err["message_zh"])
    if field is not None:
        assert err.get("field") == field, err


async def test_an_admin_sets_up_services_windows_departments_and_staff(api: Api) -> None:
    admin = await admin_of(api)
    hall = api.hall.id
    c = api.client
    r = await c.post("/api/admin/departments", headers=admin,
                     json={"id": "zrzyj", "name": "自然资源局", "kind": "back", "halls": [hall]})  # fmt: skip
    assert r.status_code == 201, r.text
    r = await c.post("/api/admin/departments", headers=admin,
                     json={"id": "rsj", "name": "人社局", "kind": "front", "halls": [hall]})  # fmt: skip
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/admin/halls/{hall}/services", headers=admin,
                     json={"code": "E", "name": "统一出件", "name_en": "Pickup", "channels": ["window"],
                           "daily_quota": 2})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json() == {"code": "E", "name": "统一出件", "name_en": "Pickup", "avg_service_s": 300,
                        "channels": ["window"], "daily_quota": 2, "booking": None}  # fmt: skip
    r = await c.post(f"/api/admin/halls/{hall}/windows", headers=admin,
                     json={"number": 9, "name": "9号窗口 出件", "services": ["E", "A"],
                           "department": "rsj"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["id"] == f"{hall}-w9" and r.json()["services"] == ["A", "E"]
    r = await c.post("/api/admin/users", headers=admin,
                     json={"username": "shenpi1", "display_name": "审批员", "role": "officer",
                           "hall": hall, "department": "zrzyj", "password": "first-pass-1"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["must_change_password"] is True
    # The first sign-in must change the password before anything else.
    first = await c.post("/api/auth/login", json={"username": "shenpi1", "password": "first-pass-1"})
    assert first.json()["must_change_password"] is True
    pending = {"authorization": f"Bearer {first.json()['token']}"}
    _error(await c.get(f"/api/halls/{hall}/queue", headers=pending), 403, "password_change_required")
    changed = await c.post("/api/auth/password", headers=pending,
                           json={"old_password": "first-pass-1", "new_password": "mine-now-22"})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    _error(await c.get("/api/auth/me", headers=pending), 401, "token_revoked")
    me = await c.get("/api/auth/me", headers={"authorization": f"Bearer {changed.json()['token']}"})
    assert me.json()["role"] == "officer" and me.json()["department"] == "zrzyj"

    # Channels and the quota are enforced at issue time.
    _error(await c.post(f"/api/halls/{hall}/tickets", json={"service": "E"}), 403, "channel_not_allowed")
    clerk = await api.login(api.hall.clerk(1).username)
    for _ in range(2):
        ok = await c.post(f"/api/halls/{hall}/tickets", headers=clerk,
                          json={"service": "E", "channel": "window"})  # fmt: skip
        assert ok.status_code == 201, ok.text
    full = await c.post(f"/api/halls/{hall}/tickets", headers=clerk,
                        json={"service": "E", "channel": "window"})  # fmt: skip
    _error(full, 409, "quota_reached")

    events = (await c.get(f"/api/halls/{hall}/events")).json()["events"]
    changed_ev = [e["data"] for e in events if e["type"] == "config.changed"]
    assert {"what": "window", "action": "created", "id": f"{hall}-w9", "window": f"{hall}-w9",
            "window_number": 9, "window_name": "9号窗口 出件", "services": ["A", "E"]} in changed_ev  # fmt: skip
    assert {"what": "service", "action": "created", "id": "E"} in changed_ev
    assert {"what": "department", "action": "created", "id": "zrzyj"} in changed_ev

    audit = (await c.get("/api/audit", params={"action": "config."}, headers=admin)).json()
    actions = [e["action"] for e in audit["entries"]]
    assert "config.window.created" in actions and "config.user.created" in actions
    made = next(e for e in audit["entries"] if e["action"] == "config.service.created")
    assert made["actor"] == f"root-{hall}" and made["detail"]["after"]["daily_quota"] == 2


async def test_hall_calendar_and_hours(api: Api) -> None:
    admin = await admin_of(api)
    hall = api.hall.id
    r = await api.client.put(f"/api/admin/halls/{hall}/calendar/2027", headers=admin,
                             json={"days": {"2027-01-01": False, "2027-02-07": True}})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["calendar"] == {"2027-01-01": False, "2027-02-07": True}
    r = await api.client.put(f"/api/admin/halls/{hall}/calendar/2027", headers=admin,
                             json={"days": {"2027-10-01": False}})  # fmt: skip
    assert r.json()["calendar"] == {"2027-10-01": False}  # the year was replaced
    hours = {"mon": [["13:30", "17:00"], ["09:00", "12:00"]]}
    r = await api.client.patch(f"/api/admin/halls/{hall}", headers=admin,
                               json={"hours": hours, "region_code": "370102"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["hours"] == {"mon": [["09:00", "12:00"], ["13:30", "17:00"]]}
    # A supervisor may edit their own hall's calendar, not its hours.
    boss = await api.login(api.hall.supervisor.username)
    r = await api.client.put(f"/api/admin/halls/{hall}/calendar/2028", headers=boss,
                             json={"days": {"2028-01-01": False}})  # fmt: skip
    assert r.status_code == 200, r.text
    _error(await api.client.patch(f"/api/admin/halls/{hall}", headers=boss, json={"name": "x"}),
           403, "role_forbidden")  # fmt: skip


async def test_a_new_hall_from_nothing(api: Api) -> None:
    admin = await admin_of(api)
    r = await api.client.post("/api/admin/halls", headers=admin, json={
        "id": "lixia", "name": "历下区政务服务中心", "tz": "Asia/Shanghai", "region_code": "370102",
        "hours": {"mon": [["09:00", "17:00"]]}})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (await api.client.get("/api/halls/lixia")).json()["name"] == "历下区政务服务中心"
    _error(await api.client.post("/api/admin/halls", headers=admin, json={
        "id": "lixia", "name": "x", "hours": {}}), 409, "hall_exists", "id")  # fmt: skip


BAD = [
    # (method, path template, body, status, code, field)
    ("POST", "/api/admin/halls/{hall}/windows", {"number": 1, "name": "又一个1号"}, 409, "window_number_taken", "number"),
    ("PATCH", "/api/admin/windows/{w2}", {"number": 1}, 409, "window_number_taken", "number"),
    ("POST", "/api/admin/halls/{hall}/windows", {"number": 7, "name": "7号", "services": ["A", "Q"]}, 422, "unknown_service", "services.1"),
    ("PATCH", "/api/admin/windows/{w1}", {"department": "nope"}, 422, "unknown_department", "department"),
    ("PATCH", "/api/admin/halls/{hall}", {"tz": "Asia/Jinan"}, 422, "tz_invalid", "tz"),
    ("PATCH", "/api/admin/halls/{hall}", {"hours": {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}}, 422, "hours_invalid", "hours.mon"),
    ("PATCH", "/api/admin/halls/{hall}", {"hours": {"tue": [["17:00", "09:00"]]}}, 422, "hours_invalid", "hours.tue.0"),
    ("PATCH", "/api/admin/halls/{hall}", {"region_code": "37A"}, 422, "region_code_invalid", "region_code"),
    ("PUT", "/api/admin/halls/{hall}/calendar/2027", {"days": {"2026-12-31": False}}, 422, "calendar_invalid", "days.2026-12-31"),
    ("PUT", "/api/admin/halls/{hall}/calendar/2027", {"days": {"2027-02-30": False}}, 422, "calendar_invalid", "days"),
    ("POST", "/api/admin/halls/{hall}/services", {"code": "a1", "name": "x"}, 422, "invalid_request", "code"),
    ("POST", "/api/admin/halls/{hall}/services", {"code": "A", "name": "重复"}, 409, "service_exists", "code"),
    ("POST", "/api/admin/halls/{hall}/services", {"code": "F", "name": "x", "channels": []}, 422, "invalid_request", "channels"),
    ("DELETE", "/api/admin/halls/{hall}/services/A", None, 409, "service_in_use", None),
    ("POST", "/api/admin/users", {"username": "x1", "display_name": "x", "role": "clerk", "password": "long-enough-1"}, 422, "scope_invalid", "hall"),
    ("POST", "/api/admin/users", {"username": "x2", "display_name": "x", "role": "clerk", "hall": "{hall}", "password": "short"}, 422, "password_weak", "password"),
    ("POST", "/api/admin/users", {"username": "x3", "display_name": "x", "role": "officer", "hall": "{hall}", "password": "long-enough-1"}, 422, "scope_invalid", "department"),
    ("POST", "/api/admin/users", {"username": "root-{hall}", "display_name": "x", "role": "admin", "password": "long-enough-1"}, 409, "username_taken", "username"),
    ("PATCH", "/api/admin/users/u-root-{hall}", {"enabled": False}, 409, "last_admin", None),
    ("PATCH", "/api/admin/users/u-root-{hall}", {"role": "supervisor", "hall": "{hall}"}, 409, "last_admin", None),
    ("DELETE", "/api/admin/windows/{w1}", None, 409, "window_in_use", None),
    ("POST", "/api/admin/departments", {"id": "d1", "name": "x", "kind": "back", "halls": ["no-such-hall"]}, 404, "unknown_hall", "halls.0"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "field"), BAD,
                         ids=[f"{b[4]}-{i}" for i, b in enumerate(BAD)])  # fmt: skip
async def test_bad_configuration_changes_nothing(
    api: Api, method: str, path: str, body: Any, status: int, code: str, field: str | None
) -> None:
    admin = await admin_of(api, only=code == "last_admin")
    hall = api.hall.id
    # A waiting ticket for A, and window 1 open: what "in use" means.
    await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "A"})
    clerk = await api.login(api.hall.clerk(1).username)
    assert (await api.client.post(f"/api/windows/{api.hall.window(1)}/open", headers=clerk)).status_code == 200
    names = {"hall": hall, "w1": api.hall.window(1), "w2": api.hall.window(2)}
    url = path.format(**names)
    if isinstance(body, dict):
        body = {k: v.format(**names) if isinstance(v, str) else v for k, v in body.items()}
    before = await _state(api, admin)
    r = await api.client.request(method, url, json=body, headers=admin)
    _error(r, status, code, field)
    assert await _state(api, admin) == before


async def test_a_supervisor_edits_their_own_halls_windows_only(api: Api) -> None:
    other = await make_hall(api.store, api.app.state.ow.ctx.clock(), hash_passwords=True)
    boss = await api.login(api.hall.supervisor.username)
    mine = await api.client.patch(f"/api/admin/windows/{api.hall.window(2)}", headers=boss,
                                  json={"name": "2号窗口 医保"})  # fmt: skip
    assert mine.status_code == 200 and mine.json()["name"] == "2号窗口 医保"
    admin = await admin_of(api)
    before = (await api.client.get(f"/api/admin/halls/{other.id}/windows", headers=admin)).json()
    theirs = await api.client.patch(f"/api/admin/windows/{other.window(1)}", headers=boss,
                                    json={"name": "越权"})  # fmt: skip
    _error(theirs, 403, "other_hall")
    _error(await api.client.put(f"/api/admin/halls/{other.id}/calendar/2027", headers=boss,
                                json={"days": {}}), 403, "other_hall")  # fmt: skip
    _error(await api.client.post(f"/api/admin/halls/{api.hall.id}/services", headers=boss,
                                 json={"code": "F", "name": "x"}), 403, "role_forbidden")  # fmt: skip
    assert (await api.client.get(f"/api/admin/halls/{other.id}/windows", headers=admin)).json() == before


async def test_a_deleted_service_can_be_deleted_once_unused_and_revived(api: Api) -> None:
    admin = await admin_of(api)
    hall = api.hall.id
    for w in (api.hall.window(3), api.hall.window(4)):
        r = await api.client.patch(f"/api/admin/windows/{w}", headers=admin, json={"services": ["D"]})
        assert r.status_code == 200, r.text
    r = await api.client.patch(f"/api/admin/windows/{api.hall.window(4)}", headers=admin,
                               json={"services": ["A"]})  # fmt: skip
    assert (await api.client.delete(f"/api/admin/halls/{hall}/services/C", headers=admin)).status_code == 204
    codes = [s["code"] for s in (await api.client.get(f"/api/halls/{hall}")).json()["services"]]
    assert "C" not in codes
    _error(await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "C"}), 404, "unknown_service")
    back = await api.client.post(f"/api/admin/halls/{hall}/services", headers=admin,
                                 json={"code": "C", "name": "不动产登记（新）"})  # fmt: skip
    assert back.status_code == 201, back.text
    assert (await api.client.post(f"/api/halls/{hall}/tickets", json={"service": "C"})).status_code == 201


async def test_audit_filters_paging_csv_and_scope(api: Api) -> None:
    admin = await admin_of(api)
    hall = api.hall.id
    for n in range(5):
        await api.client.patch(f"/api/admin/windows/{api.hall.window(1)}", headers=admin,
                               json={"name": f"窗口{n}"})  # fmt: skip
    seen: list[str] = []
    before = None
    while True:
        params: dict[str, Any] = {"action": "config.window.updated", "limit": 2, "hall": hall}
        if before:
            params["before"] = before
        page = (await api.client.get("/api/audit", params=params, headers=admin)).json()
        seen += [e["id"] for e in page["entries"]]
        before = page["next"]
        if before is None:
            break
    assert len(seen) == len(set(seen)) == 5
    csv = await api.client.get("/api/audit.csv", params={"target": api.hall.window(1)}, headers=admin)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("\ufeffat,hall,seq,actor")
    assert csv.text.count("config.window.updated") == 5
    boss = await api.login(api.hall.supervisor.username)
    own = (await api.client.get("/api/audit", headers=boss)).json()["entries"]
    assert own and all(e["hall"] == hall for e in own)
    _error(await api.client.get("/api/audit", params={"hall": "*"}, headers=boss), 403, "other_hall")
    clerk = await api.login(api.hall.clerk(1).username)
    _error(await api.client.get("/api/audit", headers=clerk), 403, "role_forbidden")
    _error(await api.client.get("/api/audit", params={"since": "yesterday"}, headers=admin),
           422, "invalid_request", "since")  # fmt: skip
    _error(await api.client.get("/api/audit", params={"before": "!!"}, headers=admin),
           422, "cursor_invalid", "before")  # fmt: skip


async def test_sign_in_ignores_an_old_token_and_password_changes_recheck_the_session(
    api: Api,
) -> None:
    clerk = api.hall.clerk(1)
    old = await api.login(clerk.username)
    assert (await api.client.post("/api/auth/logout", headers=old)).status_code == 204
    again = await api.client.post("/api/auth/login", headers=old,
                                  json={"username": clerk.username, "password": PASSWORD})  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json()["id"] == clerk.id
    # A password change whose sign-in was revoked meanwhile (after its token was checked)
    # changes nothing: the use case looks at the session again under the user's row lock.
    headers = {"authorization": f"Bearer {again.json()['token']}"}
    who = api.app.state.ow.sessions.claims(again.json()["token"])
    sessions = api.app.state.ow.sessions
    actor = await sessions.authenticate(again.json()["token"])
    assert (await api.client.post("/api/auth/logout", headers=headers)).status_code == 204
    with pytest.raises(OneWindowError) as err:
        await sessions.change_password(actor, PASSWORD, "a-new-pass-77")
    assert err.value.code == "token_revoked" and who.session_id == actor.session_id
    still = await api.client.post("/api/auth/login",
                                  json={"username": clerk.username, "password": PASSWORD})  # fmt: skip
    assert still.status_code == 200


async def test_a_bad_audit_cursor_is_a_coded_error_on_both_views(api: Api) -> None:
    admin = await admin_of(api)
    for path in ("/api/audit", "/api/audit.csv"):
        for cursor in ("zzz", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgIioiLCAxZTMwXQ=="):
            r = await api.client.get(path, params={"before": cursor}, headers=admin)
            _error(r, 422, "cursor_invalid", "before")
