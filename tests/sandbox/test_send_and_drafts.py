"""Sending and drafts: Gmail's header rewrite, labels, threading rule and the draft lifecycle."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.conftest import FakeClock
from tests.helpers import service_on

GMAIL_MESSAGE_ID = re.compile(rb"<CA[A-Za-z0-9_-]+\.\d+@mail\.gmail\.com>")


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data)


def outgoing(headers: str, body: str = "Hi.") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body + "\r\n").encode()


def http_error(request: Any) -> HttpError:
    with pytest.raises(HttpError) as info:
        request.execute()
    return info.value


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox(owner_name="Alex Morgan", clock=fake_clock)


def stored_raw(service: Any, message_id: str) -> bytes:
    return decode(service.users().messages().get(userId="me", id=message_id, format="raw").execute()["raw"])


def test_send_adds_from_and_date_replaces_the_message_id_and_drops_bcc(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    raw = outgoing(
        """
To: Bo <bo@example.com>
Bcc: secret@example.com
Subject: Hello
Message-ID: <mine@client.example>
"""
    )
    sent = gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    assert sent == {"id": sent["id"], "threadId": sent["id"], "labelIds": ["SENT"]}
    stored = stored_raw(gmail_service, sent["id"])
    gmail_id = GMAIL_MESSAGE_ID.search(stored)
    assert gmail_id is not None  # Gmail's own Message-ID, not the client's
    assert stored == (
        b"From: Alex Morgan <you@example.com>\r\n"
        b"Date: Wed, 18 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: " + gmail_id.group() + b"\r\n"
        b"To: Bo <bo@example.com>\r\nSubject: Hello\r\n\r\nHi.\r\n"
    )
    assert sandbox.stats()["outbox"] == [
        {
            "id": sent["id"],
            "threadId": sent["id"],
            "from": "Alex Morgan <you@example.com>",
            "to": ["bo@example.com"],
            "cc": [],
            "bcc": ["secret@example.com"],
            "subject": "Hello",
        }
    ]
    assert sandbox.stats()["sent"] == 1


def test_the_sender_can_still_search_bcc_of_sent_mail(gmail_service: Any, fake_clock: FakeClock) -> None:
    raw = outgoing("To: bo@example.com\nBcc: secret@example.com\nSubject: hush")
    sent = gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    fake_clock.advance(1)  # Gmail's search index catches up with new mail after a moment
    found = gmail_service.users().messages().list(userId="me", q="bcc:secret@example.com").execute()
    assert found["messages"] == [{"id": sent["id"], "threadId": sent["id"]}]


def test_send_adds_a_message_id_when_missing(gmail_service: Any) -> None:
    raw = outgoing("From: you@example.com\nTo: bo@example.com\nSubject: x")
    sent = gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    assert GMAIL_MESSAGE_ID.search(stored_raw(gmail_service, sent["id"]))


def test_drafts_send_replaces_the_message_id_too(gmail_service: Any) -> None:
    drafts = gmail_service.users().drafts()
    raw = outgoing("To: bo@example.com\nSubject: Plan\nMessage-ID: <draft@client.example>")
    created = drafts.create(userId="me", body={"message": {"raw": encode(raw)}}).execute()
    assert b"<draft@client.example>" in stored_raw(
        gmail_service, created["message"]["id"]
    )  # kept while a draft
    sent = drafts.send(userId="me", body={"id": created["id"]}).execute()
    stored = stored_raw(gmail_service, sent["id"])
    assert b"draft@client.example" not in stored and GMAIL_MESSAGE_ID.search(stored)


def test_a_client_message_id_finds_nothing_after_the_send_but_custom_headers_stay(
    gmail_service: Any, fake_clock: FakeClock
) -> None:
    raw = outgoing("To: bo@example.com\nSubject: x\nMessage-ID: <mine@client.example>\nX-Entity-Ref-ID: 42")
    sent = gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    fake_clock.advance(60)
    found = gmail_service.users().messages().list(userId="me", q="rfc822msgid:mine@client.example").execute()
    assert "messages" not in found
    assert b"\r\nX-Entity-Ref-ID: 42\r\n" in stored_raw(gmail_service, sent["id"])


def test_with_the_rewrite_switched_off_the_client_message_id_is_kept(
    mailbox: Mailbox, fake_clock: FakeClock, gmail_factory: Any
) -> None:
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(rewrite_message_id=False)) as server:
        service = service_on(server)
        raw = outgoing("To: bo@example.com\nSubject: x\nMessage-ID: <mine@client.example>")
        sent = service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
        assert b"Message-ID: <mine@client.example>" in stored_raw(service, sent["id"])


def test_new_mail_is_found_by_labels_at_once_and_by_search_after_the_index_delay(
    gmail_service: Any, fake_clock: FakeClock
) -> None:
    messages = gmail_service.users().messages()
    raw = outgoing("To: bo@example.com\nSubject: fresh news")
    sent = messages.send(userId="me", body={"raw": encode(raw)}).execute()
    by_label = messages.list(userId="me", labelIds=["SENT"]).execute()
    assert by_label["messages"] == [{"id": sent["id"], "threadId": sent["id"]}]
    for query in ("subject:fresh", "in:sent", "fresh news"):
        assert "messages" not in messages.list(userId="me", q=query).execute()
    assert "messages" not in messages.list(userId="me", labelIds=["SENT"], q="fresh").execute()
    fake_clock.advance(0.999)
    assert "messages" not in messages.list(userId="me", q="subject:fresh").execute()
    fake_clock.advance(0.001)  # the default index delay is one second
    assert messages.list(userId="me", q="subject:fresh").execute()["messages"] == [
        {"id": sent["id"], "threadId": sent["id"]}
    ]


def test_the_index_delay_is_configurable(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(index_delay_ms=5000)) as server:
        messages = service_on(server).users().messages()
        messages.send(
            userId="me", body={"raw": encode(outgoing("To: bo@example.com\nSubject: slow"))}
        ).execute()
        fake_clock.advance(4.9)
        assert "messages" not in messages.list(userId="me", q="slow").execute()
        fake_clock.advance(0.1)
        assert len(messages.list(userId="me", q="slow").execute()["messages"]) == 1


@pytest.mark.parametrize(
    ("headers", "labels"),
    [
        ("To: bo@example.com", ["SENT"]),
        ("To: bo@example.com\nCc: You <YOU@example.com>", ["INBOX", "SENT", "UNREAD"]),
        ("To: bo@example.com\nBcc: you@example.com", ["INBOX", "SENT", "UNREAD"]),
    ],
)
def test_mail_sent_to_oneself_also_lands_in_the_inbox(
    gmail_service: Any, headers: str, labels: list[str]
) -> None:
    raw = outgoing(headers + "\nSubject: note")
    assert (
        gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()["labelIds"]
        == labels
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (encode(outgoing("Subject: nobody")), "Recipient address required"),
        (encode(outgoing("To: undisclosed-recipients:;\nSubject: nobody")), "Recipient address required"),
        (encode(outgoing("To: not an address\nSubject: x")), "Invalid To header"),
        (encode(outgoing("To: a@example.com\nCc: b@@example.com\nSubject: x")), "Invalid Cc header"),
        ("***not base64***", "Invalid value at 'raw' (TYPE_BYTES), Base64 decoding failed"),
    ],
)
def test_unsendable_messages_are_400(
    gmail_service: Any, sandbox: SandboxServer, raw: str, message: str
) -> None:
    error = http_error(gmail_service.users().messages().send(userId="me", body={"raw": raw}))
    assert (error.resp.status, error.error_details[0]["reason"], error.reason) == (
        400,
        "invalidArgument",
        message,
    )
    assert sandbox.stats()["sent"] == 0


def test_a_message_over_35_mb_is_refused(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    # Gmail's 35 MB limit on the message itself, apart from its 5 MiB limit on JSON bodies.
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(max_json_body=None)) as server:
        service = service_on(server)
        raw = outgoing("To: bo@example.com\nSubject: huge", "x" * 36_700_160)
        error = http_error(service.users().messages().send(userId="me", body={"raw": encode(raw)}))
        assert (error.resp.status, error.error_details[0]["reason"]) == (400, "invalidArgument")


@pytest.mark.parametrize("method", ["send", "drafts.create"])
def test_a_json_body_over_5_mib_is_refused_with_413_and_nothing_is_stored(
    gmail_service: Any, sandbox: SandboxServer, mailbox: Mailbox, method: str
) -> None:
    raw = outgoing("To: bo@example.com\nSubject: big", "x" * (4 * 1024 * 1024))  # 5.3 MiB once encoded
    users = gmail_service.users()
    request = (
        users.messages().send(userId="me", body={"raw": encode(raw)})
        if method == "send"
        else users.drafts().create(userId="me", body={"message": {"raw": encode(raw)}})
    )
    error = http_error(request)
    assert (error.resp.status, error.reason) == (
        413,
        "Request payload size exceeds the limit: 5242880 bytes.",
    )
    assert (mailbox.all_messages(), sandbox.stats()["by_method"]) == ([], {})


ORIGINAL = outgoing(
    "From: Bo <bo@example.com>\nTo: you@example.com\nSubject: Lunch?\nMessage-ID: <lunch@bo.example>"
)


@pytest.mark.parametrize(
    ("thread_given", "headers", "joins"),
    [
        (True, "In-Reply-To: <lunch@bo.example>\nReferences: <lunch@bo.example>\nSubject: Re: Lunch?", True),
        (True, "References: <other@x> <lunch@bo.example>\nSubject: RE: re: lunch?", True),
        (True, "In-Reply-To: <lunch@bo.example>\nSubject: Dinner?", False),  # subject differs
        (True, "Subject: Re: Lunch?", False),  # no reference to the thread
        (False, "In-Reply-To: <lunch@bo.example>\nSubject: Re: Lunch?", False),  # no threadId
    ],
)
def test_a_sent_reply_joins_a_thread_only_under_gmails_rule(
    gmail_service: Any, mailbox: Mailbox, thread_given: bool, headers: str, joins: bool
) -> None:
    thread_id = mailbox.insert_raw(ORIGINAL)
    body: dict[str, str] = {"raw": encode(outgoing("To: bo@example.com\n" + headers))}
    if thread_given:
        body["threadId"] = thread_id
    sent = gmail_service.users().messages().send(userId="me", body=body).execute()
    assert (sent["threadId"] == thread_id) is joins


def test_delivered_replies_join_the_thread_they_reference(gmail_service: Any, mailbox: Mailbox) -> None:
    first = mailbox.insert_raw(ORIGINAL)
    reply = mailbox.insert_raw(
        outgoing(
            "From: Cy <cy@example.com>\nTo: bo@example.com\nSubject: other words\nIn-Reply-To: <lunch@bo.example>"
        )
    )
    thread = gmail_service.users().threads().get(userId="me", id=first, format="minimal").execute()
    assert [m["id"] for m in thread["messages"]] == [first, reply]


def test_draft_lifecycle_create_update_send(gmail_service: Any, sandbox: SandboxServer) -> None:
    drafts = gmail_service.users().drafts()
    first = outgoing("To: bo@example.com\nBcc: boss@example.com\nSubject: Plan", "v1")
    created = drafts.create(userId="me", body={"message": {"raw": encode(first)}}).execute()
    draft_id, first_message = created["id"], created["message"]["id"]
    assert created == {
        "id": draft_id,
        "message": {"id": first_message, "threadId": first_message, "labelIds": ["DRAFT"]},
    }
    assert draft_id.startswith("r") and draft_id[1:].isdigit()
    assert drafts.list(userId="me").execute() == {
        "drafts": [{"id": draft_id, "message": {"id": first_message, "threadId": first_message}}],
        "resultSizeEstimate": 1,
    }
    got = drafts.get(userId="me", id=draft_id, format="raw").execute()
    assert (got["id"], decode(got["message"]["raw"])) == (draft_id, first)  # kept as written, Bcc included

    second = outgoing("To: bo@example.com\nBcc: boss@example.com\nSubject: Plan", "v2")
    updated = drafts.update(userId="me", id=draft_id, body={"message": {"raw": encode(second)}}).execute()
    assert updated["id"] == draft_id and updated["message"]["id"] != first_message
    assert http_error(gmail_service.users().messages().get(userId="me", id=first_message)).resp.status == 404

    sent = drafts.send(userId="me", body={"id": draft_id}).execute()
    assert sent == {
        "id": updated["message"]["id"],
        "threadId": updated["message"]["threadId"],
        "labelIds": ["SENT"],
    }
    assert b"Bcc" not in stored_raw(gmail_service, sent["id"])
    assert sandbox.stats()["outbox"][0]["bcc"] == ["boss@example.com"]
    assert drafts.list(userId="me").execute() == {"resultSizeEstimate": 0}
    assert http_error(drafts.get(userId="me", id=draft_id)).resp.status == 404


def test_a_draft_without_recipients_cannot_be_sent_and_stays(gmail_service: Any) -> None:
    drafts = gmail_service.users().drafts()
    draft_id = drafts.create(
        userId="me", body={"message": {"raw": encode(outgoing("Subject: todo"))}}
    ).execute()["id"]
    error = http_error(drafts.send(userId="me", body={"id": draft_id}))
    assert (error.resp.status, error.reason) == (400, "Recipient address required")
    assert drafts.get(userId="me", id=draft_id, format="minimal").execute()["message"]["labelIds"] == [
        "DRAFT"
    ]


def test_drafts_send_with_a_message_updates_it_first(gmail_service: Any) -> None:
    drafts = gmail_service.users().drafts()
    draft_id = drafts.create(
        userId="me", body={"message": {"raw": encode(outgoing("Subject: todo"))}}
    ).execute()["id"]
    final = outgoing("To: bo@example.com\nSubject: done")
    sent = drafts.send(userId="me", body={"id": draft_id, "message": {"raw": encode(final)}}).execute()
    assert b"Subject: done" in stored_raw(gmail_service, sent["id"])


def test_deleted_drafts_are_gone_with_their_message(gmail_service: Any) -> None:
    drafts = gmail_service.users().drafts()
    created = drafts.create(userId="me", body={"message": {"raw": encode(outgoing("Subject: x"))}}).execute()
    assert drafts.delete(userId="me", id=created["id"]).execute() == ""
    assert (
        http_error(gmail_service.users().messages().get(userId="me", id=created["message"]["id"])).resp.status
        == 404
    )


@pytest.mark.parametrize(("draft_id", "status"), [("r123", 404), ("abc", 400)])
def test_unknown_and_malformed_draft_ids(gmail_service: Any, draft_id: str, status: int) -> None:
    assert http_error(gmail_service.users().drafts().get(userId="me", id=draft_id)).resp.status == status


def test_httplib2_silently_resends_a_send_whose_answer_was_lost(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    """What the real client stack does with a lost response, so client tests can guard against it:
    httplib2 retries once on a closed connection, even a POST, and the email goes out twice."""
    gmail_service.users().getProfile(userId="me").execute()  # the keep-alive connection now exists
    spec: dict[str, Any] = {"reset": True, "applied": True, "method": "gmail.users.messages.send"}
    requests.post(sandbox.url + "/__sandbox/faults", json=spec, timeout=10)
    raw = base64.urlsafe_b64encode(b"To: bo@example.com\r\nSubject: once?\r\n\r\nx").decode()
    assert gmail_service.users().messages().send(userId="me", body={"raw": raw}).execute()["labelIds"] == [
        "SENT"
    ]
    assert sandbox.stats()["sent"] == 2
