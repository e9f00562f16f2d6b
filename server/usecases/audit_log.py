"""Reading, checking and trimming the audit trail."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .. import audit
from ..domain.errors import Forbidden, InvalidInput
from ..domain.model import Actor, Role
from ..store import audit_sql
from ..store.audit_sql import AuditQuery
from ..store.db import Row
from .context import Context

CSV_LIMIT = 100_000
CSV_COLUMNS = ("at", "hall", "seq", "actor", "role", "action", "target", "client",
               "user_agent", "detail")  # fmt: skip


def entry(r: Row) -> dict[str, Any]:
    return {
        "id": f"{r['chain']}:{r['seq']}",
        "hall": audit.hall_of(r["chain"]),
        "seq": int(r["seq"]),
        "at": r["at"],
        "actor": r["actor_name"],
        "actor_id": r["actor_id"],
        "role": r["role"],
        "action": r["action"],
        "target": r["target"],
        "client": r["client"],
        "user_agent": r["user_agent"],
        "detail": audit_detail(r["detail"]),
    }


def audit_detail(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}


class AuditLog:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _scoped(self, actor: Actor, q: AuditQuery) -> AuditQuery:
        if actor.role is Role.ADMIN:
            return q
        if actor.role is not Role.SUPERVISOR or actor.hall_id is None:
            raise Forbidden("role_forbidden", "the audit log is for admins and supervisors",
                            "审计日志仅限系统管理员和值班主任查看")  # fmt: skip
        if q.chain not in (None, actor.hall_id):
            raise Forbidden("other_hall", "that hall is not yours", "该大厅不属于您")
        return replace(q, chain=actor.hall_id)

    async def page(self, actor: Actor, q: AuditQuery) -> tuple[list[dict[str, Any]], str | None]:
        q = self._scoped(actor, q)
        _check_cursor(q)
        async with self.ctx.store.db.reader() as c:
            found = await audit_sql.query(c, replace(q, limit=q.limit + 1))
        more = len(found) > q.limit
        found = found[: q.limit]
        return [entry(r) for r in found], audit_sql.cursor(found[-1]) if more and found else None

    async def csv(self, actor: Actor, q: AuditQuery) -> str:
        q = self._scoped(actor, replace(q, limit=CSV_LIMIT))
        _check_cursor(q)
        async with self.ctx.store.db.reader() as c:
            found = await audit_sql.query(c, q)
        return to_csv(entry(r) for r in found)

    async def verify(self) -> list[str]:
        """Every chain checked from its first kept row to its head; empty when intact."""
        problems: list[str] = []
        async with self.ctx.store.db.reader() as c:
            heads = {chain: (seq, h) for chain, seq, h in await audit_sql.chains(c)}
            found_chains = await c.fetch("SELECT DISTINCT chain FROM audit_log")
            for chain in sorted(set(heads) | {r["chain"] for r in found_chains}):
                rows = await audit_sql.chain_rows(c, chain)
                head = heads.get(chain)
                if head is not None:
                    # Rows appended after the heads were read belong to a later check.
                    rows = [r for r in rows if int(r["seq"]) <= head[0]]
                problems += self.ctx.store.chainer.verify(chain, rows, head)
        return problems

    async def heads(self) -> Mapping[str, tuple[int, str]]:
        async with self.ctx.store.db.reader() as c:
            return {chain: (seq, h) for chain, seq, h in await audit_sql.chains(c)}

    async def purge(self, now: datetime, retention_days: int) -> dict[str, int]:
        """Remove rows older than the retention; each trimmed chain gets a checkpoint row."""
        cutoff = now - timedelta(days=retention_days)
        removed: dict[str, int] = {}
        for chain in await self.heads():
            async with self.ctx.store.write("", now) as tx:
                plan = await audit_sql.purge_plan(tx.conn, chain, cutoff)
                if plan is None:
                    continue
                through, last_hash = plan
                removed[chain] = await audit_sql.delete_through(tx.conn, chain, through)
                tx.audit(audit.AuditRecord(
                    chain=chain, action=audit.PURGED, target=chain,
                    detail={"through_seq": through, "last_hash": last_hash,
                            "removed": removed[chain], "retention_days": retention_days},
                ))  # fmt: skip
        return removed


def _check_cursor(q: AuditQuery) -> None:
    if q.before is None:
        return
    try:
        audit_sql.uncursor(q.before)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor_invalid", "the page cursor is not valid",
                           "分页参数无效", field="before") from exc  # fmt: skip


def to_csv(entries: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    # A BOM, so spreadsheet programs read the Chinese as UTF-8.
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for e in entries:
        cells = [e["at"].isoformat(), e["hall"] or "", str(e["seq"]), e["actor"] or "",
                 e["role"] or "", e["action"], e["target"] or "", e["client"] or "",
                 e["user_agent"] or "", json.dumps(e["detail"], ensure_ascii=False)]  # fmt: skip
        w.writerow([_safe(c) for c in cells])
    return out.getvalue()


def _safe(cell: str) -> str:
    """A cell starting with = + - @ (or a tab or CR before one) runs as a spreadsheet formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
