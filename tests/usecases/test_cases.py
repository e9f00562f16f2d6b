"""One-window intake through the use cases, on both store backends: intake from the
ticket being served, the one-time notice, parallel approval, pickup, status query."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.domain.case import CaseState, TaskState
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.domain.model import Channel
from server.store import cases_sql
from server.store.store import Store
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, HallFixture
from tests.usecases.case_helpers import Office, id_number, make_office


@pytest.fixture
async def office(store: Store, desk: Desk, hall: HallFixture, clock: FakeClock) -> Office:
    return await make_office(store, desk, hall, clock.now)


async def _serving(desk: Desk, hall: HallFixture) -> str:
    """A walk-in for the intake service, called and being served at window 1."""
    view, _ = await desk.tickets.issue(hall.id, IssueRequest("A"), None, "kiosk")
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await desk.windows.call_next(hall.window(1), hall.clerk(1))
    await desk.windows.start(hall.window(1), hall.clerk(1))
    return view.ticket.id


async def test_numbers_are_gapless_per_hall_and_day(office: Office, clock: FakeClock) -> None:
    clerk = office.hall.clerk(1)
    first = await office.cases.intake(clerk, office.intake())
    second = await office.cases.intake(clerk, office.intake())
    day = "20261125"
    assert first.case.number.endswith(f"-{day}-0001")
    assert second.case.number.endswith(f"-{day}-0002")
    clock.advance(days=1)
    third = await office.cases.intake(clerk, office.intake())
    assert third.case.number.endswith("-20261126-0001")


async def test_intake_from_the_ticket_being_served(office: Office, desk: Desk) -> None:
    ticket = await _serving(desk, office.hall)
    v = await office.cases.intake(office.hall.clerk(1), office.intake(ticket=ticket))
    assert v.case.ticket_id == ticket
    assert v.case.state is CaseState.IN_REVIEW
    assert [t.department for t in v.tasks] == office.depts
    assert [t.lead for t in v.tasks] == [True, False]
    assert v.clock.due is not None and v.clock.colour.value == "green"


async def test_intake_refuses_a_ticket_not_being_served(office: Office, desk: Desk) -> None:
    view, _ = await desk.tickets.issue(office.hall.id, IssueRequest("A"), None, "kiosk")
    with pytest.raises(Conflict) as err:
        await office.cases.intake(office.hall.clerk(1), office.intake(ticket=view.ticket.id))
    assert err.value.code == "ticket_not_serving"


async def test_accepting_with_a_required_material_missing_changes_nothing(
    office: Office, store: Store
) -> None:
    marks = {"form": "received", "licence": "missing"}
    with pytest.raises(Conflict) as err:
        await office.cases.intake(office.hall.clerk(1), office.intake(materials=marks))
    assert err.value.code == "materials_missing"
    async with store.db.reader() as c:
        assert await c.fetchval("SELECT count(*) FROM cases WHERE hall_id = $1",
                                office.hall.id) == 0  # fmt: skip
        # The number was not used up either: the counter rolled back with the case.
        assert await c.fetchval("SELECT count(*) FROM case_counters WHERE hall_id = $1",
                                office.hall.id) == 0  # fmt: skip


async def test_one_time_notice_lists_everything_missing_then_acceptance(
    office: Office, store: Store
) -> None:
    marks = {"form": "received", "licence": "missing", "plan": "missing"}
    v = await office.cases.intake(office.hall.clerk(1), office.intake("correction", marks))
    assert v.case.state is CaseState.CORRECTION
    assert v.case.missing == ("licence", "plan")
    assert v.tasks == [] and v.clock.due is None  # the clock has not started
    async with store.db.reader() as c:
        sms = await c.fetch("SELECT template FROM outbox WHERE hall_id = $1", office.hall.id)
    assert [r["template"] for r in sms] == ["case_correction"]
    with pytest.raises(Conflict):  # one notice, not a second one
        await office.cases._later(office.hall.clerk(1), v.case.id, "correction",
                                  marks, None)  # fmt: skip
    done = await office.cases.accept(office.hall.clerk(1), v.case.id,
                                     {"form": "received", "licence": "received"})  # fmt: skip
    assert done.case.state is CaseState.IN_REVIEW and len(done.tasks) == 2


async def test_waiving_a_waivable_material_approves_with_waiver(office: Office) -> None:
    marks = {"form": "received", "licence": "waived"}
    v = await office.cases.intake(office.hall.clerk(1), office.intake(materials=marks))
    for t in v.tasks:
        officer = office.officers[t.department]
        await office.tasks.act(officer, t.id, "claim", None)
        last = await office.tasks.act(officer, t.id, "approve", None)
    assert last.case.state is CaseState.RESULT_READY
    async with office.tasks.ctx.store.db.reader() as c:
        log = await cases_sql.timeline(c, v.case.id, public=False)
    assert "approved_with_waiver" in [e.action for e in log]
    clerk = office.hall.clerk(1)
    with pytest.raises(Conflict) as due:  # mailed or handed over: the waived items first
        await office.pickup.hand_out(clerk, v.case.id, None, False, "SF100200300")
    assert due.value.code == "waived_materials_due"
    mailed = await office.pickup.hand_out(clerk, v.case.id, None, True, "SF100200300")
    assert mailed.case.state is CaseState.MAILED and mailed.case.tracking_no == "SF100200300"


async def test_parallel_approval_then_pickup(office: Office, desk: Desk, store: Store) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    lead, other = v.tasks
    a, b = office.officers[lead.department], office.officers[other.department]
    await office.tasks.act(a, lead.id, "claim", None)
    await office.tasks.act(b, other.id, "claim", None)
    half = await office.tasks.act(a, lead.id, "approve", None)
    assert half.case.state is CaseState.IN_REVIEW
    done = await office.tasks.act(b, other.id, "approve", "材料齐全")
    assert done.case.state is CaseState.RESULT_READY
    async with store.db.reader() as c:
        sms = [r["template"] for r in await c.fetch(
            "SELECT template FROM outbox WHERE hall_id = $1 ORDER BY created_at", office.hall.id)]
    assert sms == ["case_accepted", "case_result_ready"]

    # The citizen takes a pickup ticket by the case number; the clerk sees the result.
    with pytest.raises(NotFound):  # the number alone is not enough: a stranger could guess it
        await office.pickup.take_ticket(office.hall.id, v.case.number, "1234", None,
                                        Channel.KIOSK, "k")  # fmt: skip
    got = await office.pickup.take_ticket(office.hall.id, v.case.number, id_number(1)[-4:],
                                          None, Channel.KIOSK, "k")  # fmt: skip
    assert got.view.ticket.service == "B" and [c.number for c in got.cases] == [v.case.number]
    clerk = office.hall.clerk(1)
    ready = await office.pickup.ready(clerk, office.hall.id, got.view.ticket.id, None)
    assert [r.case.id for r in ready] == [v.case.id]
    with pytest.raises(Forbidden) as err:
        await office.pickup.hand_out(clerk, v.case.id, id_number(99), False)
    assert err.value.code == "collector_mismatch"
    out = await office.pickup.hand_out(clerk, v.case.id, id_number(1), False)
    assert out.case.state is CaseState.PICKED_UP
    with pytest.raises(Conflict) as again:
        await office.pickup.hand_out(clerk, v.case.id, id_number(1), False)
    assert again.value.code == "case_handed_out"

    status = await office.query.status(v.case.number, id_number(1)[-4:], "phone")
    assert status.case.state is CaseState.PICKED_UP
    assert all(e.actor_id is None for e in status.timeline)  # no staff on public views


async def test_any_rejection_rejects_and_cancels_the_others(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    lead, other = v.tasks
    a, b = office.officers[lead.department], office.officers[other.department]
    await office.tasks.act(a, lead.id, "claim", None)
    await office.tasks.act(b, other.id, "claim", None)
    await office.tasks.act(b, other.id, "suspend", "需现场核查")
    with pytest.raises(InvalidInput):
        await office.tasks.act(a, lead.id, "reject", None)  # reasons required
    done = await office.tasks.act(a, lead.id, "reject", "选址不符合规划")
    assert done.case.state is CaseState.RESULT_READY
    assert {t.id: t.state for t in done.tasks} == {lead.id: TaskState.REJECTED,
                                                  other.id: TaskState.CANCELLED}  # fmt: skip
    assert done.case.reasons == "选址不符合规划"


async def test_officers_act_only_on_their_departments_open_tasks(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    lead, other = v.tasks
    a = office.officers[lead.department]
    with pytest.raises(Forbidden) as err:
        await office.tasks.act(a, other.id, "claim", None)
    assert err.value.code == "other_department"
    with pytest.raises(Forbidden):
        await office.tasks.act(office.hall.clerk(1), lead.id, "claim", None)
    await office.tasks.act(a, lead.id, "claim", None)
    await office.tasks.act(a, lead.id, "suspend", "公示期")
    with pytest.raises(Conflict) as susp:
        await office.tasks.act(a, lead.id, "approve", None)
    assert susp.value.code == "task_state"
    await office.tasks.act(a, lead.id, "resume", None)
    await office.tasks.act(a, lead.id, "approve", None)
    with pytest.raises(Conflict):
        await office.tasks.act(a, lead.id, "reject", "改主意")


async def test_suspension_moves_the_deadline_and_the_sweep_turns_it_red(
    office: Office, clock: FakeClock
) -> None:
    from server.usecases import case_sweep

    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    due = v.clock.due
    assert due is not None
    lead = v.tasks[0]
    a = office.officers[lead.department]
    await office.tasks.act(a, lead.id, "claim", None)
    await office.tasks.act(a, lead.id, "supplement", "请补充法人身份证复印件")
    clock.advance(days=7)  # Wed -> next Wed: 5 working days stopped
    await case_sweep.sweep(office.tasks.ctx, office.matters, office.hall.id, clock.now)
    moved = await office.cases.get(office.hall.clerk(1), v.case.id)
    assert moved.clock.due is not None and moved.clock.due == due + timedelta(days=7)
    await office.tasks.act(a, lead.id, "resume", None)
    clock.advance(days=14)
    await case_sweep.sweep(office.tasks.ctx, office.matters, office.hall.id, clock.now)
    late = await office.cases.get(office.hall.clerk(1), v.case.id)
    assert late.clock.colour.value == "red" and late.case.alert == "red"
    inbox = await office.tasks.inbox(a, "overdue")
    assert [i.task.id for i in inbox] == [lead.id]


async def test_personal_data_is_sealed_and_each_view_audited(office: Office, store: Store) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    async with store.db.reader() as c:
        row = await c.fetchrow("SELECT * FROM cases WHERE id = $1", v.case.id)
    raw = json.dumps({k: str(x) for k, x in dict(row).items()}, ensure_ascii=False)
    assert id_number(1) not in raw and "张小三" not in raw and "13800001111" not in raw
    seen = await office.cases.personal(office.officers[office.depts[1]], v.case.id)
    assert seen["id_number"] == id_number(1) and seen["name"] == "张小三"
    async with store.db.reader() as c:
        n = await c.fetchval("SELECT count(*) FROM audit_log WHERE action = 'case.view_personal'"
                             " AND target = $1", v.case.number)  # fmt: skip
    assert n == 1
    stranger = office.hall.clerk(1).__class__("x", "x", office.hall.clerk(1).role, "other-hall")
    with pytest.raises(Forbidden):
        await office.cases.personal(stranger, v.case.id)


async def test_status_query_wrong_suffix_is_not_found(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    with pytest.raises(NotFound) as wrong:
        await office.query.status(v.case.number, "0000", "phone")
    with pytest.raises(NotFound) as unknown:
        await office.query.status("H1-20261125-9999", id_number(1)[-4:], "phone")
    assert wrong.value.code == unknown.value.code == "case_not_found"
    assert wrong.value.message_zh == unknown.value.message_zh


async def test_withdraw_cancels_the_tasks_and_the_day_after_archives(
    office: Office, clock: FakeClock
) -> None:
    from server.usecases import case_sweep

    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    done = await office.cases.withdraw(office.hall.clerk(1), v.case.id, "申请人撤回")
    assert done.case.state is CaseState.WITHDRAWN
    assert {t.state for t in done.tasks} == {TaskState.CANCELLED}
    clock.advance(days=1)
    assert await case_sweep.sweep(office.tasks.ctx, office.matters, office.hall.id, clock.now) == 1
    archived = await office.cases.get(office.hall.clerk(1), v.case.id)
    assert archived.case.state is CaseState.ARCHIVED
    with pytest.raises(Conflict) as err:
        await office.cases.refuse(office.hall.clerk(1), v.case.id, "x")
    assert err.value.code == "case_archived"


async def test_concurrent_intakes_get_gapless_distinct_numbers(office: Office) -> None:
    import asyncio

    clerk = office.hall.clerk(1)
    views = await asyncio.gather(*(office.cases.intake(clerk, office.intake())
                                   for _ in range(30)))  # fmt: skip
    tails = sorted(int(v.case.number[-4:]) for v in views)
    assert tails == list(range(1, 31))


async def test_two_departments_approving_at_once_settle_the_case_once(
    office: Office, store: Store
) -> None:
    import asyncio

    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    for t in v.tasks:
        await office.tasks.act(office.officers[t.department], t.id, "claim", None)
    results = await asyncio.gather(*(office.tasks.act(office.officers[t.department], t.id,
                                                      "approve", None) for t in v.tasks))  # fmt: skip
    assert sorted(r.case.state.value for r in results) == ["in_review", "result_ready"]
    async with store.db.reader() as c:
        n = await c.fetchval("SELECT count(*) FROM outbox WHERE hall_id = $1"
                             " AND template = 'case_result_ready'", office.hall.id)  # fmt: skip
    assert n == 1


async def test_wrong_suffixes_lock_a_number_for_the_day_known_or_not(office: Office) -> None:
    from server.domain.errors import RateLimited

    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    for number in (v.case.number, "H1-20261125-9999"):
        for n in range(10):
            with pytest.raises(NotFound):
                await office.query.status(number, f"{n:04d}"[-4:], f"client-{n}")
        with pytest.raises(RateLimited) as err:  # from yet another address, the right suffix
            await office.query.status(number, id_number(1)[-4:], "client-x")
        assert err.value.code == "case_query_locked"


async def test_a_case_is_archived_the_day_after_it_closed_not_after_it_came(
    office: Office, clock: FakeClock
) -> None:
    from server.usecases import case_sweep

    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    for t in v.tasks:
        await office.tasks.act(office.officers[t.department], t.id, "claim", None)
        await office.tasks.act(office.officers[t.department], t.id, "approve", None)
    clock.advance(days=2)  # received Wednesday, handed out Friday
    await office.pickup.hand_out(office.hall.clerk(1), v.case.id, id_number(1), False)
    clock.advance(minutes=1)
    assert await case_sweep.sweep(office.tasks.ctx, office.matters, office.hall.id, clock.now) == 0
    status = await office.query.status(v.case.number, id_number(1)[-4:], "phone")
    assert status.case.state is CaseState.PICKED_UP
    clock.advance(days=1)
    assert await case_sweep.sweep(office.tasks.ctx, office.matters, office.hall.id, clock.now) == 1


async def test_a_rejection_is_told_and_needs_no_waived_materials(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake(
        materials={"form": "received", "licence": "waived"}))
    lead = v.tasks[0]
    officer = office.officers[lead.department]
    await office.tasks.act(officer, lead.id, "claim", None)
    done = await office.tasks.act(officer, lead.id, "reject", "经营场所不符合要求")
    assert done.case.state is CaseState.RESULT_READY and done.case.outcome == "rejected"
    status = await office.query.status(v.case.number, id_number(1)[-4:], "phone")
    assert status.case.outcome == "rejected" and status.case.reasons == "经营场所不符合要求"
    out = await office.pickup.hand_out(office.hall.clerk(1), v.case.id, id_number(1), False)
    assert out.case.state is CaseState.PICKED_UP  # a refusal is handed out without them
