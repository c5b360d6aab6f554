"""The quota limiter paces calls so no rolling minute holds more units than the limit."""

from __future__ import annotations

import threading

import pytest

from gmail_mcp.common.pacing import QuotaLimiter


class SharedClock:
    """A fake clock several threads may sleep on; sleeping moves it forward."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def starts(limiter: QuotaLimiter, clock: SharedClock, costs: list[int]) -> list[float]:
    times = []
    for units in costs:
        limiter.acquire(units)
        times.append(clock())
    return times


def test_calls_within_the_limit_start_at_once() -> None:
    clock = SharedClock()
    limiter = QuotaLimiter(100, clock=clock, sleep=clock.sleep)
    assert starts(limiter, clock, [5] * 20) == [0.0] * 20


def test_a_call_past_the_limit_waits_until_the_oldest_units_leave_the_window() -> None:
    clock = SharedClock()
    limiter = QuotaLimiter(100, clock=clock, sleep=clock.sleep)
    assert starts(limiter, clock, [50, 50, 50, 50, 50]) == [0.0, 0.0, 60.0, 60.0, 120.0]


def test_units_used_long_ago_do_not_count() -> None:
    clock = SharedClock()
    limiter = QuotaLimiter(100, clock=clock, sleep=clock.sleep)
    limiter.acquire(100)
    clock.sleep(61)
    assert limiter.acquire(100) == 0.0


def test_a_call_dearer_than_the_whole_limit_still_goes_alone() -> None:
    clock = SharedClock()
    limiter = QuotaLimiter(60, clock=clock, sleep=clock.sleep)
    assert starts(limiter, clock, [100, 100]) == [0.0, 60.0]


def test_no_rolling_minute_exceeds_the_limit_under_concurrency() -> None:
    clock = SharedClock()
    limiter = QuotaLimiter(600, clock=clock, sleep=clock.sleep)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            limiter.acquire(5)
            with lock:
                granted.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 200
    # 1,000 units at 600 per minute cannot all start within the first minute.
    assert max(granted) >= 60.0
    assert sum(5 for t in granted if t < 60.0) <= 600


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        QuotaLimiter(0)
