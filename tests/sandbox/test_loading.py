"""Loading real mail: every corpus file, folders of .eml, and Takeout mbox with X-Gmail-Labels."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.sandbox import Mailbox
from gmail_mcp.sandbox.loader import takeout_labels
from tests.conftest import FakeClock
from tests.helpers import CORPUS

CORPUS_FILES = sorted(CORPUS.glob("*.eml"))


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox(clock=fake_clock)


def walk(part: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield part
    for child in part.get("parts", []):
        yield from walk(child)


@pytest.mark.corpus
def test_every_corpus_message_loads_and_reads_back_in_every_format(
    gmail_service: Any, mailbox: Mailbox
) -> None:
    assert mailbox.load(CORPUS) == len(CORPUS_FILES)
    messages = gmail_service.users().messages()
    by_size = {path.read_bytes(): path.name for path in CORPUS_FILES}
    listed = messages.list(userId="me", maxResults=500).execute()["messages"]
    assert len(listed) == len(CORPUS_FILES)
    for item in listed:
        raw = base64.urlsafe_b64decode(
            messages.get(userId="me", id=item["id"], format="raw").execute()["raw"]
        )
        assert raw in by_size  # byte for byte what was loaded
        full = messages.get(userId="me", id=item["id"], format="full").execute()
        for part in walk(full["payload"]):
            if "attachmentId" in part["body"]:
                got = messages.attachments().get(
                    userId="me", messageId=item["id"], id=part["body"]["attachmentId"]
                )
                assert got.execute()["size"] == part["body"]["size"], by_size[raw]
        for fmt in ("metadata", "minimal"):
            assert messages.get(userId="me", id=item["id"], format=fmt).execute()["id"] == item["id"]


@pytest.mark.corpus
def test_corpus_mail_has_sensible_subjects_senders_and_attachments(mailbox: Mailbox) -> None:
    mailbox.load(CORPUS / "mail_test_1.eml")
    mailbox.load(CORPUS / "mail_test_6.eml")
    with mailbox.lock:
        docs = {m.subject: m.doc for m in mailbox.all_messages()}
    assert set(docs) == {"письмо уведом-е", "Быстрее вкладывайте в золото!"}
    assert docs["письмо уведом-е"].filenames == ("ФНС_РФ558.zip",)  # raw UTF-8 in the header
    assert "Профиль" in docs["Быстрее вкладывайте в золото!"].text


def eml(subject: str, extra: str = "") -> bytes:
    return f"From: a@example.com\r\nTo: you@example.com\r\nSubject: {subject}\r\n{extra}\r\n{subject} body\r\n".encode()


def test_a_folder_loads_every_eml_below_it(tmp_path: Path, mailbox: Mailbox) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "one.eml").write_bytes(eml("one"))
    (tmp_path / "deep" / "er" / "two.eml").write_bytes(eml("two"))
    (tmp_path / "notes.txt").write_bytes(b"not mail")
    assert mailbox.load(tmp_path) == 2
    assert {m.subject: sorted(m.label_ids) for m in mailbox.all_messages()} == {
        "one": ["INBOX"],
        "two": ["INBOX"],
    }


def test_a_takeout_mbox_keeps_labels_and_threads(tmp_path: Path, mailbox: Mailbox) -> None:
    mbox = tmp_path / "All mail Including Spam and Trash.mbox"
    entries = [
        ("Sat Sep 05 10:00:00 +0000 2026", eml("Trip", 'X-Gmail-Labels: Inbox,Important,"Travel, 2026",Unread\r\n'
          "Date: Sat, 05 Sep 2026 10:00:00 +0000\r\nMessage-ID: <trip@x>\r\n")),
        ("Sun Sep 06 10:00:00 +0000 2026", eml("Re: Trip", "X-Gmail-Labels: Sent,Opened\r\n"
          "Date: Sun, 06 Sep 2026 10:00:00 +0000\r\nIn-Reply-To: <trip@x>\r\n")),
        ("Mon Sep 07 10:00:00 +0000 2026", eml("Deal", "X-Gmail-Labels: Spam,Category Promotions,Archived\r\n")),
        ("Tue Sep 08 10:00:00 +0000 2026", eml("Plain", "Date: Tue, 08 Sep 2026 10:00:00 +0000\r\n")),
    ]  # fmt: skip
    mbox.write_bytes(
        b"".join(f"From takeout@gmail {when}\r\n".encode() + raw + b"\r\n" for when, raw in entries)
    )
    assert mailbox.load(mbox) == 4
    travel = mailbox.labels.by_name("Travel, 2026")
    assert travel is not None
    by_subject = {m.subject: m for m in mailbox.all_messages()}
    assert {s: sorted(m.label_ids) for s, m in by_subject.items()} == {
        "Trip": sorted(["INBOX", "IMPORTANT", travel, "UNREAD"]),
        "Re: Trip": ["SENT"],
        "Deal": ["CATEGORY_PROMOTIONS", "SPAM"],
        "Plain": ["INBOX"],
    }
    assert by_subject["Re: Trip"].thread_id == by_subject["Trip"].id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Inbox,Starred", (["INBOX", "STARRED"], [])),
        ('"Work/Projects, Q3",Category Updates', (["CATEGORY_UPDATES"], ["Work/Projects, Q3"])),
        ("=?UTF-8?Q?Caf=C3=A9?=,Trash", (["TRASH"], ["Café"])),
        ("Opened,Archived", ([], [])),
    ],
)
def test_takeout_label_names_map_to_gmail_labels(value: str, expected: tuple[list[str], list[str]]) -> None:
    assert takeout_labels(value) == expected


def test_loading_a_missing_path_raises(tmp_path: Path, mailbox: Mailbox) -> None:
    with pytest.raises(FileNotFoundError):
        mailbox.load(tmp_path / "nowhere.mbox")


def test_insert_raw_refuses_unknown_labels_and_accepts_names(mailbox: Mailbox) -> None:
    with mailbox.lock:
        label_id = mailbox.labels.create({"name": "Receipts"}).id
    with pytest.raises(ValueError, match="unknown label"):
        mailbox.insert_raw(eml("x"), labels=("NOPE",))
    message_id = mailbox.insert_raw(eml("x"), labels=("inbox", "Receipts"))
    assert mailbox.message(message_id).label_ids == {"INBOX", label_id}
