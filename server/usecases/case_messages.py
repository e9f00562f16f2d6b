"""The texts an applicant gets about a case, queued in the transaction that causes them.

Only the 受理编号, the matter and places go into a text: never a name or an ID
number. The phone comes from the case's sealed personal data, opened here for
sending only (no person reads it, so no audit row).
"""

from __future__ import annotations

from datetime import date

from ..domain.case import Case
from ..domain.matter import Matter
from ..domain.message import SMS, Message
from ..notify import templates
from ..store import cases_sql as sql
from ..store.tx import Tx
from .context import HallInfo


async def send(tx: Tx, info: HallInfo, case: Case, template: str, cause: str,
               **params: object) -> None:  # fmt: skip
    """One SMS per cause (``cause`` makes the idempotency key unique per event)."""
    personal = await sql.personal(tx.conn, tx.sealer, case.id)
    phone = personal.get("phone")
    if not phone:
        return
    values: dict[str, object] = {"hall": info.hall.name, "number": case.number, **params}
    templates.check(template, values)  # a wrong template fails the change, not a later send
    tx.notify(Message(kind=SMS, recipient=phone, template=template, params=values,
                      idem_key=f"case:{case.id}:{cause}", hall_id=case.hall_id))  # fmt: skip


async def correction(tx: Tx, info: HallInfo, case: Case, matter: Matter) -> None:
    items = "、".join(m.name for m in matter.materials if m.key in case.missing)
    await send(tx, info, case, "case_correction", "correction", matter=matter.name, items=items)


async def accepted(tx: Tx, info: HallInfo, case: Case, matter: Matter, due: date | None) -> None:
    await send(tx, info, case, "case_accepted", "accepted", matter=matter.name,
               due=due.isoformat() if due else "")  # fmt: skip


async def refused(tx: Tx, info: HallInfo, case: Case, matter: Matter) -> None:
    await send(tx, info, case, "case_refused", "refused", matter=matter.name)


async def supplement(tx: Tx, info: HallInfo, case: Case, cause: str, reason: str) -> None:
    await send(tx, info, case, "case_supplement", cause, reason=reason)


async def result_ready(tx: Tx, info: HallInfo, case: Case, matter: Matter) -> None:
    place = matter.pickup_at or "统一出件窗口"
    await send(tx, info, case, "case_result_ready", "result_ready", matter=matter.name,
               place=place)  # fmt: skip
