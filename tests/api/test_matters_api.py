"""The matters catalog (事项) over the API, on SQLite and PostgreSQL: the public listing
and search, administration with its validation and roles, and deletion.

Each test works in a hall of its own with departments named after it (department
ids are shared by every hall of the PostgreSQL database the run uses).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest

from server.auth import hash_password
from server.domain.model import Department, DepartmentKind, Role, User
from server.store import config_sql
from tests.api.conftest import Api
from tests.conftest import PASSWORD, make_hall

Headers = dict[str, str]


class Setup:
    """The hall's departments (two back-office, one front counter, one back-office of
    another hall) and tokens of its admin and supervisor."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.hall = api.hall.id
        self.back, self.back2 = f"{self.hall}-market", f"{self.hall}-tax"
        self.front, self.elsewhere = f"{self.hall}-front", f"{self.hall}-far"
        self.admin: Headers = {}
        self.boss: Headers = {}  # the hall's supervisor
        self.other_boss: Headers = {}  # another hall's supervisor
        self.clerk: Headers = {}

    @classmethod
    async def start(cls, api: Api) -> Setup:
        s = cls(api)
        now: datetime = api.app.state.ow.ctx.clock()
        other = await make_hall(api.store, now, hash_passwords=True)
        async with api.store.db.transaction() as c:
            for d in (Department(s.back, "市场监管局", DepartmentKind.BACK, (s.hall,)),
                      Department(s.back2, "税务局", DepartmentKind.BACK, (s.hall,)),
                      Department(s.front, "人社局窗口", DepartmentKind.FRONT, (s.hall,)),
                      Department(s.elsewhere, "外区审批局", DepartmentKind.BACK, (other.id,))):  # fmt: skip
                await config_sql.save_department(c, d, now, insert=True)
        name = f"root-{s.hall}"
        await api.store.add_user(
            User(f"u-{name}", name, "管理员", Role.ADMIN, None, hash_password(PASSWORD)), now
        )
        s.admin = await api.login(name)
        s.boss = await api.login(api.hall.supervisor.username)
        s.other_boss = await api.login(other.supervisor.username)
        s.clerk = await api.login(api.hall.clerk(1).username)
        return s

    def body(self, **changes: Any) -> dict[str, Any]:
        """A valid matter: two departments in parallel, one waivable material."""
        out: dict[str, Any] = {
            "name": "个体工商户设立登记",
            "name_en": "Sole proprietorship registration",
            "departments": [self.back, self.back2],
            "materials": [
                {"key": "id_card", "name": "经营者身份证", "copies": 1},
                {"name": "经营场所证明", "originals": 0, "copies": 1, "waivable": True},
                {"name": "照片", "required": False},
            ],
            "promised_days": 1,
            "legal_days": 15,
            "intake_service": "D",
            "pickup_service": "C",
            "fees": "不收费",
            "apply_at": "一楼 4号窗口",
            "pickup_at": "一楼 6号窗口",
        }
        out.update(changes)
        return out

    async def put(self, code: str, body: dict[str, Any], who: Headers | None = None) -> Any:
        return await self.api.client.put(
            f"/api/admin/halls/{self.hall}/matters/{code}", json=body, headers=self.admin if who is None else who
        )

    async def public(self, q: str | None = None) -> list[str]:
        r = await self.api.client.get(f"/api/halls/{self.hall}/matters",
                                      params={"q": q} if q is not None else None)  # fmt: skip
        assert r.status_code == 200, r.text
        return [m["code"] for m in r.json()["matters"]]


def _error(r: Any, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in err["message_zh"])
    if field is not None:
        assert err.get("field") == field, err


@pytest.fixture
async def s(api: Api) -> Setup:
    return await Setup.start(api)


async def test_the_public_lists_and_searches_enabled_matters(s: Setup) -> None:
    for code, name in (("SC-001", "个体工商户设立登记"), ("GA-001", "居民身份证换领"),
                       ("GA-002", "身份证补领"), ("bdc_7", "不动产转移登记"),
                       ("OLD-1", "身份证挂失")):  # fmt: skip
        r = await s.put(code, s.body(name=name))
        assert r.status_code == 201, r.text
    assert (await s.put("OLD-1", s.body(name="身份证挂失", enabled=False))).status_code == 200

    assert await s.public() == ["GA-001", "GA-002", "SC-001", "bdc_7"]  # by code; not OLD-1
    assert await s.public("身份证") == ["GA-001", "GA-002"]  # a substring of the name
    assert await s.public("登记") == ["SC-001", "bdc_7"]
    assert await s.public("sfz") == ["GA-001", "GA-002"]  # the initials, anywhere: jmsfzhl, sfzbl
    assert await s.public("JMSF") == ["GA-001"]  # case-insensitive
    assert await s.public("ga-00") == ["GA-001", "GA-002"]  # the code, any case
    assert await s.public("BDC_7") == ["bdc_7"]
    assert await s.public("  ") == await s.public()  # blank: everything
    assert await s.public("%") == []  # typed as it is: no wildcards
    assert await s.public("_") == []
    assert await s.public("ｓｆｚ") == ["GA-001", "GA-002"]  # full-width, as a Chinese keyboard types it

    r = await s.api.client.get(f"/api/halls/{s.hall}/matters", params={"q": "长" * 41})
    _error(r, 422, "invalid_request", "q")
    _error(await s.api.client.get("/api/halls/nohall/matters"), 404, "unknown_hall")


async def test_one_matter_as_the_public_and_the_admin_see_it(s: Setup) -> None:
    r = await s.put("GA-001", s.body(name="居民身份证换领（Ａ类）"))
    assert r.status_code == 201, r.text
    created = r.json()
    got = await s.api.client.get(f"/api/halls/{s.hall}/matters/GA-001")
    assert got.status_code == 200, got.text
    m = got.json()
    assert m == created
    assert m["code"] == "GA-001" and m["initials"] == "jmsfzhlal"
    assert m["lead_department"] == s.back
    assert m["departments"] == [{"id": s.back, "name": "市场监管局", "lead": True},
                                {"id": s.back2, "name": "税务局", "lead": False}]  # fmt: skip
    assert m["materials"] == [
        {"key": "id_card", "name": "经营者身份证", "originals": 1, "copies": 1,
         "required": True, "waivable": False},
        {"key": "m2", "name": "经营场所证明", "originals": 0, "copies": 1, "required": True,
         "waivable": True},
        {"key": "m3", "name": "照片", "originals": 1, "copies": 0, "required": False,
         "waivable": False},
    ]  # fmt: skip
    assert (m["promised_days"], m["legal_days"]) == (1, 15)
    assert (m["intake_service"], m["intake_service_name"]) == ("D", "业务D")
    assert (m["pickup_service"], m["pickup_service_name"]) == ("C", "业务C")
    assert (m["fees"], m["apply_at"], m["pickup_at"], m["enabled"]) == (
        "不收费", "一楼 4号窗口", "一楼 6号窗口", True)  # fmt: skip
    assert m["name_en"] == "Sole proprietorship registration"

    _error(await s.api.client.get(f"/api/halls/{s.hall}/matters/NOPE"), 404, "unknown_matter")
    assert (await s.put("GA-001", s.body(enabled=False))).status_code == 200
    _error(await s.api.client.get(f"/api/halls/{s.hall}/matters/GA-001"), 404, "unknown_matter")
    admin_view = await s.api.client.get(f"/api/admin/halls/{s.hall}/matters", headers=s.boss)
    assert admin_view.status_code == 200, admin_view.text
    assert [(x["code"], x["enabled"]) for x in admin_view.json()["matters"]] == [("GA-001", False)]
    r = await s.api.client.get("/api/admin/halls/nohall/matters", headers=s.admin)
    _error(r, 404, "unknown_hall")


async def test_a_put_replaces_and_each_save_is_audited(s: Setup) -> None:
    assert (await s.put("SC-001", s.body())).status_code == 201
    r = await s.put("SC-001", s.body(name="个体工商户变更登记", departments=[s.back2],
                                     materials=[], promised_days=3, legal_days=3),
                    who=s.boss)  # fmt: skip
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["name"], m["initials"], m["materials"]) == ("个体工商户变更登记", "gtgshbgdj", [])
    assert m["departments"] == [{"id": s.back2, "name": "税务局", "lead": True}]
    assert (m["promised_days"], m["legal_days"]) == (3, 3)
    listed = (await s.api.client.get(f"/api/halls/{s.hall}/matters")).json()["matters"]
    assert listed == [m]  # the public cache was dropped by the change

    audit = await s.api.client.get("/api/audit", params={"hall": s.hall, "action": "matter.save"},
                                   headers=s.admin)  # fmt: skip
    entries = audit.json()["entries"]  # newest first
    assert [(e["action"], e["target"], e["detail"]["created"]) for e in entries] == [
        ("matter.save", f"{s.hall}:SC-001", False), ("matter.save", f"{s.hall}:SC-001", True)]  # fmt: skip
    assert entries[0]["actor"] == s.api.hall.supervisor.username
    assert entries[0]["detail"]["before"]["name"] == "个体工商户设立登记"
    assert entries[0]["detail"]["after"]["name"] == "个体工商户变更登记"


def _bad_bodies(s: Setup) -> list[tuple[dict[str, Any], int, str, str]]:
    """(body, status, error code, field) of refused saves."""
    b = s.body
    materials = b()["materials"]
    return [
        (b(departments=[s.back, "no-such-dept"]), 422, "department_unknown", "departments.1"),
        (b(departments=[s.back, s.elsewhere]), 422, "department_unknown", "departments.1"),
        (b(departments=[s.front]), 422, "department_not_back", "departments.0"),
        (b(departments=[]), 422, "matter_invalid", "departments"),
        (b(departments=[s.back, s.back]), 422, "matter_invalid", "departments"),
        (b(intake_service="Z"), 422, "unknown_service", "intake_service"),
        (b(pickup_service="Z"), 422, "unknown_service", "pickup_service"),
        (b(promised_days=20, legal_days=15), 422, "matter_invalid", "promised_days"),
        (b(promised_days=0), 422, "matter_invalid", "promised_days"),
        (b(promised_days="3"), 422, "invalid_request", "promised_days"),
        (b(name=""), 422, "matter_invalid", "name"),
        (b(materials=[materials[0], {"name": "证明", "required": False, "waivable": True}]),
         422, "matter_invalid", "materials.1.waivable"),
        (b(materials=[materials[0], {"key": "id_card", "name": "又一份"}]),
         422, "matter_invalid", "materials.1.key"),
        (b(materials=[materials[0], {"key": "Bad Key", "name": "证明"}]),
         422, "matter_invalid", "materials.1.key"),
        (b(materials=[{"copies": 1}]), 422, "invalid_request", "materials.0.name"),
        (b(materials=[{"name": "证明", "copies": 21}]), 422, "matter_invalid", "materials.0.copies"),
        (b(code="SC-001"), 422, "invalid_request", "code"),  # the code is the path's
    ]  # fmt: skip


async def test_refused_saves_name_the_field_and_change_nothing(s: Setup) -> None:
    assert (await s.put("KEEP", s.body(name="原样保留"))).status_code == 201
    before = await s.api.client.get(f"/api/admin/halls/{s.hall}/matters", headers=s.admin)
    position = await s.api.store.stream_position(s.hall)
    for body, status, code, field in _bad_bodies(s):
        for target in ("KEEP", "NEW-1"):
            _error(await s.put(target, copy.deepcopy(body)), status, code, field)
    _error(await s.put("bad code!", s.body()), 422, "matter_invalid", "code")
    _error(await s.put("X" * 41, s.body()), 422, "matter_invalid", "code")
    r = await s.api.client.put("/api/admin/halls/nohall/matters/A1", json=s.body(),
                               headers=s.admin)  # fmt: skip
    _error(r, 404, "unknown_hall")
    after = await s.api.client.get(f"/api/admin/halls/{s.hall}/matters", headers=s.admin)
    assert after.json() == before.json()
    assert await s.api.store.stream_position(s.hall) == position


async def test_only_the_halls_supervisor_and_admins_administer_it(s: Setup) -> None:
    c, hall = s.api.client, s.hall
    assert (await s.put("GA-001", s.body(), who=s.boss)).status_code == 201
    url = f"/api/admin/halls/{hall}/matters"
    for who, status, code in ((s.clerk, 403, "role_forbidden"),
                              (s.other_boss, 403, "other_hall"),
                              ({}, 401, "sign_in_required")):  # fmt: skip
        _error(await c.get(url, headers=who), status, code)
        _error(await s.put("GA-001", s.body(name="改名"), who=who), status, code)
        _error(await s.put("GA-002", s.body(), who=who), status, code)
        _error(await c.delete(f"{url}/GA-001", headers=who), status, code)
    assert await s.public() == ["GA-001"]
    assert (await c.get(f"/api/halls/{hall}/matters/GA-001")).json()["name"] == "个体工商户设立登记"
    # The public endpoints ignore who asks.
    for who in (s.clerk, s.other_boss, {}):
        assert (await c.get(f"/api/halls/{hall}/matters", headers=who)).status_code == 200


async def test_delete_removes_an_unused_matter(s: Setup) -> None:
    assert (await s.put("GA-001", s.body())).status_code == 201
    assert (await s.put("GA-002", s.body())).status_code == 201
    url = f"/api/admin/halls/{s.hall}/matters"
    r = await s.api.client.delete(f"{url}/GA-001", headers=s.boss)
    assert r.status_code == 204, r.text
    assert await s.public() == ["GA-002"]
    _error(await s.api.client.get(f"/api/halls/{s.hall}/matters/GA-001"), 404, "unknown_matter")
    _error(await s.api.client.delete(f"{url}/GA-001", headers=s.boss), 404, "unknown_matter")
    audit = await s.api.client.get("/api/audit", params={"hall": s.hall, "action": "matter.delete"},
                                   headers=s.admin)  # fmt: skip
    [entry] = audit.json()["entries"]
    assert entry["target"] == f"{s.hall}:GA-001"
    assert entry["detail"]["before"]["departments"] == [s.back, s.back2]


async def _a_case_of(api: Api, hall: str, matter: str) -> None:
    """A minimal case row naming the matter, as intake would leave one."""
    now: datetime = api.app.state.ow.ctx.clock()
    async with api.store.db.transaction() as c:
        await c.execute(
            "INSERT INTO cases (id, hall_id, number, matter, state, business_day, channel,"
            " created_at, id_fingerprint, id_masked, name_masked, personal_enc, checklist,"
            " missing, promised_days, legal_days)"
            " VALUES ($1, $2, $3, $4, 'received', $5, 'window', $6, 'fp', '370***********0011',"
            " '张*', 'sealed', '{}', '[]', 1, 15)",
            f"case-{hall}", hall, f"{hall}-0001", matter, date(2026, 11, 25), now,
        )  # fmt: skip


async def test_a_matter_with_cases_cannot_be_deleted_only_disabled(s: Setup) -> None:
    assert (await s.put("SC-001", s.body())).status_code == 201
    await _a_case_of(s.api, s.hall, "SC-001")
    url = f"/api/admin/halls/{s.hall}/matters/SC-001"
    _error(await s.api.client.delete(url, headers=s.admin), 409, "matter_in_use")
    assert await s.public() == ["SC-001"]
    assert (await s.put("SC-001", s.body(enabled=False))).status_code == 200
    assert await s.public() == []
    listed = await s.api.client.get(f"/api/admin/halls/{s.hall}/matters", headers=s.admin)
    assert [(x["code"], x["enabled"]) for x in listed.json()["matters"]] == [("SC-001", False)]
    # Intake still finds it when it asks for disabled ones (a case already names it).
    matters = s.api.app.state.ow.matters
    assert (await matters.matter(s.hall, "SC-001", include_disabled=True)).enabled is False


async def test_the_largest_matter_fits_though_over_the_usual_body_limit(s: Setup) -> None:
    materials = [{"key": f"k{i}", "name": f"{i:02d}" + "证" * 98} for i in range(60)]
    body = s.body(name="名" * 100, materials=materials, fees="费" * 2000)
    r = await s.put("BIG", body)
    assert r.status_code == 201, r.text
    assert len(r.json()["materials"]) == 60
    r = await s.put("BIG", s.body(materials=[*materials, {"name": "多一项"}]))
    _error(r, 422, "invalid_request", "materials")
    r = await s.put("BIG", s.body(materials=[{"name": "证" * 101}]))
    _error(r, 422, "invalid_request", "materials.0.name")
