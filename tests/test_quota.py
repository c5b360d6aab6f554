"""The quota limiter: no rolling minute holds more units than the rate, waits are bounded, and the
rate follows what the server says (cut on a rate-limit refusal, slowly restored by success)."""

from __future__ import annotations

import threading

import pytest

from gmail_mcp.common import steps
from gmail_mcp.common.pacing import QuotaLimiter, QuotaWait
from gmail_mcp.errors import CancelledCallError
from gmail_mcp.gmail.quota import DEFAULT_PROFILE, PROFILES, CostProfile
from gmail_mcp.sandbox.costs import COSTS as SANDBOX_COSTS
from gmail_mcp.sandbox.costs import PER_MINUTE as SANDBOX_PER_MINUTE
from gmail_mcp.sandbox.methods import METHOD_IDS


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


def limiter_on(clock: SharedClock, units_per_minute: int, **options: float) -> QuotaLimiter:
    """A limiter on `clock`; the window arithmetic is easier to read without the margin and the
    reserve for small calls (the tests of small calls set it)."""
    return QuotaLimiter(
        units_per_minute, clock=clock, sleep=clock.sleep, **{"margin": 0.0, "reserve": 0.0, **options}
    )


def call(limiter: QuotaLimiter, units: int, *, refused: bool = False, small: bool = False) -> None:
    """One request as the executor makes it: a turn, then sent, then answered at once."""
    lease = limiter.acquire(units, small=small)
    while not limiter.admit(lease):
        lease = limiter.acquire(units, small=small)
    if refused:
        limiter.refused(lease)
    else:
        limiter.succeeded(lease)


def starts(limiter: QuotaLimiter, clock: SharedClock, costs: list[int]) -> list[float]:
    times = []
    for units in costs:
        call(limiter, units)
        times.append(clock())
    return times


def test_calls_within_the_limit_start_at_once() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100)
    assert starts(limiter, clock, [5] * 20) == [0.0] * 20


def test_a_call_past_the_limit_waits_until_the_oldest_units_leave_the_window() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100, max_wait=90)
    assert starts(limiter, clock, [50, 50, 50, 50, 50]) == [0.0, 0.0, 60.0, 60.0, 120.0]


def test_a_wait_ends_a_margin_after_the_turn_for_the_servers_clock() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100, margin=0.5)
    assert starts(limiter, clock, [100, 100]) == [0.0, 60.5]


def test_a_call_cancelled_while_it_waits_gives_its_turn_back() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100, max_wait=200)
    call(limiter, 100)
    cancelled = steps.Steps()
    cancelled.cancel()
    with steps.running(cancelled), pytest.raises(CancelledCallError):
        limiter.acquire(100)  # its turn would have come at 60 s
    assert clock() == 0.0
    assert limiter.turn_in(100) == 60.0  # not 120: nothing stays reserved for the cancelled call


def test_a_wait_is_reported_as_a_step_of_the_call() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100)
    reports: list[tuple[float, float | None, str]] = []
    call(limiter, 100)
    with steps.running(steps.Steps(lambda *report: reports.append(report))):
        call(limiter, 10)
    assert reports == [(1, None, "Waiting 60 s: Gmail's per-user quota; this call's turn comes then.")]


def test_units_used_long_ago_do_not_count() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100)
    call(limiter, 100)
    clock.sleep(61)
    assert starts(limiter, clock, [100]) == [61.0]


def test_a_call_dearer_than_the_whole_limit_still_goes_alone() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 60)
    assert starts(limiter, clock, [100, 100]) == [0.0, 60.0]


def test_a_turn_further_than_max_wait_is_refused_at_once_with_its_time() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100, max_wait=30)
    call(limiter, 100)
    clock.sleep(20)
    with pytest.raises(QuotaWait) as refused:
        limiter.acquire(5)
    assert (refused.value.retry_after, refused.value.retry_after_seconds) == (40.0, 40)
    assert clock() == 20.0  # refused without sleeping
    clock.sleep(10)
    assert starts(limiter, clock, [5]) == [60.0]  # the refused call reserved nothing: 30 s, allowed


def test_a_rate_limit_refusal_cuts_the_rate_to_what_the_window_let_through() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 6000)
    for _ in range(120):
        call(limiter, 20)  # 2,400 units went through; Gmail refuses the next one
    call(limiter, 20, refused=True)
    assert limiter.rate == pytest.approx(2400 * 0.9)
    assert limiter.reserved == 2400  # the refused call was not charged


def test_turns_granted_before_a_cut_are_taken_again_under_the_new_rate() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 1000)
    sent = limiter.acquire(500)
    assert limiter.admit(sent)
    waiting = limiter.acquire(400)  # fits under 1,000 ...
    call(limiter, 100, refused=True)  # ... but Gmail refuses the next call: 500 is all it lets through
    limiter.succeeded(sent)
    assert limiter.rate == pytest.approx(500 * 0.9)
    assert not limiter.admit(waiting)
    assert starts(limiter, clock, [400]) == [60.0]


def test_refusals_of_one_wave_do_not_compound_the_cut() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 6000)
    wave = []
    for _ in range(130):
        lease = limiter.acquire(20)
        assert limiter.admit(lease)
        wave.append(lease)
    for lease in wave[:120]:
        limiter.succeeded(lease)
    for lease in wave[120:]:  # ten were in flight when Gmail's window filled up
        limiter.refused(lease)
    assert limiter.rate == pytest.approx(2400 * 0.9)
    assert limiter.refusals == 10


def test_success_restores_the_rate_slowly_once_a_window_passed_without_refusals() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 1000)
    in_flight = limiter.acquire(500)
    assert limiter.admit(in_flight)
    call(limiter, 100, refused=True)
    assert limiter.rate == pytest.approx(450)
    clock.sleep(1)
    limiter.succeeded(in_flight)
    assert limiter.rate == pytest.approx(450)  # too soon after the refusal
    clock.sleep(60)
    call(limiter, 100)
    call(limiter, 100)
    assert limiter.rate == pytest.approx(450 + 2 * 100 * 0.1)
    for _ in range(100):
        clock.sleep(60)
        call(limiter, 400)
    assert limiter.rate == 1000  # never above the ceiling


def test_the_rate_never_drops_below_a_twentieth_of_the_ceiling() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 6000)
    call(limiter, 20, refused=True)  # refused with nothing charged: other apps used the quota
    assert limiter.rate == 300


def test_the_time_to_the_next_turn_is_told_without_reserving() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100)
    call(limiter, 100)
    clock.sleep(15)
    assert limiter.turn_in(10) == 45.0
    assert limiter.turn_in(10) == 45.0


def test_no_rolling_minute_exceeds_the_limit_under_concurrency() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 600, max_wait=600)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            call(limiter, 5)
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


class ManualClock:
    """Time moves only when the test says; a caller sleeping for its turn stays asleep until then."""

    def __init__(self) -> None:
        self.now = 0.0
        self.asleep = 0
        self._changed = threading.Condition()

    def __call__(self) -> float:
        with self._changed:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._changed:
            wake = self.now + seconds
            self.asleep += 1
            self._changed.notify_all()
            # Bounded in real time: a test that never moves the clock fails instead of hanging.
            assert self._changed.wait_for(lambda: self.now >= wake, timeout=30), "the clock never moved"
            self.asleep -= 1

    def until_asleep(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.asleep >= count, timeout=30)

    def move_to(self, now: float) -> None:
        with self._changed:
            self.now = now
            self._changed.notify_all()


def test_bulk_calls_leave_a_share_of_each_window_for_small_calls() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 600, reserve=0.05, max_wait=90)
    # 600 units a minute less the 5 % reserve: 114 reads of 5 units now, the 115th a minute later.
    assert starts(limiter, clock, [5] * 115) == [0.0] * 114 + [60.0]


def test_a_small_call_overtakes_the_bulk_calls_waiting_for_the_next_window() -> None:
    clock = ManualClock()
    limiter = QuotaLimiter(600, clock=clock, sleep=clock.sleep, margin=0.0, reserve=0.05)
    sent: list[tuple[float, int]] = []
    lock = threading.Lock()

    def read() -> None:
        call(limiter, 5)
        with lock:
            sent.append((clock(), 5))

    threads = [threading.Thread(target=read) for _ in range(200)]
    for thread in threads:
        thread.start()
    clock.until_asleep(86)  # 114 reads went at once; 86 wait for the window to roll
    clock.move_to(30.0)
    call(limiter, 1, small=True)  # the agent asks for its labels mid-burst: it goes now
    sent.append((clock(), 1))
    assert clock() == 30.0
    clock.move_to(60.0)
    for thread in threads:
        thread.join()
    assert sorted(t for t, units in sent if units == 5) == [0.0] * 114 + [60.0] * 86  # not delayed
    for end in (30.0, 60.0):
        assert sum(units for t, units in sent if end - 60 < t <= end) <= 600


def test_a_small_call_that_finds_no_room_is_refused_at_once_saying_when_to_retry() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 600, reserve=0.05)
    starts(limiter, clock, [5] * 114)
    for _ in range(30):
        call(limiter, 1, small=True)  # the reserve: 30 units
    clock.sleep(20)
    with pytest.raises(QuotaWait) as refused:
        limiter.acquire(1, small=True)
    assert refused.value.retry_after == 40.0  # when the first window's units leave
    assert refused.value.max_wait == 5.0
    assert clock() == 20.0  # refused without sleeping
    with pytest.raises(QuotaWait):
        limiter.acquire(1, small=True)  # the refused call reserved nothing, and still finds no room


def test_a_small_call_waits_a_few_seconds_when_room_comes_that_soon() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 600, reserve=0.05)
    starts(limiter, clock, [5] * 114)
    for _ in range(30):
        call(limiter, 1, small=True)
    clock.sleep(57)
    assert starts(limiter, clock, [1]) == [60.0]


def test_a_small_call_never_waits_longer_than_max_wait() -> None:
    clock = SharedClock()
    limiter = limiter_on(clock, 100, max_wait=2)
    call(limiter, 100)
    clock.sleep(57)
    with pytest.raises(QuotaWait) as refused:
        limiter.acquire(1, small=True)
    assert (refused.value.retry_after, refused.value.max_wait) == (3.0, 2)


@pytest.mark.parametrize(
    "options",
    [
        {"units_per_minute": 0},
        {"units_per_minute": 10, "max_wait": -1},
        {"units_per_minute": 10, "reserve": 1.0},
        {"units_per_minute": 10, "reserve": -0.1},
    ],
)
def test_a_limit_must_be_positive_and_a_wait_not_negative(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        QuotaLimiter(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", PROFILES)
def test_the_sandbox_charges_what_the_client_paces_for_in_both_regimes(name: str) -> None:
    profile = CostProfile.named(name)
    assert dict(profile.units) == dict(SANDBOX_COSTS[name])
    assert profile.per_minute == SANDBOX_PER_MINUTE[name]
    assert set(profile.units) == METHOD_IDS  # every method the sandbox serves has a cost


def test_the_2026_regime_is_the_default_and_an_unknown_one_is_refused() -> None:
    assert (DEFAULT_PROFILE.name, DEFAULT_PROFILE.per_minute) == ("2026", 6000)
    with pytest.raises(ValueError, match="2026, legacy"):
        CostProfile.named("2025")
