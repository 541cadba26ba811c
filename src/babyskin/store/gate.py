"""``Gate``: at most N callers wait on the database at once; the rest are refused at once.

A hung database (one that accepts connections and never answers) holds each caller for up to the
connect or statement timeout. Without a gate every diary request would hold a worker thread that long
and the app's shared thread pool would run dry, so ``/healthz``, the home page and ``/v1/ask`` would
stall too (issue 17). With it, at most ``limit`` threads ever wait on the database; the next caller
gets :class:`~babyskin.errors.StorageError` (503) straight away and everything else stays fast.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from babyskin.errors import StorageError

BUSY = "the diary database is busy or not answering; try again in a minute"


class Gate:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the database gate needs a limit of 1 or more")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._local = threading.local()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``limit`` slots (re-entrant within a thread), or raise ``StorageError``."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0 and not self._slots.acquire(blocking=False):
            raise StorageError(BUSY)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                self._slots.release()
