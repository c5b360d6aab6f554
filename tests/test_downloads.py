"""download-attachment against Gmail-like attachment ids: new on every fetch of a message, expiring.

The attachment is found by its part in a fresh copy of the email, so the id a tool listed keeps
working after it changed or expired, and the file keeps its own name and type.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


def with_files(*files: tuple[str, str, bytes]) -> bytes:
    parts = [b"--b\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n"]
    for name, mime_type, data in files:
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        parts.append(
            f'--b\r\nContent-Type: {mime_type}; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
            + encoded
        )
    return (
        b"From: Ann <ann@example.com>\r\nTo: you@example.com\r\nSubject: Files\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + b"".join(parts)
        + b"--b--\r\n"
    )


@pytest.fixture
def save_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    return folder


@pytest.fixture
def two_files(harness: Harness) -> str:
    raw = with_files(("contract.pdf", "application/pdf", PDF), ("photo.png", "image/png", PNG))
    return str(harness.sandbox.mailbox.insert_raw(raw))


async def listed(client: Any, email_id: str) -> dict[str, dict[str, Any]]:
    read = await client.ok("read-email", {"email_id": email_id})
    return {a["filename"]: a for a in read["attachments"]}


async def download(client: Any, email_id: str, reference: str, save_dir: Path) -> dict[str, Any]:
    arguments = {"email_id": email_id, "attachment_id": reference, "save_path": str(save_dir) + "/"}
    return dict(await client.ok("download-attachment", arguments))


async def test_ids_rotate_and_the_one_first_listed_still_downloads_the_right_file(
    harness: Harness, two_files: str, save_dir: Path
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        first = await listed(client, two_files)
        harness.clock.advance(120)
        second = await listed(client, two_files)
        assert first["contract.pdf"]["attachment_id"] != second["contract.pdf"]["attachment_id"]
        assert first["contract.pdf"]["part_id"] == second["contract.pdf"]["part_id"] == "1"
        pdf = await download(client, two_files, first["contract.pdf"]["attachment_id"], save_dir)
        png = await download(client, two_files, first["photo.png"]["attachment_id"], save_dir)
    assert (pdf["filename"], pdf["mime_type"], Path(pdf["path"]).name) == (
        "contract.pdf",
        "application/pdf",
        "contract.pdf",
    )
    assert Path(pdf["path"]).read_bytes() == PDF
    assert (png["filename"], png["mime_type"], Path(png["path"]).read_bytes()) == (
        "photo.png",
        "image/png",
        PNG,
    )


async def test_an_expired_id_recovers_with_a_fresh_one(
    harness: Harness, two_files: str, save_dir: Path
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        old = (await listed(client, two_files))["photo.png"]["attachment_id"]
        harness.clock.advance(3600)  # long past the sandbox's 600 s lifetime
        reset_stats(harness.sandbox)
        saved = await download(client, two_files, old, save_dir)
    assert (saved["filename"], saved["mime_type"]) == ("photo.png", "image/png")
    assert Path(saved["path"]).read_bytes() == PNG
    # A fresh copy of the email, then its attachment by the fresh id: two calls, nothing refused.
    assert harness.sandbox.stats()["by_method"] == {
        "gmail.users.messages.get": 1,
        "gmail.users.messages.attachments.get": 1,
    }


@pytest.mark.parametrize("reference", ["part:2", "2", "photo.png"])
async def test_an_attachment_can_be_named_by_its_part_or_filename(
    harness: Harness, two_files: str, save_dir: Path, reference: str
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        saved = await download(client, two_files, reference, save_dir)
    assert (saved["filename"], Path(saved["path"]).read_bytes()) == ("photo.png", PNG)


async def test_an_expired_id_no_server_ever_listed_is_not_guessed_among_several_files(
    harness: Harness, two_files: str, save_dir: Path
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        old = (await listed(client, two_files))["contract.pdf"]["attachment_id"]
    harness.clock.advance(3600)
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as restarted:  # forgot it
        error = await restarted.error(
            "download-attachment",
            {"email_id": two_files, "attachment_id": old, "save_path": str(save_dir) + "/"},
        )
        saved = await download(
            restarted, two_files, error["error_details"]["attachments"][0]["part_id"], save_dir
        )
    assert error["error_code"] == "NOT_FOUND"
    assert error["error_details"]["attachments"] == [
        {"filename": "contract.pdf", "part_id": "1"},
        {"filename": "photo.png", "part_id": "2"},
    ]
    assert list(save_dir.iterdir()) == [Path(saved["path"])]  # nothing was written for the refusal
    assert Path(saved["path"]).read_bytes() == PDF


async def test_the_only_attachment_of_an_email_is_found_even_by_an_id_nobody_remembers(
    harness: Harness, save_dir: Path
) -> None:
    email_id = harness.sandbox.mailbox.insert_raw(with_files(("notes.txt", "text/plain", b"notes\r\n")))
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        old = (await listed(client, email_id))["notes.txt"]["attachment_id"]
    harness.clock.advance(3600)
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as restarted:
        saved = await download(restarted, email_id, old, save_dir)
    assert (saved["filename"], saved["mime_type"]) == ("notes.txt", "text/plain")


async def test_an_attachment_id_of_another_email_finds_nothing_in_this_one(
    harness: Harness, two_files: str, save_dir: Path
) -> None:
    other = str(
        harness.sandbox.mailbox.insert_raw(
            with_files(("a.pdf", "application/pdf", PDF), ("b.pdf", "application/pdf", PDF))
        )
    )
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        foreign = (await listed(client, other))["a.pdf"]["attachment_id"]
        error = await client.error(
            "download-attachment",
            {"email_id": two_files, "attachment_id": foreign, "save_path": str(save_dir) + "/"},
        )
    assert error["error_code"] == "NOT_FOUND" and list(save_dir.iterdir()) == []
