"""The README's quota table says what the tools really cost, in both of Google's regimes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock
from tests.helpers import deliver, reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio
README = Path(__file__).resolve().parents[1] / "README.md"
INVOICE = "1a0f6b5ba6000021"  # the seeded email with a PDF invoice attached


def readme_table() -> dict[str, tuple[int, int, int]]:
    """Operation -> (requests, 2026 units, legacy units), from the table under '## Quota'."""
    section = README.read_text().split("## Quota", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \| ([\d,]+) \| ([\d,]+) \|$", section, re.MULTILINE)
    return {
        name: (int(r), int(new.replace(",", "")), int(old.replace(",", ""))) for name, r, new, old in rows
    }


async def measured(costs: str, tmp_path: Path) -> dict[str, tuple[int, int]]:
    clock = FakeClock()
    mailbox = Mailbox.seeded(clock=clock)
    thread_id, size = Counter(m.thread_id for m in mailbox.all_messages()).most_common(1)[0]
    assert size == 10
    found: dict[str, tuple[int, int]] = {}
    with SandboxServer(mailbox, clock=clock, quota_costs=costs) as sandbox:
        harness = Harness(sandbox, clock, tmp_path / costs)
        async with harness.client(enhanced=True, quota_costs=costs) as client:
            # First: lists and reads name user labels from the same cached list.
            reset_stats(sandbox)
            await client.ok("list-labels", {})
            found["List labels (then cached)"] = (sandbox.stats()["requests"], sandbox.stats()["quota_units"])
            email_id = (await client.ok("search-emails", {"query": "in:inbox", "max_results": 1}))["emails"][
                0
            ]["id"]
            note = {"recipient_id": "a@example.org", "subject": "Hi", "message": "Hello"}
            draft = {"recipient": "a@example.org", "subject": "Hi", "message": "Hello"}
            operations: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
                (
                    "Search or list 20 with sender, subject, date, snippet",
                    [("search-emails", {"query": "in:inbox", "max_results": 20})],
                ),
                ("List 50 with details", [("search-emails", {"query": "in:anywhere", "max_results": 50})]),
                ("Read an email", [("read-email", {"email_id": email_id})]),
                ("Read a 10-message thread", [("read-thread", {"thread_id": thread_id})]),
                (
                    "Read an attachment (its next pages: none)",
                    [
                        (
                            "read-attachment",
                            {"email_id": INVOICE, "attachment_id": "Cloudnest-INV-2026-1001.pdf"},
                        )
                    ],
                ),
                ("Mark as read, trash", [("mark-email-as-read", {"email_id": email_id})]),
                ("Send an email", [("send-email", note)]),
                (
                    "Reply to all (who is on it, then the send)",
                    [("send-email", {**note, "thread_id": thread_id, "reply_all": True})],
                ),
                (
                    "Forward an email with its files",
                    [("forward-email", {"email_id": email_id, "recipient_id": "a@example.org"})],
                ),
                ("Create a draft", [("create-draft", draft)]),
                ("List drafts (4) with details", [("list-drafts", {"max_results": 10})]),
            ]
            for name, calls in operations:
                reset_stats(sandbox)
                for tool, arguments in calls:
                    await client.ok(tool, arguments)
                stats = sandbox.stats()
                found[name] = (stats["requests"], stats["quota_units"])
            reset_stats(sandbox)
            await client.ok("trash-email", {"email_id": email_id})
            assert (sandbox.stats()["requests"], sandbox.stats()["quota_units"]) == found[
                "Mark as read, trash"
            ]
            for n in range(120):
                mailbox.insert_raw(f"From: news@letters.example\r\nSubject: Issue {n}\r\n\r\nHi\r\n".encode())
            archive = {"query": "from:news@letters.example", "actions": ["archive"]}
            await client.ok("list-changes")  # the first look only starts the record
            deliver(sandbox, b"From: ana@example.org\r\nSubject: Lunch\r\n\r\nFriday?\r\n")
            for name, tool, arguments in [
                (
                    "Dry run of a bulk change by search (count, first 10)",
                    "modify-emails",
                    {**archive, "dry_run": True},
                ),
                ("Archive the 120 matches of a search", "modify-emails", archive),
                ("What changed since the last look (one new email)", "list-changes", {}),
            ]:
                reset_stats(sandbox)
                await client.ok(tool, arguments)
                found[name] = (sandbox.stats()["requests"], sandbox.stats()["quota_units"])
    return found


async def test_the_readme_quota_table_is_what_the_tools_cost_on_the_sandbox(tmp_path: Path) -> None:
    new, old = await measured("2026", tmp_path), await measured("legacy", tmp_path)
    assert readme_table() == {name: (new[name][0], new[name][1], old[name][1]) for name in new}
    assert all(new[name][0] == old[name][0] for name in new)  # the regime changes units, not requests
