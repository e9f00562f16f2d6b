"""A hall ready for one-window intake: back-office departments, their officers, a
matter approved by two of them in parallel, and the case use cases wired over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.domain.identity import check_character
from server.domain.model import Actor, Department, DepartmentKind, Role, User
from server.store import config_sql
from server.store.store import Store
from server.usecases.case_query import CaseQuery
from server.usecases.case_tasks import CaseTasks
from server.usecases.cases import Applicant, Cases, IntakeRequest
from server.usecases.matters import Matters
from server.usecases.pickup import Pickup
from server.usecases.ratelimit import MemoryRateLimiter
from tests.conftest import Desk, HallFixture

ADMIN = Actor("admin-x", "admin", Role.ADMIN, None)


def id_number(n: int, born: str = "19800101") -> str:
    first17 = f"370102{born}{n:03d}"
    return first17 + check_character(first17)


def matter_body(depts: list[str], **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "食品经营许可证核发", "departments": depts, "promised_days": 5, "legal_days": 20,
        "intake_service": "A", "pickup_service": "B", "fees": "不收费",
        "apply_at": "综合受理窗口", "pickup_at": "统一出件窗口",
        "materials": [
            {"key": "form", "name": "申请书", "required": True},
            {"key": "licence", "name": "营业执照", "copies": 1, "required": True, "waivable": True},
            {"key": "plan", "name": "布局平面图", "required": False},
        ],
    }  # fmt: skip
    body.update(over)
    return body


@dataclass
class Office:
    """The intake side of a hall: its departments, officers and the case use cases."""

    hall: HallFixture
    depts: list[str]
    officers: dict[str, Actor]  # department -> an officer of it
    matters: Matters
    cases: Cases
    tasks: CaseTasks
    pickup: Pickup
    query: CaseQuery
    matter: str = "food"

    def applicant(self, n: int = 1, phone: str | None = "13800001111") -> Applicant:
        return Applicant(name="张小三", id_number=id_number(n), phone=phone, address="历下区1号")

    def intake(self, decision: str = "accept", materials: dict[str, str] | None = None,
               **kw: Any) -> IntakeRequest:  # fmt: skip
        marks = {"form": "received", "licence": "received", "plan": "received"}
        return IntakeRequest(hall=self.hall.id, matter=self.matter, applicant=self.applicant(),
                             materials=materials if materials is not None else marks,
                             decision=decision, **kw)  # fmt: skip


async def seed_departments(store: Store, hall: HallFixture, now: datetime, n_depts: int = 2,
                           password_hash: str = "x") -> dict[str, Actor]:  # fmt: skip
    """Back-office departments of the hall, one officer each: department -> officer."""
    depts = []
    officers = {}
    async with store.db.transaction() as c:
        for i in range(1, n_depts + 1):
            dept = f"{hall.id}-d{i}"
            await config_sql.save_department(
                c, Department(dept, f"审批局{i}", DepartmentKind.BACK, (hall.id,)), now,
                insert=True)
            depts.append(dept)
    for dept in depts:
        uid = f"{dept}-o"
        await store.add_user(User(uid, uid, f"审批员{dept[-1]}", Role.OFFICER, None, password_hash,
                                  department_id=dept), now)  # fmt: skip
        officers[dept] = Actor(uid, uid, Role.OFFICER, None, department_id=dept)
    return officers


async def make_office(store: Store, desk: Desk, hall: HallFixture, now: datetime,
                      n_depts: int = 2) -> Office:  # fmt: skip
    officers = await seed_departments(store, hall, now, n_depts)
    depts = list(officers)
    ctx = desk.ctx
    matters = Matters(ctx)
    await matters.save(ADMIN, hall.id, "food", matter_body(depts))
    limiter = MemoryRateLimiter()
    return Office(hall, depts, officers, matters, Cases(ctx, matters), CaseTasks(ctx, matters),
                  Pickup(ctx, matters, desk.tickets, limiter), CaseQuery(ctx, matters, limiter))
