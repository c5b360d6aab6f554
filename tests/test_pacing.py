"""Quota that matches the account, through the MCP server with its default settings.

The server paces to Google's 2026 costs at 6,000 units a minute unless told otherwise. Against an
account whose real quota is tighter (an older project's costs, other apps sharing the quota) it
learns the real rate from Gmail's refusals, and no call waits longer than --max-wait: it is refused
at once with QUOTA_EXCEEDED and retry_after instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from gmail_mcp import cli
from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import START
from tests.helpers import reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio
STUCK_SECONDS = 60.0


class VirtualClock:
    """Fake time for many threads that wait on it: a discrete-event clock.

    `participants` threads (the tool calls of a burst) take part. Time stands still while any of
    them is doing something, and moves to the earliest wake-up only once every one is asleep, so
    each thread acts at the moment it meant to, in order, and nothing waits in real time. A
    participant that is done calls `leave()`. (A clock that simply advanced by every sleep would
    let a thread sleeping a minute run the clock ahead of others still sending requests.)
    """

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.participants = 0
        self._asleep: list[float] = []
        self._changed = threading.Condition()

    def __call__(self) -> float:
        with self._changed:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._changed:
            wake = self.now + seconds
            self._asleep.append(wake)
            self._advance()
            try:
                # Bounded in real time: a participant that never sleeps or leaves fails the test.
                if not self._changed.wait_for(lambda: self.now >= wake, timeout=STUCK_SECONDS):
                    raise AssertionError("the virtual clock is stuck: a participant neither slept nor left")
            finally:
                self._asleep.remove(wake)

    def join(self, count: int) -> None:
        with self._changed:
            self.participants += count

    def leave(self) -> None:
        with self._changed:
            self.participants -= 1
            self._advance()

    def _advance(self) -> None:
        if self._asleep and len(self._asleep) >= self.participants:
            self.now = max(self.now, min(self._asleep))
            self._changed.notify_all()


@pytest.fixture
def fake_clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def legacy_600(fake_clock: VirtualClock) -> Iterator[SandboxServer]:
    """An account on an older project whose quota is 600 units a minute: 120 reads of 5 units."""
    mailbox = Mailbox(clock=fake_clock)
    for i in range(50):
        mailbox.insert_raw(f"From: a@example.com\r\nSubject: m{i}\r\n\r\nbody {i}\r\n".encode())
    with SandboxServer(mailbox, clock=fake_clock, quota_costs="legacy", quota_per_minute=600) as sandbox:
        yield sandbox


def error_of(result: Any) -> dict[str, Any]:
    return dict(json.loads(result.content[0].text))


async def test_200_concurrent_reads_meet_a_tighter_real_quota_with_the_default_settings(
    legacy_600: SandboxServer, fake_clock: VirtualClock, tmp_path: Path
) -> None:
    ids = [m.id for m in legacy_600.mailbox.all_messages()]
    harness = Harness(legacy_600, fake_clock, tmp_path)
    outcomes: list[tuple[bool, float, dict[str, Any]]] = []
    cheap: list[tuple[bool, float, float, dict[str, Any]]] = []
    async with harness.client() as client:
        reset_stats(legacy_600)
        started = fake_clock()

        async def read(email_id: str) -> None:
            try:
                result = await client.call("read-email", {"email_id": email_id})
                error = error_of(result) if result.is_error else {}
                outcomes.append((not result.is_error, fake_clock() - started, error))
            finally:
                fake_clock.leave()

        async def cheap_call_mid_burst() -> None:
            # Half a minute in, while 80 reads wait for the window to roll, the agent asks for
            # something small (a drafts listing costs 5 units; a read costs 20).
            try:
                await anyio.to_thread.run_sync(fake_clock.sleep, 30.0)
                issued = fake_clock()
                result = await client.call("list-drafts", {"max_results": 1})
                error = error_of(result) if result.is_error else {}
                cheap.append((not result.is_error, issued - started, fake_clock() - issued, error))
            finally:
                fake_clock.leave()

        fake_clock.join(201)
        with anyio.fail_after(120):  # real seconds; the fake clock moves only when every call waits
            async with anyio.create_task_group() as group:
                for i in range(200):
                    group.start_soon(read, ids[i % len(ids)])
                group.start_soon(cheap_call_mid_burst)
    stats = legacy_600.stats()
    succeeded = [elapsed for ok, elapsed, _ in outcomes if ok]
    refused = [(elapsed, error) for ok, elapsed, error in outcomes if not ok]
    assert len(succeeded) >= 190
    for elapsed, error in refused:  # refused at once, never after a long wait, saying when to retry
        assert error["error_code"] == "QUOTA_EXCEEDED"
        assert error["error_details"]["retry_after"] >= 1
        assert elapsed <= 5
    assert stats["throttled"] < 20
    assert max(succeeded) <= 75  # a perfect pacer: 120 reads at once, 80 a minute later
    # Mid-burst, answered or told when to come back within 5 s, not held until the window rolls.
    [(answered, issued_at, took, error)] = cheap
    assert issued_at == 30.0 and max(succeeded) > 60  # it really came in the middle of the burst
    assert took <= 5
    if not answered:
        assert error["error_code"] == "QUOTA_EXCEEDED"
        assert 25 <= error["error_details"]["retry_after"] <= 35  # when the window rolls
    assert set(stats["by_method"]) <= {"gmail.users.messages.get", "gmail.users.drafts.list"}
    assert stats["by_method"]["gmail.users.messages.get"] == 200 - len(refused) + stats["throttled"]


async def test_a_call_whose_turn_is_beyond_max_wait_is_refused_at_once(
    legacy_600: SandboxServer, fake_clock: VirtualClock, tmp_path: Path
) -> None:
    ids = [m.id for m in legacy_600.mailbox.all_messages()]
    harness = Harness(legacy_600, fake_clock, tmp_path)
    async with harness.client(max_wait=10) as client:
        for email_id in ids[:10]:
            await client.ok("read-email", {"email_id": email_id})
        # The 2026 table the client paces to says reads cost 20: 6,000 a minute is 300 reads. Gmail
        # (legacy, 600 a minute) refuses the 121st; the client learns, and the 122nd must wait ~60 s.
        outcomes = [await client.call("read-email", {"email_id": ids[i % 50]}) for i in range(111)]
        before = fake_clock()
        late = await client.error("read-email", {"email_id": ids[0]})
    assert [r.is_error for r in outcomes] == [False] * 110 + [True]
    assert error_of(outcomes[-1])["error_code"] == "QUOTA_EXCEEDED"
    assert late["error_code"] == "QUOTA_EXCEEDED"
    assert 10 < late["error_details"]["retry_after"] <= 61
    assert fake_clock() == before
    assert legacy_600.stats()["throttled"] == 1


def test_serve_paces_to_the_chosen_regime_and_its_limit() -> None:
    def client_for(*options: str) -> Any:
        args = cli.build_parser().parse_args(["serve", "--sandbox-url", "http://127.0.0.1:1", *options])
        settings = cli.settings_from(args, "http://127.0.0.1:1/", "http://127.0.0.1:1/mail/{id}")
        return cli.sandbox_backend(settings)()

    def pacing(client: Any) -> tuple[int, int, float]:
        executor = client._exec
        return (
            executor.units("gmail.users.messages.get"),
            executor._limiter.units_per_minute,
            executor._limiter.max_wait,
        )

    assert pacing(client_for()) == (20, 6000, 60.0)
    assert pacing(client_for("--quota-costs", "legacy")) == (5, 15000, 60.0)
    assert pacing(client_for("--quota-costs", "legacy", "--quota-per-minute", "600", "--max-wait", "5")) == (
        5,
        600,
        5.0,
    )


@pytest.mark.parametrize(
    "options",
    [["--quota-costs", "2025"], ["--quota-per-minute", "0"], ["--max-wait", "-1"], ["--max-wait", "inf"]],
)
def test_bad_quota_options_are_refused_before_the_server_starts(
    options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["serve", *options])
    assert exited.value.code == 2
    assert options[0] in capsys.readouterr().err


@pytest.mark.parametrize("command", [["sandbox"], ["serve"]])
def test_the_quota_options_are_explained_in_the_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    assert "--quota-costs {2026,legacy}" in text and "2026-05-01" in text
    assert "6,000 with 2026 costs, 15,000 with legacy" in text
    if command == ["sandbox"]:
        assert "403 userRateLimitExceeded" in text
    else:
        assert "--max-wait S" in text and "retry_after" in text
