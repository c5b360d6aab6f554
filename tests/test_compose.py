"""Forward, reply to all, and sending as an alias with its signature, through an MCP client.

What went out is read from the sandbox: its outbox for the envelope (Bcc included), the stored Sent
copy for the bytes, never from the product.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.content.forward import FORWARD_MARKER
from gmail_mcp.sandbox import Mailbox
from tests.helpers import reset_stats, service_on
from tests.mcp_harness import Harness
from tests.test_safety import elicitation

pytestmark = pytest.mark.anyio

ALIAS = "alex.morgan@harborlabs.example"


def stored(harness: Harness, email_id: str) -> EmailMessage:
    """The message as the sandbox stores it, parsed."""
    answer = (
        service_on(harness.sandbox).users().messages().get(userId="me", id=email_id, format="raw").execute()
    )
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(answer["raw"]), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def files_of(message: EmailMessage) -> dict[str, str]:
    """Every file a message carries: its name and the SHA-256 of its bytes."""
    found = {}
    for part in message.walk():
        name = part.get_filename()
        if name and not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[name] = hashlib.sha256(payload).hexdigest()
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def audit(harness: Harness) -> list[dict[str, Any]]:
    path = harness.settings().paths.audit_log
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def find(client: Any, query: str) -> dict[str, Any]:
    found = await client.ok("search-emails", {"query": query, "max_results": 1})
    assert found["emails"], query
    email_item: dict[str, Any] = found["emails"][0]
    return email_item


def insert(mailbox: Mailbox, headers: str, body: str = "Hello.", labels: tuple[str, ...] = ("INBOX",)) -> str:
    raw = (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body + "\r\n").encode()
    return mailbox.insert_raw(raw, labels)


# -- forward -------------------------------------------------------------------------------------


async def test_a_forward_arrives_with_the_originals_files_byte_identical_in_the_senders_thread(
    harness: Harness,
) -> None:
    async with harness.client(enhanced=True) as client:
        original = await find(client, 'subject:"p95 latency"')
        reset_stats(harness.sandbox)
        sent = await client.ok(
            "forward-email",
            {"email_id": original["id"], "recipient_id": "sam@example.org", "message": "FYI, see the chart."},
        )
    stats = harness.sandbox.stats()
    assert stats["outbox"] == [
        {
            "id": sent["message_id"],
            "threadId": original["threadId"],
            "from": "Alex Morgan <you@example.com>",
            "to": ["sam@example.org"],
            "cc": [],
            "bcc": [],
            "subject": f"Fwd: {original['subject']}",
        }
    ]
    # One fetch of the original's bytes (attachments included), one send.
    assert stats["by_method"] == {"gmail.users.messages.get": 1, "gmail.users.messages.send": 1}
    copy, source = stored(harness, sent["message_id"]), stored(harness, original["id"])
    assert files_of(copy) == files_of(source) and set(files_of(copy)) == {
        "p95-latency-by-week.png",
        "p95-by-week.csv",
    }
    assert copy["In-Reply-To"] == source["Message-ID"]
    text = text_of(copy)
    assert text.startswith("FYI, see the chart.\n\n" + FORWARD_MARKER + "\nFrom: ")
    assert f"Subject: {original['subject']}" in text and "Date: " in text


async def test_a_forward_carries_inline_images_and_enclosed_emails_as_files(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        photos = await find(client, 'subject:"Photos from the garden"')
        enclosed = await find(client, 'subject:"Export to CSV times out"')
        with_photo = await client.ok(
            "forward-email", {"email_id": photos["id"], "recipient_id": "sam@example.org"}
        )
        with_email = await client.ok(
            "forward-email", {"email_id": enclosed["id"], "recipient_id": "sam@example.org"}
        )
    assert files_of(stored(harness, with_photo["message_id"])) == files_of(stored(harness, photos["id"]))
    # The enclosed email travels as a file holding exactly its bytes in the original.
    (name, part), *others = [
        (p.get_filename(), p) for p in stored(harness, with_email["message_id"]).walk() if p.get_filename()
    ]
    assert not others and name == "Export to CSV times out for large workspaces.eml"
    original = (
        service_on(harness.sandbox).users().messages().get(userId="me", id=enclosed["id"], format="raw")
    )
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes) and len(payload) > 500
    assert payload in base64.urlsafe_b64decode(original.execute()["raw"])
    assert with_email["thread_id"] == enclosed["threadId"]


async def test_a_large_forward_goes_through_the_upload_endpoint_and_stays_exact(
    harness: Harness, mailbox: Mailbox
) -> None:
    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = "ann@example.org", "you@example.com", "Raw footage"
    big["Message-ID"] = "<footage@example.org>"
    big.set_content("The footage, as promised.")
    data = bytes(range(256)) * (6 * 4096)  # 6 MiB: more than a JSON body may carry
    big.add_attachment(data, maintype="video", subtype="mp4", filename="footage.mp4")
    email_id = mailbox.insert_raw(big.as_bytes(), ("INBOX",))
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        sent = await client.ok("forward-email", {"email_id": email_id, "recipient_id": "sam@example.org"})
    assert harness.sandbox.stats()["upload_requests"] >= 1
    assert files_of(stored(harness, sent["message_id"])) == {"footage.mp4": hashlib.sha256(data).hexdigest()}


async def test_a_hostile_originals_headers_are_neutralised_in_the_forward(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = insert(
        mailbox,
        "From: =?utf-8?q?Bank=0D=0ABcc:_spy@evil.example?= <ann@example.org>\n"
        "To: you@example.com\n"
        "Subject: =?utf-8?q?Invoice=0D=0ABcc:_spy@evil.example?= \u202egpj.exe\n"
        "Message-ID: <hostile@example.org>",
        "Pay now.",
    )
    async with harness.client(enhanced=True) as client:
        sent = await client.ok("forward-email", {"email_id": email_id, "recipient_id": "sam@example.org"})
    outbox = harness.sandbox.stats()["outbox"][-1]
    assert (outbox["to"], outbox["cc"], outbox["bcc"]) == (["sam@example.org"], [], [])
    assert outbox["subject"] == "Fwd: Invoice Bcc: spy@evil.example gpj.exe"
    copy = stored(harness, sent["message_id"])
    assert copy.get_all("Bcc") is None
    assert 'From: "Bank Bcc: spy@evil.example" <ann@example.org>\n' in text_of(copy)


async def test_a_forward_is_checked_like_any_send(harness: Harness) -> None:
    async with harness.client(enhanced=True, allowed_recipients=("example.org",)) as client:
        original = await find(client, 'subject:"p95 latency"')
        reset_stats(harness.sandbox)
        refused = await client.error(
            "forward-email", {"email_id": original["id"], "recipient_id": "sam@example.org, eve@evil.example"}
        )
        missing = await client.error(
            "forward-email", {"email_id": "18c9abcdef012345", "recipient_id": "sam@example.org"}
        )
    assert refused["error_code"] == "PERMISSION_DENIED" and refused["error_details"]["refused"] == [
        "eve@evil.example"
    ]
    assert missing["error_code"] == "NOT_FOUND"
    assert harness.sandbox.stats()["sent"] == 0
    # The refusal needed nothing from Gmail: the recipients are checked first.
    assert harness.sandbox.stats()["by_method"] == {"gmail.users.messages.get": 1}
    assert [(r["tool"], r["outcome"]) for r in audit(harness)] == [
        ("forward-email", "refused"),
        ("forward-email", "error"),
    ]


async def test_a_declined_forward_sends_nothing_and_the_question_shows_the_files(harness: Harness) -> None:
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": elicitation("decline", asked)}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        original = await find(client, 'subject:"September expenses"')
        error = await client.error(
            "forward-email", {"email_id": original["id"], "recipient_id": "sam@example.org"}
        )
    assert error["error_code"] == "PERMISSION_DENIED"
    assert harness.sandbox.stats()["sent"] == 0
    assert "Fwd: September expenses" in asked[0] and "expenses-2026-09.csv" in asked[0]


# -- reply to all --------------------------------------------------------------------------------


async def test_reply_all_reaches_every_participant_but_the_user_and_their_aliases(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = insert(
        mailbox,
        "From: Ann <ann@example.org>\n"
        "Reply-To: Ann's team <team@example.org>\n"
        f"To: Alex <you@example.com>, Bo <bo@example.org>, {ALIAS}\n"
        "Cc: carol@example.org, BO@example.org, undisclosed-recipients:;\n"
        "Subject: Plans\n"
        "Message-ID: <plans@example.org>",
    )
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "",
                "subject": "x",
                "message": "Count me in.",
                "thread_id": email_id,
                "reply_all": True,
            },
        )
    stats = harness.sandbox.stats()
    # Who the user is comes from sendAs.list alone (it holds the login): no getProfile.
    assert "gmail.users.getProfile" not in stats["by_method"], stats["by_method"]
    assert stats["by_method"].get("gmail.users.settings.sendAs.list") == 1
    outbox = stats["outbox"][-1]
    assert (outbox["to"], outbox["cc"], outbox["subject"]) == (
        ["team@example.org", "bo@example.org"],
        ["carol@example.org"],
        "Re: Plans",
    )
    assert sent["thread_id"] == email_id


async def test_reply_all_to_ones_own_email_answers_its_recipients_again(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = insert(
        mailbox,
        "From: Alex <you@example.com>\nTo: dana@example.org\nCc: eli@example.org\nSubject: Agenda\n"
        "Message-ID: <agenda@example.com>",
        labels=("SENT",),
    )
    async with harness.client() as client:
        await client.ok(
            "create-draft",
            {
                "recipient": "fay@example.org",
                "subject": "x",
                "message": "Also:",
                "thread_id": email_id,
                "reply_all": True,
            },
        )
        drafts = await client.ok("list-drafts", {"max_results": 1})
    draft_raw = stored(harness, drafts["drafts"][0]["message"]["id"])
    assert draft_raw["To"] == "fay@example.org, dana@example.org" and draft_raw["Cc"] == "eli@example.org"


async def test_reply_all_to_a_note_to_oneself_asks_whom_to_answer(harness: Harness, mailbox: Mailbox) -> None:
    note = insert(mailbox, f"From: you@example.com\nTo: {ALIAS}\nSubject: Note to self", labels=("SENT",))
    async with harness.client() as client:
        error = await client.error(
            "send-email",
            {"recipient_id": "", "subject": "x", "message": "y", "thread_id": note, "reply_all": True},
        )
    assert (error["error_code"], error["error_details"]) == ("INVALID_PARAMS", {"field": "reply_all"})
    assert "recipient_id" in error["error_message"]
    assert harness.sandbox.stats()["sent"] == 0


async def test_reply_all_still_passes_the_allow_list_and_needs_a_thread(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = insert(mailbox, "From: ann@example.org\nTo: you@example.com, eve@evil.example\nSubject: Hi")
    async with harness.client(allowed_recipients=("example.org",)) as client:
        refused = await client.error(
            "send-email",
            {"recipient_id": "", "subject": "x", "message": "y", "thread_id": email_id, "reply_all": True},
        )
        threadless = await client.error(
            "send-email",
            {"recipient_id": "ann@example.org", "subject": "x", "message": "y", "reply_all": True},
        )
    assert refused["error_code"] == "PERMISSION_DENIED" and refused["error_details"]["refused"] == [
        "eve@evil.example"
    ]
    assert threadless["error_code"] == "INVALID_PARAMS"
    assert harness.sandbox.stats()["sent"] == 0


# -- send as an alias, with its signature -------------------------------------------------------------


async def test_an_email_sent_as_an_alias_carries_its_name_and_signature(harness: Harness) -> None:
    async with harness.client() as client:
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "sam@example.org",
                "subject": "Hi",
                "message": "See you.",
                "from_alias": ALIAS.upper(),
            },
        )
    assert harness.sandbox.stats()["outbox"][-1]["from"] == f'"Alex Morgan (Harbor Labs)" <{ALIAS}>'
    copy = stored(harness, sent["message_id"])
    assert text_of(copy).startswith("See you.\n\n-- \n**Alex Morgan**\nEngineering Manager, Harbor Labs")
    html = copy.get_body(("html",))
    assert html is not None and '<div class="gmail_signature">' in str(html.get_content())


async def test_without_an_alias_nothing_is_added_and_nothing_extra_is_asked(harness: Harness) -> None:
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        plain = await client.ok(
            "send-email", {"recipient_id": "sam@example.org", "subject": "A", "message": "One."}
        )
    assert harness.sandbox.stats()["by_method"] == {"gmail.users.messages.send": 1}
    assert text_of(stored(harness, plain["message_id"])) == "One.\n"


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("alex@old-startup.example", "PERMISSION_DENIED"),  # not verified yet
        ("ceo@bank.example", "INVALID_PARAMS"),  # not the account's
        ("you@example.com\r\nBcc: spy@evil.example", "INVALID_PARAMS"),
    ],
)
async def test_only_a_verified_send_as_address_may_be_sent_from(
    harness: Harness, alias: str, code: str
) -> None:
    async with harness.client(enhanced=True) as client:
        error = await client.error(
            "send-email",
            {"recipient_id": "sam@example.org", "subject": "Hi", "message": "x", "from_alias": alias},
        )
        original = await find(client, 'subject:"p95 latency"')
        forward = await client.error(
            "forward-email",
            {"email_id": original["id"], "recipient_id": "sam@example.org", "from_alias": alias},
        )
    assert error["error_code"] == forward["error_code"] == code
    assert harness.sandbox.stats()["sent"] == 0
    if code == "INVALID_PARAMS" and "\r" not in alias:
        assert error["error_details"]["send_as"] == ["you@example.com", ALIAS]


async def test_a_draft_written_as_an_alias_keeps_it_when_updated(harness: Harness, tmp_path: Path) -> None:
    async with harness.client(enhanced=True) as client:
        draft = await client.ok(
            "create-draft",
            {"recipient": "sam@example.org", "subject": "Hi", "message": "x", "from_alias": ALIAS},
        )
        await client.ok("update-draft", {"draft_id": draft["draft_id"], "subject": "Hello"})
        sent = await client.ok("send-draft", {"draft_id": draft["draft_id"]})
    outbox = harness.sandbox.stats()["outbox"][-1]
    assert (outbox["from"], outbox["subject"]) == (f'"Alex Morgan (Harbor Labs)" <{ALIAS}>', "Hello")
    assert text_of(stored(harness, sent["message_id"])).count("Engineering Manager") == 1


async def test_a_draft_written_elsewhere_from_another_address_is_updated_as_the_login(
    harness: Harness, mailbox: Mailbox
) -> None:
    raw = b"From: The CEO <ceo@bank.example>\r\nTo: sam@example.org\r\nSubject: Wire\r\n\r\nPlease pay.\r\n"
    with mailbox.lock:
        draft_id, _ = mailbox.create_draft(raw, None)
    async with harness.client(enhanced=True) as client:
        updated = await client.ok("update-draft", {"draft_id": draft_id, "message": "Never mind."})
    assert stored(harness, updated["message_id"])["From"] is None  # Gmail would put the login there


async def test_reply_all_to_a_hostile_email_neutralises_names_and_keeps_gmails_recipient_limit(
    harness: Harness, mailbox: Mailbox
) -> None:
    crowd = ", ".join(f"p{n}@example.org" for n in range(120))
    hostile = insert(
        mailbox,
        "From: =?utf-8?q?Ann=0D=0ABcc:_spy@evil.example?= <ann@example.org>\n"
        "To: you@example.com\n"
        "Cc: =?utf-8?b?4oCuQm8=?= <bo@example.org>, <spy@@evil.example>, not-an-address\n"
        "Subject: Hi",
    )
    crowded = insert(mailbox, f"From: ann@example.org\nTo: you@example.com\nCc: {crowd}\nSubject: All hands")
    async with harness.client() as client:
        reply = {"recipient_id": "", "subject": "x", "message": "y", "reply_all": True}
        sent = await client.ok("send-email", {**reply, "thread_id": hostile})
        too_many = await client.error("send-email", {**reply, "thread_id": crowded})
    outbox = harness.sandbox.stats()["outbox"]
    assert [(e["to"], e["cc"], e["bcc"]) for e in outbox] == [(["ann@example.org"], ["bo@example.org"], [])]
    copy = stored(harness, sent["message_id"])
    assert (
        copy["To"] == '"Ann Bcc: spy@evil.example" <ann@example.org>' and copy["Cc"] == "Bo <bo@example.org>"
    )
    assert too_many["error_code"] == "INVALID_PARAMS" and too_many["error_details"]["recipients"] == 121
