"""Citizens' side over HTTP: phone sign-in by SMS code, ticket phones, the messages a
ticket's holder gets, the green-channel PIN, the slip. On both backends."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from server.crypto import Sealer
from server.domain.identity import check_character
from server.settings import Settings
from server.store import contacts_sql, outbox_sql
from server.store.db import Row
from tests.api.conftest import Api
from tests.api.test_admin_api import admin_of
from tests.notify.gateway import FakeGateway


def id_number(birth: str, seq: str = "001") -> str:
    first = f"370102{birth}{seq}"
    return first + check_character(first)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as gw:
        yield gw


@pytest.fixture
def settings(db_url: str, gateway: FakeGateway) -> Settings:
    """The API's settings with an SMS gateway that records what it is asked to send."""
    return Settings(database_url=db_url, secret="api-test-secret", rate_limit_client="1000/60",
                    sms_gateway_url=gateway.url, notify_poll_s=0.05)  # fmt: skip


@pytest.fixture
def phone() -> str:
    """A phone of each test's own: the PostgreSQL database is shared by the run."""
    return f"139{secrets.randbelow(10**8):08d}"


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


async def outbox(api: Api, template: str | None = None) -> list[Row]:
    """This hall's messages (their parameters sealed)."""
    async with api.store.db.reader() as c:
        found = await c.fetch("SELECT * FROM outbox ORDER BY created_at, idem_key")
    return [
        r for r in found
        if r["hall_id"] == api.hall.id and (template is None or r["template"] == template)
    ]  # fmt: skip


def params(api: Api, row: Row) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(api.store.sealer.open(row["params"], outbox_sql.PARAMS))
    return out


async def texted(gateway: FakeGateway, phone: str, template: str) -> list[dict[str, Any]]:
    """The parameters of what the gateway delivered to ``phone`` (waiting for it a little)."""
    for _ in range(100):
        got = [p.body["params"] for p in gateway.delivered.values()
               if p.body["phone"] == phone and p.body["template"] == template]  # fmt: skip
        if got:
            return got
        await asyncio.sleep(0.05)
    return []


async def issue(api: Api, service: str = "A", **body: Any) -> dict[str, Any]:
    r = await api.client.post(
        f"/api/halls/{api.hall.id}/tickets", json={"service": service, **body}
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def request_code(api: Api, gateway: FakeGateway, phone: str) -> str:
    before = len(await texted(gateway, phone, "sign_in_code")) if gateway.posts else 0
    r = await api.client.post("/api/citizen/code", json={"phone": phone})
    assert r.status_code == 202, r.text
    assert r.json() == {"expires_in": 300, "resend_in": 60}
    for _ in range(100):
        sent = await texted(gateway, phone, "sign_in_code")
        if len(sent) > before:
            code: str = sent[-1]["code"]
            return code
        await asyncio.sleep(0.05)
    raise AssertionError("no code reached the gateway")


async def sign_in(api: Api, gateway: FakeGateway, phone: str) -> dict[str, str]:
    code = await request_code(api, gateway, phone)
    r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["phone_masked"] == masked(phone)
    return {"authorization": f"Citizen {r.json()['token']}"}


async def test_the_hall_view_tells_channels_waits_and_whether_a_pin_is_set(api: Api) -> None:
    await issue(api, "A")
    hall = (await api.client.get(f"/api/halls/{api.hall.id}")).json()
    a = next(s for s in hall["services"] if s["code"] == "A")
    assert a["channels"] == ["kiosk", "phone", "window"]
    assert a["waiting"] == 1 and a["eta_minutes"] >= 0
    assert hall["green_pin"] is False


async def test_an_issued_ticket_links_its_slip_and_its_follow_page(api: Api) -> None:
    t = await issue(api, "A")
    assert t["service_name"] == "业务A" and t["hall_name"] and t["hall_id"] == api.hall.id
    assert t["slip_url"] == f"/kiosk/{api.hall.id}/slip/{t['id']}?token={t['token']}"
    assert t["follow_url"] == f"http://hall.test/m/ticket/{t['id']}?token={t['token']}"
    slip = await api.client.get(t["slip_url"])
    assert slip.status_code == 200 and t["number"] in slip.text and "<svg" in slip.text
    wrong = await api.client.get(f"/kiosk/{api.hall.id}/slip/{t['id']}?token=nope")
    assert wrong.status_code == 404 and t["number"] not in wrong.text


async def test_a_tickets_phone_is_sealed_and_never_shown_whole(api: Api, phone: str) -> None:
    t = await issue(api, "A", phone=phone)
    async with api.store.db.reader() as c:
        row = await c.fetchrow("SELECT * FROM ticket_contacts WHERE ticket_id = $1", t["id"])
    assert row is not None and phone not in json.dumps(dict(row), default=str)
    status = await api.client.get(f"/api/tickets/{t['id']}", params={"token": t["token"]})
    assert phone not in status.text
    queue = await api.client.get(f"/api/halls/{api.hall.id}/queue",
                                 headers=await api.login(api.hall.clerk(1).username))  # fmt: skip
    assert phone not in queue.text and masked(phone) in queue.text


async def test_sign_in_by_code_then_my_tickets_then_sign_out(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    me = await sign_in(api, gateway, phone)
    r = await api.client.post(
        f"/api/halls/{api.hall.id}/tickets", json={"service": "A"}, headers=me
    )
    assert r.status_code == 201
    await issue(api, "B", phone=phone)  # taken at a kiosk with the same phone
    await issue(api, "C", phone="13800000000")  # somebody else's
    got = (await api.client.get("/api/citizen/me", headers=me)).json()
    assert got["phone_masked"] == masked(phone)
    assert sorted(t["service"] for t in got["tickets"]) == ["A", "B"]
    assert phone not in json.dumps(got)
    assert (await api.client.delete("/api/citizen/session", headers=me)).status_code == 204
    after = await api.client.get("/api/citizen/me", headers=me)
    assert after.status_code == 401 and after.json()["error"]["code"] == "citizen_sign_in_required"


async def test_codes_are_rate_limited_with_the_wait(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    await request_code(api, gateway, phone)
    again = await api.client.post("/api/citizen/code", json={"phone": phone})
    assert again.status_code == 429
    err = again.json()["error"]
    assert err["code"] == "rate_limited" and 0 < err["retry_after"] <= 60
    assert again.headers["retry-after"] == str(err["retry_after"])
    assert "秒后再试" in err["message_zh"]
    assert len(await texted(gateway, phone, "sign_in_code")) == 1


async def test_five_wrong_codes_lock_it(api: Api, gateway: FakeGateway, phone: str) -> None:
    code = await request_code(api, gateway, phone)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": wrong})
        assert r.status_code == 401
        assert r.json()["error"] == {**r.json()["error"], "code": "code_wrong", "tries_left": left}
    r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": wrong})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_locked"
    # Locked means locked: the right code does not open it any more.
    r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": code})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_locked"


async def test_a_code_lives_five_minutes(api: Api, gateway: FakeGateway, phone: str) -> None:
    code = await request_code(api, gateway, phone)
    api.app.state.ow.ctx.clock.advance(minutes=5, seconds=1)
    r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": code})
    assert r.status_code == 401 and r.json()["error"]["code"] == "code_expired"


async def test_bad_phone_numbers_are_refused_and_nothing_is_sent(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    for bad in ("12345678901", phone[:-1], "+1 415 555 0100", "abc"):
        r = await api.client.post("/api/citizen/code", json={"phone": bad})
        assert r.status_code == 422 and r.json()["error"]["code"] == "phone_format", bad
    r = await api.client.post(f"/api/halls/{api.hall.id}/tickets",
                              json={"service": "A", "phone": "0531-1234567"})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "phone_format"
    await asyncio.sleep(0.2)
    assert gateway.posts == [] and await outbox(api) == []


async def test_calls_and_the_advance_notice_reach_the_ticket_phone(api: Api) -> None:
    admin = await admin_of(api)
    r = await api.client.patch(f"/api/admin/halls/{api.hall.id}",
                               json={"advance_notice": 2, "notify_issued": True}, headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["advance_notice"] == 2
    api.app.state.ow.ctx.forget(api.hall.id)
    first = await issue(api, "A", phone="13800000001")
    for n in range(2, 5):
        await issue(api, "A", phone=f"1380000000{n}")
    issued = await outbox(api, "ticket_issued")
    assert sorted((params(api, r)["number"], params(api, r)["ahead"]) for r in issued) == [
        ("A001", 0),
        ("A002", 1),
        ("A003", 2),
        ("A004", 3),
    ]
    clerk = await api.login(api.hall.clerk(2).username)  # window 2 serves A only
    w2 = api.hall.window(2)
    assert (await api.client.post(f"/api/windows/{w2}/open", headers=clerk)).status_code == 200
    r = await api.client.post(f"/api/windows/{w2}/call-next", headers=clerk)
    assert r.json()["ticket"]["id"] == first["id"]
    called = await outbox(api, "called")
    assert [params(api, c) for c in called] == [{"number": "A001", "window": 2}]
    # A004 had 3 ahead at issue; now 2: told once, and not again at the next call.
    advance = await outbox(api, "advance_notice")
    assert [params(api, a)["number"] for a in advance] == ["A004"]
    assert params(api, advance[0])["ahead"] == 2
    await api.client.post(f"/api/windows/{w2}/no-show", headers=clerk)
    await api.client.post(f"/api/windows/{w2}/call-next", headers=clerk)
    assert len(await outbox(api, "advance_notice")) == 1
    assert sorted(params(api, c)["number"] for c in await outbox(api, "called")) == ["A001", "A002"]
    for row in await outbox(api):
        text = json.dumps(dict(row), default=str)
        assert "1380000000" not in text  # recipients sealed, texts masked


async def test_phones_are_deleted_after_their_business_day(api: Api, phone: str) -> None:
    t = await issue(api, "A", phone=phone)
    api.app.state.ow.ctx.clock.advance(days=1)
    await api.app.state.ow.tickets.void_stale(api.hall.id, api.app.state.ow.ctx.clock())
    async with api.store.db.reader() as c:
        left = await c.fetchval(
            "SELECT count(*) FROM ticket_contacts WHERE ticket_id = $1", t["id"]
        )
    assert left == 0


async def test_green_channel_for_other_groups_needs_the_guides_pin(api: Api) -> None:
    url = f"/api/halls/{api.hall.id}/tickets"
    green = {"service": "A", "kind": "green", "green_reason": "disabled"}
    r = await api.client.post(url, json=green)
    assert r.status_code == 403 and r.json()["error"]["code"] == "green_needs_staff"
    r = await api.client.post(url, json={**green, "staff_pin": "2580"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "staff_pin_unset"
    admin = await admin_of(api)
    bad = await api.client.patch(f"/api/admin/halls/{api.hall.id}", json={"green_pin": "12ab"},
                                 headers=admin)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "green_pin"
    r = await api.client.patch(f"/api/admin/halls/{api.hall.id}", json={"green_pin": "2580"},
                               headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["green_pin_set"] is True
    assert "2580" not in r.text
    api.app.state.ow.ctx.forget(api.hall.id)
    assert (await api.client.get(f"/api/halls/{api.hall.id}")).json()["green_pin"] is True
    r = await api.client.post(url, json={**green, "staff_pin": "0000"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "staff_pin_wrong"
    # A busy guide is never slowed down by the right PIN: only wrong ones count.
    for _ in range(7):
        r = await api.client.post(url, json={**green, "staff_pin": "2580"})
        assert r.status_code == 201 and r.json()["kind"] == "green"
    # Typed at a kiosk only: a phone cannot carry a guide's PIN.
    r = await api.client.post(url, json={**green, "channel": "phone", "staff_pin": "2580"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "staff_pin_kiosk_only"
    # Guessing is limited: five wrong PINs per kiosk in five minutes, then even the right
    # one waits.
    codes = [(await api.client.post(url, json={**green, "staff_pin": "1111"})).status_code
             for _ in range(5)]  # fmt: skip
    assert codes == [403, 403, 403, 403, 429]
    r = await api.client.post(url, json={**green, "staff_pin": "2580"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "staff_pin_locked"
    audit = (await api.client.get("/api/audit", params={"hall": api.hall.id}, headers=admin)).json()
    assert "2580" not in json.dumps(audit)


async def test_the_elderly_green_channel_needs_an_id_of_70_or_over(api: Api) -> None:
    url = f"/api/halls/{api.hall.id}/tickets"
    green = {"service": "A", "kind": "green", "green_reason": "elderly"}
    young = await api.client.post(url, json={**green, "id_number": id_number("19900101")})
    assert young.status_code == 403 and young.json()["error"]["code"] == "green_not_eligible"
    old = await api.client.post(url, json={**green, "id_number": id_number("19500101")})
    assert old.status_code == 201


async def test_a_later_sign_in_replaces_the_citizens_code_and_keeps_one_account(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    await sign_in(api, gateway, phone)
    api.app.state.ow.ctx.clock.advance(seconds=61)
    await sign_in(api, gateway, phone)
    async with api.store.db.reader() as c:
        fp = api.store.sealer.fingerprint("phone", phone)
        assert await c.fetchval("SELECT count(*) FROM citizens WHERE phone_fp = $1", fp) == 1
        row = await c.fetchrow("SELECT * FROM citizens WHERE phone_fp = $1", fp)
    assert row is not None and phone not in json.dumps(dict(row), default=str)


async def test_a_forged_or_expired_citizen_token_is_refused(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    me = await sign_in(api, gateway, phone)
    token = me["authorization"].split(" ", 1)[1]
    forged = {"authorization": f"Citizen {token[:-2]}xx"}
    r = await api.client.get("/api/citizen/me", headers=forged)
    assert r.status_code == 401
    api.app.state.ow.ctx.clock.advance(days=31)
    r = await api.client.get("/api/citizen/me", headers=me)
    assert r.status_code == 401 and r.json()["error"]["code"] == "citizen_sign_in_required"
    assert timedelta(days=30) == timedelta(seconds=api.app.state.ow.settings.citizen_token_ttl_s)


async def test_wrong_codes_are_budgeted_per_phone_across_codes(
    api: Api, gateway: FakeGateway, phone: str
) -> None:
    """Each code dies after 5 wrong tries, and a phone gets 10 wrong tries a day in all:
    asking for new codes does not buy an attacker more guesses."""
    for _ in range(2):
        code = await request_code(api, gateway, phone)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            r = await api.client.post("/api/citizen/session", json={"phone": phone, "code": wrong})
            assert r.status_code in (401, 429), r.text
        api.app.state.ow.ctx.clock.advance(seconds=61)
    r = await api.client.post("/api/citizen/code", json={"phone": phone})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_locked_today"
    assert "小时后再试" in r.json()["error"]["message_zh"]


async def test_sign_in_attempts_are_limited_per_client(api: Api, phone: str) -> None:
    statuses = [
        (await api.client.post("/api/citizen/session",
                               json={"phone": phone, "code": "123456"})).status_code
        for _ in range(31)
    ]  # fmt: skip
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


async def test_a_phone_sealed_under_another_secret_does_not_stop_the_call(api: Api) -> None:
    t = await issue(api, "A", phone="13800000009")
    async with api.store.db.transaction() as c:
        other = Sealer(b"another-secret").seal("13800000009", contacts_sql.TICKET_PHONE)
        await c.execute("UPDATE ticket_contacts SET phone_enc = $2 WHERE ticket_id = $1",
                        t["id"], other)  # fmt: skip
    clerk = await api.login(api.hall.clerk(2).username)
    w2 = api.hall.window(2)
    await api.client.post(f"/api/windows/{w2}/open", headers=clerk)
    r = await api.client.post(f"/api/windows/{w2}/call-next", headers=clerk)
    assert r.status_code == 200 and r.json()["ticket"]["id"] == t["id"]
    assert await outbox(api, "called") == []


async def test_moving_a_ticket_out_of_a_queue_tells_who_is_now_close(api: Api) -> None:
    admin = await admin_of(api)
    await api.client.patch(f"/api/admin/halls/{api.hall.id}", json={"advance_notice": 1},
                           headers=admin)  # fmt: skip
    api.app.state.ow.ctx.forget(api.hall.id)
    first = await issue(api, "A")
    await issue(api, "A")
    third = await issue(api, "A", phone="13800000007")  # two ahead: not told yet
    assert await outbox(api, "advance_notice") == []
    sup = await api.login(api.hall.supervisor.username)
    r = await api.client.post(f"/api/tickets/{first['id']}/move", json={"service": "C"},
                              headers=sup)  # fmt: skip
    assert r.status_code == 200, r.text
    [told] = await outbox(api, "advance_notice")
    assert params(api, told) == {"hall": "测试大厅", "number": third["number"], "ahead": 1}
