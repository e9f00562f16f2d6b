"""Online appointments over HTTP, on both backends: slots, booking, its bad input,
check-in (on time, late, too early), the messages, no-shows and their ban, a closed
day, the supervisor's day view.

The test hall is open 00:00–24:00 every day; the clock starts on Wednesday
2026-11-25 at 10:00 in Shanghai and is moved by hand.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.usecases import appointment_sweep
from tests.api.conftest import Api
from tests.api.test_admin_api import admin_of
from tests.api.test_citizen_api import (  # noqa: F401 - fixtures
    gateway,
    id_number,
    issue,
    outbox,
    params,
    phone,
    settings,
    sign_in,
)
from tests.conftest import FakeClock, make_hall
from tests.notify.gateway import FakeGateway

SH = ZoneInfo("Asia/Shanghai")
RULES = {"slot_minutes": 30, "capacity": 2, "spans": [["09:00", "12:00"]], "days_ahead": 3}
ID1 = id_number("19800101", "011")
ID2 = id_number("19850505", "022")
ID3 = id_number("19900909", "033")


def at(day: int, hhmm: str, month: int = 11) -> str:
    """A slot start as the API names it: local time with its offset."""
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, month, day, h, m, tzinfo=SH).isoformat()


def local(clock: FakeClock, day: int, hhmm: str, month: int = 11) -> None:
    h, m = map(int, hhmm.split(":"))
    clock.now = datetime(2026, month, day, h, m, tzinfo=SH)


async def bookable(
    api: Api, admin: dict[str, str], rules: dict[str, Any] | None = None, code: str = "A"
) -> None:
    r = await api.client.patch(f"/api/admin/halls/{api.hall.id}/services/{code}",
                               headers=admin, json={"booking": rules or RULES})  # fmt: skip
    assert r.status_code == 200, r.text


async def book(api: Api, who: dict[str, str], slot: str, idn: str = ID1, **more: Any) -> Any:
    return await api.client.post("/api/appointments", headers=who, json={
        "hall": api.hall.id, "service": "A", "slot": slot, "id_number": idn, **more})  # fmt: skip


@pytest.fixture
async def admin(api: Api) -> dict[str, str]:
    return await admin_of(api)


@pytest.fixture
async def citizen(
    api: Api, admin: dict[str, str], gateway: FakeGateway, phone: str  # noqa: F811
) -> dict[str, str]:
    await bookable(api, admin)
    return await sign_in(api, gateway, phone)


async def test_slots_list_the_bookable_days_and_free_places(
    api: Api, admin: dict[str, str]
) -> None:
    await bookable(api, admin)
    r = await api.client.get(f"/api/halls/{api.hall.id}/services/A/slots")
    assert r.status_code == 200, r.text
    body = r.json()
    # Wednesday (today) and three working days after it: Thu, Fri, Mon.
    assert body["days"] == ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30"]
    starts = [s["start"] for s in body["slots"]]
    # Today's 09:00–10:00 slots have started; 10:30..11:30 are left; six a day after.
    assert starts[:3] == [at(25, "10:30"), at(25, "11:00"), at(25, "11:30")]
    assert len(starts) == 3 + 6 * 3
    assert body["slots"][0] == {"start": at(25, "10:30"), "end": at(25, "11:00"),
                                "capacity": 2, "booked": 0, "free": 2}  # fmt: skip
    r = await api.client.get(f"/api/halls/{api.hall.id}/services/B/slots")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_bookable"
    r = await api.client.get(f"/api/halls/{api.hall.id}/services/A/slots?from=tomorrow")
    assert r.status_code == 422 and r.json()["error"]["field"] == "from"


async def test_book_then_the_slot_counts_and_a_confirmation_is_queued(
    api: Api, citizen: dict[str, str], phone: str  # noqa: F811
) -> None:
    r = await book(api, citizen, at(26, "09:00"), email="zhang@example.cn")
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["state"] == "booked" and len(a["code"]) == 8 and a["qr_svg"].startswith("<svg")
    assert a["check_in_from"] == at(26, "08:30") and a["check_in_until"] == at(26, "09:30")
    assert a["id_masked"].startswith("370") and ID1 not in json.dumps(a)
    assert a["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    slots = (await api.client.get(f"/api/halls/{api.hall.id}/services/A/slots")).json()["slots"]
    assert next(s for s in slots if s["start"] == at(26, "09:00"))["free"] == 1
    sent = await outbox(api, "booking_confirmed")
    assert sorted(row["channel"] for row in sent) == ["email", "sms"]
    assert params(api, sent[0])["code"] == a["code"]
    mine = (await api.client.get("/api/appointments/mine", headers=citizen)).json()
    assert [x["id"] for x in mine["appointments"]] == [a["id"]]


async def test_bad_bookings_say_why_and_change_nothing(
    api: Api, citizen: dict[str, str]
) -> None:
    cases = [
        (at(25, "09:30"), "slot_in_past"),
        (at(28, "09:00"), "slot_not_working_day"),  # a Saturday
        (at(2, "09:00", 12), "slot_beyond_horizon"),  # the fourth working day after today
        (at(26, "09:10"), "slot_not_bookable"),
        (at(26, "13:00"), "slot_not_bookable"),  # outside the bookable span
    ]
    for slot, code in cases:
        r = await book(api, citizen, slot)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (slot, r.text)
    r = await book(api, citizen, at(26, "09:00"), idn="370102198001010000")
    assert r.status_code == 422
    r = await book(api, {}, at(26, "09:00"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "citizen_sign_in_required"
    assert await outbox(api, "booking_confirmed") == []
    assert (await api.client.get("/api/appointments/mine", headers=citizen)).json() == {
        "appointments": []}  # fmt: skip


async def test_one_booking_per_id_and_service_and_a_full_slot_is_refused(
    api: Api, citizen: dict[str, str]
) -> None:
    assert (await book(api, citizen, at(26, "09:00"))).status_code == 201
    r = await book(api, citizen, at(27, "10:00"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_booking"
    assert (await book(api, citizen, at(26, "09:00"), idn=ID2)).status_code == 201
    r = await book(api, citizen, at(26, "09:00"), idn=ID3)
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_full"


async def test_reschedule_and_cancel_free_the_place_and_tell_the_citizen(
    api: Api, citizen: dict[str, str], gateway: FakeGateway  # noqa: F811
) -> None:
    a = (await book(api, citizen, at(26, "09:00"))).json()
    r = await api.client.patch(f"/api/appointments/{a['id']}", headers=citizen,
                               json={"slot": at(27, "11:00")})  # fmt: skip
    assert r.status_code == 200 and r.json()["slot_start"] == at(27, "11:00")
    slots = (await api.client.get(f"/api/halls/{api.hall.id}/services/A/slots")).json()["slots"]
    free = {s["start"]: s["free"] for s in slots}
    assert (free[at(26, "09:00")], free[at(27, "11:00")]) == (2, 1)
    # Another citizen may not touch it.
    other = await sign_in(api, gateway, "13700001111")
    r = await api.client.delete(f"/api/appointments/{a['id']}", headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_appointment"
    r = await api.client.delete(f"/api/appointments/{a['id']}", headers=citizen)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    r = await api.client.delete(f"/api/appointments/{a['id']}", headers=citizen)
    assert r.status_code == 409 and r.json()["error"]["code"] == "appointment_not_active"
    templates = [row["template"] for row in await outbox(api) if row["template"].startswith("booking")]
    # One clock instant for all three: the outbox orders them by key.
    assert sorted(templates) == ["booking_cancelled", "booking_confirmed", "booking_rescheduled"]


async def test_check_in_at_the_kiosk_puts_the_appointment_ahead_of_earlier_walk_ins(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    a = (await book(api, citizen, at(26, "09:00"))).json()
    hall = api.hall.id
    r = await api.client.post(f"/api/halls/{hall}/check-in", json={"code": a["code"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "check_in_too_early"
    assert r.json()["error"]["opens_at"] == at(26, "08:30")
    local(clock, 26, "08:35")
    walk_in = await issue(api, "A")
    local(clock, 26, "08:40")
    # Typed as people type it: lower case with a space.
    r = await api.client.post(f"/api/halls/{hall}/check-in",
                              json={"code": f"{a['code'][:4].lower()} {a['code'][4:]}"})  # fmt: skip
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["late"] is False and done["ticket"]["kind"] == "appointment"
    assert done["appointment"]["state"] == "checked_in"
    assert done["ticket"]["people_ahead"] == 0
    r = await api.client.post(f"/api/halls/{hall}/check-in", json={"code": a["code"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_checked_in"
    # The clerk's next call is the appointment, though the walk-in came first.
    clerk = await api.login(api.hall.clerk(1).username)
    w = api.hall.window(1)
    assert (await api.client.post(f"/api/windows/{w}/open", headers=clerk)).status_code == 200
    r = await api.client.post(f"/api/windows/{w}/call-next", headers=clerk)
    assert r.json()["ticket"]["number"] == done["ticket"]["number"], r.text
    assert r.json()["ticket"]["number"] != walk_in["number"]


async def test_late_check_in_gives_a_walk_in_ticket_and_says_why(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    await book(api, citizen, at(26, "09:00"))
    local(clock, 26, "10:05")
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"id_number": ID1})
    assert r.status_code == 201, r.text
    assert r.json()["late"] is True and r.json()["ticket"]["kind"] == "walk_in"
    assert "超过预约时段" in r.json()["message_zh"]
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"code": "ZZZZ2222"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_booking_code"
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={})
    assert r.status_code == 422


async def test_the_holder_checks_in_on_the_phone_only_inside_the_window(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    a = (await book(api, citizen, at(26, "09:00"))).json()
    url = f"/api/appointments/{a['id']}/check-in"
    assert (await api.client.post(url, headers=citizen)).status_code == 409
    local(clock, 26, "08:50")
    assert (await api.client.post(url)).status_code == 401
    r = await api.client.post(url, headers=citizen)
    assert r.status_code == 201 and r.json()["ticket"]["kind"] == "appointment"


async def test_three_no_shows_ban_booking_until_a_date(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    ctx = api.app.state.ow.ctx
    for day, after in ((26, 27), (27, 30), (30, 1)):
        r = await book(api, citizen, at(day, "11:30"))
        assert r.status_code == 201, r.text
        local(clock, after, "07:00", 12 if after == 1 else 11)
        swept = await appointment_sweep.sweep(ctx, api.hall.id, clock.now)
        assert swept.no_shows == 1
    r = await book(api, citizen, at(2, "09:00", 12))
    assert r.status_code == 403 and r.json()["error"]["code"] == "booking_banned"
    # 30 days from the third missed day (Monday 30 November).
    assert r.json()["error"]["until"] == "2026-12-30"
    assert "2026年12月30日" in r.json()["error"]["message_zh"]


async def test_a_day_closed_later_cancels_its_bookings_and_tells_each_citizen(
    api: Api, citizen: dict[str, str]
) -> None:
    a = (await book(api, citizen, at(27, "09:00"))).json()
    sup = await api.login(api.hall.supervisor.username)
    r = await api.client.put(f"/api/admin/halls/{api.hall.id}/calendar/2026", headers=sup,
                             json={"days": {"2026-11-27": False}})  # fmt: skip
    assert r.status_code == 200, r.text
    r = await api.client.get(f"/api/appointments/{a['id']}", headers=citizen)
    assert r.json()["state"] == "cancelled" and r.json()["cancel_reason"] == "hall_closed"
    assert len(await outbox(api, "booking_closed")) == 1


async def test_reminders_go_out_at_the_reminder_time_of_the_working_day_before(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    await book(api, citizen, at(30, "09:00"))  # a Monday: reminded on Friday evening
    ctx = api.app.state.ow.ctx
    local(clock, 27, "17:59")
    assert (await appointment_sweep.sweep(ctx, api.hall.id, clock.now)).reminded == 0
    local(clock, 27, "18:00")
    assert (await appointment_sweep.sweep(ctx, api.hall.id, clock.now)).reminded == 1
    assert (await appointment_sweep.sweep(ctx, api.hall.id, clock.now)).reminded == 0
    assert len(await outbox(api, "booking_reminder")) == 1


async def test_the_supervisor_sees_the_day_per_slot(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    await book(api, citizen, at(26, "09:00"))
    await book(api, citizen, at(26, "09:00"), idn=ID2)
    local(clock, 26, "08:45")
    await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"id_number": ID2})
    sup = await api.login(api.hall.supervisor.username)
    r = await api.client.get(f"/api/halls/{api.hall.id}/appointments?day=2026-11-26", headers=sup)
    assert r.status_code == 200, r.text
    (svc,) = r.json()["services"]
    first = svc["slots"][0]
    assert (first["start"], first["booked"], first["checked_in"]) == (at(26, "09:00"), 1, 1)
    assert all(ID1 not in json.dumps(e) for e in r.json()["appointments"])
    clerk = await api.login(api.hall.clerk(1).username)
    r = await api.client.get(f"/api/halls/{api.hall.id}/appointments", headers=clerk)
    assert r.status_code == 403



async def test_check_in_at_another_hall_names_the_right_one(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    a = (await book(api, citizen, at(26, "09:00"))).json()
    other = await make_hall(api.store, clock.now)
    local(clock, 26, "08:45")
    r = await api.client.post(f"/api/halls/{other.id}/check-in", json={"code": a["code"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_hall"
    assert "测试大厅" in r.json()["error"]["message_zh"]
    # Nothing changed: it still checks in where it was booked.
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"code": a["code"]})
    assert r.status_code == 201, r.text


async def test_a_clerk_books_for_a_citizen_who_then_holds_it_on_the_phone(
    api: Api, citizen: dict[str, str], phone: str  # noqa: F811
) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    r = await book(api, clerk, at(26, "09:00"), idn=ID2)
    assert r.status_code == 422 and r.json()["error"]["code"] == "phone_required"
    r = await book(api, clerk, at(26, "09:00"), idn=ID2, phone=phone)
    assert r.status_code == 201, r.text
    mine = (await api.client.get("/api/appointments/mine", headers=citizen)).json()
    assert [a["id"] for a in mine["appointments"]] == [r.json()["id"]]
    r = await api.client.delete(f"/api/appointments/{r.json()['id']}", headers=citizen)
    assert r.status_code == 200, r.text
    async with api.store.db.reader() as c:
        actions = [row["action"] for row in await c.fetch(
            "SELECT action FROM audit_log WHERE chain = $1 AND action LIKE 'appointment.%'",
            api.hall.id)]  # fmt: skip
    assert actions == ["appointment.book"]  # the clerk's act; the citizen's own is theirs


async def test_one_account_holds_at_most_five_live_bookings(
    api: Api, admin: dict[str, str], citizen: dict[str, str]
) -> None:
    await bookable(api, admin, {**RULES, "capacity": 10})
    for i in range(5):
        r = await book(api, citizen, at(26, "09:00"), idn=id_number("19700101", f"{i:03d}"))
        assert r.status_code == 201, r.text
    r = await book(api, citizen, at(26, "09:00"), idn=id_number("19700101", "777"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_many_bookings"


async def test_check_in_by_id_takes_the_booking_that_is_due(
    api: Api, admin: dict[str, str], citizen: dict[str, str], clock: FakeClock
) -> None:
    await bookable(api, admin, code="B")
    await book(api, citizen, at(26, "09:00"))
    r = await api.client.post("/api/appointments", headers=citizen, json={
        "hall": api.hall.id, "service": "B", "slot": at(26, "11:00"), "id_number": ID1})  # fmt: skip
    assert r.status_code == 201, r.text
    local(clock, 26, "10:45")  # A's slot is over, B's window is open
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"id_number": ID1})
    assert r.status_code == 201, r.text
    assert (r.json()["late"], r.json()["ticket"]["service"]) == (False, "B")
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"id_number": ID1})
    assert r.json()["late"] is True and r.json()["ticket"]["service"] == "A"
    r = await api.client.post(f"/api/halls/{api.hall.id}/check-in", json={"id_number": ID1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_checked_in"


async def test_odd_instants_and_retiring_a_booked_service_are_refused(
    api: Api, admin: dict[str, str], citizen: dict[str, str]
) -> None:
    for slot in ("9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00"):
        r = await book(api, citizen, slot)
        assert r.status_code == 422 and r.json()["error"]["code"] == "slot_invalid", r.text
    await book(api, citizen, at(26, "09:00"))
    r = await api.client.delete(f"/api/admin/halls/{api.hall.id}/services/A", headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "service_has_bookings"


async def test_every_move_is_told_even_back_to_an_earlier_slot(
    api: Api, citizen: dict[str, str], clock: FakeClock
) -> None:
    a = (await book(api, citizen, at(26, "09:00"))).json()
    for i, slot in enumerate((at(26, "10:00"), at(26, "09:00"), at(26, "10:00"))):
        clock.advance(seconds=1)
        r = await api.client.patch(f"/api/appointments/{a['id']}", headers=citizen,
                                   json={"slot": slot})  # fmt: skip
        assert r.status_code == 200, (i, r.text)
    sent = await outbox(api, "booking_rescheduled")
    assert len(sent) == 3
    assert params(api, sent[0])["checkin"] in ("08:30–09:30", "09:30–10:30")
