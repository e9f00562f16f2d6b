"""Clerks' side of the queue: open a window, call, serve, pass, transfer.

Every operation locks the window row first, so two commands for one window (a
double click, a retry) run one after the other and the second sees what the
first did; the commands of a hall share transactions (window_group.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import ticket as tk
from ..domain import window as wn
from ..domain.errors import Conflict, Forbidden, NotFound
from ..domain.events import NewEvent, ticket_event, transferred_event, window_event
from ..domain.model import Actor, Ticket, Window
from ..store import stats_sql
from ..store.tx import Tx
from . import citizen_messages
from .context import Context
from .window_group import Command, Step, WindowGroup
from .window_group import WindowResult as WindowResult
from .window_group import authorize as authorize


@dataclass(frozen=True, slots=True)
class TransferRequest:
    service: str | None = None
    window: str | None = None
    keep_place: bool = True
    reason: str | None = None


class Windows:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._group = WindowGroup(ctx)

    async def _run(
        self,
        window_id: str,
        actor: Actor,
        step: Step,
        command_id: str | None,
        action: str,
        *,
        opening: bool = False,
    ) -> WindowResult:
        return await self._group.run(Command(window_id, actor, step, command_id, action, opening))

    async def _current(self, tx: Tx, w: Window) -> Ticket:
        t = await tx.ticket(wn.require_current(w))
        if t is None:  # the window row points at a ticket; tickets are never deleted
            raise NotFound("unknown_ticket", "no such ticket", "没有该号票")
        return t

    async def _save(self, tx: Tx, w: Window, t: Ticket | None, *events: NewEvent) -> WindowResult:
        await tx.save(w, t)
        for ev in events:
            tx.emit(ev)
        return WindowResult(w, t)

    # --- the window itself ------------------------------------------------------------

    async def open(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            busy = await tx.clerk_window(actor.id, other_than=w.id)
            if busy is not None:
                raise Conflict(
                    "clerk_busy",
                    f"you are still signed in at window {busy}",
                    f"您仍在{busy}号窗口登录，请先关闭该窗口",
                )
            await tx.update_window(wn.open_(w, actor.id))
            w = await tx.window(w.id, lock=False) or w  # re-read: the clerk's name comes with it
            tx.emit(window_event("opened", w))
            return WindowResult(w, None)

        return await self._run(window_id, actor, step, command_id, "window.open", opening=True)

    async def pause(
        self, window_id: str, actor: Actor, reason: str | None, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            w = wn.pause(w, reason)
            return await self._save(tx, w, None, window_event("paused", w))

        return await self._run(window_id, actor, step, command_id, "window.pause")

    async def resume(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            w = wn.resume(w)
            return await self._save(tx, w, None, window_event("resumed", w))

        return await self._run(window_id, actor, step, command_id, "window.resume")

    async def close(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            w = wn.close(w)
            return await self._save(tx, w, None, window_event("closed", w))

        return await self._run(window_id, actor, step, command_id, "window.close")

    # --- tickets at the window --------------------------------------------------------

    async def call_next(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        policy = self.ctx.policy
        # Read before the transaction: inside it a second pooled connection could wait
        # on a pool that the hall's transactions themselves hold.
        info = await self.ctx.hall(await self.ctx.window_hall(window_id))

        async def step(tx: Tx, w: Window) -> WindowResult:
            wn.require_free(w, "call", "叫号")
            order = policy.class_order(w.priority_streak, w.appointment_streak)
            t = await tx.claim_next(w, order)
            if t is None:
                raise Conflict(
                    "queue_empty", "nobody is waiting for this window", "当前没有等候的号票"
                )
            streak = policy.next_streak(w.priority_streak, t.priority)
            appointments = policy.next_appointment_streak(w.appointment_streak, t.priority)
            t = tk.call(t, w.id, tx.now)
            w = wn.occupy(w, t.id, streak, appointments)
            result = await self._save(tx, w, t, ticket_event("called", t, w))
            await citizen_messages.called(tx, t, w)
            await citizen_messages.queue_moved(tx, info, t.service)
            return result

        return await self._run(window_id, actor, step, command_id, "window.call_next")

    async def recall(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            t = tk.recall(await self._current(tx, w), w.id, tx.now)
            await citizen_messages.called(tx, t, w)
            return await self._save(tx, w, t, ticket_event("recalled", t, w))

        return await self._run(window_id, actor, step, command_id, "window.recall")

    async def no_show(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            t = tk.no_show(await self._current(tx, w), w.id, tx.now)
            w = wn.release(w)
            return await self._save(tx, w, t, ticket_event("no_show", t, w))

        return await self._run(window_id, actor, step, command_id, "window.no_show")

    async def call_back(
        self, window_id: str, actor: Actor, ticket_id: str, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            wn.require_free(w, "call back", "召回")
            t = await tx.ticket(ticket_id)
            if t is None:
                raise NotFound("unknown_ticket", "no such ticket in this hall", "本大厅没有该号票")
            if t.service not in w.services and t.window_id != w.id:
                raise Forbidden(
                    "service_not_served",
                    f"window {w.number} does not serve {t.service}",
                    f"{w.number}号窗口不办理 {t.service} 类业务",
                )
            t = tk.call_back(t, w.id, tx.now)
            w = wn.occupy(w, t.id, w.priority_streak)
            await citizen_messages.called(tx, t, w)
            return await self._save(tx, w, t, ticket_event("called_back", t, w))

        return await self._run(window_id, actor, step, command_id, "window.call_back")

    async def start(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            t = tk.start(await self._current(tx, w), w.id, tx.now)
            result = await self._save(tx, w, t, ticket_event("started", t, w))
            # Who served it, for the per-clerk figures; in this transaction, with the start.
            await stats_sql.set_served_by(tx.conn, t.id, w.clerk_id)
            return result

        return await self._run(window_id, actor, step, command_id, "window.start")

    async def finish(
        self, window_id: str, actor: Actor, *, command_id: str | None = None
    ) -> WindowResult:
        async def step(tx: Tx, w: Window) -> WindowResult:
            t = tk.finish(await self._current(tx, w), w.id, tx.now)
            w = wn.release(w)
            return await self._save(tx, w, t, ticket_event("finished", t, w))

        return await self._run(window_id, actor, step, command_id, "window.finish")

    async def transfer(
        self, window_id: str, actor: Actor, req: TransferRequest, *, command_id: str | None = None
    ) -> WindowResult:
        # Resolved before the transaction: inside it, a second pooled connection
        # could wait on a pool that the transactions themselves have drained.
        hall_id = await self.ctx.window_hall(window_id)
        if req.service is not None:
            await self.ctx.service(hall_id, req.service)

        async def step(tx: Tx, w: Window) -> WindowResult:
            t = await self._current(tx, w)
            service = req.service or t.service
            if req.window is not None:
                # Read, not locked: locking a second window could deadlock two crossed transfers.
                target = await tx.window(req.window, lock=False)
                if target is None:
                    raise NotFound(
                        "unknown_window", "no such window in this hall", "本大厅没有该窗口"
                    )
                if target.id == w.id:
                    raise Conflict(
                        "transfer_to_self", "cannot transfer to the same window", "不能转给本窗口"
                    )
            t = tk.transfer(
                t,
                service=service,
                target_window_id=req.window,
                keep_place=req.keep_place,
                reason=req.reason,
                now=tx.now,
            )
            w = wn.release(w)
            return await self._save(tx, w, t, transferred_event(t, w, req.keep_place))

        return await self._run(window_id, actor, step, command_id, "window.transfer")
