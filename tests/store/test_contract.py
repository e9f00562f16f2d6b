"""The store contract: what every backend must do, run on SQLite and on PostgreSQL.

Tickets are mostly written straight through ``store.write`` and ``Tx`` so each
test controls exactly the rows it reads back; the use cases appear where the
contract is about what they leave behind (numbers, the event log, voiding).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from server.domain.errors import Conflict
from server.domain.events import NewEvent
from server.domain.model import (
    KIND_PRIORITY,
    Channel,
    Hall,
    Priority,
    Role,
    Service,
    Ticket,
    TicketKind,
    TicketState,
    User,
    Window,
    WindowState,
)
from server.store import migrations
from server.store.db import UniqueViolation
from server.store.store import Store
from server.store.tx import Tx
from server.usecases.tickets import IssueRequest
from server.usecases.windows import TransferRequest
from tests.conftest import ALWAYS_OPEN, PG_ADMIN_URL, Desk, FakeClock, HallFixture

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 25)  # the business day of the `clock` fixture's start
VALID_ID = "11010519491231002X"
_serial = itertools.count(1)

# Order dispatch uses unless a window has called too many priority tickets in a row.
NORMAL_ORDER = (Priority.GREEN, Priority.APPOINTMENT, Priority.WALK_IN)
WALK_IN_FIRST = (Priority.WALK_IN, Priority.GREEN, Priority.APPOINTMENT)


def make_ticket(
    hall_id: str,
    at: datetime,
    *,
    service: str = "A",
    day: date = TODAY,
    state: TicketState = TicketState.WAITING,
    kind: TicketKind = TicketKind.WALK_IN,
    priority: Priority | None = None,
    queue_at: datetime | None = None,
    target_window_id: str | None = None,
    fingerprint: str | None = None,
    **fields: object,
) -> Ticket:
    """A ticket row as the store would hold it; numbers are unique per test run."""
    n = next(_serial)
    return Ticket(
        id=f"{hall_id}-t{n}",
        hall_id=hall_id,
        service=service,
        number=f"{service}{n:05d}",
        business_day=day,
        kind=kind,
        channel=Channel.KIOSK,
        state=state,
        priority=priority if priority is not None else KIND_PRIORITY[kind],
        issued_at=at,
        queue_at=queue_at or at,
        token_hash="h" * 64,
        target_window_id=target_window_id,
        id_fingerprint=fingerprint,
        seq_no=n,
        **fields,  # type: ignore[arg-type]
    )


async def insert(store: Store, *tickets: Ticket) -> None:
    now = datetime.now(UTC)
    async with store.write(tickets[0].hall_id, now) as tx:
        for t in tickets:
            await tx.insert_ticket(t)


async def locked_window(tx: Tx, window_id: str) -> Window:
    w = await tx.window(window_id)
    assert w is not None
    return w


async def update(store: Store, *tickets: Ticket) -> None:
    now = datetime.now(UTC)
    async with store.write(tickets[0].hall_id, now) as tx:
        for t in tickets:
            await tx.update_ticket(t)


@asynccontextmanager
async def scratch_database(db_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the same kind as db_url, dropped afterwards."""
    if db_url.startswith("sqlite:"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"ow_scratch_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield db_url.rsplit("/", 1)[0] + "/" + name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class TestStoreContract:
    # --- schema --------------------------------------------------------------------

    async def test_migrations_are_idempotent(self, store: Store) -> None:
        # The fixture opened the store, which migrated it: a second run has nothing to do.
        assert await store.db.migrate() == []
        assert await store.db.migrate() == []
        assert await store.db.pending_migrations() == []

    async def test_migrations_from_an_empty_database(self, db_url: str, tmp_path: Path) -> None:
        async with scratch_database(db_url, tmp_path) as url:
            fresh = Store.from_url(url)
            await fresh.open(migrate=False)
            try:
                versions = [v for v, _ in migrations.load(fresh.dialect)]
                assert versions == sorted(set(versions)) and versions[0] == 1
                assert await fresh.db.pending_migrations() == versions
                assert await fresh.db.migrate() == versions
                assert await fresh.db.migrate() == []
                assert await fresh.db.pending_migrations() == []
                assert await fresh.halls() == []  # the schema is there, and empty
            finally:
                await fresh.close()

    # --- halls, services, windows, users -------------------------------------------

    async def test_hall_services_windows_users_read_back(
        self, store: Store, clock: FakeClock
    ) -> None:
        hall_id = f"rb{secrets.token_hex(4)}"
        hours = {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], "sat": [["09:00", "12:00"]]}
        calendar = {"2026-10-01": False, "2026-10-11": True}
        hall = Hall(hall_id, "历下区政务服务大厅", "Asia/Shanghai", hours, calendar)
        await store.create_hall(hall, clock.now)
        for code, name in (("B", "不动产登记"), ("A", "社保医保")):
            await store.add_service(Service(hall_id, code, name, f"Service {code}", 420))
        await store.add_window(Window(f"{hall_id}-w2", hall_id, 2, "2号窗口", ("B",)))
        await store.add_window(Window(f"{hall_id}-w1", hall_id, 1, "1号窗口", ("B", "A")))
        user = User(f"{hall_id}-u", f"{hall_id}-zhang", "张三", Role.CLERK, hall_id, "pbkdf2$x")
        await store.add_user(user, clock.now)

        assert await store.hall(hall_id) == hall
        assert await store.hall("no-such-hall") is None
        assert [h for h in await store.halls() if h.id == hall_id] == [hall]
        assert await store.services(hall_id) == [
            Service(hall_id, "A", "社保医保", "Service A", 420),
            Service(hall_id, "B", "不动产登记", "Service B", 420),
        ]
        w1 = Window(f"{hall_id}-w1", hall_id, 1, "1号窗口", ("A", "B"), WindowState.CLOSED)
        w2 = Window(f"{hall_id}-w2", hall_id, 2, "2号窗口", ("B",), WindowState.CLOSED)
        assert await store.windows(hall_id) == [w1, w2]
        assert await store.window(w1.id) == w1
        assert await store.window("no-such-window") is None
        assert await store.user_by_name(user.username) == user
        assert await store.user_by_name("nobody") is None

    async def test_update_window_round_trips(self, store: Store, hall: HallFixture) -> None:
        w = await store.window(hall.window(1))
        assert w is not None
        changed = replace(
            w,
            state=WindowState.PAUSED,
            current_ticket_id="t-1",
            clerk_id=hall.clerk(1).id,
            pause_reason="午休",
            priority_streak=2,
            appointment_streak=5,
        )
        read_back = replace(changed, clerk_name="窗口1")  # the clerk's display name joins in
        async with store.write(hall.id, datetime.now(UTC)) as tx:
            await tx.update_window(changed)
            assert await tx.window(w.id) == read_back
        assert await store.window(w.id) == read_back

    # --- ticket numbers -------------------------------------------------------------

    async def test_numbers_are_gapless_per_service_and_restart_each_business_day(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        async def issue(service: str, id_number: str | None = None) -> Ticket:
            req = IssueRequest(service, id_number=id_number)
            view, _ = await desk.tickets.issue(hall.id, req, None, "k1")
            return view.ticket

        numbers = [(await issue(s)).number for s in "AABAB"]
        assert numbers == ["A001", "A002", "B001", "A003", "B002"]

        # A refused issue (the same ID twice) does not use up a number.
        assert (await issue("A", id_number=VALID_ID)).number == "A004"
        with pytest.raises(Conflict) as refused:
            await issue("A", id_number=VALID_ID)
        assert refused.value.code == "duplicate_ticket"
        assert (await issue("A")).number == "A005"

        # 23:58 in Shanghai: still the same business day.
        clock.now = datetime(2026, 11, 25, 23, 58, tzinfo=SHANGHAI)
        late = await issue("A")
        assert (late.number, late.business_day) == ("A006", TODAY)

        # 00:00:30 in Shanghai is still 25 November in UTC, but a new business day.
        clock.now = datetime(2026, 11, 26, 0, 0, 30, tzinfo=SHANGHAI)
        assert clock.now.astimezone(UTC).date() == TODAY
        tomorrow = date(2026, 11, 26)
        first = await issue("A")
        assert (first.number, first.business_day) == ("A001", tomorrow)
        assert (await issue("B")).number == "B001"
        assert (await issue("A")).number == "A002"
        # The same ID may queue again on a new day.
        assert (await issue("A", id_number=VALID_ID)).number == "A003"

        today = [t.number for t in await store.tickets_on(hall.id, TODAY)]
        assert sorted(today) == ["A001", "A002", "A003", "A004", "A005", "A006", "B001", "B002"]
        tomorrows = [t.number for t in await store.tickets_on(hall.id, tomorrow)]
        assert sorted(tomorrows) == ["A001", "A002", "A003", "B001"]

    # --- tickets ----------------------------------------------------------------------

    async def test_ticket_round_trips_every_field(self, store: Store, hall: HallFixture) -> None:
        # Local times with microseconds: the store keeps the instant and the precision.
        issued = datetime(2026, 11, 25, 9, 1, 2, 345678, tzinfo=SHANGHAI)
        t = Ticket(
            id=f"{hall.id}-full",
            hall_id=hall.id,
            service="B",
            number="B042",
            business_day=TODAY,
            kind=TicketKind.GREEN,
            channel=Channel.PHONE,
            state=TicketState.WAITING,
            priority=Priority.GREEN,
            issued_at=issued,
            queue_at=issued + timedelta(microseconds=1),
            token_hash="ab" * 32,
            window_id=None,
            target_window_id=hall.window(2),
            recall_count=0,
            transfer_count=1,
            called_at=None,
            started_at=None,
            finished_at=None,
            id_fingerprint="fp-张三",
            id_masked="110***********002X",
            name_masked="张*",
            phone_masked="138****5678",
            note="孕妇",
            seq_no=42,
            slot_at=issued + timedelta(minutes=30, microseconds=5),
        )
        await insert(store, t)
        got = await store.ticket(t.id)
        assert got == t
        assert got is not None
        assert type(got.business_day) is date
        assert isinstance(got.priority, Priority) and isinstance(got.state, TicketState)
        for value in (got.issued_at, got.queue_at, got.slot_at):
            assert value is not None and value.utcoffset() is not None
        assert got.slot_at is not None and got.slot_at.microsecond == 345683
        assert got.queue_at.microsecond == 345679

        called = issued + timedelta(minutes=7, microseconds=1)
        changed = replace(
            t,
            service="A",
            state=TicketState.DONE,
            priority=Priority.WALK_IN,
            queue_at=issued - timedelta(hours=1, microseconds=999_999),
            window_id=hall.window(1),
            target_window_id=None,
            recall_count=3,
            transfer_count=2,
            called_at=called,
            started_at=called + timedelta(seconds=30, microseconds=2),
            finished_at=called + timedelta(minutes=12, microseconds=3),
            note="转办社保",
        )
        await update(store, changed)
        got = await store.ticket(t.id)
        assert got == changed
        assert got is not None
        for value in (got.called_at, got.started_at, got.finished_at):
            assert value is not None and value.tzinfo is not None
        assert got.finished_at is not None and got.finished_at.microsecond == 345682

        # Nulls round-trip too: a ticket sent back to waiting loses its timestamps.
        back = replace(
            changed,
            state=TicketState.WAITING,
            called_at=None,
            started_at=None,
            finished_at=None,
            window_id=None,
            note=None,
        )
        await update(store, back)
        assert await store.ticket(t.id) == back
        assert await store.ticket("no-such-ticket") is None

    async def test_waiting_counts(self, store: Store, hall: HallFixture, clock: FakeClock) -> None:
        assert await store.waiting_counts(hall.id) == {}
        now = clock.now
        await insert(
            store,
            make_ticket(hall.id, now, service="A"),
            make_ticket(hall.id, now, service="A"),
            make_ticket(hall.id, now, service="A", state=TicketState.CALLED),
            make_ticket(hall.id, now, service="B"),
            make_ticket(hall.id, now, service="C", state=TicketState.DONE),
            make_ticket(hall.id, now, service="D", state=TicketState.CANCELLED),
        )
        assert await store.waiting_counts(hall.id) == {"A": 2, "B": 1}

    async def test_people_ahead_counts_priority_then_queue_time(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        t0 = clock.now
        walk_1 = make_ticket(hall.id, t0)
        walk_2 = make_ticket(hall.id, t0 + timedelta(minutes=1))
        # Appointments queue by slot time, which may be later than a walk-in's issue time.
        appt = make_ticket(
            hall.id,
            t0 + timedelta(minutes=2),
            kind=TicketKind.APPOINTMENT,
            queue_at=t0 + timedelta(minutes=30),
        )
        green = make_ticket(hall.id, t0 + timedelta(minutes=3), kind=TicketKind.GREEN)
        walk_3 = make_ticket(hall.id, t0 + timedelta(minutes=4))
        # Same priority and queue time: the daily counter (seq_no) breaks the tie.
        tie_a = make_ticket(hall.id, t0 + timedelta(minutes=5))
        tie_b = make_ticket(hall.id, t0 + timedelta(minutes=5))
        assert tie_a.seq_no < tie_b.seq_no
        # Not ahead of anyone: another service, or no longer waiting.
        other = make_ticket(hall.id, t0 - timedelta(hours=1), service="B", kind=TicketKind.GREEN)
        gone = make_ticket(hall.id, t0 - timedelta(hours=1), state=TicketState.CALLED)
        await insert(store, walk_1, walk_2, appt, green, walk_3, tie_a, tie_b, other, gone)

        ahead = {
            name: await store.people_ahead(t)
            for name, t in {
                "green": green,
                "appt": appt,
                "walk_1": walk_1,
                "walk_2": walk_2,
                "walk_3": walk_3,
                "tie_a": tie_a,
                "tie_b": tie_b,
                "other": other,
            }.items()
        }
        assert ahead == {
            "green": 0,
            "appt": 1,
            "walk_1": 2,
            "walk_2": 3,
            "walk_3": 4,
            "tie_a": 5,
            "tie_b": 6,
            "other": 0,
        }

    async def test_people_ahead_of_a_ticket_sent_to_a_window(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        t0 = clock.now
        queue = [make_ticket(hall.id, t0 + timedelta(minutes=i)) for i in range(5)]
        # Transferred to window 2 by name, to the back of the queue (queue_at = now).
        sent = make_ticket(
            hall.id,
            t0 + timedelta(minutes=10),
            kind=TicketKind.TRANSFER,
            target_window_id=hall.window(2),
        )
        await insert(store, *queue, sent)
        # Dispatch calls it next at window 2 (the claim is only looked at, then let go) ...
        async with store.write(hall.id, t0) as tx:
            nxt = await tx.claim_next(await locked_window(tx, hall.window(2)), NORMAL_ORDER)
        assert nxt is not None and nxt.id == sent.id
        # ... so nobody is ahead of it; the untargeted queue still sees its own order.
        assert await store.people_ahead(queue[0]) == 0
        assert await store.people_ahead(sent) == 0

    async def test_serving_windows(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        # Windows 1 (A, B) and 2 (A) serve A; 3 (C) and 4 (C, D) serve C.
        assert await store.serving_windows(hall.id, "A") == 0
        await desk.windows.open(hall.window(1), hall.clerk(1))
        await desk.windows.open(hall.window(2), hall.clerk(2))
        await desk.windows.open(hall.window(3), hall.clerk(3))
        assert await store.serving_windows(hall.id, "A") == 2
        assert await store.serving_windows(hall.id, "B") == 1
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        await desk.windows.call_next(hall.window(1), hall.clerk(1))  # window 1 now serving
        assert await store.serving_windows(hall.id, "A") == 2
        await desk.windows.pause(hall.window(2), hall.clerk(2), "午休")
        assert await store.serving_windows(hall.id, "A") == 1
        await desk.windows.close(hall.window(3), hall.clerk(3))
        assert await store.serving_windows(hall.id, "C") == 0
        assert await store.serving_windows(hall.id, "D") == 0

    async def test_recent_service_seconds(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        assert await store.recent_service_seconds(hall.id, "A") == []
        t0 = clock.now

        def served(start_min: int, seconds: float, service: str = "A") -> Ticket:
            start = t0 + timedelta(minutes=start_min)
            return make_ticket(
                hall.id,
                t0,
                service=service,
                state=TicketState.DONE,
                called_at=start,
                started_at=start,
                finished_at=start + timedelta(seconds=seconds),
            )

        await insert(
            store,
            served(0, 60),
            served(10, 90.5),
            served(20, 300),
            served(30, 45, service="B"),
            # A no-show has a finished_at but was never served.
            make_ticket(hall.id, t0, state=TicketState.NO_SHOW, finished_at=t0),
        )
        assert await store.recent_service_seconds(hall.id, "A") == [300, 90.5, 60]
        assert await store.recent_service_seconds(hall.id, "A", limit=2) == [300, 90.5]
        assert await store.recent_service_seconds(hall.id, "B") == [45]

    # --- the event log ---------------------------------------------------------------

    async def test_event_log_is_gapless_paginated_and_keeps_its_epoch(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        position = await store.stream_position(hall.id)
        assert position is not None
        epoch, last = position
        assert last == 0 and epoch
        assert await store.read_events(hall.id, 0) == []
        assert await store.stream_position("no-such-hall") is None

        await desk.windows.open(hall.window(1), hall.clerk(1))
        for _ in range(5):
            clock.advance(seconds=1, microseconds=7)
            await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        # Several events in one transaction take consecutive seqs.
        async with store.write(hall.id, clock.now) as tx:
            tx.emit(NewEvent("test.one", {"n": 1, "名称": "一窗通"}))
            tx.emit(NewEvent("test.two", {"nested": {"list": [1, 2]}}))
        assert [e.seq for e in tx.events] == [7, 8]

        events = await store.read_events(hall.id, 0)
        assert [e.seq for e in events] == list(range(1, 9))
        assert [e.type for e in events] == ["window.opened"] + ["ticket.issued"] * 5 + [
            "test.one",
            "test.two",
        ]
        assert {e.epoch for e in events} == {epoch}
        assert {e.hall_id for e in events} == {hall.id}
        assert events[0].data["window_name"] == "1号窗口"
        assert [e.data["number"] for e in events[1:6]] == ["A001", "A002", "A003", "A004", "A005"]
        assert events[6].data == {"n": 1, "名称": "一窗通"}
        assert events[7].data == {"nested": {"list": [1, 2]}}
        assert events[7].at == clock.now and events[7].at.tzinfo is not None
        assert events[0].at < events[1].at < events[5].at

        # Pagination: (after, limit) pages join up into the whole log.
        pages = [await store.read_events(hall.id, after, limit=3) for after in (0, 3, 6)]
        assert [[e.seq for e in p] for p in pages] == [[1, 2, 3], [4, 5, 6], [7, 8]]
        assert [e for p in pages for e in p] == events
        assert await store.read_events(hall.id, 8) == []
        assert await store.stream_position(hall.id) == (epoch, 8)

        # A transaction without events leaves the stream alone; the epoch never changes.
        async with store.write(hall.id, clock.now) as tx:
            await tx.update_window(await locked_window(tx, hall.window(2)))
        assert tx.events == []
        assert await store.stream_position(hall.id) == (epoch, 8)

    async def test_halls_have_separate_streams(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        other = f"{hall.id}-2"
        await store.create_hall(
            Hall(other, "另一大厅", "Asia/Shanghai", ALWAYS_OPEN, {}), clock.now
        )
        await store.add_service(Service(other, "A", "业务A", "Service A", 300))
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        view, _ = await desk.tickets.issue(other, IssueRequest("A"), None, "k1")
        assert view.ticket.number == "A001"
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        pos_1, pos_2 = await store.stream_position(hall.id), await store.stream_position(other)
        assert pos_1 is not None and pos_2 is not None
        assert (pos_1[1], pos_2[1]) == (2, 1)
        assert pos_1[0] != pos_2[0]
        assert [e.seq for e in await store.read_events(other, 0)] == [1]

    async def test_failed_transaction_rolls_back_everything(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        before = await store.stream_position(hall.id)
        assert before is not None and before[1] == 1
        t = make_ticket(hall.id, clock.now)

        class Boom(Exception):
            pass

        with pytest.raises(Boom):
            async with store.write(hall.id, clock.now) as tx:
                assert await tx.next_number("A", TODAY) == 2
                await tx.insert_ticket(t)
                tx.emit(NewEvent("ticket.issued", {"ticket": t.id}))
                w1 = await locked_window(tx, hall.window(1))
                await tx.update_window(replace(w1, state=WindowState.OPEN))
                raise Boom

        assert await store.ticket(t.id) is None
        assert await store.stream_position(hall.id) == before
        assert len(await store.read_events(hall.id, 0)) == 1
        w = await store.window(hall.window(1))
        assert w is not None and w.state is WindowState.CLOSED
        # The counter was not consumed: the next ticket is A002, and the next seq is 2.
        view, _ = await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        assert view.ticket.number == "A002"
        assert [e.seq for e in await store.read_events(hall.id, 0)] == [1, 2]

    async def test_one_active_ticket_per_id_per_service_per_day(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        now = clock.now
        first = make_ticket(hall.id, now, fingerprint="fp-1")
        await insert(store, first)

        for state in (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING):
            await update(store, replace(first, state=state))
            with pytest.raises(UniqueViolation) as caught:
                await insert(store, make_ticket(hall.id, now, fingerprint="fp-1"))
            if store.dialect == "postgres":
                assert caught.value.constraint == "tickets_one_active_per_id"

        # Another service, another day, another ID, or no ID at all: no conflict.
        await insert(
            store,
            make_ticket(hall.id, now, service="B", fingerprint="fp-1"),
            make_ticket(hall.id, now, day=TODAY + timedelta(days=1), fingerprint="fp-1"),
            make_ticket(hall.id, now, fingerprint="fp-2"),
            make_ticket(hall.id, now),
            make_ticket(hall.id, now),
        )

        # Once the first is settled, the same ID may take another ticket; twice, even.
        for state in (TicketState.DONE, TicketState.NO_SHOW, TicketState.CANCELLED):
            await update(store, replace(first, state=state))
            again = make_ticket(hall.id, now, fingerprint="fp-1")
            await insert(store, again)
            async with store.write(hall.id, now) as tx:
                assert await tx.active_ticket_for("A", TODAY, "fp-1") == again
            await update(store, replace(again, state=TicketState.DONE))

    async def test_call_back_when_the_id_took_a_new_ticket_is_a_conflict(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        clerk, window = hall.clerk(2), hall.window(2)
        passed, _ = await desk.tickets.issue(
            hall.id, IssueRequest("A", id_number=VALID_ID), None, "k1"
        )
        await desk.windows.open(window, clerk)
        await desk.windows.call_next(window, clerk)
        await desk.windows.no_show(window, clerk)
        # A passed ticket no longer holds the ID's place, so the citizen takes a new one.
        await desk.tickets.issue(hall.id, IssueRequest("A", id_number=VALID_ID), None, "k1")
        before = await store.stream_position(hall.id)
        with pytest.raises(Conflict):
            await desk.windows.call_back(window, clerk, passed.ticket.id)
        got = await store.ticket(passed.ticket.id)
        assert got is not None and got.state is TicketState.NO_SHOW
        assert await store.stream_position(hall.id) == before

    async def test_transfer_into_a_service_the_id_already_queues_for_is_a_conflict(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        clerk, window = hall.clerk(2), hall.window(2)  # window 2 serves A only
        at_a, _ = await desk.tickets.issue(
            hall.id, IssueRequest("A", id_number=VALID_ID), None, "k1"
        )
        await desk.tickets.issue(hall.id, IssueRequest("B", id_number=VALID_ID), None, "k1")
        await desk.windows.open(window, clerk)
        await desk.windows.call_next(window, clerk)
        before = await store.stream_position(hall.id)
        with pytest.raises(Conflict):
            await desk.windows.transfer(window, clerk, TransferRequest(service="B"))
        got = await store.ticket(at_a.ticket.id)
        assert got is not None and got.state is TicketState.CALLED
        assert await store.stream_position(hall.id) == before

    # --- dispatch ---------------------------------------------------------------------

    async def _claim_all(
        self, store: Store, hall: HallFixture, window_id: str, order: tuple[Priority, ...]
    ) -> list[str]:
        """Claim and call tickets at one window until none is left; their ids in order."""
        claimed: list[str] = []
        while True:
            async with store.write(hall.id, datetime.now(UTC)) as tx:
                w = await locked_window(tx, window_id)
                t = await tx.claim_next(w, order)
                if t is None:
                    return claimed
                assert t.state is TicketState.WAITING
                await tx.update_ticket(replace(t, state=TicketState.CALLED, window_id=w.id))
                claimed.append(t.id)

    async def test_claim_next_order(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        t0 = clock.now
        here, there = hall.window(1), hall.window(2)  # window 1 serves A, B
        walk_early = make_ticket(hall.id, t0)
        walk_b = make_ticket(hall.id, t0 + timedelta(minutes=1), service="B")
        appt = make_ticket(hall.id, t0 + timedelta(minutes=2), kind=TicketKind.APPOINTMENT)
        green_late = make_ticket(hall.id, t0 + timedelta(minutes=9), kind=TicketKind.GREEN)
        green = make_ticket(hall.id, t0 + timedelta(minutes=3), kind=TicketKind.GREEN)
        # Transferred to window 1 by name, even for a service it does not list: first there.
        to_here = make_ticket(
            hall.id,
            t0 + timedelta(minutes=20),
            service="C",
            kind=TicketKind.TRANSFER,
            target_window_id=here,
        )
        # Transferred to window 2: window 1 never gets it, however early and urgent.
        to_there = make_ticket(
            hall.id, t0 - timedelta(hours=1), kind=TicketKind.GREEN, target_window_id=there
        )
        not_served = make_ticket(hall.id, t0 - timedelta(hours=1), service="C")
        not_waiting = make_ticket(hall.id, t0 - timedelta(hours=1), state=TicketState.NO_SHOW)
        await insert(
            store,
            walk_early,
            walk_b,
            appt,
            green_late,
            green,
            to_here,
            to_there,
            not_served,
            not_waiting,
        )

        claimed = await self._claim_all(store, hall, here, NORMAL_ORDER)
        assert claimed == [to_here.id, green.id, green_late.id, appt.id, walk_early.id, walk_b.id]
        left = await store.ticket(to_there.id)
        assert left is not None and left.state is TicketState.WAITING
        # Window 2 does get it.
        assert await self._claim_all(store, hall, there, NORMAL_ORDER) == [to_there.id]

    async def test_claim_next_follows_the_class_order_given(
        self, store: Store, hall: HallFixture, clock: FakeClock
    ) -> None:
        t0 = clock.now
        green = make_ticket(hall.id, t0, kind=TicketKind.GREEN)
        appt = make_ticket(hall.id, t0 + timedelta(minutes=1), kind=TicketKind.APPOINTMENT)
        walk_2 = make_ticket(hall.id, t0 + timedelta(minutes=3))
        walk_1 = make_ticket(hall.id, t0 + timedelta(minutes=2))
        await insert(store, green, appt, walk_2, walk_1)
        claimed = await self._claim_all(store, hall, hall.window(2), WALK_IN_FIRST)
        assert claimed == [walk_1.id, walk_2.id, green.id, appt.id]

    async def test_call_next_takes_a_walk_in_after_a_priority_streak(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        """Through the use case: the interleave keeps walk-ins from starving."""
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")  # A001 walk-in
        for _ in range(4):
            clock.advance(seconds=1)
            await desk.tickets.issue(
                hall.id,
                IssueRequest("A", kind=TicketKind.GREEN, green_reason="disabled"),
                hall.clerk(1),  # staff give this green channel
                "k1",
            )
        clerk, window = hall.clerk(2), hall.window(2)
        await desk.windows.open(window, clerk)
        called = []
        for _ in range(5):
            r = await desk.windows.call_next(window, clerk)
            assert r.ticket is not None
            called.append(r.ticket.number)
            await desk.windows.start(window, clerk)
            await desk.windows.finish(window, clerk)
        assert called == ["A002", "A003", "A004", "A001", "A005"]

    # --- the end of a business day ------------------------------------------------

    async def test_void_stale_voids_only_waiting_and_no_show_of_earlier_days(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        yesterday, last_week = TODAY - timedelta(days=1), TODAY - timedelta(days=7)
        t_prev = clock.now - timedelta(days=1)
        stale = [
            make_ticket(hall.id, t_prev, day=yesterday),
            make_ticket(
                hall.id, t_prev, day=yesterday, state=TicketState.NO_SHOW, finished_at=t_prev
            ),
            make_ticket(hall.id, t_prev, day=last_week, service="C"),
        ]
        kept = [
            make_ticket(hall.id, t_prev, day=yesterday, state=TicketState.CALLED),
            make_ticket(hall.id, t_prev, day=yesterday, state=TicketState.SERVING),
            make_ticket(hall.id, t_prev, day=yesterday, state=TicketState.DONE),
            make_ticket(hall.id, t_prev, day=yesterday, state=TicketState.CANCELLED),
            make_ticket(hall.id, clock.now),
            make_ticket(hall.id, clock.now, state=TicketState.NO_SHOW),
        ]
        await insert(store, *stale, *kept)
        async with store.write(hall.id, clock.now) as tx:
            found = await tx.stale_tickets(TODAY)
        assert [t.id for t in found] == [stale[2].id, stale[0].id, stale[1].id]

        assert await desk.tickets.void_stale(hall.id, clock.now) == 3
        for t in stale:
            got = await store.ticket(t.id)
            assert got is not None
            assert (got.state, got.finished_at) == (TicketState.VOID, clock.now)
        for t in kept:
            assert await store.ticket(t.id) == t
        events = await store.read_events(hall.id, 0)
        assert [(e.seq, e.type) for e in events] == [
            (1, "ticket.voided"),
            (2, "ticket.voided"),
            (3, "ticket.voided"),
        ]
        assert {e.data["ticket"] for e in events} == {t.id for t in stale}

        # A second run finds nothing and writes nothing.
        assert await desk.tickets.void_stale(hall.id, clock.now) == 0
        pos = await store.stream_position(hall.id)
        assert pos is not None and pos[1] == 3

    async def test_void_stale_uses_the_hall_business_day(
        self, store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
    ) -> None:
        await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
        # 23:59:59 local: still the same day, nothing stale.
        late = datetime(2026, 11, 25, 23, 59, 59, tzinfo=SHANGHAI)
        assert await desk.tickets.void_stale(hall.id, late) == 0
        # One second later it is the next business day in Shanghai (still the 25th in UTC).
        assert await desk.tickets.void_stale(hall.id, late + timedelta(seconds=1)) == 1
