"""Real-time fan-out over /ws, side by side with a bare websockets broadcast() baseline.

Four measurements (issue #3), each on the server and on bench/ws_baseline.py in
the same run, alternating which goes first from round to round:

- idle memory: VmRSS growth of the server process per idle subscribed display;
- 1,000 displays at 20 calls/s and 200 displays at 100 calls/s: for each call,
  the time from the moment the trigger returned (the clerk's HTTP recall; the
  baseline's control line) to the moment the LAST display received the event;
- a reconnect storm: 2,000 displays drop, 100 events happen, and all come back
  at once subscribing with ``since`` their last position; the time until every
  display holds the last event.

The displays are plain websockets connections (no compression) in one or two
separate uvloop processes (``--worker``) that only stamp each frame with
time.perf_counter() — a system-wide monotonic clock, so stamps compare across
processes — and look at the frames afterwards.

    python -m bench.bench_ws --rounds 3 --seconds 10 --quiet-wait 600

``--quiet-wait`` holds each measurement until no pytest runs on the (shared) machine;
every result also says how many pytest processes were seen meanwhile and how
much CPU went to anything but the side under test and its displays.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from bench import ws_workers
from bench.common import PASSWORD, Conn, free_port, fresh_database, seed, summary
from bench.ws_workers import tree_cpu_s, tree_rss_kib

TOPIC = "hall:bench"
ROOT = Path(__file__).resolve().parents[1]


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the display worker (a separate process) ------------------------------------------


class Display:
    __slots__ = ("done_t", "epoch", "got", "log", "ready", "seq", "task", "ws")

    def __init__(self) -> None:
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None
        self.ready: asyncio.Future[None] | None = None  # set once subscribed
        self.log: list[tuple[float, bytes]] = []
        self.epoch = ""
        self.seq = 0
        self.done_t: float | None = None
        self.got: list[int] = []  # event seqs in arrival order, since the last collect


class Stamping(ClientConnection):
    """A websockets client connection that stamps each text frame as it is parsed.

    The stamp is taken in the transport's data_received callback and the frame
    is kept as bytes: no decoding, no recv() task switch per message. That is
    the cheapest receiving websockets allows, and it keeps the display processes
    from being what the bench measures.
    """

    display: Display | None = None
    worker: Worker | None = None

    def process_event(self, event: Any) -> None:
        d = self.display
        if d is None or not isinstance(event, Frame) or event.opcode is not Opcode.TEXT:
            super().process_event(event)
            return
        t = time.perf_counter()
        data = cast(bytes, event.data)  # a parsed frame holds bytes
        d.log.append((t, data))
        if d.ready is not None and not d.ready.done() and data.startswith(b'{"op":"subscribed"'):
            d.ready.set_result(None)
        w = self.worker
        if w is not None and w.marker is not None and d.done_t is None and w.marker in data:
            d.done_t = t
            w.remaining -= 1
            if w.remaining == 0:
                w.all_done.set()


class Worker:
    """Holds the displays; answers one JSON command per stdin line on stdout."""

    def __init__(self) -> None:
        self.displays: list[Display] = []
        self.marker: bytes | None = None
        self.remaining = 0
        self.all_done = asyncio.Event()
        self.failed = 0

    async def session(self, d: Display, url: str, since: dict[str, Any] | None) -> None:
        assert d.ready is not None
        try:
            ws = await connect(
                url,
                compression=None,
                max_size=2**22,
                open_timeout=120,
                ping_interval=None,
                close_timeout=10,
                create_connection=Stamping,
            )
        except Exception as exc:
            self.failed += 1
            d.ready.set_exception(exc)
            return
        stamping = cast(Stamping, ws)  # made by create_connection=Stamping
        d.ws, stamping.display, stamping.worker = ws, d, self
        msg: dict[str, Any] = {"op": "subscribe", "topic": TOPIC}
        if since is not None:
            msg["since"] = since
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(msg))
        await ws.wait_closed()
        if not d.ready.done():
            d.ready.set_exception(ConnectionError(f"closed before subscribed: {ws.close_code}"))

    def _start(self, d: Display, url: str, since: dict[str, Any] | None) -> asyncio.Future[None]:
        d.ready = asyncio.get_running_loop().create_future()
        d.done_t = None
        d.task = asyncio.create_task(self.session(d, url, since))
        return d.ready

    async def connect(
        self, url: str, n: int, since: dict[str, Any] | None, conc: int
    ) -> dict[str, Any]:
        sem = asyncio.Semaphore(conc)
        self.failed = 0

        async def one() -> None:
            async with sem:
                d = Display()
                await self._start(d, url, since)
                self.displays.append(d)

        results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
        self.process()
        last = self.displays[-1] if self.displays else None
        return {
            "ok": sum(1 for r in results if r is None),
            "failed": sum(1 for r in results if r is not None),
            "position": {"epoch": last.epoch, "seq": last.seq} if last else None,
        }

    def process(self) -> dict[str, list[float]]:
        """Fold the stamped frames into per-seq [count, first, last, bytes]; keep positions."""
        events: dict[int, list[float]] = {}
        for d in self.displays:
            for t, raw in d.log:
                if raw.startswith(b'{"op":"event"'):
                    i = raw.find(b'"seq":') + 6
                    seq = int(raw[i : raw.find(b",", i)])
                    d.got.append(seq)
                    if seq > d.seq:
                        d.seq = seq
                    e = events.get(seq)
                    if e is None:
                        events[seq] = [1, t, t, len(raw)]
                    else:
                        e[0] += 1
                        e[1] = min(e[1], t)
                        e[2] = max(e[2], t)
                elif raw.startswith(b'{"op":"subscribed"'):
                    pos = json.loads(raw)["position"]
                    d.epoch, d.seq = pos["epoch"], pos["seq"]
            d.log.clear()
        return {str(k): v for k, v in events.items()}

    async def close(self) -> dict[str, Any]:
        await asyncio.gather(*(d.ws.close() for d in self.displays if d.ws is not None))
        await asyncio.gather(*(d.task for d in self.displays if d.task is not None))
        self.process()
        return {"closed": len(self.displays), "seq": max((d.seq for d in self.displays), default=0)}

    async def reconnect(self, url: str, target: int, timeout: float) -> dict[str, Any]:
        """All displays at once, each resuming from its own position, until each holds target."""
        self.marker = f'"seq":{target},"type"'.encode()
        self.remaining = len(self.displays)
        self.all_done.clear()
        self.failed = 0
        readies = [self._start(d, url, {"epoch": d.epoch, "seq": d.seq}) for d in self.displays]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_done.wait(), timeout)
        self.marker = None
        await asyncio.wait(readies, timeout=5.0)
        done = [d.done_t for d in self.displays if d.done_t is not None]
        return {"done": done, "missing": len(self.displays) - len(done), "failed": self.failed}

    async def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd["cmd"]
        if op == "connect":
            return await self.connect(cmd["url"], cmd["n"], cmd.get("since"), cmd["conc"])
        if op == "collect":
            out: dict[str, Any] = {"events": self.process()}
            if span := cmd.get("span"):
                closed = (d.ws is None or d.ws.state is not State.OPEN for d in self.displays)
                got = (d.got for d in self.displays)
                out["audit"] = ws_workers.audit(zip(got, closed, strict=True), *span)
            for d in self.displays:
                d.got.clear()
            return out
        if op == "close":
            return await self.close()
        if op == "reconnect":
            return await self.reconnect(cmd["url"], cmd["target"], cmd["timeout"])
        if op == "forget":
            self.displays.clear()
            return {}
        raise ValueError(op)


async def worker_main() -> None:
    # The stamps pile up as tuples between collects; a cyclic GC pass over them
    # would stall every display at once and show up as latency.
    gc.disable()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    w = Worker()
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            break
        try:
            reply = await w.handle(cmd)
        except Exception as exc:
            reply = {"error": repr(exc)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


# --- the bench side -------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    """bench.common.server does not hand out its process: find our child serving that port."""
    want = f"serve\0--port\0{port}\0"
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if want in (p / "cmdline").read_bytes().decode(errors="replace"):
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid == os.getpid():
                    return int(p.name)
    raise RuntimeError("server process not found")


class Displays:
    """The worker processes, driven as one."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @classmethod
    @asynccontextmanager
    async def start(cls, workers: int) -> AsyncIterator[Displays]:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.bench_ws",
                "--worker",
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                limit=2**26,
            )
            for _ in range(workers)
        ]
        try:
            yield cls(procs)
        finally:
            for p in procs:
                with contextlib.suppress(Exception):
                    assert p.stdin is not None
                    p.stdin.write(b'{"cmd":"exit"}\n')
                    await asyncio.wait_for(p.wait(), 20)
                if p.returncode is None:
                    p.kill()
                    await p.wait()

    async def _ask(self, p: asyncio.subprocess.Process, cmd: dict[str, Any]) -> dict[str, Any]:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(json.dumps(cmd).encode() + b"\n")
        await p.stdin.drain()
        reply: dict[str, Any] = json.loads(await p.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"display worker: {reply['error']}")
        return reply

    async def all(self, cmd: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self._ask(p, cmd) for p in self.procs)))

    def cpu(self) -> float:
        return sum(cpu_s(p.pid) for p in self.procs)

    async def connect(self, url: str, n: int, since: dict[str, Any] | None = None) -> None:
        """n subscribed displays spread over the workers (at most 100 handshakes at a time each)."""
        shares = [n // len(self.procs) + (i < n % len(self.procs)) for i in range(len(self.procs))]
        replies = await asyncio.gather(
            *(
                self._ask(p, {"cmd": "connect", "url": url, "n": k, "since": since, "conc": 100})
                for p, k in zip(self.procs, shares, strict=True)
                if k
            )
        )
        failed = sum(r["failed"] for r in replies)
        if failed:
            raise RuntimeError(f"{failed} of {n} displays failed to subscribe")

    async def position(self, url: str) -> dict[str, Any]:
        """One display subscribed without ``since`` (a snapshot): where the stream stands."""
        r = await self._ask(self.procs[0], {"cmd": "connect", "url": url, "n": 1, "conc": 1})
        return r["position"]  # type: ignore[no-any-return]

    async def collect(
        self, span: tuple[int, int] | None = None
    ) -> tuple[dict[int, list[float]], dict[str, int]]:
        """Per-seq [count, first, last, bytes] over all displays; with span (lo, hi),
        also which displays missed any of the events lo+1 .. hi (ws_workers.audit)."""
        merged: dict[int, list[float]] = {}
        replies = await self.all({"cmd": "collect", "span": span})
        for r in replies:
            for k, (count, first, last, size) in r["events"].items():
                m = merged.get(int(k))
                if m is None:
                    merged[int(k)] = [count, first, last, size]
                else:
                    m[0] += count
                    m[1] = min(m[1], first)
                    m[2] = max(m[2], last)
        return merged, ws_workers.merge_audits(r["audit"] for r in replies if "audit" in r)

    async def close(self) -> int:
        return max(int(r["seq"]) for r in await self.all({"cmd": "close"}))

    async def forget(self) -> None:
        await self.all({"cmd": "forget"})


class Side:
    name: str
    ws_url: str
    pid: int
    port: int
    # The process that handled each trigger since before_run(), where there are several.
    trigger_pids: list[int]

    async def trigger(self) -> None:
        raise NotImplementedError

    async def before_run(self) -> None:
        self.trigger_pids = []


class ServerSide(Side):
    """The OneWindow server: a clerk recalls the ticket at bench-w1 over HTTP."""

    name = "server"

    def __init__(self, port: int, workers: int) -> None:
        self.port = port
        self.workers = workers
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.pid = server_pid(port)
        self.trigger_pids = []
        self.conns: list[tuple[int, Conn]] = []
        self.turn = 0

    async def before_run(self) -> None:
        """Fresh keep-alive connections, one per worker (uvicorn drops idle ones after 5 s)."""
        for _, c in self.conns:
            c.close()
        self.conns = await ws_workers.spread(self.port, self.workers)
        self.trigger_pids = []

    async def prepare(self) -> None:
        await self.before_run()
        self.http = self.conns[0][1]
        status, body = await self.http.request(
            "POST", "/api/auth/login", {"username": "clerk1", "password": PASSWORD}
        )
        assert status == 200, body
        self.token = json.loads(body)["token"]
        # Idempotent across server restarts on the same database: the window stays open
        # and keeps its called ticket.
        await self.http.request("POST", "/api/windows/bench-w1/open", None, self.token)
        await self.http.request("POST", "/api/halls/bench/tickets", {"service": "A"})
        await self.http.request("POST", "/api/windows/bench-w1/call-next", None, self.token)
        for _ in range(20):
            await self.trigger()

    async def trigger(self) -> None:
        """One recall, on the connections in turn: it lands on each worker in turn."""
        i, self.turn = self.turn % len(self.conns), self.turn + 1
        pid, http = self.conns[i]
        try:
            status, body = await http.request(
                "POST", "/api/windows/bench-w1/recall", None, self.token
            )
        except (IndexError, OSError, asyncio.IncompleteReadError):
            # uvicorn closes a keep-alive connection idle for 5 s (while displays connect);
            # the new one may land on another worker, so its pid is unknown (0).
            http.close()
            pid, http = 0, await Conn.open(self.port)
            self.conns[i] = pid, http
            status, body = await http.request(
                "POST", "/api/windows/bench-w1/recall", None, self.token
            )
        self.trigger_pids.append(pid)
        if status != 200:
            raise RuntimeError(f"recall: {status} {body[:200]!r}")


class BaselineSide(Side):
    name = "baseline"
    r: asyncio.StreamReader
    w: asyncio.StreamWriter

    async def trigger(self) -> None:
        self.w.write(b"fire\n")
        line = await self.r.readline()
        if not line.startswith(b"ok"):
            raise RuntimeError(f"baseline: {line!r}")


@asynccontextmanager
async def baseline() -> AsyncIterator[BaselineSide]:
    port, control = free_port(), free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.ws_baseline",
            "--port",
            str(port),
            "--control-port",
            str(control),
        ],
        cwd=ROOT,
    )
    try:
        for _ in range(200):
            try:
                r, w = await asyncio.open_connection("127.0.0.1", control)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("baseline did not start")
        side = BaselineSide()
        side.r, side.w, side.pid, side.port = r, w, proc.pid, port
        side.ws_url = f"ws://127.0.0.1:{port}/ws"
        for _ in range(20):
            await side.trigger()
        yield side
        w.close()
    finally:
        proc.terminate()
        proc.wait(15)


# --- the measurements -----------------------------------------------------------------


async def idle_memory(side: Side, disp: Displays, warm: int, n: int) -> dict[str, Any]:
    """VmRSS growth per idle subscribed display, over the first n and over n more.

    The second figure is the steady one: the first connections also fill holes
    that start-up left in the heap (a fresh server reads its event ring from the
    database before the first subscriber is answered).
    """
    await disp.connect(side.ws_url, warm)
    await asyncio.sleep(2.0)
    rss = [tree_rss_kib(side.pid)]
    for count in (n - warm, n):
        await disp.connect(side.ws_url, count)
        await asyncio.sleep(3.0)
        rss.append(tree_rss_kib(side.pid))
    spread = ws_workers.connections(side.pid, side.port)
    await disp.close()
    await disp.forget()
    await asyncio.sleep(1.0)
    return {
        "connections_by_pid": spread,
        "rss_kib": rss,
        "kib_per_conn_first": round((rss[1] - rss[0]) / (n - warm), 1),
        "kib_per_conn_next": round((rss[2] - rss[1]) / n, 1),
    }


async def drive(
    trigger: Callable[[], Awaitable[None]], rate: float, seconds: float
) -> tuple[list[tuple[float, float]], float]:
    """Calls at a fixed rate, one at a time (a clerk's calls are sequential)."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    calls: list[tuple[float, float]] = []
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        await trigger()
        calls.append((sent, time.perf_counter()))
    return calls, total / (calls[-1][1] - start)


async def fan_out(
    side: Side, disp: Displays, n: int, rate: float, seconds: float
) -> dict[str, Any]:
    """Call → last of n displays, per call; n displays must already be connected.

    The events of the run are the stream's seqs between its head before and after
    (each recall makes one), so an event no display received still counts.
    """
    await side.before_run()
    await disp.collect()  # drop whatever came before
    head0 = await ws_workers.stream_head(side.ws_url, TOPIC)
    procs0, spread = ws_workers.tree(side.pid), ws_workers.connections(side.pid, side.port)
    cpu0, dcpu0, t0 = tree_cpu_s(side.pid), disp.cpu(), time.perf_counter()
    own0, all0 = sum(os.times()[:2]), busy_s()
    calls, achieved = await drive(side.trigger, rate, seconds)
    wall = time.perf_counter() - t0
    cpu1, dcpu1 = tree_cpu_s(side.pid), disp.cpu()
    own1, all1 = sum(os.times()[:2]), busy_s()
    rest = (all1 - all0) - (cpu1 - cpu0) - (dcpu1 - dcpu0) - (own1 - own0)
    # Stragglers: longer than the server's poll (1 s), which recovers what the bus lost.
    await asyncio.sleep(2.5)
    head1 = await ws_workers.stream_head(side.ws_url, TOPIC)
    events, missed = await disp.collect((head0, head1))
    seqs = range(head0 + 1, head1 + 1)
    if len(seqs) != len(calls):
        raise RuntimeError(f"{side.name}: {len(calls)} calls but the stream moved {len(seqs)}")
    # Which process answered each call (0 where unknown: the baseline, a reconnect).
    pids = (side.trigger_pids + [0] * len(calls))[: len(calls)]
    seen = [
        (events[s], call, pid)
        for s, call, pid in zip(seqs, calls, pids, strict=True)
        if s in events
    ]
    if not seen:
        raise RuntimeError(f"{side.name}: no display received any of {len(seqs)} events")
    from_return = [e[2] - ret for e, (_, ret), _ in seen]
    from_send = [e[2] - sent for e, (sent, _), _ in seen]
    first = [e[1] - ret for e, (_, ret), _ in seen]
    return {
        "displays": n,
        "calls_per_s": round(achieved, 1),
        "last_from_return": summary(from_return),
        "last_from_send": summary(from_send),
        "first_from_return_p50_ms": summary(first)["p50_ms"],
        "calls_missing_displays": sum(1 for s in seqs if events.get(s, [0])[0] < n),
        # Per display, over the run's events (ws_workers.audit): zero missed is the target.
        "missed": {"events": len(seqs), "seen_by_none": len(seqs) - len(seen), **missed},
        "event_bytes": int(seen[0][0][3]),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
        "displays_cpu_pct": round(100 * (dcpu1 - dcpu0) / wall, 1),
        # PostgreSQL and Redis (server side only) and whatever else the shared machine runs.
        "rest_cpu_pct": round(100 * rest / wall, 1),
        "server_procs": len(procs0),
        "server_procs_changed": set(procs0) != set(ws_workers.tree(side.pid)),
        # Accepted connections (displays and the clerk's) by the process holding them.
        "connections_by_pid": spread,
        "triggers_by_pid": {str(k): v for k, v in sorted(Counter(side.trigger_pids).items())},
        "last_from_return_by_trigger_pid": ws_workers.by_origin(
            [pid for _, _, pid in seen], from_return
        ),
    }


async def storm(side: Side, disp: Displays, n: int, behind: int) -> dict[str, Any]:
    """n displays drop, ``behind`` events happen, all resume at once from their positions."""
    position = await disp.position(side.ws_url)
    await disp.connect(side.ws_url, n - 1, since=position)
    await asyncio.sleep(1.0)
    seq = await disp.close()
    await asyncio.sleep(1.0)  # the server has let them all go
    await disp.collect()
    await side.before_run()
    for _ in range(behind):
        await side.trigger()
    target = seq + behind
    cpu0, dcpu0, all0 = tree_cpu_s(side.pid), disp.cpu(), busy_s()
    t0 = time.perf_counter()
    replies = await disp.all(
        {"cmd": "reconnect", "url": side.ws_url, "target": target, "timeout": 60.0}
    )
    cpu1, dcpu1, all1 = tree_cpu_s(side.pid), disp.cpu(), busy_s()
    _, missed = await disp.collect((seq, target))
    done = sorted(t - t0 for r in replies for t in r["done"])
    missing = sum(r["missing"] for r in replies)
    failed = sum(r["failed"] for r in replies)
    await disp.close()
    await disp.forget()
    await asyncio.sleep(1.0)
    return {
        "displays": n,
        "behind": behind,
        "all_caught_up_s": round(done[-1], 3) if done and not missing else None,
        "p50_s": round(statistics.median(done), 3) if done else None,
        "p99_s": round(done[min(len(done) - 1, int(len(done) * 0.99))], 3) if done else None,
        "missing": missing,
        "failed": failed,
        "missed": {"events": behind, **missed},
        "server_cpu_s": round(cpu1 - cpu0, 2),
        "displays_cpu_s": round(dcpu1 - dcpu0, 2),
        "machine_busy_s": round(all1 - all0, 2),
    }


def pytest_running() -> int:
    """Other engineers' test runs on this shared machine: counted so a noisy round shows."""
    n = 0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError):
                n += b"pytest" in (p / "cmdline").read_bytes()
    return n


async def quiet(limit_s: float) -> float:
    """Wait (up to limit_s) until no pytest runs on the machine; returns the seconds waited."""
    t0 = time.perf_counter()
    while pytest_running() and time.perf_counter() - t0 < limit_s:
        await asyncio.sleep(5.0)
    return round(time.perf_counter() - t0, 1)


async def guarded(limit_s: float, measure: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """One measurement, started once the machine is quiet; says how quiet it stayed."""
    waited = await quiet(limit_s)
    seen = [pytest_running()]

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.5)
            seen.append(pytest_running())

    watcher = asyncio.create_task(watch())
    try:
        out = await measure
    finally:
        watcher.cancel()
    return {**out, "waited_for_quiet_s": waited, "pytest_processes_seen": max(seen)}


async def one_side(side: Side, disp: Displays, a: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "memory" in a.only:
        out["memory"] = await guarded(a.quiet_wait, idle_memory(side, disp, 20, 1000))
    for name, n, rate in (
        ("fanout_large", a.displays, a.rate),
        ("fanout_small", a.small, a.small_rate),
    ):
        if name in a.only:
            await disp.connect(side.ws_url, n)
            out[name] = await guarded(a.quiet_wait, fan_out(side, disp, n, rate, a.seconds))
            await disp.close()
            await disp.forget()
            await asyncio.sleep(1.0)
    if "storm" in a.only:
        out["storm"] = await guarded(a.quiet_wait, storm(side, disp, a.storm, a.behind))
    return out


def code_state() -> dict[str, str]:
    """The commit measured, and whether server/ had changes on top (a shared tree)."""

    def git(*args: str) -> str:
        with contextlib.suppress(OSError):
            # Read-only, and without the optional index lock: others commit meanwhile.
            return subprocess.run(
                ["git", *args],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            ).stdout.strip()
        return ""

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "server_dirty": git("status", "--porcelain", "server"),
    }


def med(results: list[dict[str, Any]], *path: str) -> float | None:
    """The median over rounds; None when no round has it (left out with --only)."""
    vals = []
    for r in results:
        v: Any = r
        for p in path:
            v = v.get(p) if isinstance(v, dict) else None
        if v is not None:
            vals.append(float(v))
    return statistics.median(vals) if vals else None


async def main(a: argparse.Namespace) -> None:
    raise_nofile()  # inherited by the server, the baseline and the display workers
    res: dict[str, list[dict[str, Any]]] = {"server": [], "baseline": []}
    redis_url = a.redis_url if a.server_workers > 1 or a.server_redis else ""
    print(json.dumps({"code": code_state()}), flush=True)
    print(json.dumps({"args": vars(a), "server_redis": redis_url or None}), flush=True)
    async with Displays.start(a.workers) as disp:
        for r in range(a.rounds):
            log = str(Path(tempfile.gettempdir()) / f"ow_bench_ws_{os.getpid()}_r{r + 1}.log")
            # Fresh processes, database and Redis db every round: each round starts the
            # same way (the server reads up to 5,000 past events into memory at start).
            async with fresh_database() as url:
                await seed(url, windows=1)
                async with (
                    ws_workers.served(url, a.server_workers, redis_url, log) as port,
                    baseline() as base,
                ):
                    srv = ServerSide(port, a.server_workers)
                    await srv.prepare()
                    sides: list[Side] = [srv, base] if r % 2 == 0 else [base, srv]
                    for side in sides:
                        got = await one_side(side, disp, a)
                        res[side.name].append(got)
                        print(json.dumps({"round": r + 1, "side": side.name, **got}), flush=True)
            problems = ws_workers.log_problems(log)
            print(json.dumps({"round": r + 1, "server_log": log, **problems}), flush=True)
    print(json.dumps({"code": code_state()}), flush=True)

    def both(*path: str) -> dict[str, Any]:
        s, b = med(res["server"], *path), med(res["baseline"], *path)
        return {"server": s, "baseline": b, "ratio": round(s / b, 2) if s and b else None}

    medians = {
        "median_kib_per_idle_conn_first_1000": both("memory", "kib_per_conn_first"),
        "median_kib_per_idle_conn_next_1000": both("memory", "kib_per_conn_next"),
        "median_large_p50_ms": both("fanout_large", "last_from_return", "p50_ms"),
        "median_large_p99_ms": both("fanout_large", "last_from_return", "p99_ms"),
        "median_small_p50_ms": both("fanout_small", "last_from_return", "p50_ms"),
        "median_small_p99_ms": both("fanout_small", "last_from_return", "p99_ms"),
        "median_large_from_send_p50_ms": both("fanout_large", "last_from_send", "p50_ms"),
        "median_large_from_send_p99_ms": both("fanout_large", "last_from_send", "p99_ms"),
        "median_small_from_send_p50_ms": both("fanout_small", "last_from_send", "p50_ms"),
        "median_small_from_send_p99_ms": both("fanout_small", "last_from_send", "p99_ms"),
        "median_storm_all_caught_up_s": both("storm", "all_caught_up_s"),
        "median_storm_p50_s": both("storm", "p50_s"),
        "median_large_displays_missed": both("fanout_large", "missed", "displays_missed"),
        "median_large_events_missed": both("fanout_large", "missed", "events_missed"),
        "median_small_displays_missed": both("fanout_small", "missed", "displays_missed"),
        "median_small_events_missed": both("fanout_small", "missed", "events_missed"),
    }
    # Rows no round measured (--only) are left out.
    shown = {
        k: v for k, v in medians.items() if v["server"] is not None or v["baseline"] is not None
    }
    print(json.dumps(shown, indent=2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--displays", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--small", type=int, default=200)
    ap.add_argument("--small-rate", type=float, default=100.0)
    ap.add_argument("--storm", type=int, default=2000)
    ap.add_argument("--behind", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1, help="display client processes")
    ap.add_argument(
        "--server-workers", type=int, default=1, help="server processes (serve --workers)"
    )
    ap.add_argument(
        "--redis-url",
        default=ws_workers.DEFAULT_REDIS,
        help="the bench's own Redis database, emptied every round (used with server workers)",
    )
    ap.add_argument("--server-redis", action="store_true", help="Redis for one worker too")
    ap.add_argument(
        "--only",
        type=ws_workers.parse_only,
        default=ws_workers.MEASUREMENTS,
        help=f"comma-separated, of {','.join(ws_workers.MEASUREMENTS)} (default: all)",
    )
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each measurement, wait up to this many seconds for no pytest running",
    )
    a = ap.parse_args()
    raise_nofile()
    uvloop.run(worker_main() if a.worker else main(a))
