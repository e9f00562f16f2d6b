"""System tests run real server processes on the real clock."""

from __future__ import annotations

import pytest

from tests.conftest import keep_clear_of_local_midnight


@pytest.fixture(autouse=True)
def _clear_of_midnight() -> None:
    """Ticket numbers restart at the halls' midnight (tests/conftest.py says why)."""
    keep_clear_of_local_midnight()
