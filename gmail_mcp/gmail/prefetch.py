"""Answers fetched ahead: the next page's listing, asked for while the current page's details load.

Paging through a long list costs two sequential requests a page (the listing, then the batch of
details). While a page's batch runs, the listing of the page after it can be fetched too; the call
that asks for that page then finds its listing here and costs one request. Entries are kept
briefly (the listing is what Gmail answered then) and taken once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

logger = logging.getLogger("gmail_mcp")

KEEP_SECONDS = 30.0  # an answer fetched ahead is used within this long, or fetched again
MAX_AHEAD = 4  # answers being fetched or kept at once


class FetchedAhead:
    """Answers fetched in the background, each keyed and taken at most once. Thread-safe."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], object] | None = None,
        keep_seconds: float = KEEP_SECONDS,
        max_entries: int = MAX_AHEAD,
    ) -> None:
        self._clock = clock
        self._spawn = spawn or _daemon_thread
        self._keep = keep_seconds
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Future[Any]]] = {}

    def fetch(self, key: Hashable, fetch: Callable[[], Any]) -> None:
        """Start `fetch()` on a background thread and keep its answer under `key`."""
        with self._lock:
            self._expire()
            if key in self._entries or len(self._entries) >= self._max:
                return
            future: Future[Any] = Future()
            self._entries[key] = (self._clock(), future)

        def run() -> None:
            try:
                future.set_result(fetch())
            except Exception as exc:  # the caller fetches again and meets the error itself
                logger.debug("fetching ahead failed: %s", exc)
                future.set_exception(exc)

        self._spawn(run)

    def in_progress(self) -> int:
        """How many fetches are on their way now (each is a call to Gmail in flight)."""
        with self._lock:
            return sum(1 for _, future in self._entries.values() if not future.done())

    def take(self, key: Hashable) -> Any | None:
        """The answer kept under `key` (waiting for it if still on its way), or None."""
        with self._lock:
            self._expire()
            entry = self._entries.pop(key, None)
        if entry is None:
            return None
        try:
            return entry[1].result()
        except Exception:
            return None

    def discard(self, key: Hashable) -> None:
        """Forget what is kept under `key` (an answer made stale by a change); a fetch still on its
        way finishes unseen."""
        with self._lock:
            self._entries.pop(key, None)

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, (at, _) in self._entries.items() if now - at > self._keep]:
            del self._entries[key]


def _daemon_thread(run: Callable[[], None]) -> None:
    # A daemon: a fetch waiting for its quota turn never holds up the process's exit.
    threading.Thread(target=run, name="gmail-mcp-fetch-ahead", daemon=True).start()
