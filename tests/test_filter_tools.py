"""list-filters, create-filter and delete-filter through an MCP client, with mail delivered as Gmail does."""

from __future__ import annotations

from typing import Any

import pytest

from gmail_mcp.gmail import scopes
from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.helpers import deliver
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio
BANK = "alerts@bank.example"


def mail(sender: str, subject: str) -> bytes:
    return f"From: {sender}\r\nTo: you@example.com\r\nSubject: {subject}\r\n\r\nHello.\r\n".encode()


async def test_a_filter_sorts_new_mail_until_it_is_deleted(
    harness: Harness, sandbox: SandboxServer, mailbox: Mailbox
) -> None:
    async with harness.client(enhanced=True) as client:
        await client.ok("create-label", {"name": "Bank"})
        made = await client.ok(
            "create-filter",
            {"sender": BANK, "negated_query": "urgent", "add_labels": ["Bank"], "remove_labels": ["INBOX"]},
        )
        listed = await client.ok("list-filters")
        assert listed == {
            "filters": [
                {
                    "id": made["id"],
                    "from": BANK,
                    "to": "",
                    "subject": "",
                    "query": "",
                    "negated_query": "urgent",
                    "has_attachment": False,
                    "add_labels": ["Bank"],
                    "remove_labels": ["INBOX"],
                    "forward": "",
                }
            ]
        }
        bank = str(mailbox.labels.by_name("Bank"))
        statement = deliver(sandbox, mail(f"My Bank <{BANK}>", "Statement"))
        urgent = deliver(sandbox, mail(BANK, "Urgent: card blocked"))
        other = deliver(sandbox, mail("ana@example.org", "Lunch"))
        assert statement["labelIds"] == sorted(["CATEGORY_PERSONAL", "UNREAD", bank])
        assert "INBOX" in urgent["labelIds"] and bank not in urgent["labelIds"]
        assert "INBOX" in other["labelIds"] and bank not in other["labelIds"]

        done = await client.ok("delete-filter", {"filter_id": made["id"]})
        assert done["message"] == f"Filter {made['id']} deleted."
        assert (await client.ok("list-filters"))["filters"] == []
        after = deliver(sandbox, mail(BANK, "Another statement"))
        assert "INBOX" in after["labelIds"] and bank not in after["labelIds"]
        assert (await client.error("delete-filter", {"filter_id": made["id"]}))["error_code"] == "NOT_FOUND"


async def test_a_filter_can_be_applied_to_the_mail_already_there(harness: Harness, mailbox: Mailbox) -> None:
    old = [mailbox.insert_raw(mail(BANK, f"Statement {n}")) for n in range(3)]
    async with harness.client(enhanced=True) as client:
        made = await client.ok(
            "create-filter",
            {
                "sender": BANK,
                "add_labels": ["STARRED"],
                "remove_labels": ["UNREAD"],
                "apply_to_existing": True,
            },
        )
    assert (made.get("applied"), made["more"]) == (3, False)
    assert made["search"] == f"from:({BANK})"
    assert all(mailbox.message(i).label_ids == {"INBOX", "STARRED"} for i in old)


async def test_applying_to_existing_mail_stops_at_the_cap_and_says_how_to_go_on(
    harness: Harness, mailbox: Mailbox
) -> None:
    for n in range(5):
        mailbox.insert_raw(mail(BANK, f"Statement {n}"))
    async with harness.client(enhanced=True, max_bulk_changes=3) as client:
        made = await client.ok(
            "create-filter", {"sender": BANK, "add_labels": ["STARRED"], "apply_to_existing": True}
        )
        rest = await client.ok("modify-emails", {"query": made["search"], "add_labels": ["STARRED"]})
    assert (made.get("applied"), made["more"], rest["count"]) == (3, True, 2)
    assert "modify-emails" in made["message"]


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"add_labels": ["STARRED"]}, "INVALID_PARAMS"),
        ({"sender": BANK}, "INVALID_PARAMS"),
        ({"sender": BANK, "add_labels": ["No such label"]}, "NOT_FOUND"),
        ({"sender": BANK, "add_labels": ["SENT"]}, "INVALID_PARAMS"),
        ({"size": 100, "add_labels": ["STARRED"]}, "INVALID_PARAMS"),
        ({"sender": BANK, "add_labels": ["STARRED"], "forward": "thief@evil.example"}, "INVALID_PARAMS"),
        (
            {"sender": 'x") OR (in:anywhere', "add_labels": ["TRASH"], "apply_to_existing": True},
            "INVALID_PARAMS",
        ),
    ],
)
async def test_bad_filters_are_refused_and_none_is_made(
    harness: Harness, mailbox: Mailbox, arguments: dict[str, Any], code: str
) -> None:
    async with harness.client(enhanced=True) as client:
        error = await client.error("create-filter", arguments)
    assert error["error_code"] == code
    assert mailbox.filters.all() == []


async def test_filters_are_audited(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        made = await client.ok("create-filter", {"subject": "invoice", "add_labels": ["STARRED"]})
        await client.ok("delete-filter", {"filter_id": made["id"]})
    log = (harness.home / "state" / "audit.jsonl").read_text()
    assert log.count('"tool": "create-filter", "outcome": "ok"') == 1
    assert f'"filter_id": "{made["id"]}"' in log
    assert log.count('"tool": "delete-filter", "outcome": "ok"') == 1


async def test_without_the_settings_scope_the_filter_changing_tools_are_not_offered(harness: Harness) -> None:
    async with harness.client(enhanced=True, granted_scopes=frozenset({scopes.MODIFY})) as client:
        names = {t.name for t in (await client.client.list_tools()).tools}
    assert {"list-filters", "modify-emails", "create-label"} <= names
    assert not {"create-filter", "delete-filter"} & names


async def test_over_imap_the_gmail_only_tools_are_not_offered(harness: Harness) -> None:
    async with harness.client(enhanced=True, features=frozenset()) as client:
        names = {t.name for t in (await client.client.list_tools()).tools}
    assert {"modify-emails", "create-label", "rename-label", "delete-label"} <= names
    assert not {"list-filters", "create-filter", "delete-filter", "list-changes"} & names
