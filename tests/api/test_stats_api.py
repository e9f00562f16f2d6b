"""The figures over HTTP on both backends, checked against a small day worked out by hand;
the archive of that day giving the same figures; bad ranges; who may look; the CSV."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, timedelta
from typing import Any

import pytest

from server.bus.memory import MemoryBus
from server.domain import stats as st
from server.store import stats_sql
from server.usecases import stats_archive
from server.usecases.context import Context
from server.usecases.stats import Stats
from tests.api.conftest import Api
from tests.api.test_admin_api import admin_of
from tests.conftest import FakeClock

DAY = "2026-11-25"  # the clock fixture's day: a Wednesday, from 10:00 Shanghai time


async def _issue(api: Api, service: str, channel: str = "kiosk") -> dict[str, Any]:
    r = await api.client.post(f"/api/halls/{api.hall.id}/tickets",
                              json={"service": service, "channel": channel})  # fmt: skip
    assert r.status_code == 201, r.text
    issued: dict[str, Any] = r.json()
    return issued


async def _do(api: Api, who: dict[str, str], window: str, action: str) -> dict[str, Any]:
    r = await api.client.post(f"/api/windows/{window}/{action}", headers=who)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def _rate(api: Api, ticket: dict[str, Any], level: int, *, malicious: bool = False) -> None:
    """A rating row as the ratings table's contract has it (the pad's own path is tested
    with the pad)."""
    t = await api.store.ticket(ticket["id"])
    assert t is not None
    async with api.store.db.transaction() as c:
        await c.execute(
            "INSERT INTO ratings (id, hall_id, ticket_id, service, window_id, channel, level,"
            " business_day, rated_at, malicious) VALUES ($1, $2, $3, $4, $5, 'pad', $6, $7, $8, $9)",
            f"r-{secrets.token_hex(6)}", api.hall.id, t.id, t.service, t.window_id, level,
            t.business_day, t.finished_at, malicious,
        )  # fmt: skip


async def hand_day(api: Api, clock: FakeClock) -> dict[str, str]:
    """The small day. Minutes from 10:00:
    0 A001 kiosk, 1 A002 phone, 2 C001 kiosk, 3 A003 kiosk, 4 A004 kiosk (cancelled at 4.5);
    window 1: A001 called+started 5, finished 15; A002 called 15, started 16, finished 20;
              A003 called 20, passed 22;
    window 3: C001 called 10, started 40 (a 38-minute wait), finished 45;
    46 A005 kiosk, still waiting at 50.
    Ratings: A001 5, A002 2, C001 4 (marked malicious)."""
    c1 = await api.login(api.hall.clerk(1).username)
    c3 = await api.login(api.hall.clerk(3).username)
    w1, w3 = api.hall.window(1), api.hall.window(3)
    await _do(api, c1, w1, "open")
    await _do(api, c3, w3, "open")
    a1 = await _issue(api, "A")
    clock.advance(minutes=1)
    a2 = await _issue(api, "A", "phone")
    clock.advance(minutes=1)
    c01 = await _issue(api, "C")
    clock.advance(minutes=1)
    await _issue(api, "A")
    clock.advance(minutes=1)
    a4 = await _issue(api, "A")
    clock.advance(seconds=30)
    r = await api.client.delete(f"/api/tickets/{a4['id']}", params={"token": a4["token"]})
    assert r.status_code == 200, r.text
    clock.advance(seconds=30)  # 5
    assert (await _do(api, c1, w1, "call-next"))["ticket"]["number"] == "A001"
    await _do(api, c1, w1, "start")
    clock.advance(minutes=5)  # 10
    assert (await _do(api, c3, w3, "call-next"))["ticket"]["number"] == "C001"
    clock.advance(minutes=5)  # 15
    await _do(api, c1, w1, "finish")
    assert (await _do(api, c1, w1, "call-next"))["ticket"]["number"] == "A002"
    clock.advance(minutes=1)  # 16
    await _do(api, c1, w1, "start")
    clock.advance(minutes=4)  # 20
    await _do(api, c1, w1, "finish")
    assert (await _do(api, c1, w1, "call-next"))["ticket"]["number"] == "A003"
    clock.advance(minutes=2)  # 22
    await _do(api, c1, w1, "no-show")
    clock.advance(minutes=18)  # 40
    await _do(api, c3, w3, "start")
    clock.advance(minutes=5)  # 45
    await _do(api, c3, w3, "finish")
    clock.advance(minutes=1)  # 46
    await _issue(api, "A")
    clock.advance(minutes=4)  # 50
    await _rate(api, a1, 5)
    await _rate(api, a2, 2)
    await _rate(api, c01, 4, malicious=True)
    return await api.login(api.hall.supervisor.username)


def check_day(f: dict[str, Any]) -> None:
    """Every figure of the hand-worked day."""
    assert (f["issued"], f["served"], f["no_show"], f["cancelled"], f["waited"]) == (6, 3, 1, 1, 3)
    assert f["avg_wait_s"] == (300 + 900 + 2280) / 3  # 1160
    assert f["max_wait_s"] == 2280
    assert f["p50_wait_upper_s"] == 16 * 60  # rank 2 of 3: the 15-minute wait, in [15, 16)
    assert f["p90_wait_upper_s"] == 2280  # rank 3: [38, 39) capped at the longest wait
    assert f["avg_service_s"] == (600 + 240 + 300) / 3  # 380
    assert f["within_target"] == 2 and f["within_target_share"] == round(2 / 3, 4)
    assert f["no_show_rate"] == 0.25  # 1 passed of 4 that reached a window
    assert f["ratings"] == [0, 1, 0, 0, 1] and f["rated"] == 2 and f["malicious"] == 1
    assert f["satisfaction"] == 0.5


async def test_a_hand_computed_day_live_then_archived(api: Api, clock: FakeClock) -> None:
    sup = await hand_day(api, clock)
    r = await api.client.get(f"/api/halls/{api.hall.id}/stats/live", headers=sup)
    assert r.status_code == 200, r.text
    live = r.json()
    assert live["business_day"] == DAY and live["target_s"] == 1800
    check_day(live["today"])
    assert live["waiting_total"] == 1 and live["longest_wait_s"] == 240
    assert [(w["service"], w["waiting"], w["longest_wait_s"]) for w in live["waiting"]] == [
        ("A", 1, 240)]
    assert (live["windows_open"], live["windows_paused"], live["windows_total"]) == (2, 0, 4)
    assert live["served_per_hour"] == [{"hour": 10, "served": 3}]
    assert live["alert"] is False
    per = {s["key"]: s for s in live["per_service"]}
    assert (per["A"]["issued"], per["A"]["served"], per["A"]["no_show"]) == (5, 2, 1)
    assert (per["C"]["issued"], per["C"]["served"], per["C"]["within_target"]) == (1, 1, 0)
    buckets = {(b["from_min"], b["to_min"]): b["tickets"] for b in live["histogram"]}
    assert buckets[(5, 10)] == 1 and buckets[(15, 20)] == 1 and buckets[(30, 45)] == 1

    # Today in a range is read live; tomorrow it comes from the frozen day, the same.
    q = {"from": DAY, "to": DAY}
    today = (await api.client.get(f"/api/halls/{api.hall.id}/stats/range", params=q,
                                  headers=sup)).json()  # fmt: skip
    clock.advance(days=1)
    st = api.app.state.ow
    # 1, unless the app's own day-end loop got there first: either way frozen once.
    assert await stats_archive.catch_up(st.ctx, api.hall.id, clock.now) in (0, 1)
    assert await stats_archive.catch_up(st.ctx, api.hall.id, clock.now) == 0  # idempotent
    sup = await api.login(api.hall.supervisor.username)  # a day later: a fresh sign-in
    r = await api.client.get(f"/api/halls/{api.hall.id}/stats/range", params=q, headers=sup)
    assert r.status_code == 200, r.text
    frozen = r.json()
    check_day(frozen["total"])
    assert frozen["missing_days"] == []
    for key in ("per_day", "per_service", "per_window", "per_clerk", "per_channel", "histogram"):
        assert frozen[key] == today[key], key
    clerks = {c["key"]: (c["name"], c["served"]) for c in frozen["per_clerk"]}
    assert clerks == {api.hall.clerk(1).id: ("窗口1", 2), api.hall.clerk(3).id: ("窗口3", 1)}
    channels = {c["key"]: c["issued"] for c in frozen["per_channel"]}
    assert channels == {"kiosk": 5, "phone": 1}
    windows = {w["key"]: (w["served"], w["no_show"]) for w in frozen["per_window"]}
    assert windows == {api.hall.window(1): (2, 1), api.hall.window(3): (1, 0)}


async def test_csv_export_opens_in_excel(api: Api, clock: FakeClock) -> None:
    sup = await hand_day(api, clock)
    for table in ("day", "service", "window", "clerk", "channel", "histogram"):
        r = await api.client.get(f"/api/halls/{api.hall.id}/stats/export", headers=sup,
                                 params={"table": table, "from": DAY, "to": DAY})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"\xef\xbb\xbf"), table  # the UTF-8 BOM
        assert r.headers["content-type"].startswith("text/csv")
        assert (f'filename="stats-{api.hall.id}-{table}-{DAY}-{DAY}.csv"'
                in r.headers["content-disposition"])  # fmt: skip
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
        if table == "day":
            assert rows[0][0] == "日期 date" and rows[1][0] == DAY and rows[1][2] == "6"
        if table == "service":
            assert [row[1] for row in rows[1:]] == ["业务A", "业务C"]


@pytest.mark.parametrize(("start", "end", "code"), [
    ("2026-11-26", "2026-11-25", "range_reversed"),
    ("2025-11-01", "2026-11-25", "range_too_long"),
    ("2026-02-30", "2026-03-01", "date_invalid"),
    ("yesterday", "2026-03-01", "date_invalid"),
    ("", "2026-03-01", "date_missing"),
])  # fmt: skip
async def test_bad_ranges_are_refused(api: Api, start: str, end: str, code: str) -> None:
    sup = await api.login(api.hall.supervisor.username)
    for path in ("range", "export"):
        r = await api.client.get(f"/api/halls/{api.hall.id}/stats/{path}", headers=sup,
                                 params={"from": start, "to": end, "table": "day"})  # fmt: skip
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == code and err["message"] and err["message_zh"]
    r = await api.client.get(f"/api/halls/{api.hall.id}/stats/export", headers=sup,
                             params={"from": DAY, "to": DAY, "table": "bogus"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "table_invalid"


async def test_who_may_look(api: Api) -> None:
    hall = api.hall.id
    clerk = await api.login(api.hall.clerk(1).username)
    for path in ("live", "range?from=2026-11-01&to=2026-11-25", "target",
                 "export?table=day&from=2026-11-01&to=2026-11-25"):  # fmt: skip
        r = await api.client.get(f"/api/halls/{hall}/stats/{path}", headers=clerk)
        assert r.status_code == 403, path
        assert (await api.client.get(f"/api/halls/{hall}/stats/{path}")).status_code == 401
    sup = await api.login(api.hall.supervisor.username)
    assert (await api.client.get("/api/halls/nohall/stats/live", headers=sup)).status_code == 403
    admin = await admin_of(api)
    assert (await api.client.get(f"/api/halls/{hall}/stats/live", headers=admin)).status_code == 200


async def test_the_target_is_set_by_admins(api: Api, clock: FakeClock) -> None:
    hall = api.hall.id
    sup = await api.login(api.hall.supervisor.username)
    assert (await api.client.get(f"/api/halls/{hall}/stats/target", headers=sup)).json()[
        "minutes"] == 30
    r = await api.client.put(f"/api/halls/{hall}/stats/target", headers=sup, json={"minutes": 10})
    assert r.status_code == 403
    admin = await admin_of(api)
    for bad in (0, 481, "ten"):
        r = await api.client.put(f"/api/halls/{hall}/stats/target", headers=admin,
                                 json={"minutes": bad})  # fmt: skip
        assert r.status_code == 422
    r = await api.client.put(f"/api/halls/{hall}/stats/target", headers=admin, json={"minutes": 10})
    assert r.status_code == 200 and r.json()["target_s"] == 600
    await hand_day(api, clock)
    live = (await api.client.get(f"/api/halls/{hall}/stats/live", headers=sup)).json()
    assert live["today"]["within_target"] == 1  # only the 5-minute wait is within 10 minutes


async def test_missing_days_are_reported_until_frozen(api: Api, clock: FakeClock) -> None:
    await _issue(api, "A")
    # A clock of this test's own: the app's day-end loop, on the app's clock, must not
    # freeze the days before the test looks.
    later = FakeClock(clock.now + timedelta(days=2))
    ctx = Context(store=api.store, bus=MemoryBus(), clock=later, secret=b"t")
    sup = api.hall.supervisor
    day = date.fromisoformat(DAY)
    end = (day + timedelta(days=2)).isoformat()
    r = await Stats(ctx).range(sup, api.hall.id, DAY, end)
    assert r.missing == [day, day + timedelta(days=1)]
    assert await stats_archive.catch_up(ctx, api.hall.id, later.now) == 2
    r = await Stats(ctx).range(sup, api.hall.id, DAY, end)
    assert r.missing == [] and [t.issued for t in r.per_day.values()] == [1, 0, 0]
    # Days before the hall's first ticket are not missing: there was nothing to freeze.
    r = await Stats(ctx).range(sup, api.hall.id, "2026-11-01", end)
    assert r.missing == [] and min(r.per_day) == day


async def test_a_day_frozen_during_a_range_read_does_not_break_it(
    api: Api, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The range's reads are separate statements: a freeze committing between the sums and
    the histograms (here made to happen there) brings keys the sums lack; no 500."""
    c1, w1 = await api.login(api.hall.clerk(1).username), api.hall.window(1)
    await _do(api, c1, w1, "open")
    await _issue(api, "A")
    clock.advance(minutes=2)
    for action in ("call-next", "start", "finish"):
        await _do(api, c1, w1, action)
    later = FakeClock(clock.now + timedelta(days=2))
    ctx = Context(store=api.store, bus=MemoryBus(), clock=later, secret=b"t")
    sums = stats_sql.archived_sums

    async def sums_then_freeze(*args: Any) -> list[tuple[str, str, st.Tally]]:
        got = await sums(*args)
        await stats_archive.catch_up(ctx, api.hall.id, later.now)
        return got

    monkeypatch.setattr(stats_sql, "archived_sums", sums_then_freeze)
    end = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()
    r = await Stats(ctx).range(api.hall.supervisor, api.hall.id, DAY, end)
    day = date.fromisoformat(DAY)
    assert r.by["service"] == {} and r.missing == [day, day + timedelta(days=1)]
    monkeypatch.undo()
    r = await Stats(ctx).range(api.hall.supervisor, api.hall.id, DAY, end)
    assert r.by["service"]["A"].issued == 1 and r.missing == []
