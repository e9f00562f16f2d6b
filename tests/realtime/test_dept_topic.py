"""The department topic (dept:{department}) over a real server and real WebSocket
clients: who may follow it, the inbox snapshot, tasks arriving live, and resume.

A department's events have a stream of their own beside the halls', so the topic
resumes from {epoch, seq} like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from server.auth import hash_password
from server.domain.matter import parse_matter
from server.store import matters_sql
from server.store.store import Store
from tests.conftest import PASSWORD, HallFixture
from tests.realtime.conftest import running, server_env
from tests.realtime.test_auth import refused
from tests.realtime.ws_helpers import Api, RawWS, ws_url
from tests.system.server_proc import ServerProcess
from tests.usecases.case_helpers import id_number, seed_departments


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("ws-dept"), server_env(pg_url)) as srv:
        yield srv


async def _office(pg_url: str, hall: HallFixture) -> dict[str, str]:
    """Two departments of the hall, an officer each, and a matter both approve."""
    store = Store.from_url(pg_url)
    await store.open()
    try:
        now = datetime.now(UTC)
        officers = await seed_departments(store, hall, now, 2, hash_password(PASSWORD))
        m = parse_matter(hall.id, "food", {"name": "食品经营许可", "departments": list(officers),
                                           "promised_days": 5, "intake_service": "A",
                                           "pickup_service": "B"})  # fmt: skip
        async with store.db.transaction() as c:
            await matters_sql.save(c, m, now)
    finally:
        await store.close()
    return {d: o.username for d, o in officers.items()}


async def _intake(api: Api, hall: HallFixture, n: int) -> dict[str, Any]:
    return await api.post("/api/cases", {
        "hall": hall.id, "matter": "food", "materials": {},
        "applicant": {"name": "周七", "id_number": id_number(n)}}, user=hall.clerk(1).username)


async def test_officers_follow_their_department_live_and_resume(
    server: ServerProcess, api: Api, pg_hall: HallFixture, pg_url: str
) -> None:
    officers = await _office(pg_url, pg_hall)
    (d1, o1), (_, o2) = officers.items()
    first = await _intake(api, pg_hall, 1)
    url = ws_url(server)

    async with await RawWS.open(url) as anonymous:
        assert await refused(anonymous, f"dept:{d1}") == "sign_in_required"
    async with await RawWS.open(url, token=await api.token(pg_hall.clerk(1).username)) as clerk:
        assert await refused(clerk, f"dept:{d1}") == "topic_forbidden"
    async with await RawWS.open(url, token=await api.token(o2)) as other:
        assert await refused(other, f"dept:{d1}") == "topic_forbidden"

    async with await RawWS.open(url, token=await api.token(o1)) as ws:
        await ws.subscribe(f"dept:{d1}")
        snap = await ws.op("snapshot", topic=f"dept:{d1}")
        assert [t["number"] for t in snap["data"]["tasks"]] == [first["number"]]
        assert snap["data"]["tasks"][0]["applicant"] == "周*"
        second = await _intake(api, pg_hall, 2)
        ev = await ws.op("event", topic=f"dept:{d1}")
        assert ev["type"] == "task.created" and ev["data"]["number"] == second["number"]
        assert ev["data"]["colour"] == "green" and ev["data"]["lead"] is True
        position = {"epoch": snap["position"]["epoch"], "seq": ev["seq"]}

    # Gone for a while: a claim by the department and a third case happen meanwhile.
    task = next(t["id"] for t in second["tasks"] if t["department"] == d1)
    await api.post(f"/api/tasks/{task}/claim", {}, user=o1)
    third = await _intake(api, pg_hall, 3)
    async with await RawWS.open(url, token=await api.token(o1)) as ws:
        back = await ws.subscribe(f"dept:{d1}", since=position)
        assert back["recovered"] is True
        changed = await ws.op("event", topic=f"dept:{d1}")
        created = await ws.op("event", topic=f"dept:{d1}")
        assert (changed["type"], changed["data"]["state"]) == ("task.changed", "claimed")
        assert (created["type"], created["data"]["number"]) == ("task.created", third["number"])
        assert created["seq"] == changed["seq"] + 1 == position["seq"] + 2
    # The hall's public stream carries none of it.
    hall_events = await api.get(f"/api/halls/{pg_hall.id}/events?after=0&limit=1000")
    assert not [e for e in hall_events["events"] if e["type"].startswith("task.")]
