"""The audit trail in SQL: append to a chain under its head row's lock, query, purge."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit import GENESIS, AuditRecord, Chainer, detail_text
from .db import Conn, Dialect, Row

COLUMNS = (
    "chain, seq, at, actor_id, actor_name, role, action, target, client, user_agent,"
    " detail, prev_hash, hash"
)


async def append(
    c: Conn, dialect: Dialect, chainer: Chainer, records: Sequence[AuditRecord], now: datetime
) -> None:
    """Append records, each chain under its head row's lock, heads locked in name order
    (one lock order for every writer)."""
    by_chain: dict[str, list[AuditRecord]] = {}
    for rec in records:
        by_chain.setdefault(rec.chain, []).append(rec)
    # Each head taken (locked, its seqs reserved) in name order, a new chain's head made
    # where it falls in that order: taking every head in one statement put new heads out
    # of it, and transactions starting on new chains deadlocked.
    built: list[dict[str, Any]] = []
    for chain in sorted(by_chain):
        batch = by_chain[chain]
        seq, prev = await _take(c, chain, len(batch))
        built += _build(chainer, chain, batch, seq - len(batch), prev, now)
    # Then every row, and every head's new hash, in one statement each or together.
    last = {row["chain"]: row["hash"] for row in built}  # each chain's newest row comes last
    if dialect.name == "postgres":
        await _write_pg(c, built, last)
        return
    width = len(built[0])
    values = ", ".join(
        "(" + ", ".join(f"${i * width + k}" for k in range(1, width + 1)) + ")"
        for i in range(len(built))
    )
    await c.execute(
        f"INSERT INTO audit_log ({COLUMNS}) VALUES {values}",
        *(v for row in built for v in row.values()),
    )
    cases = " ".join(f"WHEN ${2 * i + 1} THEN ${2 * i + 2}" for i in range(len(last)))
    await c.execute(
        f"UPDATE audit_heads SET last_hash = CASE chain {cases} END"
        f" WHERE chain IN ({', '.join(f'${2 * i + 1}' for i in range(len(last)))})",
        *(v for item in last.items() for v in item),
    )


def _build(
    chainer: Chainer, chain: str, batch: list[AuditRecord], seq: int, prev: str, now: datetime
) -> list[dict[str, Any]]:
    """The chain's next rows after (seq, prev), each hashing the one before."""
    built: list[dict[str, Any]] = []
    for rec in batch:
        seq += 1
        row: dict[str, Any] = {
            "chain": chain, "seq": seq, "at": now, "actor_id": rec.actor_id,
            "actor_name": rec.actor_name, "role": rec.role, "action": rec.action,
            "target": rec.target, "client": rec.client, "user_agent": rec.user_agent,
            "detail": detail_text(rec.detail), "prev_hash": prev,
        }  # fmt: skip
        row["hash"] = prev = chainer.hash(row)
        built.append(row)
    return built


async def _write_pg(c: Conn, built: list[dict[str, Any]], last: dict[str, str]) -> None:
    """PostgreSQL: the rows and the heads' new hashes in one round trip."""
    columns = [[r[k] for r in built] for k in built[0]]
    await c.execute(
        f"WITH i AS (INSERT INTO audit_log ({COLUMNS}) SELECT * FROM unnest("
        "$1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],"
        " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
        " $12::text[], $13::text[]))"
        " UPDATE audit_heads h SET last_hash = x.hash"
        " FROM unnest($14::text[], $15::text[]) AS x(chain, hash) WHERE h.chain = x.chain",
        *columns, list(last), list(last.values()),
    )  # fmt: skip


async def _take(c: Conn, chain: str, n: int) -> tuple[int, str]:
    """Lock the chain's head and reserve n seqs: (the last reserved seq, the hash before them)."""
    for _ in range(2):
        r = await c.fetchrow(
            "UPDATE audit_heads SET last_seq = last_seq + $2 WHERE chain = $1"
            " RETURNING last_seq, last_hash",
            chain,
            n,
        )
        if r is not None:
            return int(r["last_seq"]), r["last_hash"]
        await c.execute(
            "INSERT INTO audit_heads (chain, last_seq, last_hash) VALUES ($1, 0, $2)"
            " ON CONFLICT (chain) DO NOTHING",
            chain,
            GENESIS,
        )
    raise RuntimeError(f"audit chain {chain!r} has no head")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    chain: str | None = None  # a hall id (with its windows' chains), or "*"
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: str | None = None  # a cursor from a previous page
    limit: int = 100


def cursor(row: Row) -> str:
    raw = json.dumps([row["at"].isoformat(), row["chain"], int(row["seq"])])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def uncursor(text: str) -> tuple[datetime, str, int]:
    """A cursor's position; ValueError for anything that is not one this module made."""
    try:
        at, chain, seq = json.loads(base64.urlsafe_b64decode(text.encode()))
        when = datetime.fromisoformat(at)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc
    if when.tzinfo is None or not isinstance(chain, str) or not isinstance(seq, int):
        raise ValueError("not a cursor")
    if not 0 <= seq < 2**62:
        raise ValueError("not a cursor")
    return when, chain, seq


async def query(c: Conn, q: AuditQuery) -> list[Row]:
    """Matching rows, newest first; raises ValueError on a malformed cursor."""
    where: list[str] = []
    args: list[Any] = []

    def add(cond: str, *values: Any) -> None:
        marks = [f"${len(args) + i + 1}" for i in range(len(values))]
        where.append(cond.format(*marks))
        args.extend(values)

    if q.chain is not None:
        # A hall's own chain and its windows' chains ("hall/window").
        # (No LIKE: a hall id may hold "_", which LIKE reads as a wildcard.)
        add("(chain = {} OR substr(chain, 1, {}) = {})", q.chain, len(q.chain) + 1, q.chain + "/")
    if q.actor:
        add("actor_name = {}", q.actor)
    if q.action:
        # "config." finds every configuration change; "auth.sign_in" just that one.
        if q.action.endswith("."):
            add("action LIKE {}", q.action + "%")
        else:
            add("action = {}", q.action)
    if q.target:
        add("target = {}", q.target)
    if q.since is not None:
        add("at >= {}", q.since)
    if q.until is not None:
        add("at < {}", q.until)
    if q.before:
        at, chain, seq = uncursor(q.before)
        add("(at < {} OR (at = {} AND (chain > {} OR (chain = {} AND seq < {}))))",
            at, at, chain, chain, seq)  # fmt: skip
    sql = f"SELECT {COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY at DESC, chain, seq DESC LIMIT ${len(args) + 1}"
    return await c.fetch(sql, *args, q.limit)


async def chains(c: Conn) -> list[tuple[str, int, str]]:
    found = await c.fetch("SELECT chain, last_seq, last_hash FROM audit_heads ORDER BY chain")
    return [(r["chain"], int(r["last_seq"]), r["last_hash"]) for r in found]


async def chain_rows(c: Conn, chain: str) -> list[Row]:
    return await c.fetch(f"SELECT {COLUMNS} FROM audit_log WHERE chain = $1 ORDER BY seq", chain)


async def purge_plan(c: Conn, chain: str, before: datetime) -> tuple[int, str] | None:
    """The last row of a chain older than ``before`` (what a purge would remove through)."""
    r = await c.fetchrow(
        "SELECT seq, hash FROM audit_log WHERE chain = $1 AND at < $2"
        " ORDER BY at DESC, seq DESC LIMIT 1",
        chain,
        before,
    )
    return None if r is None else (int(r["seq"]), r["hash"])


async def delete_through(c: Conn, chain: str, seq: int) -> int:
    n = await c.fetchval(
        "SELECT count(*) FROM audit_log WHERE chain = $1 AND seq <= $2", chain, seq
    )
    await c.execute("DELETE FROM audit_log WHERE chain = $1 AND seq <= $2", chain, seq)
    return int(n)
