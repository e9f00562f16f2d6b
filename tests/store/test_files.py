"""The file stores behind uploads: a directory (the embedded default) and PostgreSQL's
table; sealed at rest, named by a keyed hash, idempotent, whole or absent."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from server.crypto import Sealer
from server.files.store import DbFileStore, DirFileStore, FileStore, file_store_for
from server.store.store import Store

SEALER = Sealer(b"files-test-secret")
DATA = b"%PDF-1.4 370102198001010011 \xe5\xbc\xa0\xe4\xb8\x89 %%EOF" + bytes(range(256))


def _for(store: Store, tmp_path: Path) -> FileStore:
    if store.db.dialect.name == "postgres":
        return file_store_for("postgresql://x", SEALER)
    return file_store_for(f"sqlite:///{tmp_path / 'ow.db'}", SEALER)


async def _raw(store: Store, tmp_path: Path, digest: str) -> bytes:
    """What is really kept: the row's bytes, or the file on disk."""
    if store.db.dialect.name == "postgres":
        async with store.db.reader() as c:
            return bytes(await c.fetchval("SELECT data FROM files WHERE digest = $1", digest))
    return (tmp_path / "ow.db.files" / digest[:2] / digest).read_bytes()


async def test_put_then_get_sealed_and_kept_once(store: Store, tmp_path: Path) -> None:
    files = _for(store, tmp_path)
    async with store.db.transaction() as c:
        digest = await files.put(c, DATA)
        assert await files.put(c, DATA) == digest  # the same content is kept once
    assert len(digest) == 64 and digest != hashlib.sha256(DATA).hexdigest()  # keyed
    async with store.db.reader() as c:
        assert await files.get(c, digest) == DATA
        assert await files.get(c, "0" * 64) is None
    raw = await _raw(store, tmp_path, digest)
    assert b"370102198001010011" not in raw and b"%PDF" not in raw  # sealed at rest


def test_the_default_is_a_directory_beside_the_database(tmp_path: Path) -> None:
    found = file_store_for(f"sqlite:///{tmp_path / 'onewindow.db'}", SEALER)
    assert isinstance(found, DirFileStore)
    assert found.root == tmp_path / "onewindow.db.files"
    assert isinstance(file_store_for("postgresql://u@h/db", SEALER), DbFileStore)
    assert isinstance(file_store_for("sqlite:///x.db", SEALER, str(tmp_path / "f")), DirFileStore)


async def test_a_directory_store_takes_the_same_upload_twice_at_once(tmp_path: Path) -> None:
    files = DirFileStore(tmp_path / "files", SEALER)
    got = await asyncio.gather(*(files.put(None, DATA) for _ in range(20)))  # type: ignore[arg-type]
    assert len(set(got)) == 1
    kept = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert [p.name for p in kept] == [got[0]]  # no temporary file left behind
    assert await files.get(None, got[0]) == DATA  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await files.get(None, "../../etc/passwd")  # type: ignore[arg-type]
