"""Gmail's per-user cap on calls in progress at once, with its deterministic refusal.

Gmail limits how many calls of one user it works on at a time (shared with every client, the web
UI included) and answers the ones beyond with 429 "Too many concurrent requests for user". The
parts of a batch are reported to be processed concurrently, so one batch can trip the cap by
itself. Here a direct call takes one slot for as long as it is handled; a batch takes a slot for
each part it can, in order, and the parts beyond the free slots are refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gmail_mcp.sandbox.apierror import ApiError

CONCURRENCY_MESSAGE = "Too many concurrent requests for user"


def too_many_concurrent() -> ApiError:
    """Gmail's answer to a call beyond the concurrency cap."""
    return ApiError(429, "rateLimitExceeded", CONCURRENCY_MESSAGE)


class ConcurrencyGate:
    """Slots of one user's calls in progress; a cap of 0 means no cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._lock = threading.Lock()
        self._busy = 0

    @contextmanager
    def slots(self, wanted: int) -> Iterator[int]:
        """Take up to `wanted` slots while the block runs; yields how many were granted."""
        with self._lock:
            granted = wanted if self.cap <= 0 else max(0, min(wanted, self.cap - self._busy))
            self._busy += granted
        try:
            yield granted
        finally:
            with self._lock:
                self._busy -= granted
