"""Versioned SQL migrations, one folder per dialect: ``NNNN_name.sql``."""

from __future__ import annotations

from importlib import resources


def load(dialect: str) -> list[tuple[int, str]]:
    """All migrations for a dialect as (version, sql), in version order."""
    folder = resources.files(__package__).joinpath(dialect)
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            out.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(out)
