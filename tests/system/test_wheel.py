"""The wheel, as a new user gets it: built, installed into a fresh virtual environment, served.

``python -m build`` (an sdist, then the wheel from that sdist) from a copy of the
checkout; the wheel goes into a new venv in a temporary directory outside the
checkout; ``<venv>/bin/onewindow serve --demo`` runs in an empty directory with
nothing of the checkout on its path, and every page, every static file and
``/openapi.json`` are fetched from it. The copy gets two nested files under the
pages' ``static/`` folders (there are none yet) to prove that subfolders ship and
serve too. The dependencies come from pip's cache or index: about 15 s once cached.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _with_db
from tests.system.server_proc import ServerProcess, child_env

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PAGES = ("displays", "window_client", "admin", "web_common", "kiosk", "citizen", "dept_console",
         "stats", "supervisor")
STATIC_URLS = {  # a page folder's static files → where the server serves them (server/web.py)
    "web_common": ("", "/static/common/"),
    "displays": ("static/", "/static/displays/"),
    "window_client": ("static/", "/static/console/"),
    "admin": ("static/", "/static/admin/"),
    "kiosk": ("static/", "/static/kiosk/"),
    "citizen": ("static/", "/static/citizen/"),
    "dept_console": ("static/", "/static/dept/"),
    "stats": ("static/", "/static/stats/"),
    "supervisor": ("static/", "/static/supervisor/"),
}
PROBES = {  # nested files added to the copy only
    "displays/static/probe/nested.js": "export const probe = 1;\n",
    "admin/static/probe/icons/mark.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
}
LEFT_OUT = {".git", ".venv", "venv", "build", "dist", "test-output", "node_modules"}
TIMEOUT_S = 300


def _shipped(src: Path, folder: str) -> list[str]:
    """Every file of a folder of the source tree, relative to it: what the wheel must carry."""
    return sorted(
        p.relative_to(src / folder).as_posix()
        for p in (src / folder).rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(src).parts)
    )


def _ignore(directory: str, names: list[str]) -> set[str]:
    at_root = Path(directory) == REPO
    return {
        n
        for n in names
        if n == "__pycache__"
        or n.endswith((".egg-info", ".db", ".db-wal", ".db-shm"))
        or (n.startswith(".") and n != ".gitignore")
        or (at_root and n in LEFT_OUT)
    }


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)  # fmt: skip
    assert done.returncode == 0, (
        f"$ {' '.join(cmd)}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return str(done.stdout)


@dataclass
class Installed:
    src: Path  # the copy of the checkout the wheel was built from
    wheel: Path
    venv: Path
    env: dict[str, str]  # for the installed commands: nothing of the checkout on the path

    def script(self) -> str:
        return str(self.venv / "bin" / "onewindow")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(REPO, src, ignore=_ignore, symlinks=True)
    for rel, text in PROBES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, "utf-8")

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(src)], env=env)
    wheels = sorted((work / "dist").glob("onewindow-*.whl"))
    assert len(wheels) == 1, wheels

    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])],
         env=env, cwd=work)  # fmt: skip
    clean = {k: v for k, v in child_env({}).items() if k != "PYTHONPATH"}
    return Installed(src, wheels[0], venv, clean)


def test_the_wheel_carries_the_server_the_pages_and_the_migrations(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = [n for n in whl.namelist() if not n.endswith("/")]
    assert {n.split("/", 1)[0] for n in names} == {
        "server", "onewindow_pages", "onewindow-0.1.0.dist-info",
    }  # fmt: skip
    # Every file of server/ (modules, migrations, the demo hall) and of the page folders,
    # nothing else: no bytecode, no file of the checkout outside them.
    expected = {f"server/{rel}" for rel in _shipped(installed.src, "server")}
    for folder in PAGES:
        expected |= {f"onewindow_pages/{folder}/{rel}" for rel in _shipped(installed.src, folder)}
    got = {n for n in names if not n.startswith("onewindow-0.1.0.dist-info/")}
    assert sorted(expected - got) == [], (
        "not in the wheel (see packages and package-data in [tool.setuptools] of pyproject.toml;"
        " a new server subpackage must be listed)"
    )
    assert sorted(got - expected) == []
    assert "onewindow_pages/displays/static/probe/nested.js" in got
    assert "server/store/migrations/postgres/0001_queue_core.sql" in got


def test_the_installed_package_is_the_one_imported(installed: Installed, tmp_path: Path) -> None:
    out = _run(
        [str(installed.venv / "bin" / "python"), "-c",
         "import server, onewindow_pages.displays as d; print(server.__file__); print(d.__file__)"],
        cwd=tmp_path, env=installed.env,
    )  # fmt: skip
    site = installed.venv.resolve()
    for line in out.splitlines():
        assert Path(line).resolve().is_relative_to(site), out
        assert not Path(line).resolve().is_relative_to(REPO), out


def _migrations(dialect: str) -> list[int]:
    folder = REPO / "server" / "store" / "migrations" / dialect
    return sorted(int(p.name.split("_", 1)[0]) for p in folder.glob("*.sql"))


def test_the_installed_demo_serves_every_page_and_file(
    installed: Installed, tmp_path: Path
) -> None:
    hall = tmp_path / "hall"
    hall.mkdir()
    srv = ServerProcess(env={}, cwd=hall, log_path=tmp_path / "server.log", demo=True,
                        command=[installed.script()])  # fmt: skip
    srv.env = dict(installed.env)
    with srv, httpx.Client(base_url=srv.base_url, timeout=10.0) as client:
        pages = {
            "/display/demo": "示范政务服务中心",
            "/display/demo/window/demo-w1": "demo-w1",
            "/console": "/static/console/console.js",
            "/admin": "/static/admin/admin.js",
            "/dept": "/static/dept/dept.js",
            "/kiosk/demo": "示范政务服务中心",
            "/m/demo": "示范政务服务中心",
            "/m/me": "/static/citizen/",
            "/m/demo/book/A": "/static/citizen/book.js",
        }
        used: set[str] = set()
        for url, marker in pages.items():
            r = client.get(url)
            assert r.status_code == 200, (url, r.text[:300])
            assert r.headers["content-type"].startswith("text/html"), url
            assert marker in r.text, (url, r.text[:300])
            refs = re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text)
            assert any(ref.endswith(".js") for ref in refs), (url, refs)
            used |= set(refs)
        assert "/static/displays/board.js" in used

        # Every static file of every page folder, byte for byte: those the pages name
        # and those their scripts import, nested ones included.
        served: set[str] = set()
        for folder, (under, prefix) in STATIC_URLS.items():
            for rel in _shipped(installed.src, folder):
                if not rel.startswith(under) or rel.endswith(".py"):
                    continue
                url = prefix + rel.removeprefix(under)
                r = client.get(url)
                assert r.status_code == 200, url
                assert r.content == (installed.src / folder / rel).read_bytes(), url
                served.add(url)
        assert used <= served, used - served
        assert {"/static/displays/probe/nested.js", "/static/admin/probe/icons/mark.svg"} <= served
        r = client.get("/static/displays/board.js")
        assert "javascript" in r.headers["content-type"]
        assert client.get("/static/common/__init__.py").status_code == 404

        r = client.get("/openapi.json")
        assert r.status_code == 200, r.text[:300]
        doc = r.json()
        assert doc["openapi"].startswith("3.")
        assert "/api/halls/{hall}/tickets" in doc["paths"], sorted(doc["paths"])

        r = client.get("/api/halls/demo")  # the demo hall shipped in the package, seeded
        assert r.status_code == 200, r.text
        assert len(r.json()["windows"]) == 6

        # The slip's QR is made by a dependency (segno): it must come with the wheel. A
        # clerk issues at the window, so the demo hall's hours do not matter.
        login = {"username": "clerk1", "password": "demo1234"}
        token = client.post("/api/auth/login", json=login).json()["token"]
        r = client.post("/api/halls/demo/tickets", json={"service": "A", "channel": "window"},
                        headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code == 201, r.text
        slip = client.get(r.json()["slip_url"])
        assert slip.status_code == 200 and "<svg" in slip.text, slip.text[:300]
        code = srv.stop()
    assert code == 0, srv.output()

    db = sqlite3.connect(hall / "onewindow.db")
    try:
        versions = sorted(v for (v,) in db.execute("SELECT version FROM schema_migrations"))
    finally:
        db.close()
    assert versions == _migrations("sqlite")


async def _pg(url: str, sql: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    name = f"ow_wheel_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(_pg(PG_ADMIN_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_db(PG_ADMIN_URL, name)
    finally:
        asyncio.run(_pg(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_installed_command_migrates_postgres(
    installed: Installed, fresh_pg: str, tmp_path: Path
) -> None:
    env = installed.env | {"ONEWINDOW_DATABASE_URL": fresh_pg}
    _run([installed.script(), "migrate"], cwd=tmp_path, env=env)
    _run([installed.script(), "check"], cwd=tmp_path, env=env)
    applied = asyncio.run(_pg(fresh_pg, "SELECT version FROM schema_migrations ORDER BY version"))
    assert applied == _migrations("postgres")
