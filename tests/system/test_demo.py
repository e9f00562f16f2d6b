"""``onewindow serve --demo`` from an empty directory, as a first-time user runs it.

No settings at all: the server must make its own SQLite file in the working
directory, seed the demo hall, let a clerk sign in and serve a ticket, describe
itself in /openapi.json, stop cleanly on SIGTERM, and ``onewindow check`` must
say whether the database is there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.system.server_proc import ServerProcess, child_env

UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/nope"


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    d = tmp_path / "hall"
    d.mkdir()
    return d


def _cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _graceful_shutdown_logged(log: str) -> bool:
    return "Application shutdown complete" in log and "Traceback" not in log


async def test_demo_serves_a_ticket_end_to_end(demo_dir: Path, tmp_path: Path) -> None:
    # child_env starts from a clean environment: no ONEWINDOW_DATABASE_URL, no secret.
    srv = ServerProcess(env={}, cwd=demo_dir, log_path=tmp_path / "server.log", demo=True)
    with srv:
        db = demo_dir / "onewindow.db"
        assert db.is_file(), sorted(p.name for p in demo_dir.iterdir())
        assert db.read_bytes()[:16] == b"SQLite format 3\x00"

        async with httpx.AsyncClient(base_url=srv.base_url, timeout=10.0) as client:
            r = await client.post(
                "/api/auth/login", json={"username": "clerk1", "password": "demo1234"}
            )
            assert r.status_code == 200, r.text
            assert (r.json()["role"], r.json()["hall"]) == ("clerk", "demo")
            auth = {"Authorization": f"Bearer {r.json()['token']}"}

            r = await client.post("/api/windows/demo-w1/open", headers=auth)
            assert r.status_code == 200, r.text
            assert r.json()["window"]["state"] == "open"

            # Staff issue at the window whatever the hall's hours are.
            r = await client.post(
                "/api/halls/demo/tickets",
                json={"service": "A", "channel": "window"},
                headers=auth,
            )
            assert r.status_code == 201, r.text
            issued = r.json()
            assert issued["number"] == "A001"
            assert issued["service"] == "A" and issued["token"]

            r = await client.post("/api/windows/demo-w1/call-next", headers=auth)
            assert r.status_code == 200, r.text
            called = r.json()
            assert called["ticket"]["id"] == issued["id"]
            assert called["ticket"]["number"] == issued["number"]
            assert called["ticket"]["state"] == "called"
            assert called["window"]["current"]["number"] == issued["number"]

            r = await client.get("/api/halls/demo")
            assert r.status_code == 200, r.text
            hall = r.json()
            assert [s["code"] for s in hall["services"]] == ["A", "B", "C", "D", "E"]
            windows = {w["number"]: w for w in hall["windows"]}
            assert sorted(windows) == [1, 2, 3, 4, 5, 6]
            assert windows[1]["id"] == "demo-w1"
            assert windows[1]["current"] == {"number": "A001", "service": "A", "state": "called"}
            assert all(windows[n]["current"] is None for n in range(2, 7))
            # Public view: no token or ticket id leaks into the hall page.
            assert issued["token"] not in r.text and issued["id"] not in r.text

            r = await client.get("/healthz")
            assert r.status_code == 200, r.text
            assert r.json() == {"status": "ok", "database": True, "redis": None,
                                "worker": srv.proc.pid if srv.proc else None}  # fmt: skip

            r = await client.get("/openapi.json")
            assert r.status_code == 200, r.text
            paths = r.json()["paths"]
            assert "post" in paths["/api/halls/{hall}/tickets"]
            assert "post" in paths["/api/windows/{window}/call-next"]

        code = srv.stop(timeout=10)
    log = srv.output()
    assert code == 0, log
    assert _graceful_shutdown_logged(log), log
    assert "seeded the demo hall 'demo'" in log
    assert "ONEWINDOW_SECRET is not set" in log
    assert (demo_dir / ".onewindow-secret").is_file()

    # `onewindow check` now finds a migrated database in this directory.
    done = _cli(demo_dir, "check")
    assert (done.returncode, done.stdout.split()) == (0, ["ok", "workers:", "1"]), (
        done.stdout + done.stderr
    )


async def test_a_newcomer_walks_a_case_from_intake_to_pickup_on_the_demo(
    demo_dir: Path, tmp_path: Path
) -> None:
    """The demo's catalog, departments and officers carry a case the whole way, at any
    hour (staff issue at the window; kiosks keep the hall's hours)."""
    srv = ServerProcess(env={}, cwd=demo_dir, log_path=tmp_path / "server.log", demo=True)
    applicant = "11010519491231002X"
    with srv:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=10.0) as client:

            async def as_(user: str) -> dict[str, str]:
                r = await client.post("/api/auth/login",
                                      json={"username": user, "password": "demo1234"})
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['token']}"}

            async def ok(method: str, url: str, who: dict[str, str], body: object = None) -> Any:
                r = await client.request(method, url, headers=who, json=body)
                assert r.status_code in (200, 201), (url, r.text)
                return r.json()

            async def serve(window: str, who: dict[str, str], service: str) -> str:
                await ok("POST", f"/api/windows/{window}/open", who)
                t = await ok("POST", "/api/halls/demo/tickets", who,
                             {"service": service, "channel": "window", "id_number": applicant})
                await ok("POST", f"/api/windows/{window}/call-next", who)
                await ok("POST", f"/api/windows/{window}/start", who)
                return str(t["id"])

            intake = await as_("clerk5")
            ticket = await serve("demo-w5", intake, "D")
            case = await ok("POST", "/api/cases", intake, {
                "hall": "demo", "matter": "SC-001", "ticket": ticket, "window": "demo-w5",
                "applicant": {"name": "张小三", "id_number": applicant, "phone": "13800138000"},
                "materials": {"application": "received", "operator_id": "received",
                              "premises": "received"}})
            assert case["number"].startswith("370102-") and case["state"] == "in_review"
            for officer in ("officer1", "officer4"):  # 市场监管局 and 税务局, in parallel
                who = await as_(officer)
                inbox = await ok("GET", "/api/dept/tasks", who)
                [task] = [t["task"] for t in inbox["tasks"] if t["case"] == case["id"]]
                await ok("POST", f"/api/tasks/{task}/claim", who, {})
                done = await ok("POST", f"/api/tasks/{task}/approve", who, {})
            assert done["state"] == "result_ready"
            pickup = await as_("clerk6")
            ticket = await serve("demo-w6", pickup, "E")
            ready = await ok("POST", "/api/halls/demo/pickup", pickup, {"ticket": ticket})
            assert [c["number"] for c in ready["cases"]] == [case["number"]]
            out = await ok("POST", f"/api/cases/{case['id']}/pickup", pickup,
                           {"collector_id": applicant})
            assert out["state"] == "picked_up"
            status = await ok("POST", "/api/case-status", {},
                              {"number": case["number"], "id_suffix": applicant[-4:]})
            assert status["state"] == "picked_up" and status["applicant"] == "张*三"
        assert srv.stop(timeout=10) == 0


def test_sigterm_exits_with_code_zero(demo_dir: Path, tmp_path: Path) -> None:
    srv = ServerProcess(env={}, cwd=demo_dir, log_path=tmp_path / "server.log", demo=True)
    with srv:
        code = srv.stop(timeout=10)
    assert _graceful_shutdown_logged(srv.output()), srv.output()
    assert code == 0


def test_check_reports_an_unreachable_database(demo_dir: Path) -> None:
    done = _cli(demo_dir, "check", ONEWINDOW_DATABASE_URL=UNREACHABLE_PG)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "database unreachable" in done.stdout, done.stdout + done.stderr
    assert not (demo_dir / "onewindow.db").exists()


def test_check_without_a_database_leaves_no_file_behind(demo_dir: Path) -> None:
    done = _cli(demo_dir, "check")
    assert done.returncode == 1, done.stdout + done.stderr
    assert list(demo_dir.iterdir()) == []
