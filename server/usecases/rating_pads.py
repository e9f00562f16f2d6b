"""Rating pads (评价器): pairing a pad with its window, its prompt, and what it shows.

A pad is trusted by a key: issued once to an admin or a supervisor of the hall, kept
only as a hash, replaced by a new pairing, revoked by unpairing. The pad follows its
own topic (pad:{window}) with that key and gets the window's finishes and the clerk's
请评价 there; the level chosen on it goes straight to the server, never through the
clerk's console.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .. import audit
from ..domain import access
from ..domain import rating as rt
from ..domain.errors import Conflict, NotFound, Unauthorized
from ..domain.events import NewEvent
from ..domain.model import Actor, Window
from ..store import ratings_sql as sql
from ..store.db import Conn
from .context import Context
from .windows import authorize as authorize_window

KEY_BYTES = 24


def key_hash(key: str) -> str:
    return hashlib.sha256(f"pad:{key}".encode()).hexdigest()


def bad_key() -> Unauthorized:
    return Unauthorized("pad_key_invalid", "this pad is not paired with the window (or its key "
                        "was replaced)", "评价器未与本窗口配对，或配对已失效，请联系管理员重新配对")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Prompt:
    ticket: str
    number: str
    at: datetime  # when it was put on the pad: the finish, or the clerk's 请评价

    def as_dict(self) -> dict[str, Any]:
        until = self.at + timedelta(seconds=rt.PAD_PROMPT_S)
        return {"ticket": self.ticket, "number": self.number, "at": self.at.isoformat(),
                "expires_at": until.isoformat()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pairing:
    window: Window
    key: str  # shown once
    paired_at: datetime


class Pads:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _window(self, window_id: str) -> Window:
        w = await self.ctx.store.window(window_id)
        if w is None:
            raise NotFound("unknown_window", f"no window {window_id!r}", f"没有窗口 {window_id}")
        return w

    async def pair(self, actor: Actor, window_id: str) -> Pairing:
        w = await self._window(window_id)
        access.require_hall_manager(actor, w.hall_id)
        key = secrets.token_urlsafe(KEY_BYTES)
        now = self.ctx.clock()
        async with self.ctx.store.write(w.hall_id, now) as tx:
            await sql.pair(tx.conn, sql.Pad(w.id, w.hall_id, key_hash(key), actor.id, now))
            tx.audit(audit.record(actor, w.hall_id, "pad.pair", w.id))
            tx.emit(revoked_event(w.id))
        await self.ctx.publish(w.hall_id, tx.events)
        return Pairing(w, key, now)

    async def unpair(self, actor: Actor, window_id: str) -> None:
        w = await self._window(window_id)
        access.require_hall_manager(actor, w.hall_id)
        async with self.ctx.store.write(w.hall_id, self.ctx.clock()) as tx:
            if not await sql.unpair(tx.conn, w.id):
                raise NotFound("pad_not_paired", "no pad is paired with this window",
                               "本窗口没有配对的评价器")  # fmt: skip
            tx.audit(audit.record(actor, w.hall_id, "pad.unpair", w.id))
            tx.emit(revoked_event(w.id))
        await self.ctx.publish(w.hall_id, tx.events)

    async def paired(self, actor: Actor, hall_id: str) -> dict[str, datetime]:
        access.require_hall_manager(actor, hall_id)
        async with self.ctx.store.db.reader() as c:
            return await sql.paired_windows(c, hall_id)

    async def check_key(self, c: Conn, window_id: str, key: str | None, *,
                        lock: str = "") -> sql.Pad:  # fmt: skip
        """The window's pad, if ``key`` is its key; the same answer for every failure."""
        pad = await sql.pad(c, window_id, lock=lock)
        if pad is None or not key or not hmac.compare_digest(pad.key_hash, key_hash(key)):
            raise bad_key()
        return pad

    async def current_prompt(self, c: Conn, pad: sql.Pad, now: datetime) -> Prompt | None:
        """What the pad should show now: the window's last finished ticket of today, while
        its prompt lasts and it is unrated."""
        info = await self.ctx.hall(pad.hall_id)
        row = await sql.latest_done(c, pad.hall_id, pad.window_id, info.clock.business_day(now))
        if row is None or row["finished_at"] is None:
            return None
        at = prompted_at(pad, row["id"], row["finished_at"])
        if now > at + timedelta(seconds=rt.PAD_PROMPT_S) or await sql.of_ticket(c, row["id"]):
            return None
        return Prompt(row["id"], row["number"], at)

    async def view(self, window_id: str, key: str | None) -> dict[str, Any]:
        """The pad's start: its window, the clerk's name, the prompt it should show now."""
        async with self.ctx.store.db.reader() as c:
            pad = await self.check_key(c, window_id, key)
            return await self.snapshot(c, pad)

    async def current(self, window_id: str) -> dict[str, Any]:
        """The snapshot of topic pad:{window} (its key was checked on subscribing)."""
        async with self.ctx.store.db.reader() as c:
            pad = await sql.pad(c, window_id)
            if pad is None:  # unpaired since
                raise bad_key()
            return await self.snapshot(c, pad)

    async def snapshot(self, c: Conn, pad: sql.Pad) -> dict[str, Any]:
        w = await self._window(pad.window_id)
        info = await self.ctx.hall(pad.hall_id)
        prompt = await self.current_prompt(c, pad, self.ctx.clock())
        return {
            "hall": {"id": info.hall.id, "name": info.hall.name},
            "window": {"id": w.id, "number": w.number, "name": w.name, "state": w.state.value,
                       "clerk_name": w.clerk_name},
            "prompt": prompt.as_dict() if prompt else None,
            "prompt_s": rt.PAD_PROMPT_S,
        }  # fmt: skip

    async def prompt(self, actor: Actor, window_id: str) -> Prompt:
        """请评价 from the console: the ticket just finished at this window, on its pad again."""
        hall_id = await self.ctx.window_hall(window_id)
        now = self.ctx.clock()
        async with self.ctx.store.write(hall_id, now) as tx:
            w = await tx.window(window_id, lock=False)
            if w is None:
                raise NotFound("unknown_window", f"no window {window_id!r}", f"没有窗口 {window_id}")
            authorize_window(actor, w)
            pad = await sql.pad(tx.conn, w.id, lock=tx.dialect.for_update)
            if pad is None:
                raise Conflict("pad_not_paired", "no rating pad is paired with this window",
                               "本窗口未配对评价器，请联系值班主任配对")  # fmt: skip
            info = await self.ctx.hall(hall_id)
            day = info.clock.business_day(now)
            row = await sql.latest_done(tx.conn, hall_id, w.id, day)
            if row is None:
                raise Conflict("nothing_to_rate", "no ticket has been finished at this window "
                               "today", "本窗口今天还没有办结的业务")  # fmt: skip
            rt.check_unrated(await sql.of_ticket(tx.conn, row["id"]))
            rt.may_reprompt(finished_at=row["finished_at"], now=now,
                            called_since=await sql.called_since(
                                tx.conn, hall_id, w.id, day,
                                row["finished_at"]))  # fmt: skip
            await sql.prompt(tx.conn, w.id, row["id"], now)
            p = Prompt(row["id"], row["number"], now)
            tx.emit(prompt_event(w, p))
        await self.ctx.publish(hall_id, tx.events)
        return p


def prompted_at(pad: sql.Pad, ticket_id: str, finished_at: datetime) -> datetime:
    """When the pad last put this ticket's levels up: at its finish, or the clerk's
    请评价 after it."""
    if pad.prompt_ticket_id == ticket_id and pad.prompt_at is not None:
        return max(finished_at, pad.prompt_at)
    return finished_at


def revoked_event(window_id: str) -> NewEvent:
    """The window's pad key was replaced or revoked: every hub cuts the pad:{window}
    subscribers off (they come back with the new key, or are refused)."""
    return NewEvent("pad.revoked", {"window": window_id})


def prompt_event(w: Window, p: Prompt) -> NewEvent:
    # The hall's stream is public: the number and the window are on the board anyway.
    return NewEvent("rating.prompt", {"window": w.id, "window_number": w.number, **p.as_dict()})
