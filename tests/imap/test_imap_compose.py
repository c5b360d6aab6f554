"""Forward, reply to all and send-as over the IMAP backend (Dovecot and an SMTP sink), through an MCP client.

IMAP and SMTP cannot list Gmail's send-as addresses: the login is the only one, so reply to all
leaves it out and `from_alias` takes nothing else.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from tests.imap.conftest import DATA, ImapHarness, raw_client
from tests.imap.dovecot import Account
from tests.imap.smtp_sink import Sink
from tests.imap.test_dovecot_tools import find

pytestmark = pytest.mark.anyio


def received(smtp_server: Sink) -> tuple[list[str], EmailMessage]:
    """The one message the SMTP server received: its envelope recipients and the parsed bytes."""
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return sorted(message.recipients), parsed


async def test_a_forward_over_imap_carries_the_originals_file_byte_for_byte(
    imap_harness: ImapHarness, imap_server: Account, smtp_server: Sink
) -> None:
    original = email.message_from_bytes((DATA / "invoice.eml").read_bytes(), policy=email.policy.default)
    assert isinstance(original, EmailMessage)
    pdf = next(original.iter_attachments()).get_payload(decode=True)
    async with imap_harness.client(enhanced=True) as client:
        invoice = await find(client, "subject:invoice")
        sent = await client.ok(
            "forward-email",
            {
                "email_id": invoice["id"],
                "recipient_id": "carol@example.net, dan@example.org",
                "message": "For the books.",
            },
        )
    recipients, wire = received(smtp_server)
    assert recipients == ["carol@example.net", "dan@example.org"]
    assert (wire["From"], wire["Subject"], wire["In-Reply-To"]) == (
        imap_server.user,
        "Fwd: Your invoice for November",
        "<invoice-11@example.com>",
    )
    assert [(part.get_filename(), part.get_payload(decode=True)) for part in wire.iter_attachments()] == [
        ("Rechnung März.pdf", pdf)
    ]
    body = wire.get_body(("plain",))
    assert body is not None and "---------- Forwarded message ---------" in body.get_content()
    assert sent["thread_id"] == invoice["threadId"]


async def test_reply_all_over_imap_answers_everyone_but_the_login_and_no_alias_is_offered(
    imap_harness: ImapHarness, imap_server: Account, smtp_server: Sink
) -> None:
    raw = (
        "From: Ann <ann@example.org>\r\n"
        f"To: Alice <{imap_server.user.upper()}>, bo@example.org\r\n"
        "Cc: carol@example.org\r\n"
        "Subject: Offsite dates\r\n"
        "Message-ID: <offsite@example.org>\r\n\r\nWhich week?\r\n"
    ).encode()
    client = raw_client(imap_server)
    client.append("INBOX", raw)
    client.logout()
    async with imap_harness.client() as mcp:
        offsite = await find(mcp, "subject:offsite")
        alias = await mcp.error(
            "send-email",
            {
                "recipient_id": "ann@example.org",
                "subject": "x",
                "message": "y",
                "from_alias": "me@else.example",
            },
        )
        await mcp.ok(
            "send-email",
            {
                "recipient_id": "",
                "subject": "x",
                "message": "Week 3.",
                "thread_id": offsite["id"],
                "reply_all": True,
            },
        )
    assert alias["error_code"] == "INVALID_PARAMS" and alias["error_details"]["send_as"] == [imap_server.user]
    recipients, wire = received(smtp_server)
    assert recipients == ["ann@example.org", "bo@example.org", "carol@example.org"]
    assert (wire["To"], wire["Cc"], wire["Subject"]) == (
        "Ann <ann@example.org>, bo@example.org",
        "carol@example.org",
        "Re: Offsite dates",
    )
