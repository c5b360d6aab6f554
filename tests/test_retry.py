"""Retry decisions and the backoff schedule, as pure functions with injected time."""

from __future__ import annotations

import http.client
import ssl

import pytest

from gmail_mcp.common.retry import (
    Backoff,
    Failure,
    ResponseLostError,
    classify_http,
    classify_transport,
    parse_retry_after,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("status", "reason", "message", "retryable", "ambiguous"),
    [
        (429, "rateLimitExceeded", "Quota exceeded", True, False),
        (403, "rateLimitExceeded", "Rate Limit Exceeded", True, False),
        (403, "userRateLimitExceeded", "User Rate Limit Exceeded", True, False),
        (500, "backendError", "Backend Error", True, True),
        (502, "", "Bad Gateway", True, True),
        (503, "backendError", "The service is currently unavailable.", True, True),
        (504, "", "Gateway Timeout", True, True),
        (400, "invalidArgument", "Invalid id value", False, False),
        (400, "failedPrecondition", "Mail service not enabled", False, False),
        (401, "authError", "Invalid Credentials", False, False),
        (403, "insufficientPermissions", "Request had insufficient authentication scopes.", False, False),
        (403, "dailyLimitExceeded", "Daily Limit Exceeded", False, False),
        (403, "domainPolicy", "The domain administrators have disabled Gmail apps.", False, False),
        (404, "notFound", "Requested entity was not found.", False, False),
        (409, "failedPrecondition", "Label name exists or conflicts", False, False),
    ],
)
def test_http_failures_are_classified_as_google_advises(
    status: int, reason: str, message: str, retryable: bool, ambiguous: bool
) -> None:
    failure = classify_http(status, reason, message)
    assert (failure.retryable, failure.ambiguous) == (retryable, ambiguous)


def test_daily_sending_cap_is_not_retried_and_keeps_its_time() -> None:
    failure = classify_http(
        429,
        "rateLimitExceeded",
        "User-rate limit exceeded.  Retry after 2026-11-23T08:15:00.000Z (Mail sending)",
    )
    assert failure == Failure(
        retryable=False,
        ambiguous=False,
        status=429,
        reason="rateLimitExceeded",
        message="User-rate limit exceeded.  Retry after 2026-11-23T08:15:00.000Z (Mail sending)",
        sending_cap_until="2026-11-23T08:15:00.000Z",
    )


@pytest.mark.parametrize(
    ("exc", "retryable", "ambiguous"),
    [
        (TimeoutError("timed out"), True, True),
        (ConnectionResetError(104, "Connection reset by peer"), True, True),
        (http.client.RemoteDisconnected("Remote end closed connection"), True, True),
        (ResponseLostError("lost"), True, True),
        (ConnectionRefusedError(111, "Connection refused"), True, False),
        (ssl.SSLCertVerificationError("bad certificate"), False, False),
    ],
)
def test_transport_failures_are_retryable_and_ambiguous_unless_nothing_was_sent(
    exc: BaseException, retryable: bool, ambiguous: bool
) -> None:
    failure = classify_transport(exc)
    assert failure is not None
    assert (failure.retryable, failure.ambiguous) == (retryable, ambiguous)


def test_programming_errors_are_not_transport_failures() -> None:
    assert classify_transport(KeyError("id")) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("", None),
        ("soon", None),
        (None, None),
        ("-3", 0.0),
        ("inf", None),
        ("nan", None),
        ("1e308", 86400.0),
    ],
)
def test_retry_after_header_is_read_as_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rand=lambda: 0.5)
    assert [backoff.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_retry_after_longer_than_the_backoff_is_honoured() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rand=lambda: 0.5)
    assert backoff.delay(0, retry_after=10.0) == 10.0
    assert backoff.delay(3, retry_after=1.0) == 4.0


def test_attempts_sleep_the_schedule_and_stop_after_max_attempts() -> None:
    time = FakeTime()
    backoff = Backoff(
        base=1.0, cap=32.0, max_attempts=4, clock=time.clock, sleep=time.sleep, rand=lambda: 1.0
    )
    attempts = backoff.start()
    failure = classify_http(503, "backendError", "unavailable")
    outcomes = [attempts.wait_before_retry(failure) for _ in range(5)]
    assert outcomes == [True, True, True, False, False]
    assert time.slept == [1.0, 2.0, 4.0]


def test_attempts_stop_at_the_total_deadline() -> None:
    time = FakeTime()
    backoff = Backoff(
        base=10.0, cap=100.0, max_attempts=10, deadline=35.0, clock=time.clock, sleep=time.sleep
    )
    backoff.rand = lambda: 1.0
    attempts = backoff.start()
    failure = classify_http(500, "backendError", "")
    while attempts.wait_before_retry(failure):
        pass
    # 10 + 20 = 30 s slept; the next 40 s wait would pass the 35 s deadline.
    assert time.slept == [10.0, 20.0]


def test_non_retryable_failures_never_sleep() -> None:
    time = FakeTime()
    attempts = Backoff(clock=time.clock, sleep=time.sleep).start()
    assert attempts.wait_before_retry(classify_http(404, "notFound", "")) is False
    assert time.slept == []


def test_a_concurrency_429_is_marked_apart_from_quota_refusals() -> None:
    concurrency = classify_http(429, "rateLimitExceeded", "Too many concurrent requests for user")
    quota = classify_http(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'")
    user_rate = classify_http(403, "userRateLimitExceeded", "User Rate Limit Exceeded")
    assert (concurrency.retryable, concurrency.ambiguous, concurrency.concurrency) == (True, False, True)
    assert not quota.concurrency and not user_rate.concurrency


@pytest.mark.parametrize(
    ("status", "reason", "message", "rate_limited", "concurrency"),
    [
        (403, "userRateLimitExceeded", "User Rate Limit Exceeded", True, False),
        (403, "rateLimitExceeded", "Rate Limit Exceeded", True, False),
        (429, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'", True, False),
        (429, "rateLimitExceeded", "Too many concurrent requests for user", False, True),
        (
            429,
            "rateLimitExceeded",
            "User-rate limit exceeded.  Retry after 2026-11-19T08:00:00Z (Mail sending)",
            False,
            False,
        ),
        (403, "dailyLimitExceeded", "Daily Limit Exceeded", False, False),
        (503, "backendError", "unavailable", False, False),
    ],
)
def test_only_per_minute_quota_refusals_are_a_signal_for_pacing(
    status: int, reason: str, message: str, rate_limited: bool, concurrency: bool
) -> None:
    failure = classify_http(status, reason, message)
    assert (failure.rate_limited, failure.concurrency) == (rate_limited, concurrency)


def test_a_wait_longer_than_max_wait_is_not_slept_and_is_told() -> None:
    time = FakeTime()
    attempts = Backoff(max_wait=30.0, clock=time.clock, sleep=time.sleep, rand=lambda: 0.5).start()
    failure = classify_http(429, "rateLimitExceeded", "Quota exceeded", retry_after="45")
    assert attempts.wait_before_retry(failure) is False
    assert (time.slept, attempts.refused_wait) == ([], 45.0)
