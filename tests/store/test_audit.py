"""The audit trail on both stores: the hash chain, its checks, purging, reading and export.

Each test gets a database of its own (a fresh PostgreSQL database, or a SQLite
file): ``AuditLog.verify`` and ``purge`` look at every chain in the database,
and these tests break chains on purpose.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import random
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from server import audit
from server.audit import AuditRecord
from server.bus.memory import MemoryBus
from server.domain.errors import Forbidden
from server.domain.model import Actor, Role
from server.store.audit_sql import AuditQuery
from server.store.db import Row
from server.store.store import Store
from server.usecases.audit_log import CSV_COLUMNS, AuditLog
from server.usecases.context import Context
from tests.conftest import FakeClock

ADMIN = Actor("u-admin", "admin", Role.ADMIN, None, client="10.0.0.1", user_agent="pytest")
CLERK = Actor("u-clerk", "clerk1", Role.CLERK, "h1", client="10.0.0.2", user_agent="pytest")
SUPERVISOR = Actor("u-sup", "sup1", Role.SUPERVISOR, "h1", client="10.0.0.3")
OTHER_SUPERVISOR = Actor("u-sup2", "sup2", Role.SUPERVISOR, "h2", client="10.0.0.4")


@pytest.fixture
def db_url(own_db_url: str) -> str:
    """Overrides tests/conftest.py's: a database of this test's own on either backend."""
    return own_db_url


def _log(store: Store, clock: FakeClock) -> AuditLog:
    return AuditLog(Context(store=store, bus=MemoryBus(), clock=clock, secret=b"test-secret"))


async def _write(store: Store, now: datetime, *records: AuditRecord) -> None:
    """One write transaction carrying these audit records (and nothing else)."""
    async with store.write(records[0].chain, now) as tx:
        for rec in records:
            tx.audit(rec)


async def _rows(store: Store, chain: str) -> list[Row]:
    async with store.db.reader() as c:
        return await c.fetch("SELECT * FROM audit_log WHERE chain = $1 ORDER BY seq", chain)


async def _sql(store: Store, sql: str, *args: Any) -> None:
    async with store.db.transaction() as c:
        await c.execute(sql, *args)


async def _five_rows(store: Store, clock: FakeClock, chain: str = "h1") -> None:
    for i in range(1, 6):
        await _write(store, clock.advance(minutes=1),
                     audit.record(CLERK, chain, "window.opened", f"{chain}-w{i}", step=i))  # fmt: skip


def _names_row(problems: Iterable[str], seq: int) -> bool:
    return any(re.search(rf"#{seq}(?!\d)", p) for p in problems)


# --- the chain ---------------------------------------------------------------------------


async def test_an_untouched_log_verifies(store: Store, clock: FakeClock) -> None:
    log = _log(store, clock)
    assert await log.verify() == []  # an empty log is intact
    await _five_rows(store, clock, "h1")
    # One transaction writing to several chains: each gets its own seq.
    await _write(store, clock.advance(minutes=1),
                 audit.record(ADMIN, None, "config.department.created", "d1", name="人社局"),
                 audit.record(ADMIN, "h2", "config.hall.created", "h2"),
                 audit.record(ADMIN, "h1", "config.service.created", "h1:A"))  # fmt: skip
    assert await log.verify() == []
    heads = await log.heads()
    assert {chain: seq for chain, (seq, _) in heads.items()} == {"*": 1, "h1": 6, "h2": 1}
    rows = await _rows(store, "h1")
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    assert heads["h1"] == (6, rows[-1]["hash"])
    # The row holds who, from where, and the detail as exact JSON.
    first = rows[0]
    assert (first["actor_id"], first["actor_name"], first["role"], first["client"]) == (
        "u-clerk", "clerk1", "clerk", "10.0.0.2")  # fmt: skip
    assert (first["action"], first["target"], json.loads(first["detail"])) == (
        "window.opened", "h1-w1", {"step": 1})  # fmt: skip


async def test_a_different_secret_does_not_verify(db_url: str, clock: FakeClock) -> None:
    """The hashes are keyed: a chain rewritten without the secret cannot pass."""
    mine = Store.from_url(db_url, b"secret-one")
    await mine.open()
    try:
        await _five_rows(mine, clock)
        assert await _log(mine, clock).verify() == []
    finally:
        await mine.close()
    other = Store.from_url(db_url, b"secret-two")
    await other.open()
    try:
        problems = await _log(other, clock).verify()
    finally:
        await other.close()
    assert all(_names_row(problems, n) for n in range(1, 6)), problems


# Every column of a row, and a value different from what it holds.
EDITS: dict[str, Any] = {
    "chain": lambda r: "h9",
    "seq": lambda r: 1000,
    "at": lambda r: r["at"] + timedelta(microseconds=1),
    "actor_id": lambda r: "u-mallory",
    "actor_name": lambda r: "mallory",
    "role": lambda r: "admin",
    "action": lambda r: "window.closed",
    "target": lambda r: None,
    "client": lambda r: "192.0.2.66",
    "user_agent": lambda r: "curl/8",
    "detail": lambda r: '{"step":33}',
    "prev_hash": lambda r: "f" * 64,
    "hash": lambda r: "e" * 64,
}


@pytest.mark.parametrize("column", sorted(EDITS))
async def test_an_edited_row_is_found(store: Store, clock: FakeClock, column: str) -> None:
    log = _log(store, clock)
    await _five_rows(store, clock)
    original = (await _rows(store, "h1"))[2]
    assert original["seq"] == 3
    changed = EDITS[column](original)
    assert changed != original[column]
    await _sql(store, f"UPDATE audit_log SET {column} = $1 WHERE chain = 'h1' AND seq = 3",
               changed)  # fmt: skip
    problems = await log.verify()
    assert problems, f"editing {column} went unnoticed"
    assert _names_row(problems, 3), problems
    # Put back exactly what was there: the chain is whole again.
    chain = changed if column == "chain" else "h1"
    seq = changed if column == "seq" else 3
    await _sql(store, f"UPDATE audit_log SET {column} = $1 WHERE chain = $2 AND seq = $3",
               original[column], chain, seq)  # fmt: skip
    assert await log.verify() == []


async def test_a_deleted_middle_row_is_found(store: Store, clock: FakeClock) -> None:
    await _five_rows(store, clock)
    await _sql(store, "DELETE FROM audit_log WHERE chain = 'h1' AND seq = 3")
    problems = await _log(store, clock).verify()
    assert problems and _names_row(problems, 3), problems
    assert all(p.startswith("h1") for p in problems), problems


async def test_a_deleted_first_row_is_found(store: Store, clock: FakeClock) -> None:
    await _five_rows(store, clock)
    await _sql(store, "DELETE FROM audit_log WHERE chain = 'h1' AND seq = 1")
    problems = await _log(store, clock).verify()
    assert problems, "a chain with its first row gone passed"
    assert any("missing" in p for p in problems), problems


async def test_a_deleted_last_row_is_found(store: Store, clock: FakeClock) -> None:
    await _five_rows(store, clock)
    await _sql(store, "DELETE FROM audit_log WHERE chain = 'h1' AND seq = 5")
    problems = await _log(store, clock).verify()
    assert any("head" in p for p in problems), problems


# --- purge -------------------------------------------------------------------------------


async def test_purge_removes_old_rows_and_leaves_a_checkpoint(
    store: Store, clock: FakeClock
) -> None:
    log = _log(store, clock)
    start = clock.now
    await _five_rows(store, clock, "h1")  # seq 1–5
    await _write(store, clock.advance(minutes=1), audit.record(ADMIN, None, "auth.sign_in", "a"))
    await _write(store, clock.advance(minutes=1), audit.record(ADMIN, None, "auth.sign_in", "b"))
    old_h1 = await _rows(store, "h1")
    clock.advance(days=181)
    # Recent rows in h1 (seq 6, 7), none in "*".
    await _write(store, clock.now, audit.record(CLERK, "h1", "window.closed", "h1-w1"))
    await _write(store, clock.now, audit.record(CLERK, "h1", "window.opened", "h1-w1"))

    removed = await log.purge(clock.now, 180)
    assert removed == {"h1": 5, "*": 2}
    h1 = await _rows(store, "h1")
    assert [r["seq"] for r in h1] == [6, 7, 8]
    assert [r["action"] for r in h1] == ["window.closed", "window.opened", audit.PURGED]
    checkpoint = json.loads(h1[-1]["detail"])
    assert checkpoint == {"through_seq": 5, "last_hash": old_h1[-1]["hash"], "removed": 5,
                          "retention_days": 180}  # fmt: skip
    assert h1[-1]["at"] == clock.now
    star = await _rows(store, "*")
    assert [(r["seq"], r["action"]) for r in star] == [(3, audit.PURGED)]
    assert all(r["at"] >= start + timedelta(days=181) for r in h1 + star)
    assert await log.verify() == []

    # Nothing else is old yet: a second purge removes nothing and adds no checkpoint.
    assert await log.purge(clock.now, 180) == {}
    assert len(await _rows(store, "h1")) == 3
    assert await log.verify() == []

    # Later still, the rows kept last time go too (an aged checkpoint may go with them,
    # replaced by a new one); every chain still verifies.
    clock.advance(days=181)
    removed = await log.purge(clock.now, 180)
    assert removed.get("h1", 0) >= 2, removed
    for chain in ("h1", "*"):
        left = await _rows(store, chain)
        assert left and {r["action"] for r in left} == {audit.PURGED}, (chain, left)
    h1_last = (await _rows(store, "h1"))[-1]
    assert json.loads(h1_last["detail"])["through_seq"] >= 7
    assert await log.verify() == []

    # A checkpoint does not excuse rows missing after it.
    await _write(store, clock.now, audit.record(CLERK, "h1", "window.closed", "h1-w1"))
    await _write(store, clock.now, audit.record(CLERK, "h1", "window.opened", "h1-w1"))
    gone = (await _rows(store, "h1"))[-2]["seq"]
    await _sql(store, "DELETE FROM audit_log WHERE chain = 'h1' AND seq = $1", gone)
    problems = await log.verify()
    assert problems and _names_row(problems, gone), problems


async def test_purge_with_nothing_old_changes_nothing(store: Store, clock: FakeClock) -> None:
    log = _log(store, clock)
    await _five_rows(store, clock)
    assert await log.purge(clock.advance(days=10), 180) == {}
    assert len(await _rows(store, "h1")) == 5
    assert await log.verify() == []


# --- concurrent writers ------------------------------------------------------------------


async def test_concurrent_appends_leave_a_gapless_chain(
    store: Store, db_url: str, clock: FakeClock
) -> None:
    """Many transactions at once, some writing two chains in either order, some from a
    second store (another server process on PostgreSQL), all starting on new chains."""
    stores = [store]
    if store.dialect == "postgres":
        second = Store.from_url(db_url)
        await second.open(migrate=False)
        stores.append(second)
    rng = random.Random(7)
    n = 120

    async def one(i: int) -> None:
        chains = ["h1"] if i % 3 else ["h1", "h2"]
        rng.shuffle(chains)
        recs = [audit.record(CLERK, c, "window.called", f"t{i}", i=i) for c in chains]
        await _write(stores[i % len(stores)], clock.now + timedelta(microseconds=i), *recs)

    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        for s in stores[1:]:
            await s.close()
    h1, h2 = await _rows(store, "h1"), await _rows(store, "h2")
    assert [r["seq"] for r in h1] == list(range(1, n + 1))
    assert [r["seq"] for r in h2] == list(range(1, len(range(0, n, 3)) + 1))
    assert sorted(json.loads(r["detail"])["i"] for r in h1) == list(range(n))
    assert await _log(store, clock).verify() == []


# --- reading -----------------------------------------------------------------------------


async def _varied_log(store: Store, clock: FakeClock) -> list[datetime]:
    """Rows in three chains; several share a timestamp (one transaction, several chains)."""
    times = []
    for i in range(12):
        now = clock.advance(minutes=5)
        times.append(now)
        actor = (ADMIN, CLERK, SUPERVISOR)[i % 3]
        recs = [audit.record(actor, "h1", ("auth.sign_in", "config.window.updated",
                                           "config.service.created", "ticket.move")[i % 4],
                             f"target-{i % 5}", i=i)]  # fmt: skip
        if i % 2 == 0:
            recs.append(audit.record(actor, "h2", "config.hall.updated", "h2", i=i))
        if i % 3 == 0:
            recs.append(audit.record(ADMIN, None, "config.department.updated", "d1", i=i))
        await _write(store, now, *recs)
    return times


async def _all_pages(log: AuditLog, actor: Actor, q: AuditQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = None
    for _ in range(100):
        entries, nxt = await log.page(actor, replace(q, before=before))
        assert len(entries) <= q.limit
        out += entries
        if nxt is None:
            return out
        assert len(entries) == q.limit
        before = nxt
    raise AssertionError("paging did not end")


async def test_page_filters_and_pages_through_every_row_once(
    store: Store, clock: FakeClock
) -> None:
    log = _log(store, clock)
    times = await _varied_log(store, clock)
    everything, nxt = await log.page(ADMIN, AuditQuery(limit=1000))
    assert nxt is None
    assert len(everything) == 12 + 6 + 4
    ids = [e["id"] for e in everything]
    assert len(set(ids)) == len(ids)
    # Newest first; rows of one moment in chain order, then newest seq first.
    keys = [(e["at"], e["hall"] or "*", e["seq"]) for e in everything]
    assert keys == sorted(keys, key=lambda k: (-k[0].timestamp(), k[1], -k[2]))
    assert {e["hall"] for e in everything} == {None, "h1", "h2"}

    def expect(pred: Any) -> list[str]:
        return [e["id"] for e in everything if pred(e)]

    since, until = times[3], times[8]
    cases: list[tuple[AuditQuery, list[str]]] = [
        (AuditQuery(actor="clerk1"), expect(lambda e: e["actor"] == "clerk1")),
        (AuditQuery(action="auth.sign_in"), expect(lambda e: e["action"] == "auth.sign_in")),
        (AuditQuery(action="config."), expect(lambda e: e["action"].startswith("config."))),
        (AuditQuery(action="config"), []),  # not a prefix without the dot
        (AuditQuery(target="target-2"), expect(lambda e: e["target"] == "target-2")),
        (AuditQuery(since=since), expect(lambda e: e["at"] >= since)),
        (AuditQuery(until=until), expect(lambda e: e["at"] < until)),
        # The same instants written in Beijing time.
        (AuditQuery(since=since.astimezone(timezone(timedelta(hours=8))),
                    until=until.astimezone(timezone(timedelta(hours=8)))),
         expect(lambda e: since <= e["at"] < until)),
        (AuditQuery(chain="h2"), expect(lambda e: e["hall"] == "h2")),
        (AuditQuery(chain="*"), expect(lambda e: e["hall"] is None)),
        (AuditQuery(chain="h1", actor="admin", action="config."),
         expect(lambda e: e["hall"] == "h1" and e["actor"] == "admin"
                and e["action"].startswith("config."))),
    ]  # fmt: skip
    for q, want in cases:
        assert want or q.action == "config", q
        for limit in (1000, 3):
            got = await _all_pages(log, ADMIN, replace(q, limit=limit))
            assert [e["id"] for e in got] == want, (q, limit)

    # Paging through everything, two at a time: every row exactly once, in order.
    paged = await _all_pages(log, ADMIN, AuditQuery(limit=2))
    assert [e["id"] for e in paged] == ids


async def test_entries_say_who_did_what(store: Store, clock: FakeClock) -> None:
    await _write(store, clock.now, audit.record(CLERK, "h1", "ticket.move", "t-1", number="A001"))
    entries, _ = await _log(store, clock).page(ADMIN, AuditQuery(chain="h1"))
    assert entries == [{
        "id": "h1:1", "hall": "h1", "seq": 1, "at": clock.now, "actor": "clerk1",
        "actor_id": "u-clerk", "role": "clerk", "action": "ticket.move", "target": "t-1",
        "client": "10.0.0.2", "user_agent": "pytest", "detail": {"number": "A001"},
    }]  # fmt: skip


async def test_a_supervisor_sees_only_their_hall(store: Store, clock: FakeClock) -> None:
    log = _log(store, clock)
    await _varied_log(store, clock)
    mine = await _all_pages(log, SUPERVISOR, AuditQuery(limit=4))
    assert mine and {e["hall"] for e in mine} == {"h1"}
    assert [e["id"] for e in await _all_pages(log, SUPERVISOR, AuditQuery(chain="h1"))] == [
        e["id"] for e in mine
    ]
    for q in (AuditQuery(chain="h2"), AuditQuery(chain="*")):
        with pytest.raises(Forbidden) as err:
            await log.page(SUPERVISOR, q)
        assert err.value.code == "other_hall"
        with pytest.raises(Forbidden):
            await log.csv(SUPERVISOR, q)
    with pytest.raises(Forbidden) as err:
        await log.page(OTHER_SUPERVISOR, AuditQuery(chain="h1"))
    assert err.value.code == "other_hall"
    with pytest.raises(Forbidden) as err:
        await log.page(CLERK, AuditQuery(chain="h1"))
    assert err.value.code == "role_forbidden"


async def test_csv_has_a_bom_a_header_and_no_formulas(store: Store, clock: FakeClock) -> None:
    sly = Actor("u-x", "@sly", Role.ADMIN, None, client="10.0.0.9", user_agent="-ua")
    await _write(store, clock.now,
                 audit.record(sly, "h1", "config.window.updated", '=HYPERLINK("http://x","y")',
                              name="窗口一"),
                 audit.record(ADMIN, "h1", "auth.sign_in", "+cmd"))  # fmt: skip
    text = await _log(store, clock).csv(ADMIN, AuditQuery(chain="h1"))
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert tuple(table[0]) == CSV_COLUMNS
    assert len(table) == 3
    by_seq = {row[2]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in table[1:]}
    first = by_seq["1"]
    assert first["target"] == '\'=HYPERLINK("http://x","y")'
    assert first["actor"] == "'@sly"
    assert first["user_agent"] == "'-ua"
    assert first["hall"] == "h1" and first["action"] == "config.window.updated"
    assert json.loads(first["detail"]) == {"name": "窗口一"}  # Chinese as is, not escaped
    assert "窗口一" in first["detail"]
    assert by_seq["2"]["target"] == "'+cmd"
    for row in table[1:]:
        assert all(cell[:1] not in ("=", "+", "-", "@") for cell in row), row
