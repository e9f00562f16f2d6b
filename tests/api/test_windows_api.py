"""A shift at a window over HTTP: every operation, and what the hall stream says."""

from __future__ import annotations

import os

from tests.api.conftest import Api
from tests.conftest import FakeClock


async def test_a_shift(api: Api, clock: FakeClock) -> None:
    hall, w1, w3 = api.hall.id, api.hall.window(1), api.hall.window(3)
    clerk = await api.login(api.hall.clerk(1).username)
    url = f"/api/halls/{hall}/tickets"
    _a1, a2, a3 = [(await api.client.post(url, json={"service": "A"})).json() for _ in range(3)]

    async def op(name: str, **body: object) -> dict[str, object]:
        r = await api.client.post(f"/api/windows/{w1}/{name}", json=body or None, headers=clerk)
        assert r.status_code == 200, r.text
        out: dict[str, object] = r.json()
        return out

    assert (await op("open"))["window"] == {
        **(await op("pause", reason="暂离"))["window"],
        "state": "open",
        "pause_reason": None,
    }
    await op("resume")
    called = await op("call-next")
    assert called["ticket"]["number"] == "A001" and called["window"]["current"]["number"] == "A001"  # type: ignore[index]
    assert (await op("recall"))["ticket"]["recall_count"] == 1  # type: ignore[index]
    await op("start")
    clock.advance(minutes=4)
    done = await op("finish")
    assert done["ticket"]["state"] == "done" and done["window"]["state"] == "open"  # type: ignore[index]

    assert (await op("call-next"))["ticket"]["number"] == "A002"  # type: ignore[index]
    passed = await op("no-show")
    assert passed["ticket"]["state"] == "no_show"  # type: ignore[index]
    assert (await op("call-back", ticket=a2["id"]))["ticket"]["state"] == "called"  # type: ignore[index]
    await op("start")
    moved = await op("transfer", service="C", keep_place=False, reason="需不动产登记")
    assert moved["ticket"]["service"] == "C" and moved["ticket"]["state"] == "waiting"  # type: ignore[index]

    # The transferred ticket keeps its number and is next at the window serving C.
    clerk3 = await api.login(api.hall.clerk(3).username)
    await api.client.post(f"/api/windows/{w3}/open", headers=clerk3)
    at3 = (await api.client.post(f"/api/windows/{w3}/call-next", headers=clerk3)).json()
    assert at3["ticket"]["number"] == "A002" and at3["ticket"]["transfer_count"] == 1

    status = (
        await api.client.get(f"/api/tickets/{a2['id']}", params={"token": a2["token"]})
    ).json()
    assert status["state"] == "called" and status["window"]["id"] == w3
    left = (await api.client.get(f"/api/tickets/{a3['id']}", params={"token": a3["token"]})).json()
    assert left["state"] == "waiting" and left["position"] == 1

    assert (await op("call-next"))["ticket"]["number"] == "A003"  # type: ignore[index]
    events = (await api.client.get(f"/api/halls/{hall}/events", params={"after": 3})).json()
    assert [e["type"] for e in events["events"]] == [
        "window.opened", "window.paused", "window.resumed",
        "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
        "ticket.called", "ticket.no_show", "ticket.called_back", "ticket.started",
        "ticket.transferred", "window.opened", "ticket.called", "ticket.called",
    ]  # fmt: skip
    seqs = [e["seq"] for e in events["events"]]
    assert seqs == list(range(4, 4 + len(seqs))) and events["last_seq"] == seqs[-1]
    page = (
        await api.client.get(f"/api/halls/{hall}/events", params={"after": 0, "limit": 2})
    ).json()
    assert [e["seq"] for e in page["events"]] == [1, 2]

    closing = await api.client.post(f"/api/windows/{w1}/close", headers=clerk)
    assert closing.status_code == 409 and closing.json()["error"]["code"] == "window_state"


async def test_supervisor_may_act_at_any_window_of_the_hall(api: Api) -> None:
    clerk = await api.login(api.hall.clerk(1).username)
    boss = await api.login(api.hall.supervisor.username)
    w1 = api.hall.window(1)
    await api.client.post(f"/api/windows/{w1}/open", headers=clerk)
    r = await api.client.post(f"/api/windows/{w1}/pause", json={"reason": "例会"}, headers=boss)
    assert r.status_code == 200 and r.json()["window"]["pause_reason"] == "例会"
    assert (await api.client.post(f"/api/windows/{w1}/close", headers=boss)).json()["window"][
        "state"
    ] == "closed"


async def test_openapi_and_metrics(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert "post" in spec["paths"]["/api/halls/{hall}/tickets"]
    for op in ("open", "pause", "call-next", "transfer", "call-back"):
        assert f"/api/windows/{{window}}/{op}" in spec["paths"]
    issue = spec["components"]["schemas"]["IssueTicketRequest"]
    assert set(issue["properties"]["kind"]["enum"]) == {"walk_in", "green"}
    await api.client.post(f"/api/halls/{api.hall.id}/tickets", json={"service": "B"})
    text = (await api.client.get("/metrics")).text
    assert (
        f'onewindow_tickets_issued_total{{hall="{api.hall.id}",kind="walk_in",service="B"}} 1.0'
        in text
    )
    assert f'onewindow_waiting_tickets{{hall="{api.hall.id}",service="B"}} 1.0' in text
    assert (
        'onewindow_http_request_duration_seconds_count{method="POST",route="/api/halls/{hall}/tickets",status="201"}'
        in text
    )
    health = (await api.client.get("/healthz")).json()
    assert health == {"status": "ok", "database": True, "redis": None, "worker": os.getpid()}


async def test_a_retried_command_runs_once(api: Api) -> None:
    """A console that lost the reply retries with the same key: one ticket is called."""
    clerk = await api.login(api.hall.clerk(1).username)
    w1 = api.hall.window(1)
    for _ in range(2):
        await api.client.post(f"/api/halls/{api.hall.id}/tickets", json={"service": "A"})
    await api.client.post(f"/api/windows/{w1}/open", headers=clerk)
    retry = {**clerk, "idempotency-key": "cmd-0001-call"}
    first = (await api.client.post(f"/api/windows/{w1}/call-next", headers=retry)).json()
    again = (await api.client.post(f"/api/windows/{w1}/call-next", headers=retry)).json()
    assert first["replayed"] is False and again["replayed"] is True
    assert again["ticket"]["number"] == first["ticket"]["number"] == "A001"
    counts = {
        s["code"]: s["waiting"]
        for s in (await api.client.get(f"/api/halls/{api.hall.id}")).json()["services"]
    }
    assert counts["A"] == 1  # A002 still waits
    # A new key is a new command.
    await api.client.post(
        f"/api/windows/{w1}/no-show", headers={**clerk, "idempotency-key": "cmd-0002-pass"}
    )
    nxt = (
        await api.client.post(
            f"/api/windows/{w1}/call-next", headers={**clerk, "idempotency-key": "cmd-0003-call"}
        )
    ).json()
    assert nxt["ticket"]["number"] == "A002"
