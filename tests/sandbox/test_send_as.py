"""users.settings.sendAs, and what Gmail does with the From header of mail it sends."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.sandbox.test_send_and_drafts import encode, outgoing, stored_raw


def test_send_as_lists_the_primary_first_then_the_custom_addresses_leaving_empty_fields_out(
    gmail_service: Any,
) -> None:
    listed = gmail_service.users().settings().sendAs().list(userId="me").execute()
    assert listed == {
        "sendAs": [
            {
                "sendAsEmail": "you@example.com",
                "displayName": "Alex Morgan",
                "signature": '<div dir="ltr">Alex Morgan<br>Sent from my sandbox</div>',
                "isPrimary": True,
                "isDefault": True,
            },
            {
                "sendAsEmail": "alex.morgan@harborlabs.example",
                "displayName": "Alex Morgan (Harbor Labs)",
                "signature": '<div dir="ltr"><b>Alex Morgan</b><br>Engineering Manager, Harbor Labs<br>'
                '<a href="https://harborlabs.example">harborlabs.example</a></div>',
                "treatAsAlias": True,
                "verificationStatus": "accepted",
            },
            {
                "sendAsEmail": "alex@old-startup.example",
                "displayName": "Alex Morgan",
                "treatAsAlias": True,
                "verificationStatus": "pending",
            },
        ]
    }


def test_send_as_get_finds_one_address_case_insensitively_and_404s_for_others(gmail_service: Any) -> None:
    send_as = gmail_service.users().settings().sendAs()
    found = send_as.get(userId="me", sendAsEmail="Alex.Morgan@HarborLabs.example").execute()
    assert found["sendAsEmail"] == "alex.morgan@harborlabs.example"
    with pytest.raises(HttpError) as missing:
        send_as.get(userId="me", sendAsEmail="nobody@example.com").execute()
    assert missing.value.resp.status == 404


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("From: Alex Morgan (Harbor Labs) <alex.morgan@harborlabs.example>", True),
        ("From: ALEX.MORGAN@harborlabs.example", True),
        ("From: Alex <alex@old-startup.example>", False),  # pending verification
        ("From: The CEO <ceo@bank.example>", False),  # not the account's at all
        ("From: you@example.com, ceo@bank.example", False),  # two senders
        ("From: you@example.com\nFrom: ceo@bank.example", False),  # two headers
    ],
)
def test_a_from_that_is_not_a_verified_send_as_address_is_replaced_by_the_primary(
    gmail_service: Any, sandbox: SandboxServer, written: str, kept: bool
) -> None:
    raw = outgoing(f"{written}\nTo: bo@example.com\nSubject: Hello")
    sent = gmail_service.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    stored = stored_raw(gmail_service, sent["id"])
    senders = [line for line in stored.split(b"\r\n\r\n")[0].split(b"\r\n") if line.startswith(b"From:")]
    if kept:
        assert senders == [written.encode()]
    else:
        assert senders == [b"From: Alex Morgan <you@example.com>"]
    assert sandbox.stats()["outbox"][-1]["from"] == (
        written.removeprefix("From: ") if kept else "Alex Morgan <you@example.com>"
    )


def test_a_mailbox_without_custom_addresses_lists_only_its_login() -> None:
    bare = Mailbox("solo@example.org")
    assert [entry.resource() for entry in bare.send_as.all()] == [
        {"sendAsEmail": "solo@example.org", "isPrimary": True, "isDefault": True}
    ]


def test_adding_a_send_as_address_refuses_what_is_not_one_and_duplicates() -> None:
    mailbox = Mailbox("solo@example.org")
    mailbox.add_send_as("alias@example.org", signature="<b>A</b>", default=True)
    with pytest.raises(ValueError):
        mailbox.add_send_as("ALIAS@example.org")
    with pytest.raises(ValueError):
        mailbox.add_send_as("not an address")
    with pytest.raises(ValueError):
        mailbox.add_send_as("other@example.org", verification="maybe")
    defaults = [entry.email for entry in mailbox.send_as.all() if entry.default]
    assert defaults == ["alias@example.org"]
