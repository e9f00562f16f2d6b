"""Online applications and their uploaded files: the SQL both dialects share."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..crypto import Sealer
from ..domain.application import Application, ApplicationState, Upload
from .db import Conn, Row

PERSONAL = "application.personal"

_COLUMNS = (
    "id, hall_id, matter, reference, state, owner_fp, id_fingerprint, id_masked, name_masked,"
    " phone_masked, created_at, submitted_at, reviewed_at, reviewer_id, case_id, missing, note"
)


def _app(r: Row) -> Application:
    return Application(
        id=r["id"], hall_id=r["hall_id"], matter=r["matter"], reference=r["reference"],
        state=ApplicationState(r["state"]), owner_fp=r["owner_fp"],
        id_fingerprint=r["id_fingerprint"], id_masked=r["id_masked"],
        name_masked=r["name_masked"], phone_masked=r["phone_masked"],
        created_at=r["created_at"], submitted_at=r["submitted_at"],
        reviewed_at=r["reviewed_at"], reviewer_id=r["reviewer_id"], case_id=r["case_id"],
        missing=tuple(json.loads(r["missing"])), note=r["note"],
    )  # fmt: skip


def _context(app_id: str) -> str:
    return f"{PERSONAL}:{app_id}"


async def insert(c: Conn, sealer: Sealer, a: Application,
                 personal: Mapping[str, str | None]) -> None:  # fmt: skip
    sealed = sealer.seal(json.dumps(dict(personal), ensure_ascii=False), _context(a.id))
    await c.execute(
        "INSERT INTO applications (id, hall_id, matter, reference, state, owner_fp,"
        " id_fingerprint, id_masked, name_masked, phone_masked, personal_enc, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        a.id, a.hall_id, a.matter, a.reference, a.state.value, a.owner_fp, a.id_fingerprint,
        a.id_masked, a.name_masked, a.phone_masked, sealed, a.created_at,
    )  # fmt: skip


async def update(c: Conn, a: Application) -> None:
    await c.execute(
        "UPDATE applications SET state = $2, submitted_at = $3, reviewed_at = $4,"
        " reviewer_id = $5, case_id = $6, missing = $7, note = $8 WHERE id = $1",
        a.id, a.state.value, a.submitted_at, a.reviewed_at, a.reviewer_id, a.case_id,
        json.dumps(list(a.missing)), a.note,
    )  # fmt: skip


async def get(c: Conn, app_id: str, *, lock: str = "") -> Application | None:
    r = await c.fetchrow(f"SELECT {_COLUMNS} FROM applications WHERE id = $1 {lock}", app_id)
    return None if r is None else _app(r)


async def personal(c: Conn, sealer: Sealer, app_id: str) -> dict[str, str | None]:
    sealed = await c.fetchval("SELECT personal_enc FROM applications WHERE id = $1", app_id)
    opened: dict[str, str | None] = json.loads(sealer.open(sealed, _context(app_id)))
    return opened


async def of_owner(c: Conn, owner_fp: str, limit: int = 50) -> list[Application]:
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM applications WHERE owner_fp = $1"
        " ORDER BY created_at DESC LIMIT $2",
        owner_fp, limit,
    )  # fmt: skip
    return [_app(r) for r in found]


async def live_of_owner(c: Conn, owner_fp: str) -> int:
    n = await c.fetchval(
        "SELECT count(*) FROM applications WHERE owner_fp = $1"
        " AND state IN ('draft', 'submitted', 'returned')",
        owner_fp,
    )
    return int(n)


async def waiting(c: Conn, hall_id: str, limit: int = 200) -> list[Application]:
    """The hall's pre-review queue, oldest first (a partial index of submitted ones)."""
    found = await c.fetch(
        f"SELECT {_COLUMNS} FROM applications WHERE hall_id = $1 AND state = 'submitted'"
        f" ORDER BY submitted_at LIMIT {int(limit)}",
        hall_id,
    )
    return [_app(r) for r in found]


async def add_file(c: Conn, app_id: str, u: Upload) -> None:
    await c.execute(
        "INSERT INTO application_files (application_id, material, digest, name, size,"
        " content_type, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (application_id, material, digest) DO NOTHING",
        app_id, u.material, u.digest, u.name, u.size, u.content_type, u.uploaded_at,
    )  # fmt: skip


async def remove_file(c: Conn, app_id: str, material: str, digest: str) -> bool:
    found = await c.fetchval(
        "DELETE FROM application_files WHERE application_id = $1 AND material = $2"
        " AND digest = $3 RETURNING digest",
        app_id, material, digest,
    )  # fmt: skip
    return found is not None


async def files(c: Conn, app_id: str) -> list[Upload]:
    found = await c.fetch(
        "SELECT material, digest, name, size, content_type, uploaded_at FROM application_files"
        " WHERE application_id = $1 ORDER BY material, uploaded_at",
        app_id,
    )
    return [Upload(r["material"], r["digest"], r["name"], int(r["size"]), r["content_type"],
                   r["uploaded_at"]) for r in found]  # fmt: skip


async def file_of(c: Conn, app_id: str, digest: str) -> Upload | None:
    r = await c.fetchrow(
        "SELECT material, digest, name, size, content_type, uploaded_at FROM application_files"
        " WHERE application_id = $1 AND digest = $2",
        app_id, digest,
    )  # fmt: skip
    return None if r is None else Upload(r["material"], r["digest"], r["name"], int(r["size"]),
                                         r["content_type"], r["uploaded_at"])  # fmt: skip
