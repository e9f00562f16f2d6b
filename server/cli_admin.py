"""``onewindow user``, ``hall`` and ``audit``: set up a hall without the demo, check the log.

Each command opens the store itself (migrating it first, as ``serve`` would),
acts as the operator at the console (recorded in the audit log as
``cli:<os user>``), and exits 0 on success or 1 with a reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .auth import TokenSigner
from .bus.memory import MemoryBus
from .domain.errors import OneWindowError
from .domain.model import Actor, Role, User
from .settings import Settings
from .store.store import Store
from .usecases.audit_log import AuditLog
from .usecases.context import Context
from .usecases.hall_document import HallDocuments
from .usecases.sessions import Sessions
from .usecases.staff import Staff


def add_commands(sub: Any) -> None:
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create a staff account (e.g. the first admin)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", help="display name (default: the username)")
    create.add_argument("--hall", help="the hall a supervisor or clerk works in")
    create.add_argument("--department", help="the department of an officer")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of a prompt")  # fmt: skip

    hall = sub.add_parser("hall", help="hall documents").add_subparsers(dest="action", required=True)
    export = hall.add_parser("export", help="print a hall as one JSON document")
    export.add_argument("hall")
    imp = hall.add_parser("import", help="make a hall match a JSON document, all or nothing")
    imp.add_argument("file", help="the document (- for standard input)")
    imp.add_argument("--dry-run", action="store_true", help="print the changes, apply none")

    log = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="action", required=True)
    log.add_parser("verify", help="check every chain of the audit log; exit 1 if any is broken")
    purge = log.add_parser("purge", help="remove rows past the retention (a checkpoint is kept)")
    purge.add_argument("--days", type=int, help="retention in days (default ONEWINDOW_AUDIT_RETENTION_DAYS)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    commands: dict[tuple[str, str], Callable[[Context, argparse.Namespace, Settings], Awaitable[int]]] = {
        ("user", "create"): _user_create,
        ("hall", "export"): _hall_export,
        ("hall", "import"): _hall_import,
        ("audit", "verify"): _audit_verify,
        ("audit", "purge"): _audit_purge,
    }  # fmt: skip
    command = commands[(args.command, args.action)]
    # Prompts and files are read before the event loop starts.
    args.password = _read_password(args) if (args.command, args.action) == ("user", "create") else ""
    if (args.command, args.action) == ("hall", "import"):
        args.text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    try:
        return asyncio.run(_with_store(settings, lambda ctx: command(ctx, args, settings)))
    except OneWindowError as err:
        where = f" ({err.field})" if err.field else ""
        print(f"error: {err.code}{where}: {err.message_zh} / {err.message}", file=sys.stderr)
        return 1


async def _with_store(settings: Settings, body: Callable[[Context], Awaitable[int]]) -> int:
    store = Store.from_url(settings.effective_database_url(), settings.secret.encode())
    await store.open(migrate=True)
    try:
        now = datetime.now(UTC)
        return await body(Context(store=store, bus=MemoryBus(), clock=lambda: now,
                                  secret=settings.secret.encode()))  # fmt: skip
    finally:
        await store.close()


def operator() -> Actor:
    return Actor("cli", f"cli:{getpass.getuser()}", Role.ADMIN, None, client="localhost",
                 user_agent="onewindow-cli")  # fmt: skip


def _read_password(args: argparse.Namespace, stdin: TextIO | None = None) -> str:
    if args.password_stdin:
        return (stdin or sys.stdin).readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        print("error: the passwords differ", file=sys.stderr)
        raise SystemExit(1)
    return first


async def _user_create(ctx: Context, args: argparse.Namespace, settings: Settings) -> int:
    staff = Staff(ctx, Sessions(ctx, TokenSigner(settings.secret), settings.token_ttl_s))
    draft = User("", args.username, args.name or args.username, Role(args.role), args.hall, "",
                 department_id=args.department)  # fmt: skip
    # The operator chose this password at the console: no forced change at first sign-in.
    user = await staff.create_user(operator(), draft, args.password, must_change=False)
    print(f"created {user.role.value} {user.username} ({user.id})")
    return 0


async def _hall_export(ctx: Context, args: argparse.Namespace, settings: Settings) -> int:
    doc = await HallDocuments(ctx).export(args.hall)
    print(json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


async def _hall_import(ctx: Context, args: argparse.Namespace, settings: Settings) -> int:
    try:
        raw = json.loads(args.text)
    except ValueError as exc:
        print(f"error: document_invalid: not JSON: {exc}", file=sys.stderr)
        return 1
    changes = await HallDocuments(ctx).import_(raw, operator(), dry_run=args.dry_run)
    for change in changes:
        print(change.line())
    if not changes:
        print("nothing to change")
    elif args.dry_run:
        print(f"{len(changes)} changes (dry run: nothing applied)")
    else:
        print(f"applied {len(changes)} changes")
    return 0


async def _audit_verify(ctx: Context, args: argparse.Namespace, settings: Settings) -> int:
    log = AuditLog(ctx)
    problems = await log.verify()
    for problem in problems:
        print(f"BROKEN {problem}")
    for chain, (seq, digest) in sorted((await log.heads()).items()):
        # Recorded elsewhere, the heads also reveal a truncated tail (see docs/audit.md).
        print(f"chain {chain}: {seq} rows, head {digest}")
    print("audit log intact" if not problems else f"{len(problems)} problems found")
    return 1 if problems else 0


async def _audit_purge(ctx: Context, args: argparse.Namespace, settings: Settings) -> int:
    days = args.days if args.days is not None else settings.audit_retention_days
    removed = await AuditLog(ctx).purge(ctx.clock(), days)
    for chain, n in sorted(removed.items()):
        print(f"chain {chain}: removed {n} rows older than {days} days")
    if not removed:
        print("nothing older than the retention")
    return 0
