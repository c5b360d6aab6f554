"""`gmail-mcp auth --imap`, `serve --backend imap` and `status` against Dovecot and the SMTP sink."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import keyring
import pytest
from keyring.backends import fail

from gmail_mcp.cli import main
from gmail_mcp.config import Paths
from gmail_mcp.imap.login import ask_password
from tests.imap.conftest import ImapHarness
from tests.imap.dovecot import Account
from tests.imap.memory_keyring import MemoryKeyring
from tests.imap.smtp_sink import Sink
from tests.test_e2e import stdio_client
from tests.test_server import CORE_TOOLS

NO_KEYRING = "keyring.backends.fail.Keyring"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """GMAIL_MCP_HOME for the command, and no IMAP login or keyring from the person running the tests."""
    folder = tmp_path / "home"
    for name in ("GMAIL_MCP_IMAP_USER", "GMAIL_MCP_IMAP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GMAIL_MCP_HOME", str(folder))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)  # for the server subprocesses
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # never the real keychain of whoever runs the tests
    yield folder
    keyring.set_keyring(previous)


def server_options(imap_server: Account, smtp_server: Sink) -> list[str]:
    return [
        "--imap-host", "127.0.0.1", "--imap-port", str(imap_server.port),
        "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_server.port),
        "--ca-file", str(imap_server.ca_file),
    ]  # fmt: skip


def auth(imap_server: Account, smtp_server: Sink, *extra: str) -> int:
    return main(
        ["auth", "--imap", "--email", imap_server.user, *server_options(imap_server, smtp_server), *extra]
    )


def test_auth_imap_verifies_the_app_password_and_keeps_it_in_a_private_file(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    assert auth(imap_server, smtp_server) == 0
    out, err = capsys.readouterr()
    secret = home / "imap-default.secret.json"
    record = json.loads((home / "imap-default.json").read_text())
    assert json.loads(secret.read_text()) == {"password": imap_server.password}
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert (record["user"], record["storage"], record["imap_port"]) == (
        imap_server.user,
        "file",
        imap_server.port,
    )
    assert imap_server.password not in json.dumps(record) + out + err
    assert out == ""  # stdout may carry a protocol: people are told things on stderr
    assert "mode 0600" in err


def test_auth_imap_keeps_the_app_password_in_the_keyring_when_there_is_one(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    keyring.set_keyring(MemoryKeyring())  # as a person's keyring.cfg or PYTHON_KEYRING_BACKEND would
    MemoryKeyring.secrets.clear()
    assert auth(imap_server, smtp_server, "--account", "work") == 0
    assert MemoryKeyring.secrets == {("gmail-mcp", f"imap:work:{imap_server.user}"): imap_server.password}
    assert not (home / "imap-work.secret.json").exists()
    assert json.loads((home / "imap-work.json").read_text())["storage"] == "keyring"


def test_auth_imap_with_a_wrong_password_explains_app_passwords_and_stores_nothing(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", "my google password")
    assert auth(imap_server, smtp_server) == 2
    err = capsys.readouterr().err
    assert "https://myaccount.google.com/apppasswords" in err and "2-Step Verification" in err
    assert not list(home.glob("imap-*"))
    audit = (home / "state" / "audit.jsonl").read_text()
    assert '"auth"' in audit and "AUTH_ERROR" in audit and "my google password" not in audit


def test_account_names_cannot_reach_outside_the_config_folder(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    assert auth(imap_server, smtp_server, "--account", "../../evil") == 2
    assert "not a usable account name" in capsys.readouterr().err
    assert not list(home.parent.rglob("*evil*"))


def test_the_app_password_is_asked_without_echo_and_prompts_go_to_stderr(capsys: Any) -> None:
    asked: list[str] = []

    def hidden(prompt: str, stream: Any) -> str:
        asked.append(prompt)
        return "abcd efgh ijkl mnop"

    import sys

    secret = ask_password({}, out=sys.stderr, hidden=hidden)
    out, err = capsys.readouterr()
    assert secret.reveal() == "abcd efgh ijkl mnop" and repr(secret) == "Secret('********')"
    assert asked == ["App password: "]
    assert out == "" and "https://myaccount.google.com/apppasswords" in err


def test_status_reports_the_imap_login_without_the_password(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    assert auth(imap_server, smtp_server) == 0
    monkeypatch.delenv("GMAIL_MCP_IMAP_PASSWORD")
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"imap login:      {imap_server.user} via 127.0.0.1:{imap_server.port}" in out
    assert "imap-default.secret.json (mode 0600)" in out
    assert "imap check:      logged in" in out and "imap status:     ok" in out
    assert imap_server.password not in out
    (home / "imap-default.secret.json").chmod(0o644)
    assert main(["status"]) == 1
    assert "NOT OK" in capsys.readouterr().out


@pytest.mark.anyio
async def test_serve_backend_imap_answers_an_mcp_client_over_stdio(
    home: Path, imap_server: Account, smtp_server: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    assert auth(imap_server, smtp_server) == 0
    with anyio.fail_after(60):
        # The stored login and servers are used; nothing but the home folder is passed.
        async with stdio_client("--backend", "imap", home=home, PYTHON_KEYRING_BACKEND=NO_KEYRING) as client:
            tools = {tool.name for tool in (await client.client.list_tools()).tools}
            unread = (await client.ok("get-unread-emails", {}))["emails"]
            sent = await client.ok(
                "send-email",
                {"recipient_id": "bob@example.net", "subject": "Hello", "message": "From stdio."},
            )
    assert tools == CORE_TOOLS - {"open-email"}
    assert [e["subject"] for e in unread] == ["Grüße aus Zürich", "Café déjà vu", "Re: Lunch on Friday?"]
    assert sent["status"] == "success" and len(smtp_server.received) == 1


@pytest.mark.anyio
async def test_serve_backend_imap_serves_two_accounts_each_with_its_own_login(
    home: Path,
    imap_server: Account,
    smtp_server: Sink,
    dovecot_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    other = dovecot_server.add_user()  # an empty mailbox of its own
    assert auth(imap_server, smtp_server) == 0
    assert (
        main(
            [
                "auth",
                "--imap",
                "--email",
                other.user,
                "--account",
                "work",
                *server_options(other, smtp_server),
            ]
        )
        == 0
    )
    with anyio.fail_after(60):
        async with stdio_client(
            "--backend",
            "imap",
            "--account",
            "default",
            "--account",
            "work",
            home=home,
            PYTHON_KEYRING_BACKEND=NO_KEYRING,
        ) as client:
            listed = await client.ok("list-accounts")
            mine = (await client.ok("get-unread-emails", {}))["emails"]
            work = (await client.ok("get-unread-emails", {"account": "work"}))["emails"]
    assert [(a["name"], a["email"]) for a in listed["accounts"]] == [
        ("default", imap_server.user),
        ("work", other.user),
    ]
    assert len(mine) == 3 and work == []


def test_serve_refuses_imap_with_the_sandbox(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--backend", "imap", "--sandbox"]) == 2
    assert "REST API" in capsys.readouterr().err


@pytest.mark.anyio
async def test_the_stored_app_password_cannot_be_attached(
    home: Path,
    imap_server: Account,
    smtp_server: Sink,
    imap_harness: ImapHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", imap_server.password)
    assert auth(imap_server, smtp_server) == 0
    paths = Paths.resolve()
    async with imap_harness.client(enhanced=True, paths=paths, attachment_dirs=(paths.config_dir,)) as client:
        error = await client.error(
            "send-email-with-attachment",
            {
                "recipient_id": "bob@example.net",
                "subject": "x",
                "message": "y",
                "attachment_paths": [str(paths.imap_secret())],
            },
        )
    assert error["error_code"] == "PERMISSION_DENIED"
    assert smtp_server.received == []
