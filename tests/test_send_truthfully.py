"""Exactly-once sends against a Gmail-like sandbox: Message-IDs rewritten, search indexed late.

A send whose answer was lost is found by the reference header every outgoing message carries,
among the newest messages of the SENT label; a draft send by whether the draft still exists.
What went out is read from the sandbox's outbox (`/__sandbox/stats`), never from the product.
"""

from __future__ import annotations

import email
import email.policy
import json
from typing import Any

import pytest

from gmail_mcp.errors import NotFoundError, UpstreamError
from gmail_mcp.gmail.outbox import REF_HEADER, mark
from tests.helpers import control, inject, make_client, reset_stats
from tests.mcp_harness import Harness


def raw_email(subject: str, to: str = "friend@example.org") -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = "you@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Hello there.")
    return message.as_bytes()


def sent(sandbox: Any, subject: str) -> list[dict[str, Any]]:
    """Every message with this subject that really went out."""
    return [entry for entry in sandbox.stats()["outbox"] if entry["subject"] == subject]


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    return make_client(sandbox, fake_clock)


# -- the reference header ------------------------------------------------------------------------


def test_every_outgoing_message_carries_a_fresh_unguessable_reference() -> None:
    raw = raw_email("Hi")
    (first, ref1), (_, ref2) = mark(raw), mark(raw)
    assert ref1 != ref2 and len(ref1) >= 32
    assert first.startswith(f"{REF_HEADER}: {ref1}\r\n".encode()) and first.endswith(raw.split(b"\r\n", 1)[1])
    assert b"gmail-mcp" not in first.lower()  # the header does not name this tool


def test_a_reference_already_in_the_message_is_replaced_not_doubled() -> None:
    planted = f"{REF_HEADER}: guessed\r\n\tfolded\r\n".encode() + raw_email("Hi")
    marked, reference = mark(planted)
    parsed = email.message_from_bytes(marked, policy=email.policy.default)
    assert parsed.get_all(REF_HEADER) == [reference]


def test_the_reference_survives_gmails_send_time_rewrite(sandbox: Any, client: Any) -> None:
    ref = client.send_message(raw_email("Kept"))
    stored = client.get_raw(ref.id)
    assert stored.count(f"\r\n{REF_HEADER}: ".encode()) + stored.startswith(REF_HEADER.encode()) == 1


# -- messages.send ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lost", [{"status": 503}, {"status": 500}, {"reset": True}])
def test_a_send_applied_then_lost_goes_out_exactly_once(
    sandbox: Any, client: Any, lost: dict[str, Any]
) -> None:
    inject(sandbox, method="gmail.users.messages.send", applied=True, **lost)
    reset_stats(sandbox)
    ref = client.send_message(raw_email("Quarterly numbers"))
    stats = sandbox.stats()
    assert [entry["id"] for entry in sent(sandbox, "Quarterly numbers")] == [ref.id]
    assert stats["by_method"]["gmail.users.messages.send"] == 1
    # Bounded: one listing of the newest SENT messages, one batch of their headers.
    assert stats["by_method"]["gmail.users.messages.list"] == 1
    assert stats["by_method"]["gmail.users.messages.get"] <= 10


def test_a_send_that_failed_before_taking_effect_is_made_again_once(sandbox: Any, client: Any) -> None:
    inject(sandbox, status=503, method="gmail.users.messages.send")
    ref = client.send_message(raw_email("Dinner plans"))
    assert [entry["id"] for entry in sent(sandbox, "Dinner plans")] == [ref.id]
    assert sandbox.stats()["by_method"]["gmail.users.messages.send"] == 2


def test_another_send_with_the_same_subject_is_not_taken_for_ours(sandbox: Any, client: Any) -> None:
    earlier = client.send_message(raw_email("Weekly report"))
    inject(sandbox, status=503, method="gmail.users.messages.send")  # ours did not go out
    ours = client.send_message(raw_email("Weekly report"))
    assert ours.id != earlier.id
    assert len(sent(sandbox, "Weekly report")) == 2


def test_a_send_whose_lookup_fails_is_reported_as_maybe_sent_with_what_to_look_for(
    sandbox: Any, client: Any, fake_clock: Any
) -> None:
    inject(sandbox, status=503, method="gmail.users.messages.send", applied=True)
    inject(sandbox, status=503, count=50, method="gmail.users.messages.list")
    with pytest.raises(UpstreamError) as raised:
        client.send_message(raw_email("Board minutes", to="ann@example.com"))
    error = raised.value
    assert error.details == {
        "outcome": "unknown",
        "subject": "Board minutes",
        "recipients": ["ann@example.com"],
        "attempted_at": "2026-11-18 09:00:00 UTC",
    }
    assert "may have been sent" in error.message and "check the Sent folder" in error.message
    assert len(sent(sandbox, "Board minutes")) == 1  # it had gone out, and was not sent again


def test_a_send_failing_every_time_is_not_reported_as_failed(sandbox: Any, client: Any) -> None:
    inject(sandbox, status=503, count=50, method="gmail.users.messages.send")
    with pytest.raises(UpstreamError) as raised:
        client.send_message(raw_email("Never"))
    assert raised.value.details["outcome"] == "unknown"
    assert sent(sandbox, "Never") == []


# -- drafts ----------------------------------------------------------------------------------------


def test_a_draft_whose_answer_was_lost_is_created_once(sandbox: Any, mailbox: Any, client: Any) -> None:
    before = set(mailbox.drafts())
    inject(sandbox, status=500, method="gmail.users.drafts.create", applied=True)
    draft = client.create_draft(raw_email("Draft once"))
    assert set(mailbox.drafts()) - before == {draft.id}
    assert sandbox.stats()["by_method"]["gmail.users.drafts.create"] == 1


def test_a_draft_send_applied_then_lost_goes_out_once_and_is_confirmed(sandbox: Any, client: Any) -> None:
    draft = client.create_draft(raw_email("Offer letter"))
    inject(sandbox, status=503, method="gmail.users.drafts.send", applied=True)
    ref = client.send_draft(draft.id)
    assert [entry["id"] for entry in sent(sandbox, "Offer letter")] == [ref.id]
    assert sandbox.stats()["by_method"]["gmail.users.drafts.send"] == 1


def test_a_draft_written_elsewhere_is_confirmed_in_sent_without_a_reference(
    sandbox: Any, mailbox: Any, client: Any, gmail_service: Any
) -> None:
    # Another client's draft: no reference header, and Gmail gives it a new Message-ID on sending.
    raw = (
        b"To: bo@example.com\r\nSubject: From my phone\r\nMessage-ID: <phone@x>\r\n\r\nSent from my phone\r\n"
    )
    with mailbox.lock:
        draft_id, _ = mailbox.create_draft(raw, None)
    inject(sandbox, reset=True, method="gmail.users.drafts.send", applied=True)
    ref = client.send_draft(draft_id)
    assert [entry["id"] for entry in sent(sandbox, "From my phone")] == [ref.id]


def test_a_sent_draft_under_a_new_id_is_confirmed_among_the_newest_sent_mail(
    sandbox: Any, client: Any
) -> None:
    # Should Gmail give the sent message an id of its own, the draft's id finds nothing (404 here).
    draft = client.create_draft(raw_email("Moved"))
    inject(sandbox, status=503, method="gmail.users.drafts.send", applied=True)
    inject(sandbox, status=404, method="gmail.users.messages.get", reason="notFound")
    reset_stats(sandbox)
    ref = client.send_draft(draft.id)
    assert [entry["id"] for entry in sent(sandbox, "Moved")] == [ref.id]
    assert sandbox.stats()["by_method"]["gmail.users.messages.list"] == 1


def test_an_unapplied_503_on_a_draft_send_sends_it_once_and_keeps_the_draft_until_then(
    sandbox: Any, mailbox: Any, client: Any
) -> None:
    draft = client.create_draft(raw_email("Contract"))
    inject(sandbox, status=503, method="gmail.users.drafts.send")
    ref = client.send_draft(draft.id)
    assert [entry["id"] for entry in sent(sandbox, "Contract")] == [ref.id]
    stats = sandbox.stats()
    assert stats["by_method"]["gmail.users.drafts.send"] == 2
    assert draft.id not in mailbox.drafts()


def test_a_draft_send_failing_every_time_says_it_was_not_sent_and_keeps_the_draft(
    sandbox: Any, mailbox: Any, client: Any
) -> None:
    draft = client.create_draft(raw_email("Stuck"))
    inject(sandbox, status=503, count=50, method="gmail.users.drafts.send")
    with pytest.raises(UpstreamError) as raised:
        client.send_draft(draft.id)
    assert raised.value.details == {"draft_id": draft.id, "outcome": "not_sent"}
    assert sent(sandbox, "Stuck") == [] and draft.id in mailbox.drafts()


def test_the_unsent_draft_itself_is_never_taken_for_the_sent_message(
    sandbox: Any, mailbox: Any, client: Any
) -> None:
    """Issue 12, item 4: the old lookup by Message-ID found the draft and reported success."""
    draft = client.create_draft(raw_email("Not yet"))
    inject(sandbox, status=503, count=50, method="gmail.users.drafts.send")
    with pytest.raises(UpstreamError):
        client.send_draft(draft.id)
    assert sent(sandbox, "Not yet") == []


def test_a_draft_deleted_meanwhile_and_not_in_sent_is_maybe_sent(
    sandbox: Any, mailbox: Any, client: Any
) -> None:
    draft = client.create_draft(raw_email("Vanished"))
    inject(sandbox, status=503, method="gmail.users.drafts.send")
    with mailbox.lock:
        mailbox.delete_draft(draft.id)  # another client deletes it while our answer is lost
    with pytest.raises((UpstreamError, NotFoundError)) as raised:
        client.send_draft(draft.id)
    assert raised.type is NotFoundError or raised.value.details["outcome"] == "unknown"
    assert sent(sandbox, "Vanished") == []


# -- through the tools, as issue 11 and 12 ask --------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("lost", [{"status": 503}, {"reset": True}])
async def test_send_email_applied_then_lost_is_delivered_once(harness: Harness, lost: dict[str, Any]) -> None:
    inject(harness.sandbox, method="gmail.users.messages.send", applied=True, **lost)
    async with harness.client() as client:
        result = await client.ok(
            "send-email", {"recipient_id": "ana@example.org", "subject": "Exactly once", "message": "Hi"}
        )
    assert [entry["id"] for entry in sent(harness.sandbox, "Exactly once")] == [result["message_id"]]


@pytest.mark.anyio
@pytest.mark.parametrize("lost", [{"status": 503}, {"reset": True}])
async def test_send_draft_applied_then_lost_is_delivered_once(harness: Harness, lost: dict[str, Any]) -> None:
    async with harness.client(enhanced=True) as client:
        draft = await client.ok(
            "create-draft", {"recipient": "ana@example.org", "subject": "Draft once", "message": "Hi"}
        )
        inject(harness.sandbox, method="gmail.users.drafts.send", applied=True, **lost)
        result = await client.ok("send-draft", {"draft_id": draft["draft_id"]})
    assert [entry["id"] for entry in sent(harness.sandbox, "Draft once")] == [result["message_id"]]


@pytest.mark.anyio
async def test_send_draft_whose_outcome_is_unknown_says_so_and_never_success(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        draft = await client.ok(
            "create-draft", {"recipient": "ana@example.org", "subject": "Unknown", "message": "Hi"}
        )
        inject(harness.sandbox, status=503, method="gmail.users.drafts.send", applied=True)
        inject(harness.sandbox, status=503, count=500, method="gmail.users.messages.get")  # every look fails
        error = await client.error("send-draft", {"draft_id": draft["draft_id"]})
    assert error["error_code"] == "UPSTREAM_ERROR"
    assert error["error_details"]["outcome"] == "unknown"
    assert error["error_details"]["subject"] == "Unknown"
    assert "may have been sent" in error["error_message"]
    assert len(sent(harness.sandbox, "Unknown")) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("attempts", [7, 2])  # the default retries, and so few that some sends fail
async def test_no_false_success_for_send_draft_in_a_30_percent_5xx_storm_of_40(
    harness: Harness, attempts: int
) -> None:
    """Issue 12: every "success" went out exactly once; nothing went out twice; every failure is
    either certain (not sent, and the draft is still there) or says the outcome is unknown."""
    harness.backend_factory = lambda: make_client(harness.sandbox, harness.clock, max_attempts=attempts)
    async with harness.client(enhanced=True) as client:
        drafts = []
        for n in range(40):
            made = await client.ok(
                "create-draft", {"recipient": "ana@example.org", "subject": f"Storm {n}", "message": "Hi"}
            )
            drafts.append(made["draft_id"])
        reset_stats(harness.sandbox)
        # About 30 % of every Gmail call fails with a 5xx: half of those after taking effect.
        for seed, applied in ((11, True), (12, False)):
            inject(harness.sandbox, status=503, rate=0.163, seed=seed, count=100_000, applied=applied)
        outcomes = [await client.call("send-draft", {"draft_id": draft_id}) for draft_id in drafts]
        control(harness.sandbox, "/__sandbox/faults", method="DELETE")
    remaining = set(harness.sandbox.mailbox.drafts())
    assert harness.sandbox.stats()["faults_injected"] > 40  # it really was a storm
    tally = {"success": 0, "unknown": 0, "not_sent": 0, "failed_before_sending": 0}
    for n, (draft_id, result) in enumerate(zip(drafts, outcomes, strict=True)):
        went_out = sent(harness.sandbox, f"Storm {n}")
        assert len(went_out) <= 1  # never twice
        if not result.is_error:
            tally["success"] += 1
            assert [entry["id"] for entry in went_out] == [result.structured_content["message_id"]]
            continue
        details = json.loads(result.content[0].text)["error_details"]
        outcome = details.get("outcome", "failed_before_sending")  # e.g. reading the draft to check it
        tally[outcome] += 1
        if outcome != "unknown":  # a certain failure: nothing went out, and the draft is kept
            assert went_out == [] and draft_id in remaining, (n, details)
    if attempts == 7:
        assert tally["success"] >= 36, tally
    else:  # the failure paths really ran
        assert 10 <= tally["success"] < 40 and tally["unknown"] + tally["not_sent"] >= 1, tally
