"""Running the server: uvicorn's settings, the listening socket, and several workers.

``onewindow serve --workers N`` runs N whole servers on one listening socket: each has
its own hub and loops and hears the others through the Redis bus and the shared
PostgreSQL, as processes behind nginx do (docs/deploy.md). The kernel hands each new
connection to one of them. uvicorn's supervisor starts the workers (spawned, not
forked: a forked event loop or pool is not safe) and restarts one that dies; it loads
the app in each worker by name, hence ``app_from_environ``.
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import re
import signal
import socket
from typing import Any, cast

from starlette.applications import Starlette

from .realtime.ws_protocol import OneWindowWSProtocol
from .settings import Settings

STALLED_PEER_MS = 20_000
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactTokens(logging.Filter):
    """Ticket and staff tokens may ride in query strings (?token=…), and an ID number in a
    client's mistaken URL: keep them out of logs."""

    _pattern = re.compile(r"((?:token|id_number|id_suffix)=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self._pattern.sub(r"\1***", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = self._pattern.sub(r"\1***", record.msg)
        return True


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why this many workers cannot run on these settings, or None."""
    if workers < 1:
        return "--workers must be 1 or more"
    if workers == 1:
        return None
    if not settings.effective_database_url().startswith(("postgres://", "postgresql://")):
        return ("several workers need PostgreSQL (ONEWINDOW_DATABASE_URL): the embedded "
                "SQLite database has one writer; run one worker on it")  # fmt: skip
    if not settings.redis_url:
        return ("several workers need Redis (ONEWINDOW_REDIS_URL), which tells each one "
                "at once of the others' events")  # fmt: skip
    return None


def run(settings: Settings, workers: int = 1) -> int:
    """Serve until SIGTERM or SIGINT; 0 on a clean stop."""
    import uvicorn

    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal
    # under the handler it found at start. A no-op one lets a clean stop exit 0,
    # which service managers read as success.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)
    sock = _listen(settings.host, settings.port)
    if workers == 1:
        from .app import create_app

        _tune_gc()
        uvicorn.Server(_config(settings, create_app(settings))).run(sockets=[sock])
        return 0
    from uvicorn.supervisors import Multiprocess

    # The workers read their settings from the environment, as this process did; the
    # secret may have been read from the file beside the database (cli), so pass it on.
    os.environ["ONEWINDOW_SECRET"] = settings.secret
    config = _config(settings, "server.serve:app_from_environ", workers=workers)
    Multiprocess(config, sockets=[sock]).run()
    return 0


def app_from_environ() -> Starlette:
    """A worker's app (uvicorn calls this by name in each worker process)."""
    from .app import create_app

    settings = Settings.from_environ()
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    _tune_gc()
    return create_app(settings)


def _config(settings: Settings, app: Starlette | str, workers: int = 1) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        # Who the client is behind a proxy is decided by ONEWINDOW_TRUSTED_PROXIES
        # (server/proxy.py), not by uvicorn's own default trust of 127.0.0.1.
        proxy_headers=False,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=_log_config(settings.log_level.upper()),
        # SIGTERM: stop accepting, close WebSockets with 1012 at once (uvicorn does), give
        # in-flight requests drain_s to finish. uvicorn annotates an int; any number works.
        timeout_graceful_shutdown=cast(int, settings.drain_s),
        # uvicorn's sans-I/O protocol, whose closes give up on a peer that never reads.
        ws=OneWindowWSProtocol,
        # A larger message is refused by the protocol layer with 1009 before it is buffered.
        ws_max_size=settings.ws_max_message_bytes,
        # Dead peers are noticed within ping interval + timeout (20 s).
        ws_ping_interval=10.0,
        ws_ping_timeout=10.0,
        # Per-connection compression would defeat encoding each event once for all.
        ws_per_message_deflate=False,
    )


def _tune_gc() -> None:
    # Fan-out makes many short-lived objects; the default thresholds run a full
    # collection every few seconds, a 100+ ms pause for 1,000 displays at once.
    gc.set_threshold(50_000, 20, 100)


def _log_config(level: str) -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactTokens}}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    config["loggers"]["uvicorn"]["level"] = level
    return config


def _stopped(signum: int, frame: object) -> None:
    return None


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, made here for one option uvicorn does not offer.

    TCP_USER_TIMEOUT (inherited by accepted connections) lets the kernel drop a peer
    whose data stays unacknowledged (a cable pulled, a display box switched off) after
    20 s, instead of retransmitting for a quarter of an hour.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, STALLED_PEER_MS)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
