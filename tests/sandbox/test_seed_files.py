"""The seed mailbox as data: the files shipped in the package, and the manifest reader that loads
them (`loader.read_seed`), including the manifests it must refuse."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from gmail_mcp.sandbox.loader import MANIFEST, SeedLabel, SeedSendAs, read_seed
from gmail_mcp.sandbox.seed import seed_data

SEED_FILES = files("gmail_mcp.sandbox") / "seed_mailbox"

REPLY = (
    b"From: Ann <ann@example.org>\r\nTo: you@example.com\r\nSubject: Re: Plans\r\n"
    b"Message-ID: <2@example.org>\r\nIn-Reply-To: <1@example.org>\r\nReferences: <1@example.org>\r\n"
    b"Date: Tue, 01 Sep 2026 11:00:00 +0000\r\n\r\nYes.\r\n"
)
FIRST = (
    b"From: you@example.com\r\nTo: ann@example.org\r\nSubject: Plans\r\nMessage-ID: <1@example.org>\r\n"
    b"Date: Tue, 01 Sep 2026 10:00:00 +0000\r\n\r\nLunch?\r\n"
)
DRAFT = b"From: you@example.com\r\nTo: ann@example.org\r\nSubject: Later\r\n\r\nNot yet.\r\n"
LABELS = """[[labels]]
name = "Friends"
text_color = "#000000"
background_color = "#fad165"

[[labels]]
name = "Friends/Ann"
"""
SMALL_MANIFEST = f"""
owner = "you@example.com"
owner_name = "Alex Morgan"

{LABELS}
[[messages]]
file = "mail/2-reply.eml"
internal_date = 2026-09-01T11:00:00Z
system_labels = ["INBOX", "UNREAD"]
user_labels = ["Friends/Ann"]

[[messages]]
file = "mail/1-first.eml"
internal_date = 2026-09-01T12:00:00+02:00
system_labels = ["SENT"]

[[drafts]]
file = "draft.eml"

[[send_as]]
email = "alias@example.com"
verification = "accepted"
"""


def write_folder(root: Path, manifest: str = SMALL_MANIFEST) -> Path:
    (root / "mail").mkdir()
    (root / "mail" / "1-first.eml").write_bytes(FIRST)
    (root / "mail" / "2-reply.eml").write_bytes(REPLY)
    (root / "draft.eml").write_bytes(DRAFT)
    (root / MANIFEST).write_text(manifest, encoding="utf-8")
    return root


# ------------------------------------------------------------------ the seed in the package


def test_the_seed_is_read_from_the_package_data() -> None:
    data = seed_data()
    listed = tomllib.loads((SEED_FILES / MANIFEST).read_text(encoding="utf-8"))
    assert len(data.messages) == len(listed["messages"]) == 65
    assert len(data.drafts) == len(listed["drafts"]) == 3
    assert data.owner == listed["owner"]


def test_every_file_in_the_seed_folder_is_named_by_the_manifest() -> None:
    listed = tomllib.loads((SEED_FILES / MANIFEST).read_text(encoding="utf-8"))
    named = {entry["file"] for entry in (*listed["messages"], *listed["drafts"])}
    on_disk = {
        f"{folder.name}/{item.name}"
        for folder in SEED_FILES.iterdir()
        if folder.is_dir()
        for item in folder.iterdir()
    }
    assert on_disk == named


def test_seed_messages_keep_their_crlf_bytes_in_the_files() -> None:
    # A checkout that converted line endings would break the raw bytes (and the pin).
    for message in seed_data().messages:
        assert message.raw.count(b"\n") == message.raw.count(b"\r\n")


# ------------------------------------------------------------------ the manifest reader


def test_a_manifest_folder_reads_oldest_first_with_labels_dates_and_drafts(tmp_path: Path) -> None:
    data = read_seed(write_folder(tmp_path))
    assert (data.owner, data.owner_name) == ("you@example.com", "Alex Morgan")
    assert data.labels == (SeedLabel("Friends", "#000000", "#fad165"), SeedLabel("Friends/Ann"))
    # 12:00 at +02:00 is 10:00 UTC: the first message, though listed second.
    assert [(m.raw, m.internal_date_ms) for m in data.messages] == [
        (FIRST, 1_788_256_800_000),
        (REPLY, 1_788_260_400_000),
    ]
    assert [(m.system_labels, m.user_labels) for m in data.messages] == [
        (("SENT",), ()),
        (("INBOX", "UNREAD"), ("Friends/Ann",)),
    ]
    assert data.drafts == (DRAFT,)
    assert data.send_as == (SeedSendAs("alias@example.com"),)


def test_messages_with_the_same_date_keep_the_manifest_order(tmp_path: Path) -> None:
    same = SMALL_MANIFEST.replace("2026-09-01T12:00:00+02:00", "2026-09-01T11:00:00Z")
    data = read_seed(write_folder(tmp_path, same))
    assert [m.raw for m in data.messages] == [REPLY, FIRST]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("mail/1-first.eml", "../outside.eml"), "relative path"),
        (("mail/1-first.eml", "/etc/passwd.eml"), "relative path"),
        (("mail/1-first.eml", "mail/../../outside.eml"), "relative path"),
        (("mail/1-first.eml", "mail\\\\1-first.eml"), "relative path"),
        (("mail/1-first.eml", "mail/1-first.txt"), "relative path"),
        (("mail/1-first.eml", "mail/missing.eml"), "is not there"),
        (('user_labels = ["Friends/Ann"]', 'user_labels = ["Enemies"]'), "not declared"),
        (('system_labels = ["SENT"]', 'system_labels = ["SENT", "SENT"]'), "twice"),
        (('system_labels = ["SENT"]', 'system_labels = ["Sent Mail"]'), "not a system label"),
        (('system_labels = ["SENT"]', 'system_labels = ["DRAFT"]'), "[[drafts]]"),
        (('system_labels = ["SENT"]', 'system_labels = "SENT"'), "must be an array of strings"),
        (("2026-09-01T11:00:00Z", "2026-09-01T11:00:00"), "with an offset"),
        (("2026-09-01T11:00:00Z", "2026-09-01"), "with an offset"),
        (("2026-09-01T11:00:00Z", "2026-09-01T11:00:00.0005Z"), "whole milliseconds"),
        (("system_labels = [", "system_label = ["), "unknown keys ['system_label']"),
        (('owner = "you@example.com"', 'owner = ""'), "owner must be a non-empty string"),
        (('owner = "you@example.com"', "owner = 7"), "owner must be a non-empty string"),
        (('owner_name = "Alex Morgan"', "owner_name = []"), "owner_name must be a string"),
        (('text_color = "#000000"\n', ""), "together, or neither"),
        (('name = "Friends/Ann"', 'name = "friends"'), "declared twice"),
        (("[[drafts]]", "[[draft]]"), "unknown keys ['draft']"),
        ((LABELS, "labels = ['Friends']"), "labels[0] must be a table"),
        ((LABELS, 'labels = "Friends"'), "labels must be an array of tables"),
        (("owner_name =", "owner_name == "), "cannot read it"),
        (('verification = "accepted"', 'verification = "maybe"'), "'accepted' or 'pending'"),
        (('email = "alias@example.com"', 'address = "alias@example.com"'), "missing keys ['email']"),
    ],
)
def test_a_bad_manifest_is_refused_with_what_to_fix(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    old, new = change
    assert old in SMALL_MANIFEST
    with pytest.raises(ValueError, match=r"^manifest\.toml: ") as raised:
        read_seed(write_folder(tmp_path, SMALL_MANIFEST.replace(old, new, 1)))
    assert complaint in str(raised.value)


def test_a_folder_without_a_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read it"):
        read_seed(tmp_path)
