"""Pacing: a limiter that keeps calls under a per-minute budget before the server refuses them.

Backend-neutral: Gmail counts quota units per user in any rolling minute; pacing on our side turns a
burst of tool calls into a slower burst instead of a storm of refusals and retries.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from gmail_mcp.config import DEFAULT_UNITS_PER_MINUTE

WINDOW_SECONDS = 60.0


class QuotaLimiter:
    """Never lets more than `units_per_minute` units start in any rolling window.

    Reservations are granted first come, first served: a caller that does not fit now is
    given the earliest instant at which it fits and sleeps until then. Thread-safe; the
    clock and sleep are injected so tests can watch the pacing without waiting.
    """

    def __init__(
        self,
        units_per_minute: int = DEFAULT_UNITS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = WINDOW_SECONDS,
    ) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        self.units_per_minute = units_per_minute
        self._clock = clock
        self._sleep = sleep
        self._window = window
        self._lock = threading.Lock()
        self._log: deque[tuple[float, int]] = deque()  # (start time, units), in time order
        self.waited = 0.0  # total seconds callers were held back, for stats and tests
        self.reserved = 0  # total units granted

    def acquire(self, units: int) -> float:
        """Reserve `units`, sleeping until they fit. Returns the seconds waited."""
        # A call dearer than the whole limit can never fit: let it go alone.
        units = min(units, self.units_per_minute)
        with self._lock:
            now = self._clock()
            start = self._earliest_start(now, units)
            self._log.append((start, units))
            self.waited += start - now
            self.reserved += units
        waited = 0.0
        # Re-read the clock: another thread's sleep may already have moved a shared fake clock.
        while (remaining := start - self._clock()) > 0:
            self._sleep(remaining)
            waited += remaining
        return waited

    def _earliest_start(self, now: float, units: int) -> float:
        while self._log and self._log[0][0] <= now - self._window:
            self._log.popleft()
        # FIFO: never start before a reservation already granted, so only one window matters.
        start = max(now, self._log[-1][0]) if self._log else now
        in_window = [entry for entry in self._log if entry[0] > start - self._window]
        used = sum(u for _, u in in_window)
        for entry_start, entry_units in in_window:
            if used + units <= self.units_per_minute:
                break
            used -= entry_units
            start = max(start, entry_start + self._window)
        return start
