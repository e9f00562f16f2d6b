"""The demo hall: what ``onewindow serve --demo`` seeds into an empty store.

Passwords are documented in the README and are for trying the system only.
"""

from __future__ import annotations

from datetime import datetime

from .auth import hash_password
from .domain.model import Hall, Role, Service, User, Window
from .store.store import Store

HALL_ID = "demo"
DEMO_PASSWORD = "demo1234"  # noqa: S105 - documented demo credentials
ADMIN_PASSWORD = "admin1234"  # noqa: S105 - documented demo credentials

SERVICES = (
    ("A", "社保业务", "Social insurance", 300),
    ("B", "医保业务", "Medical insurance", 300),
    ("C", "不动产登记", "Real estate registration", 600),
    ("D", "综合受理", "Comprehensive intake", 480),
    ("E", "统一出件", "Result pickup", 120),
)
# Overlapping lists, as in a real hall: the comprehensive window takes anything.
WINDOWS = (
    (1, "1号窗口", ("A", "B")),
    (2, "2号窗口", ("A", "B")),
    (3, "3号窗口", ("C",)),
    (4, "4号窗口", ("C", "D")),
    (5, "5号窗口 综合受理", ("A", "B", "C", "D")),
    (6, "6号窗口 出件", ("E",)),
)
CLERKS = 6
# A long working day so the demo is usable at most hours; a real hall sets its own.
HOURS = {day: [["07:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# 2026–2027 public holidays and make-up working days (调休), as the State Council set them.
CALENDAR = {
    **{f"2026-10-0{d}": False for d in range(1, 8)},
    "2026-10-10": True,
    "2027-01-01": False,
    **{f"2027-02-{d:02d}": False for d in range(6, 13)},
}

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


async def seed_demo(store: Store, now: datetime, tz: str = "Asia/Shanghai") -> bool:
    """Seed the demo hall unless it exists; returns whether anything was written."""
    if await store.hall(HALL_ID) is not None:
        return False
    await store.create_hall(Hall(HALL_ID, "示范政务服务中心", tz, HOURS, CALENDAR), now)
    for code, name, name_en, avg in SERVICES:
        await store.add_service(Service(HALL_ID, code, name, name_en, avg))
    for number, name, codes in WINDOWS:
        await store.add_window(Window(f"{HALL_ID}-w{number}", HALL_ID, number, name, codes))
    staff = [
        ("admin", "系统管理员", Role.ADMIN, None, ADMIN_PASSWORD),
        ("supervisor", "值班主任", Role.SUPERVISOR, HALL_ID, DEMO_PASSWORD),
    ] + [
        (f"clerk{i}", f"窗口人员{i}", Role.CLERK, HALL_ID, DEMO_PASSWORD)
        for i in range(1, CLERKS + 1)
    ]
    async with store.write(HALL_ID, now) as tx:
        for i, (kind, title, body) in enumerate(NOTICES):
            await tx.save_notice(
                {"id": f"demo-n{i + 1}", "hall_id": HALL_ID, "kind": kind, "title": title,
                 "body": body, "position": i, "active": True},
                insert=True,
            )  # fmt: skip
    for username, display, role, hall_id, password in staff:
        await store.add_user(
            User(f"u-{username}", username, display, role, hall_id, hash_password(password)), now
        )
    return True
