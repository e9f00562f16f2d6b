"""The messages a booking's holder gets, queued in the causing transaction: by SMS to
the phone and, if one was given, by e-mail. Texts carry the hall, the service, the
slot's local time and the booking code: no name, no ID number."""

from __future__ import annotations

from ..domain.appointment import Appointment, check_in_opens
from ..domain.message import EMAIL, SMS, Message
from ..domain.model import Service
from ..notify import templates
from ..store import appointments_sql as sql
from ..store.tx import Tx
from .appointment_parts import rules_or_default
from .context import HallInfo

WITH_CODE = ("booking_confirmed", "booking_rescheduled", "booking_reminder")


def slot_text(info: HallInfo, a: Appointment) -> str:
    local = a.slot_start.astimezone(info.clock.tz)
    return f"{local:%m-%d %H:%M}"


def booked(
    tx: Tx, info: HallInfo, svc: Service, a: Appointment, phone: str | None, email: str | None
) -> None:
    _send(tx, info, svc, a, "booking_confirmed", phone, email, a.lang)


async def changed(tx: Tx, info: HallInfo, svc: Service, a: Appointment, template: str) -> None:
    """Rescheduled, cancelled, closed by a blackout, or the day-before reminder."""
    contact = await sql.contact(tx.conn, tx.sealer, a.id)
    _send(tx, info, svc, a, template, contact.phone, contact.email, contact.lang)


def _send(
    tx: Tx, info: HallInfo, svc: Service, a: Appointment, template: str,
    phone: str | None, email: str | None, lang: str,
) -> None:  # fmt: skip
    params: dict[str, object] = {"hall": info.hall.name, "service": svc.name,
                                 "time": slot_text(info, a)}  # fmt: skip
    if template in WITH_CODE:
        rules = rules_or_default(svc)
        opens = check_in_opens(rules, a.slot_start, info.clock).astimezone(info.clock.tz)
        params["code"] = a.code
        params["checkin"] = f"{opens:%H:%M}–{a.slot_end.astimezone(info.clock.tz):%H:%M}"
    # A wrong template fails the change that asked for it, not a send long after.
    templates.check(template, params)
    # One message per cause: a booking's confirmation, cancellation, reminder or closed
    # day once; each move of it (even back to a slot it held before) its own.
    key = f"{template}:{a.id}"
    if template == "booking_rescheduled":
        key += f":{tx.now.timestamp():.6f}:{a.slot_start.timestamp():.0f}"
    for kind, to in ((SMS, phone), (EMAIL, email)):
        if to:
            tx.notify(Message(kind, to, template, dict(params), idem_key=f"{key}:{kind}",
                              lang=lang, hall_id=a.hall_id))  # fmt: skip
