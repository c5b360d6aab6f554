"""Under load, through real processes: `gmail-mcp sandbox` at a tight quota, `gmail-mcp serve` with
its default settings over stdio, and an outside client writing JSON-RPC lines.

The account is a legacy project at 600 units a minute (120 reads of 5 units); the server believes
the 2026 defaults (reads cost 20 of 6,000). A burst of 200 reads is therefore held back by quota
for about a minute, which is when a frozen server used to show: tools/list took 57 s.

The fast test checks that ping and tools/list answer while the reads wait (ordering, with a loose
time bound; CI machines are noisy). The real-time done-when run takes about 75 s and is skipped
unless GMAIL_MCP_SLOW_TESTS=1:

    GMAIL_MCP_SLOW_TESTS=1 uv run --locked pytest -s tests/test_e2e_load.py
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.test_e2e import INITIALIZE, SERVE, Child, child_env, get_json, http_request, spawn

READS = 200
SLOW = pytest.mark.skipif(
    not os.environ.get("GMAIL_MCP_SLOW_TESTS"), reason="real-time, ~75 s: set GMAIL_MCP_SLOW_TESTS=1"
)


@dataclass
class Conversation:
    """JSON-RPC over a server's stdio, with the arrival time of every answer."""

    server: Child
    sent: dict[int, float] = field(default_factory=dict)
    answered: dict[int, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _arrivals: queue.Queue[int] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                message = self.server.receive(timeout=600)
            except AssertionError:
                return
            if "id" in message:
                self.answered[message["id"]] = (time.monotonic(), message)
                self._arrivals.put(message["id"])

    def request(self, number: int, method: str, params: dict[str, Any] | None = None) -> None:
        self.sent[number] = time.monotonic()
        self.server.send({"jsonrpc": "2.0", "id": number, "method": method, "params": params or {}})

    def call(self, number: int, tool: str, arguments: dict[str, Any]) -> None:
        self.request(number, "tools/call", {"name": tool, "arguments": arguments})

    def wait(self, numbers: set[int], timeout: float, *, count: int | None = None) -> None:
        """Until `count` (default: all) of the requests in `numbers` are answered."""
        wanted = len(numbers) if count is None else count
        deadline = time.monotonic() + timeout
        while len(numbers & set(self.answered)) < wanted:
            try:
                self._arrivals.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                missing = sorted(numbers - set(self.answered))
                raise AssertionError(f"no answer within {timeout} s to {missing[:5]}...") from None

    def latency(self, number: int) -> float:
        return self.answered[number][0] - self.sent[number]

    def outcome(self, number: int) -> tuple[bool, dict[str, Any]]:
        result = self.answered[number][1]["result"]
        if result.get("isError"):
            return False, json.loads(result["content"][0]["text"])
        return True, {}


@contextmanager
def loaded_server(home: Path, *serve_options: str) -> Iterator[tuple[Conversation, str, list[str]]]:
    """A legacy-600 sandbox process and `serve` on it; yields the conversation, the sandbox URL and ids."""
    argv = [sys.executable, "-m", "gmail_mcp.cli", "sandbox", "--port", "0"]
    argv += ["--quota-costs", "legacy", "--quota-per-minute", "600"]
    with spawn(argv, child_env(home)) as sandbox:
        url = sandbox.wait_for_stderr(r"serving Gmail API v1 for \S+ at (http://127\.0\.0\.1:\d+)")[1]
        auth = {"Authorization": "Bearer anything"}
        listing = get_json(url + "/gmail/v1/users/me/messages?maxResults=50&includeSpamTrash=true", auth)
        ids = [m["id"] for m in listing["messages"]]
        serve = [*SERVE, "--sandbox-url", url, *serve_options]
        with spawn(serve, child_env(home), stdin=True) as server:
            talk = Conversation(server)
            talk.request(0, "initialize", INITIALIZE["params"])
            talk.wait({0}, timeout=60)
            server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
            # Warm the server (the Google client is built on first use), then start from a full quota.
            talk.call(1, "read-email", {"email_id": ids[0]})
            talk.wait({1}, timeout=60)
            assert http_request(url + "/__sandbox/reset", "POST", body=b"{}")[0] == 200
            yield talk, url, ids


def burst(talk: Conversation, ids: list[str]) -> set[int]:
    numbers = set(range(1000, 1000 + READS))
    for number in sorted(numbers):
        talk.call(number, "read-email", {"email_id": ids[number % len(ids)]})
    return numbers


def test_ping_and_tools_list_answer_at_once_while_200_reads_wait_for_quota(tmp_path: Path) -> None:
    with loaded_server(tmp_path) as (talk, url, ids):
        reads = burst(talk, ids)
        # Gmail lets 120 through; the rest wait about a minute for the window to roll.
        talk.wait(reads, timeout=120, count=100)
        talk.request(2, "ping")
        talk.request(3, "tools/list")
        talk.wait({2, 3}, timeout=30)
        waiting = len(reads - set(talk.answered))
        stats = get_json(url + "/__sandbox/stats")
        print(f"\nping {talk.latency(2):.3f} s, tools/list {talk.latency(3):.3f} s; {waiting} reads waiting")
    assert waiting >= 50  # both answered while the held-back reads were still waiting
    assert len(talk.answered[3][1]["result"]["tools"]) == 9
    assert talk.latency(2) < 2 and talk.latency(3) < 2  # the target is 200 ms; this bound catches a freeze
    assert stats["throttled"] < 20


@SLOW
def test_200_concurrent_reads_against_a_tighter_quota_in_real_time(tmp_path: Path) -> None:
    with loaded_server(tmp_path) as (talk, url, ids):
        started = time.monotonic()
        reads = burst(talk, ids)
        talk.wait(reads, timeout=120, count=100)
        # Half a minute in, while the rest of the reads wait for the window to roll, a cheap call
        # (a drafts listing: 5 units where a read costs 20). In real time: the scenario is the wait.
        time.sleep(max(0.0, started + 30 - time.monotonic()))
        cheap_at = time.monotonic() - started
        talk.call(4, "list-drafts", {"max_results": 1})
        talk.wait(reads | {4}, timeout=150)
        ended = max(talk.answered[n][0] for n in reads) - started
        stats = get_json(url + "/__sandbox/stats")
    outcomes = {n: talk.outcome(n) for n in reads}
    refused = {n: error for n, (ok, error) in outcomes.items() if not ok}
    slowest_refusal = max((talk.latency(n) for n in refused), default=0.0)
    slowest_success = max(talk.latency(n) for n in reads - set(refused))
    print(
        f"\n{READS - len(refused)} succeeded, {len(refused)} refused (slowest refusal {slowest_refusal:.1f} s), "
        f"slowest success {slowest_success:.1f} s, burst ended after {ended:.1f} s; sandbox: "
        f"{stats['requests']} requests, {stats['throttled']} throttled, {stats['quota_units']} units; "
        f"cheap call at {cheap_at:.1f} s: answered in {talk.latency(4):.2f} s, ok={talk.outcome(4)[0]}"
    )
    assert READS - len(refused) >= 190
    assert all(
        e["error_code"] == "QUOTA_EXCEEDED" and e["error_details"]["retry_after"] for e in refused.values()
    )
    assert slowest_refusal <= 5
    assert stats["throttled"] < 20
    assert ended <= 75
    cheap_ok, cheap_error = talk.outcome(4)
    assert cheap_at < ended and talk.latency(4) <= 5  # mid-burst, and not held until the window rolls
    assert cheap_ok or (
        cheap_error["error_code"] == "QUOTA_EXCEEDED" and cheap_error["error_details"]["retry_after"]
    )
