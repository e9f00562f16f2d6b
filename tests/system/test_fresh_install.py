"""A fresh install without the demo, as an operator sets up a real hall.

In an empty directory, with the installed ``onewindow`` console script: create
the first admin, import ``docs/example-hall.json`` (a dry run first), serve,
sign in and issue a ticket in the imported hall; then ``onewindow audit verify``
passes, and fails once a row of the audit log is edited or deleted behind the
server's back. On the SQLite default and on PostgreSQL (a fresh database per
test, so the hall id ``lixia`` is free).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _with_db
from tests.system.server_proc import ServerProcess, child_env

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PATH = REPO / "docs" / "example-hall.json"
EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_PATH.read_text("utf-8"))
ROOT_PASSWORD = "Root-pass-2026"


def _console_script() -> str:
    """The ``onewindow`` script pip installed beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).with_name("onewindow")
    found = str(beside) if beside.is_file() else shutil.which("onewindow")
    assert found, "the onewindow console script is not installed (pip install -e .)"
    return found


async def _pg(url: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


@dataclass
class Install:
    """An empty directory and the database the commands run in it will use."""

    backend: str
    dir: Path
    env: dict[str, str]  # what the commands and the server get, beside PATH and HOME
    pg_url: str | None = None

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_console_script(), *args],
            cwd=self.dir,
            env=child_env(self.env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def sql(self, statement: str) -> None:
        """Run one statement on the database directly, behind OneWindow's back."""
        if self.pg_url is not None:
            asyncio.run(_pg(self.pg_url, statement))
            return
        conn = sqlite3.connect(self.dir / "onewindow.db")
        try:
            with conn:
                conn.execute(statement)
        finally:
            conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def install(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Install]:
    d = tmp_path / "hall"
    d.mkdir()
    if request.param == "sqlite":
        # No settings at all: the SQLite file in the working directory.
        yield Install("sqlite", d, {})
        return
    name = f"ow_fresh_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(_pg(PG_ADMIN_URL, f'CREATE DATABASE "{name}"'))
    url = _with_db(PG_ADMIN_URL, name)
    try:
        yield Install("postgres", d, {"ONEWINDOW_DATABASE_URL": url}, url)
    finally:
        asyncio.run(_pg(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _failed(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


PLANNED = [
    "+ hall lixia", "+ department lx-rsj", "+ department lx-zrzyj", "+ service A", "+ service C",
    "+ window lixia-w1", "+ window lixia-w2",
]  # fmt: skip


def test_a_hall_set_up_from_a_document_serves_a_ticket(install: Install, tmp_path: Path) -> None:
    assert list(install.dir.iterdir()) == []

    out = _ok(install.run("user", "create", "--role", "admin", "root", "--password-stdin",
                          stdin=ROOT_PASSWORD + "\n"))  # fmt: skip
    assert out.startswith("created admin root ("), out
    assert (install.dir / ".onewindow-secret").is_file()

    out = _ok(install.run("hall", "import", str(EXAMPLE_PATH), "--dry-run"))
    assert out.splitlines() == [*PLANNED, "7 changes (dry run: nothing applied)"]
    assert "unknown_hall" in _failed(install.run("hall", "export", "lixia"))

    out = _ok(install.run("hall", "import", str(EXAMPLE_PATH)))
    assert out.splitlines() == [*PLANNED, "applied 7 changes"]
    assert json.loads(_ok(install.run("hall", "export", "lixia"))) == EXAMPLE
    assert _ok(install.run("hall", "import", str(EXAMPLE_PATH))).splitlines() == [
        "nothing to change"
    ]
    if install.backend == "sqlite":
        assert sorted(p.name for p in install.dir.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
            ".onewindow-secret", "onewindow.db",
        ]  # fmt: skip

    srv = ServerProcess(env=install.env, cwd=install.dir, log_path=tmp_path / "server.log")
    with srv, httpx.Client(base_url=srv.base_url, timeout=10.0) as client:
        r = client.post("/api/auth/login", json={"username": "root", "password": ROOT_PASSWORD})
        assert r.status_code == 200, r.text
        assert (r.json()["role"], r.json()["hall"], r.json()["must_change_password"]) == (
            "admin", None, False)  # fmt: skip
        auth = {"Authorization": f"Bearer {r.json()['token']}"}

        # The window channel is for staff; signed in, the admin may issue at any hour.
        r = client.post("/api/halls/lixia/tickets", json={"service": "A", "channel": "window"})
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "staff_only_channel"
        r = client.post("/api/halls/lixia/tickets", json={"service": "A", "channel": "window"},
                        headers=auth)  # fmt: skip
        assert r.status_code == 201, r.text
        issued = r.json()
        assert (issued["number"], issued["service"], issued["position"]) == ("A001", "A", 1)

        r = client.get(f"/api/tickets/{issued['id']}", params={"token": issued["token"]})
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["id"], got["number"], got["service"], got["state"], got["position"]) == (
            issued["id"], "A001", "A", "waiting", 1)  # fmt: skip

        r = client.get("/api/halls/lixia")
        assert r.status_code == 200, r.text
        hall = r.json()
        assert [s["code"] for s in hall["services"]] == ["A", "C"]
        assert [(w["number"], w["id"]) for w in hall["windows"]] == [
            (1, "lixia-w1"), (2, "lixia-w2"),
        ]  # fmt: skip
        code = srv.stop()
    assert code == 0, srv.output()
    # The server read the secret the commands made: no second one was generated.
    assert "ONEWINDOW_SECRET is not set" not in srv.output()

    # --- the audit trail: intact, then tampered with ---------------------------------------
    out = _ok(install.run("audit", "verify"))
    assert "audit log intact" in out
    assert "chain lixia: 7 rows" in out, out
    assert "chain *: " in out, out  # the admin's creation and sign-in

    install.sql(
        "UPDATE audit_log SET actor_name = actor_name || 'x' WHERE chain = 'lixia' AND seq = 3"
    )
    out = _failed(install.run("audit", "verify"))
    assert "BROKEN lixia#3: altered" in out, out
    assert "lixia#2" not in out and "lixia#4" not in out, out
    install.sql("UPDATE audit_log SET actor_name = substr(actor_name, 1, length(actor_name) - 1)"
                " WHERE chain = 'lixia' AND seq = 3")  # fmt: skip
    assert "audit log intact" in _ok(install.run("audit", "verify"))

    install.sql("DELETE FROM audit_log WHERE chain = 'lixia' AND seq = 4")
    out = _failed(install.run("audit", "verify"))
    assert "BROKEN lixia: rows #4–#4 are missing" in out, out


def _bad(edit: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(EXAMPLE))
    doc["hall"]["name"] = "不该生效的新名字"
    if edit == "unknown key":
        doc["windows"][0]["colour"] = "red"
    elif edit == "wrong type":
        doc["windows"][0]["number"] = "1"
    return doc


@pytest.mark.parametrize(
    ("edit", "path"), [("unknown key", "windows.0.colour"), ("wrong type", "windows.0.number")]
)
def test_a_bad_document_is_refused_naming_the_path(
    install: Install, tmp_path: Path, edit: str, path: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_bad(edit), ensure_ascii=False), "utf-8")

    # Before the hall exists: refused, and still no hall.
    for dry in ((), ("--dry-run",)):
        done = install.run("hall", "import", str(bad), *dry)
        err = _failed(done)
        assert path in done.stderr, err
        assert "document_invalid" in done.stderr, err
        assert "Traceback" not in err, err
    assert "unknown_hall" in _failed(install.run("hall", "export", "lixia"))

    # Against the imported hall: refused, the hall as it was, no audit rows added.
    _ok(install.run("hall", "import", str(EXAMPLE_PATH)))
    verified = _ok(install.run("audit", "verify"))
    for dry in ((), ("--dry-run",)):
        done = install.run("hall", "import", str(bad), *dry)
        assert path in _failed(done), done.stderr
    assert json.loads(_ok(install.run("hall", "export", "lixia"))) == EXAMPLE
    assert _ok(install.run("audit", "verify")) == verified

    # The same document on standard input, and one that is not JSON at all.
    done = install.run("hall", "import", "-", stdin=bad.read_text("utf-8"))
    assert path in _failed(done), done.stderr
    done = install.run("hall", "import", "-", stdin='{"format": ')
    assert "not JSON" in _failed(done), done.stderr
    assert json.loads(_ok(install.run("hall", "export", "lixia"))) == EXAMPLE


def test_no_new_secret_is_made_for_a_database_with_an_audit_log(
    install: Install, tmp_path: Path
) -> None:
    """Run from another folder without ONEWINDOW_SECRET, a command would key its audit rows
    with a fresh secret and every later row would look forged: it refuses instead."""
    env = dict(install.env)
    if install.backend == "sqlite":
        env["ONEWINDOW_DATABASE_URL"] = f"sqlite:///{install.dir / 'onewindow.db'}"
    _ok(install.run("user", "create", "--role", "admin", "root", "--password-stdin",
                    stdin=ROOT_PASSWORD + "\n"))  # fmt: skip
    elsewhere = Install(install.backend, tmp_path / "elsewhere", env, install.pg_url)
    elsewhere.dir.mkdir()
    said = _failed(elsewhere.run("audit", "verify"))
    assert "ONEWINDOW_SECRET" in said
    assert not (elsewhere.dir / ".onewindow-secret").exists()
    # With the secret it was written with, the same command works from anywhere.
    key = (install.dir / ".onewindow-secret").read_text().strip()
    keyed = Install(install.backend, elsewhere.dir, {**env, "ONEWINDOW_SECRET": key}, install.pg_url)
    assert "audit log intact" in _ok(keyed.run("audit", "verify"))
