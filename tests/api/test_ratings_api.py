"""Ratings over HTTP on both backends: the phone and the paired pad rate a served ticket,
a bad rating opens a follow-up worked to a response the citizen reads (and is texted),
a case is rated after pickup; and the bad input the issue names (rating twice, a wrong
token or an unpaired pad, after 5 working days, a level outside the five), each refused
with a clear error and nothing changed."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_cases_api import _intake
from tests.api.test_cases_api import depts as depts  # the fixture
from tests.conftest import FakeClock
from tests.usecases.case_helpers import id_number

PHONE = "13900004444"


async def count(api: Api, table: str = "ratings") -> int:
    async with api.store.db.reader() as c:
        n = await c.fetchval(f"SELECT count(*) FROM {table} WHERE hall_id = $1", api.hall.id)
    return int(n)


async def served(api: Api, window: int = 1, service: str = "A", **extra: Any) -> dict[str, Any]:
    """A ticket issued, called, served and finished at the window; with its token."""
    t = (await api.client.post(f"/api/halls/{api.hall.id}/tickets",
                               json={"service": service, **extra})).json()  # fmt: skip
    clerk = await api.login(api.hall.clerk(window).username)
    w = api.hall.window(window)
    await api.client.post(f"/api/windows/{w}/open", headers=clerk)
    for op in ("call-next", "start", "finish"):
        r = await api.client.post(f"/api/windows/{w}/{op}", headers=clerk)
        assert r.status_code == 200, r.text
    assert r.json()["ticket"]["id"] == t["id"]
    return dict(t)


def err(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert e["code"] == code and e["message"] and e["message_zh"], e


async def test_the_phone_rates_once_within_five_working_days(api: Api, clock: FakeClock) -> None:
    waiting = (await api.client.post(f"/api/halls/{api.hall.id}/tickets",
                                     json={"service": "C"})).json()  # fmt: skip
    t = await served(api)
    url, token = f"/api/tickets/{t['id']}/rating", {"token": t["token"]}
    status = (await api.client.get(url, params=token)).json()
    # Served on Wednesday Nov 25: rated until five working days later, Wednesday Dec 2.
    assert status == {"can_rate": True, "rate_until": "2026-12-02", "rating": None,
                      "followup": None, "number": None}  # fmt: skip

    # Not yet served, a wrong token, a level outside the five: refused, nothing written.
    err(await api.client.post(f"/api/tickets/{waiting['id']}/rating",
                              params={"token": waiting["token"]}, json={"level": 5}),
        409, "not_served")  # fmt: skip
    err(await api.client.post(url, params={"token": waiting["token"]}, json={"level": 5}),
        403, "ticket_token_invalid")  # fmt: skip
    err(await api.client.get(url, params={"token": "nope"}), 403, "ticket_token_invalid")
    for level in (0, 6, -3):
        err(await api.client.post(url, params=token, json={"level": level}), 422, "level_invalid")
    err(await api.client.post(url, params=token, json={"level": 2}), 422, "reason_required")
    err(await api.client.post(url, params=token, json={"level": 4, "reasons": ["slow"]}), 422,
        "reason_not_asked")  # fmt: skip
    err(await api.client.post(url, params=token, json={"level": 2, "reasons": ["x"]}), 422,
        "reason_unknown")  # fmt: skip
    assert await count(api) == 0

    r = await api.client.post(url, params=token, json={"level": 4, "comment": "很快"})
    assert r.status_code == 201, r.text
    assert r.json()["rating"]["level"] == 4 and r.json()["rating"]["level_zh"] == "满意"
    assert r.json()["can_rate"] is False and r.json()["followup"] is None
    # Twice: the first one stands.
    err(await api.client.post(url, params=token, json={"level": 1, "reasons": ["slow"]}), 409,
        "already_rated")  # fmt: skip
    assert await count(api) == 1
    async with api.store.db.reader() as c:
        row = await c.fetchrow("SELECT * FROM ratings WHERE ticket_id = $1", t["id"])
    assert row is not None and row["level"] == 4 and row["channel"] == "phone"
    assert row["service"] == "A" and row["window_id"] == api.hall.window(1)
    assert row["clerk_id"] == api.hall.clerk(1).id and str(row["business_day"]) == "2026-11-25"
    assert "很快" not in str(row["comment"])  # sealed
    events = (await api.client.get(f"/api/halls/{api.hall.id}/events")).json()["events"]
    [rated] = [e for e in events if e["type"] == "rating.recorded"]
    assert "level" not in rated["data"] and rated["data"]["ticket"] == t["id"]

    # After 5 working days: Thursday Dec 3 is one day late.
    late = await served(api)
    clock.advance(days=8)
    late_url = f"/api/tickets/{late['id']}/rating"
    assert (await api.client.get(late_url, params={"token": late["token"]})).json()[
        "can_rate"] is False
    err(await api.client.post(late_url, params={"token": late["token"]}, json={"level": 5}), 409,
        "rating_closed")  # fmt: skip
    assert await count(api) == 1


async def test_the_paired_pad_rates_the_ticket_just_finished(api: Api, clock: FakeClock) -> None:
    sup = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    w1, w2 = api.hall.window(1), api.hall.window(2)
    # A clerk cannot pair a pad; a supervisor can (the key is shown once).
    err(await api.client.post(f"/api/windows/{w1}/pad", headers=clerk), 403, "role_forbidden")
    r = await api.client.post(f"/api/windows/{w1}/pad", headers=sup)
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert r.json()["pad_url"].endswith(f"/display/{api.hall.id}/window/{w1}/rate#key={key}")
    async with api.store.db.reader() as c:
        stored = await c.fetchval("SELECT key_hash FROM rating_pads WHERE window_id = $1", w1)
    assert stored and key not in stored
    pad = {"x-pad-key": key}

    t = await served(api, 1, phone=PHONE)
    view = (await api.client.get(f"/api/pads/{w1}", headers=pad)).json()
    assert view["window"]["number"] == 1 and view["window"]["clerk_name"] == "窗口1"
    assert view["prompt"]["ticket"] == t["id"] and view["prompt"]["number"] == t["number"]

    body = {"ticket": t["id"], "level": 1, "reasons": ["attitude"], "comment": "态度差"}
    # No key, a wrong key, a window it is not paired with: the same 401.
    err(await api.client.post(f"/api/pads/{w1}/ratings", json=body), 401, "pad_key_invalid")
    err(await api.client.post(f"/api/pads/{w1}/ratings", json=body, headers={"x-pad-key": "x"}),
        401, "pad_key_invalid")  # fmt: skip
    err(await api.client.post(f"/api/pads/{w2}/ratings", json=body, headers=pad), 401,
        "pad_key_invalid")  # fmt: skip
    # Someone else's ticket: one finished at another window.
    other = await served(api, 2)
    err(await api.client.post(f"/api/pads/{w1}/ratings", json={**body, "ticket": other["id"]},
                              headers=pad), 403, "not_this_pad")  # fmt: skip
    err(await api.client.post(f"/api/pads/{w1}/ratings", json={**body, "level": 7}, headers=pad),
        422, "level_invalid")  # fmt: skip
    assert await count(api) == 0

    r = await api.client.post(f"/api/pads/{w1}/ratings", json=body, headers=pad)
    assert r.status_code == 201, r.text
    err(await api.client.post(f"/api/pads/{w1}/ratings", json=body, headers=pad), 409,
        "already_rated")  # fmt: skip
    assert (await api.client.get(f"/api/pads/{w1}", headers=pad)).json()["prompt"] is None
    assert await count(api) == 1 and await count(api, "rating_followups") == 1

    # The next ticket: the prompt times out after 60 s (and a grace for the last tap).
    clock.advance(seconds=5)
    nxt = await served(api, 1)
    clock.advance(seconds=80)
    assert (await api.client.get(f"/api/pads/{w1}", headers=pad)).json()["prompt"] is None
    err(await api.client.post(f"/api/pads/{w1}/ratings", json={**body, "ticket": nxt["id"]},
                              headers=pad), 409, "prompt_expired")  # fmt: skip
    # 请评价 from the console puts it up again.
    r = await api.client.post(f"/api/windows/{w1}/rating-prompt", headers=clerk)
    assert r.status_code == 200 and r.json()["ticket"] == nxt["id"], r.text
    r = await api.client.post(f"/api/pads/{w1}/ratings", json={"ticket": nxt["id"], "level": 5},
                              headers=pad)  # fmt: skip
    assert r.status_code == 201, r.text
    err(await api.client.post(f"/api/windows/{w1}/rating-prompt", headers=clerk), 409,
        "already_rated")  # fmt: skip
    err(await api.client.post(f"/api/windows/{w2}/rating-prompt", headers=clerk), 403,
        "not_your_window")  # fmt: skip

    # Pairing again replaces the key; unpairing revokes it.
    new_key = (await api.client.post(f"/api/windows/{w1}/pad", headers=sup)).json()["key"]
    err(await api.client.get(f"/api/pads/{w1}", headers=pad), 401, "pad_key_invalid")
    assert (await api.client.delete(f"/api/windows/{w1}/pad", headers=sup)).status_code == 204
    err(await api.client.get(f"/api/pads/{w1}", headers={"x-pad-key": new_key}), 401,
        "pad_key_invalid")  # fmt: skip
    err(await api.client.post(f"/api/windows/{w1}/rating-prompt", headers=clerk), 409,
        "pad_not_paired")  # fmt: skip
    assert await count(api) == 2


async def test_a_bad_rating_is_followed_up_to_a_response_the_citizen_reads(
    api: Api, clock: FakeClock
) -> None:
    sup = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    t = await served(api)
    url, token = f"/api/tickets/{t['id']}/rating", {"token": t["token"]}
    r = await api.client.post(url, params=token, json={"level": 2, "reasons": ["wait", "slow"],
                                                       "phone": PHONE})  # fmt: skip
    assert r.status_code == 201 and r.json()["followup"]["state"] == "open", r.text
    assert r.json()["followup"]["response"] is None

    lst = f"/api/halls/{api.hall.id}/followups"
    err(await api.client.get(lst, headers=clerk), 403, "role_forbidden")
    [f] = (await api.client.get(lst, headers=sup)).json()["followups"]
    assert f["state"] == "open" and f["due_day"] == "2026-12-02" and f["colour"] == "green"
    assert f["contact"] == "139****4444" and f["rating"]["ticket"] == t["number"]
    assert f["rating"]["reasons"] == ["等候时间长", "办理效率低"] and f["rating"]["window"] == 1
    fid = f["id"]

    # The phone to call back: unmasked for the supervisor, and the view audited.
    err(await api.client.get(f"/api/followups/{fid}/contact", headers=clerk), 403,
        "role_forbidden")  # fmt: skip
    assert (await api.client.get(f"/api/followups/{fid}/contact", headers=sup)).json() == {
        "phone": PHONE, "masked": "139****4444", "comment": None}
    audit = (await api.client.get("/api/audit", params={"hall": api.hall.id},
                                  headers=sup)).json()  # fmt: skip
    assert any(a["action"] == "followup.view_contact" for a in audit["entries"]), audit

    act = f"/api/followups/{fid}"
    # Out of order, or without what each step needs: refused, nothing changed.
    err(await api.client.post(f"{act}/close", headers=sup, json={"response": "x"}), 409,
        "followup_state")  # fmt: skip
    err(await api.client.post(f"{act}/bogus", headers=sup, json={}), 404, "unknown_action")
    r = await api.client.post(f"{act}/call_back", headers=sup, json={"note": "已电话联系"})
    assert r.status_code == 200 and r.json()["state"] == "called_back", r.text
    err(await api.client.post(f"{act}/rectify", headers=sup, json={"finding": "高峰窗口少"}),
        422, "rectification_required")  # fmt: skip
    r = await api.client.post(f"{act}/rectify", headers=sup,
                              json={"finding": "高峰窗口少", "rectification": "高峰期增开窗口"})
    assert r.json()["state"] == "rectified"
    err(await api.client.post(f"{act}/close", headers=sup, json={"response": "  "}), 422,
        "response_required")  # fmt: skip

    # Overdue turns red on the supervisor's list (shape and word are the page's).
    clock.advance(days=8)
    sup = await api.login(api.hall.supervisor.username)  # a new day's sign-in
    [f] = (await api.client.get(lst, headers=sup)).json()["followups"]
    assert f["colour"] == "red" and f["overdue"] is True and f["days_left"] < 0
    r = await api.client.post(f"{act}/close", headers=sup, json={"response": "已增开窗口，感谢监督"})
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["colour"] == "red"
    assert (await api.client.get(lst, headers=sup)).json()["followups"] == []
    assert len((await api.client.get(lst, params={"view": "all"}, headers=sup)).json()[
        "followups"]) == 1

    status = (await api.client.get(url, params=token)).json()
    assert status["followup"] == {"state": "closed", "state_zh": "已办结",
                                  "response": "已增开窗口，感谢监督",
                                  "closed_at": status["followup"]["closed_at"]}  # fmt: skip
    async with api.store.db.reader() as c:
        sms = await c.fetch("SELECT template FROM outbox WHERE template = $1 AND hall_id = $2",
                            "rating_response", api.hall.id)  # fmt: skip
    assert len(sms) == 1  # its text reaches the gateway in tests/browser/test_ratings.py


async def test_a_rating_is_marked_malicious_by_a_supervisor_with_a_reason(api: Api) -> None:
    sup = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    t = await served(api)
    await api.client.post(f"/api/tickets/{t['id']}/rating", params={"token": t["token"]},
                          json={"level": 1, "comment": "乱写"})  # fmt: skip
    [f] = (await api.client.get(f"/api/halls/{api.hall.id}/followups", headers=sup)).json()[
        "followups"]
    rid = f["rating"]["id"]
    url = f"/api/ratings/{rid}/malicious"
    err(await api.client.post(url, headers=clerk, json={"reason": "x"}), 403, "role_forbidden")
    err(await api.client.post(url, headers=sup, json={"reason": " "}), 422, "reason_required")
    err(await api.client.post("/api/ratings/nope/malicious", headers=sup, json={"reason": "x"}),
        404, "unknown_rating")  # fmt: skip
    r = await api.client.post(url, headers=sup, json={"reason": "与办理事项无关的重复差评"})
    assert r.status_code == 200, r.text
    err(await api.client.post(url, headers=sup, json={"reason": "again"}), 409,
        "already_malicious")  # fmt: skip
    [f] = (await api.client.get(f"/api/halls/{api.hall.id}/followups", headers=sup)).json()[
        "followups"]
    assert f["rating"]["malicious"] is True and f["rating"]["comment"] is None
    seen = await api.client.get(f"/api/followups/{f['id']}/contact", headers=sup)
    assert seen.json()["comment"] == "乱写"
    assert f["rating"]["malicious_reason"] == "与办理事项无关的重复差评"
    async with api.store.db.reader() as c:
        row = await c.fetchrow("SELECT malicious, malicious_by FROM ratings WHERE id = $1", rid)
    assert row is not None and bool(row["malicious"]) and row["malicious_by"] == sup_id(api)


def sup_id(api: Api) -> str:
    return api.hall.supervisor.id


async def test_a_case_is_rated_once_after_pickup(api: Api, depts: dict[str, str]) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    case = (await _intake(api, clerk)).json()
    query = {"number": case["number"], "id_number": id_number(7)}
    status = (await api.client.post("/api/case-rating", json=query)).json()
    assert status["can_rate"] is False and status["number"] == case["number"]
    err(await api.client.post("/api/case-ratings", json={**query, "level": 5}), 409, "not_served")
    for officer in depts.values():
        who = await api.login(officer)
        inbox = (await api.client.get("/api/dept/tasks", headers=who)).json()
        [task] = [t for t in inbox["tasks"] if t["case"] == case["id"]]
        for action in ("claim", "approve"):
            await api.client.post(f"/api/tasks/{task['task']}/{action}", headers=who, json={})
    r = await api.client.post(f"/api/cases/{case['id']}/pickup", headers=clerk,
                              json={"collector_id": id_number(7)})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (await api.client.post("/api/case-rating", json=query)).json()["can_rate"] is True
    # What staff see (the masked ID's suffix) is no credential; a wrong full ID number
    # answers as an unknown case does.
    view = (await api.client.get(f"/api/cases/{case['id']}", headers=clerk)).json()
    suffix = str(view.get("id_masked") or id_number(7))[-4:]
    err(await api.client.post("/api/case-ratings", json={"number": case["number"],
                                                         "id_suffix": suffix, "level": 5}),
        422, "invalid_request")  # fmt: skip
    err(await api.client.post("/api/case-ratings", json={**query, "id_number": id_number(8),
                                                         "level": 5}), 404, "case_not_found")
    err(await api.client.post("/api/case-ratings", json={**query, "id_number": "123",
                                                         "level": 5}), 422, "id_number_format")
    err(await api.client.post("/api/case-ratings", json={**query, "level": 9}), 422,
        "level_invalid")  # fmt: skip
    r = await api.client.post("/api/case-ratings", json={**query, "level": 2, "reasons": ["rules"]})
    assert r.status_code == 201 and r.json()["followup"]["state"] == "open", r.text
    err(await api.client.post("/api/case-ratings", json={**query, "level": 5}), 409,
        "already_rated")  # fmt: skip
    async with api.store.db.reader() as c:
        row = await c.fetchrow("SELECT * FROM ratings WHERE case_id = $1", case["id"])
        contact = await c.fetchval("SELECT contact_masked FROM rating_followups WHERE"
                                   " rating_id = $1", row["id"] if row else "")
    assert row is not None and row["ticket_id"] is None and row["level"] == 2
    assert contact == "139****2222"  # the applicant's phone, from the case





async def test_the_clerk_cannot_re_prompt_once_the_citizen_has_gone(
    api: Api, clock: FakeClock
) -> None:
    """请评价 only within 5 minutes of the finish and before the next call; the rating
    records what prompted it and how long after service it came (finding 2a)."""
    sup = await api.login(api.hall.supervisor.username)
    clerk = await api.login(api.hall.clerk(1).username)
    w1 = api.hall.window(1)
    pad = {"x-pad-key": (await api.client.post(f"/api/windows/{w1}/pad", headers=sup)).json()[
        "key"]}
    prompt = f"/api/windows/{w1}/rating-prompt"
    t = await served(api, 1)
    clock.advance(hours=6)  # the citizen left long ago without rating
    err(await api.client.post(prompt, headers=clerk), 409, "reprompt_closed")
    err(await api.client.post(f"/api/pads/{w1}/ratings", json={"ticket": t["id"], "level": 5},
                              headers=pad), 409, "prompt_expired")  # fmt: skip
    assert await count(api) == 0
    # The phone still rates it: it was never rated by the clerk.
    r = await api.client.post(f"/api/tickets/{t['id']}/rating", params={"token": t["token"]},
                              json={"level": 3})  # fmt: skip
    assert r.status_code == 201, r.text

    # Within the 5 minutes but after the window called the next citizen: refused too.
    t2 = await served(api, 1)
    await api.client.post(f"/api/halls/{api.hall.id}/tickets", json={"service": "A"})
    clock.advance(seconds=90)
    assert (await api.client.post(f"/api/windows/{w1}/call-next", headers=clerk)).status_code \
        == 200  # fmt: skip
    err(await api.client.post(prompt, headers=clerk), 409, "reprompt_closed")
    await api.client.post(f"/api/windows/{w1}/start", headers=clerk)
    await api.client.post(f"/api/windows/{w1}/finish", headers=clerk)

    # In time: the re-prompt is recorded as such, with its delay; the finish's own too.
    t3 = await served(api, 1)
    clock.advance(seconds=120)
    assert (await api.client.post(prompt, headers=clerk)).status_code == 200
    clock.advance(seconds=10)
    r = await api.client.post(f"/api/pads/{w1}/ratings", json={"ticket": t3["id"], "level": 5},
                              headers=pad)  # fmt: skip
    assert r.status_code == 201, r.text
    t4 = await served(api, 1)
    clock.advance(seconds=7)
    r = await api.client.post(f"/api/pads/{w1}/ratings", json={"ticket": t4["id"], "level": 4},
                              headers=pad)  # fmt: skip
    assert r.status_code == 201, r.text
    async with api.store.db.reader() as c:
        rows = {r["ticket_id"]: (r["channel"], r["prompted_by"], r["delay_s"]) for r in
                await c.fetch("SELECT ticket_id, channel, prompted_by, delay_s FROM ratings"
                              " WHERE hall_id = $1", api.hall.id)}  # fmt: skip
    assert rows[t["id"]] == ("phone", None, 6 * 3600)
    assert rows[t3["id"]] == ("pad", "reprompt", 130) and rows[t4["id"]] == ("pad", "finish", 7)
    assert t2["id"] not in rows


async def test_pairing_twice_at_once_both_succeed_and_the_later_key_holds(api: Api) -> None:
    """One upsert: no 500 on PostgreSQL when two pairings race (finding 9)."""
    import asyncio

    sup = await api.login(api.hall.supervisor.username)
    for n in (1, 2, 3):
        w = api.hall.window(n)
        rs = await asyncio.gather(*[api.client.post(f"/api/windows/{w}/pad", headers=sup)
                                    for _ in range(2)])  # fmt: skip
        assert [r.status_code for r in rs] == [201, 201], [r.text for r in rs]
        ok = [(await api.client.get(f"/api/pads/{w}", headers={"x-pad-key": r.json()["key"]}))
              .status_code for r in rs]  # fmt: skip
        assert sorted(ok) == [200, 401]  # exactly one key holds


async def test_the_call_back_phone_is_left_with_consent_and_forgotten_on_close(
    api: Api,
) -> None:
    """A pad rating does not copy the ticket's phone; a phone left on the pad is kept
    sealed until the follow-up closes (its SMS queued), then cleared (finding 8). The
    list never opens the comment; the audited contact view does (finding 7)."""
    sup = await api.login(api.hall.supervisor.username)
    w1 = api.hall.window(1)
    pad = {"x-pad-key": (await api.client.post(f"/api/windows/{w1}/pad", headers=sup)).json()[
        "key"]}
    t = await served(api, 1, phone=PHONE)  # the ticket's phone: for the day's messages only
    r = await api.client.post(f"/api/pads/{w1}/ratings", headers=pad,
                              json={"ticket": t["id"], "level": 1, "comment": "态度差"})
    assert r.status_code == 201, r.text
    t2 = await served(api, 1)
    r = await api.client.post(f"/api/pads/{w1}/ratings", headers=pad,
                              json={"ticket": t2["id"], "level": 2, "reasons": ["slow"],
                                    "phone": "13800001111"})  # fmt: skip
    assert r.status_code == 201, r.text
    lst = (await api.client.get(f"/api/halls/{api.hall.id}/followups", headers=sup)).json()
    by_ticket = {f["rating"]["ticket"]: f for f in lst["followups"]}
    first, second = by_ticket[t["number"]], by_ticket[t2["number"]]
    assert first["contact"] is None  # not copied from the ticket
    assert first["rating"]["comment"] is None and first["rating"]["has_comment"] is True
    seen = (await api.client.get(f"/api/followups/{first['id']}/contact", headers=sup)).json()
    assert seen == {"phone": None, "masked": None, "comment": "态度差"}
    assert second["contact"] == "138****1111"

    act = f"/api/followups/{second['id']}"
    await api.client.post(f"{act}/call_back", headers=sup, json={"note": "已联系"})
    await api.client.post(f"{act}/rectify", headers=sup, json={"finding": "f", "rectification": "r"})
    r = await api.client.post(f"{act}/close", headers=sup, json={"response": "已整改"})
    assert r.status_code == 200, r.text
    async with api.store.db.reader() as c:
        row = await c.fetchrow("SELECT contact_enc, contact_masked FROM rating_followups"
                               " WHERE id = $1", second["id"])  # fmt: skip
        sms = await c.fetchval("SELECT count(*) FROM outbox WHERE template = $1 AND"
                               " hall_id = $2", "rating_response", api.hall.id)  # fmt: skip
    assert row is not None and row["contact_enc"] is None and row["contact_masked"] == "138****1111"
    assert sms == 1


async def test_a_late_rating_and_a_malicious_mark_reach_a_frozen_day(
    api: Api, clock: FakeClock
) -> None:
    """The hook for the archive (finding 5): a phone rating of a day already frozen, and a
    malicious mark, rewrite that day's archived rating counts in their own transaction."""
    from datetime import date

    from server.bus.memory import MemoryBus
    from server.store import stats_sql
    from server.usecases import stats_archive
    from server.usecases.context import Context

    sup = await api.login(api.hall.supervisor.username)
    t = await served(api)
    day = date(2026, 11, 25)
    clock.advance(days=1)
    ctx = Context(store=api.store, bus=MemoryBus(), clock=clock, secret=b"t")
    await stats_archive.catch_up(ctx, api.hall.id, clock.now)  # or the app's loop did

    async def hall_counts() -> tuple[int, ...]:
        async with api.store.db.reader() as c:
            got = await stats_sql.archived_ratings(c, api.hall.id, day, day)
        return got.get((day, "hall", ""), (0,) * 6)

    assert await hall_counts() == (0,) * 6
    r = await api.client.post(f"/api/tickets/{t['id']}/rating", params={"token": t["token"]},
                              json={"level": 2, "reasons": ["slow"]})  # fmt: skip
    assert r.status_code == 201, r.text
    assert await hall_counts() == (0, 1, 0, 0, 0, 0)
    sup = await api.login(api.hall.supervisor.username)  # a new day's sign-in
    [f] = (await api.client.get(f"/api/halls/{api.hall.id}/followups", headers=sup)).json()[
        "followups"]
    r = await api.client.post(f"/api/ratings/{f['rating']['id']}/malicious", headers=sup,
                              json={"reason": "与本次办理无关"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert await hall_counts() == (0, 0, 0, 0, 0, 1)  # out of the levels, counted malicious
    events = (await api.client.get(f"/api/halls/{api.hall.id}/events")).json()["events"]
    assert any(e["type"] == "rating.malicious" for e in events)


def test_no_endpoint_changes_or_deletes_a_rating() -> None:
    from server.app import ENDPOINTS

    writes = [(ep.method, ep.path) for ep in ENDPOINTS
              if ep.method in ("PUT", "PATCH", "DELETE") and "rating" in ep.path]  # fmt: skip
    assert writes == []
