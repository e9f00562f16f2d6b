"""Complaints (投诉) over HTTP, on both backends: filing, the citizen's query, the
supervisor's steps, and every kind of bad input answered clearly with nothing changed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from server.domain.complaint import CODE_ALPHABET
from tests.api.conftest import Api

PHONE = "13812345678"


def _prefix(api: Api) -> str:
    return "".join(ch for ch in api.hall.id.upper() if ch.isalnum())[:16]


async def _file(api: Api, **kw: Any) -> Any:
    body: dict[str, Any] = {"subject": "window", "subject_id": api.hall.window(1),
                            "text": "窗口工作人员态度生硬", "contact": {"name": "张三", "phone": PHONE}}  # fmt: skip
    body.update(kw)
    return await api.client.post(f"/api/halls/{api.hall.id}/complaints", json=body)


async def _rows(api: Api) -> list[dict[str, Any]]:
    async with api.store.db.reader() as c:
        return [dict(r) for r in await c.fetch(
            "SELECT number, state, steps, contact_enc, body_enc, finding_enc, answer_enc"
            " FROM complaints WHERE hall_id = $1 ORDER BY number", api.hall.id)]  # fmt: skip


def _wrong(code: str, n: int = 0) -> str:
    """A well-formed code that is not ``code``."""
    return next(w for i in range(n, n + 10) if (w := CODE_ALPHABET[i % 31] * 8) != code)


async def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    async with api.store.db.reader() as c:
        return [dict(r) for r in await c.fetch(
            "SELECT actor_id, target, detail FROM audit_log WHERE chain = $1 AND action = $2"
            " ORDER BY seq", api.hall.id, action)]  # fmt: skip


async def test_file_query_and_every_step_to_closed(api: Api) -> None:
    r = await _file(api)
    assert r.status_code == 201, r.text
    got = r.json()
    x = got["complaint"]
    code = got["query_code"]
    assert x["number"] == f"TS-{_prefix(api)}-20261125-0001"
    assert (x["state"], x["subject_label"]) == ("intake", "1号窗口")
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert x["due_day"] == "2026-12-02"  # five working days after a Wednesday
    # The contact is sealed: neither the name nor the phone is readable in the row.
    row = (await _rows(api))[0]
    assert PHONE not in row["contact_enc"] and "张三" not in row["contact_enc"]
    assert (await _file(api, subject="hall", subject_id=None)).json()["complaint"]["number"] \
        .endswith("-0002")  # fmt: skip

    q = await api.client.post("/api/complaint-status",
                              json={"number": x["number"], "secret": code.lower()})  # fmt: skip
    assert q.status_code == 200 and q.json()["state"] == "intake" and q.json()["answer"] is None
    assert q.json()["text"] == "窗口工作人员态度生硬"
    assert "by" not in json.dumps(q.json()["steps"]) or all(
        s.get("by") is None for s in q.json()["steps"])

    sup = await api.login(api.hall.supervisor.username)
    board = (await api.client.get(f"/api/halls/{api.hall.id}/complaints", headers=sup)).json()
    assert [s["id"] for s in board["supervisors"]] == [api.hall.supervisor.id]
    one = next(c for c in board["complaints"] if c["number"] == x["number"])
    assert one["phone_masked"] == "138****5678" and one["overdue"] is False
    assert "text" not in one and "finding" not in one  # the list reads no text
    cid = one["id"]
    url = f"/api/complaints/{cid}"
    steps = [("assign", {"assignee": api.hall.supervisor.id}), ("investigate", {"finding": "查看录像属实"}),
             ("answer", {"answer": "已对该工作人员批评教育，感谢监督。"}), ("close", {})]  # fmt: skip
    for action, body in steps:
        r = await api.client.post(f"{url}/{action}", json=body, headers=sup)
        assert r.status_code == 200, (action, r.text)
    done = r.json()
    assert done["state"] == "closed" and done["assignee"] == api.hall.supervisor.id
    assert [s["state"] for s in done["steps"]] == ["intake", "assigned", "investigated",
                                                   "answered", "closed"]  # fmt: skip
    assert all(s["by"] == api.hall.supervisor.username for s in done["steps"][1:])
    # Every step audited; the answer texted to the phone left, in the same transaction.
    for action, _ in steps:
        assert [a["target"] for a in await _audit(api, f"complaint.{action}")] == [x["number"]]
    assert len(await _audit(api, "complaint.file")) == 2
    async with api.store.db.reader() as c:
        sms = await c.fetch("SELECT params FROM outbox WHERE template = 'complaint_answered'"
                            " AND hall_id = $1", api.hall.id)  # fmt: skip
    assert len(sms) == 1  # its parameters are sealed in the outbox
    # The citizen sees the answer, never the finding or who took the steps.
    q = (await api.client.post("/api/complaint-status",
                               json={"number": x["number"], "secret": code})).json()  # fmt: skip
    assert q["state"] == "closed" and q["answer"].startswith("已对该工作人员")
    assert "finding" not in q and "查看录像" not in json.dumps(q, ensure_ascii=False)

    # The unmasked contact: to the hall's supervisor, audited.
    r = await api.client.get(f"{url}/contact", headers=sup)
    assert r.json() == {"name": "张三", "phone": PHONE}
    assert len(await _audit(api, "complaint.view_contact")) == 1


async def test_without_a_phone_a_query_code_is_given(api: Api) -> None:
    r = await _file(api, subject="clerk", subject_id="工号 1024", contact={"name": "李四"},
                    channel="kiosk")  # fmt: skip
    got = r.json()
    code = got["query_code"]
    assert r.status_code == 201 and len(code) == 8
    number = got["complaint"]["number"]
    assert got["complaint"]["subject_label"] == "工号 1024"
    ok = await api.client.post("/api/complaint-status", json={"number": number, "secret": code})
    assert ok.status_code == 200 and ok.json()["channel"] == "kiosk"


async def test_bad_filings_are_refused_and_change_nothing(api: Api) -> None:
    bad = [
        ({"text": ""}, 422, "text_required", "text"),
        ({"text": "   "}, 422, "text_required", "text"),
        ({"text": "投" * 1001}, 422, "text_too_long", "text"),
        ({"contact": {"phone": "12345"}}, 422, "phone_format", "contact.phone"),
        ({"contact": {"name": "张" * 51}}, 422, "contact_invalid", "contact.name"),
        ({"subject": "mayor"}, 422, "subject_invalid", "subject"),
        ({"subject": "window", "subject_id": "nope"}, 422, "subject_unknown", "subject_id"),
        ({"subject": "matter", "subject_id": None}, 422, "subject_id_invalid", "subject_id"),
        ({"channel": "fax"}, 422, "invalid_request", "channel"),
    ]
    for change, status, code, field in bad:
        r = await _file(api, **change)
        err = r.json()["error"]
        assert (r.status_code, err["code"], err.get("field")) == (status, code, field), change
        assert err["message"] and err["message_zh"]
    r = await api.client.post("/api/halls/nohall/complaints",
                              json={"subject": "hall", "text": "x"})  # fmt: skip
    assert r.status_code == 404
    assert await _rows(api) == []
    assert await _audit(api, "complaint.file") == []
    # The counter did not move either: the first good one is still number 1.
    assert (await _file(api)).json()["complaint"]["number"].endswith("-0001")


async def test_filing_is_rate_limited_per_client_and_channel(api: Api) -> None:
    for _ in range(10):  # a phone: 10 in 10 minutes (FILE_LIMIT)
        assert (await _file(api)).status_code == 201
    r = await _file(api)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) > 0
    # A kiosk files for the whole hall: a limit of its own, 30 in 10 minutes.
    for _ in range(30):
        assert (await _file(api, channel="kiosk")).status_code == 201
    r = await _file(api, channel="kiosk")
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert len(await _rows(api)) == 40


async def test_a_full_day_is_a_clear_conflict_not_a_crash(api: Api) -> None:
    assert (await _file(api)).status_code == 201
    for last in (2000, 9999):  # the hall's day cap; the number's last four digits
        async with api.store.db.transaction() as c:
            await c.execute("UPDATE complaint_counters SET last = $2 WHERE hall_id = $1",
                            api.hall.id, last)  # fmt: skip
        r = await _file(api)
        err = r.json()["error"]
        assert (r.status_code, err["code"]) == (409, "complaints_day_full") and err["message_zh"]
        assert len(await _rows(api)) == 1
        async with api.store.db.reader() as c:  # rolled back: the counter did not move
            assert await c.fetchval("SELECT last FROM complaint_counters WHERE hall_id = $1",
                                    api.hall.id) == last  # fmt: skip


async def test_the_texts_are_sealed_and_read_one_by_one_audited(api: Api) -> None:
    await _file(api)
    sup = await api.login(api.hall.supervisor.username)
    board = (await api.client.get(f"/api/halls/{api.hall.id}/complaints", headers=sup)).json()
    url = f"/api/complaints/{board['complaints'][0]['id']}"
    for action, body in (("assign", {"assignee": api.hall.supervisor.id}),
                         ("investigate", {"finding": "调取录像属实"}),
                         ("answer", {"answer": "已批评教育"})):  # fmt: skip
        assert (await api.client.post(f"{url}/{action}", json=body, headers=sup)).status_code == 200
    row = (await _rows(api))[0]
    dump = json.dumps(row, ensure_ascii=False, default=str)
    for text in ("态度生硬", "调取录像", "批评教育"):
        assert text not in dump
    assert row["body_enc"] and row["finding_enc"] and row["answer_enc"]
    board = (await api.client.get(f"/api/halls/{api.hall.id}/complaints?view=all",
                                  headers=sup)).json()  # fmt: skip
    assert "态度生硬" not in json.dumps(board, ensure_ascii=False)
    assert await _audit(api, "complaint.view") == []  # a list read opens nothing
    one = (await api.client.get(url, headers=sup)).json()
    assert (one["text"], one["finding"], one["answer"]) == ("窗口工作人员态度生硬", "调取录像属实",
                                                            "已批评教育")  # fmt: skip
    seen = await _audit(api, "complaint.view")
    assert [(a["actor_id"], a["target"]) for a in seen] == [(api.hall.supervisor.id, one["number"])]


async def test_a_wrong_secret_answers_like_an_unknown_number_and_locks(api: Api) -> None:
    got = (await _file(api)).json()
    number, code = got["complaint"]["number"], got["query_code"]
    unknown = number[:-4] + "9999"
    a = await api.client.post("/api/complaint-status", json={"number": number, "secret": _wrong(code)})
    b = await api.client.post("/api/complaint-status", json={"number": unknown, "secret": code})
    assert a.status_code == b.status_code == 404
    assert a.json() == b.json() and a.json()["error"]["code"] == "complaint_not_found"
    r = await api.client.post("/api/complaint-status", json={"number": "TS-1", "secret": code})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "complaint_number_invalid")
    for bad in ("5678", "56", "0OIL1OIL"):  # a phone suffix is no key; nor look-alikes
        r = await api.client.post("/api/complaint-status", json={"number": number, "secret": bad})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "complaint_secret_invalid")
    for n in range(1, 10):  # nine more codes (the same wrong one again is not a new try)
        await api.client.post("/api/complaint-status", json={"number": number, "secret": _wrong(code, n)})
    r = await api.client.post("/api/complaint-status", json={"number": number, "secret": code})
    assert (r.status_code, r.json()["error"]["code"]) == (429, "complaint_query_locked")
    assert int(r.headers["retry-after"]) > 0


async def test_a_clerk_cannot_read_a_complaint_with_the_masked_phones_digits(api: Api) -> None:
    """The review's case: the clerk complained about sees 138****5678 on the ticket and
    counts the day's numbers. The phone's digits open nothing; only the code does, and it
    reaches the citizen on the page and by SMS."""
    got = (await _file(api)).json()
    number = got["complaint"]["number"]
    for secret in ("5678", "13812345678"):
        r = await api.client.post("/api/complaint-status", json={"number": number, "secret": secret})
        assert r.status_code == 422 and r.json()["error"]["code"] == "complaint_secret_invalid"
    async with api.store.db.reader() as c:
        sms = await c.fetch("SELECT params FROM outbox WHERE hall_id = $1"
                            " AND template = 'complaint_filed'", api.hall.id)  # fmt: skip
    assert len(sms) == 1 and got["query_code"] not in json.dumps([dict(s) for s in sms])
    # Without a phone, no text goes out.
    await _file(api, subject="hall", subject_id=None, contact=None)
    async with api.store.db.reader() as c:
        n = await c.fetchval("SELECT count(*) FROM outbox WHERE hall_id = $1"
                             " AND template = 'complaint_filed'", api.hall.id)  # fmt: skip
    assert n == 1


async def test_a_burst_of_parallel_wrong_codes_is_counted_before_it_is_compared(api: Api) -> None:
    got = (await _file(api)).json()
    number, code = got["complaint"]["number"], got["query_code"]

    async def ask(secret: str) -> tuple[int, str]:
        r = await api.client.post("/api/complaint-status", json={"number": number, "secret": secret})
        return r.status_code, r.json().get("error", {}).get("code", "")

    wrong = sorted({_wrong(code, n) for n in range(31)})[:19]
    answers = Counter(await asyncio.gather(*(ask(w) for w in wrong)))
    assert answers == {(404, "complaint_not_found"): 10, (429, "complaint_query_locked"): 9}
    assert await ask(code) == (429, "complaint_query_locked")


async def test_the_citizen_looking_again_with_the_right_code_spends_one_try(api: Api) -> None:
    got = (await _file(api)).json()
    number, code = got["complaint"]["number"], got["query_code"]
    for _ in range(8):  # (the client's own limit: 20 queries in 10 minutes)
        r = await api.client.post("/api/complaint-status", json={"number": number, "secret": code})
        assert r.status_code == 200
    for n in range(9):  # nine other codes: the tenth try of the day
        r = await api.client.post("/api/complaint-status",
                                  json={"number": number, "secret": _wrong(code, n * 3)})  # fmt: skip
        assert r.status_code == 404
    r = await api.client.post("/api/complaint-status", json={"number": number, "secret": code})
    assert r.status_code == 200


async def test_staff_endpoints_are_for_the_halls_supervisors(api: Api) -> None:
    number = (await _file(api)).json()["complaint"]["number"]
    sup = await api.login(api.hall.supervisor.username)
    board = (await api.client.get(f"/api/halls/{api.hall.id}/complaints", headers=sup)).json()
    cid = next(c["id"] for c in board["complaints"] if c["number"] == number)
    clerk = await api.login(api.hall.clerk(1).username)
    calls = [("GET", f"/api/halls/{api.hall.id}/complaints", None),
             ("GET", f"/api/complaints/{cid}", None), ("GET", f"/api/complaints/{cid}/contact", None),
             ("POST", f"/api/complaints/{cid}/assign", {"assignee": api.hall.supervisor.id})]  # fmt: skip
    for method, url, body in calls:
        r = await api.client.request(method, url, json=body, headers=clerk)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "role_forbidden"), url
        r = await api.client.request(method, url, json=body)
        assert r.status_code == 401, url
    assert await _audit(api, "complaint.view_contact") == []
    assert [r["state"] for r in await _rows(api)] == ["intake"]


async def test_an_illegal_step_is_a_clear_conflict_and_changes_nothing(api: Api) -> None:
    await _file(api)
    sup = await api.login(api.hall.supervisor.username)
    board = (await api.client.get(f"/api/halls/{api.hall.id}/complaints", headers=sup)).json()
    url = f"/api/complaints/{board['complaints'][0]['id']}"
    before = await _rows(api)
    for action, body in (("close", {}), ("answer", {"answer": "好"}), ("investigate", {"finding": "x"})):
        r = await api.client.post(f"{url}/{action}", json=body, headers=sup)
        err = r.json()["error"]
        assert (r.status_code, err["code"]) == (409, "complaint_state"), action
        assert "已受理" in err["message_zh"]
    r = await api.client.post(f"{url}/assign", json={"assignee": api.hall.clerk(1).id}, headers=sup)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "assignee_invalid")
    r = await api.client.post(f"{url}/assign", json={"assignee": api.hall.supervisor.id}, headers=sup)
    assert r.status_code == 200
    after_assign = await _rows(api)
    r = await api.client.post(f"{url}/investigate", json={"finding": "  "}, headers=sup)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "finding_required")
    r = await api.client.post(f"{url}/assign", json={"assignee": api.hall.supervisor.id}, headers=sup)
    assert r.status_code == 409
    r = await api.client.post(f"{url}/reopen", json={}, headers=sup)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_action")
    assert await _rows(api) == after_assign != before
    assert len(await _audit(api, "complaint.assign")) == 1


async def test_overdue_after_five_working_days(api: Api) -> None:
    await _file(api)
    sup = await api.login(api.hall.supervisor.username)
    url = f"/api/halls/{api.hall.id}/complaints"
    assert (await api.client.get(url, headers=sup)).json()["complaints"][0]["overdue"] is False
    api.app.state.ow.ctx.clock.advance(days=8)  # Wed 25 Nov -> Thu 3 Dec, past Wed 2 Dec
    sup = await api.login(api.hall.supervisor.username)  # the first sign-in has expired
    board = (await api.client.get(url, headers=sup)).json()
    assert board["today"] == "2026-12-03" and board["complaints"][0]["overdue"] is True
    everything = (await api.client.get(url, headers=sup, params={"view": "all"})).json()
    assert len(everything["complaints"]) == 1
    r = await api.client.get(url, headers=sup, params={"view": "bogus"})
    assert r.status_code == 422
