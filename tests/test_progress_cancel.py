"""Progress notifications and cancellation, through the in-process MCP client against the sandbox.

A call that pages, batches or waits reports its steps when the client sent a progressToken; a
cancelled call stops at its next step (a wait ends at once) and sends nothing; a change under
way when the client cancelled is audited as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from gmail_mcp.common import steps
from tests.helpers import inject, make_client, reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

Progress = tuple[float, float | None, str | None]
SEARCH = {"query": "after:2000/01/01", "max_results": 50}  # 50 of the seeded mailbox, in 3 batches


def waiting_for_real(harness: Harness, **options: Any) -> None:
    """Waits (quota, backoff) sleep for real on the server, ending early when a call is cancelled."""
    harness.backend_factory = lambda: make_client(
        harness.sandbox, harness.clock, sleep=steps.sleep, **options
    )


@dataclass
class Cancelled:
    seen: list[Progress]  # the progress reports up to the cancel
    stats: dict[str, Any]  # the sandbox's counts when the client cancelled
    answer: Any  # None over a wire; in-process the SDK may hand back the tool's error result

    def error_code(self) -> str | None:
        return None if self.answer is None else json.loads(self.answer.content[0].text)["error_code"]


async def call_cancelled_when(
    harness: Harness, client: Any, tool: str, arguments: dict[str, Any], cancel: Callable[[Progress], bool]
) -> Cancelled:
    """Call `tool` and cancel it at the first progress report `cancel` accepts. Returns once the
    server's tool body has finished (a cancelled call's body is waited for, never abandoned)."""
    seen: list[Progress] = []
    stats: dict[str, Any] = {}
    answer = None
    with anyio.fail_after(20), anyio.CancelScope() as scope:

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            seen.append((done, total, message))
            if cancel(seen[-1]) and not stats:
                stats.update(harness.sandbox.stats())
                scope.cancel()

        answer = await client.client.call_tool(tool, arguments, progress_callback=on_progress)
    assert stats, f"the call was never cancelled: {seen}"
    if not scope.cancelled_caught:
        assert answer is not None and answer.is_error, answer
    return Cancelled(seen, stats, None if scope.cancelled_caught else answer)


def audit(harness: Harness) -> list[dict[str, Any]]:
    return [json.loads(line) for line in harness.settings().paths.audit_log.read_text().splitlines()]


def said(text: str) -> Callable[[Progress], bool]:
    return lambda progress: text in (progress[2] or "")


async def test_a_search_in_several_batches_reports_growing_progress(harness: Harness) -> None:
    seen: list[Progress] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with harness.client() as client:
        result = await client.client.call_tool("search-emails", SEARCH, progress_callback=on_progress)

    assert len(result.structured_content["emails"]) == 50  # type: ignore[index]
    assert len(seen) >= 3
    assert [done for done, _, _ in seen] == sorted({done for done, _, _ in seen})  # always larger
    assert seen[-1][:2] == (50, 50)
    assert seen[0][2] == "Gmail answered 10 of 50 requests"


async def test_no_progress_is_sent_to_a_client_that_did_not_ask_for_it(harness: Harness) -> None:
    async with harness.client() as client:
        found = await client.ok("search-emails", SEARCH)
    assert len(found["emails"]) == 50


async def test_a_backoff_wait_is_reported_and_a_cancel_ends_it_and_stops_the_search(harness: Harness) -> None:
    # Ten details fail 503: once the other batches are in, the search waits a minute to retry them.
    waiting_for_real(harness, rand=lambda: 1.0, base=60, cap=60, max_wait=120)
    async with harness.client() as client:
        inject(harness.sandbox, status=503, count=10, method="gmail.users.messages.get")
        cancelled = await call_cancelled_when(harness, client, "search-emails", SEARCH, said("Waiting"))
        after = harness.sandbox.stats()

    assert cancelled.seen[-1] == (
        41,
        51,
        "Waiting 60 s: Gmail answered HTTP 503 backendError; trying again then.",
    )
    assert after["requests"] == cancelled.stats["requests"]  # the ten that failed were not retried
    assert cancelled.error_code() in (None, "CANCELLED")


async def test_a_cancelled_slow_search_stops_making_requests(harness: Harness, sandbox_factory: Any) -> None:
    # Each request takes half a second: the cancel arrives while the second batch is on its way.
    harness.sandbox = sandbox_factory(latency_ms=500)
    gets = "gmail.users.messages.get"
    async with harness.client() as client:
        cancelled = await call_cancelled_when(harness, client, "search-emails", SEARCH, said("answered"))
        after = harness.sandbox.stats()
        reset_stats(harness.sandbox)
        await client.ok("search-emails", SEARCH)
        whole = harness.sandbox.stats()

    assert after["requests"] <= cancelled.stats["requests"] + 1  # at most the batch already sent
    assert after["requests"] < whole["requests"]
    assert after["by_method"][gets] < whole["by_method"][gets]


async def test_a_send_cancelled_while_waiting_for_its_quota_turn_is_not_sent_and_is_audited(
    harness: Harness,
) -> None:
    # 200 units a minute: a search of 5 takes 105 (2026 costs), so the send (100) waits for its turn.
    waiting_for_real(harness, units_per_minute=200, max_wait=120)
    send = {"recipient_id": "pat@example.org", "subject": "Not now", "message": "Hello"}
    async with harness.client() as client:
        await client.ok("search-emails", {"query": "after:2000/01/01", "max_results": 5})
        cancelled = await call_cancelled_when(harness, client, "send-email", send, said("quota"))

    assert (cancelled.seen[-1][2] or "").startswith("Waiting ")
    assert harness.sandbox.stats()["outbox"] == []
    records = [(r["tool"], r["outcome"], r.get("cancelled_by_client")) for r in audit(harness)]
    assert records == [("send-email", "attempt", None), ("send-email", "cancelled", True)]


async def test_a_send_cancelled_after_its_answer_was_lost_is_audited_as_maybe_sent(harness: Harness) -> None:
    waiting_for_real(harness, rand=lambda: 1.0, base=60, cap=60, max_wait=120)
    send = {"recipient_id": "pat@example.org", "subject": "Lost", "message": "Hello"}
    async with harness.client() as client:
        inject(harness.sandbox, status=503, count=1, method="gmail.users.messages.send")
        cancelled = await call_cancelled_when(harness, client, "send-email", send, said("Waiting"))

    last = audit(harness)[-1]
    assert (last["tool"], last["outcome"], last["cancelled_by_client"]) == ("send-email", "unknown", True)
    assert last["subject"] == "Lost"
    assert cancelled.error_code() in (None, "UPSTREAM_ERROR")


async def test_a_resource_read_waiting_for_its_quota_turn_says_so_and_a_cancel_stops_it(
    harness: Harness,
) -> None:
    from mcp import types

    # 115 units a minute (bulk calls use 95 % of it): a search of 5 takes 105 (2026 costs), so reading an email (20) waits a minute.
    waiting_for_real(harness, units_per_minute=115, max_wait=120)
    seen: list[Progress] = []
    # Leaving the client waits for the server's running bodies: within the bound only if the read stopped.
    with anyio.fail_after(30):
        async with harness.client() as client:
            found = await client.ok("search-emails", {"query": "after:2000/01/01", "max_results": 5})
            uri = f"gmail://me/messages/{found['emails'][0]['id']}"
            before = harness.sandbox.stats()["requests"]
            read = types.ReadResourceRequest(params=types.ReadResourceRequestParams(uri=uri))
            with anyio.CancelScope() as scope:

                async def on_progress(done: float, total: float | None, message: str | None) -> None:
                    seen.append((done, total, message))
                    scope.cancel()

                await client.client.session.send_request(
                    read, types.ReadResourceResult, progress_callback=on_progress
                )

    assert scope.cancelled_caught
    assert (seen[0][2] or "").startswith("Waiting ") and "quota" in (seen[0][2] or "")
    assert harness.sandbox.stats()["requests"] == before  # the email was never fetched


async def test_progress_reaches_a_client_over_stdio(tmp_path: Any) -> None:
    from tests.test_e2e import stdio_client

    seen: list[Progress] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    with anyio.fail_after(60):
        async with stdio_client("--sandbox", home=tmp_path) as client:
            result = await client.client.call_tool("search-emails", SEARCH, progress_callback=on_progress)

    assert not result.is_error
    assert len(seen) >= 3 and seen[-1][:2] == (50, 50)
