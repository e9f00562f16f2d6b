"""Where uploaded files live, under the SHA-256 of their content.

Two implementations behind one interface: a directory on disk beside the embedded
SQLite database, and a table of its own in PostgreSQL, so several processes on
several hosts see the same files. A file is written before the row that names it
commits: at worst a crash leaves an unnamed file, never a row without its bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

from ..store.db import Conn

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore(Protocol):
    async def put(self, conn: Conn, data: bytes) -> str:
        """Keep the bytes (in ``conn``'s transaction where the store is the database);
        their digest. Idempotent: the same content is kept once."""
        ...

    async def get(self, conn: Conn, digest: str) -> bytes | None: ...


class DirFileStore:
    """Files on disk: ``<root>/<first two hex>/<digest>``, written whole and fsynced."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / digest[:2] / digest

    async def put(self, conn: Conn, data: bytes) -> str:
        digest = digest_of(data)
        await asyncio.to_thread(self._write, self._path(digest), data)
        return digest

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # whole or not at all: a reader never sees half a file
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # the directory entry too, or a crash may lose the name
        finally:
            os.close(fd)

    async def get(self, conn: Conn, digest: str) -> bytes | None:
        path = self._path(digest)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None


class DbFileStore:
    """Files in PostgreSQL's ``files`` table, written in the naming transaction."""

    async def put(self, conn: Conn, data: bytes) -> str:
        digest = digest_of(data)
        await conn.execute(
            "INSERT INTO files (digest, size, data) VALUES ($1, $2, $3)"
            " ON CONFLICT (digest) DO NOTHING",
            digest, len(data), data,
        )  # fmt: skip
        return digest

    async def get(self, conn: Conn, digest: str) -> bytes | None:
        data = await conn.fetchval("SELECT data FROM files WHERE digest = $1", digest)
        return None if data is None else bytes(data)


def file_store_for(database_url: str, files_dir: str = "") -> FileStore:
    """The directory beside a SQLite database (or ``files_dir``); PostgreSQL's own table."""
    if database_url.startswith(("postgres://", "postgresql://")):
        return DbFileStore()
    if files_dir:
        return DirFileStore(Path(files_dir))
    db_path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    return DirFileStore(Path(db_path).with_name(Path(db_path).name + ".files"))
