"""Hall documents on both stores: export, import all or nothing, dry runs, the audit trail.

Each test gets a database of its own (the documents name fixed hall and
department ids, as ``docs/example-hall.json`` does).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.demo import demo_document
from server.domain.errors import Conflict, InvalidInput, OneWindowError
from server.domain.model import Actor, Channel, Role, TicketState, User
from server.store.audit_sql import AuditQuery
from server.store.db import Row
from server.store.store import Store
from server.usecases.audit_log import AuditLog
from server.usecases.hall_document import HallDocuments
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, make_desk

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "example-hall.json").read_text("utf-8")
)
HALL = "lixia"
ADMIN = Actor("u-docadmin", "docadmin", Role.ADMIN, None, client="localhost", user_agent="pytest")


@pytest.fixture
def db_url(own_db_url: str) -> str:
    """Overrides tests/conftest.py's: a database of this test's own on either backend."""
    return own_db_url


@pytest.fixture
def desk(store: Store, clock: FakeClock) -> Desk:
    return make_desk(store, clock)


@pytest.fixture
def docs(desk: Desk) -> HallDocuments:
    return HallDocuments(desk.ctx)


def example(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    if edit is not None:
        edit(doc)
    return doc


def in_store_order(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as an export lists it: windows by number, the rest by key."""
    out = copy.deepcopy(doc)
    out["departments"].sort(key=lambda d: d["id"])
    out["services"].sort(key=lambda s: s["code"])
    out["windows"].sort(key=lambda w: w["number"])
    return out


def lines(changes: list[Any]) -> list[str]:
    return [c.line() for c in changes]


async def audit_rows(store: Store, chain: str = HALL) -> list[Row]:
    async with store.db.reader() as c:
        return await c.fetch("SELECT * FROM audit_log WHERE chain = $1 ORDER BY seq", chain)


async def snapshot(store: Store, docs: HallDocuments) -> dict[str, Any]:
    """Everything an import could touch, to show that a refused one touched nothing."""
    async with store.db.reader() as c:
        audit_n = await c.fetchval("SELECT count(*) FROM audit_log")
        depts = await c.fetch("SELECT * FROM departments ORDER BY id")
        links = await c.fetch("SELECT * FROM department_halls ORDER BY department_id, hall_id")
        services = await c.fetch("SELECT * FROM services ORDER BY hall_id, code")
        windows = await c.fetch("SELECT * FROM windows ORDER BY id")
        window_services = await c.fetch(
            "SELECT * FROM window_services ORDER BY window_id, service_code"
        )
    try:
        exported: Any = await docs.export(HALL)
    except InvalidInput as err:
        exported = err.code
    return {
        "export": exported, "audit": int(audit_n), "departments": depts, "links": links,
        "services": services, "windows": windows, "window_services": window_services,
        "stream": await store.stream_position(HALL),
    }  # fmt: skip


# --- round trips -------------------------------------------------------------------------


async def test_import_export_round_trip(store: Store, docs: HallDocuments) -> None:
    changes = await docs.import_(example(), ADMIN, dry_run=False)
    assert lines(changes) == [
        "+ hall lixia", "+ department lx-rsj", "+ department lx-zrzyj", "+ service A",
        "+ service C", "+ window lixia-w1", "+ window lixia-w2",
    ]  # fmt: skip
    exported = await docs.export(HALL)
    assert exported == EXAMPLE
    # The export imports as itself: nothing to change, the same document out again.
    assert await docs.import_(copy.deepcopy(exported), ADMIN, dry_run=False) == []
    assert await docs.export(HALL) == exported
    assert [w.number for w in await store.windows(HALL)] == [1, 2]
    assert [s.code for s in await store.services(HALL)] == ["A", "C"]
    hall = await store.hall(HALL)
    assert hall is not None and (hall.name, hall.region_code) == ("历下区政务服务中心", "370102")


async def test_importing_twice_changes_nothing_the_second_time(
    store: Store, docs: HallDocuments
) -> None:
    """Also for a document written loosely: lists out of order, a service named twice."""

    def loosely(d: dict[str, Any]) -> None:
        d["windows"][0]["services"] = ["C", "A", "C"]
        d["services"][0]["channels"] = ["window", "kiosk", "window"]
        d["hall"]["calendar"] = dict(reversed(list(d["hall"]["calendar"].items())))

    first = await docs.import_(example(loosely), ADMIN, dry_run=False)
    assert len(first) == 7
    audit_n = len(await audit_rows(store))
    assert await docs.import_(example(loosely), ADMIN, dry_run=False) == []
    assert await docs.import_(example(loosely), ADMIN, dry_run=True) == []
    assert len(await audit_rows(store)) == audit_n
    exported = await docs.export(HALL)
    assert exported["windows"][0]["services"] == ["A", "C"]
    assert exported["services"][0]["channels"] == ["window", "kiosk"]


async def test_the_demo_document_applies(store: Store, docs: HallDocuments) -> None:
    demo = demo_document("Asia/Shanghai")
    changes = await docs.import_(copy.deepcopy(demo), ADMIN, dry_run=False)
    assert changes and changes[0].line() == "+ hall demo"
    assert await docs.export("demo") == demo
    assert await docs.import_(copy.deepcopy(demo), ADMIN, dry_run=False) == []
    assert [s.code for s in await store.services("demo")] == ["A", "B", "C", "D", "E"]
    assert [w.id for w in await store.windows("demo")] == [f"demo-w{i}" for i in range(1, 7)]
    # Another time zone is a change of the hall, nothing else.
    other = demo_document("Asia/Urumqi")
    assert lines(await docs.import_(other, ADMIN, dry_run=False)) == [
        '~ hall demo: tz: "Asia/Shanghai" → "Asia/Urumqi"'
    ]


# --- dry runs ----------------------------------------------------------------------------


async def test_a_dry_run_changes_nothing(store: Store, docs: HallDocuments) -> None:
    before = await snapshot(store, docs)
    assert before["export"] == "unknown_hall"
    planned = await docs.import_(example(), ADMIN, dry_run=True)
    assert len(planned) == 7
    assert await snapshot(store, docs) == before
    assert await store.hall(HALL) is None

    applied = await docs.import_(example(), ADMIN, dry_run=False)
    assert lines(applied) == lines(planned)

    def edits(d: dict[str, Any]) -> None:
        d["hall"]["name"] = "历下区政务服务大厅"
        d["windows"][0]["number"], d["windows"][1]["number"] = 2, 1
        d["services"][1]["daily_quota"] = 80
        del d["departments"][1]

    before = await snapshot(store, docs)
    planned = await docs.import_(example(edits), ADMIN, dry_run=True)
    assert lines(planned) == [
        '~ hall lixia: name: "历下区政务服务中心" → "历下区政务服务大厅"',
        "- department lx-zrzyj",
        "~ service C: daily_quota: 120 → 80",
        "~ window lixia-w1: number: 1 → 2",
        "~ window lixia-w2: number: 2 → 1",
    ]
    assert await snapshot(store, docs) == before
    assert lines(await docs.import_(example(edits), ADMIN, dry_run=False)) == lines(planned)
    assert await docs.export(HALL) == in_store_order(example(edits))


# --- windows and services ----------------------------------------------------------------


async def test_swapping_window_numbers_applies(store: Store, docs: HallDocuments) -> None:
    await docs.import_(example(), ADMIN, dry_run=False)

    def swap(d: dict[str, Any]) -> None:
        d["windows"][0]["number"], d["windows"][1]["number"] = 2, 1

    changes = await docs.import_(example(swap), ADMIN, dry_run=False)
    assert lines(changes) == [
        "~ window lixia-w1: number: 1 → 2",
        "~ window lixia-w2: number: 2 → 1",
    ]
    assert [(w.number, w.id) for w in await store.windows(HALL)] == [
        (1, "lixia-w2"),
        (2, "lixia-w1"),
    ]
    assert await docs.export(HALL) == in_store_order(example(swap))

    # A rotation, with a new window taking the number one of them gives up, listed first.
    def rotate(d: dict[str, Any]) -> None:
        d["windows"][0]["number"], d["windows"][1]["number"] = 3, 2
        d["windows"].insert(0, {"id": "lixia-w3", "number": 1, "name": "3号窗口",
                                "services": ["A", "C"], "department": "lx-rsj"})  # fmt: skip

    await docs.import_(example(rotate), ADMIN, dry_run=False)
    assert [(w.number, w.id) for w in await store.windows(HALL)] == [
        (1, "lixia-w3"), (2, "lixia-w2"), (3, "lixia-w1"),
    ]  # fmt: skip
    assert await docs.import_(example(rotate), ADMIN, dry_run=False) == []


async def test_removing_a_window_or_department_removes_it(
    store: Store, docs: HallDocuments
) -> None:
    await docs.import_(example(), ADMIN, dry_run=False)

    def fewer(d: dict[str, Any]) -> None:
        del d["windows"][1]
        d["windows"][0]["department"] = None
        del d["departments"][0]

    changes = await docs.import_(example(fewer), ADMIN, dry_run=False)
    assert lines(changes) == [
        "- department lx-rsj", "~ window lixia-w1: department: \"lx-rsj\" → null",
        "- window lixia-w2",
    ]  # fmt: skip
    assert await store.window("lixia-w2") is None
    assert [w.id for w in await store.windows(HALL)] == ["lixia-w1"]
    assert await docs.export(HALL) == in_store_order(example(fewer))

    # A window number freed this way can be given to a new window.
    def again(d: dict[str, Any]) -> None:
        fewer(d)
        d["windows"].append({"id": "lixia-w9", "number": 2, "name": "9号窗口", "services": ["C"],
                             "department": None})  # fmt: skip

    assert lines(await docs.import_(example(again), ADMIN, dry_run=False)) == ["+ window lixia-w9"]


async def test_an_open_window_is_not_removed(
    store: Store, desk: Desk, docs: HallDocuments, clock: FakeClock
) -> None:
    await docs.import_(example(), ADMIN, dry_run=False)
    await store.add_user(User(ADMIN.id, ADMIN.username, "管理员", Role.ADMIN, None, "x"), clock.now)
    await desk.windows.open("lixia-w2", ADMIN)

    def edits(d: dict[str, Any]) -> None:
        d["hall"]["name"] = "改名"
        del d["windows"][1]

    before = await snapshot(store, docs)
    with pytest.raises(Conflict) as err:
        await docs.import_(example(edits), ADMIN, dry_run=False)
    assert err.value.code == "window_in_use"
    assert await snapshot(store, docs) == before


async def test_removing_a_service_retires_it_unless_a_ticket_waits(
    store: Store, desk: Desk, docs: HallDocuments
) -> None:
    await docs.import_(example(), ADMIN, dry_run=False)
    view, token = await desk.tickets.issue(
        HALL, IssueRequest(service="C", channel=Channel.WINDOW), ADMIN, "test"
    )
    assert (view.ticket.number, view.ticket.state) == ("C001", TicketState.WAITING)

    def without_c(d: dict[str, Any]) -> None:
        # Other edits ride along: they must not be applied when the removal is refused.
        d["hall"]["name"] = "历下区政务服务大厅"
        d["services"] = [s for s in d["services"] if s["code"] != "C"]
        d["windows"][1]["services"] = ["A"]
        d["windows"][0]["number"], d["windows"][1]["number"] = 2, 1
        d["windows"].append({"id": "lixia-w3", "number": 3, "name": "3号窗口", "services": ["A"],
                             "department": "lx-rsj"})  # fmt: skip
        del d["departments"][1]

    before = await snapshot(store, docs)
    with pytest.raises(Conflict) as err:
        await docs.import_(example(without_c), ADMIN, dry_run=False)
    assert err.value.code == "service_in_use"
    assert await snapshot(store, docs) == before
    # The dry run does not apply, so it cannot know: it lists the removal.
    assert "- service C" in lines(await docs.import_(example(without_c), ADMIN, dry_run=True))
    assert await snapshot(store, docs) == before

    # Once the ticket is no longer waiting, the service is retired (its tickets keep it).
    await desk.tickets.cancel(view.ticket.id, token)
    changes = await docs.import_(example(without_c), ADMIN, dry_run=False)
    assert "- service C" in lines(changes)
    assert [s.code for s in await store.services(HALL)] == ["A"]
    assert await docs.export(HALL) == in_store_order(example(without_c))
    kept = await store.ticket(view.ticket.id)
    assert kept is not None and kept.service == "C"
    async with store.db.reader() as c:
        retired = await c.fetchval(
            "SELECT retired FROM services WHERE hall_id = $1 AND code = 'C'", HALL
        )
    assert retired == 1
    # Brought back by a later document.
    assert "+ service C" in lines(await docs.import_(example(), ADMIN, dry_run=False))
    assert [s.code for s in await store.services(HALL)] == ["A", "C"]
    assert await docs.export(HALL) == EXAMPLE


# --- refused documents -------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


BAD_DOCUMENTS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown key in a window", _set("windows.0.colour", "red"), "document_invalid",
     "windows.0.colour"),
    ("unknown key in the hall", _set("hall.manager", "张三"), "document_invalid", "hall.manager"),
    ("unknown key at the top", _set("staff", []), "document_invalid", "staff"),
    ("number as a string", _set("windows.0.number", "1"), "document_invalid", "windows.0.number"),
    ("seconds as a float", _set("services.1.avg_service_s", 900.0), "document_invalid",
     "services.1.avg_service_s"),
    ("unknown channel", _set("services.0.channels.1", "wechat"), "document_invalid",
     "services.0.channels.1"),
    ("window serving an unknown service", _set("windows.1.services", ["Z"]), "unknown_service",
     "windows.1.services.0"),
    # The path is the document's: Z is the first entry as written, whatever order is kept.
    ("unknown service listed first", _set("windows.1.services", ["Z", "C"]), "unknown_service",
     "windows.1.services.0"),
    ("unknown department", _set("windows.0.department", "nope"), "unknown_department",
     "windows.0.department"),
    ("duplicate window number", _set("windows.1.number", 1), "document_invalid",
     "windows.1.number"),
    ("duplicate window id", _set("windows.1.id", "lixia-w1"), "document_invalid", "windows.1.id"),
    ("bad hours", _set("hall.hours.mon", [["17:00", "09:00"]]), "hours_invalid", "hall.hours.mon.0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "code", "field"), [b[1:] for b in BAD_DOCUMENTS], ids=[b[0] for b in BAD_DOCUMENTS]
)
async def test_a_bad_document_is_refused_naming_the_path(
    store: Store,
    docs: HallDocuments,
    edit: Callable[[dict[str, Any]], None],
    code: str,
    field: str,
) -> None:
    def renamed_and_bad(d: dict[str, Any]) -> None:
        d["hall"]["name"] = "改了名字"
        edit(d)

    # Against no hall, and against the imported hall: nothing changes either way.
    for _ in range(2):
        before = await snapshot(store, docs)
        for dry_run in (True, False):
            with pytest.raises(InvalidInput) as err:
                await docs.import_(example(renamed_and_bad), ADMIN, dry_run=dry_run)
            assert (err.value.code, err.value.field) == (code, field), err.value
        assert await snapshot(store, docs) == before
        await docs.import_(example(), ADMIN, dry_run=False)


async def test_a_window_id_of_another_hall_is_refused(store: Store, docs: HallDocuments) -> None:
    """Window ids are unique across halls: taking one is a refusal naming the path, not a
    database error (which the CLI would print as a traceback)."""
    await docs.import_(example(), ADMIN, dry_run=False)

    def third(d: dict[str, Any]) -> None:
        d["hall"]["id"] = "third"
        d["windows"][1]["id"] = "third-w2"

    before = await snapshot(store, docs)
    with pytest.raises(OneWindowError) as err:
        await docs.import_(example(third), ADMIN, dry_run=False)
    assert err.value.field == "windows.0.id", err.value
    assert await snapshot(store, docs) == before
    assert await store.hall("third") is None


async def test_a_document_that_is_not_an_object_is_refused(docs: HallDocuments) -> None:
    refused: list[object] = [[], "hall", None, {"format": "onewindow-hall/2"}]
    for raw in refused:
        with pytest.raises(InvalidInput) as err:
            await docs.import_(raw, ADMIN, dry_run=True)
        assert err.value.code == "document_invalid"
        assert err.value.field


# --- the audit trail ---------------------------------------------------------------------


async def test_every_change_is_audited_with_before_and_after(
    store: Store, desk: Desk, docs: HallDocuments
) -> None:
    await docs.import_(example(), ADMIN, dry_run=False)
    rows = await audit_rows(store)
    assert [(r["action"], r["target"]) for r in rows] == [
        ("config.hall.imported", "lixia"), ("config.department.imported", "lx-rsj"),
        ("config.department.imported", "lx-zrzyj"), ("config.service.imported", "A"),
        ("config.service.imported", "C"), ("config.window.imported", "lixia-w1"),
        ("config.window.imported", "lixia-w2"),
    ]  # fmt: skip
    assert {(r["actor_id"], r["actor_name"], r["role"], r["client"]) for r in rows} == {
        (ADMIN.id, ADMIN.username, "admin", "localhost")
    }
    w1 = json.loads(rows[5]["detail"])
    assert w1["op"] == "+"
    assert w1["after"] == EXAMPLE["windows"][0]
    assert set(w1["before"]) == set(w1["after"]) and set(w1["before"].values()) == {None}
    # One event tells open boards and consoles to reload.
    events = await store.read_events(HALL, 0)
    assert [(e.type, e.data) for e in events] == [
        ("config.changed", {"what": "hall", "action": "imported", "id": HALL})
    ]

    def edits(d: dict[str, Any]) -> None:
        d["windows"][0]["name"] = "1号窗口 社保医保"
        d["services"][0]["avg_service_s"] = 240
        del d["windows"][1]

    await docs.import_(example(edits), ADMIN, dry_run=False)
    new = (await audit_rows(store))[len(rows) :]
    assert [(r["action"], r["target"], json.loads(r["detail"])) for r in new] == [
        ("config.service.imported", "A",
         {"op": "~", "before": {"avg_service_s": 300}, "after": {"avg_service_s": 240}}),
        ("config.window.imported", "lixia-w1",
         {"op": "~", "before": {"name": "1号窗口"}, "after": {"name": "1号窗口 社保医保"}}),
        ("config.window.imported", "lixia-w2",
         # Fields that were null stay out of it: nothing about them changed.
         {"op": "-", "before": {"id": "lixia-w2", "number": 2, "name": "2号窗口 不动产",
                                "services": ["C"]},
          "after": {"id": None, "number": None, "name": None, "services": None}}),
    ]  # fmt: skip
    # Found by the log's own filters, and the chain holds.
    log = AuditLog(desk.ctx)
    entries, _ = await log.page(ADMIN, AuditQuery(chain=HALL, action="config.", target="lixia-w1"))
    assert [e["detail"]["op"] for e in entries] == ["~", "+"]
    assert await log.verify() == []


async def test_a_department_shared_with_another_hall_is_linked_not_recreated(
    store: Store, docs: HallDocuments
) -> None:
    """Departments serve several halls: a second hall's document naming an existing one
    links it (shown as a change of `linked`), and removing it from one hall unlinks only."""
    await docs.import_(example(), ADMIN, dry_run=False)

    def second(d: dict[str, Any]) -> None:
        d["hall"]["id"] = "second"
        for w in d["windows"]:
            w["id"] = w["id"].replace(HALL, "second")

    changes = await docs.import_(example(second), ADMIN, dry_run=False)
    shared = [c for c in changes if c.what == "department"]
    assert [(c.op, c.key) for c in shared] == [("~", "lx-rsj"), ("~", "lx-zrzyj")]
    assert all(c.line().endswith("linked: false → true") for c in shared), lines(shared)
    async with store.db.reader() as c:
        links = await c.fetch("SELECT hall_id FROM department_halls WHERE department_id = 'lx-rsj'")
    assert sorted(r["hall_id"] for r in links) == [HALL, "second"]
    assert await docs.import_(example(second), ADMIN, dry_run=False) == []

    def without_rsj(d: dict[str, Any]) -> None:
        second(d)
        d["departments"] = [x for x in d["departments"] if x["id"] != "lx-rsj"]
        for w in d["windows"]:
            w["department"] = None

    gone = await docs.import_(example(without_rsj), ADMIN, dry_run=False)
    assert ("-", "lx-rsj") in [(c.op, c.key) for c in gone if c.what == "department"]
    async with store.db.reader() as c:
        links = await c.fetch("SELECT hall_id FROM department_halls WHERE department_id = 'lx-rsj'")
    assert [r["hall_id"] for r in links] == [HALL]
