"""The audit trail's rules: what a record holds, how rows are chained, how a chain is checked.

Each hall has its own chain (``*`` for actions outside any hall: sign-ins of
admins, departments, users without a hall), and each window one more for its
commands (``hall/window``): a window's commands already take turns on its row,
so their audit rows add no wait for the other windows of the hall. A row's hash is an HMAC, keyed by
the server secret, over the row's fields and the previous row's hash: an edited
row no longer matches its hash, a deleted one breaks the link to its successor,
and without the secret neither can be forged. A purge of old rows appends a
checkpoint row naming the last purged seq and hash, so the chain stays
verifiable from there. No I/O here: the store writes and reads the rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .domain.model import Actor

GENESIS = "0" * 64
SYSTEM_CHAIN = "*"
PURGED = "audit.purged"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One thing someone did; ``chain`` is the hall it happened in, or SYSTEM_CHAIN."""

    chain: str
    action: str
    target: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None
    role: str | None = None
    client: str | None = None
    user_agent: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def record(actor: Actor | None, chain: str | None, action: str, target: str | None = None,
           **detail: Any) -> AuditRecord:  # fmt: skip
    """A record of ``actor`` doing ``action`` to ``target`` in hall ``chain`` (None: system)."""
    return AuditRecord(
        chain=chain or SYSTEM_CHAIN,
        action=action,
        target=target,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else None,
        role=actor.role.value if actor else None,
        client=actor.client if actor else None,
        user_agent=actor.user_agent if actor else None,
        detail=detail,
    )


def window_chain(hall_id: str, window_id: str) -> str:
    return f"{hall_id}/{window_id}"


def hall_of(chain: str) -> str | None:
    """The hall a chain belongs to (hall ids never contain a slash)."""
    return None if chain == SYSTEM_CHAIN else chain.split("/", 1)[0]


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Before and after of the fields that changed: what a configuration change records."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {
        "before": {k: before.get(k) for k in keys},
        "after": {k: after.get(k) for k in keys},
    }


def detail_text(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)  # fmt: skip


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class Chainer:
    """Computes row hashes with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"onewindow-audit:" + secret).digest()

    def hash(self, row: Mapping[str, Any]) -> str:
        fields = [
            row["chain"], int(row["seq"]), stamp(row["at"]), row["actor_id"], row["actor_name"],
            row["role"], row["action"], row["target"], row["client"], row["user_agent"],
            row["detail"], row["prev_hash"],
        ]  # fmt: skip
        data = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def verify(
        self, chain: str, found: Sequence[Mapping[str, Any]], head: tuple[int, str] | None
    ) -> list[str]:
        """Problems with one chain's rows (ordered by seq); empty when it is intact."""
        problems: list[str] = []
        if not found:
            if head is not None and head[0] != 0:
                problems.append(f"{chain}: head says seq {head[0]} but no rows are left")
            return problems
        first = found[0]
        if int(first["seq"]) == 1:
            if first["prev_hash"] != GENESIS:
                problems.append(f"{chain}#1: does not start the chain")
        elif not _checkpoint_covers(found, int(first["seq"]) - 1, first["prev_hash"]):
            problems.append(
                f"{chain}: rows before #{first['seq']} are missing and no purge checkpoint covers them"
            )
        prev: Mapping[str, Any] | None = None
        for row in found:
            seq = int(row["seq"])
            if prev is not None:
                if seq != int(prev["seq"]) + 1:
                    problems.append(f"{chain}: rows #{int(prev['seq']) + 1}–#{seq - 1} are missing")
                elif row["prev_hash"] != prev["hash"]:
                    problems.append(f"{chain}#{seq}: does not follow #{prev['seq']}")
            if not hmac.compare_digest(self.hash(row), row["hash"]):
                problems.append(f"{chain}#{seq}: altered (hash does not match)")
            prev = row
        last = found[-1]
        if head is None or head != (int(last["seq"]), last["hash"]):
            problems.append(f"{chain}: head does not match the last row #{last['seq']}")
        return problems


def _checkpoint_covers(found: Sequence[Mapping[str, Any]], through: int, last_hash: str) -> bool:
    for row in found:
        if row["action"] != PURGED:
            continue
        d = json.loads(row["detail"])
        if d.get("through_seq") == through and d.get("last_hash") == last_hash:
            return True
    return False
