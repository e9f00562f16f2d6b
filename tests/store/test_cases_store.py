"""The cases store contract, on both backends: gapless numbers under concurrency, sealed
personal data bound to its case, the public timeline, the inbox by deadline through the
index of open tasks, and what the sweep reads."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from server.crypto import SealError
from server.domain.case import Case, CaseState, Mark, Task, TaskState
from server.domain.deadline import Stop
from server.domain.matter import parse_matter
from server.store import cases_sql as sql
from server.store import matters_sql
from server.store.store import Store
from tests.conftest import FakeClock, HallFixture
from tests.usecases.case_helpers import seed_departments

DAY = date(2026, 11, 25)


async def _matter(store: Store, hall: HallFixture, now: datetime) -> list[str]:
    officers = await seed_departments(store, hall, now, 2)
    m = parse_matter(hall.id, "food", {"name": "食品经营许可", "departments": list(officers),
                                       "promised_days": 5, "intake_service": "A",
                                       "pickup_service": "B"})  # fmt: skip
    async with store.db.transaction() as c:
        await matters_sql.save(c, m, now)
    return list(officers)


def _case(hall: HallFixture, n: int, now: datetime, **over: object) -> Case:
    base: dict[str, object] = dict(
        id=f"{hall.id}-case{n}", hall_id=hall.id, number=f"{hall.id.upper()}-20261125-{n:04d}",
        matter="food", state=CaseState.IN_REVIEW, business_day=DAY, created_at=now,
        channel="window", id_fingerprint=f"fp{n}", id_masked="370***********0011",
        name_masked="张*", phone_masked=None, checklist={"form": Mark.RECEIVED},
        promised_days=5, legal_days=20, accepted_at=now, accepted_day=DAY,
    )  # fmt: skip
    base.update(over)
    return Case(**base)  # type: ignore[arg-type]


async def test_numbers_are_gapless_however_many_ask_at_once(store: Store, hall: HallFixture) -> None:
    async def one() -> int:
        async with store.db.transaction() as c:
            return await sql.next_number(c, hall.id, DAY)

    got = await asyncio.gather(*(one() for _ in range(40)))
    assert sorted(got) == list(range(1, 41))
    async with store.db.transaction() as c:
        assert await sql.next_number(c, hall.id, DAY + timedelta(days=1)) == 1  # a new day


async def test_personal_data_is_sealed_to_its_own_case(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    await _matter(store, hall, clock.now)
    a, b = _case(hall, 1, clock.now), _case(hall, 2, clock.now)
    async with store.db.transaction() as c:
        await sql.insert_case(c, store.sealer, a, {"name": "张三", "id_number": "X1"}, None)
        await sql.insert_case(c, store.sealer, b, {"name": "李四", "id_number": "X2"}, None)
    async with store.db.reader() as c:
        assert (await sql.personal(c, store.sealer, a.id))["name"] == "张三"
        sealed = await c.fetchval("SELECT personal_enc FROM cases WHERE id = $1", a.id)
        assert "张三" not in sealed
    async with store.db.transaction() as c:  # a's sealed data copied onto b's row
        await c.execute("UPDATE cases SET personal_enc = $1 WHERE id = $2", sealed, b.id)
    async with store.db.reader() as c:
        with pytest.raises(SealError):
            await sql.personal(c, store.sealer, b.id)


async def test_the_public_timeline_hides_staff_and_internal_notes(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    await _matter(store, hall, clock.now)
    case = _case(hall, 1, clock.now)
    entries = [sql.LogEntry(clock.now, "received", None, "received", "u1", "clerk1"),
               sql.LogEntry(clock.now, "task.suspend", "claimed", "suspended", "u2", "officer1",
                            "d1", "内部：等待现场核查", internal=True),
               sql.LogEntry(clock.now, "task.supplement", "claimed", "supplement", "u2",
                            "officer1", "d1", "请补交平面图")]  # fmt: skip
    async with store.db.transaction() as c:
        await sql.insert_case(c, store.sealer, case, {"name": "张三"}, None)
        await sql.log(c, case.id, entries[:2])
        await sql.log(c, case.id, entries[2:])  # appended after, numbered on
    async with store.db.reader() as c:
        public = await sql.timeline(c, case.id, public=True)
        staff = await sql.timeline(c, case.id, public=False)
    assert [e.action for e in public] == ["received", "task.suspend", "task.supplement"]
    assert all(e.actor_id is None and e.actor_name is None for e in public)
    assert [e.note for e in public] == [None, None, "请补交平面图"]
    assert staff[1].note == "内部：等待现场核查" and staff[1].actor_name == "officer1"


async def test_the_inbox_is_open_tasks_by_deadline(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    d1, d2 = await _matter(store, hall, clock.now)
    rows = [(1, TaskState.PENDING, DAY + timedelta(days=9)), (2, TaskState.CLAIMED, DAY + timedelta(days=2)),
            (3, TaskState.APPROVED, DAY + timedelta(days=1)), (4, TaskState.SUSPENDED, DAY)]  # fmt: skip
    async with store.db.transaction() as c:
        for n, state, due in rows:
            case = _case(hall, n, clock.now)
            await sql.insert_case(c, store.sealer, case, {"name": "张三"}, None)
            stops = (Stop(DAY),) if state is TaskState.SUSPENDED else ()
            for dept in (d1, d2):
                t = Task(f"{case.id}-{dept}", case.id, hall.id, dept, dept == d1, state,
                         clock.now, stops=stops)  # fmt: skip
                await sql.insert_task(c, t, due, "green")
    async with store.db.reader() as c:
        mine = await sql.inbox(c, d1)
        late = await sql.inbox(c, d1, overdue_before=DAY + timedelta(days=3))
        soon = await sql.inbox(c, d1, due_by=DAY + timedelta(days=2))
    assert [r.case.number[-4:] for r in mine] == ["0004", "0002", "0001"]  # not the approved
    assert mine[0].task.stops == (Stop(DAY),) and mine[0].case.name_masked == "张*"
    assert [r.case.number[-4:] for r in late] == ["0002"]  # running tasks only: 0004 is stopped
    assert [r.case.number[-4:] for r in soon] == ["0002"]


async def test_closed_cases_are_found_by_when_they_closed(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    await _matter(store, hall, clock.now)
    early = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    async with store.db.transaction() as c:
        for n, state, closed in ((1, CaseState.PICKED_UP, early), (2, CaseState.MAILED, clock.now),
                                 (3, CaseState.RESULT_READY, None)):  # fmt: skip
            case = _case(hall, n, clock.now, state=state, closed_at=closed)
            await sql.insert_case(c, store.sealer, case, {"name": "张三"}, None)
            await sql.update_case(c, case, None)
    async with store.db.reader() as c:
        found = await sql.closed_before(c, hall.id, datetime(2026, 11, 25, tzinfo=UTC))
        live = await sql.live(c, hall.id, [CaseState.RESULT_READY])
    assert found == [f"{hall.id}-case1"]
    assert [x.id for x, _ in live] == [f"{hall.id}-case3"]
    async with store.db.transaction() as c:
        await sql.archive(c, found)
    async with store.db.reader() as c:
        archived = await sql.get(c, found[0])
        row = await c.fetchrow("SELECT checklist FROM cases WHERE id = $1", found[0])
    assert archived is not None and archived.state is CaseState.ARCHIVED
    assert json.loads(row["checklist"]) == {"form": "received"}


async def test_the_inbox_reads_the_index_of_open_tasks(store: Store, hall: HallFixture) -> None:
    if store.dialect != "postgres":
        pytest.skip("query plans are PostgreSQL's")
    async with store.db.reader() as c:
        await c.execute("SET enable_seqscan = off")  # a tiny table: ask what it would use
        plan = await c.fetch(
            "EXPLAIN SELECT t.id FROM case_tasks t WHERE t.department = $1"
            " AND t.state IN ('pending', 'claimed', 'supplement', 'suspended')"
            " ORDER BY t.due_day LIMIT 200", "d")
        await c.execute("RESET enable_seqscan")
    assert "case_tasks_open" in " ".join(r["QUERY PLAN"] for r in plan)
