"""A list's `has_attachments` says what read-email will list, at no extra call or quota unit.

What counts as an attachment is `mime.list_attachments`: files, inline images, forwarded
messages, calendar invitations. Lists learn it from each message's MIME structure (a format=full
get reduced by a `fields` selection), so the flag and read-email never disagree; the shared
corpus is checked in tests/test_content.py.
"""

from __future__ import annotations

import pytest

from gmail_mcp.gmail.convert import SUMMARY_PART_DEPTH
from gmail_mcp.sandbox import Mailbox
from tests.helpers import reset_stats
from tests.mcp_harness import Harness, StrictClient

pytestmark = pytest.mark.anyio


async def flags_and_reads(client: StrictClient, query: str) -> list[tuple[str, bool, list[str]]]:
    """(subject, has_attachments, filenames read-email lists) of every message `query` finds."""
    listed = (await client.ok("search-emails", {"query": query, "max_results": 50}))["emails"]
    found = []
    for item in listed:
        read = await client.ok("read-email", {"email_id": item["id"]})
        found.append((item["subject"], item["has_attachments"], [a["filename"] for a in read["attachments"]]))
    return found


def disagreements(found: list[tuple[str, bool, list[str]]]) -> list[tuple[str, bool, list[str]]]:
    return [(subject, flag, files) for subject, flag, files in found if flag != bool(files)]


async def test_has_attachments_agrees_with_read_email_on_every_seeded_message(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        found = await flags_and_reads(client, "in:anywhere")
    assert len(found) == 50
    assert disagreements(found) == []
    # Both kinds occur: an inline photo in a multipart/related counts (read-email lists it).
    assert {flag for _, flag, _ in found} == {True, False}
    assert ("Photos from the garden", True, ["dahlias.png"]) in found


async def test_a_list_learns_attachments_at_no_extra_call_or_unit(harness: Harness) -> None:
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        found = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})
    stats = harness.sandbox.stats()
    assert any(item["has_attachments"] for item in found["emails"])
    # 2026 costs: messages.list 5 + 20 x messages.get 20, as with format=metadata (two batches of
    # 10), and the label names once per server run (labels.list 1).
    assert stats["by_method"] == {
        "gmail.users.messages.list": 1,
        "gmail.users.messages.get": 20,
        "gmail.users.labels.list": 1,
    }
    assert (stats["requests"], stats["quota_units"]) == (4, 406)


def nested(depth: int, leaf: str, root: str = "multipart/mixed") -> bytes:
    """A message whose one leaf sits `depth` multiparts down (the root being the first)."""
    head = (
        f"From: Dana <dana@example.org>\r\nTo: you@example.com\r\nSubject: Nested {depth}\r\n"
        f"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nMessage-ID: <nested-{depth}@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    body = leaf
    for level in reversed(range(depth)):
        kind = root if level == 0 else "multipart/mixed"
        boundary = f"b{level}"
        body = (
            f'Content-Type: {kind}; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nlevel {level}\r\n"
            f"--{boundary}\r\n{body}\r\n--{boundary}--\r\n"
        )
    return (head + body).encode()


# A file with no name: only its Content-Disposition header says it is one.
UNNAMED_FILE = "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nfigures\r\n"


@pytest.mark.parametrize("depth", [2, SUMMARY_PART_DEPTH, SUMMARY_PART_DEPTH + 1, SUMMARY_PART_DEPTH + 3])
async def test_a_file_however_deeply_nested_is_flagged(
    harness: Harness, mailbox: Mailbox, depth: int
) -> None:
    mailbox.insert_raw(nested(depth, UNNAMED_FILE))
    async with harness.client(enhanced=True) as client:
        found = await flags_and_reads(client, f'subject:"Nested {depth}"')
    assert found == [(f"Nested {depth}", True, ["attachment-" + ".".join(["1"] * depth) + ".txt"])]


async def test_a_mixed_message_holding_only_its_body_is_not_flagged(
    harness: Harness, mailbox: Mailbox
) -> None:
    # The top-level type says multipart/mixed (the old guess: attachments); the parts say body only.
    mailbox.insert_raw(nested(1, "Content-Type: text/html\r\n\r\n<p>hello</p>\r\n"))
    async with harness.client(enhanced=True) as client:
        found = await flags_and_reads(client, 'subject:"Nested 1"')
    assert found == [("Nested 1", False, [])]


async def test_mail_whose_declared_boundary_never_appears_is_flagged_as_read_email_reads_it(
    harness: Harness, mailbox: Mailbox
) -> None:
    # Spam does this: Gmail leaves the multipart unsplit, its body as data, which a list never
    # fetches; read-email's recovering parser finds the boundary really used, and the file.
    mailbox.insert_raw(
        b"From: promo@example.net\r\nTo: you@example.com\r\nSubject: Unsplit\r\n"
        b"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n'
        b"--actual\r\nContent-Type: text/plain\r\n\r\nSee the invoice.\r\n"
        b'--actual\r\nContent-Type: application/pdf; name="invoice.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--actual--\r\n"
    )
    async with harness.client(enhanced=True) as client:
        found = await flags_and_reads(client, "subject:Unsplit")
    assert found == [("Unsplit", True, ["invoice.pdf"])]
