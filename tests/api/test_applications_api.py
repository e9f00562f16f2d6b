"""Online application (网上申报) over HTTP, on both backends: a signed-in citizen applies
and uploads, the clerk returns it with the one-time list, the citizen completes it,
the clerk accepts it as a case; files are checked by content, kept by hash, and shown
only to entitled staff, each view audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.auth import hash_password
from server.settings import Settings
from tests.api.conftest import Api
from tests.api.test_citizen_api import gateway, outbox, phone, sign_in  # noqa: F401 - fixtures
from tests.conftest import PASSWORD, FakeClock
from tests.notify.gateway import FakeGateway
from tests.usecases.case_helpers import id_number, matter_body, seed_departments

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64  # a Windows executable, named .pdf below
LIMIT = 4096


@pytest.fixture
def settings(db_url: str, gateway: FakeGateway, tmp_path: Any) -> Settings:  # noqa: F811
    return Settings(database_url=db_url, secret="api-test-secret", rate_limit_client="1000/60",
                    sms_gateway_url=gateway.url, notify_poll_s=0.05, upload_max_bytes=LIMIT,
                    files_dir=str(tmp_path / "files"))  # fmt: skip


@pytest.fixture
async def office(api: Api, clock: FakeClock) -> Iterator[dict[str, str]]:
    officers = await seed_departments(api.store, api.hall, clock.now, 2, hash_password(PASSWORD))
    from tests.api.test_admin_api import admin_of

    r = await api.client.put(f"/api/admin/halls/{api.hall.id}/matters/food",
                             headers=await admin_of(api), json=matter_body(list(officers)))
    assert r.status_code == 201, r.text
    return {d: o.username for d, o in officers.items()}  # type: ignore[return-value]


async def _apply(api: Api, me: dict[str, str]) -> dict[str, Any]:
    r = await api.client.post("/api/applications", headers=me, json={
        "hall": api.hall.id, "matter": "food",
        "applicant": {"name": "吴九", "id_number": id_number(9), "address": "历城区"}})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _put(api: Api, me: dict[str, str], app: str, material: str, data: bytes,
               name: str = "a.pdf") -> Any:  # fmt: skip
    return await api.client.put(f"/api/applications/{app}/files/{material}", headers=me,
                                params={"name": name}, content=data)  # fmt: skip


async def test_apply_return_complete_accept(api: Api, gateway: FakeGateway, phone: str,  # noqa: F811
                                            office: dict[str, str]) -> None:  # fmt: skip
    me = await sign_in(api, gateway, phone)
    app = await _apply(api, me)
    assert app["state"] == "draft" and app["reference"].startswith("YS")
    r = await _put(api, me, app["id"], "form", PDF, "申请书.pdf")
    assert r.status_code == 201, r.text
    assert r.json()["digest"] == api.store.sealer.content_key(PDF)
    assert r.json()["content_type"] == "application/pdf"
    assert (await api.client.post(f"/api/applications/{app['id']}/submit", headers=me)).json()[
        "state"] == "submitted"

    clerk = await api.login(api.hall.clerk(1).username)
    waiting = (await api.client.get(f"/api/halls/{api.hall.id}/applications", headers=clerk)).json()
    assert [a["id"] for a in waiting["applications"]] == [app["id"]]
    r = await api.client.post(f"/api/applications/{app['id']}/return", headers=clerk,
                              json={"missing": ["licence"], "note": "营业执照需清晰"})
    assert r.status_code == 200 and r.json()["state"] == "returned"
    assert [x["name"] for x in r.json()["missing"]] == ["营业执照"]
    assert [row["template"] for row in await outbox(api, "application_returned")]

    r = await _put(api, me, app["id"], "licence", PNG, "执照.png")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    await api.client.post(f"/api/applications/{app['id']}/submit", headers=me)
    r = await api.client.post(f"/api/applications/{app['id']}/accept", headers=clerk, json={})
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["state"] == "in_review" and case["checklist"]["licence"] == "received"
    mine = (await api.client.get(f"/api/applications/{app['id']}", headers=me)).json()
    assert mine["state"] == "accepted" and mine["case"] == case["id"]
    cases = (await api.client.get("/api/citizen/cases", headers=me)).json()["cases"]
    assert [c["number"] for c in cases] == [case["number"]]

    # The files: to the hall's staff and the case's officers, audited; nobody else.
    digest = api.store.sealer.content_key(PNG)
    url = f"/api/applications/{app['id']}/files/{digest}"
    got = await api.client.get(url, headers=clerk)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    officer = await api.login(next(iter(office.values())))
    seen = (await api.client.get(f"/api/cases/{case['id']}", headers=officer)).json()
    assert seen["application"] == app["id"]  # how an officer finds the uploads
    assert {f["digest"] for f in seen["files"]} == {digest, api.store.sealer.content_key(PDF)}
    assert (await api.client.get(url, headers=officer)).status_code == 200
    async with api.store.db.reader() as c:
        views = await c.fetchval("SELECT count(*) FROM audit_log WHERE action ="
                                 " 'application.view_file' AND target = $1", app["reference"])
        row = await c.fetchrow("SELECT * FROM applications WHERE id = $1", app["id"])
    assert views == 2
    raw = json.dumps({k: str(v) for k, v in dict(row).items()}, ensure_ascii=False)
    assert id_number(9) not in raw and "吴九" not in raw and phone not in raw
    assert (await api.client.get(url, headers=me)).status_code == 401  # citizens: no
    assert (await api.client.get(url)).status_code == 401


async def test_uploads_are_checked_by_content_and_size(api: Api, gateway: FakeGateway,  # noqa: F811
                                                       phone: str, office: dict[str, str]) -> None:  # fmt: skip  # noqa: F811
    me = await sign_in(api, gateway, phone)
    app = await _apply(api, me)
    for data, name, status, code in [
        (EXE, "申请书.pdf", 422, "file_type_not_allowed"),
        (b"", "a.pdf", 422, "file_empty"),
        (PDF[:-7], "a.pdf", 422, "file_damaged"),
        (b"%PDF-" + b"x" * LIMIT + b"%%EOF", "big.pdf", 413, "file_too_large"),
    ]:
        r = await _put(api, me, app["id"], "form", data, name)
        assert r.status_code == status, (name, r.text)
        assert r.json()["error"]["code"] == code and r.json()["error"]["message_zh"]
    r = await _put(api, me, app["id"], "nope", PDF)
    assert r.status_code == 422 and r.json()["error"]["code"] == "material_unknown"
    stranger = await sign_in(api, gateway, "13700009999")
    r = await _put(api, stranger, app["id"], "form", PDF)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_application"
    mine = (await api.client.get(f"/api/applications/{app['id']}", headers=me)).json()
    assert mine["files"] == []
    await api.client.post(f"/api/applications/{app['id']}/submit", headers=me)
    r = await _put(api, me, app["id"], "form", PDF)
    assert r.status_code == 409 and r.json()["error"]["code"] == "application_locked"
