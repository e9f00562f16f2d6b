"""The hall the case benchmarks (``bench.cases``) work in, and timed intake.

Ten back-office departments, two officers each, and 30 matters: matter i is
approved by 1 + i % 3 departments in parallel, the lead first, taken round the
ten so each department approves six matters and gets a fifth of all cases' tasks.
Everything goes through the use cases over the real store, on a clock the bench
sets (never the wall clock).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.appointments import SECRET, TimedStore  # the store seals with this secret
from bench.common import ALWAYS_OPEN, summary
from server.bus.memory import MemoryBus
from server.domain.identity import check_character
from server.domain.model import Actor, Department, DepartmentKind, Hall, Role, Service
from server.store import config_sql
from server.store.postgres import PostgresDatabase
from server.usecases.case_tasks import CaseTasks
from server.usecases.cases import Applicant, Cases, CaseView, IntakeRequest
from server.usecases.context import Context
from server.usecases.matters import Matters

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # Wednesday 10:00: the fixed clock
POOL = 20  # the server's default pool
DEPARTMENTS = 10
OFFICERS = 2  # per department
MATTERS = 30
CLERKS = 20  # intake windows working at once
ADMIN = Actor("bench-admin", "admin", Role.ADMIN, None)
RECEIVED = {"form": "received", "licence": "received", "plan": "received"}


def dept_ids(prefix: str) -> list[str]:
    return [f"{prefix}-d{n:02d}" for n in range(1, DEPARTMENTS + 1)]


def matter_code(i: int) -> str:
    return f"m{i % MATTERS:02d}"


def matter_depts(depts: list[str], i: int) -> list[str]:
    """Matter i's approving departments: 1, 2 or 3 of them, the lead first."""
    return [depts[(i + j) % len(depts)] for j in range(1 + i % 3)]


def officers(depts: list[str]) -> list[Actor]:
    return [
        Actor(f"{d}-o{k}", f"{d}-o{k}", Role.OFFICER, None, department_id=d)
        for d in depts
        for k in range(OFFICERS)
    ]


def id_number(n: int) -> str:
    """A valid, distinct ID number per n (up to about 30 million)."""
    first = f"370102{date(1950, 1, 1) + timedelta(days=n // 900):%Y%m%d}{n % 900:03d}"
    return first + check_character(first)


def matter_body(depts: list[str], n: int) -> dict[str, Any]:
    return {
        "name": f"压测事项{n:02d}", "departments": depts, "promised_days": 5, "legal_days": 20,
        "intake_service": "A", "pickup_service": "B", "pickup_at": "统一出件窗口",
        "materials": [
            {"key": "form", "name": "申请书", "required": True},
            {"key": "licence", "name": "营业执照", "required": True, "waivable": True},
            {"key": "plan", "name": "布局平面图", "required": False},
        ],
    }  # fmt: skip


@dataclass
class Office:
    """The use cases over one store (noting how long each write transaction holds its
    connection), on a clock the bench moves."""

    store: TimedStore
    cases: Cases
    tasks: CaseTasks
    now: list[datetime] = field(default_factory=lambda: [AT])

    @classmethod
    async def open(cls, url: str, pool: int = POOL) -> Office:
        # Every connection opened up front: the first timed intakes do not pay for them.
        store = TimedStore(PostgresDatabase(url, min_size=pool, max_size=pool))
        await store.open()
        clock = [AT]
        ctx = Context(store=store, bus=MemoryBus(), clock=lambda: clock[0], secret=SECRET)
        matters = Matters(ctx)
        return cls(store, Cases(ctx, matters), CaseTasks(ctx, matters), clock)

    async def close(self) -> None:
        await self.store.close()

    async def add_halls(self, halls: list[str], prefix: str) -> list[str]:
        """The halls with their intake (A) and pickup (B) services, the departments
        serving all of them, and each hall's 30 matters; returns the departments."""
        for hall_id in halls:
            await self.store.create_hall(
                Hall(hall_id, "压测大厅", "Asia/Shanghai", ALWAYS_OPEN, {}), AT
            )
            for code in "AB":
                await self.store.add_service(Service(hall_id, code, f"业务{code}", code, 300))
        depts = dept_ids(prefix)
        async with self.store.db.transaction() as c:
            for n, d in enumerate(depts, 1):
                dept = Department(d, f"审批局{n}", DepartmentKind.BACK, tuple(halls))
                await config_sql.save_department(c, dept, AT, insert=True)
        for hall_id in halls:
            for i in range(MATTERS):
                body = matter_body(matter_depts(depts, i), i)
                await self.cases.matters.save(ADMIN, hall_id, matter_code(i), body)
        return depts

    async def intake(
        self, hall_id: str, first: int, n: int
    ) -> tuple[dict[str, Any], list[CaseView]]:
        """Cases first..first+n-1 taken in and accepted by CLERKS clerks at once, each
        clerk taking the next case as soon as it is done: rate, CPU, latency."""
        clerks = [Actor(f"{hall_id}-c{k}", f"clerk{k}", Role.CLERK, hall_id) for k in range(CLERKS)]
        views: list[CaseView | None] = [None] * n
        lat: list[float] = []
        todo = iter(range(n))

        async def clerk(actor: Actor) -> None:
            for i in todo:
                k = first + i
                who = Applicant(name="张小三", id_number=id_number(k), phone=f"139{k:08d}",
                                address="历下区泉城路1号")  # fmt: skip
                req = IntakeRequest(hall_id, matter_code(k), who, RECEIVED, "accept", window="w1")
                t0 = time.perf_counter()
                views[i] = await self.cases.intake(actor, req)
                lat.append(time.perf_counter() - t0)

        cpu0, t0, held = time.process_time(), time.perf_counter(), len(self.store.held)
        await asyncio.gather(*(clerk(a) for a in clerks))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        done = [v for v in views if v is not None]
        stats = {"intakes_per_s": round(n / seconds, 1), "cpu_ms_per_intake": round(cpu / n * 1e3, 3),
                 "seconds": round(seconds, 2), "latency": summary(lat),
                 "tx": summary(self.store.held[held:])}  # fmt: skip
        return stats, done
