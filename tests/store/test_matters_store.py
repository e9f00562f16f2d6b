"""The matters catalog's store contract on SQLite and PostgreSQL (server.store.matters_sql).

Every test uses a hall of its own (the PostgreSQL database is shared by the run).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from server.domain.matter import Material, Matter
from server.store import matters_sql as sql
from server.store.store import Store
from tests.conftest import FakeClock, HallFixture


def matter(hall_id: str, code: str, name: str = "居民身份证换领", **changes: object) -> Matter:
    m = Matter(
        hall_id=hall_id, code=code, name=name, lead_department="gaj",
        departments=("gaj", "swj"),
        materials=(Material("id_card", "身份证", 1, 1), Material("photo", "照片", waivable=True)),
        promised_days=5, legal_days=20, intake_service="D", pickup_service="C",
        fees="20 元", apply_at="4号窗口", pickup_at="6号窗口", name_en="ID card",
        initials="jmsfzhl",
    )  # fmt: skip
    return replace(m, **changes)  # type: ignore[arg-type]


async def test_save_inserts_then_replaces_and_reads_back(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    m = matter(hall.id, "GA-001")
    async with store.db.transaction() as c:
        assert await sql.save(c, m, clock.now) is True
        assert await sql.get(c, hall.id, "GA-001") == m
    changed = replace(m, name="身份证补领", initials="sfzbl", departments=("swj",),
                      lead_department="swj", materials=(), enabled=False)  # fmt: skip
    async with store.db.transaction() as c:
        assert await sql.save(c, changed, clock.advance(minutes=1)) is False
    async with store.db.reader() as c:
        assert await sql.get(c, hall.id, "GA-001") == changed
        assert await sql.get(c, hall.id, "GA-404") is None
        assert await sql.get(c, "no-hall", "GA-001") is None


async def test_listing_a_hall_all_or_enabled_only_by_code(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    async with store.db.transaction() as c:
        for code, enabled in (("b-2", True), ("A-1", True), ("Z-9", False), ("a-0", True)):
            await sql.save(c, matter(hall.id, code, enabled=enabled), clock.now)
    async with store.db.reader() as c:
        every = [m.code for m in await sql.of_hall(c, hall.id, enabled_only=False)]
        enabled = [m.code for m in await sql.of_hall(c, hall.id, enabled_only=True)]
        assert await sql.of_hall(c, "no-hall", enabled_only=False) == []
    assert every == ["A-1", "Z-9", "a-0", "b-2"]  # code points, whatever the collation
    assert enabled == ["A-1", "a-0", "b-2"]


async def test_search_by_name_initials_and_code(
    store: Store, hall: HallFixture, clock: FakeClock
) -> None:
    rows = (("GA-001", "居民身份证换领", "jmsfzhl", True), ("GA-002", "身份证补领", "sfzbl", True),
            ("SC_1", "个体工商户设立登记 100%", "gtgshsldj100", True),
            ("OLD", "身份证挂失", "sfzgs", False))  # fmt: skip
    async with store.db.transaction() as c:
        for code, name, initials, enabled in rows:
            await sql.save(c, matter(hall.id, code, name, initials=initials, enabled=enabled),
                           clock.now)  # fmt: skip

    async def found(q: str, enabled_only: bool = True) -> list[str]:
        async with store.db.reader() as c:
            return [m.code for m in await sql.search(c, hall.id, q, enabled_only=enabled_only)]

    assert await found("身份证") == ["GA-001", "GA-002"]
    assert await found("身份证", enabled_only=False) == ["GA-001", "GA-002", "OLD"]
    assert await found("SFZ") == ["GA-001", "GA-002"]  # initials: anywhere, any case
    assert await found("ga-") == ["GA-001", "GA-002"]  # code: a prefix, any case
    assert await found("sc_") == ["SC_1"]  # "_" is itself, not "any character"
    assert await found("s_") == []
    assert await found("100%") == ["SC_1"]  # so is "%"
    assert await found("0%") == ["SC_1"]
    assert await found("1%0") == []
    assert await found("\\") == []


async def test_delete_and_in_use(store: Store, hall: HallFixture, clock: FakeClock) -> None:
    async with store.db.transaction() as c:
        await sql.save(c, matter(hall.id, "M1"), clock.now)
        await sql.save(c, matter(hall.id, "M2"), clock.now)
        assert await sql.in_use(c, hall.id, "M1") is False
        await c.execute(
            "INSERT INTO cases (id, hall_id, number, matter, state, business_day, channel,"
            " created_at, id_fingerprint, id_masked, name_masked, personal_enc, checklist,"
            " missing, promised_days, legal_days) VALUES ($1, $2, $3, 'M1', 'archived', $4,"
            " 'window', $5, 'fp', '370***********0011', '张*', 'x', '{}', '[]', 5, 20)",
            f"case-{hall.id}", hall.id, f"{hall.id}-1", date(2026, 11, 25) - timedelta(days=400),
            clock.now,
        )  # fmt: skip
    async with store.db.transaction() as c:
        assert await sql.in_use(c, hall.id, "M1") is True  # archived or not
        assert await sql.in_use(c, hall.id, "M2") is False
        assert await sql.delete(c, hall.id, "M2") is True
        assert await sql.delete(c, hall.id, "M2") is False
        assert await sql.get(c, hall.id, "M2") is None
