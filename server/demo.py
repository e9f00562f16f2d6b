"""The demo hall: what ``onewindow serve --demo`` seeds into an empty store.

The hall itself is a hall document (``demo_hall.json``), applied like any
``onewindow hall import``; its staff, notices and catalog of matters
(``demo_matters.py``) are added here. Passwords are documented in the README
and are for trying the system only.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import Any

from .auth import hash_password
from .bus.memory import MemoryBus
from .demo_matters import MATTERS
from .domain.model import Actor, Role, User
from .store import config_sql
from .store.store import Store
from .usecases.context import Context
from .usecases.hall_document import HallDocuments
from .usecases.matters import Matters

HALL_ID = "demo"
CLERKS = 6
DEMO_PASSWORD = "demo1234"  # noqa: S105 - documented demo credentials
ADMIN_PASSWORD = "admin1234"  # noqa: S105 - documented demo credentials
GREEN_PIN = "2580"  # the hall guide's kiosk PIN for the green channel; documented
# Back-office officers (officer1 … officer4), one per department that approves the demo
# matters with the natural resources one's ``officer``: every demo case can be approved.
OFFICERS = (
    ("scjgj", "市场监管局审批员"),
    ("gaj", "公安局户政审批员"),
    ("sbzx", "社保中心审批员"),
    ("swj", "税务局审批员"),
)

NOTICES = (
    (
        "hours",
        "办公时间",
        "周一至周日 7:00—22:00。取号截止后仍在等候的群众，窗口将延时服务至办结。",
    ),
    (
        "materials",
        "社保卡补办所需材料",
        "1. 本人有效身份证件原件；2. 近期免冠彩色照片一张（可现场拍摄）；3. 代办的须提供代办人身份证件。",
    ),
    (
        "policy",
        "绿色通道",
        "70周岁以上老人、残疾人、孕妇、现役军人可取“爱心号”优先办理，请向导服台工作人员咨询。",
    ),
)


def demo_document(tz: str) -> dict[str, Any]:
    """The demo hall as a hall document (shipped in the package), in the given time zone."""
    doc: dict[str, Any] = json.loads(
        resources.files("server").joinpath("demo_hall.json").read_text(encoding="utf-8")
    )
    doc["hall"]["tz"] = tz
    return doc


async def seed_demo(store: Store, now: datetime, tz: str = "Asia/Shanghai") -> bool:
    """Seed the demo hall unless it exists; returns whether anything was written."""
    if await store.hall(HALL_ID) is not None:
        return False
    ctx = Context(store=store, bus=MemoryBus(), clock=lambda: now, secret=b"")
    seeder = Actor("seed", "demo-seed", Role.ADMIN, None, client="localhost")
    await HallDocuments(ctx).import_(demo_document(tz), seeder, dry_run=False)
    staff = [
        ("admin", "系统管理员", Role.ADMIN, None, None, ADMIN_PASSWORD),
        ("supervisor", "值班主任", Role.SUPERVISOR, HALL_ID, None, DEMO_PASSWORD),
        ("officer", "自然资源局审批员", Role.OFFICER, HALL_ID, "zrzyj", DEMO_PASSWORD),
    ] + [
        (f"clerk{i}", f"窗口人员{i}", Role.CLERK, HALL_ID, None, DEMO_PASSWORD)
        for i in range(1, CLERKS + 1)
    ] + [
        (f"officer{i}", name, Role.OFFICER, HALL_ID, dept, DEMO_PASSWORD)
        for i, (dept, name) in enumerate(OFFICERS, start=1)
    ]
    async with store.write(HALL_ID, now) as tx:
        hall = await config_sql.hall(tx.conn, HALL_ID)
        assert hall is not None  # just imported
        await config_sql.save_hall(tx.conn, replace(hall, green_pin_hash=hash_password(GREEN_PIN)))
        for i, (kind, title, body) in enumerate(NOTICES):
            await tx.save_notice(
                {"id": f"demo-n{i + 1}", "hall_id": HALL_ID, "kind": kind, "title": title,
                 "body": body, "position": i, "active": True},
                insert=True,
            )  # fmt: skip
    matters = Matters(ctx)
    for code, spec in MATTERS.items():
        await matters.save(seeder, HALL_ID, code, spec)
    for username, display, role, hall_id, dept, password in staff:
        await store.add_user(
            User(f"u-{username}", username, display, role, hall_id, hash_password(password),
                 department_id=dept),
            now,
        )  # fmt: skip
    return True
