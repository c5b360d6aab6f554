"""How many calls go in one HTTP batch: as many as Gmail's per-user concurrency cap lets through.

Gmail works on the parts of a batch concurrently and caps the calls of one user in progress at
once (shared with every other client of the account, the web UI included); the parts beyond the
cap come back 429 "Too many concurrent requests for user". The cap is not documented: about 10
in flight is reported safe, so batches start at 10. A batch that trips the cap shows how many
got through, which becomes the size; clean batches let it grow again: to twice what a clean
batch proved while the cap has never been met, and a cautious step up after a run of clean
batches once it has (the cap moves with what other clients do).

What a server learnt is kept (`SizeMemory`, in the account's state folder) and the next server
for the same account and API starts from it: a client that starts a server per conversation would
otherwise pay the first search's details in two batches every time. A size that no longer fits
costs one round trip for the refused parts, then is learnt again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gmail_mcp.common.secretfile import SecretFile

logger = logging.getLogger("gmail_mcp")

MAX_BATCH = 50  # Google accepts 100 calls per batch but advises at most 50
START_BATCH = 10  # reported safe under Gmail's per-user concurrency cap
PROBE_AFTER = 8  # clean full batches at a size that once tripped the cap before trying a larger one
REMEMBERED_ROOTS = 8  # API roots whose learnt size is kept (Gmail's, and the latest sandboxes')


class BatchSizer:
    """The batch size for one account, adapted to its concurrency cap. Thread-safe."""

    def __init__(
        self,
        start: int = START_BATCH,
        maximum: int = MAX_BATCH,
        probe_after: int = PROBE_AFTER,
        *,
        capped: bool = False,
        remember: Callable[[Learnt], None] | None = None,
    ) -> None:
        """`capped`: the cap was met before (a size learnt by an earlier server); `remember` is
        told what is learnt whenever it changes (`SizeMemory.keep`)."""
        if not 1 <= start <= maximum:
            raise ValueError("need 1 <= start <= maximum")
        self._size = start
        self._maximum = maximum
        self._probe_after = probe_after
        self._tripped = capped  # whether the cap has ever refused parts
        self._clean = 0  # clean full batches in a row
        self._lock = threading.Lock()
        self._remember = remember

    @property
    def size(self) -> int:
        """How many calls to put in the next batch."""
        with self._lock:
            return self._size

    def record(self, sent: int, refused: int) -> None:
        """What one batch of `sent` parts met: `refused` of them were over the concurrency cap."""
        with self._lock:
            before = Learnt(self._size, self._tripped)
            self._learn(sent, refused)
            after = Learnt(self._size, self._tripped)
        if after != before and self._remember is not None:
            self._remember(after)

    def _learn(self, sent: int, refused: int) -> None:
        """Move the size by what one batch met (called holding the lock)."""
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


@dataclass(frozen=True)
class Learnt:
    """What a sizer knows of an account's cap: the size to send, and whether the cap was met."""

    size: int = START_BATCH
    capped: bool = False


class SizeMemory:
    """What was learnt of an account's cap, per API root, kept in a small private JSON file
    ({"sizes": {api_root: {"size": n, "capped": bool}}}). Best effort: an unreadable or odd file
    is a fresh start, a failed write is logged."""

    def __init__(
        self, path: Path, api_root: str, *, spawn: Callable[[Callable[[], None]], object] | None = None
    ) -> None:
        self._file = SecretFile(path)
        self._key = api_root.rstrip("/")
        self._spawn = spawn or _writer_thread
        self._lock = threading.Lock()
        self._pending: Learnt | None = None  # to be written, when a writer is on its way

    def sizer(self) -> BatchSizer:
        """A sizer starting from what was learnt before, telling this memory what it learns."""
        learnt = self.load()
        return BatchSizer(learnt.size, capped=learnt.capped, remember=self.keep)

    def load(self) -> Learnt:
        """What was learnt before for this API root, or a fresh start."""
        entry = self._read().get(self._key)
        if isinstance(entry, dict):
            size, capped = entry.get("size"), entry.get("capped")
            if type(size) is int and 1 <= size <= MAX_BATCH and isinstance(capped, bool):
                return Learnt(size, capped)
        return Learnt()

    def keep(self, learnt: Learnt) -> None:
        """Save `learnt` in the background (never on the call that learnt it); the latest wins."""
        with self._lock:
            writing = self._pending is not None
            self._pending = learnt
        if not writing:
            self._spawn(self._write_pending)

    def save(self, learnt: Learnt) -> None:
        try:
            with self._file.locked():
                entries = self._read()
                entries.pop(self._key, None)
                # Last is the most recent: sandboxes come and go by port, the oldest roots are dropped.
                entries[self._key] = {"size": learnt.size, "capped": learnt.capped}
                for stale in list(entries)[:-REMEMBERED_ROOTS]:
                    del entries[stale]
                self._file.write_text(json.dumps({"sizes": entries}) + "\n")
        except OSError as exc:
            logger.debug("the learnt batch size could not be kept: %s", exc)

    def _write_pending(self) -> None:
        while True:
            with self._lock:
                learnt = self._pending
            if learnt is None:
                return
            self.save(learnt)
            with self._lock:
                if self._pending == learnt:
                    self._pending = None
                    return

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self._file.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("sizes") if isinstance(data, dict) else None
        return dict(entries) if isinstance(entries, dict) else {}


def _writer_thread(run: Callable[[], None]) -> None:
    threading.Thread(target=run, name="gmail-mcp-batch-size", daemon=True).start()
