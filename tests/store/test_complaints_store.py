"""The complaints' SQL on both backends: gapless numbers per hall per day, the sealed
contact and texts, the query code's fingerprint, the open list through its partial index."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

from server.domain import complaint as cp
from server.domain.complaint import State, Step, Subject
from server.store import complaints_sql as sql
from server.store.store import Store
from tests.conftest import FakeClock, HallFixture

DAY = date(2026, 11, 25)


def _new(hall: HallFixture, n: int, clock: FakeClock, contact: cp.Contact) -> cp.Complaint:
    return cp.file(id=f"{hall.id}-x{n}", hall_id=hall.id, number=cp.number(hall.id.upper(), DAY, n),
                   day=DAY, channel="phone", subject=Subject.HALL, subject_id=None,
                   subject_label="大厅", text="环境嘈杂", contact=contact, now=clock.now,
                   due=DAY + timedelta(days=7))  # fmt: skip


async def test_numbers_are_gapless_per_hall_and_day_under_concurrency(store: Store,
                                                                      hall: HallFixture,
                                                                      clock: FakeClock) -> None:  # fmt: skip
    async def one() -> int:
        async with store.write(hall.id, clock.now) as tx:
            return await sql.next_number(tx.conn, hall.id, DAY)

    got = await asyncio.gather(*(one() for _ in range(8)))
    assert sorted(got) == list(range(1, 9))
    async with store.write(hall.id, clock.now) as tx:
        assert await sql.next_number(tx.conn, hall.id, DAY + timedelta(days=1)) == 1


async def test_a_complaint_round_trips_with_its_contact_sealed(store: Store, hall: HallFixture,
                                                               clock: FakeClock) -> None:  # fmt: skip
    contact = cp.Contact("张三", "13812345678")
    x = _new(hall, 1, clock, contact)
    anon = _new(hall, 2, clock, cp.Contact(None, None))
    async with store.write(hall.id, clock.now) as tx:
        await sql.insert(tx.conn, tx.sealer, x, contact,
                         sql.secret_fp(tx.sealer, x.number, "K7MQ4XRT"))  # fmt: skip
        await sql.insert(tx.conn, tx.sealer, anon, anon_contact := cp.Contact(None, None),
                         sql.secret_fp(tx.sealer, anon.number, "23456789"))  # fmt: skip
    async with store.db.reader() as c:
        assert await sql.get(c, x.id, sealer=store.sealer) == x
        # Without the sealer the texts stay shut (a list's read).
        assert (await sql.get(c, x.id)) == replace(x, text="")
        assert await sql.by_number(c, store.sealer, x.number) == x
        fp = await sql.secret_fp_of(c, x.number)
        assert fp == sql.secret_fp(store.sealer, x.number, "K7MQ4XRT")
        assert fp != sql.secret_fp(store.sealer, anon.number, "K7MQ4XRT")
        assert await sql.secret_fp_of(c, "TS-NONE-20261125-0001") is None
        assert await sql.contact(c, store.sealer, x.id) == contact
        assert await sql.contact(c, store.sealer, anon.id) == anon_contact
        raw = await c.fetchrow("SELECT contact_enc, body_enc FROM complaints WHERE id = $1", x.id)
        assert "138" not in raw["contact_enc"] and "嘈杂" not in raw["body_enc"]
    # A step, and the open list leaves out what is answered.
    step = Step(clock.advance(minutes=5), hall.supervisor.id, hall.supervisor.username)
    moved = cp.answer(cp.investigate(cp.assign(x, hall.supervisor.id, "值班主任", step), "f",
                                     step), "已整改", step)  # fmt: skip
    async with store.write(hall.id, clock.now) as tx:
        await sql.update(tx.conn, tx.sealer, moved)
    async with store.db.reader() as c:
        assert await sql.get(c, x.id, sealer=store.sealer) == moved
        raw = await c.fetchrow("SELECT finding_enc, answer_enc FROM complaints WHERE id = $1",
                               x.id)  # fmt: skip
        assert "整改" not in raw["answer_enc"] and raw["finding_enc"] != "f"
        # The citizen's read: the text and the answer, never the finding.
        assert await sql.by_number(c, store.sealer, x.number) == replace(moved, finding=None)
        assert [y.id for y in await sql.of_hall(c, hall.id, open_only=True)] == [anon.id]
        assert [y.number for y in await sql.of_hall(c, hall.id, open_only=False)] == [
            anon.number, x.number]
        assert (await sql.get(c, x.id)).state is State.ANSWERED  # type: ignore[union-attr]
        assert await sql.supervisors(c, hall.id) == [(hall.supervisor.id, "值班主任")]
