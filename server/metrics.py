"""Prometheus metrics, one registry per app (no process-wide globals)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .domain.message import KINDS
from .store.tx import StoredEvent

_CALLS = {"ticket.called": "call", "ticket.recalled": "recall", "ticket.called_back": "call_back"}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tickets_issued = Counter(
            "onewindow_tickets_issued",
            "Tickets issued",
            ["hall", "service", "kind"],
            registry=self.registry,
        )
        self.calls = Counter(
            "onewindow_calls",
            "Tickets called at a window",
            ["hall", "type"],
            registry=self.registry,
        )
        self.events = Counter(
            "onewindow_events_committed", "Events committed", ["hall"], registry=self.registry
        )
        self.waiting = Gauge(
            "onewindow_waiting_tickets",
            "Tickets waiting",
            ["hall", "service"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "onewindow_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.ws_connections = Gauge(
            "onewindow_ws_connections", "Open WebSocket connections", registry=self.registry
        )
        self.ws_closed = Counter(
            "onewindow_ws_server_closes",
            "WebSocket connections closed by the server",
            ["code"],
            registry=self.registry,
        )
        self.ws_gap_fills = Counter(
            "onewindow_ws_gap_fills",
            "Times a stream gap (lost bus message) was filled from the store",
            ["hall"],
            registry=self.registry,
        )
        # Notifications. "queued" is counted by the worker when it first claims a
        # message (once per message across processes: the claim counts the attempt);
        # the pending gauge and the age are the database's, the same in every process.
        self.notify_queued = Counter(
            "onewindow_notify_queued", "Messages taken from the outbox for a first send",
            ["channel"], registry=self.registry,
        )  # fmt: skip
        self.notify_sent = Counter(
            "onewindow_notify_sent", "Messages delivered to their transport", ["channel"],
            registry=self.registry,
        )  # fmt: skip
        self.notify_failed = Counter(
            "onewindow_notify_failed", "Messages given up (permanent error or out of attempts)",
            ["channel"], registry=self.registry,
        )  # fmt: skip
        self.notify_retried = Counter(
            "onewindow_notify_retried", "Failed sends put back for a later attempt", ["channel"],
            registry=self.registry,
        )  # fmt: skip
        self.notify_pending = Gauge(
            "onewindow_notify_pending", "Messages waiting in the outbox", ["channel"],
            registry=self.registry,
        )  # fmt: skip
        self.redis_up = Gauge(
            "onewindow_redis_up",
            "1 while this process's Redis bus is subscribed, 0 while it runs on its own;"
            " absent without Redis",
            registry=self.registry,
        )
        self.notify_outbox_age = Gauge(
            "onewindow_notify_outbox_age_seconds",
            "Age of the oldest message waiting in the outbox (0 when none)",
            registry=self.registry,
        )
        self.notify_send_seconds = Histogram(
            "onewindow_notify_send_seconds", "Time a transport took to send one message",
            ["channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )  # fmt: skip

    def set_outbox(self, pending: dict[str, int], age_s: float) -> None:
        # Every kind, so a channel whose backlog emptied shows 0 rather than its last count.
        for channel in sorted({*KINDS, *pending}):
            self.notify_pending.labels(channel).set(pending.get(channel, 0))
        self.notify_outbox_age.set(age_s)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route, str(status)).observe(seconds)

    def observe_commit(self, hall_id: str, events: Sequence[StoredEvent]) -> None:
        """Counted where events are committed, so several processes never count one twice."""
        self.events.labels(hall_id).inc(len(events))
        for ev in events:
            if ev.type == "ticket.issued":
                self.tickets_issued.labels(hall_id, ev.data["service"], ev.data["kind"]).inc()
            elif ev.type in _CALLS:
                self.calls.labels(hall_id, _CALLS[ev.type]).inc()

    def set_waiting(self, hall_id: str, services: Sequence[str], counts: dict[str, int]) -> None:
        for code in services:
            self.waiting.labels(hall_id, code).set(counts.get(code, 0))

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
