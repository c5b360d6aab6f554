"""Loading real mail: every corpus file, folders of .eml, and Takeout mbox with X-Gmail-Labels."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.sandbox import LoadError, Mailbox
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
    assert mailbox.load(CORPUS).messages == len(CORPUS_FILES)
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
    assert mailbox.load(tmp_path).messages == 2
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
    assert mailbox.load(mbox).messages == 4
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
    with pytest.raises(LoadError, match="no such file or folder"):
        mailbox.load(tmp_path / "nowhere.mbox")


def test_insert_raw_refuses_unknown_labels_and_accepts_names(mailbox: Mailbox) -> None:
    with mailbox.lock:
        label_id = mailbox.labels.create({"name": "Receipts"}).id
    with pytest.raises(ValueError, match="unknown label"):
        mailbox.insert_raw(eml("x"), labels=("NOPE",))
    message_id = mailbox.insert_raw(eml("x"), labels=("inbox", "Receipts"))
    assert mailbox.message(message_id).label_ids == {"INBOX", label_id}


# -- loading like an import tool -----------------------------------------------------------------


def dated(subject: str, day: int, extra: str = "") -> bytes:
    return eml(subject, f"Date: Tue, {day:02d} Sep 2026 10:00:00 +0000\r\n{extra}")


def unreadable_file(tmp_path: Path) -> Path:
    """A regular file whose reading fails: mode 000, or for root (whom modes do not stop) /proc/self/mem."""
    if os.geteuid() != 0:
        path = tmp_path / "locked.eml"
        path.write_bytes(eml("locked"))
        path.chmod(0)
        return path
    path = Path("/proc/self/mem")  # a regular file to stat, an I/O error to read at offset 0
    if not path.exists():
        pytest.skip("running as root without /proc: no file root cannot read")
    return path


def test_a_message_without_a_date_gets_the_same_date_and_id_on_every_load(tmp_path: Path) -> None:
    received = eml("relayed", "Received: from mx.example by mx2.example; Mon, 07 Sep 2026 08:30:00 +0000\r\n")
    (tmp_path / "relayed.eml").write_bytes(received)
    (tmp_path / "bare.eml").write_bytes(eml("bare"))
    os.utime(tmp_path / "bare.eml", (1_788_000_000, 1_788_000_000))

    loads = []
    for now in (1_800_000_000.0, 1_900_000_000.0):  # two runs of the server, far apart
        mailbox = Mailbox(clock=lambda now=now: now)
        mailbox.load(tmp_path)
        loads.append({m.subject: (m.id, m.internal_date_ms) for m in mailbox.all_messages()})

    assert loads[0] == loads[1]
    assert loads[0]["relayed"][1] == 1_788_769_800_000  # the Received stamp: 7 Sep 2026 08:30 UTC
    assert loads[0]["bare"][1] == 1_788_000_000_000  # the file's mtime


def test_a_dateless_message_in_an_mbox_takes_the_date_of_its_from_line(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"From someone@example.com Mon Sep 07 08:30:00 2026\n" + eml("from-line") + b"\n")

    mailbox.load(mbox)

    [message] = mailbox.all_messages()
    assert message.internal_date_ms == 1_788_769_800_000


def test_the_newest_loaded_messages_are_left_unread_unless_takeout_labels_say_otherwise(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    for day in range(1, 6):
        (tmp_path / f"{day}.eml").write_bytes(dated(f"plain {day}", day))
    # The newest of all, but Takeout says it was read; an older one Takeout says is unread.
    (tmp_path / "read.eml").write_bytes(dated("takeout read", 9, "X-Gmail-Labels: Inbox,Opened\r\n"))
    (tmp_path / "unread.eml").write_bytes(dated("takeout unread", 1, "X-Gmail-Labels: Inbox,Unread\r\n"))

    report = mailbox.load(tmp_path, unread=3)

    unread = {m.subject for m in mailbox.all_messages() if "UNREAD" in m.label_ids}
    assert unread == {"plain 5", "plain 4", "takeout unread"}
    assert (report.messages, report.unread) == (7, 3)


def test_the_load_report_names_labels_and_every_skipped_file_with_why(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    (tmp_path / "good.eml").write_bytes(eml("good", 'X-Gmail-Labels: Inbox,"Travel, 2026",Work\r\n'))
    (tmp_path / "licence.eml").write_bytes(b"MIT License\n\nPermission is hereby granted...\n")
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"not loaded")
    os.mkfifo(tmp_path / "pipe.eml")  # would block a naive reader forever

    report = mailbox.load(tmp_path)

    assert report.lines(tmp_path) == [
        f"loaded 1 message (0 unread) from {tmp_path}; labels: Travel, 2026, Work",
        "skipped 3 messages that could not be loaded:",
        f"  {tmp_path / 'empty.eml'}: empty, not mail",
        f"  {tmp_path / 'licence.eml'}: not mail (no From, Date, Subject or Message-ID header)",
        f"  {tmp_path / 'pipe.eml'}: not a regular file or folder (a device, FIFO or socket is never read)",
        "left out 1 file not named .eml",
    ]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda tmp: tmp / "nowhere.mbox", "no such file or folder"),
        (lambda tmp: tmp, "no .eml file in it"),
        (lambda tmp: _write(tmp / "LICENSE.txt", b"MIT License\n\nCopyright (c) 2026\n"), "not mail"),
        (lambda tmp: _write(tmp / "empty.eml", b""), "empty, not mail"),
        (lambda tmp: _write(tmp / "empty.mbox", b""), "no message in it"),
        (lambda tmp: _fifo(tmp / "pipe.mbox"), "not a regular file or folder"),
        (unreadable_file, "cannot read it"),
    ],
    ids=["missing", "empty-folder", "not-mail", "empty-file", "empty-mbox", "fifo", "unreadable"],
)
def test_a_source_with_nothing_to_load_is_refused_with_the_reason(
    tmp_path: Path, mailbox: Mailbox, make: Any, why: str
) -> None:
    path = make(tmp_path)

    with pytest.raises(LoadError) as refused:
        mailbox.load(path)

    assert str(refused.value).startswith(f"{path}: {why}")
    assert "\n" not in str(refused.value)
    assert mailbox.all_messages() == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_names_in_the_report_cannot_forge_lines_or_drive_the_terminal(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    (tmp_path / "a.eml").write_bytes(eml("a", 'X-Gmail-Labels: Inbox,"Red\x1b[31m"\r\n'))
    (tmp_path / "b\nloaded 999 messages.eml").write_bytes(b"not mail")

    lines = mailbox.load(tmp_path).lines(tmp_path)

    assert len(lines) == 3
    assert lines[0].endswith("labels: Red\\x1b[31m")
    assert (
        lines[2]
        == f"  {tmp_path}/b\\x0aloaded 999 messages.eml: not mail (no From, Date, Subject or Message-ID header)"
    )
    assert not any(c in "".join(lines) for c in "\x1b\n\r")
