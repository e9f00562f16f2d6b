"""The messages a ticket's holder gets on their phone, queued in the causing transaction.

Issued (if the hall wants it), "N people ahead, come back" when the queue ahead
shrinks to the hall's threshold, and called to a window. Texts carry masked data
only: the ticket number, the window, the hall's name.
"""

from __future__ import annotations

from ..domain.message import SMS, Message
from ..domain.model import Service, Ticket, Window
from ..notify import templates
from ..store import contacts_sql
from ..store.tx import Tx
from .context import HallInfo


async def issued(
    tx: Tx, info: HallInfo, svc: Service | None, t: Ticket, phone: str, lang: str, ahead: int
) -> None:
    """Keep the ticket's phone; confirm by SMS if the hall does that."""
    hall = info.hall
    # Already this close to the front: the citizen is in the hall and needs no reminder.
    # (With notices off nobody counts as told, so turning them on later still reaches them.)
    told = hall.advance_notice > 0 and ahead <= hall.advance_notice
    await contacts_sql.add(tx.conn, tx.sealer, t, phone, lang, advance_sent=told)
    if hall.notify_issued:
        params = {"hall": hall.name, "number": t.number,
                  "service": svc.name if svc else t.service, "ahead": ahead}  # fmt: skip
        tx.notify(_sms(t, phone, lang, "ticket_issued", params, f"issued:{t.id}"))


async def called(tx: Tx, t: Ticket, w: Window) -> None:
    contact = await contacts_sql.of_ticket(tx.conn, tx.sealer, t.id)
    if contact is None:
        return
    params = {"number": t.number, "window": w.number}
    # Each call (a recall, a call back) is a message of its own.
    key = f"called:{t.id}:{t.recall_count}:{tx.now.timestamp()}"
    tx.notify(_sms(t, contact.phone, contact.lang, "called", params, key))


async def queue_moved(tx: Tx, info: HallInfo, service: str) -> None:
    """Tell the holders now within the hall's threshold to come back, once each."""
    threshold = info.hall.advance_notice
    if threshold <= 0:
        return
    front = await contacts_sql.front_to_tell(
        tx.conn, tx.sealer, info.hall.id, service, threshold + 1
    )
    marked = await contacts_sql.mark_advance_sent(
        tx.conn, [t.id for t, _, _ in front], tx.dialect.skip_locked
    )
    for t, ahead, contact in front:
        if t.id not in marked:  # told by another transaction meanwhile
            continue
        params = {"hall": info.hall.name, "number": t.number, "ahead": ahead}
        tx.notify(_sms(t, contact.phone, contact.lang, "advance_notice", params, f"advance:{t.id}"))


def _sms(
    t: Ticket, phone: str, lang: str, template: str, params: dict[str, object], key: str
) -> Message:
    # A template that does not take these parameters fails the change that asked for it,
    # not a send long after.
    templates.check(template, params)
    return Message(SMS, phone, template, dict(params), idem_key=key, lang=lang, hall_id=t.hall_id)
