"""The steps of one tool call: progress to report, and whether the caller still wants the answer.

A call that pages, batches or waits (for its quota turn, for a backoff) reports how far it got
and stops when the caller cancels it: checked between steps (before each request, between
batches, before and after each wait) and before anything is sent, never in the middle of a
request. Nothing here knows MCP: the surface makes a `Steps` for each call from the plain
callbacks below and runs the call's body under it (`running`); the layers underneath ask
`current()` for it, so a backend method does not carry it as a parameter (every call can wait).
A thread the call starts on its own (a listing fetched ahead) runs outside it, unreported.

Waits sleep through `sleep`, which wakes as soon as the call is cancelled.
"""

from __future__ import annotations

import contextvars
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gmail_mcp.errors import CancelledCallError

# What a report says: progress so far, the total when known, and a short sentence.
Report = Callable[[float, float | None, str], None]


class Steps:
    """Progress and cancellation of one call. Thread-safe.

    Progress counts steps: requests answered and waits begun. `plan(n)` adds n steps to the total
    (which may grow: a retry or a wait is a step more); every report carries a larger count than
    the one before, as MCP requires.
    """

    def __init__(self, report: Report | None = None) -> None:
        self._report = report
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._done = 0.0
        self._total: float | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """The caller no longer wants the answer: stop at the next step, wake any wait."""
        self._cancelled.set()

    def check(self) -> None:
        """Raises:
        CancelledCallError: the call was cancelled.
        """
        if self._cancelled.is_set():
            raise CancelledCallError("The call was cancelled by the client; it stopped here.")

    def plan(self, steps: int) -> None:
        """`steps` more are to come (each a request whose answer will be counted)."""
        with self._lock:
            self._total = (self._total or 0) + steps

    def advance(self, steps: int, message: str) -> None:
        """`steps` more are done; reported with `message` (nothing when none are)."""
        if steps <= 0:
            return
        with self._lock:
            self._done += steps
            done, total = self._done, self._total
        self._say(done, total, message)

    def waiting(self, seconds: float, why: str) -> None:
        """A wait of `seconds` begins (reported as a step of its own), then checks for a cancel.

        Raises:
            CancelledCallError: the call was cancelled.
        """
        self.check()
        with self._lock:
            self._done += 1
            self._total = None if self._total is None else self._total + 1
            done, total = self._done, self._total
        self._say(done, total, f"Waiting {max(1, math.ceil(seconds))} s: {why}.")

    def pause(self, seconds: float) -> None:
        """Sleep `seconds`, waking at once if the call is cancelled.

        Raises:
            CancelledCallError: the call was cancelled (before or during the wait).
        """
        self.check()
        self._cancelled.wait(max(0.0, seconds))
        self.check()

    def _say(self, done: float, total: float | None, message: str) -> None:
        if self._report is not None:
            self._report(done, total, message)


# Outside any call (a background thread, a test of a lower layer): nothing reported, never cancelled.
_NONE = Steps()
_current: contextvars.ContextVar[Steps] = contextvars.ContextVar("gmail_mcp_steps", default=_NONE)


def current() -> Steps:
    """The steps of the call running on this thread."""
    return _current.get()


@contextmanager
def running(steps: Steps) -> Iterator[Steps]:
    """Run the enclosed code as the call `steps` describes."""
    token = _current.set(steps)
    try:
        yield steps
    finally:
        _current.reset(token)


def sleep(seconds: float) -> None:
    """The production sleep of waits (quota, backoff): the current call's `pause`.

    Raises:
        CancelledCallError: the call was cancelled (before or during the wait).
    """
    current().pause(seconds)
