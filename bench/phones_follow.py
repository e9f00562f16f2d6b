"""300 phones follow their tickets, 200 displays follow the hall; one call moves everyone.

Issue #9: for each call-next, the time from the call (sent, and its HTTP
reply) to the LAST display's ``ticket.called`` event and to the LAST phone's
snapshot whose ``people_ahead`` went down (p50/p99 over rounds), on one server process on a
fresh PostgreSQL database. Phones see PositionRefresher's 0.25 s debounce; the
output also gives what lies beyond it.

The bare baseline, measured in the same run after each round on the same
database from a plain asyncpg connection: (a) the statements the server's
refresh runs for the followed tickets, one after another as it runs them (the
ticket row, then its count of people ahead); (b) one statement that ranks the
whole queue of the service at once. The server's statements per call are
counted from ``pg_stat_database.xact_commit`` (its reads are autocommit) over
the whole run, less the idle rate measured before it and the bare side's own
transactions (one per round: its statements run in one transaction for that).
A backend may hold its counts up to 10 s before publishing them, hence the
11 s waits.

The phones, the displays and the clerk run in this one uvloop process; frames
are stamped in the transport callback (as bench/bench_ws.py does), and the
output gives this process's CPU per round so a saturated client would show, as
well as the server's, its PostgreSQL backends' and everything else's on the
(shared) machine. ``--quiet-wait`` holds each round until no other pytest or
bench process runs.

    python -m bench.phones_follow --runs 2 --rounds 20 --quiet-wait 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode

from bench.bench_ws import busy_s, code_state, cpu_s, raise_nofile, server_pid
from bench.common import PASSWORD, PG_ADMIN, Conn, fresh_database, seed, server
from server.realtime.positions import DEBOUNCE_S
from server.store import rows

HALL = "bench"
STATS_FLUSH_S = 11.0  # PostgreSQL 15 publishes an idle backend's counts within 10 s
CALLED = b'"type":"ticket.called"'
RANK_ALL = (
    "SELECT id, row_number() OVER (ORDER BY priority, queue_at, seq_no) - 1 AS ahead"
    " FROM tickets WHERE hall_id = $1 AND target_window_id IS NULL AND service = $2"
    " AND state = 'waiting'"
)


class Peer:
    __slots__ = ("ahead", "got", "phone", "ready", "snaps", "wrong")

    def __init__(self, phone: bool) -> None:
        self.phone = phone
        self.ready = asyncio.get_running_loop().create_future()
        self.ahead: int | None = None  # the phone's last people_ahead
        self.got: float | None = None  # when this round reached it
        self.snaps = 0  # position snapshots this round (one expected)
        self.wrong = 0  # snapshots whose people_ahead did not go down by exactly one


class Crowd:
    """Every phone and display; counts down the round as frames arrive."""

    def __init__(self) -> None:
        self.peers: list[Peer] = []
        self.armed = False
        self.remaining = 0
        self.done = asyncio.Event()
        self.errors: list[bytes] = []

    def frame(self, p: Peer, t: float, data: bytes) -> None:
        if data.startswith(b'{"op":"error"'):
            self.errors.append(data[:300])
        if p.phone:
            if not data.startswith(b'{"op":"snapshot"'):
                return
            ahead = json.loads(data)["data"]["people_ahead"]
            if p.ahead is None:
                p.ahead = ahead
                p.ready.set_result(None)
                return
            p.snaps += 1
            if ahead != p.ahead - 1:
                p.wrong += 1
            if ahead >= p.ahead:
                return
            p.ahead = ahead
        elif not p.ready.done():
            if data.startswith(b'{"op":"snapshot"'):
                p.ready.set_result(None)
            return
        elif CALLED not in data:
            return
        if self.armed and p.got is None:
            p.got = t
            self.remaining -= 1
            if self.remaining == 0:
                self.done.set()

    def arm(self) -> None:
        for p in self.peers:
            p.got, p.snaps, p.wrong = None, 0, 0
        self.remaining = len(self.peers)
        self.done.clear()
        self.armed = True


class Stamping(ClientConnection):
    """Stamps each text frame in the transport callback and keeps nothing queued."""

    peer: Peer | None = None
    crowd: Crowd | None = None

    def process_event(self, event: Any) -> None:
        p, c = self.peer, self.crowd
        if (
            p is None
            or c is None
            or not isinstance(event, Frame)
            or event.opcode is not Opcode.TEXT
        ):
            super().process_event(event)
            return
        t = time.perf_counter()
        c.frame(p, t, bytes(event.data))


async def join(crowd: Crowd, url: str, sub: dict[str, Any], phone: bool) -> ClientConnection:
    ws = await connect(
        url, compression=None, open_timeout=60, ping_interval=None, create_connection=Stamping
    )
    p = Peer(phone)
    ws.peer, ws.crowd = p, crowd  # type: ignore[attr-defined]
    crowd.peers.append(p)
    await ws.send(json.dumps(sub))
    await asyncio.wait_for(p.ready, 60)
    return ws


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))]


def ms(x: float) -> float:
    return round(x * 1000, 1)


async def xacts(db: str) -> tuple[int, float]:
    """(committed transactions of the bench database, when), once every backend published."""
    await asyncio.sleep(STATS_FLUSH_S)
    admin = await asyncpg.connect(PG_ADMIN)  # another database: its own reads count elsewhere
    n = await admin.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", db)
    await admin.close()
    return int(n), time.perf_counter()


def others_running(mine: set[int]) -> int:
    """Other engineers' test and bench runs on this shared machine."""
    n = 0
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and int(p.name) not in mine:
            with contextlib.suppress(OSError):
                cmd = (p / "cmdline").read_bytes()
                n += b"pytest" in cmd or b"bench." in cmd
    return n


async def quiet(mine: set[int], limit_s: float) -> float:
    t0 = time.perf_counter()
    while others_running(mine) and time.perf_counter() - t0 < limit_s:
        await asyncio.sleep(2.0)
    return round(time.perf_counter() - t0, 1)


async def backends(admin: asyncpg.Connection, db: str) -> list[int]:
    """The server's PostgreSQL backends (the bare side's connection excluded by the caller)."""
    return [
        r["pid"]
        for r in await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", db)
    ]


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_s(pid)
    return total


async def bare(conn: asyncpg.Connection, ids: list[str]) -> tuple[float, float, dict[str, int]]:
    """(a) the refresh's statements for every followed ticket, in turn; (b) one statement."""
    t0 = time.perf_counter()
    tx = conn.transaction()
    await tx.start()
    for tid in ids:
        r = await conn.fetchrow(f"SELECT {rows.TICKET_COLUMNS} FROM tickets WHERE id = $1", tid)
        await rows.people_ahead(conn, rows.ticket(dict(r)))
    t1 = time.perf_counter()
    ranked = {r["id"]: int(r["ahead"]) for r in await conn.fetch(RANK_ALL, HALL, "A")}
    t2 = time.perf_counter()
    await tx.commit()
    return t1 - t0, t2 - t1, ranked


async def one_run(a: argparse.Namespace, run: int) -> list[dict[str, Any]]:
    async with fresh_database() as url:
        db = url.rsplit("/", 1)[1]
        await seed(url, windows=a.rounds, services="A")
        async with server(url) as port:
            pid = server_pid(port)
            http = await Conn.open(port)
            tokens = []
            for n in range(1, a.rounds + 1):
                _, body = await http.request(
                    "POST", "/api/auth/login", {"username": f"clerk{n}", "password": PASSWORD}
                )
                tokens.append(json.loads(body)["token"])
                await http.request("POST", f"/api/windows/bench-w{n}/open", token=tokens[-1])
            # One ticket ahead per round that nobody follows, so each call moves all 300 phones.
            tickets = []
            for _ in range(a.rounds + a.phones):
                status, body = await http.request(
                    "POST", f"/api/halls/{HALL}/tickets", {"service": "A"}
                )
                if status != 201:
                    raise RuntimeError(f"issue: {status} {body[:200]!r}")
                tickets.append(json.loads(body))
            http.close()
            followed = tickets[a.rounds :]
            crowd = Crowd()
            ws_url = f"ws://127.0.0.1:{port}/ws"
            sem = asyncio.Semaphore(50)

            async def one(sub: dict[str, Any], phone: bool) -> ClientConnection:
                async with sem:
                    return await join(crowd, ws_url, sub, phone)

            t0 = time.perf_counter()
            conns = await asyncio.gather(
                *(
                    one(
                        {"op": "subscribe", "topic": f"ticket:{t['id']}", "token": t["token"]}, True
                    )
                    for t in followed
                ),
                *(
                    one({"op": "subscribe", "topic": f"hall:{HALL}"}, False)
                    for _ in range(a.displays)
                ),
            )
            print(
                json.dumps(
                    {
                        "run": run,
                        "connected": len(conns),
                        "server_pid": pid,
                        "connect_s": round(time.perf_counter() - t0, 2),
                    }
                ),
                flush=True,
            )
            phones = [p for p in crowd.peers if p.phone]
            displays = [p for p in crowd.peers if not p.phone]
            ids = [t["id"] for t in followed]
            base = await asyncpg.connect(url)
            base_pid = base.get_server_pid()
            admin = await asyncpg.connect(PG_ADMIN)
            mine = {os.getpid(), os.getppid(), pid}  # a wrapper (timeout, nice) is ours too
            idle0, t_idle0 = await xacts(db)
            x0, t_x0 = await xacts(db)
            idle_rate = (x0 - idle0) / (t_x0 - t_idle0)
            out = []
            for r in range(a.rounds):
                waited = await quiet(mine, a.quiet_wait)
                others = others_running(mine)
                pg = [b for b in await backends(admin, db) if b != base_pid]
                cpu0, own0, busy0, pg0 = cpu_s(pid), sum(os.times()[:2]), busy_s(), cpu_of(pg)
                crowd.arm()
                c = await Conn.open(port)
                sent = time.perf_counter()
                status, body = await c.request(
                    "POST", f"/api/windows/bench-w{r + 1}/call-next", token=tokens[r]
                )
                ret = time.perf_counter()
                c.close()
                if status != 200:
                    raise RuntimeError(f"call-next: {status} {body[:200]!r}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(crowd.done.wait(), a.timeout)
                crowd.armed = False
                wall = time.perf_counter() - sent
                cpu1, own1, busy1, pg1 = cpu_s(pid), sum(os.times()[:2]), busy_s(), cpu_of(pg)
                others = max(others, others_running(mine))
                await asyncio.sleep(a.settle)  # later snapshots would show as extra
                d = [p.got for p in displays if p.got is not None]
                ph = [p.got for p in phones if p.got is not None]
                if len(d) < len(displays) or len(ph) < len(phones):
                    raise RuntimeError(
                        f"round {r + 1}: {len(displays) - len(d)} displays,"
                        f" {len(phones) - len(ph)} phones not reached; {crowd.errors[:3]}"
                    )
                seq_s, one_s, ranked = await bare(base, ids)
                mismatch = sum(
                    1 for p, tid in zip(phones, ids, strict=True) if ranked.get(tid) != p.ahead
                )
                row = {
                    "run": run,
                    "round": r + 1,
                    "call_ms": ms(ret - sent),
                    # From the moment the call was sent: a display often has the event
                    # before the HTTP reply is back, so "from reply" is near zero for it.
                    "display_first_ms": ms(min(d) - sent),
                    "display_last_ms": ms(max(d) - sent),
                    "phone_first_ms": ms(min(ph) - sent),
                    "phone_last_ms": ms(max(ph) - sent),
                    "display_last_from_reply_ms": ms(max(d) - ret),
                    "phone_last_from_reply_ms": ms(max(ph) - ret),
                    "phone_spread_ms": ms(max(ph) - min(ph)),
                    "beyond_debounce_ms": ms(max(ph) - sent - DEBOUNCE_S),
                    "phones_extra_snapshots": sum(p.snaps for p in phones) - len(phones),
                    "phones_wrong_step": sum(p.wrong for p in phones),
                    "phones_not_matching_bare_rank": mismatch,
                    "server_cpu_ms": ms(cpu1 - cpu0),
                    "client_cpu_ms": ms(own1 - own0),
                    "postgres_cpu_ms": ms(pg1 - pg0),
                    "machine_busy_ms": ms(busy1 - busy0),
                    "rest_cpu_ms": ms(
                        (busy1 - busy0) - (cpu1 - cpu0) - (own1 - own0) - (pg1 - pg0)
                    ),
                    "round_wall_ms": ms(wall),
                    "waited_for_quiet_s": waited,
                    "other_runs_seen": others,
                    "bare_refresh_sequential_ms": ms(seq_s),
                    "bare_rank_one_statement_ms": ms(one_s),
                }
                print(json.dumps(row), flush=True)
                out.append(row)
                await asyncio.sleep(a.settle)
            x1, t_x1 = await xacts(db)
            calls = (x1 - x0 - idle_rate * (t_x1 - t_x0) - a.rounds) / a.rounds
            print(
                json.dumps(
                    {
                        "run": run,
                        "idle_statements_per_s": round(idle_rate, 1),
                        "server_statements_per_call": round(calls, 1),
                    }
                ),
                flush=True,
            )
            for row in out:
                row["server_statements_per_call"] = round(calls, 1)
            await base.close()
            await admin.close()
            await asyncio.gather(*(ws.close() for ws in conns))
    return out


def table(rows_: list[dict[str, Any]]) -> dict[str, Any]:
    def col(k: str) -> dict[str, float]:
        xs = [float(r[k]) for r in rows_]
        return {
            "p50": round(statistics.median(xs), 1),
            "p99": round(pct(xs, 0.99), 1),
            "min": min(xs),
            "max": max(xs),
        }

    keys = [
        "call_ms",
        "display_first_ms",
        "display_last_ms",
        "phone_first_ms",
        "phone_last_ms",
        "display_last_from_reply_ms",
        "phone_last_from_reply_ms",
        "phone_spread_ms",
        "beyond_debounce_ms",
        "server_statements_per_call",
        "server_cpu_ms",
        "client_cpu_ms",
        "postgres_cpu_ms",
        "machine_busy_ms",
        "rest_cpu_ms",
        "bare_refresh_sequential_ms",
        "bare_rank_one_statement_ms",
    ]
    out: dict[str, Any] = {"rounds": len(rows_), **{k: col(k) for k in keys}}
    p, d = out["phone_last_ms"], out["display_last_ms"]
    out["ratio_phone_last_over_display_last"] = {
        "p50": round(p["p50"] / d["p50"], 1),
        "p99": round(p["p99"] / d["p99"], 1),
    }
    out["anomalies"] = {
        k: sum(r[k] for r in rows_)
        for k in ("phones_extra_snapshots", "phones_wrong_step", "phones_not_matching_bare_rank")
    }
    return out


async def main(a: argparse.Namespace) -> None:
    raise_nofile()
    print(
        json.dumps(
            {
                "code": code_state(),
                "phones": a.phones,
                "displays": a.displays,
                "debounce_s": DEBOUNCE_S,
            }
        ),
        flush=True,
    )
    every: list[dict[str, Any]] = []
    for run in range(1, a.runs + 1):
        got = await one_run(a, run)
        print(json.dumps({"run": run, "summary": table(got)}), flush=True)
        every += got
    print(json.dumps({"all_runs": table(every)}, indent=2), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2, help="fresh database and server each")
    ap.add_argument("--rounds", type=int, default=20, help="calls per run (one window each)")
    ap.add_argument("--phones", type=int, default=300)
    ap.add_argument("--displays", type=int, default=200)
    ap.add_argument("--settle", type=float, default=1.5, help="seconds of quiet after each round")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each round, wait up to this long for no other pytest/bench run",
    )
    uvloop.run(main(ap.parse_args()))
