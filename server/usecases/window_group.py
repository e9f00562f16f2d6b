"""Window commands of a hall, group-committed (group_commit.py).

Commands of one hall that arrive while a commit is under way go in the next
transaction together. Each still locks its own window row, claims with SKIP
LOCKED and gets its own result and events; window rows are locked in window
order, so two groups in two processes never wait on each other in a circle.

A refused command takes back what it queued and the rest go on: a step checks
before it writes. A command that wrote and then failed, or that the database
refused (a unique index, a deadlock), ends the whole transaction; then every
command of the group runs again on its own, so only the one at fault fails.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from .. import audit
from ..domain import access
from ..domain.errors import Conflict, Forbidden, NotFound, OneWindowError, Unavailable
from ..domain.model import Actor, Role, Ticket, Window
from ..store.db import Conn, Contention, Row, UniqueViolation
from ..store.tx import StoredEvent, Tx
from .context import Context
from .group_commit import GroupCommit

log = logging.getLogger(__name__)

MAX_BATCH = 64
# Groups of a hall under way at once on PostgreSQL: while one waits on its statements'
# round trips or its commit, the next is already running (benchmarks.md, issue 13).
LANES = 4


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: Window
    ticket: Ticket | None
    replayed: bool = False  # a retried command: nothing was done this time


Step = Callable[[Tx, Window], Awaitable[WindowResult]]


@dataclass(frozen=True, slots=True)
class Command:
    window_id: str
    actor: Actor
    step: Step
    command_id: str | None  # the console's id for it: a retry is not run twice
    action: str  # its name in the audit log
    opening: bool = False


def authorize(actor: Actor, window: Window, *, opening: bool = False) -> None:
    """Clerks act only at the window they signed in at; supervisors anywhere in their hall."""
    if actor.role not in access.QUEUE_ROLES:
        raise Forbidden("role_forbidden", "your role may not do this", "您的角色无权执行此操作")
    if actor.hall_id is not None and actor.hall_id != window.hall_id:
        raise Forbidden("other_hall", "that window is in another hall", "该窗口不属于您所在的大厅")
    if actor.role is Role.CLERK and not opening and window.clerk_id != actor.id:
        raise Forbidden(
            "not_your_window",
            f"window {window.number} is not signed in to you",
            f"{window.number}号窗口不是您登录的窗口",
        )


def duplicate_ticket() -> Conflict:
    # Calling back or moving a ticket whose citizen has since taken another one.
    return Conflict(
        "duplicate_ticket",
        "the citizen already holds an active ticket for that service",
        "该市民在此业务下已有正在办理或等候的号票",
    )


Outcome = WindowResult | BaseException


class WindowGroup:
    def __init__(self, ctx: Context, lanes: int | None = None) -> None:
        self.ctx = ctx
        if lanes is None:  # SQLite has one writer: a second group would only wait for it
            lanes = 1 if ctx.store.dialect == "sqlite" else LANES
        self._group: GroupCommit[Command, WindowResult] = GroupCommit(self._settle, MAX_BATCH, lanes)

    async def run(self, cmd: Command) -> WindowResult:
        return await self._group.submit(await self.ctx.window_hall(cmd.window_id), cmd)

    async def _settle(self, hall_id: str, cmds: list[Command]) -> list[Outcome]:
        if len(cmds) > 1:
            try:
                results, events = await self._commit(hall_id, cmds)
            except (_Unclean, UniqueViolation, Contention) as exc:
                # Only what one command can cause: the rest run again on their own. A
                # lost connection or a failed commit is every command's answer (the
                # group may even have committed: running it again could call twice).
                log.info("%d window commands in hall %s go one by one: %r", len(cmds), hall_id, exc)
            else:
                await self._publish(hall_id, events)
                return results
        return [await self._alone(hall_id, cmd) for cmd in cmds]

    async def _alone(self, hall_id: str, cmd: Command) -> Outcome:
        try:
            results, events = await self._commit(hall_id, [cmd])
        except UniqueViolation as exc:
            if not _active_ticket_clash(exc):
                return exc
            refused = duplicate_ticket()
            refused.__cause__ = exc
            return refused
        except Exception as exc:
            return exc
        await self._publish(hall_id, events)
        return results[0]

    async def _publish(self, hall_id: str, events: list[StoredEvent]) -> None:
        try:
            await self.ctx.publish(hall_id, events)
        except Exception:
            # Committed: the commands' answers stand, and displays catch up from the log.
            log.exception("publishing %d events of hall %s failed", len(events), hall_id)

    async def _commit(
        self, hall_id: str, cmds: list[Command]
    ) -> tuple[list[Outcome], list[StoredEvent]]:
        """One transaction for the commands; a lone command's refusal rolls it back."""
        order = sorted(range(len(cmds)), key=lambda i: cmds[i].window_id)  # stable
        results: dict[int, Outcome] = {}
        async with self.ctx.store.write(hall_id, self.ctx.clock()) as tx:
            if len(cmds) == 1:
                results[0] = await _one(tx, cmds[0])
            else:
                counted = tx.conn = _Counted(tx.conn)
                for i in order:
                    writes, mark = counted.writes, tx.mark()
                    try:
                        results[i] = await _one(tx, cmds[i])
                    except OneWindowError as err:
                        if isinstance(err, Unavailable):  # the database went: nobody's alone
                            raise
                        if counted.writes != writes:
                            raise _Unclean(cmds[i].action) from err
                        tx.undo(mark)
                        results[i] = err
        return [results[i] for i in range(len(cmds))], tx.events


async def _one(tx: Tx, cmd: Command) -> WindowResult:
    """Run the step on the locked window. A ``command_id`` seen before at this window is
    not run again: a console retrying after a dropped connection gets the state its
    first attempt left, and no second ticket is called."""
    w = await tx.window(cmd.window_id)
    if w is None:
        raise NotFound("unknown_window", f"no window {cmd.window_id!r}", f"没有窗口 {cmd.window_id}")
    authorize(cmd.actor, w, opening=cmd.opening)
    if cmd.command_id is not None and (done := await tx.command_seen(w.id, cmd.command_id)):
        ticket = await tx.ticket(done[1]) if done[1] else None
        return WindowResult(w, ticket, replayed=True)
    result = await cmd.step(tx, w)
    t = result.ticket
    rec = audit.record(cmd.actor, tx.hall_id, cmd.action, w.id,
                       ticket=t.id if t else None, number=t.number if t else None)  # fmt: skip
    tx.audit(replace(rec, chain=audit.window_chain(tx.hall_id, w.id)))
    if cmd.command_id is not None:
        await tx.record_command(w.id, cmd.command_id, t.id if t else None)
    return result


def _active_ticket_clash(exc: UniqueViolation) -> bool:
    """The index of one active ticket per ID and service (PostgreSQL names it; SQLite
    names its columns)."""
    return "tickets_one_active_per_id" in exc.constraint or "id_fingerprint" in exc.constraint


class _Unclean(Exception):
    """A refused command had written already: only a rollback takes that back."""


class _Counted:
    """The transaction's connection, counting the statements that may have written."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.writes = 0

    def _saw(self, sql: str) -> None:
        if not sql.startswith("SELECT"):
            self.writes += 1

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        self._saw(sql)
        return await self.conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        self._saw(sql)
        return await self.conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self._saw(sql)
        return await self.conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        self._saw(sql)
        await self.conn.execute(sql, *args)
