"""The file stores behind uploads: a directory (the embedded default) and PostgreSQL's
table; content-addressed, idempotent, whole or absent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from server.files.store import DbFileStore, DirFileStore, FileStore, file_store_for
from server.store.store import Store


def _for(store: Store, tmp_path: Path) -> FileStore:
    if store.db.dialect.name == "postgres":
        return file_store_for("postgresql://x")
    return file_store_for(f"sqlite:///{tmp_path / 'ow.db'}")


async def test_put_then_get_by_digest_once_per_content(store: Store, tmp_path: Path) -> None:
    files = _for(store, tmp_path)
    data = b"%PDF-1.4 hello %%EOF" + bytes(range(256))
    async with store.db.transaction() as c:
        digest = await files.put(c, data)
        assert await files.put(c, data) == digest  # the same content is kept once
    assert digest == hashlib.sha256(data).hexdigest()
    async with store.db.reader() as c:
        assert await files.get(c, digest) == data
        assert await files.get(c, "0" * 64) is None


def test_the_default_is_a_directory_beside_the_database(tmp_path: Path) -> None:
    found = file_store_for(f"sqlite:///{tmp_path / 'onewindow.db'}")
    assert isinstance(found, DirFileStore)
    assert found.root == tmp_path / "onewindow.db.files"
    assert isinstance(file_store_for("postgresql://u@h/db"), DbFileStore)
    assert isinstance(file_store_for("sqlite:///x.db", str(tmp_path / "f")), DirFileStore)


async def test_a_directory_store_leaves_no_partial_files(tmp_path: Path) -> None:
    files = DirFileStore(tmp_path / "files")
    digest = await files.put(None, b"abc")  # type: ignore[arg-type]  # no database needed
    kept = list((tmp_path / "files").rglob("*"))
    assert [p.name for p in kept if p.is_file()] == [digest]
    with pytest.raises(ValueError):
        await files.get(None, "../../etc/passwd")  # type: ignore[arg-type]
