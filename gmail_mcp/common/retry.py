"""What to retry, and how long to wait: pure decisions plus an injectable backoff schedule.

Google's guidance for Gmail: retry 429, 403 rateLimitExceeded/userRateLimitExceeded, 500, 502,
503, 504, timeouts and connection resets with exponential backoff; never retry other 4xx.
Whether a failure is *ambiguous* (the call may have taken effect before the answer was lost)
is a separate fact: it decides whether a non-idempotent call such as a send may be repeated.
"""

from __future__ import annotations

import http.client
import math
import random
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gmail_mcp.common import steps
from gmail_mcp.config import DEFAULT_MAX_WAIT

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
MAX_RETRY_AFTER = 86_400.0
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Gmail's daily sending cap: "User-rate limit exceeded.  Retry after <time> (Mail sending)".
SENDING_CAP = re.compile(r"retry after (?P<when>\S+)\s*\(mail sending\)", re.IGNORECASE)
# Gmail's per-user concurrency cap (every client of the user counts): a 429 that says nothing about
# quota, only that fewer calls should be in flight at once.
_CONCURRENCY = re.compile(r"too many concurrent requests", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    retryable: bool
    ambiguous: bool  # the call may have taken effect (5xx, timeout, lost response)
    status: int | None = None
    reason: str = ""
    message: str = ""
    retry_after: float | None = None
    sending_cap_until: str | None = None
    # Refused for the per-user concurrency cap, not for quota: send fewer calls at once (smaller
    # batches); a rate limiter must not read it as a sign of spending too fast.
    concurrency: bool = False

    def said(self) -> str:
        """What Gmail answered, in a few words ("HTTP 503", "a reset connection")."""
        if self.status:
            return f"HTTP {self.status}{' ' + self.reason if self.reason else ''}"
        return self.message or "nothing"

    @property
    def rate_limited(self) -> bool:
        """A refusal because the per-minute quota is spent: the signal pacing adapts to."""
        if not self.retryable or self.concurrency:
            return False
        return self.status == 429 or (self.status == 403 and self.reason in RATE_LIMIT_REASONS)


class ResponseLostError(Exception):
    """The request was sent but no answer arrived (raised by the no-replay transport).

    Deliberately not an OSError: httplib2 silently re-sends a request once when it meets a
    socket error or a bad status line, which for a send would mean a second email.
    """


def classify_http(status: int, reason: str, message: str, retry_after: str | None = None) -> Failure:
    """Classify an HTTP error answer from Gmail."""
    cap = SENDING_CAP.search(message)
    if status == 429 and cap:
        return Failure(False, False, status, reason, message, sending_cap_until=cap.group("when"))
    retryable = (
        status == 429 or status in RETRYABLE_STATUSES or (status == 403 and reason in RATE_LIMIT_REASONS)
    )
    return Failure(
        retryable=retryable,
        # A 5xx may come after the work was done; a 429 or 403 means it was refused up front.
        ambiguous=status >= 500,
        status=status,
        reason=reason,
        message=message,
        retry_after=parse_retry_after(retry_after),
        concurrency=status == 429 and bool(_CONCURRENCY.search(message)),
    )


def classify_transport(exc: BaseException) -> Failure | None:
    """Classify a transport failure, or None if `exc` is not one."""
    if isinstance(exc, ResponseLostError):
        return Failure(True, True, message=str(exc) or "the connection closed before Gmail answered")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure(False, False, message=str(exc))
    if isinstance(exc, ConnectionRefusedError):
        # Nothing reached the server.
        return Failure(True, False, message=str(exc) or "connection refused")
    if isinstance(exc, TimeoutError | ConnectionError | http.client.HTTPException | ssl.SSLError):
        return Failure(True, True, message=str(exc) or type(exc).__name__)
    name = type(exc).__name__
    if name == "ServerNotFoundError":  # httplib2's DNS failure: nothing was sent
        return Failure(True, False, message=str(exc))
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; HTTP dates are rare for Google).

    Anything but a finite number is ignored, and no wait is taken to be longer than a day (the
    longest Gmail asks for, its daily sending cap): the value is echoed to the agent as retry_after.
    """
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter, bounded by attempts, a total deadline and `max_wait`.

    The n-th retry (n = 0, 1, ...) waits `rand() * min(cap, base * 2**n)`, or the server's
    Retry-After when that is longer. A single wait longer than `max_wait` is not slept at all:
    the call fails at once and says how long it would have waited. Each wait is reported as a step
    of the current call and ends early when the call is cancelled (`common/steps.py`).
    """

    base: float = 1.0
    cap: float = 32.0
    max_attempts: int = 7
    deadline: float = 90.0
    max_wait: float = DEFAULT_MAX_WAIT
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=steps.sleep)
    rand: Callable[[], float] = field(default=random.random)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        jittered = self.rand() * min(self.cap, self.base * 2**retry_number)
        return max(jittered, retry_after or 0.0)

    def start(self) -> Attempts:
        return Attempts(self, self.clock())


@dataclass
class Attempts:
    """The retry state of one logical call."""

    policy: Backoff
    started: float
    retries: int = 0
    slept: list[float] = field(default_factory=list)
    refused_wait: float | None = None  # the wait that was longer than allowed, when one was

    def wait_before_retry(self, failure: Failure) -> bool:
        """Sleep before the next attempt; False when the attempts, the deadline or `max_wait` forbid it.

        Raises:
            CancelledCallError: the call was cancelled before or during the wait.
        """
        if not failure.retryable or self.retries + 1 >= self.policy.max_attempts:
            return False
        delay = self.policy.delay(self.retries, failure.retry_after)
        if delay > self.policy.max_wait:
            self.refused_wait = delay
            return False
        if self.policy.clock() - self.started + delay > self.policy.deadline:
            return False
        steps.current().waiting(delay, f"Gmail answered {failure.said()}; trying again then")
        self.policy.sleep(delay)
        self.slept.append(delay)
        self.retries += 1
        return True
