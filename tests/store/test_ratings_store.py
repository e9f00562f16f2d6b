"""The ratings store contract, on both backends: one rating per ticket and per case by the
database itself, levels outside 1..5 refused by its check, sealed comments and contacts
bound to their own rows, the supervisor's list with its rating, malicious marks, and the
pads (a new pairing replaces the key; unpairing revokes it)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from server.crypto import SealError
from server.domain import rating as rt
from server.domain.calendar import WorkCalendar
from server.domain.model import Channel, Priority, Ticket, TicketKind, TicketState
from server.store import ratings_sql as sql
from server.store.db import UniqueViolation
from server.store.store import Store
from tests.conftest import FakeClock, HallFixture

DAY = date(2026, 11, 25)


async def _ticket(store: Store, hall: HallFixture, clock: FakeClock, n: int,
                  window: str | None = None) -> Ticket:  # fmt: skip
    t = Ticket(id=f"{hall.id}-t{n}", hall_id=hall.id, service="A", number=f"A{n:03d}",
               business_day=DAY, kind=TicketKind.WALK_IN, channel=Channel.KIOSK,
               state=TicketState.DONE, priority=Priority.WALK_IN, issued_at=clock.now,
               queue_at=clock.now, token_hash="x", window_id=window, seq_no=n,
               finished_at=clock.now + timedelta(minutes=n))  # fmt: skip
    async with store.write(hall.id, clock.now) as tx:
        await tx.insert_ticket(t)
    return t


async def test_a_rating_keeps_what_prompted_it_and_its_delay(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    t = await _ticket(store, hall, clock, 1, hall.window(1))
    r = _rating(hall, clock, 1, t.id, 5)
    async with store.db.transaction() as c:
        await sql.insert(c, store.sealer, sql.Rating(**{
            **{k: getattr(r, k) for k in r.__slots__}, "channel": "pad",
            "prompted_by": "reprompt", "delay_s": 130}))  # fmt: skip
    assert t.finished_at is not None
    async with store.db.reader() as c:
        got = await sql.of_ticket(c, t.id)
        assert not await sql.called_since(c, hall.id, hall.window(1), DAY, t.finished_at)
    assert got is not None and got.prompted_by == "reprompt" and got.delay_s == 130
    # The window calls the next citizen after that finish: 请评价 is over for it.
    nxt = replace(t, id=f"{hall.id}-t9", number="A009", seq_no=9, state=TicketState.CALLED,
                  finished_at=None, called_at=t.finished_at + timedelta(seconds=30))
    async with store.write(hall.id, clock.now) as tx:
        await tx.insert_ticket(nxt)
    async with store.db.reader() as c:
        assert await sql.called_since(c, hall.id, hall.window(1), DAY, t.finished_at)
        assert not await sql.called_since(c, hall.id, hall.window(2), DAY, t.finished_at)


def _rating(hall: HallFixture, clock: FakeClock, n: int, ticket: str | None, level: int = 5,
            comment: str | None = None) -> sql.Rating:  # fmt: skip
    return sql.Rating(id=f"{hall.id}-r{n}", hall_id=hall.id, channel="phone",
                      level=rt.Level(level), reasons=("slow",) if level < 3 else (),
                      business_day=DAY, rated_at=clock.now, ticket_id=ticket, service="A",
                      window_id=hall.window(1), comment=comment)  # fmt: skip


async def test_one_rating_per_ticket_and_a_level_in_range(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    t = await _ticket(store, hall, clock, 1)
    async with store.db.transaction() as c:
        await sql.insert(c, store.sealer, _rating(hall, clock, 1, t.id, 4, "很好"))
    with pytest.raises(UniqueViolation):
        async with store.db.transaction() as c:
            await sql.insert(c, store.sealer, _rating(hall, clock, 2, t.id, 1))
    t2 = await _ticket(store, hall, clock, 2)
    bad = _rating(hall, clock, 3, t2.id)
    with pytest.raises(Exception, match=r"(?i)check"):
        async with store.db.transaction() as c:
            await c.execute(
                "INSERT INTO ratings (id, hall_id, ticket_id, channel, level, business_day,"
                " rated_at) VALUES ($1, $2, $3, 'pad', 6, $4, $5)",
                bad.id, hall.id, t2.id, DAY, clock.now,
            )  # fmt: skip
    async with store.db.reader() as c:
        got = await sql.of_ticket(c, t.id)
        assert got is not None and got.level == 4 and got.comment is None  # not opened
        opened = await sql.get(c, got.id, sealer=store.sealer)
        raw = await c.fetchrow("SELECT * FROM ratings WHERE id = $1", got.id)
        n = await c.fetchval("SELECT count(*) FROM ratings WHERE hall_id = $1", hall.id)
    assert opened is not None and opened.comment == "很好"
    assert raw is not None and "很好" not in str(raw["comment"]) and json.loads(raw["reasons"]) == []
    assert not raw["malicious"] and str(raw["business_day"]) == "2026-11-25" and n == 1


async def test_follow_ups_list_with_their_rating_and_a_sealed_contact(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    t = await _ticket(store, hall, clock, 1, hall.window(1))
    r = _rating(hall, clock, 1, t.id, 1, "太慢")
    f = rt.open_followup(f"{hall.id}-f1", r.id, hall.id, WorkCalendar(), DAY, clock.now)
    async with store.db.transaction() as c:
        await sql.insert(c, store.sealer, r)
        await sql.insert_followup(c, store.sealer, f, "13800001111", "138****1111")
    async with store.db.reader() as c:
        [item] = await sql.items(c, store.sealer, hall.id, open_only=True)
        assert await sql.contact(c, store.sealer, f.id) == ("13800001111", "138****1111")
        sealed = await c.fetchval("SELECT contact_enc FROM rating_followups WHERE id = $1", f.id)
    assert item.followup == f and item.rating.comment == "太慢" and item.ticket_number == "A001"
    assert item.window_number == 1 and item.contact_masked == "138****1111"
    assert "13800001111" not in sealed
    with pytest.raises(SealError):  # bound to its own follow-up
        store.sealer.open(sealed, f"{sql.CONTACT}:another")

    done = rt.close(rt.rectify(rt.call_back(f, "s", "接通", clock.now), "s", "a", "b",
                               clock.now), "s", "已整改", clock.now)  # fmt: skip
    m = rt.Malicious("刷差评", "s", clock.now)
    async with store.db.transaction() as c:
        await sql.update_followup(c, done)
        await sql.mark_malicious(c, r.id, m)
    async with store.db.reader() as c:
        assert await sql.items(c, store.sealer, hall.id, open_only=True) == []
        [item] = await sql.items(c, store.sealer, hall.id)
        assert await sql.followup_of(c, r.id) == done
    assert item.followup == done and item.rating.malicious == m
    async with store.db.transaction() as c:
        await sql.clear_contact(c, f.id)
    async with store.db.reader() as c:
        assert await sql.contact(c, store.sealer, f.id) == (None, None)
        [item] = await sql.items(c, None, hall.id)  # the list's read: the comment stays shut
    assert item.rating.comment is None and item.has_comment and item.contact_masked


async def test_a_pad_is_paired_replaced_and_revoked(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    w = hall.window(1)
    async with store.db.transaction() as c:
        await sql.pair(c, sql.Pad(w, hall.id, "hash1", "sup", clock.now))
        await sql.pair(c, sql.Pad(w, hall.id, "hash2", "sup", clock.now))
        await sql.prompt(c, w, "t1", clock.now)
    async with store.db.reader() as c:
        pad = await sql.pad(c, w)
        assert await sql.paired_windows(c, hall.id) == {w: clock.now}
    assert pad is not None and pad.key_hash == "hash2" and pad.prompt_ticket_id == "t1"
    assert pad.prompt_at == clock.now
    a = await _ticket(store, hall, clock, 1, w)
    b = await _ticket(store, hall, clock, 2, w)  # finished a minute later
    await _ticket(store, hall, clock, 3, hall.window(2))
    async with store.db.reader() as c:
        latest = await sql.latest_done(c, hall.id, w, DAY)
    assert latest is not None and latest["id"] == b.id and a.id != b.id
    # A new pairing (one upsert) drops the last 请评价 with the old key.
    async with store.db.transaction() as c:
        await sql.pair(c, sql.Pad(w, hall.id, "hash3", "sup", clock.now))
    async with store.db.reader() as c:
        pad = await sql.pad(c, w)
    assert pad is not None and pad.key_hash == "hash3" and pad.prompt_ticket_id is None
    assert pad.prompt_at is None
    async with store.db.transaction() as c:
        assert await sql.unpair(c, w) is True
        assert await sql.unpair(c, w) is False
    async with store.db.reader() as c:
        assert await sql.pad(c, w) is None
