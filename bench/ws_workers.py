"""bench_ws against a server of several worker processes (``--server-workers N``).

What changes when the side under test is a process tree and not one process:

- its CPU and memory are those of the whole tree (uvicorn's supervisor and the
  workers it spawned), so per-message figures compare with the one-process server;
- the displays land on whichever worker the kernel hands each connection to, and the
  clerk's recalls come from one keep-alive connection per worker in turn, so events
  start on every worker and reach the others' displays through Redis. Both spreads
  are counted from the kernel's socket tables, not assumed;
- "zero missed events" is checked per display: for each run, which of the stream's
  new seqs every display received, and in what order.

The Redis database given is the bench's own: it is emptied before each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from bench.common import Conn, server, summary

MEASUREMENTS = ("memory", "fanout_large", "fanout_small", "storm")
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def parse_only(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip()) if text else MEASUREMENTS
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        raise SystemExit(f"--only: unknown {unknown}; choose from {','.join(MEASUREMENTS)}")
    return names


# --- the server as a process tree -----------------------------------------------------


@asynccontextmanager
async def served(url: str, workers: int, redis_url: str, log_path: str) -> AsyncIterator[int]:
    """The server with ``workers`` processes (Redis when given), on an emptied Redis db."""
    if redis_url:
        client = aioredis.from_url(redis_url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()
    async with server(url, workers=workers, redis_url=redis_url, log_path=log_path) as port:
        yield port


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(root: int) -> list[int]:
    """root and all its descendants (uvicorn's workers, multiprocessing's resource tracker)."""
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                children.setdefault(int(_stat(int(p.name))[1]), []).append(int(p.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def tree_cpu_s(root: int) -> float:
    """CPU seconds of the live tree. A worker that died and was replaced takes its
    seconds with it: ``procs`` in the results shows when that happened."""
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError):
            f = _stat(pid)
            total += int(f[11]) + int(f[12])
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_kib(root: int) -> int:
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def connections(root: int, port: int) -> dict[str, int]:
    """Established connections accepted on ``port``, by the pid of the process holding each.

    From /proc/net/tcp and each process's socket fds: which worker the kernel gave each
    display to, which no HTTP answer can say for a WebSocket.
    """
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                f = line.split()
                if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f[9])
    out: dict[str, int] = {}
    for pid in tree(root):
        n = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    n += link.startswith("socket:[") and link[8:-1] in inodes
        if n:
            out[str(pid)] = n
    return out


def log_problems(path: str) -> dict[str, Any]:
    """Warnings, errors and tracebacks the server wrote during the round."""
    with contextlib.suppress(OSError):
        lines = Path(path).read_text(errors="replace").splitlines()
        bad = [x for x in lines if any(k in x for k in ("WARNING", "ERROR", "CRITICAL"))]
        tracebacks = sum(x.startswith("Traceback") for x in lines)
        return {"lines": len(lines), "flagged": len(bad), "tracebacks": tracebacks,
                "first": bad[:5]}  # fmt: skip
    return {"lines": 0}


# --- the clerk's connections ----------------------------------------------------------


async def _worker_of(c: Conn) -> int:
    status, body = await c.request("GET", "/healthz")
    if status != 200:
        raise RuntimeError(f"healthz: {status} {body[:200]!r}")
    return int(json.loads(body)["worker"])


async def spread(port: int, workers: int, tries: int = 200) -> list[tuple[int, Conn]]:
    """One keep-alive connection per worker, as far as the kernel's choices allow.

    A new connection goes to whichever worker accepts it first; keep opening until
    each has one. The recalls then take the connections in turn, like clerks whose
    consoles happen to sit on different workers.
    """
    got: dict[int, Conn] = {}
    for _ in range(tries):
        c = await Conn.open(port)
        pid = await _worker_of(c)
        if pid in got:
            c.close()
        else:
            got[pid] = c
            if len(got) >= workers:
                break
        await asyncio.sleep(0.01)
    return sorted(got.items())


def by_origin(pids: list[int], latencies_s: list[float]) -> dict[str, dict[str, float]]:
    """Latency split by the worker that handled the recall (empty for a one-pid side)."""
    if len(set(pids)) < 2 or len(pids) != len(latencies_s):
        return {}
    split: dict[int, list[float]] = {}
    for pid, lat in zip(pids, latencies_s, strict=True):
        split.setdefault(pid, []).append(lat)
    return {str(pid): summary(lat) for pid, lat in sorted(split.items())}


# --- missed events --------------------------------------------------------------------


def audit(displays: Iterable[tuple[list[int], bool]], lo: int, hi: int) -> dict[str, int]:
    """Per display: did it receive each of the seqs lo+1 .. hi, in order and once each?

    ``displays`` gives each display's event seqs in arrival order and whether its
    connection is closed. An event is missed by a display that never received it; a
    display also counts as missing events when its seqs jumped (a gap, even one
    filled later), repeated or went back.
    """
    want = range(lo + 1, hi + 1)
    out = Counter(displays=0, displays_missed=0, events_missed=0, displays_gap=0,
                  displays_closed=0)  # fmt: skip
    for seqs, closed in displays:
        got = [s for s in seqs if lo < s <= hi]
        missed = len(set(want) - set(got))
        gap = got != list(want)[: len(got)]  # a prefix only misses the end (closed)
        out["displays"] += 1
        out["events_missed"] += missed
        out["displays_missed"] += bool(missed or gap)
        out["displays_gap"] += bool(gap)
        out["displays_closed"] += closed
    return dict(out)


def merge_audits(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for p in parts:
        total.update(p)
    return dict(total)


async def stream_head(ws_url: str, topic: str) -> int:
    """The stream's seq now, from a subscribe without ``since`` (its snapshot position)."""
    async with connect(ws_url, compression=None, max_size=2**22) as ws:
        await ws.send(json.dumps({"op": "subscribe", "topic": topic}))
        while True:
            msg = json.loads(await ws.recv())
            if msg.get("op") == "subscribed":
                return int(msg["position"]["seq"])
