"""Gmail's IMAP extensions and login refusals, against the scripted Gmail responder (Dovecot has no X-GM-*)."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.common.retry import Backoff
from gmail_mcp.config import Paths, Settings
from gmail_mcp.imap import connect, features
from gmail_mcp.imap.client import ImapBackend
from gmail_mcp.imap.pool import Login, OAuthLogin, PasswordLogin, Secret
from tests.imap import gmail_responder, smtp_sink
from tests.imap.certs import Certificate, self_signed
from tests.imap.gmail_responder import TOO_MANY, WEB_LOGIN, Gmail
from tests.imap.smtp_sink import Sink
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

USER, PASSWORD = "alice@gmail.com", "wxyz abcd efgh ijkl"
# Ids from Google's documentation of X-GM-MSGID and X-GM-THRID.
MSGID, THRID = 1278455344230334865, 1266894439832287888


def plain(sender: str, subject: str, message_id: str, body: str, references: str = "") -> bytes:
    extra = f"In-Reply-To: {references.split()[-1]}\r\nReferences: {references}\r\n" if references else ""
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nDate: Tue, 17 Nov 2026 10:00:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path / "tls")


@pytest.fixture
def gmail(certificate: Certificate) -> Iterator[Gmail]:
    state = Gmail(USER, PASSWORD)
    when = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    state.add(
        plain("Bob <bob@example.net>", "Trip to Zürich", "<trip-1@example.net>", "Are you coming along?"),
        msgid=MSGID,
        thrid=THRID,
        labels={"\\Inbox", "\\Important", "Überweisungen"},
        flags=set(),
        date=when,
    )
    state.add(
        plain(USER, "Re: Trip to Zürich", "<trip-2@gmail.com>", "Yes!", "<trip-1@example.net>"),
        msgid=MSGID + 7,
        thrid=THRID,
        labels={"\\Sent"},
        flags={"\\Seen"},
        date=when.replace(hour=11),
    )
    state.add(
        plain("News <news@example.com>", "Weekly digest", "<digest@example.com>", "Nothing new."),
        msgid=MSGID + 9,
        thrid=MSGID + 9,
        labels={"\\Inbox"},
        flags={"\\Seen", "\\Flagged"},
        date=when.replace(day=16),
    )
    with gmail_responder.serving(state, certificate):
        yield state


@pytest.fixture
def sink(certificate: Certificate) -> Iterator[Sink]:
    with smtp_sink.running(certificate, USER, PASSWORD) as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_harness(
    gmail: Gmail, sink: Sink, certificate: Certificate, fake_clock: Any, sleeps: Sleeps, tmp_path: Path
) -> Iterator[Any]:
    backends: list[ImapBackend] = []

    def make(login: Login | None = None) -> GmailHarness:
        servers = connect.Servers("127.0.0.1", gmail.port, "127.0.0.1", sink.port, ca_file=certificate.cert)
        backoff = Backoff(
            clock=fake_clock, sleep=lambda s: (sleeps(s), fake_clock.sleep(s)), rand=lambda: 0.5
        )
        backend = connect.backend(servers, login or PasswordLogin(USER, Secret(PASSWORD)), backoff=backoff)
        backends.append(backend)
        return GmailHarness(sandbox=None, clock=fake_clock, home=tmp_path, backend_factory=lambda: backend)

    yield make
    for backend in backends:
        backend.close()


class GmailHarness(Harness):
    """The MCP server over the IMAP backend on Gmail (open-email is offered: Gmail has web pages)."""

    def settings(self, **overrides: Any) -> Settings:
        paths = Paths(
            config_dir=self.home / "config", state_dir=self.home / "state", data_dir=self.home / "data"
        )
        return Settings.create(paths=paths, **{"features": features("imap.gmail.com"), **overrides})


async def test_ids_threads_and_labels_come_from_gmails_extensions(make_harness: Any, gmail: Gmail) -> None:
    async with make_harness().client() as client:
        unread = (await client.ok("get-unread-emails", {}))["emails"]
    assert unread == [
        {
            "id": format(MSGID, "x"),
            "threadId": format(THRID, "x"),
            "from": "Bob <bob@example.net>",
            "subject": "Trip to Zürich",
            "date": "2026-11-17T10:00:00+00:00",
            "snippet": "Are you coming along?",
            "labels": ["IMPORTANT", "INBOX", "Überweisungen", "UNREAD"],
            "unread": True,
            "has_attachments": False,
        }
    ]
    # Gmail's own search syntax goes to Gmail as it is (X-GM-RAW), in All Mail, read-only.
    assert 'UID SEARCH CHARSET UTF-8 X-GM-RAW "is:unread in:inbox"' in gmail.commands
    assert 'EXAMINE "[Gmail]/All Mail"' in gmail.commands
    assert not any(c.startswith("SELECT") for c in gmail.commands)


async def test_open_email_is_offered_on_gmail_and_opens_gmails_web_page(make_harness: Any) -> None:
    harness = make_harness()
    async with harness.client() as client:
        tools = {t.name for t in (await client.client.list_tools()).tools}
        opened = await client.ok("open-email", {"email_id": format(MSGID, "x")})
    assert "open-email" in tools
    assert opened["url"] == f"https://mail.google.com/mail/u/0/#all/{MSGID:x}"
    assert harness.opened == [opened["url"]]


async def test_a_thread_is_found_by_x_gm_thrid_and_read_oldest_first(make_harness: Any, gmail: Gmail) -> None:
    async with make_harness().client(enhanced=True) as client:
        thread = await client.ok("read-thread", {"thread_id": format(THRID, "x")})
        read = await client.ok("read-email", {"email_id": format(MSGID, "x")})
    assert [(m["from"], m["content"]) for m in thread["messages"]] == [
        ("Bob <bob@example.net>", "Are you coming along?"),
        (USER, "Yes!"),
    ]
    assert f"UID SEARCH X-GM-THRID {THRID}" in gmail.commands
    assert read["labels"] == ["IMPORTANT", "INBOX", "Überweisungen", "UNREAD"]
    assert "\\Seen" not in gmail.mail[0].flags  # read with BODY.PEEK, on a read-only selection


async def test_a_reply_is_sent_once_and_gmail_files_it_itself(
    make_harness: Any, gmail: Gmail, sink: Sink
) -> None:
    async with make_harness().client() as client:
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "bob@example.net",
                "subject": "x",
                "message": "See you there.",
                "thread_id": format(THRID, "x"),
            },
        )
    assert len(sink.received) == 1
    wire = email.message_from_bytes(sink.received[0].data, policy=email.policy.default)
    assert (wire["Subject"], wire["In-Reply-To"], wire["References"]) == (
        "Re: Trip to Zürich",
        "<trip-2@gmail.com>",
        "<trip-1@example.net> <trip-2@gmail.com>",
    )
    assert not any(c.startswith("APPEND") for c in gmail.commands)  # no second copy in Sent
    assert sent["status"] == "success"


async def test_trash_and_labels_use_gmails_folders_and_x_gm_labels(make_harness: Any, gmail: Gmail) -> None:
    async with make_harness().client(enhanced=True) as client:
        labelled = await client.ok(
            "manage-labels",
            {
                "email_id": format(MSGID, "x"),
                "add_labels": ["STARRED"],
                "remove_labels": ["Überweisungen", "IMPORTANT"],
            },
        )
        labels = {label["id"] for label in (await client.ok("list-labels", {}))["labels"]}
        await client.ok("trash-email", {"email_id": format(MSGID, "x")})
        trashed = (await client.ok("search-emails", {"query": "in:trash"}))["emails"]
    assert labelled["labels"] == ["INBOX", "UNREAD", "STARRED"]
    assert 'UID STORE 1 -X-GM-LABELS.SILENT ("&ANw-berweisungen")' in gmail.commands
    assert labels >= {
        "INBOX",
        "SENT",
        "DRAFT",
        "TRASH",
        "SPAM",
        "STARRED",
        "IMPORTANT",
        "UNREAD",
        "Überweisungen",
    }
    assert 'UID MOVE 1 "[Gmail]/Trash"' in gmail.commands
    assert [(e["id"], "TRASH" in e["labels"]) for e in trashed] == [(format(MSGID, "x"), True)]


async def test_too_many_connections_is_retried_with_backoff(
    make_harness: Any, gmail: Gmail, sleeps: Sleeps
) -> None:
    gmail.refuse_logins = [TOO_MANY, TOO_MANY]
    async with make_harness().client() as client:
        unread = (await client.ok("get-unread-emails", {}))["emails"]
    assert len(unread) == 1
    assert gmail.logins == 3
    assert sleeps == [0.5, 1.0]


async def test_too_many_connections_that_persists_is_a_clear_error(
    make_harness: Any, gmail: Gmail, sleeps: Sleeps
) -> None:
    gmail.refuse_logins = [TOO_MANY] * 20
    async with make_harness().client() as client:
        error = await client.error("get-unread-emails", {})
    assert error["error_code"] == "QUOTA_EXCEEDED"
    assert "simultaneous connections" in error["error_message"] and "Gmail: 15" in error["error_message"]
    assert gmail.logins == 7 and sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]


async def test_authenticationfailed_gives_auth_error_with_the_app_password_steps(
    make_harness: Any, gmail: Gmail
) -> None:
    async with make_harness(PasswordLogin(USER, Secret("my google password"))).client() as client:
        error = await client.error("get-unread-emails", {})
    assert error["error_code"] == "AUTH_ERROR"
    assert "AUTHENTICATIONFAILED" in error["error_message"]
    assert "https://myaccount.google.com/apppasswords" in error["error_message"]
    assert gmail.logins == 1  # a wrong password is never retried


async def test_please_log_in_via_the_web_browser_is_explained(make_harness: Any, gmail: Gmail) -> None:
    gmail.refuse_logins = [WEB_LOGIN]
    async with make_harness().client() as client:
        error = await client.error("get-unread-emails", {})
    assert error["error_code"] == "AUTH_ERROR"
    assert "web browser" in error["error_message"] and "https://mail.google.com" in error["error_message"]


async def test_xoauth2_logs_in_with_a_fresh_access_token(make_harness: Any, gmail: Gmail) -> None:
    tokens = iter(["ya29.test-token", "ya29.expired"])
    async with make_harness(OAuthLogin(USER, lambda: next(tokens))).client() as client:
        unread = (await client.ok("get-unread-emails", {}))["emails"]
    assert len(unread) == 1
    assert "AUTHENTICATE" in gmail.commands and "LOGIN" not in gmail.commands
    async with make_harness(OAuthLogin(USER, lambda: "ya29.expired")).client() as client:
        error = await client.error("get-unread-emails", {})
    assert error["error_code"] == "AUTH_ERROR"


async def test_the_app_password_never_reaches_logs_audit_or_results(
    make_harness: Any, gmail: Gmail, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("imapclient").setLevel(logging.DEBUG)  # even with the protocol trace on
    texts = []
    async with make_harness().client(enhanced=True) as client:
        for name, arguments in (
            ("get-unread-emails", {}),
            ("read-email", {"email_id": format(MSGID, "x")}),
            ("send-email", {"recipient_id": "bob@example.net", "subject": "Hi", "message": "Hello"}),
            ("create-draft", {"recipient": "bob@example.net", "subject": "Hi", "message": "Hello"}),
        ):
            result = await client.call(name, arguments)
            texts.append(str(result.model_dump()))
    async with make_harness(PasswordLogin(USER, Secret(PASSWORD + "x"))).client() as client:
        texts.append(str((await client.call("get-unread-emails", {})).model_dump()))
    logging.getLogger("imapclient").setLevel(logging.INFO)
    audit = "".join(p.read_text() for p in tmp_path.rglob("audit.jsonl"))
    assert audit and caplog.text
    for text in (*texts, caplog.text, audit):
        assert PASSWORD not in text
        assert PASSWORD.replace(" ", "") not in text


def test_when_gmail_refuses_more_connections_the_pool_makes_do_with_its_own(
    gmail: Gmail, sink: Sink, certificate: Certificate, fake_clock: Any, sleeps: Sleeps
) -> None:
    servers = connect.Servers("127.0.0.1", gmail.port, "127.0.0.1", sink.port, ca_file=certificate.cert)
    backoff = Backoff(clock=fake_clock, sleep=lambda s: (sleeps(s), fake_clock.sleep(s)), rand=lambda: 0.5)
    backend = connect.backend(servers, PasswordLogin(USER, Secret(PASSWORD)), backoff=backoff)
    pool = backend.box.pool
    backend.list_messages("")  # one connection, logged in
    gmail.refuse_logins = [TOO_MANY]  # the account is at its limit (phones, other programs)
    holding, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=2) as workers:
        busy = workers.submit(pool.run, lambda c: (holding.set(), release.wait(10)))
        assert holding.wait(10)
        waiting = workers.submit(backend.list_messages, "is:unread")
        deadline = time.monotonic() + 10
        while gmail.logins < 2 and time.monotonic() < deadline:  # bounded: until the refusal happened
            time.sleep(0.01)
        release.set()
        busy.result(timeout=10)
        page = waiting.result(timeout=10)
    backend.close()
    assert [m.subject for m in page.messages] == ["Trip to Zürich"]
    assert gmail.logins == 2 and sleeps == []  # waited for its own connection, no backoff, no error


async def test_a_list_is_one_search_and_two_fetches_that_never_download_bodies(
    make_harness: Any, gmail: Gmail
) -> None:
    async with make_harness().client() as client:
        await client.ok("get-unread-emails", {})
        before = len(gmail.commands)
        await client.ok("get-unread-emails", {})
        commands = gmail.commands[before:]
    assert commands == [
        'UID SEARCH CHARSET UTF-8 X-GM-RAW "is:unread in:inbox"',
        "UID FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC BCC "
        "SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)] X-GM-MSGID X-GM-THRID X-GM-LABELS)",
        "UID FETCH 1 (BODY.PEEK[1]<0.2048>)",
    ]


async def test_a_query_cannot_smuggle_a_second_imap_command(make_harness: Any, gmail: Gmail) -> None:
    async with make_harness().client(enhanced=True) as client:
        search = await client.error(
            "search-emails", {"query": 'trip"\r\nA1 STORE 1:* +FLAGS (\\Deleted)\r\n"'}
        )
        label = await client.error(
            "manage-labels",
            {"email_id": format(MSGID, "x"), "add_labels": ["x\r\nA2 DELETE INBOX"], "create_missing": True},
        )
    assert search["error_code"] == label["error_code"] == "INVALID_PARAMS"
    assert not [c for c in gmail.commands if "Deleted" in c or "DELETE" in c]
