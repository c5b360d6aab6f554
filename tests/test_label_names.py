"""Results name labels as people do: system labels by their ids, user labels by name.

The names are the ones `manage-labels` takes and answers with; they cost one labels.list per
server run, asked for beside the server's first listing.
"""

from __future__ import annotations

from typing import Any

import pytest

from gmail_mcp.sandbox import Mailbox
from tests.helpers import reset_stats, service_on
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

TALK = "subject:(talk accepted)"  # seeded: INBOX, STARRED, CATEGORY_PERSONAL and "Travel Plans"


async def test_lists_and_reads_show_user_labels_by_name_and_system_labels_by_id(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        searched = (await client.ok("search-emails", {"query": TALK}))["emails"]
        listed = (await client.ok("list-emails", {"query": TALK}))["emails"]
        (item,) = searched
        read = await client.ok("read-email", {"email_id": item["id"]})
        relabelled = await client.ok(
            "manage-labels", {"email_id": item["id"], "add_labels": ["Work/Projects"]}
        )
        again = (await client.ok("search-emails", {"query": TALK}))["emails"][0]
    expected = ["INBOX", "STARRED", "CATEGORY_PERSONAL", "Travel Plans"]
    assert sorted(item["labels"]) == sorted(listed[0]["labels"]) == sorted(read["labels"]) == sorted(expected)
    # The same names manage-labels answers with, and takes.
    assert sorted(relabelled["labels"]) == sorted(again["labels"]) == sorted([*expected, "Work/Projects"])


async def test_label_names_cost_one_label_list_per_server_run(harness: Harness) -> None:
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        for query in ("in:anywhere", "label:Work", "in:inbox"):
            found = (await client.ok("search-emails", {"query": query}))["emails"]
            assert not any(label.startswith("Label_") for item in found for label in item["labels"])
    assert harness.sandbox.stats()["by_method"]["gmail.users.labels.list"] == 1


async def test_a_first_search_costs_its_label_names_no_round_trip_of_their_own(harness: Harness) -> None:
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        found = (await client.ok("search-emails", {"query": "in:spam", "max_results": 5}))["emails"]
    assert found and all(label.isupper() for item in found for label in item["labels"])
    # The label list went beside the listing (tests/test_prefetch.py), even for a page that turned
    # out to need no names: the list, the label list, one batch of details.
    stats = harness.sandbox.stats()
    assert (stats["requests"], stats["by_method"]["gmail.users.labels.list"]) == (3, 1)


async def test_a_label_made_in_gmail_after_the_names_were_cached_is_named(harness: Harness) -> None:
    gmail: Any = service_on(harness.sandbox)
    async with harness.client() as client:
        item = (await client.ok("search-emails", {"query": TALK}))["emails"][0]
        # Elsewhere (the Gmail web page), a new label goes on the message.
        made = gmail.users().labels().create(userId="me", body={"name": "Speaking 2027"}).execute()
        gmail.users().messages().modify(
            userId="me", id=item["id"], body={"addLabelIds": [made["id"]]}
        ).execute()
        reset_stats(harness.sandbox)
        first = (await client.ok("search-emails", {"query": TALK}))["emails"][0]
        second = await client.ok("read-email", {"email_id": item["id"]})
    assert "Speaking 2027" in first["labels"] and "Speaking 2027" in second["labels"]
    # Asked for once, by id; the cached list is not fetched again.
    by_method = harness.sandbox.stats()["by_method"]
    assert (by_method["gmail.users.labels.get"], by_method.get("gmail.users.labels.list", 0)) == (1, 0)


async def test_a_label_name_that_could_forge_a_line_reads_as_one_quoted_token(
    harness: Harness, mailbox: Mailbox
) -> None:
    # Anyone able to create labels (the owner, another app) chose the name; it is still data.
    mailbox.labels.create({"name": "ok\u2028subject: forged"})
    email_id = mailbox.insert_raw(
        b"From: a@example.org\r\nTo: you@example.com\r\nSubject: Tagged\r\n\r\nHello\r\n",
        labels=("INBOX", "ok\u2028subject: forged"),
    )
    async with harness.client() as client:
        result = await client.call("read-email", {"email_id": email_id})
    text = result.content[0].text  # type: ignore[union-attr]
    assert "ok\u2028subject: forged" in (result.structured_content or {})["labels"]
    assert '"ok\\u2028subject: forged"' in text
    assert not any(line.startswith("subject: forged") for line in text.splitlines())
