"""The appointments store contract on SQLite and PostgreSQL, and the race for a slot.

Rows are written through ``server.store.appointments_sql`` so each test controls what
it reads back; the races go through the booking use case, as the server runs it.
Every test uses a hall of its own (the PostgreSQL database is shared by the run).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.bus.memory import MemoryBus
from server.crypto import Sealer
from server.domain.appointment import Appointment, AppointmentState, BookingRules
from server.domain.errors import Conflict
from server.domain.identity import check_character
from server.store import appointments_sql as sql
from server.store.db import UniqueViolation
from server.store.postgres import PostgresDatabase
from server.store.store import Store
from server.store.tx import Tx
from server.usecases.appointment_parts import Who
from server.usecases.appointments import Appointments, BookRequest
from server.usecases.context import Context
from server.usecases.ratelimit import MemoryRateLimiter
from tests.conftest import FakeClock, HallFixture, make_hall

SH = ZoneInfo("Asia/Shanghai")
THU = date(2026, 11, 26)  # the day after the `clock` fixture's Wednesday
T10 = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
HALF_HOUR = timedelta(minutes=30)
BOOKED, CANCELLED, NO_SHOW = (
    AppointmentState.BOOKED,
    AppointmentState.CANCELLED,
    AppointmentState.NO_SHOW,
)


def booking(
    hall_id: str,
    start: datetime = T10,
    *,
    fp: str = "fp-1",
    service: str = "A",
    state: AppointmentState = BOOKED,
    owner: str | None = "owner-1",
    **changes: Any,
) -> Appointment:
    """A booking as the use case builds it; ids and codes are unique in the run."""
    a = Appointment(
        id=secrets.token_hex(16),
        hall_id=hall_id,
        service=service,
        code=secrets.token_hex(4).upper(),
        slot_start=start,
        slot_end=start + HALF_HOUR,
        state=state,
        id_fingerprint=fp,
        id_masked="370***********0011",
        created_at=datetime(2026, 11, 25, 2, 0, 0, 123456, tzinfo=UTC),
        name_masked="张*",
        phone_masked="138****0000",
        owner_fp=owner,
        booked_by=None,
        lang="zh",
    )
    return replace(a, **changes)


async def put(
    store: Store, a: Appointment, phone: str | None = None, email: str | None = None
) -> Appointment:
    async with store.db.transaction() as c:
        await sql.insert(c, store.sealer, a, a.slot_start.astimezone(SH).date(), phone, email)
    return a


async def read(store: Store, fn: Any, *args: Any) -> Any:
    async with store.db.reader() as c:
        return await fn(c, *args)


async def write(store: Store, fn: Any, *args: Any, **kw: Any) -> Any:
    async with store.db.transaction() as c:
        return await fn(c, *args, **kw)


@pytest.fixture
async def hall_id(store: Store, clock: FakeClock) -> str:
    return (await make_hall(store, clock.now)).id


# --- slot counts -------------------------------------------------------------------


async def test_take_place_up_to_capacity_then_none(store: Store, hall_id: str) -> None:
    taken = [await write(store, sql.take_place, hall_id, "A", T10, 3) for _ in range(4)]
    assert taken == [1, 2, 3, None]
    # A full slot stays full; its neighbours and the other services are untouched.
    assert await write(store, sql.take_place, hall_id, "A", T10, 3) is None
    assert await write(store, sql.take_place, hall_id, "A", T10 + HALF_HOUR, 3) == 1
    assert await write(store, sql.take_place, hall_id, "B", T10, 3) == 1
    # A capacity raised since lets the slot fill further; one lowered refuses at once.
    assert await write(store, sql.take_place, hall_id, "A", T10, 4) == 4
    assert await write(store, sql.take_place, hall_id, "A", T10 + HALF_HOUR, 1) is None


async def test_give_back_frees_a_place_and_never_goes_below_zero(
    store: Store, hall_id: str
) -> None:
    for _ in range(2):
        await write(store, sql.take_place, hall_id, "A", T10, 2)
    assert await write(store, sql.take_place, hall_id, "A", T10, 2) is None
    assert await write(store, sql.give_back, hall_id, "A", T10) == 1
    assert await write(store, sql.take_place, hall_id, "A", T10, 2) == 2
    assert [await write(store, sql.give_back, hall_id, "A", T10) for _ in range(3)] == [1, 0, 0]
    # A slot never taken: nothing to give back, and no row appears.
    assert await write(store, sql.give_back, hall_id, "A", T10 + HALF_HOUR) == 0
    assert await read(store, sql.counts, hall_id, "A", T10, T10 + HALF_HOUR) == {T10: 0}


async def test_counts_over_a_range(store: Store, hall_id: str, clock: FakeClock) -> None:
    other = (await make_hall(store, clock.now)).id
    starts = [T10 + i * HALF_HOUR for i in range(4)]
    for n, start in enumerate(starts, start=1):
        for _ in range(n):
            await write(store, sql.take_place, hall_id, "A", start, 5)
    await write(store, sql.take_place, hall_id, "B", starts[1], 5)
    await write(store, sql.take_place, other, "A", starts[1], 5)
    # Both ends are included; keys are instants, so a UTC datetime finds a Shanghai one.
    got = await read(store, sql.counts, hall_id, "A", starts[1], starts[2])
    assert got == {starts[1]: 2, starts[2]: 3}
    assert got[starts[1].astimezone(UTC)] == 2
    assert await read(store, sql.counts, hall_id, "A", starts[0], starts[3]) == dict(
        zip(starts, [1, 2, 3, 4], strict=True)
    )
    assert await read(store, sql.counts, hall_id, "B", starts[0], starts[3]) == {starts[1]: 1}
    day_after = T10 + timedelta(days=1)
    assert await read(store, sql.counts, hall_id, "A", day_after, day_after + HALF_HOUR) == {}


# --- bookings --------------------------------------------------------------------------


async def test_insert_then_get_and_by_code(store: Store, hall_id: str) -> None:
    a = await put(store, booking(hall_id, booked_by="clerk-1", reminded=True, lang="en"))
    got = await read(store, sql.get, a.id)
    assert got == a
    assert got.slot_start == T10 and got.created_at == a.created_at  # microseconds kept
    assert got.state is BOOKED and got.reminded is True and got.lang == "en"
    assert await read(store, sql.by_code, a.code) == a
    assert await read(store, sql.get, "no-such-id") is None
    assert await read(store, sql.by_code, "ZZZZ2222") is None
    async with store.db.transaction() as c:  # the locking read a change starts with
        assert await sql.get(c, a.id, lock=store.db.dialect.for_update) == a


async def test_active_is_the_live_booking_of_an_id_for_a_service(
    store: Store, hall_id: str
) -> None:
    await put(store, booking(hall_id, state=CANCELLED))
    assert await read(store, sql.active, hall_id, "A", "fp-1") is None
    a = await put(store, booking(hall_id))
    assert await read(store, sql.active, hall_id, "A", "fp-1") == a
    assert await read(store, sql.active, hall_id, "B", "fp-1") is None
    assert await read(store, sql.active, hall_id, "A", "fp-2") is None
    await write(store, sql.end, a, NO_SHOW, T10 + HALF_HOUR)
    assert await read(store, sql.active, hall_id, "A", "fp-1") is None


async def test_booked_for_person_is_one_days_live_bookings_in_slot_order(
    store: Store, hall_id: str, clock: FakeClock
) -> None:
    late = await put(store, booking(hall_id, T10 + 4 * HALF_HOUR, service="A"))
    early = await put(store, booking(hall_id, T10, service="B"))
    await put(store, booking(hall_id, T10, service="C", state=CANCELLED))
    await put(store, booking(hall_id, T10 + timedelta(days=1), service="D"))
    await put(store, booking(hall_id, T10, service="C", fp="fp-2"))
    other = (await make_hall(store, clock.now)).id
    await put(store, booking(other, T10, service="C"))
    found = await read(store, sql.booked_for_person, hall_id, "fp-1", THU)
    assert [a.id for a in found] == [early.id, late.id]
    assert await read(store, sql.booked_for_person, hall_id, "fp-1", THU - timedelta(1)) == []


async def test_no_show_days_since_a_day(store: Store, hall_id: str) -> None:
    for day in (1, 10, 20):
        start = datetime(2026, 11, day, 10, tzinfo=SH)
        await put(store, booking(hall_id, start, service="AB"[day % 2], state=NO_SHOW))
    await put(store, booking(hall_id, datetime(2026, 11, 21, 10, tzinfo=SH), state=CANCELLED))
    await put(store, booking(hall_id, datetime(2026, 11, 22, 10, tzinfo=SH), fp="fp-2",
                             state=NO_SHOW))  # fmt: skip
    days = await read(store, sql.no_show_days, hall_id, "fp-1", date(2026, 11, 10))
    assert sorted(days) == [date(2026, 11, 10), date(2026, 11, 20)]
    assert len(await read(store, sql.no_show_days, hall_id, "fp-1", date(2026, 10, 1))) == 3
    assert await read(store, sql.no_show_days, hall_id, "fp-3", date(2026, 10, 1)) == []


async def test_of_owner_lists_every_state_since_a_day(
    store: Store, hall_id: str, clock: FakeClock
) -> None:
    owner = f"phone-{secrets.token_hex(4)}"
    old = booking(hall_id, datetime(2026, 11, 10, 10, tzinfo=SH), owner=owner, state=NO_SHOW)
    b = booking(hall_id, T10 + HALF_HOUR, service="B", owner=owner)
    a = booking(hall_id, T10, owner=owner, state=CANCELLED)
    other = (await make_hall(store, clock.now)).id
    c = booking(other, T10 + timedelta(days=5), owner=owner)
    for x in (old, b, a, c, booking(hall_id, T10, service="C")):
        await put(store, x)
    assert await read(store, sql.of_owner, owner, date(2026, 11, 18)) == [a, b, c]
    assert [x.id for x in await read(store, sql.of_owner, owner, date(2026, 11, 1))] == [
        old.id, a.id, b.id, c.id,
    ]  # fmt: skip


async def test_of_day_orders_by_service_then_slot(store: Store, hall_id: str) -> None:
    b1 = await put(store, booking(hall_id, T10, service="B"))
    a2 = await put(store, booking(hall_id, T10 + HALF_HOUR, fp="fp-2"))
    a1 = await put(store, booking(hall_id, T10, state=CANCELLED))
    await put(store, booking(hall_id, T10 + timedelta(days=1), fp="fp-3"))
    assert [x.id for x in await read(store, sql.of_day, hall_id, THU)] == [a1.id, a2.id, b1.id]
    assert await read(store, sql.of_day, hall_id, THU + timedelta(days=2)) == []


async def test_booked_between_and_booked_days(store: Store, hall_id: str) -> None:
    days = [THU + timedelta(days=i) for i in range(5)]
    made = [await put(store, booking(hall_id, T10 + timedelta(days=i), fp=f"fp-{i}"))
            for i in range(5)]  # fmt: skip
    await put(store, booking(hall_id, T10 + timedelta(days=1) + HALF_HOUR, fp="fp-9", service="B"))
    await write(store, sql.end, made[2], CANCELLED, T10, reason="citizen")
    found = await read(store, sql.booked_between, hall_id, days[1], days[3])
    async with store.db.transaction() as c:  # as the sweep reads them: locked, skipping taken
        locked = await sql.booked_between(c, hall_id, days[1], days[3],
                                          lock=store.db.dialect.skip_locked)  # fmt: skip
    assert locked == found
    assert [(x.id, x.state) for x in found][::2] == [(made[1].id, BOOKED), (made[3].id, BOOKED)]
    assert len(found) == 3 and found[1].service == "B"  # both of day 1, in slot order
    assert await read(store, sql.booked_days, hall_id, days[1]) == [days[1], days[3], days[4]]
    assert await read(store, sql.booked_days, hall_id, days[0]) == [
        days[0], days[1], days[3], days[4],
    ]  # fmt: skip


async def test_move_changes_the_slot_day_and_reminder(store: Store, hall_id: str) -> None:
    a = await put(store, booking(hall_id, reminded=True))
    new_start = T10 + timedelta(days=1, hours=3)
    moved = replace(a, slot_start=new_start, slot_end=new_start + HALF_HOUR, reminded=False)
    await write(store, sql.move, moved, new_start, new_start + HALF_HOUR, THU + timedelta(1))
    assert await read(store, sql.get, a.id) == moved
    assert await read(store, sql.of_day, hall_id, THU) == []
    assert await read(store, sql.of_day, hall_id, THU + timedelta(1)) == [moved]


async def test_end_records_how_and_forgets_the_contact(store: Store, hall_id: str) -> None:
    now = T10 - timedelta(minutes=5)
    outcomes = [
        (AppointmentState.CHECKED_IN, "ticket-1", None, now),
        (AppointmentState.LATE, "ticket-2", None, now),
        (CANCELLED, None, "hall_closed", None),
        (NO_SHOW, None, None, None),
    ]
    for n, (state, ticket, reason, checked_in) in enumerate(outcomes):
        a = await put(store, booking(hall_id, fp=f"fp-{n}"), "13800000000", "a@example.cn")
        assert await write(store, sql.end, a, state, now, ticket_id=ticket, reason=reason)
        got = await read(store, sql.get, a.id)
        assert got == replace(a, state=state, ticket_id=ticket, cancel_reason=reason,
                              checked_in_at=checked_in)  # fmt: skip
        left = await read(store, sql.contact, store.sealer, a.id)
        assert (left.phone, left.email, left.lang) == (None, None, "zh")
        async with store.db.reader() as c:
            row = await c.fetchrow(
                "SELECT phone_enc, email_enc, ended_at FROM appointments WHERE id = $1", a.id
            )
        assert row is not None and row["phone_enc"] is None and row["email_enc"] is None
        assert row["ended_at"] == now


async def test_end_does_nothing_to_a_booking_changed_meanwhile(store: Store, hall_id: str) -> None:
    """``end`` is given the booking as read: once it has ended, or moved to another slot,
    the stale copy ends nothing, so the caller frees no place and sends nothing."""
    a = await put(store, booking(hall_id), "13800000000")
    later = T10 + timedelta(days=1)
    moved = replace(a, slot_start=later, slot_end=later + HALF_HOUR)
    await write(store, sql.move, moved, later, later + HALF_HOUR, THU + timedelta(days=1))
    assert not await write(store, sql.end, a, CANCELLED, T10, reason="citizen")  # stale slot
    assert await read(store, sql.get, a.id) == moved
    assert (await read(store, sql.contact, store.sealer, a.id)).phone == "13800000000"
    assert await write(store, sql.end, moved, NO_SHOW, later + HALF_HOUR)
    assert not await write(store, sql.end, moved, CANCELLED, later + HALF_HOUR, reason="staff")
    got = await read(store, sql.get, a.id)
    assert (got.state, got.cancel_reason) == (NO_SHOW, None)


async def test_per_owner_and_per_service_counts(
    store: Store, hall_id: str, clock: FakeClock
) -> None:
    owner = f"phone-{secrets.token_hex(4)}"
    mine = [await put(store, booking(hall_id, T10 + i * HALF_HOUR, fp=f"fp-{i}", owner=owner))
            for i in range(3)]  # fmt: skip
    await put(store, booking(hall_id, T10, service="B", fp="fp-9", owner=owner))
    await put(store, booking(hall_id, T10, fp="fp-8", owner="someone-else"))
    other = (await make_hall(store, clock.now)).id
    await put(store, booking(other, T10, owner=owner))
    assert await read(store, sql.active_of_owner, hall_id, owner) == 4
    assert await read(store, sql.live_in_service, hall_id, "A") == 4
    assert await read(store, sql.live_in_service, hall_id, "C") == 0
    await write(store, sql.end, mine[0], NO_SHOW, T10 + HALF_HOUR)
    await write(store, sql.end, mine[1], CANCELLED, T10, reason="citizen")
    assert await read(store, sql.active_of_owner, hall_id, owner) == 2
    assert await read(store, sql.active_of_owner, other, owner) == 1
    assert await read(store, sql.live_in_service, hall_id, "A") == 2
    assert await read(store, sql.no_show_days_of_owner, hall_id, owner, THU) == [THU]
    assert await read(store, sql.no_show_days_of_owner, hall_id, owner, THU + timedelta(1)) == []
    assert await read(store, sql.no_show_days_of_owner, other, owner, THU) == []


async def test_of_person_day_is_every_hall_and_state(
    store: Store, hall_id: str, clock: FakeClock
) -> None:
    fp = f"fp-{secrets.token_hex(4)}"
    other = (await make_hall(store, clock.now)).id
    late = await put(store, booking(other, T10 + 2 * HALF_HOUR, fp=fp))
    early = await put(store, booking(hall_id, T10, fp=fp, state=CANCELLED))
    mid = await put(store, booking(hall_id, T10 + HALF_HOUR, fp=fp, service="B"))
    await put(store, booking(hall_id, T10 + timedelta(days=1), fp=fp, service="C"))
    await put(store, booking(hall_id, T10, fp=f"{fp}-not"))
    found = await read(store, sql.of_person_day, fp, THU)
    assert [a.id for a in found] == [early.id, mid.id, late.id]
    assert await read(store, sql.of_person_day, fp, THU - timedelta(1)) == []


async def test_mark_reminded(store: Store, hall_id: str) -> None:
    a = await put(store, booking(hall_id))
    other = await put(store, booking(hall_id, fp="fp-2"))
    await write(store, sql.mark_reminded, a.id)
    assert (await read(store, sql.get, a.id)).reminded is True
    assert (await read(store, sql.get, other.id)).reminded is False


async def test_contact_is_sealed_and_opens_back(store: Store, hall_id: str) -> None:
    phone, email = "13912345678", "li@example.cn"
    a = await put(store, booking(hall_id, lang="en"), phone, email)
    async with store.db.reader() as c:
        row = await c.fetchrow("SELECT phone_enc, email_enc FROM appointments WHERE id = $1", a.id)
    assert row is not None
    assert phone not in row["phone_enc"] and "li@" not in row["email_enc"]
    assert row["phone_enc"].startswith("v1.")
    got = await read(store, sql.contact, store.sealer, a.id)
    assert (got.phone, got.email, got.lang) == (phone, email, "en")
    # Sealed under another secret (a server restarted with a new one): lost, not an error.
    lost = await read(store, sql.contact, Sealer(b"another secret"), a.id)
    assert (lost.phone, lost.email, lost.lang) == (None, None, "en")
    only_phone = await put(store, booking(hall_id, fp="fp-2"), phone)
    got = await read(store, sql.contact, store.sealer, only_phone.id)
    assert (got.phone, got.email) == (phone, None)
    assert await read(store, sql.contact, store.sealer, "no-such-id") == sql.Contact(
        None, None, "zh"
    )


async def test_one_live_booking_per_id_and_service(store: Store, hall_id: str) -> None:
    first = await put(store, booking(hall_id))
    with pytest.raises(UniqueViolation):
        await put(store, booking(hall_id, T10 + timedelta(days=1)))
    # Nothing of the refused write is left behind.
    assert await read(store, sql.of_day, hall_id, THU + timedelta(days=1)) == []
    assert await read(store, sql.of_day, hall_id, THU) == [first]
    await put(store, booking(hall_id, service="B"))  # another service
    await put(store, booking(hall_id, fp="fp-2"))  # another person
    await write(store, sql.end, first, CANCELLED, T10 - HALF_HOUR, reason="citizen")
    second = await put(store, booking(hall_id, T10 + timedelta(days=1)))
    assert await read(store, sql.active, hall_id, "A", "fp-1") == second
    await write(store, sql.end, second, NO_SHOW, T10 + timedelta(days=2))
    await put(store, booking(hall_id, T10 + timedelta(days=2)))  # ended rows never block


# --- the race for one slot -------------------------------------------------------------

RACERS = 200
CAPACITY = 5
RULES = BookingRules(slot_minutes=30, capacity=CAPACITY)


def id_number(n: int) -> str:
    """A valid resident ID number, distinct for each n below 1,000."""
    first = f"370102198001{1 + n // 100:02d}{n % 100:03d}"
    return first + check_character(first)


class Gauge:
    """How many booking transactions are open at once, across every store."""

    def __init__(self) -> None:
        self.now = self.peak = 0


class WatchedStore(Store):
    def __init__(self, db: Any, gauge: Gauge) -> None:
        super().__init__(db)
        self.gauge = gauge

    @asynccontextmanager
    async def write(self, hall_id: str, now: datetime) -> AsyncIterator[Tx]:
        async with super().write(hall_id, now) as tx:
            self.gauge.now += 1
            self.gauge.peak = max(self.gauge.peak, self.gauge.now)
            try:
                yield tx
            finally:
                self.gauge.now -= 1


def booking_desk(store: Store, clock: FakeClock) -> Appointments:
    """The booking use case as one server process wires it."""
    ctx = Context(store=store, bus=MemoryBus(), clock=clock, secret=b"test-secret")
    return Appointments(ctx, MemoryRateLimiter())


async def bookable_hall(store: Store, clock: FakeClock) -> HallFixture:
    hall = await make_hall(store, clock.now)  # open 00:00–24:00 every day
    svc = next(s for s in await store.services(hall.id) if s.code == "A")
    await store.add_service(replace(svc, booking=RULES))
    return hall


async def race(desks: list[Appointments], hall: HallFixture) -> Counter[str]:
    async def one(n: int) -> str:
        # A clerk books for a citizen, giving the citizen's phone (no sign-in needed).
        req = BookRequest(hall.id, "A", T10, id_number(n), phone=f"139{n:08d}")
        who = Who(actor=hall.clerk(1 + n % len(hall.clerks)))
        try:
            await desks[n % len(desks)].book(req, who)
        except Conflict as exc:
            return exc.code
        return "booked"

    return Counter(await asyncio.gather(*(one(n) for n in range(RACERS))))


async def assert_exactly_capacity(store: Store, hall: HallFixture, outcome: Counter[str]) -> None:
    assert outcome == {"booked": CAPACITY, "slot_full": RACERS - CAPACITY}
    counts = await read(store, sql.counts, hall.id, "A", T10, T10)
    assert counts == {T10: CAPACITY}
    async with store.db.reader() as c:
        rows = await c.fetch(
            "SELECT slot_start_at, state, id_fingerprint FROM appointments WHERE hall_id = $1",
            hall.id,
        )
    assert len(rows) == CAPACITY and {r["state"] for r in rows} == {"booked"}
    assert {r["slot_start_at"] for r in rows} == {T10}
    assert len({r["id_fingerprint"] for r in rows}) == CAPACITY
    events = await store.read_events(hall.id, 0)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    changed = [e.data for e in events if e.type == "slot.changed"]
    assert [d["booked"] for d in changed] == list(range(1, CAPACITY + 1))
    assert changed[-1] == {"service": "A", "slot": T10.isoformat(), "booked": CAPACITY,
                           "capacity": CAPACITY, "free": 0}  # fmt: skip


async def test_two_hundred_race_for_five_places(store: Store, clock: FakeClock) -> None:
    """One process on either backend: SQLite's single writer and one PostgreSQL pool."""
    hall = await bookable_hall(store, clock)
    outcome = await race([booking_desk(store, clock)], hall)
    await assert_exactly_capacity(store, hall, outcome)


PROCESSES = 4
POOL = 10  # connections per process


async def test_two_hundred_race_across_processes_on_postgres(pg_url: str, clock: FakeClock) -> None:
    """Four server processes' worth of pools and caches book one slot of PostgreSQL at
    once: the conditional upsert on slot_counts lets exactly five through."""
    gauge = Gauge()
    stores = [WatchedStore(PostgresDatabase(pg_url, max_size=POOL), gauge)
              for _ in range(PROCESSES)]  # fmt: skip
    for s in stores:
        await s.open()
    try:
        hall = await bookable_hall(stores[0], clock)
        outcome = await race([booking_desk(s, clock) for s in stores], hall)
        await assert_exactly_capacity(stores[0], hall, outcome)
        # The transactions really overlapped, more of them than one process holds.
        assert gauge.peak > POOL, gauge.peak
    finally:
        for s in stores:
            await s.close()
