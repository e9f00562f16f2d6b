"""The ``onewindow`` command: serve, migrate, check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .settings import Settings
from .store.store import Store


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onewindow", description="一窗通 OneWindow queueing server")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--demo", action="store_true", help="seed the demo hall if it is missing")
    serve.add_argument("--host", help="bind address (default ONEWINDOW_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default ONEWINDOW_PORT or 8000)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("check", help="exit 0 if the database and Redis are ready, else 1 with a reason")
    return p


async def _migrate(settings: Settings) -> list[int]:
    store = Store.from_url(settings.effective_database_url())
    await store.open(migrate=False)
    try:
        return await store.db.migrate()
    finally:
        await store.close()


async def _seed_demo(settings: Settings) -> bool:
    from .demo import seed_demo

    store = Store.from_url(settings.effective_database_url())
    await store.open(migrate=True)
    try:
        return await seed_demo(store, datetime.now(UTC))
    finally:
        await store.close()


def _missing_sqlite(settings: Settings) -> str | None:
    """A check must not create what it checks: opening SQLite would make the file."""
    url = settings.effective_database_url()
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and not Path(path).exists():
        return f"no database at {path} (run `onewindow migrate`)"
    return None


async def _check(settings: Settings) -> str | None:
    """None when ready, else the reason it is not."""
    store = Store.from_url(settings.effective_database_url())
    try:
        await asyncio.wait_for(store.open(migrate=False), 10)
    except Exception as exc:
        return f"database unreachable: {exc}"
    try:
        pending = await store.db.pending_migrations()
        if pending:
            return f"migrations pending: {pending} (run `onewindow migrate`)"
    finally:
        await store.close()
    if settings.redis_url:
        import redis.asyncio as aioredis

        client = aioredis.from_url(settings.redis_url, socket_connect_timeout=5)
        try:
            await client.ping()
        except Exception as exc:
            return f"redis unreachable: {exc}"
        finally:
            await client.aclose()
    return None


def _stopped(signum: int, frame: object) -> None:
    return None


def _persisted_secret(settings: Settings, env: dict[str, str]) -> Settings:
    """Keep one secret across restarts when none is configured: ID fingerprints depend on it."""
    if env.get("ONEWINDOW_SECRET"):
        return settings
    path = Path.cwd() / ".onewindow-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        logging.getLogger("onewindow").warning(
            "ONEWINDOW_SECRET is not set; created %s (set it in production)", path
        )
    return replace(settings, secret=path.read_text().strip())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_environ()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log = logging.getLogger("onewindow")
    if args.command == "serve":
        settings = _persisted_secret(settings, dict(os.environ))
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print(f"applied migrations: {applied}" if applied else "database is up to date")
        return 0
    if args.command == "check":
        reason = _missing_sqlite(settings) or asyncio.run(_check(settings))
        print(reason or "ok")
        return 1 if reason else 0
    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    if args.demo and asyncio.run(_seed_demo(settings)):
        log.info("seeded the demo hall 'demo' (示范政务服务中心); see README for sign-ins")
    import uvicorn

    from .app import create_app

    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal
    # under the handler it found at start. A no-op one lets a clean stop exit 0,
    # which service managers read as success.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
