"""Helpers for the server's background loops."""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError if the running task has been asked to stop.

    Called first in a loop's ``except Exception``: a cancellation that surfaced as
    another error (a driver's cleanup failing on the way out) must still end the
    loop, or shutdown waits for it forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
