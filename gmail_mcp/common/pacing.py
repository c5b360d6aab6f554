"""Pacing: keep calls under a per-minute budget before the server refuses them, and learn the budget.

Backend-neutral: Gmail counts quota units per user in any rolling minute; pacing on our side turns
a burst of tool calls into a slower burst instead of a storm of refusals and retries.

The configured budget is a ceiling. The real one may be lower (an older Cloud project's costs, other
apps sharing the user's quota), so the limiter also listens to the server: a rate-limit refusal
cuts the rate to what the last minute actually let through (a little less, for the other apps),
and success slowly restores it.

Who waits, and for how long (two kinds of call, told apart by their cost):

- **Bulk calls** (reading a message, or anything dearer; every batch) take turns first come, first
  served and may wait for theirs up to `max_wait` seconds; a call whose turn is further away is
  refused at once with the time its turn would come (`QuotaWait`). They leave a small share of
  every window unused (`RESERVE`): a bulk job never fills the whole minute.
- **Small calls** (cheaper than reading one message: the labels, the profile, a history or list
  page under Gmail's 2026 costs) never queue behind a bulk job. They start at once wherever the
  window has room, the reserve included, overtaking the calls that wait; when it has none they wait
  at most `PROMPT_WAIT` seconds, and are otherwise refused at once with `retry_after`. An agent that
  asks for its labels in the middle of a 200-message job hears back within seconds, answered or told
  when to ask again, rather than a minute later; and what it takes from the reserve does not delay
  the job (the reserve is what the job left unused).

Nothing waits longer than `max_wait`, and no rolling window holds more than the rate: bulk calls
are placed within the rate less the reserve, small calls within the rate counting every turn
already granted, however far ahead.

Each call holds a `Lease` from reservation to answer:

    lease = limiter.acquire(units, small=...)  # sleeps until its turn (bounded), or raises QuotaWait
    if limiter.admit(lease):                # just before sending: still valid under today's rate?
        ... send ...
        limiter.succeeded(lease) | limiter.refused(lease) | limiter.settle(lease)
    else: reserve again                     # the rate was cut while it waited
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gmail_mcp.common import steps
from gmail_mcp.config import DEFAULT_MAX_WAIT, DEFAULT_UNITS_PER_MINUTE

WINDOW_SECONDS = 60.0
# After a refusal the rate becomes this share of what the server let through in the last window:
# what we were charged is our share of a quota other apps may be using too.
CUT_TO = 0.9
# Each success, once a whole window has passed without a refusal, gives back this share of its
# units: a full window of traffic at the current rate raises it by a tenth.
RECOVERY = 0.1
# The rate never drops below this share of the ceiling (a refusal may come from other apps alone).
FLOOR = 0.05
# Waits end this long after the computed turn: the server charged a call somewhat after we sent it.
MARGIN_SECONDS = 0.5
# The share of every window bulk calls leave unused, so small calls find room during a bulk job. At
# 600 units a minute that is 30: a few labels or history pages; a 200-read job ends ~3 s later.
RESERVE = 0.05
# The longest a small call waits for its turn: beyond it the agent is better told when to come back.
PROMPT_WAIT = 5.0


class QuotaWait(Exception):
    """A call's turn is further away than it may wait; `retry_after` says when it would come."""

    def __init__(self, retry_after: float, max_wait: float) -> None:
        self.retry_after = retry_after
        self.max_wait = max_wait
        super().__init__(f"the quota turn is {retry_after:.1f} s away, more than the {max_wait:g} s allowed")

    @property
    def retry_after_seconds(self) -> int:
        """`retry_after` rounded up to whole seconds (what a caller should wait)."""
        return max(1, math.ceil(self.retry_after))


@dataclass(eq=False)
class Lease:
    """Units reserved for one request: planned at `at`, then sent at `at`, then answered at `at`."""

    units: int
    at: float
    epoch: int
    sent: bool = False
    open: bool = True


class QuotaLimiter:
    """Never lets more than the current rate of units start in any rolling window.

    Bulk reservations are granted first come, first served within the rate less `reserve`; small
    ones at once within the whole rate, or not at all (see the module docstring). Thread-safe; the
    clock and sleep are injected so tests can watch the pacing without waiting.
    """

    def __init__(
        self,
        units_per_minute: int = DEFAULT_UNITS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = steps.sleep,
        window: float = WINDOW_SECONDS,
        max_wait: float = DEFAULT_MAX_WAIT,
        margin: float = MARGIN_SECONDS,
        reserve: float = RESERVE,
        prompt_wait: float = PROMPT_WAIT,
    ) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        if max_wait < 0 or prompt_wait < 0:
            raise ValueError("max_wait and prompt_wait must not be negative")
        if not 0 <= reserve < 1:
            raise ValueError("reserve must be a share of the rate: at least 0, less than 1")
        self.units_per_minute = units_per_minute  # the ceiling
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._window = window
        self._margin = margin
        self._reserve = reserve
        self._prompt_wait = min(prompt_wait, max_wait)
        self._lock = threading.Lock()
        self._log: list[Lease] = []  # open leases and charged units still inside the window
        self._rate = float(units_per_minute)
        self._floor = max(1.0, units_per_minute * FLOOR)
        self._epoch = 0
        self._last_cut = -math.inf
        self.waited = 0.0  # total seconds callers were held back, for stats and tests
        self.reserved = 0  # units sent and not refunded: what the server should have charged
        self.refusals = 0  # rate-limit refusals reported

    @property
    def rate(self) -> float:
        """Units per window the limiter lets start now (the ceiling until a refusal)."""
        with self._lock:
            return self._rate

    def acquire(self, units: int, *, small: bool = False) -> Lease:
        """Reserve `units` and sleep until their turn: a bulk call's place in the queue, or a small
        call's first room in the window (see the module docstring). The wait is reported by the
        current call and ends early when that call is cancelled.

        Raises:
            QuotaWait: the turn is more than `max_wait` seconds away (`PROMPT_WAIT` for a small
                call); nothing was reserved.
            CancelledCallError: the call was cancelled while it waited; nothing stays reserved.
        """
        with self._lock:
            now = self._clock()
            self._prune(now)
            if small:
                start, limit = self._small_start(now, units), self._prompt_wait
            else:
                start, limit = self._bulk_start(now, units), self.max_wait
            if start - now > limit:
                # A small call refused: when a bulk call would get its turn is when to come back.
                retry_after = start - now if not small else max(0.0, self._bulk_start(now, units) - now)
                raise QuotaWait(retry_after, limit)
            lease = Lease(units, start, self._epoch)
            self._log.append(lease)
        target = start + self._margin if start > now else start
        # Re-read the clock: another thread's sleep may already have moved a shared fake clock.
        waited = 0.0
        try:
            if target > now:
                steps.current().waiting(target - now, "Gmail's per-user quota; this call's turn comes then")
            while (remaining := target - self._clock()) > 0:
                self._sleep(remaining)
                waited += remaining
        except BaseException:
            with self._lock:  # a cancelled wait gives its turn to the calls behind it
                self._drop(lease)
            raise
        with self._lock:
            self.waited += waited
        return lease

    def turn_in(self, units: int) -> float:
        """Seconds until a bulk call of `units` would start if it asked now (nothing is reserved)."""
        with self._lock:
            now = self._clock()
            self._prune(now)
            return max(0.0, self._bulk_start(now, units) - now)

    def admit(self, lease: Lease) -> bool:
        """Mark `lease` sent now if the rate was not cut since it was granted; else drop it.

        False means: reserve again (`acquire`), the turn it had may be too early now.
        """
        with self._lock:
            if lease.epoch != self._epoch or not lease.open:
                self._drop(lease)
                return False
            lease.sent = True
            lease.at = self._clock()
            self.reserved += lease.units
            return True

    def succeeded(self, lease: Lease) -> None:
        """The server answered and charged `lease`; slowly give back rate taken by earlier refusals."""
        with self._lock:
            now = self._clock()
            self._settle(lease, now)
            if self._rate < self.units_per_minute and now - self._last_cut >= self._window:
                self._rate = min(float(self.units_per_minute), self._rate + lease.units * RECOVERY)

    def settle(self, lease: Lease) -> None:
        """The call ended without a verdict on the rate (an error, a lost answer): count it charged."""
        with self._lock:
            self._settle(lease, self._clock())

    def refused(self, lease: Lease, units: int | None = None) -> None:
        """The server refused `units` of `lease` (all of it by default) for its rate limit.

        Refused calls are not charged. The rate drops to a little less than what the server let
        through in the last window, and leases granted under the old rate must reserve again.
        """
        with self._lock:
            now = self._clock()
            refunded = lease.units if units is None else min(units, lease.units)
            lease.units -= refunded
            if lease.sent:
                self.reserved -= refunded
            self._settle(lease, now)
            self._prune(now)
            charged = sum(entry.units for entry in self._log if entry.sent)
            cut = max(self._floor, min(self._rate, charged * CUT_TO))
            self.refusals += 1
            self._last_cut = now
            if cut < self._rate:
                self._rate = cut
                self._epoch += 1
                # Granted but not yet sent: they reserve again under the new rate.
                self._log = [entry for entry in self._log if entry.sent]

    def _settle(self, lease: Lease, now: float) -> None:
        if not lease.open:
            return
        lease.open = False
        if not lease.sent or lease.units <= 0:
            self._drop(lease)
            return
        # The server charged it somewhere between sending and answering: count it at the answer,
        # so its units leave our window no sooner than they leave the server's.
        lease.at = now

    def _drop(self, lease: Lease) -> None:
        lease.open = False
        self._log = [entry for entry in self._log if entry is not lease]

    def _prune(self, now: float) -> None:
        horizon = now - self._window
        self._log = [entry for entry in self._log if entry.open or entry.at > horizon]

    def _bulk_start(self, now: float, units: int) -> float:
        """The first come, first served turn of a bulk call, within the rate less the reserve."""
        rate = self._rate * (1 - self._reserve)
        units_fitting = min(float(units), rate)  # a call dearer than the whole rate still goes, alone
        entries = sorted(self._log, key=lambda entry: entry.at)
        # FIFO: never before a reservation already granted, so a call cannot overtake a waiting one.
        start = max([now, *(entry.at for entry in entries if not entry.sent)])
        inside = [entry for entry in entries if entry.at > start - self._window]
        used = sum(entry.units for entry in inside)
        for entry in inside:
            if used + units_fitting <= rate:
                break
            used -= entry.units
            start = max(start, entry.at + self._window)
        return start

    def _small_start(self, now: float, units: int) -> float:
        """The first moment within `prompt_wait` at which a small call fits in the whole rate in
        every window it would share with a turn already granted, or `inf` (it is not reserved a
        place behind them: that is what a small call never does). It may start now, or when
        charged units leave the window (tried at a tenth of a second's grain: a busy window holds
        thousands of entries, and this runs under the lock)."""
        # Calls in flight count in every window: the server charges them at a time not known yet.
        in_flight = sum(entry.units for entry in self._log if entry.open and entry.sent)
        timed = sorted((entry.at, entry.units) for entry in self._log if not (entry.open and entry.sent))
        leaving = sorted(
            {
                math.ceil((entry.at + self._window) * 10) / 10
                for entry in self._log
                if not entry.open and now < entry.at + self._window <= now + self._prompt_wait
            }
        )
        for start in [now, *leaving]:
            if self._fits(timed, in_flight + units, start):
                return start
        return math.inf

    def _fits(self, timed: list[tuple[float, int]], units: int, start: float) -> bool:
        """Whether `units` starting at `start` keep every window they fall in within the rate:
        `timed` is (time, units) of everything else in the log, in time order. The windows to
        check end at `start` and wherever a later entry comes in, within a window of it."""
        ends = [start, *(at for at, _ in timed if start < at < start + self._window)]
        total, first, last = 0, 0, 0
        for end in ends:
            while last < len(timed) and timed[last][0] <= end:
                total += timed[last][1]
                last += 1
            while first < last and timed[first][0] <= end - self._window:
                total -= timed[first][1]
                first += 1
            if total + units > self._rate:
                return False
        return True
