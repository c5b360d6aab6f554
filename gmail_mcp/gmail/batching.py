"""How many calls go in one HTTP batch: as many as Gmail's per-user concurrency cap lets through.

Gmail works on the parts of a batch concurrently and caps the calls of one user in progress at
once (shared with every other client of the account, the web UI included); the parts beyond the
cap come back 429 "Too many concurrent requests for user". The cap is not documented: about 10
in flight is reported safe, so batches start at 10. A batch that trips the cap shows how many
got through, which becomes the size; clean batches let it grow again: to twice what a clean
batch proved while the cap has never been met, and a cautious step up after a run of clean
batches once it has (the cap moves with what other clients do).
"""

from __future__ import annotations

import threading

MAX_BATCH = 50  # Google accepts 100 calls per batch but advises at most 50
START_BATCH = 10  # reported safe under Gmail's per-user concurrency cap
PROBE_AFTER = 8  # clean full batches at a size that once tripped the cap before trying a larger one


class BatchSizer:
    """The batch size for one account, adapted to its concurrency cap. Thread-safe."""

    def __init__(
        self, start: int = START_BATCH, maximum: int = MAX_BATCH, probe_after: int = PROBE_AFTER
    ) -> None:
        if not 1 <= start <= maximum:
            raise ValueError("need 1 <= start <= maximum")
        self._size = start
        self._maximum = maximum
        self._probe_after = probe_after
        self._tripped = False  # whether the cap has ever refused parts
        self._clean = 0  # clean full batches in a row
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """How many calls to put in the next batch."""
        with self._lock:
            return self._size

    def record(self, sent: int, refused: int) -> None:
        """What one batch of `sent` parts met: `refused` of them were over the concurrency cap."""
        with self._lock:
            if refused:
                through = sent - refused
                # What went through is what fits now; if nothing did, others hold the slots: halve.
                self._size = max(1, through if through else self._size // 2)
                self._tripped = True
                self._clean = 0
                return
            if not self._tripped:
                # `sent` calls at once were fine: try twice that (a short batch proves less).
                self._size = min(self._maximum, max(self._size, 2 * sent))
                return
            if sent < self._size:
                return  # a short batch says nothing about the full size
            self._clean += 1
            if self._clean >= self._probe_after:
                self._size = min(self._maximum, self._size + max(1, self._size // 4))
                self._clean = 0
