"""Runs Gmail calls: pacing, retries, batches, reconciliation, and errors translated once.

Every Google client request goes through `Executor.call` or `Executor.batch`. Here quota units
are reserved before a call starts (and the limiter told how Gmail answered, so pacing adapts),
retryable failures are retried with backoff, a call that must not be repeated blindly (a send) is
first looked for, and every lower-level exception becomes a `GmailMcpError` (the boundary's table
is `gmail_mcp.gmail.errors`). No wait is longer
than the limiter's `max_wait`: a call whose turn is further away fails at once with
QUOTA_EXCEEDED and `retry_after` (seconds). Calls cheaper than reading a message are the limiter's
small calls: they never queue behind a bulk job (see `common/pacing.py`).

Every request and every batch is a step of the current call (`common/steps.py`): batches report
how many of their requests Gmail has answered, waits report themselves, and a cancelled call
stops before its next request, batch or retry.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from gmail_mcp.common import steps
from gmail_mcp.common.pacing import Lease, QuotaLimiter, QuotaWait
from gmail_mcp.common.retry import Attempts, Backoff, Failure
from gmail_mcp.errors import CancelledCallError, GmailMcpError, QuotaExceededError, UpstreamError
from gmail_mcp.gmail import errors
from gmail_mcp.gmail.batching import BatchSizer
from gmail_mcp.gmail.errors import Target, UnknownOutcome
from gmail_mcp.gmail.quota import DEFAULT_PROFILE, CostProfile
from gmail_mcp.gmail.transport import HttpFactory, refresh_if_expired

JSON = dict[str, Any]


class Executor:
    """Executes Google client requests with pooled `Http` objects and a cap on calls in flight."""

    def __init__(
        self,
        http_factory: HttpFactory,
        new_batch: Callable[[], Any],
        *,
        backoff: Backoff,
        limiter: QuotaLimiter,
        costs: CostProfile = DEFAULT_PROFILE,
        sizer: BatchSizer | None = None,
        max_in_flight: int = 10,
    ) -> None:
        self._factory = http_factory
        self._new_batch = new_batch
        self._backoff = backoff
        self._limiter = limiter
        self._costs = costs
        # Calls cheaper than reading one message are small: they never queue behind a bulk job.
        self._small_below = costs.units_for("gmail.users.messages.get")
        self._sizer = sizer or BatchSizer()
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        # httplib2 is not thread-safe: each request borrows an Http nobody else is using. Borrowing
        # happens under the in-flight cap, so there are never more than that many (and as many
        # kept-alive connections), however many threads wait for their turn.
        self._pool: list[Any] = []
        self._pool_lock = threading.Lock()
        self._closed = False

    def warm_up(self) -> None:
        """Refresh an expired access token now rather than in the first call.

        Raises:
            AuthError: Google refused to renew the login (as a call would report it).
            Exception: a network failure, as it came.
        """
        http = self._borrow(no_replay=False)
        try:
            refresh_if_expired(http)
        except auth_exceptions.RefreshError as exc:
            errors.classify(exc, Target.of("Login"))  # raises its AuthError
            raise
        finally:
            self._give_back(http, no_replay=False)

    @property
    def batch_size(self) -> int:
        """How many calls the next batch may hold (Gmail's concurrency cap, as learnt so far)."""
        return self._sizer.size

    def units(self, method_id: str) -> int:
        """What Gmail charges for one call of `method_id` under the chosen cost table."""
        return self._costs.units_for(method_id)

    @contextmanager
    def _slot(self, units: int, *, no_replay: bool) -> Iterator[tuple[Lease, Any]]:
        """A quota turn for `units`, a place among the calls in flight, and an `Http` to send with.

        Raises:
            QuotaExceededError: the turn is more than `max_wait` seconds away.
        """
        while True:
            try:
                lease = self._limiter.acquire(units, small=units < self._small_below)
            except QuotaWait as wait:
                raise errors.quota_wait_error(wait) from None
            with self._in_flight:
                if not self._limiter.admit(lease):
                    continue  # the rate was cut while this call waited: take a new turn
                http = self._borrow(no_replay)
                try:
                    yield lease, http
                finally:
                    self._give_back(http, no_replay)
                return

    def _borrow(self, no_replay: bool) -> Any:
        if no_replay:
            # A fresh connection: a lost answer is reported, never silently re-sent.
            return self._factory(no_replay=True)
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        return self._factory()

    def _give_back(self, http: Any, no_replay: bool) -> None:
        if not no_replay:
            with self._pool_lock:
                if not self._closed:
                    self._pool.append(http)
                    return
        http.close()  # a no-replay connection serves one call; after close() none is kept

    def close(self) -> None:
        """Close the kept-alive connections. Calls may still be made, each on its own connection."""
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, []
        for http in pool:
            http.close()

    def _report(self, lease: Lease, exc: BaseException | None) -> None:
        """Tell the limiter how Gmail answered: charged, or refused for its rate limit."""
        if exc is None:
            self._limiter.succeeded(lease)
        elif isinstance(exc, HttpError) and errors.classify_http_error(exc).rate_limited:
            self._limiter.refused(lease)
        else:
            self._limiter.settle(lease)

    def _execute(self, request: Any, *, no_replay: bool) -> Any:
        """One attempt at `request`: its quota turn, then the request itself.

        Raises:
            QuotaExceededError: its turn is too far away.
            Exception: whatever the request raised.
        """
        with self._slot(self.units(request.methodId), no_replay=no_replay) as (lease, http):
            try:
                answer = request.execute(http=http, num_retries=0)
            except BaseException as exc:
                self._report(lease, exc)
                raise
        self._report(lease, None)
        return answer

    def call(
        self,
        make: Callable[[], Any],
        target: Target,
        *,
        idempotent: bool = True,
        reconcile: Callable[[], JSON | None] | None = None,
        unknown: UnknownOutcome | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Execute the request `make()` builds, retrying what may be retried.

        A non-idempotent call that fails ambiguously (5xx, timeout, lost answer) is never
        repeated blindly: `reconcile()` looks for its effect first and its result is returned
        when found; when it is not found the call is made again. Once an attempt was ambiguous,
        the call ends confirmed (found by `reconcile`) or with `unknown`'s error ("may have
        happened"), never with a plain failure. `missing_ok` makes a 404 after an ambiguous
        attempt a success (a delete whose answer was lost).

        A cancelled call stops before its next attempt (or during a wait); a non-idempotent one
        whose earlier attempt was ambiguous then ends with `unknown`'s error: it may have happened.

        Raises:
            GmailMcpError: the translated failure, once retries are spent.
            CancelledCallError: the call was cancelled before anything could have taken effect.
        """
        attempts = self._backoff.start()
        ambiguous_before = False
        failure: Failure | None = None
        current = steps.current()
        try:
            while True:
                current.check()
                request = make()
                method = request.methodId
                try:
                    return self._execute(request, no_replay=not idempotent)
                except Exception as exc:
                    failure = errors.classify(exc, target)
                    if missing_ok and failure.status == 404 and ambiguous_before:
                        return None
                    if not idempotent and (failure.ambiguous or ambiguous_before):
                        # Look for the effect after an ambiguous failure, and before giving up once one
                        # happened; a rate-limit refusal after a look that found nothing just waits.
                        refused_only = failure.retryable and not failure.ambiguous
                        can_retry = failure.retryable and attempts.wait_before_retry(failure)
                        if not (refused_only and can_retry):
                            found = _look_for(reconcile, failure, target, unknown)
                            if found is not None:
                                return found
                            if not can_retry:
                                raise errors.unknown_outcome(failure, target, unknown) from exc
                        ambiguous_before = True
                        continue
                    ambiguous_before = ambiguous_before or failure.ambiguous
                    if not attempts.wait_before_retry(failure):
                        raise self._to_error(failure, target, method, attempts) from exc
        except CancelledCallError:
            if idempotent or failure is None or not (failure.ambiguous or ambiguous_before):
                raise
            # A change that may have taken effect was under way: that is what the caller must learn.
            raise errors.unknown_outcome(failure, target, unknown) from None

    def batch(
        self, makers: Sequence[Callable[[], Any]], targets: Sequence[Target], *, alongside: int = 0
    ) -> list[Any]:
        """Execute idempotent requests in HTTP batches sized to Gmail's concurrency cap.

        `alongside` is how many of this client's own calls run at the same time (a listing fetched
        ahead): Gmail counts them against the same cap, so each batch leaves room for them.

        Parts refused for concurrency are sent again at once in smaller batches (the batch that
        tripped the cap is over, so its slots are free); other retryable failures are retried,
        only those parts, after the backoff. Returns one entry per request, in order: the JSON
        answer or the `GmailMcpError` for it.

        Raises:
            CancelledCallError: the call was cancelled (checked before each batch and each wait).
        """
        results: list[Any] = [None] * len(makers)
        methods: dict[int, str] = {}
        queue = list(range(len(makers)))  # not yet sent in this round, in order
        retry: dict[int, Failure] = {}  # failed this round, to send again after the backoff
        causes: dict[int, Exception] = {}  # what each part's last failure raised
        attempts = self._backoff.start()
        current = steps.current()
        current.plan(len(makers))
        answered = 0
        while queue or retry:
            current.check()
            if not queue:
                # Wait as the slowest-to-recover failure asks; then retry just those parts.
                worst = max(retry.values(), key=lambda f: f.retry_after or 0.0)
                if not attempts.wait_before_retry(worst):
                    for i, failure in retry.items():
                        results[i] = self._to_error(failure, targets[i], methods[i], attempts, causes[i])
                    break
                queue, retry = sorted(retry), {}
            requests = self._next_chunk(queue, makers, alongside)
            methods.update((i, request.methodId) for i, request in requests.items())
            queue = queue[len(requests) :]
            failures: dict[int, Failure] = {}
            try:
                self._run_chunk(requests, targets, results, failures, causes)
                settled = sum(1 for i in requests if results[i] is not None)
                answered += settled
                current.advance(settled, f"Gmail answered {answered} of {len(makers)} requests")
            except QuotaExceededError as exc:
                # No quota turn within max_wait: this chunk and those not yet sent fail at once
                # (failed parts of earlier chunks are still retried below).
                for i in [*requests, *queue]:
                    results[i] = exc
                queue = []
                continue
            refused = [i for i, failure in failures.items() if failure.concurrency]
            self._sizer.record(len(requests), len(refused))
            if refused and len(refused) < len(requests):
                queue = refused + queue  # progress was made: the cap fits fewer, send them now
                for i in refused:
                    del failures[i]
            retry.update(failures)
        return results

    def _next_chunk(
        self, queue: Sequence[int], makers: Sequence[Callable[[], Any]], alongside: int = 0
    ) -> dict[int, Any]:
        """The requests of the next batch: the sizer's size less the calls running alongside, and
        never more units than a minute allows."""
        size = max(1, self._sizer.size - alongside)
        requests = {i: makers[i]() for i in queue[:size]}
        budget = self._limiter.units_per_minute  # a batch must fit in one quota window, or never be granted
        chunk: dict[int, Any] = {}
        for i, request in requests.items():
            budget -= self.units(request.methodId)
            if chunk and budget < 0:
                break
            chunk[i] = request
        return chunk

    def _run_chunk(
        self,
        requests: Mapping[int, Any],
        targets: Sequence[Target],
        results: list[Any],
        failures: dict[int, Failure],
        causes: dict[int, Exception],
    ) -> None:
        answered: dict[int, tuple[Any, Exception | None]] = {}

        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            answered[int(request_id)] = (response, exception)

        batch = self._new_batch()
        for i, request in requests.items():
            batch.add(request, callback=collect, request_id=str(i))
        units = {i: self.units(r.methodId) for i, r in requests.items()}
        with self._slot(sum(units.values()), no_replay=False) as (lease, http):
            try:
                batch.execute(http=http)
            except Exception as exc:
                self._limiter.settle(lease)
                for i in requests:
                    failure = errors.classify(exc, targets[i])
                    causes[i] = exc
                    if failure.retryable:
                        failures[i] = failure
                    else:
                        results[i] = self._to_error(failure, targets[i], requests[i].methodId, None, exc)
                return
        refused = [
            i
            for i, (_, exception) in answered.items()
            if isinstance(exception, HttpError) and errors.classify_http_error(exception).rate_limited
        ]
        if refused:
            self._limiter.refused(lease, sum(units[i] for i in refused))
        else:
            self._limiter.succeeded(lease)
        for i, request in requests.items():
            response, exception = answered.get(
                i, (None, UpstreamError("Gmail's batch answer omitted a part"))
            )
            if exception is None:
                results[i] = response
                continue
            failure = errors.classify(exception, targets[i])
            causes[i] = exception
            if failure.retryable:
                failures[i] = failure
            else:
                results[i] = self._to_error(failure, targets[i], request.methodId, None, exception)

    def _to_error(
        self,
        failure: Failure,
        target: Target,
        method: str,
        attempts: Attempts | None,
        cause: BaseException | None = None,
    ) -> GmailMcpError:
        """The translated error, with when to try again for a rate limit; a batch part's error is
        chained to what it raised here, as a raised one is by `raise ... from`."""
        error = errors.translate(failure, target, method, attempts)
        error.__cause__ = cause
        if isinstance(error, QuotaExceededError) and failure.rate_limited:
            # When this call's next turn would come: what the refusal or the backoff asked, at least.
            waits = [self._limiter.turn_in(self.units(method)), failure.retry_after or 0.0]
            if attempts is not None and attempts.refused_wait is not None:
                waits.append(attempts.refused_wait)
            error.details["retry_after"] = max(1, math.ceil(max(waits)))
        return error


def _look_for(
    reconcile: Callable[[], JSON | None] | None,
    failure: Failure,
    target: Target,
    unknown: UnknownOutcome | None,
) -> JSON | None:
    """The effect of an ambiguous call found by `reconcile`, or None when it is not there.

    Raises:
        GmailMcpError: the outcome is unknown: nothing can look (no `reconcile`) or looking failed.
    """
    if reconcile is None:
        raise errors.unknown_outcome(failure, target, unknown)
    try:
        return reconcile()
    except GmailMcpError as exc:
        raise errors.unknown_outcome(failure, target, unknown) from exc
