"""Prometheus metrics, one registry per app (no process-wide globals)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
