"""Outbox throughput on PostgreSQL: messages/s the notifier sends to a local SMS gateway.

- *notifier*: N messages committed to the outbox (not timed), then one
  ``Notifier`` (as a server process runs it: claim with SKIP LOCKED, open the
  sealed phone, render, POST, mark sent, each in its own transaction) drains it.
  Timed from ``start()`` to the last message marked sent.
- *baseline*: the same N JSON bodies POSTed to the same gateway by a bare loop
  of httpx with the same concurrency: no database, no sealing, no rendering.
- *gateway*: a lean HTTP/1.1 keep-alive server in its own uvloop process that
  honours the idempotency key (counts distinct keys), so neither side is
  measured against a slow test double.

    python -m bench.outbox_throughput --rounds 5 --messages 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import uvloop

from bench.common import free_port, fresh_database
from server.domain.message import SMS, Message
from server.metrics import Metrics
from server.notify.templates import render
from server.notify.worker import Notifier
from server.settings import Settings
from server.store.store import Store

CONCURRENCY = 8
SECRET = b"bench-secret"


# --- the gateway (run in its own process) ---------------------------------------------


class _Gateway(asyncio.Protocol):
    keys: set[bytes] = set()  # noqa: RUF012 - one process, one gateway
    posts = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].decode("latin-1").lower()
            length, key = 0, b""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name == "content-length":
                    length = int(value)
                elif name == "idempotency-key":
                    key = value.strip().encode()
            if len(self.buf) < head_end + 4 + length:
                return
            first = head.split(" ", 2)[:2]
            self.buf = self.buf[head_end + 4 + length :]
            if first == ["get", "/stats"]:
                body = json.dumps({"posts": _Gateway.posts, "delivered": len(_Gateway.keys)})
            else:
                _Gateway.posts += 1
                _Gateway.keys.add(key)
                body = '{"ok":true}'
            self.t.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body.encode()
            )  # fmt: skip


async def _serve_gateway(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Gateway, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def start_gateway() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.outbox_throughput", "--gateway", str(port)]
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/stats", timeout=1).raise_for_status()
            return proc, f"http://127.0.0.1:{port}/sms"
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("gateway did not start")


# --- the two sides ----------------------------------------------------------------------


def messages(run: str, n: int) -> list[Message]:
    def one(i: int) -> Message:
        params = {"number": f"A{i % 1000:03d}", "window": 3}
        return Message(SMS, f"138{i:08d}", "called", params, f"{run}:{i}", "zh", "bench")

    return [one(i) for i in range(n)]


async def notifier_side(url: str, gateway: str, run: str, n: int) -> tuple[float, float]:
    store = Store.from_url(url, SECRET)
    await store.open()
    try:
        now = datetime.now(UTC)
        batch = messages(run, n)
        for i in range(0, n, 500):
            async with store.write("bench", now) as tx:
                for m in batch[i : i + 500]:
                    tx.notify(m)
        settings = replace(Settings(), sms_gateway_url=gateway, notify_poll_s=0.05)
        metrics = Metrics()
        notifier = Notifier(store, settings, metrics, lambda: datetime.now(UTC),
                            concurrency=CONCURRENCY)  # fmt: skip
        started, cpu = time.perf_counter(), time.process_time()
        await notifier.start()
        labels = {"channel": SMS}
        while (metrics.registry.get_sample_value("onewindow_notify_sent_total", labels) or 0) < n:
            await asyncio.sleep(0.02)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        await notifier.stop()
        async with store.db.reader() as c:
            assert await c.fetchval("SELECT count(*) FROM outbox WHERE state <> 'sent'") == 0
        return n / elapsed, cpu * 1000 / n
    finally:
        await store.close()


async def baseline_side(gateway: str, run: str, n: int) -> tuple[float, float]:
    bodies = []
    for m in messages(run, n):
        text = render(m.template, m.lang, m.params).text
        bodies.append({"template": m.template, "phone": m.recipient, "params": m.params,
                       "idempotency_key": m.idem_key, "text": text, "lang": m.lang})  # fmt: skip
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def worker() -> None:
            for body in queue:
                key = str(body["idempotency_key"])
                r = await client.post(gateway, json=body, headers={"Idempotency-Key": key})
                r.raise_for_status()

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return n / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / n


async def main(rounds: int, n: int) -> None:
    proc, gateway = start_gateway()
    results: list[tuple[tuple[float, float], tuple[float, float]]] = []
    try:
        async with fresh_database() as url:
            await notifier_side(url, gateway, "warm-n", 500)  # connections, caches, JIT of nothing
            await baseline_side(gateway, "warm-b", 500)
            for r in range(1, rounds + 1):
                # Alternate which side goes first: the machine is shared and drifts.
                if r % 2:
                    ours = await notifier_side(url, gateway, f"n{r}", n)
                    bare = await baseline_side(gateway, f"b{r}", n)
                else:
                    bare = await baseline_side(gateway, f"b{r}", n)
                    ours = await notifier_side(url, gateway, f"n{r}", n)
                results.append((ours, bare))
                print(f"round {r}: notifier {ours[0]:,.0f} msg/s ({ours[1]:.2f} ms CPU/msg),"
                      f" baseline {bare[0]:,.0f} msg/s ({bare[1]:.2f} ms CPU/msg),"
                      f" ratio {ours[0] / bare[0]:.2f}", flush=True)  # fmt: skip
        stats = httpx.get(gateway.replace("/sms", "/stats")).json()
    finally:
        proc.terminate()
        proc.wait(5)

    def med(side: int, i: int) -> float:
        return statistics.median(r[side][i] for r in results)

    print(f"median: notifier {med(0, 0):,.0f} msg/s ({med(0, 1):.2f} ms CPU/msg),"
          f" baseline {med(1, 0):,.0f} msg/s ({med(1, 1):.2f} ms CPU/msg),"
          f" ratio {med(0, 0) / med(1, 0):.2f}; gateway {stats}")  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--gateway", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.gateway:
        uvloop.run(_serve_gateway(a.gateway))
    else:
        uvloop.run(main(a.rounds, a.messages))
