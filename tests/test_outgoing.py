"""The last check before anything leaves: the bytes must send what was checked, nothing else."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from gmail_mcp.actions.outgoing import verified
from gmail_mcp.content.envelope import Envelope
from gmail_mcp.errors import PermissionDeniedError

HOSTILE = "=?utf-8?q?x=0D=0ABcc:_spy@evil.example?="
MEANT = Envelope(to=("ana@example.org",), cc=(), bcc=(), subject="Hello")


def test_the_standard_librarys_own_encoding_of_a_hostile_subject_is_refused() -> None:
    """Before 3.11.10/3.12.5 the stdlib writes a hidden Bcc; after, another subject. Refused either way."""
    message = EmailMessage(policy=policy.SMTP)
    message["To"] = "ana@example.org"
    message["Subject"] = HOSTILE
    message.set_content("Hi")

    with pytest.raises(PermissionDeniedError) as raised:
        verified(message.as_bytes(), Envelope(to=("ana@example.org",), cc=(), bcc=(), subject=HOSTILE))

    assert raised.value.details["problems"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (
            b"To: ana@example.org\r\nSubject: Hello\r\nBcc: spy@evil.example\r\n\r\nHi\r\n",
            "Bcc would also go to",
        ),
        (
            b"To: ana@example.org\r\nTo: spy@evil.example\r\nSubject: Hello\r\n\r\nHi\r\n",
            "To would also go to",
        ),
        (b"To: ana@example.org\r\nSubject: Hello\r\nReply-To: spy@evil.example\r\n\r\nHi\r\n", "reply-to"),
        (b"To: ana@example.org\r\nSubject: Hello!\r\n\r\nHi\r\n", "the subject would be"),
        (b"To: bo@example.org\r\nSubject: Hello\r\n\r\nHi\r\n", "To would not go to ana@example.org"),
    ],
)
def test_bytes_that_send_anything_else_are_refused(raw: bytes, problem: str) -> None:
    with pytest.raises(PermissionDeniedError) as raised:
        verified(raw, MEANT)

    assert any(problem in found for found in raised.value.details["problems"])


def test_bytes_that_send_exactly_what_was_meant_pass() -> None:
    raw = b"To: ana@example.org\r\nSubject: Hello\r\nMIME-Version: 1.0\r\n\r\nHi\r\n"

    assert verified(raw, MEANT) == MEANT
