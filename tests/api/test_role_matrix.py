"""Who may call what: every endpoint × every role, against the running app.

The expected table is ``tests/api/roles_table.py``; docs/roles.md shows the same
table, and a test here keeps the two identical. Every request carries a valid
body and names a real target of the first hall, so the answer is about
authorization, not validation; a call that changes or consumes its target
(sign-out, a deletion, a window command) gets a fresh one for the next cell.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from server.app import ENDPOINTS
from server.auth import hash_password
from server.domain.appointment import BookingRules
from server.domain.identity import check_character
from server.domain.matter import parse_matter
from server.domain.model import (
    Department,
    DepartmentKind,
    Role,
    Service,
    TicketState,
    User,
    Window,
    WindowState,
)
from server.settings import Settings
from server.store import config_sql, matters_sql
from tests.api.conftest import Api
from tests.api.roles_table import ACTORS, OK, ROWS, TABLE, markdown
from tests.conftest import ALWAYS_OPEN, PASSWORD, make_hall

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
# Paths whose answers are hall configuration: another hall's staff must not see the first hall's.
PRIVATE = ("/api/admin", "/api/audit")


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The walk signs in far more often than the default 20 sign-ins a minute per client.
    return Settings(database_url=db_url, secret="api-test-secret",
                    rate_limit_client="1000/60", rate_limit_login="1000/60")  # fmt: skip


@dataclass
class Who:
    column: str
    username: str | None = None  # None: anonymous
    password: str = PASSWORD
    headers: dict[str, str] = field(default_factory=dict)


Cell = Callable[["Walk", Who], Awaitable[httpx.Response]]
CELLS: dict[tuple[str, str], Cell] = {}


def cell(method: str, path: str) -> Callable[[Cell], Cell]:
    def register(fn: Cell) -> Cell:
        CELLS[(method, path)] = fn
        return fn

    return register


class Walk:
    """The seven actors, the first hall's targets, and fresh ones on demand."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.c = api.client
        self.hall = api.hall.id
        self.serial = itertools.count(1)
        self.numbers = itertools.count(100)  # window numbers free in the first hall
        self.codes = ("".join(p) for p in itertools.product("QRSTUVWXYZ", string.ascii_uppercase))
        self.held: set[str] = set()  # windows opened for a cell, to be closed again
        self.targets: dict[str, tuple[str, dict[str, Any] | None]] = {}
        self.actors: list[Who] = []
        # Set by start():
        self.anonymous = self.clerk = self.supervisor = Who("")
        self.dept = self.user = self.notice = ""
        self.ticket: dict[str, Any] = {}

    @classmethod
    async def start(cls, api: Api) -> Walk:
        w = cls(api)
        now = w.now()
        other = await make_hall(api.store, now, hash_passwords=True)
        hashed = hash_password(PASSWORD)
        w.dept = f"{w.hall}-back"
        async with api.store.db.transaction() as c:
            back = Department(w.dept, "审批局", DepartmentKind.BACK, (w.hall,))
            await config_sql.save_department(c, back, now, insert=True)
        officer, admin = f"{w.hall}-officer", f"{w.hall}-admin"
        await api.store.add_user(
            User(officer, officer, "审批员", Role.OFFICER, w.hall, hashed, department_id=w.dept),
            now,
        )
        await api.store.add_user(User(admin, admin, "管理员", Role.ADMIN, None, hashed), now)
        # A staff account for the account calls to work on; nobody signs in with it.
        w.user = f"{w.hall}-target"
        await api.store.add_user(User(w.user, w.user, "目标", Role.CLERK, w.hall, "x"), now)
        names = [None, api.hall.clerk(1).username, other.clerk(1).username,
                 api.hall.supervisor.username, other.supervisor.username, officer, admin]  # fmt: skip
        for column, name in zip(ACTORS, names, strict=True):
            who = Who(column, name)
            if name is not None:
                who.headers = await api.login(name)
            w.actors.append(who)
        w.anonymous, w.clerk, w.supervisor = w.actors[0], w.actors[1], w.actors[3]
        w.ticket = await w.issue("C")
        w.notice = await w.new_notice()
        return w

    def now(self) -> Any:
        return self.api.app.state.ow.ctx.clock()

    async def call(
        self, method: str, url: str, who: Who, json: Any = None, params: Any = None
    ) -> httpx.Response:
        return await self.c.request(method, url, json=json, params=params, headers=who.headers)

    async def ok(self, method: str, url: str, who: Who, json: Any = None) -> dict[str, Any]:
        """A set-up step: it must work, or the walk stops and says which."""
        r = await self.call(method, url, who, json)
        assert r.is_success, f"set-up {method} {url} as {who.column}: {r.status_code} {r.text}"
        out: dict[str, Any] = r.json()
        return out

    # --- fresh targets ---------------------------------------------------------------

    async def issue(self, service: str) -> dict[str, Any]:
        return await self.ok("POST", f"/api/halls/{self.hall}/tickets", self.anonymous,
                             {"service": service})  # fmt: skip

    async def new_notice(self) -> str:
        nid = f"{self.hall}-n{next(self.serial)}"
        async with self.api.store.write(self.hall, self.now()) as tx:
            await tx.save_notice({"id": nid, "hall_id": self.hall, "kind": "general",
                                  "title": "办事指南", "body": "", "position": 0,
                                  "active": True}, insert=True)  # fmt: skip
        return nid

    async def new_window(self) -> str:
        n = next(self.numbers)
        wid = f"{self.hall}-w{n}"
        await self.api.store.add_window(Window(wid, self.hall, n, f"{n}号窗口", ("A",)))
        return wid

    async def new_service(self) -> str:
        code = next(self.codes)
        await self.api.store.add_service(Service(self.hall, code, "临时业务", "Temp", 300))
        return code

    async def new_department(self) -> str:
        dept = f"{self.hall}-d{next(self.serial)}"
        async with self.api.store.db.transaction() as c:
            d = Department(dept, "临时部门", DepartmentKind.FRONT, (self.hall,))
            await config_sql.save_department(c, d, self.now(), insert=True)
        return dept

    # --- windows in the state a command needs --------------------------------------------

    async def window_in(self, state: str) -> tuple[str, dict[str, Any] | None]:
        """A fresh window of the first hall with the clerk signed in at it (unless closed)."""
        for held in list(self.held):
            await self.settle(held)  # the clerk may sign in at one window only
        wid = await self.new_window()
        url = f"/api/windows/{wid}"
        body = None
        if state == "closed":
            return wid, body
        self.held.add(wid)
        await self.ok("POST", f"{url}/open", self.clerk)
        if state == "paused":
            await self.ok("POST", f"{url}/pause", self.clerk, {"reason": "暂离"})
        if state in ("waiting", "called", "serving", "passed"):
            await self.issue("A")
        if state in ("called", "serving", "passed"):
            await self.ok("POST", f"{url}/call-next", self.clerk)
        if state == "serving":
            await self.ok("POST", f"{url}/start", self.clerk)
        if state == "passed":
            passed = await self.ok("POST", f"{url}/no-show", self.clerk)
            body = {"ticket": passed["ticket"]["id"]}
        return wid, body

    async def settle(self, wid: str) -> None:
        """Bring a window back to closed (the supervisor may act at any window of the hall)."""
        for _ in range(3):
            w = await self.api.store.window(wid)
            assert w is not None
            if w.state is WindowState.CLOSED:
                break
            command = "close"
            if w.state is WindowState.SERVING:
                t = await self.api.store.ticket(w.current_ticket_id or "")
                assert t is not None
                command = "no-show" if t.state is TicketState.CALLED else "finish"
            await self.ok("POST", f"/api/windows/{wid}/{command}", self.supervisor)
        self.held.discard(wid)


# --- the cells: one request per endpoint and actor -------------------------------------------


def _plain_get(path: str) -> None:
    @cell("GET", path)
    async def get(w: Walk, who: Who) -> httpx.Response:
        return await w.call("GET", path.format(hall=w.hall), who)


for _path in ("/healthz", "/metrics", "/api/halls/{hall}", "/api/halls/{hall}/events",
              "/api/halls/{hall}/notices", "/api/halls/{hall}/queue"):  # fmt: skip
    _plain_get(_path)


@cell("POST", "/api/halls/{hall}/tickets")
async def _issue(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/halls/{w.hall}/tickets", who, {"service": "C"})


@cell("GET", "/api/tickets/{ticket}")
async def _follow(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/tickets/{w.ticket['id']}", who,
                        params={"token": w.ticket["token"]})  # fmt: skip


@cell("DELETE", "/api/tickets/{ticket}")
async def _cancel(w: Walk, who: Who) -> httpx.Response:
    t = await w.issue("C")
    return await w.call("DELETE", f"/api/tickets/{t['id']}", who, params={"token": t["token"]})


@cell("POST", "/api/citizen/code")
async def _code(w: Walk, who: Who) -> httpx.Response:
    # A phone of its own per actor: codes are limited per phone.
    phone = f"1390000{sum(map(ord, who.column)) % 10000:04d}"
    return await w.call("POST", "/api/citizen/code", who, {"phone": phone})


@cell("POST", "/api/citizen/session")
async def _citizen_sign_in(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", "/api/citizen/session", who,
                        {"phone": "13911112222", "code": "000000"})  # fmt: skip


@cell("DELETE", "/api/citizen/session")
async def _citizen_sign_out(w: Walk, who: Who) -> httpx.Response:
    return await w.call("DELETE", "/api/citizen/session", who)


@cell("GET", "/api/citizen/me")
async def _citizen_me(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/citizen/me", who)


@cell("POST", "/api/auth/login")
async def _login(w: Walk, who: Who) -> httpx.Response:
    as_ = who if who.username is not None else w.clerk
    return await w.call("POST", "/api/auth/login", who,
                        {"username": as_.username, "password": as_.password})  # fmt: skip


@cell("POST", "/api/auth/logout")
async def _logout(w: Walk, who: Who) -> httpx.Response:
    # A session of its own, so the actor's main one lives on.
    headers = await w.api.login(who.username, who.password) if who.username else {}
    return await w.c.post("/api/auth/logout", headers=headers)


@cell("GET", "/api/auth/me")
async def _me(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/auth/me", who)


@cell("POST", "/api/auth/password")
async def _password(w: Walk, who: Who) -> httpx.Response:
    new = f"next-pass-{next(w.serial)}"
    r = await w.call("POST", "/api/auth/password", who,
                     {"old_password": who.password, "new_password": new})  # fmt: skip
    if r.status_code == 200:  # every other session of the user has ended: carry on with this one
        who.password, who.headers = new, {"authorization": f"Bearer {r.json()['token']}"}
    return r


# What each window command needs: the window's state, and a body.
WINDOW_COMMANDS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "open": ("closed", None),
    "pause": ("open", {"reason": "暂离"}),
    "resume": ("paused", None),
    "close": ("open", None),
    "call-next": ("waiting", None),
    "recall": ("called", None),
    "no-show": ("called", None),
    "call-back": ("passed", None),  # the body names the passed ticket
    "start": ("called", None),
    "finish": ("serving", None),
    "transfer": ("called", {"service": "B", "reason": "转办"}),
}


def _window_command(name: str, state: str, body: dict[str, Any] | None) -> None:
    @cell("POST", f"/api/windows/{{window}}/{name}")
    async def command(w: Walk, who: Who) -> httpx.Response:
        if name not in w.targets:
            w.targets[name] = await w.window_in(state)
        wid, made = w.targets[name]
        r = await w.call("POST", f"/api/windows/{wid}/{name}", who, body or made)
        if r.is_success:  # the window moved on, and whoever opened it holds it: a fresh one next
            del w.targets[name]
            await w.settle(wid)
        return r


for _name, (_state, _body) in WINDOW_COMMANDS.items():
    _window_command(_name, _state, _body)


@cell("POST", "/api/halls/{hall}/notices")
async def _add_notice(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/halls/{w.hall}/notices", who,
                        {"kind": "hours", "title": "办公时间", "body": "工作日 9:00–17:00"})  # fmt: skip


@cell("PATCH", "/api/notices/{notice}")
async def _change_notice(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/notices/{w.notice}", who, {"title": "办事指南（新）"})


@cell("DELETE", "/api/notices/{notice}")
async def _remove_notice(w: Walk, who: Who) -> httpx.Response:
    return await w.call("DELETE", f"/api/notices/{await w.new_notice()}", who)


@cell("POST", "/api/tickets/{ticket}/move")
async def _move(w: Walk, who: Who) -> httpx.Response:
    t = await w.issue("C")
    return await w.call("POST", f"/api/tickets/{t['id']}/move", who,
                        {"service": "D", "reason": "改办"})  # fmt: skip


@cell("GET", "/api/admin/halls")
async def _halls(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/admin/halls", who)


@cell("POST", "/api/admin/halls")
async def _add_hall(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", "/api/admin/halls", who,
                        {"id": f"{w.hall}-h{next(w.serial)}", "name": "新大厅",
                         "hours": ALWAYS_OPEN})  # fmt: skip


@cell("GET", "/api/admin/halls/{hall}")
async def _hall(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/admin/halls/{w.hall}", who)


@cell("PATCH", "/api/admin/halls/{hall}")
async def _change_hall(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/admin/halls/{w.hall}", who, {"name": "测试大厅"})


@cell("PUT", "/api/admin/halls/{hall}/calendar/{year}")
async def _calendar(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PUT", f"/api/admin/halls/{w.hall}/calendar/2027", who,
                        {"days": {"2027-01-01": False, "2027-02-07": True}})  # fmt: skip


@cell("GET", "/api/admin/halls/{hall}/services")
async def _services(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/admin/halls/{w.hall}/services", who)


@cell("POST", "/api/admin/halls/{hall}/services")
async def _add_service(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/admin/halls/{w.hall}/services", who,
                        {"code": next(w.codes), "name": "新业务"})  # fmt: skip


@cell("PATCH", "/api/admin/halls/{hall}/services/{code}")
async def _change_service(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/admin/halls/{w.hall}/services/A", who,
                        {"name": "业务A", "daily_quota": 500})  # fmt: skip


@cell("DELETE", "/api/admin/halls/{hall}/services/{code}")
async def _remove_service(w: Walk, who: Who) -> httpx.Response:
    return await w.call(
        "DELETE", f"/api/admin/halls/{w.hall}/services/{await w.new_service()}", who
    )


@cell("GET", "/api/admin/halls/{hall}/windows")
async def _windows(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/admin/halls/{w.hall}/windows", who)


@cell("POST", "/api/admin/halls/{hall}/windows")
async def _add_window(w: Walk, who: Who) -> httpx.Response:
    n = next(w.numbers)
    return await w.call("POST", f"/api/admin/halls/{w.hall}/windows", who,
                        {"number": n, "name": f"{n}号窗口", "services": ["A", "B"]})  # fmt: skip


@cell("PATCH", "/api/admin/windows/{window}")
async def _change_window(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/admin/windows/{w.api.hall.window(4)}", who,
                        {"name": "4号窗口 综合", "services": ["C", "D"]})  # fmt: skip


@cell("DELETE", "/api/admin/windows/{window}")
async def _remove_window(w: Walk, who: Who) -> httpx.Response:
    return await w.call("DELETE", f"/api/admin/windows/{await w.new_window()}", who)


@cell("GET", "/api/admin/departments")
async def _departments(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/admin/departments", who)


@cell("POST", "/api/admin/departments")
async def _add_department(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", "/api/admin/departments", who,
                        {"id": f"{w.hall}-d{next(w.serial)}", "name": "新部门", "kind": "back",
                         "halls": [w.hall]})  # fmt: skip


@cell("PATCH", "/api/admin/departments/{dept}")
async def _change_department(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/admin/departments/{w.dept}", who,
                        {"name": "审批局", "name_en": "Approvals"})  # fmt: skip


@cell("DELETE", "/api/admin/departments/{dept}")
async def _remove_department(w: Walk, who: Who) -> httpx.Response:
    return await w.call("DELETE", f"/api/admin/departments/{await w.new_department()}", who)


@cell("GET", "/api/admin/users")
async def _users(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/admin/users", who, params={"hall": w.hall})


@cell("POST", "/api/admin/users")
async def _add_user(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", "/api/admin/users", who,
                        {"username": f"{w.hall}-u{next(w.serial)}", "display_name": "新同事",
                         "role": "clerk", "hall": w.hall, "password": "first-pass-1"})  # fmt: skip


@cell("PATCH", "/api/admin/users/{user}")
async def _change_user(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PATCH", f"/api/admin/users/{w.user}", who, {"display_name": "张小三"})


@cell("POST", "/api/admin/users/{user}/password")
async def _reset_password(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/admin/users/{w.user}/password", who,
                        {"password": "reset-pass-1"})  # fmt: skip


@cell("GET", "/api/audit")
async def _audit(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/audit", who, params={"hall": w.hall})


@cell("GET", "/api/audit.csv")
async def _audit_csv(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", "/api/audit.csv", who, params={"hall": w.hall})


# --- appointments ----------------------------------------------------------------------------

BOOKING = {"slot_minutes": 30, "capacity": 1000, "days_ahead": 3}


async def _appointment(w: Walk) -> dict[str, Any]:
    """A fresh booking of the first hall, made by its clerk for a citizen, in today's 10:30
    slot: its check-in opens at 10:00, the walk's time."""
    key = (w.hall, "booking")
    if key not in w.targets:
        async with w.api.store.db.transaction() as c:
            svc = replace(Service(w.hall, "A", "业务A", "Service A", 300),
                          booking=BookingRules.from_json(BOOKING))  # fmt: skip
            await config_sql.save_service(c, svc, insert=False)
        w.api.app.state.ow.ctx.forget(w.hall)
        w.targets[key] = ("", None)
    first = f"37010219800101{next(w.serial) % 1000:03d}"
    slot = w.now().astimezone(ZoneInfo("Asia/Shanghai")).replace(hour=10, minute=30)
    return await w.ok("POST", "/api/appointments", w.clerk, {
        "hall": w.hall, "service": "A", "slot": slot.isoformat(),
        "id_number": first + check_character(first),
        "phone": f"138{next(w.serial):08d}"})  # fmt: skip  (an account per booking)


@cell("GET", "/api/halls/{hall}/services/{service}/slots")
async def _slots(w: Walk, who: Who) -> httpx.Response:
    await _appointment(w)
    return await w.call("GET", f"/api/halls/{w.hall}/services/A/slots", who)


@cell("POST", "/api/appointments")
async def _book(w: Walk, who: Who) -> httpx.Response:
    a = await _appointment(w)  # makes the service bookable; its slot has room to spare
    first = f"37010219900101{next(w.serial) % 1000:03d}"
    return await w.call("POST", "/api/appointments", who, {
        "hall": w.hall, "service": "A", "slot": a["slot_start"],
        "id_number": first + check_character(first),
        "phone": f"139{next(w.serial):08d}"})  # fmt: skip


def _on_appointment(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> None:
    @cell(method, "/api/appointments/{id}" + suffix)
    async def act(w: Walk, who: Who) -> httpx.Response:
        a = await _appointment(w)
        return await w.call(method, f"/api/appointments/{a['id']}{suffix}", who, body)


_on_appointment("GET")
_plain_get("/api/appointments/mine")
_on_appointment("DELETE")
_on_appointment("POST", "/check-in")


@cell("PATCH", "/api/appointments/{id}")
async def _reschedule(w: Walk, who: Who) -> httpx.Response:
    a = await _appointment(w)
    later = datetime.fromisoformat(a["slot_start"]).replace(hour=11)
    return await w.call("PATCH", f"/api/appointments/{a['id']}", who, {"slot": later.isoformat()})


@cell("POST", "/api/halls/{hall}/check-in")
async def _kiosk_check_in(w: Walk, who: Who) -> httpx.Response:
    a = await _appointment(w)
    return await w.call("POST", f"/api/halls/{w.hall}/check-in", who, {"code": a["code"]})


@cell("GET", "/api/halls/{hall}/appointments")
async def _day_view(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/appointments", who)


# --- matters --------------------------------------------------------------------------------


async def _new_matter(w: Walk) -> str:
    """A matter of the first hall, approved by its back-office department."""
    code = f"M-{next(w.serial)}"
    m = parse_matter(w.hall, code, {"name": "个体工商户设立登记", "departments": [w.dept],
                                    "promised_days": 1, "intake_service": "D",
                                    "pickup_service": "C"})  # fmt: skip
    async with w.api.store.db.transaction() as c:
        await matters_sql.save(c, m, w.now())
    return code


async def _matter(w: Walk) -> str:
    """The matter the reading and replacing cells share."""
    if "matter" not in w.targets:
        w.targets["matter"] = (await _new_matter(w), None)
    return w.targets["matter"][0]


_plain_get("/api/halls/{hall}/matters")


@cell("GET", "/api/halls/{hall}/matters/{code}")
async def _public_matter(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/matters/{await _matter(w)}", who)


@cell("GET", "/api/admin/halls/{hall}/matters")
async def _matters(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/admin/halls/{w.hall}/matters", who)


@cell("PUT", "/api/admin/halls/{hall}/matters/{code}")
async def _replace_matter(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PUT", f"/api/admin/halls/{w.hall}/matters/{await _matter(w)}", who,
                        {"name": "个体工商户变更登记", "departments": [w.dept],
                         "promised_days": 2, "intake_service": "D",
                         "pickup_service": "C"})  # fmt: skip


@cell("DELETE", "/api/admin/halls/{hall}/matters/{code}")
async def _remove_matter(w: Walk, who: Who) -> httpx.Response:
    return await w.call("DELETE", f"/api/admin/halls/{w.hall}/matters/{await _new_matter(w)}", who)


# --- cases ----------------------------------------------------------------------------------


async def _case(w: Walk, state: str = "in_review") -> dict[str, Any]:
    """A fresh case of the first hall (its own applicant) in ``state``, made by the admin:
    correction, in_review or result_ready."""
    from tests.usecases.case_helpers import id_number

    if "case-matter" not in w.targets:
        code = f"CM-{next(w.serial)}"
        m = parse_matter(w.hall, code, {"name": "食品经营许可", "departments": [w.dept],
                                        "promised_days": 3, "intake_service": "D",
                                        "pickup_service": "C", "materials": [
                                            {"key": "plan", "name": "平面图", "required": False}]})
        async with w.api.store.db.transaction() as c:
            await matters_sql.save(c, m, w.now())
        w.targets["case-matter"] = (code, None)
    n = next(w.serial)
    body = {"hall": w.hall, "matter": w.targets["case-matter"][0],
            "applicant": {"name": "王五", "id_number": id_number(n)},
            "materials": {"plan": "missing"},
            "decision": "correction" if state == "correction" else "accept"}
    case = await w.ok("POST", "/api/cases", w.actors[6], body)
    case["id_number"] = id_number(n)
    if state == "result_ready":
        officer = w.actors[5]
        task = case["tasks"][0]["id"]
        await w.ok("POST", f"/api/tasks/{task}/claim", officer, {})
        await w.ok("POST", f"/api/tasks/{task}/approve", officer, {})
    return case


async def _shared_case(w: Walk) -> dict[str, Any]:
    if "case" not in w.targets:
        w.targets["case"] = ("", await _case(w))
    found = w.targets["case"][1]
    assert found is not None
    return found


@cell("POST", "/api/cases")
async def _intake(w: Walk, who: Who) -> httpx.Response:
    from tests.usecases.case_helpers import id_number

    await _shared_case(w)
    return await w.call("POST", "/api/cases", who, {
        "hall": w.hall, "matter": w.targets["case-matter"][0], "materials": {"plan": "received"},
        "applicant": {"name": "赵六", "id_number": id_number(next(w.serial))}})


@cell("GET", "/api/cases/{case}")
async def _get_case(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/cases/{(await _shared_case(w))['id']}", who)


@cell("GET", "/api/cases/{case}/personal")
async def _personal(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/cases/{(await _shared_case(w))['id']}/personal", who)


@cell("POST", "/api/cases/{case}/accept")
async def _accept_case(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "correction")
    return await w.call("POST", f"/api/cases/{case['id']}/accept", who, {"materials": {}})


@cell("POST", "/api/cases/{case}/refuse")
async def _refuse_case(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "correction")
    return await w.call("POST", f"/api/cases/{case['id']}/refuse", who, {"reason": "不符合条件"})


@cell("POST", "/api/cases/{case}/withdraw")
async def _withdraw_case(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w)
    return await w.call("POST", f"/api/cases/{case['id']}/withdraw", who, {"reason": "撤回"})


@cell("POST", "/api/cases/{case}/pickup")
async def _pick_up(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "result_ready")
    return await w.call("POST", f"/api/cases/{case['id']}/pickup", who,
                        {"collector_id": case["id_number"]})  # fmt: skip


@cell("POST", "/api/cases/{case}/mail")
async def _mail(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "result_ready")
    return await w.call("POST", f"/api/cases/{case['id']}/mail", who, {"tracking_no": "SF123"})


@cell("GET", "/api/halls/{hall}/cases")
async def _find_case(w: Walk, who: Who) -> httpx.Response:
    number = (await _shared_case(w))["number"]
    return await w.call("GET", f"/api/halls/{w.hall}/cases", who, params={"number": number})


@cell("POST", "/api/halls/{hall}/pickup")
async def _ready(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/halls/{w.hall}/pickup", who, {})


@cell("POST", "/api/halls/{hall}/pickup-tickets")
async def _pickup_ticket(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "result_ready")
    return await w.call("POST", f"/api/halls/{w.hall}/pickup-tickets", who,
                        {"number": case["number"], "id_suffix": case["id_number"][-4:]})


@cell("POST", "/api/case-status")
async def _case_status(w: Walk, who: Who) -> httpx.Response:
    case = await _shared_case(w)
    return await w.call("POST", "/api/case-status", who,
                        {"number": case["number"], "id_suffix": case["id_number"][-4:]})


_plain_get("/api/citizen/cases")
_plain_get("/api/dept/tasks")


@cell("POST", "/api/tasks/{task}/{action}")
async def _task_action(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w)
    return await w.call("POST", f"/api/tasks/{case['tasks'][0]['id']}/claim", who, {})


# --- online applications ----------------------------------------------------------------------

_PDF = b"%PDF-1.4\n%%EOF\n"


async def _application(w: Walk) -> tuple[str, str]:
    """A fresh submitted application of the first hall with one uploaded file: (id, digest)."""
    from server.usecases.cases import Applicant
    from server.usecases.citizens import Citizen
    from tests.usecases.case_helpers import id_number

    await _shared_case(w)  # its matter
    st = w.api.app.state.ow
    phone = f"137{next(w.serial):08d}"
    citizen = Citizen(f"c{phone}", phone, st.ctx.store.sealer.fingerprint("phone", phone))
    v = await st.applications.create(citizen, w.hall, w.targets["case-matter"][0],
                                     Applicant(name="钱八", id_number=id_number(next(w.serial))))
    u = await st.applications.upload(citizen, v.application.id, "plan", "plan.pdf", _PDF)
    await st.applications.submit(citizen, v.application.id)
    return v.application.id, u.digest


def _citizen_cell(method: str, path: str) -> None:
    """Citizen-only endpoints: every staff token (and none) is refused the same way."""

    @cell(method, path)
    async def call(w: Walk, who: Who) -> httpx.Response:
        url = path.format(id="x", material="plan", digest="0" * 64)
        body = {"hall": w.hall, "matter": "x", "applicant": {"name": "钱八", "id_number": "1"}}
        return await w.call(method, url, who, body if path == "/api/applications" else None)


for _m, _p in (("POST", "/api/applications"), ("GET", "/api/applications/mine"),
               ("GET", "/api/applications/{id}"), ("PUT", "/api/applications/{id}/files/{material}"),
               ("DELETE", "/api/applications/{id}/files/{material}/{digest}"),
               ("POST", "/api/applications/{id}/submit"),
               ("POST", "/api/applications/{id}/withdraw")):  # fmt: skip
    _citizen_cell(_m, _p)


@cell("GET", "/api/halls/{hall}/applications")
async def _pre_review_queue(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/applications", who)


@cell("GET", "/api/halls/{hall}/applications/{id}")
async def _staff_application(w: Walk, who: Who) -> httpx.Response:
    app, _ = await _application(w)
    return await w.call("GET", f"/api/halls/{w.hall}/applications/{app}", who)


@cell("POST", "/api/applications/{id}/accept")
async def _accept_application(w: Walk, who: Who) -> httpx.Response:
    app, _ = await _application(w)
    return await w.call("POST", f"/api/applications/{app}/accept", who, {})


@cell("POST", "/api/applications/{id}/return")
async def _return_application(w: Walk, who: Who) -> httpx.Response:
    app, _ = await _application(w)
    return await w.call("POST", f"/api/applications/{app}/return", who, {"missing": ["plan"]})


@cell("GET", "/api/applications/{id}/files/{digest}")
async def _application_file(w: Walk, who: Who) -> httpx.Response:
    app, digest = await _application(w)
    return await w.call("GET", f"/api/applications/{app}/files/{digest}", who)


# --- complaints (投诉) -------------------------------------------------------------------------


async def _complaint(w: Walk) -> str:
    """A fresh complaint of the first hall, just filed (intake): its id."""
    from server.usecases.complaints import FileRequest

    st = w.api.app.state.ow
    got = await st.complaints.file(FileRequest(hall=w.hall, subject="hall", subject_id=None,
                                               text="等候时间过长", phone="13800001111"),
                                   f"walk-{next(w.serial)}")  # fmt: skip
    return got.complaint.id


@cell("POST", "/api/halls/{hall}/complaints")
async def _file_complaint(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/halls/{w.hall}/complaints", who,
                        {"subject": "hall", "text": "大厅空调太冷"})  # fmt: skip


@cell("POST", "/api/complaint-status")
async def _complaint_status(w: Walk, who: Who) -> httpx.Response:
    from server.usecases.complaints import FileRequest

    got = await w.api.app.state.ow.complaints.file(
        FileRequest(hall=w.hall, subject="hall", subject_id=None, text="等候时间过长"),
        f"walk-{next(w.serial)}")  # fmt: skip
    return await w.call("POST", "/api/complaint-status", who,
                        {"number": got.complaint.number, "secret": got.query_code})  # fmt: skip


@cell("GET", "/api/halls/{hall}/complaints")
async def _complaint_board(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/complaints", who)


@cell("GET", "/api/complaints/{complaint}")
async def _complaint_one(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/complaints/{await _complaint(w)}", who)


@cell("GET", "/api/complaints/{complaint}/contact")
async def _complaint_contact(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/complaints/{await _complaint(w)}/contact", who)


@cell("POST", "/api/complaints/{complaint}/{action}")
async def _complaint_step(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/complaints/{await _complaint(w)}/assign", who,
                        {"assignee": w.api.hall.supervisor.id})  # fmt: skip


# --- ratings (好差评) ---------------------------------------------------------------------------


async def _served(w: Walk, *, keep: bool = False) -> dict[str, Any]:
    """A ticket served and finished at a fresh window of a service of its own, with its token
    and ``window``; the clerk stays signed in there when ``keep``."""
    for held in list(w.held):
        await w.settle(held)
    code = await w.new_service()
    n = next(w.numbers)
    wid = f"{w.hall}-w{n}"
    await w.api.store.add_window(Window(wid, w.hall, n, f"{n}号窗口", (code,)))
    w.api.app.state.ow.ctx.forget(w.hall)
    t = await w.issue(code)
    for op in ("open", "call-next", "start", "finish"):
        await w.ok("POST", f"/api/windows/{wid}/{op}", w.clerk)
    if keep:
        w.held.add(wid)
    else:
        await w.settle(wid)
    return {**t, "window": wid}


async def _pad_key(w: Walk, window: str) -> str:
    from server.domain.model import Actor

    admin = Actor(f"{w.hall}-admin", f"{w.hall}-admin", Role.ADMIN, None)
    return (await w.api.app.state.ow.pads.pair(admin, window)).key


async def _bad_rating(w: Walk) -> tuple[str, str]:
    """A fresh bad rating of the first hall with its follow-up: (follow-up id, rating id)."""
    from server.usecases.ratings import RatingInput

    t = await _served(w)
    st = w.api.app.state.ow
    await st.ratings.rate_ticket(t["id"], t["token"], RatingInput(1, ("slow",), None,
                                                                  "13800002222"))
    async with w.api.store.db.reader() as c:
        r = await c.fetchrow("SELECT f.id, f.rating_id FROM rating_followups f JOIN ratings r"
                             " ON r.id = f.rating_id WHERE r.ticket_id = $1", t["id"])
    assert r is not None
    return r["id"], r["rating_id"]


@cell("GET", "/api/tickets/{ticket}/rating")
async def _rating_status(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/tickets/{w.ticket['id']}/rating", who,
                        params={"token": w.ticket["token"]})


@cell("POST", "/api/tickets/{ticket}/rating")
async def _rate_ticket(w: Walk, who: Who) -> httpx.Response:
    t = await _served(w)
    return await w.call("POST", f"/api/tickets/{t['id']}/rating", who, {"level": 5},
                        params={"token": t["token"]})


@cell("POST", "/api/case-rating")
async def _case_rating(w: Walk, who: Who) -> httpx.Response:
    case = await _shared_case(w)
    return await w.call("POST", "/api/case-rating", who,
                        {"number": case["number"], "id_number": case["id_number"]})


@cell("POST", "/api/case-ratings")
async def _rate_case(w: Walk, who: Who) -> httpx.Response:
    case = await _case(w, "result_ready")
    await w.ok("POST", f"/api/cases/{case['id']}/pickup", w.actors[6],
               {"collector_id": case["id_number"]})
    return await w.call("POST", "/api/case-ratings", who, {
        "number": case["number"], "id_number": case["id_number"], "level": 4})


@cell("GET", "/api/pads/{window}")
async def _pad_view(w: Walk, who: Who) -> httpx.Response:
    if "pad" not in w.targets:
        wid = await w.new_window()
        w.targets["pad"] = (wid, {"key": await _pad_key(w, wid)})
    wid, key = w.targets["pad"]
    assert key is not None
    return await w.c.get(f"/api/pads/{wid}", headers={**who.headers, "x-pad-key": key["key"]})


@cell("POST", "/api/pads/{window}/ratings")
async def _pad_rate(w: Walk, who: Who) -> httpx.Response:
    t = await _served(w)
    key = await _pad_key(w, t["window"])
    return await w.c.post(f"/api/pads/{t['window']}/ratings", json={"ticket": t["id"], "level": 3},
                          headers={**who.headers, "x-pad-key": key})


@cell("POST", "/api/windows/{window}/pad")
async def _pair_pad(w: Walk, who: Who) -> httpx.Response:
    return await w.call("POST", f"/api/windows/{await w.new_window()}/pad", who)


@cell("DELETE", "/api/windows/{window}/pad")
async def _unpair_pad(w: Walk, who: Who) -> httpx.Response:
    wid = await w.new_window()
    await _pad_key(w, wid)
    return await w.call("DELETE", f"/api/windows/{wid}/pad", who)


@cell("GET", "/api/halls/{hall}/pads")
async def _pads(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/pads", who)


@cell("POST", "/api/windows/{window}/rating-prompt")
async def _rating_prompt(w: Walk, who: Who) -> httpx.Response:
    t = await _served(w, keep=True)
    await _pad_key(w, t["window"])
    return await w.call("POST", f"/api/windows/{t['window']}/rating-prompt", who)


@cell("GET", "/api/halls/{hall}/followups")
async def _followups(w: Walk, who: Who) -> httpx.Response:
    return await w.call("GET", f"/api/halls/{w.hall}/followups", who)


@cell("GET", "/api/followups/{followup}/contact")
async def _followup_contact(w: Walk, who: Who) -> httpx.Response:
    if "followup" not in w.targets:
        w.targets["followup"] = ((await _bad_rating(w))[0], None)
    return await w.call("GET", f"/api/followups/{w.targets['followup'][0]}/contact", who)


@cell("POST", "/api/followups/{followup}/{action}")
async def _followup_step(w: Walk, who: Who) -> httpx.Response:
    fid, _ = await _bad_rating(w)
    return await w.call("POST", f"/api/followups/{fid}/call_back", who, {"note": "已回访"})


@cell("POST", "/api/ratings/{rating}/malicious")
async def _malicious(w: Walk, who: Who) -> httpx.Response:
    _, rid = await _bad_rating(w)
    return await w.call("POST", f"/api/ratings/{rid}/malicious", who, {"reason": "恶意刷差评"})


# --- statistics (统计) -------------------------------------------------------------------------

_RANGE = {"from": "2026-11-01", "to": "2026-11-25"}


def _stats_get(path: str, params: dict[str, str] | None = None) -> None:
    @cell("GET", path)
    async def get(w: Walk, who: Who) -> httpx.Response:
        return await w.call("GET", path.format(hall=w.hall), who, params=params)


_stats_get("/api/halls/{hall}/stats/live")
_stats_get("/api/halls/{hall}/stats/range", _RANGE)
_stats_get("/api/halls/{hall}/stats/export", {**_RANGE, "table": "service"})
_stats_get("/api/halls/{hall}/stats/target")
_stats_get("/api/halls/{hall}/wait-alert")


@cell("PUT", "/api/halls/{hall}/stats/target")
async def _stats_target(w: Walk, who: Who) -> httpx.Response:
    return await w.call("PUT", f"/api/halls/{w.hall}/stats/target", who, {"minutes": 30})


# --- judging ---------------------------------------------------------------------------------


def _verdict(r: httpx.Response, want: str, success: int) -> str | None:
    """None when the answer is the cell's; else what came instead."""
    code = ""
    if r.status_code >= 400:
        try:
            code = r.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "(no error code)"
    got = f"{r.status_code} {code}".strip()
    if want == OK:
        return None if r.status_code == success else got
    return None if got == want else got


def _leaks(r: httpx.Response, who: Who, path: str, hall: str) -> bool:
    """Another hall's staff got the first hall's configuration or audit trail."""
    private = r.is_success and "other hall" in who.column and path.startswith(PRIVATE)
    return private and hall in r.text


async def test_every_role_at_every_endpoint(api: Api) -> None:
    walk = await Walk.start(api)
    wrong: list[str] = []
    for ep in ENDPOINTS:
        key = (ep.method, ep.path)
        if key not in TABLE or key not in CELLS:
            wrong.append(f"{ep.method} {ep.path}: no row in roles_table.py or no request here")
            continue
        for who, want in zip(walk.actors, TABLE[key], strict=True):
            r = await CELLS[key](walk, who)
            got = _verdict(r, want, ep.status)
            if got is not None:
                wrong.append(f"{ep.method} {ep.path} as {who.column}: want {want}, got {got}")
            elif _leaks(r, who, ep.path, walk.hall):
                wrong.append(f"{ep.method} {ep.path} as {who.column}: shows the first hall")
    assert not wrong, f"{len(wrong)} cells disagree with roles_table.py:\n" + "\n".join(wrong)


async def test_issuing_at_a_window_is_for_staff_of_the_hall(api: Api) -> None:
    """The window channel skips opening hours and rate limits: staff of the hall only."""
    walk = await Walk.start(api)
    refused = "403 staff_only_channel"
    want = dict(zip(ACTORS, (refused, OK, refused, OK, refused, refused, OK), strict=True))
    wrong = []
    for who in walk.actors:
        r = await walk.call("POST", f"/api/halls/{walk.hall}/tickets", who,
                            {"service": "C", "channel": "window"})  # fmt: skip
        got = _verdict(r, want[who.column], 201)
        if got is not None:
            wrong.append(f"{who.column}: want {want[who.column]}, got {got}")
    assert not wrong, "\n".join(wrong)


async def test_a_clerk_acts_only_at_their_own_window(api: Api) -> None:
    walk = await Walk.start(api)
    wid, _ = await walk.window_in("waiting")
    neighbour = Who("clerk of window 2", api.hall.clerk(2).username)
    neighbour.headers = await api.login(api.hall.clerk(2).username)
    r = await walk.call("POST", f"/api/windows/{wid}/call-next", neighbour)
    assert _verdict(r, "403 not_your_window", 200) is None, r.text


def test_the_table_has_one_row_per_endpoint_and_the_walk_a_request_for_each() -> None:
    endpoints = [(ep.method, ep.path) for ep in ENDPOINTS]
    rows = [(method, path) for method, path, _ in ROWS]
    assert len(set(rows)) == len(rows), "a row twice in roles_table.py"
    assert set(endpoints) - set(rows) == set(), "endpoints without a row in roles_table.py"
    assert set(rows) - set(endpoints) == set(), "rows of endpoints that are gone"
    assert set(endpoints) ^ set(CELLS) == set(), "endpoints the walk sends no request to"


def test_docs_roles_md_shows_exactly_the_table() -> None:
    doc = DOC.read_text(encoding="utf-8")
    in_doc = [line for line in doc.splitlines() if line.startswith("|")]
    assert in_doc == markdown().splitlines(), (
        "docs/roles.md's table is not roles_table.py's; paste this:\n" + markdown()
    )
