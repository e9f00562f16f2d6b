"""Where uploaded files live: sealed (AES-GCM), under a keyed hash of their content.

Two implementations behind one interface: a directory on disk beside the embedded
SQLite database, and a table of its own in PostgreSQL, so several processes on
several hosts see the same files. Scanned ID cards are personal data: only sealed
bytes are ever written, bound to their name. A file is written before the row that
names it commits: at worst a crash leaves an unnamed file, never a row without its
bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from ..crypto import Sealer
from ..store.db import Conn

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _context(digest: str) -> str:
    return f"file:{digest}"


class FileStore(Protocol):
    async def put(self, conn: Conn, data: bytes) -> str:
        """Keep the bytes (in ``conn``'s transaction where the store is the database);
        their name. Idempotent: the same content is kept once."""
        ...

    async def get(self, conn: Conn, digest: str) -> bytes | None: ...

    async def delete(self, conn: Conn, digest: str) -> None:
        """Forget the bytes (once no row names them)."""
        ...


class DirFileStore:
    """Files on disk: ``<root>/<first two hex>/<digest>``, written whole and fsynced."""

    def __init__(self, root: Path, sealer: Sealer) -> None:
        self.root = root
        self.sealer = sealer

    def _path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValueError("not a hex digest")
        return self.root / digest[:2] / digest

    async def put(self, conn: Conn, data: bytes) -> str:
        digest = self.sealer.content_key(data)
        sealed = self.sealer.seal_bytes(data, _context(digest))
        await asyncio.to_thread(self._write, self._path(digest), sealed)
        return digest

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per write: two uploads of one content at once must not share it.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # whole or not at all: a reader never sees half a file
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the directory entry too, or a crash may lose the name
        finally:
            os.close(dir_fd)

    async def get(self, conn: Conn, digest: str) -> bytes | None:
        path = self._path(digest)
        try:
            sealed = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        return self.sealer.open_bytes(sealed, _context(digest))

    async def delete(self, conn: Conn, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(os.unlink, self._path(digest))


class DbFileStore:
    """Files in PostgreSQL's ``files`` table, written in the naming transaction."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer

    async def put(self, conn: Conn, data: bytes) -> str:
        digest = self.sealer.content_key(data)
        await conn.execute(
            "INSERT INTO files (digest, size, data) VALUES ($1, $2, $3)"
            " ON CONFLICT (digest) DO NOTHING",
            digest, len(data), self.sealer.seal_bytes(data, _context(digest)),
        )  # fmt: skip
        return digest

    async def get(self, conn: Conn, digest: str) -> bytes | None:
        data = await conn.fetchval("SELECT data FROM files WHERE digest = $1", digest)
        return None if data is None else self.sealer.open_bytes(bytes(data), _context(digest))

    async def delete(self, conn: Conn, digest: str) -> None:
        await conn.execute("DELETE FROM files WHERE digest = $1", digest)


def file_store_for(database_url: str, sealer: Sealer, files_dir: str = "") -> FileStore:
    """The directory beside a SQLite database (or ``files_dir``); PostgreSQL's own table."""
    if database_url.startswith(("postgres://", "postgresql://")):
        return DbFileStore(sealer)
    if files_dir:
        return DirFileStore(Path(files_dir), sealer)
    db_path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    return DirFileStore(Path(db_path).with_name(Path(db_path).name + ".files"), sealer)
