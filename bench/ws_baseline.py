"""The bare fan-out baseline for bench_ws: a set of websockets connections and broadcast().

No ASGI, no sessions, no outboxes, no database: a connection subscribes, gets a
"subscribed" line (and, with ``since``, the missed messages from an in-memory
ring), then sits in a set. A control line ``fire`` on a localhost TCP port
builds one event message of the same shape and size as the server's
``ticket.recalled`` event, broadcasts it to the set, and answers ``ok <seq>``
once every write has been handed to the kernel.

    python -m bench.ws_baseline --port 9001 --control-port 9002
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
from collections import deque
from datetime import UTC, datetime

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

EPOCH = "baseline"
# A real ticket.recalled event as the server sends it (301 bytes on the wire with
# a three-digit seq); seq, recall_count and at change per message.
TEMPLATE = {
    "op": "event",
    "topic": "hall:bench",
    "seq": 0,
    "type": "ticket.recalled",
    "data": {
        "ticket": "a5417484e4ae469ca0d2c31d37758b7d",
        "number": "A001",
        "service": "A",
        "kind": "walk_in",
        "state": "called",
        "recall_count": 0,
        "window": "bench-w1",
        "window_number": 1,
        "window_name": "1号窗口",
    },
    "at": "",
}


def dumps(message: dict[str, object]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Baseline:
    def __init__(self) -> None:
        self.conns: set[ServerConnection] = set()
        self.seq = 0
        self.ring: deque[tuple[int, str]] = deque(maxlen=5000)

    async def handler(self, ws: ServerConnection) -> None:
        await ws.send(dumps({"op": "welcome", "heartbeat_s": 15.0, "user": None}))
        try:
            sub = json.loads(await ws.recv())
            since = sub.get("since")
            after = self.seq
            if since and since.get("epoch") == EPOCH:
                after = int(since["seq"])
            await ws.send(
                dumps(
                    {
                        "op": "subscribed",
                        "topic": sub["topic"],
                        "recovered": bool(since),
                        "position": {"epoch": EPOCH, "seq": after},
                    }
                )
            )
            # Replay and join with no await in between, so nothing is missed or doubled.
            for seq, text in self.ring:
                if seq > after:
                    broadcast([ws], text)
            self.conns.add(ws)
            async for _ in ws:
                pass
        finally:
            self.conns.discard(ws)

    def fire(self) -> int:
        self.seq += 1
        msg = dict(TEMPLATE, seq=self.seq, at=datetime.now(UTC).isoformat())
        msg["data"] = dict(TEMPLATE["data"], recall_count=self.seq)  # type: ignore[call-overload]
        text = dumps(msg)
        self.ring.append((self.seq, text))
        broadcast(self.conns, text)
        return self.seq

    async def control(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while line := await r.readline():
            if line.strip() == b"fire":
                w.write(f"ok {self.fire()}\n".encode())
            elif line.strip() == b"count":
                w.write(f"ok {len(self.conns)}\n".encode())
        w.close()


async def main(port: int, control_port: int) -> None:
    b = Baseline()
    ctl = await asyncio.start_server(b.control, "127.0.0.1", control_port)
    # The same knobs the server gives uvicorn: no compression, 64 KiB frames, pings every 10 s.
    async with (
        ctl,
        serve(
            b.handler,
            "127.0.0.1",
            port,
            compression=None,
            max_size=64 * 1024,
            ping_interval=10.0,
            ping_timeout=10.0,
            backlog=2048,
        ) as srv,
    ):
        await srv.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--control-port", type=int, required=True)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvloop.run(main(a.port, a.control_port))
