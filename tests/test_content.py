"""Email content through the tools: real-world mail reads back cleanly, and what we write round-trips."""

from __future__ import annotations

import email
import email.policy
import re
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmail_mcp.content import mime, mimetree
from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock
from tests.helpers import CORPUS, make_client
from tests.mcp_harness import Harness
from tests.test_corpus import EXPECTED

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def corpus_sandbox() -> Any:
    """A sandbox holding only the real-world corpus."""
    clock = FakeClock()
    mailbox = Mailbox(clock=clock)
    loaded = mailbox.load(CORPUS)
    assert loaded.messages == len(EXPECTED)
    with SandboxServer(mailbox, port=0, clock=clock) as server:
        server.clock = clock
        yield server


# What Gmail's view of a message shows can differ from a raw parse for broken mail. mail_malformed_1
# reuses its boundary, so its zip sits after the closing delimiter: the epilogue, which a standards
# parser (the sandbox, like Gmail) ignores. parse_rfc822 on the raw bytes recovers it (test_corpus).
THROUGH_GMAIL = {"mail_malformed_1.eml": ()}


@pytest.mark.corpus
async def test_every_corpus_message_reads_back_through_read_email(
    corpus_sandbox: Any, tmp_path: Path
) -> None:
    harness = Harness(corpus_sandbox, corpus_sandbox.clock, tmp_path)
    async with harness.client(enhanced=True) as client:
        listed = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})
        assert len(listed["emails"]) == len(EXPECTED)
        reads = [
            await client.ok("read-email", {"email_id": item["id"], "max_chars": 100_000})
            for item in listed["emails"]
        ]
    for name, expected in EXPECTED.items():
        matches = [r for r in reads if r["subject"] == expected.subject and expected.sender[1] in r["from"]]
        files = THROUGH_GMAIL.get(name, expected.attachments)
        read = next(
            (r for r in matches if sorted(a["filename"] for a in r["attachments"]) == sorted(files)), None
        )
        assert read is not None, (
            name,
            [(r["subject"], [a["filename"] for a in r["attachments"]]) for r in matches],
        )
        assert all(phrase in read["content"] for phrase in expected.phrases), name
        assert "\ufffd" not in read["content"] or expected.damaged_bytes, name


@pytest.mark.corpus
async def test_lists_flag_attachments_exactly_when_read_email_lists_some(
    corpus_sandbox: Any, tmp_path: Path
) -> None:
    harness = Harness(corpus_sandbox, corpus_sandbox.clock, tmp_path)
    async with harness.client(enhanced=True) as client:
        listed = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})
        flags = {item["id"]: item["has_attachments"] for item in listed["emails"]}
        reads = {i: await client.ok("read-email", {"email_id": i}) for i in flags}
    assert len(flags) == len(EXPECTED)
    wrong = [
        (reads[i]["subject"], flag) for i, flag in flags.items() if flag != bool(reads[i]["attachments"])
    ]
    assert wrong == []
    assert 0 < sum(flags.values()) < len(flags)


@pytest.mark.corpus
async def test_html_mail_comes_back_as_a_fraction_of_its_html(corpus_sandbox: Any, tmp_path: Path) -> None:
    """Through the public interface: read-email's content against the raw HTML of each HTML email.

    Counted once per distinct HTML body, as in notes/html-rendering.md: the corpus carries one
    20 KB prose-only HTML body (visible text with <br>s, which no rendering can shrink) twice.
    """
    api = make_client(corpus_sandbox, corpus_sandbox.clock)
    harness = Harness(corpus_sandbox, corpus_sandbox.clock, tmp_path)
    measured: dict[str, int] = {}
    async with harness.client() as client:
        listed = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})
        for item in listed["emails"]:
            parsed = email.message_from_bytes(api.get_raw(item["id"]), policy=email.policy.default)
            html = "".join(str(p.get_content()) for p in parsed.walk() if p.get_content_type() == "text/html")
            if html and html not in measured:
                read = await client.ok("read-email", {"email_id": item["id"], "max_chars": 100_000})
                measured[html] = len(read["content"])
    html_total = sum(len(html) for html in measured)
    assert len(measured) >= 14 and html_total > 100_000
    assert sum(measured.values()) / html_total <= 0.26  # 25.2 % (see test_corpus)


def test_any_subject_name_body_and_filename_survive_build_sandbox_read(sandbox: Any, fake_clock: Any) -> None:
    """Build with the stdlib, send through the Gmail API to the sandbox, read back: nothing changes.

    Text excludes control and format characters, which reading removes by design (clean_text), and
    surrounding whitespace, which headers and bodies do not keep. Display names exclude "," and ";":
    Gmail returns address headers with encoded words decoded, where a separator inside a name can no
    longer be told from one between addresses (a name with an inner comma is pinned below).
    """
    client = make_client(sandbox, fake_clock)
    text = (
        st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Cf")),
            min_size=1,
            max_size=60,
        )
        .map(str.strip)
        .filter(bool)
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        subject=text,
        name=text.filter(lambda s: not set(s) & set(",;")),
        body=text,
        filename=text.filter(lambda s: "/" not in s and "\\" not in s),
    )
    def round_trip(subject: str, name: str, body: str, filename: str) -> None:
        sent = mime.build_message(
            sender=None,
            to=[Address(display_name=name, addr_spec="friend@example.org")],
            subject=subject,
            body=body,
            attachments=[mime.OutgoingAttachment(filename=filename, data=b"\x00\x01payload")],
            message_id=mime.make_message_id("test.example"),
        )
        ref = client.send_message(sent.as_bytes())
        read = client.get_message(ref.id)
        assert read.subject == subject
        assert mime.extract_body(read.payload, format="text").content == mime.clean_text(body)
        files = mime.list_attachments(read.payload)
        assert [f.filename for f in files] == [filename]
        assert client.get_attachment(ref.id, files[0].attachment_id or "") == b"\x00\x01payload"
        # Runs of whitespace in a name (NBSP included) read back as one space, as headers fold them.
        assert [name for name, _ in mimetree.decode_addresses(read.to)] == [" ".join(name.split())]

    round_trip()


@pytest.mark.parametrize("name", ["Doe, John", "Ünal, Ayşe (HR)", "Müller, Anna, Dr."])
def test_a_display_name_with_a_separator_inside_reads_back(sandbox: Any, fake_clock: Any, name: str) -> None:
    client = make_client(sandbox, fake_clock)
    sent = mime.build_message(
        sender=None, to=[Address(display_name=name, addr_spec="friend@example.org")], subject="s", body="b"
    )
    read = client.get_message(client.send_message(sent.as_bytes()).id)
    assert mimetree.decode_addresses(read.to) == [(name, "friend@example.org")]


async def test_a_reply_carries_the_threading_headers_and_one_re(harness: Harness) -> None:
    async with harness.client() as client:
        thread = await client.ok(
            "search-emails", {"query": "subject:(migration) in:anywhere", "max_results": 50}
        )
        parent_id = thread["emails"][0]["id"]
        parent = await client.ok("read-email", {"email_id": parent_id})
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "mei@example.com",
                "subject": "Re: RE: whatever the model wrote",
                "message": "Sounds good.",
                "thread_id": parent["thread_id"],
            },
        )
    api = make_client(harness.sandbox, harness.clock)
    parent_raw = email.message_from_bytes(api.get_raw(parent_id), policy=email.policy.default)
    reply = email.message_from_bytes(api.get_raw(sent["message_id"]), policy=email.policy.default)
    parent_refs = str(parent_raw.get("References", "")).split()
    assert reply["In-Reply-To"] == parent_raw["Message-ID"]
    assert str(reply["References"]).split() == [*parent_refs, parent_raw["Message-ID"]][-20:]
    base = re.sub(r"^((re|fwd?|aw)\s*:\s*)+", "", parent["subject"], flags=re.IGNORECASE)
    assert reply["Subject"] == f"Re: {base}"
    # Gmail threads it only when all of that holds: the sandbox applies Gmail's rule.
    assert sent["thread_id"] == parent["thread_id"]


async def test_a_reply_to_an_email_id_threads_with_that_email(harness: Harness) -> None:
    async with harness.client() as client:
        email_ = (await client.ok("get-unread-emails", {"max_results": 1}))["emails"][0]
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "someone@example.org",
                "subject": "",
                "message": "Thanks!",
                "thread_id": email_["id"],
            },
        )
    assert sent["thread_id"] == email_["threadId"]


async def test_markdown_bodies_are_sent_with_an_html_alternative(harness: Harness) -> None:
    async with harness.client() as client:
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "a@example.org",
                "subject": "Agenda",
                "message": "# Agenda\n\n- **budget**\n- [doc](https://example.org/d)",
            },
        )
    raw = make_client(harness.sandbox, harness.clock).get_raw(sent["message_id"])
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    kinds = [p.get_content_type() for p in parsed.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "text/html"]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<a href="https://example.org/d">doc</a>' in html and "<strong>budget</strong>" in html


async def test_invisible_and_bidirectional_characters_never_reach_the_model(harness: Harness) -> None:
    hidden = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
    async with harness.client() as client:
        listed = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})
        for page_token in [listed.get("next_page_token")]:
            more = await client.ok(
                "search-emails", {"query": "in:anywhere", "max_results": 50, "page_token": page_token}
            )
            listed["emails"] += more["emails"]
        contents = []
        for item in listed["emails"]:
            read = await client.ok("read-email", {"email_id": item["id"], "max_chars": 100_000})
            contents.append(read["subject"] + read["content"] + item["snippet"])
    assert not [c for c in contents if hidden.search(c)]
