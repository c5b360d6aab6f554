"""What the person approves is exactly what is sent (issue 12), proven against the sandbox.

Every attack ends with the sandbox's outbox (the real envelope, Bcc included) and the stored Sent
copy (format=raw): no hidden or extra recipient, no send without a question under
--confirm-send, and an audit line for every refusal.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from mcp.types import ElicitRequestParams, ElicitResult

from gmail_mcp.common.pacing import QuotaLimiter
from gmail_mcp.common.retry import Backoff
from gmail_mcp.gmail.client import GmailClient
from gmail_mcp.gmail.transport import authorized_http_factory
from gmail_mcp.sandbox import Mailbox
from tests.helpers import inject, reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

SPY = "spy@evil.example"


def q_word(text: str) -> str:
    return "=?utf-8?q?" + "".join(f"={b:02X}" for b in text.encode()) + "?="


def b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


INJECTED_SUBJECTS = {
    "crlf": "=?utf-8?q?x=0D=0ABcc:_spy@evil.example?=",
    "lf": "=?utf-8?q?x=0ABcc:_spy@evil.example?=",
    "vt": b_word(f"x\x0bBcc: {SPY}"),
    "ff": b_word(f"x\x0cBcc: {SPY}"),
    "fs": b_word(f"x\x1cBcc: {SPY}"),
    "nel": b_word(f"x\x85Bcc: {SPY}"),
    "line-separator": b_word(f"x\u2028Bcc: {SPY}"),
    "word-in-a-word": b_word(f"=?utf-8?q?x=0D=0ABcc:_{SPY.replace('@', '=40')}?="),
    "three-deep": b_word(b_word(b_word(f"x\r\nBcc: {SPY}"))),
}
RAW_CONTROLS = {"vt": "\x0b", "ff": "\x0c", "fs": "\x1c", "gs": "\x1d", "rs": "\x1e", "nel": "\x85"}
RAW_CONTROLS |= {"line-separator": "\u2028", "paragraph-separator": "\u2029", "rlo": "\u202e"}


def outbox(harness: Harness) -> list[dict[str, Any]]:
    return list(harness.sandbox.stats()["outbox"])


def recipients(harness: Harness) -> list[str]:
    return sorted(a for m in outbox(harness) for a in (*m["to"], *m["cc"], *m["bcc"]))


def audit(harness: Harness) -> list[dict[str, Any]]:
    path = harness.settings().paths.audit_log
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def stored_raw(gmail_service: Any, message_id: str) -> bytes:
    message = gmail_service.users().messages().get(userId="me", id=message_id, format="raw").execute()
    return base64.urlsafe_b64decode(message["raw"])


def asking(answer: str, asked: list[str], during: Any = None) -> Any:
    """An elicitation callback that records each question and answers `answer`."""

    async def callback(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        if during is not None:
            during()
        if answer == "accept":
            return ElicitResult(action="accept", content={"send": True})
        if answer == "invalid":  # a client that accepts with content that does not fit the form
            return ElicitResult(action="accept", content={"send": "maybe"})
        if answer == "error":
            raise RuntimeError("the client broke while asking")
        return ElicitResult(action=answer)  # type: ignore[arg-type]

    return callback


def hostile_email(mailbox: Mailbox, subject: str, name: str = "Friendly") -> str:
    raw = (
        f"From: {name} <friend@example.com>\r\nTo: me@example.org\r\nSubject: {subject}\r\n"
        "Message-ID: <hostile@example.com>\r\nDate: Tue, 17 Nov 2026 10:00:00 +0000\r\n\r\nPlease reply.\r\n"
    ).encode()
    return mailbox.insert_raw(raw)


def draft_from_another_client(gmail_service: Any, headers: str, body: str = "Draft text.") -> str:
    raw = (headers.replace("\n", "\r\n") + "\r\n\r\n" + body + "\r\n").encode()
    encoded = base64.urlsafe_b64encode(raw).decode()
    created = gmail_service.users().drafts().create(userId="me", body={"message": {"raw": encoded}}).execute()
    return str(created["id"])


# -- 1. hidden Bcc through encoded words -------------------------------------------------------


@pytest.mark.parametrize("subject", INJECTED_SUBJECTS.values(), ids=INJECTED_SUBJECTS.keys())
async def test_an_encoded_word_in_an_argument_is_refused_audited_and_nothing_is_sent(
    harness: Harness, subject: str
) -> None:
    name = f'"{subject}" <ana@example.org>'
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        errors = [
            await client.error(
                "send-email", {"recipient_id": "ana@example.org", "subject": subject, "message": "x"}
            ),
            await client.error("send-email", {"recipient_id": name, "subject": "Hi", "message": "x"}),
            await client.error(
                "send-email",
                {"recipient_id": "ana@example.org", "bcc": name, "subject": "Hi", "message": "x"},
            ),
            await client.error(
                "create-draft", {"recipient": "ana@example.org", "subject": subject, "message": "x"}
            ),
        ]
    assert [e["error_code"] for e in errors] == ["INVALID_PARAMS"] * 4
    assert outbox(harness) == [] and harness.sandbox.stats()["requests"] == 0
    refusals = [(r["tool"], r["outcome"], r["error_code"]) for r in audit(harness)]
    assert refusals == [("send-email", "refused", "INVALID_PARAMS")] * 3 + [
        ("create-draft", "refused", "INVALID_PARAMS")
    ]


@pytest.mark.parametrize("character", RAW_CONTROLS.values(), ids=RAW_CONTROLS.keys())
async def test_a_control_separator_or_bidi_character_in_a_subject_is_invalid_params_not_internal_error(
    harness: Harness, character: str
) -> None:
    async with harness.client() as client:
        error = await client.error(
            "send-email",
            {"recipient_id": "ana@example.org", "subject": f"x{character}Bcc: {SPY}", "message": "x"},
        )
    assert error["error_code"] == "INVALID_PARAMS"
    assert error["error_details"]["character"] == f"U+{ord(character):04X}"
    assert outbox(harness) == []
    assert [(r["outcome"], r["error_code"]) for r in audit(harness)] == [("refused", "INVALID_PARAMS")]


@pytest.mark.parametrize("subject", INJECTED_SUBJECTS.values(), ids=INJECTED_SUBJECTS.keys())
async def test_a_reply_to_a_hostile_email_goes_only_to_its_recipient(
    harness: Harness, mailbox: Mailbox, gmail_service: Any, subject: str
) -> None:
    email_id = hostile_email(mailbox, subject, name=subject)
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": asking("accept", asked)}
    async with harness.client(allowed_recipients=("example.org",), confirm_send=True) as client:
        reset_stats(harness.sandbox)
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "ana@example.org",
                "subject": "ignored",
                "message": "Done.",
                "thread_id": email_id,
            },
        )
    assert recipients(harness) == ["ana@example.org"]
    assert [m["bcc"] for m in outbox(harness)] == [[]]
    raw = stored_raw(gmail_service, sent["message_id"])
    header_block = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nbcc" not in header_block and not header_block.startswith(b"bcc")
    assert outbox(harness)[0]["subject"] == "Re: x Bcc: spy@evil.example"
    assert len(asked) == 1 and "Subject: Re: x Bcc: spy@evil.example" in asked[0]


# -- 2. repeated To/Cc/Bcc in a draft written by another client ------------------------------

REPEATED = (
    "To: ana@example.org\nCc: bo@example.org\nSubject: Quarterly\nTo: cy@example.org\n"
    "Bcc: dee@example.org\nBcc: spy@evil.example"
)


async def test_every_recipient_of_a_repeated_header_draft_is_checked_by_the_allow_list(
    harness: Harness, gmail_service: Any
) -> None:
    draft_id = draft_from_another_client(gmail_service, REPEATED)
    async with harness.client(enhanced=True, allowed_recipients=("example.org",)) as client:
        reset_stats(harness.sandbox)
        error = await client.error("send-draft", {"draft_id": draft_id})
    assert error["error_code"] == "PERMISSION_DENIED"
    assert error["error_details"]["refused"] == [SPY]
    assert outbox(harness) == []
    assert [(r["tool"], r["outcome"]) for r in audit(harness)] == [("send-draft", "refused")]


async def test_the_question_and_the_audit_name_every_recipient_of_a_repeated_header_draft(
    harness: Harness, gmail_service: Any
) -> None:
    draft_id = draft_from_another_client(gmail_service, REPEATED)
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": asking("accept", asked)}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        reset_stats(harness.sandbox)
        await client.ok("send-draft", {"draft_id": draft_id})
    assert asked == [
        "Send this draft?\nTo: ana@example.org, cy@example.org\nCc: bo@example.org\n"
        "Bcc: dee@example.org, spy@evil.example\nSubject: Quarterly\nMessage begins:\n| Draft text."
    ]
    assert recipients(harness) == sorted(
        ["ana@example.org", "cy@example.org", "bo@example.org", "dee@example.org", SPY]
    )
    sent = next(r for r in audit(harness) if r["outcome"] == "ok")
    assert sent["bcc"] == ["dee@example.org", SPY] and sent["to"] == ["ana@example.org", "cy@example.org"]


def another_client_adds_a_bcc(gmail_service: Any, draft_id: str) -> None:
    changed = b"To: ana@example.org\r\nBcc: spy@evil.example\r\nSubject: Plan\r\n\r\nNew text.\r\n"
    body = {"id": draft_id, "message": {"raw": base64.urlsafe_b64encode(changed).decode()}}
    gmail_service.users().drafts().update(userId="me", id=draft_id, body=body).execute()


async def test_a_draft_changed_while_the_person_decides_is_asked_about_again(
    harness: Harness, gmail_service: Any
) -> None:
    draft_id = draft_from_another_client(gmail_service, "To: ana@example.org\nSubject: Plan")
    asked: list[str] = []

    async def callback(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        if len(asked) == 1:  # approves the draft it saw, while another client changes it
            another_client_adds_a_bcc(gmail_service, draft_id)
            return ElicitResult(action="accept", content={"send": True})
        return ElicitResult(action="decline")

    harness.client_options = {"elicitation_callback": callback}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        reset_stats(harness.sandbox)
        result = await client.call("send-draft", {"draft_id": draft_id})
    assert outbox(harness) == [] and result.is_error
    assert SPY not in asked[0] and f"Bcc: {SPY}" in asked[-1]


class RacingClient(GmailClient):
    """A Gmail client during whose send another client changes the draft (right after the check)."""

    race: Any = None

    def get_draft_raw(self, draft_id: str) -> Any:
        checked = super().get_draft_raw(draft_id)
        if self.race is not None:
            self.race(draft_id)
        return checked


async def test_a_draft_changed_between_the_check_and_the_send_goes_out_as_checked(
    harness: Harness, gmail_service: Any, fake_clock: Any
) -> None:
    draft_id = draft_from_another_client(gmail_service, "To: ana@example.org\nSubject: Plan")
    racing = RacingClient(
        authorized_http_factory(Credentials(token="test")),
        api_root=harness.sandbox.url,
        backoff=Backoff(clock=fake_clock, sleep=fake_clock.sleep, rand=lambda: 0.5),
        limiter=QuotaLimiter(6000, clock=fake_clock, sleep=fake_clock.sleep),
    )
    racing.race = lambda changed_id: another_client_adds_a_bcc(gmail_service, changed_id)
    harness.backend_factory = lambda: racing
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        sent = await client.ok("send-draft", {"draft_id": draft_id})
    assert recipients(harness) == ["ana@example.org"]
    assert b"Draft text." in stored_raw(gmail_service, sent["message_id"])


async def test_update_draft_keeps_every_recipient_instance_and_checks_them(
    harness: Harness, gmail_service: Any
) -> None:
    draft_id = draft_from_another_client(gmail_service, REPEATED)
    async with harness.client(enhanced=True, allowed_recipients=("example.org",)) as client:
        refused = await client.error("update-draft", {"draft_id": draft_id, "subject": "New"})
    async with harness.client(enhanced=True) as client:
        await client.ok("update-draft", {"draft_id": draft_id, "subject": "New"})
    draft = gmail_service.users().drafts().get(userId="me", id=draft_id, format="raw").execute()
    raw = base64.urlsafe_b64decode(draft["message"]["raw"])
    assert refused["error_code"] == "PERMISSION_DENIED"
    assert b"To: ana@example.org,\r\n cy@example.org" in raw and b"spy@evil.example" in raw
    assert b"Subject: New" in raw


# -- 3. fail closed under --confirm-send -------------------------------------------------------

LOOKUP_FAULTS = [
    pytest.param({"status": 404, "count": 1}, id="404"),
    pytest.param({"status": 400, "count": 1}, id="400"),
    pytest.param({"status": 429, "count": 10}, id="429-storm"),
    pytest.param({"status": 503, "count": 10}, id="503-storm"),
    pytest.param({"status": 503, "count": 1}, id="503-once"),
]


@pytest.mark.parametrize("fault", LOOKUP_FAULTS)
@pytest.mark.parametrize("answer", ["decline", "cancel", "invalid", "no-elicitation", "accept"])
async def test_send_draft_never_sends_without_a_question_when_its_lookup_fails(
    harness: Harness, gmail_service: Any, fault: dict[str, Any], answer: str
) -> None:
    draft_id = draft_from_another_client(gmail_service, "To: ana@example.org\nSubject: Later")
    asked: list[str] = []
    if answer != "no-elicitation":
        harness.client_options = {"elicitation_callback": asking(answer, asked)}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        reset_stats(harness.sandbox)
        inject(harness.sandbox, method="gmail.users.drafts.get", **fault)
        result = await client.call("send-draft", {"draft_id": draft_id})
    sent = len(outbox(harness))
    assert sent == (1 if answer == "accept" and asked else 0)
    assert result.is_error == (sent == 0)
    if sent == 0:
        assert audit(harness)[-1]["outcome"] in ("refused", "error")


@pytest.mark.parametrize("answer", ["decline", "cancel", "invalid", "no-elicitation"])
async def test_no_tool_sends_when_the_client_declines_cancels_or_cannot_ask(
    harness: Harness, gmail_service: Any, answer: str
) -> None:
    outbox_dir = harness.settings().paths.outbox
    outbox_dir.mkdir(parents=True)
    (outbox_dir / "report.pdf").write_bytes(b"%PDF-1.4 numbers")
    draft_id = draft_from_another_client(gmail_service, "To: ana@example.org\nSubject: Later")
    asked: list[str] = []
    if answer != "no-elicitation":
        harness.client_options = {"elicitation_callback": asking(answer, asked)}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        reset_stats(harness.sandbox)
        errors = [
            await client.error(
                "send-email", {"recipient_id": "ana@example.org", "subject": "A", "message": "x"}
            ),
            await client.error(
                "send-email-with-attachment",
                {
                    "recipient_id": "ana@example.org",
                    "subject": "B",
                    "message": "x",
                    "attachment_paths": ["report.pdf"],
                },
            ),
            await client.error("send-draft", {"draft_id": draft_id}),
        ]
    assert outbox(harness) == []
    assert len(asked) == (0 if answer == "no-elicitation" else 3)
    assert all(e["error_code"] in ("PERMISSION_DENIED", "INTERNAL_ERROR") for e in errors)
    refused = [r for r in audit(harness) if r["outcome"] in ("refused", "error")]
    assert [r["tool"] for r in refused] == ["send-email", "send-email-with-attachment", "send-draft"]


async def test_a_client_that_breaks_while_asking_sends_nothing(harness: Harness) -> None:
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": asking("error", asked)}
    with pytest.raises(Exception):  # noqa: B017  (the client's own failure, whatever its type)
        async with harness.client(confirm_send=True) as client:
            reset_stats(harness.sandbox)
            await client.call(
                "send-email", {"recipient_id": "ana@example.org", "subject": "A", "message": "x"}
            )
    assert len(asked) == 1 and outbox(harness) == []


async def test_the_question_shows_the_real_reply_subject_the_files_and_the_start_of_the_body(
    harness: Harness, mailbox: Mailbox
) -> None:
    email_id = hostile_email(mailbox, "Budget =?utf-8?b?4oCu?=2027")
    outbox_dir = harness.settings().paths.outbox
    outbox_dir.mkdir(parents=True)
    (outbox_dir / "report.pdf").write_bytes(b"%PDF-1.4 numbers")
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": asking("decline", asked)}
    body = "Here are the numbers.\nTo: boss@example.org\n" + "more " * 100
    async with harness.client(enhanced=True, confirm_send=True) as client:
        await client.error(
            "send-email-with-attachment",
            {
                "recipient_id": "ana@example.org",
                "bcc": "bo@example.org",
                "subject": "the argument, not the real subject",
                "message": body,
                "attachment_paths": ["report.pdf"],
                "thread_id": email_id,
            },
        )
    lines = asked[0].splitlines()
    assert lines[:6] == [
        "Send this email with attachments?",
        "To: ana@example.org",
        "Bcc: bo@example.org",
        "Subject: Re: Budget 2027",
        "Attachments: report.pdf (16 bytes)",
        "Message begins:",
    ]
    assert lines[6:8] == ["| Here are the numbers.", "| To: boss@example.org"]
    assert lines[-1].endswith(" ...") and len(asked[0]) < 700
    refusal = audit(harness)[-1]
    assert refusal["outcome"] == "refused" and refusal["bcc"] == ["bo@example.org"]
    assert refusal["subject"] == "Re: Budget 2027"


async def test_a_draft_subject_with_a_bidi_override_is_shown_visibly(
    harness: Harness, gmail_service: Any
) -> None:
    subject = b_word("Invoice \u202efdp.exe")
    draft_id = draft_from_another_client(gmail_service, f"To: ana@example.org\nSubject: {subject}")
    asked: list[str] = []
    harness.client_options = {"elicitation_callback": asking("decline", asked)}
    async with harness.client(enhanced=True, confirm_send=True) as client:
        await client.error("send-draft", {"draft_id": draft_id})
    assert "Subject: Invoice <U+202E>fdp.exe" in asked[0]


async def test_a_send_that_cannot_be_audited_is_not_sent(harness: Harness, tmp_path: Path) -> None:
    audit_log = harness.settings().paths.audit_log
    audit_log.parent.mkdir(parents=True, exist_ok=True)
    audit_log.mkdir()  # a folder where the log should be: every write fails
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        error = await client.error(
            "send-email", {"recipient_id": "ana@example.org", "subject": "A", "message": "x"}
        )
    assert error["error_code"] == "PERMISSION_DENIED" and "audit" in error["error_message"]
    assert outbox(harness) == []


async def test_the_sent_copy_carries_exactly_the_approved_files(harness: Harness, gmail_service: Any) -> None:
    outbox_dir = harness.settings().paths.outbox
    outbox_dir.mkdir(parents=True)
    (outbox_dir / "Bericht für März.pdf").write_bytes(b"%PDF-1.4 " + bytes(range(256)))
    async with harness.client(enhanced=True) as client:
        sent = await client.ok(
            "send-email-with-attachment",
            {
                "recipient_id": "ana@example.org",
                "subject": "Bericht",
                "message": "Anbei.",
                "attachment_paths": ["Bericht für März.pdf"],
            },
        )
    from gmail_mcp.content.envelope import read_envelope

    envelope = read_envelope(stored_raw(gmail_service, sent["message_id"]))
    assert [(a.filename, a.size) for a in envelope.attachments] == [("Bericht für März.pdf", 265)]
    logged = next(r for r in audit(harness) if r["outcome"] == "ok")
    assert logged["attachments"] == ["Bericht für März.pdf"] and logged["subject"] == "Bericht"


async def test_send_draft_costs_one_raw_read_and_one_send(harness: Harness, gmail_service: Any) -> None:
    draft_id = draft_from_another_client(gmail_service, "To: ana@example.org\nSubject: Later")
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        await client.ok("send-draft", {"draft_id": draft_id})
    assert harness.sandbox.stats()["by_method"] == {"gmail.users.drafts.get": 1, "gmail.users.drafts.send": 1}
