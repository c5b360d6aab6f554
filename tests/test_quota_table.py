"""The README's quota table says what the tools really cost, in both of Google's regimes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock
from tests.helpers import reset_stats
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
                ("List labels (then cached)", [("list-labels", {})]),
                ("Mark as read, trash", [("mark-email-as-read", {"email_id": email_id})]),
                ("Send an email", [("send-email", note)]),
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
    return found


async def test_the_readme_quota_table_is_what_the_tools_cost_on_the_sandbox(tmp_path: Path) -> None:
    new, old = await measured("2026", tmp_path), await measured("legacy", tmp_path)
    assert readme_table() == {name: (new[name][0], new[name][1], old[name][1]) for name in new}
    assert all(new[name][0] == old[name][0] for name in new)  # the regime changes units, not requests
