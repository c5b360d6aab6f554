"""What Gmail holds back by attachment id is fetched before a message is read.

Gmail's `format=full` carries a body part over 256 KB (and an enclosed message sent as a file) as
an attachment id, not as data. The sandbox does the same, so these read such mail through the MCP
tools and check that every word arrives, for the cost of one extra batch.
"""

from __future__ import annotations

import pytest

from gmail_mcp.sandbox import Mailbox
from tests.helpers import inject, reset_stats
from tests.mcp_harness import Harness, StrictClient

FORWARD = (
    b"From: ann@example.org\r\nTo: you@example.com\r\nSubject: Fwd: plans\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
    b'--b\r\nContent-Type: message/global; name="plans.eml"\r\n'
    b'Content-Disposition: attachment; filename="plans.eml"\r\n\r\n'
    b"From: bob@example.net\r\nSubject: plans\r\n\r\nThe inner text.\r\n"
    b"--b--\r\n"
)


def long_text(name: str) -> str:
    """About 350 KB of distinct lines, well over what Gmail sends inline."""
    return f"{name} starts\n" + "".join(f"{name} line {n}\n" for n in range(20_000)) + f"{name} ends"


def plain(subject: str, text: str, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return (
        f"From: a@example.com\r\nSubject: {subject}\r\n{head}Content-Type: text/plain\r\n\r\n{text}".encode()
    )


async def read_whole(client: StrictClient, email_id: str) -> str:
    """The body, piece after piece (offset=next_offset) until the last."""
    pieces: list[str] = []
    offset: int | None = 0
    while offset is not None:
        email = await client.ok("read-email", {"email_id": email_id, "offset": offset, "max_chars": 100_000})
        pieces.append(email["content"])
        offset = email.get("next_offset")
    return "".join(pieces)


@pytest.mark.anyio
async def test_a_body_over_256_kb_is_fetched_by_its_attachment_id_and_reads_to_its_last_line(
    harness: Harness, mailbox: Mailbox
) -> None:
    text = long_text("big")
    email_id = mailbox.insert_raw(plain("Big", text))
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        first = await client.ok("read-email", {"email_id": email_id})
        stats = harness.sandbox.stats()
        whole = await read_whole(client, email_id)

    assert first["content"].startswith("big starts\nbig line 0\n")
    # The message, then its held-back body: one more call, in a batch of one.
    assert stats["by_method"] == {"gmail.users.messages.get": 1, "gmail.users.messages.attachments.get": 1}
    assert whole == text


@pytest.mark.anyio
async def test_a_conversation_fetches_every_held_back_body_in_one_batch(
    harness: Harness, mailbox: Mailbox
) -> None:
    first_id = mailbox.insert_raw(plain("Long", long_text("first"), "Message-ID: <long@example.com>"))
    mailbox.insert_raw(
        plain(
            "Re: Long",
            long_text("second"),
            "In-Reply-To: <long@example.com>",
            "References: <long@example.com>",
        )
    )
    async with harness.client(enhanced=True) as client:
        thread_id = (await client.ok("read-email", {"email_id": first_id}))["thread_id"]
        reset_stats(harness.sandbox)
        thread = await client.ok("read-thread", {"thread_id": thread_id, "max_chars": 100_000})
    stats = harness.sandbox.stats()

    first, second = thread["messages"]  # the second gets what the first leaves of the budget
    assert first["content"].startswith("first starts\nfirst line 0\n")
    assert second["content"].startswith("second")
    assert stats["by_method"] == {"gmail.users.threads.get": 1, "gmail.users.messages.attachments.get": 2}
    assert stats["batch_requests"] == 1


@pytest.mark.anyio
async def test_a_forward_sent_as_a_file_is_fetched_and_shown_with_its_headers_and_text(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = mailbox.insert_raw(FORWARD)
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        email = await client.ok("read-email", {"email_id": email_id})

    assert email["content"] == (
        "See below.\n\n---------- Forwarded message ----------\n"
        "From: bob@example.net\nSubject: plans\n\nThe inner text."
    )
    assert [(a["filename"], a["mime_type"]) for a in email["attachments"]] == [
        ("plans.eml", "message/global")
    ]
    assert harness.sandbox.stats()["by_method"]["gmail.users.messages.attachments.get"] == 1


@pytest.mark.anyio
async def test_a_forward_gmail_will_not_hand_over_is_still_listed_as_an_attachment(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = mailbox.insert_raw(FORWARD)
    inject(harness.sandbox, status=404, count=1, method="gmail.users.messages.attachments.get")
    async with harness.client(enhanced=True) as client:
        email = await client.ok("read-email", {"email_id": email_id})

    assert email["content"] == "See below."
    assert [a["filename"] for a in email["attachments"]] == ["plans.eml"]


@pytest.mark.anyio
async def test_a_body_gmail_will_not_hand_over_fails_the_read_rather_than_reading_as_empty(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = mailbox.insert_raw(plain("Big", long_text("big")))
    inject(harness.sandbox, status=404, count=1, method="gmail.users.messages.attachments.get")
    async with harness.client() as client:
        error = await client.error("read-email", {"email_id": email_id})
        again = await client.ok("read-email", {"email_id": email_id})

    assert error["error_code"] == "NOT_FOUND"
    assert error["error_details"]["email_id"] == email_id
    assert "body" in error["error_message"]
    assert again["content"].startswith("big starts\n")
