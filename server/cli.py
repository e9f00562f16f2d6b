"""The ``onewindow`` command: serve, migrate, check; user, hall and audit (``cli_admin``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from . import cli_admin, serve
from .settings import Settings
from .store.store import Store

WORKERS_HELP = "server processes on the one port (default ONEWINDOW_WORKERS or 1)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onewindow", description="一窗通 OneWindow queueing server")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--demo", action="store_true", help="seed the demo hall if it is missing")
    serve.add_argument("--host", help="bind address (default ONEWINDOW_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default ONEWINDOW_PORT or 8000)")
    serve.add_argument("--workers", type=int, help=WORKERS_HELP)
    sub.add_parser("migrate", help="apply database migrations")
    check = sub.add_parser(
        "check", help="exit 0 if the database and Redis are ready, else 1 with a reason"
    )
    check.add_argument("--workers", type=int, help=WORKERS_HELP)
    cli_admin.add_commands(sub)
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

    store = Store.from_url(settings.effective_database_url(), settings.secret.encode())
    await store.open(migrate=True)
    try:
        return await seed_demo(store, datetime.now(UTC), settings.default_tz)
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


def _persisted_secret(settings: Settings, env: dict[str, str]) -> Settings:
    """Keep one secret across restarts when none is configured: ID fingerprints, tokens and
    the audit chain depend on it. A new one is made only for a database with no audit log
    yet: a different key would make every later audit row look forged."""
    if env.get("ONEWINDOW_SECRET"):
        return settings
    path = Path.cwd() / ".onewindow-secret"
    if not path.exists():
        if _missing_sqlite(settings) is None and asyncio.run(_audit_written(settings)):
            print(
                "error: this database's audit log was written with a secret that is not here;"
                " set ONEWINDOW_SECRET, or run from the folder holding its .onewindow-secret",
                file=sys.stderr,
            )
            raise SystemExit(1)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        logging.getLogger("onewindow").warning(
            "ONEWINDOW_SECRET is not set; created %s (set it in production)", path
        )
    return replace(settings, secret=path.read_text().strip())


async def _audit_written(settings: Settings) -> bool:
    store = Store.from_url(settings.effective_database_url())
    try:
        await store.open(migrate=False)
    except Exception:
        return False  # unreachable now: serve or the command itself will say so
    try:
        async with store.db.reader() as c:
            return bool(await c.fetchval("SELECT count(*) FROM audit_heads"))
    except Exception:
        return False  # not migrated yet: nothing written
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_environ()
    logging.basicConfig(level=settings.log_level, format=serve.LOG_FORMAT)
    log = logging.getLogger("onewindow")
    if args.command == "serve":
        from .web import PagesNotInstalled, page_folders

        try:
            page_folders()
        except PagesNotInstalled as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    if args.command in ("serve", "user", "hall", "audit"):
        # The audit chain is keyed by the secret: every command that writes or checks
        # it must use the same one as the server.
        settings = _persisted_secret(settings, dict(os.environ))
    if args.command in ("user", "hall", "audit"):
        return cli_admin.run(args, settings)
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print(f"applied migrations: {applied}" if applied else "database is up to date")
        return 0
    workers = args.workers or settings.workers
    if args.command == "check":
        reason = (serve.workers_refusal(settings, workers) or _missing_sqlite(settings)
                  or asyncio.run(_check(settings)))  # fmt: skip
        print(reason or f"ok\nworkers: {workers}")
        return 1 if reason else 0
    if refusal := serve.workers_refusal(settings, workers):
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    if args.demo and asyncio.run(_seed_demo(settings)):
        log.info("seeded the demo hall 'demo' (示范政务服务中心); see README for sign-ins")
    if args.demo:
        base = f"http://{settings.host}:{settings.port}"
        log.info("kiosk %s/kiosk/demo · phone %s/m/demo · board %s/display/demo"
                 " · console %s/console · admin %s/admin · stats %s/stats"
                 " · supervise %s/supervise", *[base] * 7)
    return serve.run(settings, workers)


if __name__ == "__main__":
    sys.exit(main())
