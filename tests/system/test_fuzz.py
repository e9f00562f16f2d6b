"""schemathesis, a fuzzer we did not write, against /openapi.json of a live server on PostgreSQL.

Every operation gets a bounded, seeded number of generated requests: valid ones
and (where there is a body) invalid ones, aimed at random targets and at the
hall's real ones, plus a few known-good requests that get past "not found" to
the deeper paths. Each is sent as nobody, a clerk, the hall's supervisor or an
admin. Every answer must be no 5xx and match what the document declares
(status, content type, headers, body), and an invalid request must be refused.
A refused (4xx) request must change nothing: the database is fingerprinted
before and after it, table by table; only REFUSED_WRITES are allowed.

Failures are collected and reported together; nothing is shrunk, so a failing
run costs no more than a passing one.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from tests.conftest import PG_ADMIN_URL, HallFixture, pg_admin
from tests.realtime.conftest import running, server_env
from tests.system.fuzz_helpers import Fingerprint, seed, sign_in

EXAMPLES = int(os.environ.get("ONEWINDOW_FUZZ_EXAMPLES", "15"))  # per operation and variant
SEED = 20261125
HIGH = "1000000/60"  # rate limits out of the way: the fuzzer should not just see 429s
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
ACTORS = ("anonymous", "clerk", "supervisor", "admin")
PHONE = "13800138000"

Key = tuple[str, str]
# Refused requests that write on purpose -> the tables they may change.
REFUSED_WRITES: dict[Key, set[str]] = {
    # A failed sign-in is audited (who tried which account from where).
    ("POST", "/api/auth/login"): {"audit_log", "audit_heads"},
    # A wrong current password is audited like a failed sign-in.
    ("POST", "/api/auth/password"): {"audit_log", "audit_heads"},
    # A wrong code counts against the code's 5 tries.
    ("POST", "/api/citizen/session"): {"sign_in_codes"},
}
# Operations that would spoil the run for the others if given a shared staff token.
OWN_TOKEN = {
    # Sign-out revokes the token it is sent with: it gets a throwaway session.
    ("POST", "/api/auth/logout"),
    # A successful change would end the user's other sessions.
    ("POST", "/api/auth/password"),
}
# Real targets would make these remove what the other operations work on (the
# hall's windows and services): they get random targets only.
NO_REAL_TARGET = {
    ("DELETE", "/api/admin/windows/{window}"),
    ("DELETE", "/api/admin/halls/{hall}/services/{code}"),
}


def _good_bodies(hall: HallFixture) -> dict[Key, list[dict[str, Any]]]:
    """Known-good bodies (sent to real targets) that random data seldom hits."""
    return {
        ("POST", "/api/halls/{hall}/tickets"): [
            {"service": "A"},
            {"service": "A", "channel": "kiosk", "phone": PHONE},
        ],
        ("POST", "/api/citizen/code"): [{"phone": PHONE}],
        ("POST", "/api/citizen/session"): [{"phone": PHONE, "code": "000000"}],
        ("POST", "/api/auth/login"): [{"username": hall.clerk(2).username, "password": "wrong"}],
        ("POST", "/api/auth/password"): [{"old_password": "wrong", "new_password": "n3w-pass!"}],
        ("POST", "/api/halls/{hall}/notices"): [{"title": "午休时间"}],
        ("POST", "/api/windows/{window}/pause"): [{"reason": "午休"}],
        ("POST", "/api/windows/{window}/transfer"): [{"service": "B"}],
        ("PATCH", "/api/admin/halls/{hall}"): [{"name": "测试大厅"}],
        ("PUT", "/api/admin/halls/{hall}/calendar/{year}"): [{"days": {"2099-01-01": False}}],
        ("POST", "/api/admin/halls/{hall}/services"): [{"code": "E", "name": "业务E"}],
        ("POST", "/api/admin/departments"): [{"id": "fuzz-d", "name": "审批局", "kind": "back"}],
        ("POST", "/api/admin/users"): [
            {
                "username": "fuzz-user",
                "display_name": "新人",
                "role": "clerk",
                "hall": hall.id,
                "password": "pass-12345",
            },
        ],
    }


def _label(key: Key) -> str:
    return f"{key[0]} {key[1]}"


@dataclass
class Run:
    base: str
    hall: HallFixture
    tokens: dict[str, str]
    spare: str  # username of the clerk whose sessions OWN_TOKEN operations spend
    fingerprint: Fingerprint
    session: requests.Session = field(default_factory=requests.Session)
    failures: dict[str, list[str]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    allowed_writes: Counter[str] = field(default_factory=Counter)

    def fail(self, op: str, what: str) -> None:
        found = self.failures.setdefault(op, [])
        if len(found) < 3:  # the first few of each operation say enough
            found.append(what)

    def headers(self, key: Key, who: str, case: Any) -> dict[str, str]:
        declared = case.operation.definition.raw.get("parameters", [])
        if any(p["in"] == "header" and p["name"].lower() == "authorization" for p in declared):
            return {}  # the operation declares its own Authorization (citizens'): fuzz that
        if who == "anonymous":
            return {}
        token = sign_in(self.base, self.spare) if key in OWN_TOKEN else self.tokens[who]
        return {"authorization": f"Bearer {token}"}

    def exercise(self, case: Any, who: str) -> None:
        key = (case.operation.method.upper(), case.operation.path)
        headers = self.headers(key, who, case)
        before = self.fingerprint.take()
        response = case.call(base_url=self.base, session=self.session, headers=headers, timeout=30)
        status = response.status_code
        self.statuses[(_label(key), status)] += 1
        curl = case.as_curl_command(headers=headers)[:500]
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for f in group.exceptions:
                self.fail(_label(key), f"[{who}] {f.title}: {f.message[:300]}\n  {curl}")
        if 400 <= status < 500:
            changed = Fingerprint.changed(before, self.fingerprint.take())
            allowed = changed & REFUSED_WRITES.get(key, set())
            if allowed:
                self.allowed_writes[_label(key)] += 1
            if changed - allowed:
                self.fail(_label(key), f"[{who}] {status} changed {sorted(changed - allowed)}"
                          f"\n  {curl}")  # fmt: skip


def _strategies(op: Any, run: Run) -> Iterator[st.SearchStrategy[Any]]:
    key = (op.method.upper(), op.path)
    real = {"hall": run.hall.id, "window": run.hall.window(1), "code": "D", "year": "2099"}
    known = {k: v for k, v in real.items() if k in op.path_parameters}
    if key in NO_REAL_TARGET:
        known = {}
    # Parameters are all plain strings: only a body can be made invalid.
    has_body = "requestBody" in op.definition.raw
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if has_body else 1]:
        # schemathesis makes up bearer tokens for secured operations; ours are real
        # (or none), so its are switched off (with_security_parameters below).
        yield op.as_strategy(generation_mode=mode)
        if known:
            yield op.as_strategy(generation_mode=mode, path_parameters=known)
    for body in _good_bodies(run.hall).get(key, []):
        yield op.as_strategy(path_parameters=known or None, body=body)


def _fuzz_operation(op: Any, run: Run) -> None:
    for strategy in _strategies(op, run):

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,  # no memory of earlier runs: every run is the same run
            phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
            suppress_health_check=list(HealthCheck),
            verbosity=hypothesis.Verbosity.quiet,
        )
        @hypothesis.given(case=strategy, who=st.sampled_from(ACTORS))
        def fuzz(case: Any, who: str) -> None:
            run.exercise(case, who)

        fuzz()


def _replay_findings(base: str, token: str, hall: HallFixture, fp: Fingerprint) -> None:
    """What the fuzzer once found, replayed exactly: a NUL character reached PostgreSQL
    (which cannot store one) and came back as a 500."""
    auth = {"authorization": f"Bearer {token}"}
    before = fp.take()
    with httpx.Client(base_url=base, headers=auth) as c:
        answers = [
            c.post(f"/api/halls/{hall.id}/notices", json={"title": "a", "body": "\x00"}),
            c.post(f"/api/halls/{hall.id}/tickets", json={"service": "A", "name": "张\x00"}),
            c.patch(f"/api/admin/halls/{hall.id}", json={"hours": {"mon\x00": []}}),
            c.get("/api/tickets/t%00x", params={"token": "x"}),
            c.get("/api/audit", params={"actor": "a\x00"}),
        ]
    for r in answers:
        assert r.status_code == 422, (r.request.url, r.status_code, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    assert not Fingerprint.changed(before, fp.take())


@pytest.fixture
def fuzz_db() -> Iterator[str]:
    name = f"ow_fuzz_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_schemathesis_finds_nothing(tmp_path: Path, fuzz_db: str) -> None:
    hall, admin = asyncio.run(seed(fuzz_db))
    env = server_env(
        fuzz_db,
        ONEWINDOW_RATE_LIMIT_LOGIN=HIGH,
        ONEWINDOW_RATE_LIMIT_CODE_PHONE=HIGH,
        ONEWINDOW_RATE_LIMIT_CODE_CLIENT=HIGH,
        ONEWINDOW_RATE_LIMIT_CLIENT=HIGH,
        ONEWINDOW_RATE_LIMIT_ID=HIGH,
    )
    with running(tmp_path, env) as srv, Fingerprint(fuzz_db) as fp:
        schema = schemathesis.openapi.from_url(f"{srv.base_url}/openapi.json")
        # Unknown query parameters and headers are ignored, as HTTP servers do, so
        # adding them does not make a request invalid.
        schema.config.generation.update(
            with_security_parameters=False, allow_extra_parameters=False
        )
        before = fp.take()
        tokens = {
            "clerk": sign_in(srv.base_url, hall.clerk(1).username),
            "supervisor": sign_in(srv.base_url, hall.supervisor.username),
            "admin": sign_in(srv.base_url, admin),
        }
        # The fingerprint sees a write: a sign-in makes a session and an audit entry.
        assert {"staff_sessions", "audit_log"} <= Fingerprint.changed(before, fp.take())
        run = Run(srv.base_url, hall, tokens, hall.clerk(4).username, fp)
        ops = [r.ok() for r in schema.get_all_operations()]
        assert len(ops) > 40, "the document lists every operation"
        try:
            for op in ops:
                _fuzz_operation(op, run)
        finally:
            run.session.close()
        _replay_findings(srv.base_url, tokens["admin"], hall, fp)
    report = "\n".join(f"{op}:\n  " + "\n  ".join(found) for op, found in run.failures.items())
    assert not run.failures, f"{len(run.failures)} operations failed:\n{report}"
    # The run went deep enough to mean something: every operation was called, the
    # hall's real targets answered 2xx, and the allowed refused writes happened.
    called = {op for op, _ in run.statuses}
    assert called == {f"{o.method.upper()} {o.path}" for o in ops}
    ok = {op for (op, status), _ in run.statuses.items() if status < 300}
    for op in ("POST /api/halls/{hall}/tickets", "POST /api/windows/{window}/call-next",
               "POST /api/citizen/code", "POST /api/admin/users", "GET /api/audit.csv"):  # fmt: skip
        assert op in ok, f"{op} never succeeded: {sorted(ok)}"
    assert set(run.allowed_writes) == {_label(k) for k in REFUSED_WRITES}, run.allowed_writes
