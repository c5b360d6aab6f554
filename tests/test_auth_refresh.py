"""A saved login that stays alive: refreshes that persist and are shared, and what a broken login says.

Each test starts from a token the sandbox granted through its own authorization-code exchange (the
browser login itself is covered in test_auth.py), saved by the real TokenStore.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from gmail_mcp import cli
from gmail_mcp.cli import gmail_backend
from gmail_mcp.gmail.auth import TokenStore
from gmail_mcp.gmail.scopes import MODIFY, READONLY, SEND
from gmail_mcp.sandbox.oauth import ACCESS_LIFETIME
from tests.helpers import control, inject, make_client
from tests.mcp_harness import Harness
from tests.test_auth_grants import WAIT, mode, saved, stored_login


def profile_calls(sandbox: Any) -> int:
    return int(sandbox.stats()["by_method"].get("gmail.users.getProfile", 0))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def harness(sandbox: Any, fake_clock: Any, tmp_path: Path) -> Harness:
    return Harness(sandbox, fake_clock, tmp_path)


@pytest.fixture
def token(harness: Harness) -> Path:
    """Where the harness's server looks for the login."""
    return harness.settings().paths.token


# -- refreshes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expired_by", "calls"),
    [
        # Gmail refuses the access token (401): refreshed, and the call made again.
        ("sandbox-clock", 2),
        # A server started after the expiry refreshes before calling at all.
        ("saved-expiry", 1),
    ],
)
def test_an_expired_access_token_is_refreshed_on_the_next_call_and_saved(
    sandbox: Any, fake_clock: Any, token: Path, expired_by: str, calls: int
) -> None:
    stored_login(sandbox, token, (READONLY,))
    before = saved(token)
    fake_clock.advance(ACCESS_LIFETIME + 1)
    if expired_by == "saved-expiry":
        token.write_text(json.dumps({**before, "expiry": "2000-01-01T00:00:00Z"}))
    credentials = TokenStore(token).load()

    profile = make_client(sandbox, fake_clock, credentials=credentials).get_profile()

    assert profile.email_address == sandbox.mailbox.owner
    assert profile_calls(sandbox) == calls
    after = saved(token)
    assert after == json.loads(credentials.to_json())
    assert after["token"] != before["token"]
    assert datetime.fromisoformat(after["expiry"].replace("Z", "+00:00")) > datetime.now(UTC)
    unchanged = {"token": None, "expiry": None}
    assert {**after, **unchanged} == {**before, **unchanged}  # same refresh token, client and scopes
    assert mode(token) == 0o600


def test_a_second_process_adopts_the_saved_refresh_instead_of_refreshing_again(
    sandbox: Any, fake_clock: Any, token: Path
) -> None:
    stored_login(sandbox, token, (READONLY,))
    first, second = TokenStore(token).load(), TokenStore(token).load()
    fake_clock.advance(ACCESS_LIFETIME + 1)
    make_client(sandbox, fake_clock, credentials=first).get_profile()
    # From here any refresh fails: the second process succeeds only if it makes none.
    inject(sandbox, oauth="invalid_grant")

    make_client(sandbox, fake_clock, credentials=second).get_profile()

    assert first.expiry is not None
    # The saved expiry is whole seconds.
    assert (second.token, second.expiry) == (first.token, first.expiry.replace(microsecond=0))
    assert saved(token)["token"] == first.token
    assert control(sandbox, "/__sandbox/faults", method="GET") == {
        "faults": [],
        "oauth": ["invalid_grant"],
        "consents": [],
    }


def test_two_processes_refreshing_at_once_make_one_refresh_between_them(
    sandbox: Any, fake_clock: Any, token: Path
) -> None:
    stored_login(sandbox, token, (READONLY,))
    old = saved(token)["token"]
    # Separate stores open the lock file separately, so they exclude each other as processes do.
    processes = [TokenStore(token).load(), TokenStore(token).load()]
    fake_clock.advance(ACCESS_LIFETIME + 1)
    start = threading.Barrier(len(processes))

    def call(credentials: Credentials) -> str:
        start.wait(timeout=WAIT)
        return make_client(sandbox, fake_clock, credentials=credentials).get_profile().email_address

    with ThreadPoolExecutor(len(processes)) as pool:
        addresses = list(pool.map(call, processes))

    assert addresses == [sandbox.mailbox.owner] * 2
    # Tokens are random: two refreshes would have left two different ones.
    assert processes[0].token == processes[1].token == saved(token)["token"] != old


# -- a login that no longer works, or was never made, through the MCP server -------------------


@pytest.mark.anyio
async def test_a_refresh_token_google_no_longer_honours_answers_auth_error_saying_why(
    harness: Harness, sandbox: Any, fake_clock: Any, token: Path
) -> None:
    stored_login(sandbox, token, (MODIFY,))
    before = token.read_bytes()
    harness.backend_factory = gmail_backend(harness.settings())
    # Google refuses that refresh token from now on: every refresh (the warm-up's, the call's).
    inject(sandbox, oauth="invalid_grant", count=10)
    fake_clock.advance(ACCESS_LIFETIME + 1)  # the next call needs a refresh

    async with harness.client() as client:
        error = await client.error("search-emails", {"query": "invoice"})

    assert error["error_code"] == "AUTH_ERROR"
    message = error["error_message"]
    for needed in ("invalid_grant", "'Testing'", "7 days", "Publish app", "Run `gmail-mcp auth`"):
        assert needed in message
    assert token.read_bytes() == before


def every_tool_arguments(harness: Harness) -> dict[str, dict[str, Any]]:
    """Valid arguments for every tool, so nothing but the login can fail."""
    paths = harness.settings().paths
    paths.outbox.mkdir(parents=True, exist_ok=True)
    (paths.outbox / "notes.txt").write_text("notes")
    email = {"email_id": "18c0ffee0000abcd"}
    mail = {"subject": "Hello", "message": "Hi there."}
    return {
        "send-email": {"recipient_id": "ann@example.com", **mail},
        "get-unread-emails": {},
        "read-email": email,
        "search-emails": {"query": "invoice"},
        "trash-email": email,
        "mark-email-as-read": email,
        "open-email": email,
        "create-draft": {"recipient": "ann@example.com", **mail},
        "list-drafts": {},
        "list-emails": {},
        "read-thread": {"thread_id": "18c0ffee0000abcd"},
        "download-attachment": {**email, "attachment_id": "ANGjdJ8", "save_path": str(paths.downloads)},
        "read-attachment": {**email, "attachment_id": "ANGjdJ8"},
        "send-email-with-attachment": {
            "recipient_id": "ann@example.com",
            **mail,
            "attachment_paths": [str(paths.outbox / "notes.txt")],
        },
        "manage-labels": {**email, "add_labels": ["STARRED"]},
        "list-labels": {},
        "update-draft": {"draft_id": "r123456789", "subject": "Hello again"},
        "send-draft": {"draft_id": "r123456789"},
        "delete-draft": {"draft_id": "r123456789"},
        "forward-email": {**email, "recipient_id": "ann@example.com"},
        "modify-emails": {"query": "from:news@example.com", "actions": ["archive"]},
        "list-changes": {},
        "create-label": {"name": "Receipts"},
        "rename-label": {"label": "Receipts", "new_name": "Bills"},
        "delete-label": {"label": "Receipts"},
        "list-filters": {},
        "create-filter": {"sender": "news@example.com", "add_labels": ["STARRED"]},
        "delete-filter": {"filter_id": "ANe1BmAbc"},
    }


@pytest.mark.anyio
async def test_without_a_login_the_server_lists_its_tools_and_every_call_says_to_run_auth(
    harness: Harness, token: Path
) -> None:
    harness.backend_factory = gmail_backend(harness.settings())
    arguments = every_tool_arguments(harness)

    async with harness.client(enhanced=True) as client:
        listed = {tool.name for tool in (await client.client.list_tools()).tools}
        errors = {name: await client.error(name, arguments[name]) for name in sorted(listed)}

    assert listed == set(arguments)
    for name, error in errors.items():
        assert (error["error_code"], error["error_details"]) == ("AUTH_ERROR", {"token_path": str(token)}), (
            name
        )
        assert "run `gmail-mcp auth`" in error["error_message"], name
    assert not token.exists()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[]",
        b'{"token": "ya29.x", "client_id": "1234.apps.googleusercontent.com"}',
        b'{"refresh_token": "1//x", "expiry": "2026-11-22T04:00:00Z"}',
        b'{"refresh_token": "1//x", "client_id": "1", "client_secret": "s", "expiry": "tomorrow"}',
    ],
    ids=["not-json", "empty", "not-an-object", "no-refresh-token", "no-client", "bad-expiry"],
)
async def test_a_corrupt_token_file_is_reported_by_name_and_left_as_it_is(
    harness: Harness, token: Path, content: bytes
) -> None:
    token.parent.mkdir(mode=0o700, parents=True)
    token.write_bytes(content)
    token.chmod(0o600)
    harness.backend_factory = gmail_backend(harness.settings())

    async with harness.client() as client:
        error = await client.error("list-drafts")

    assert (error["error_code"], error["error_details"]) == ("AUTH_ERROR", {"token_path": str(token)})
    assert str(token) in error["error_message"] and "`gmail-mcp auth`" in error["error_message"]
    assert (token.read_bytes(), mode(token)) == (content, 0o600)
    assert [path.name for path in token.parent.iterdir()] == ["token.json"]


@pytest.mark.anyio
async def test_a_read_only_login_reads_but_sending_names_the_missing_scope(
    harness: Harness, sandbox: Any, token: Path
) -> None:
    stored_login(sandbox, token, (READONLY,))
    harness.backend_factory = gmail_backend(harness.settings())

    async with harness.client() as client:
        found = await client.ok("search-emails", {"query": "in:inbox", "max_results": 1})
        error = await client.error(
            "send-email", {"recipient_id": "ann@example.com", "subject": "Hi", "message": "Hello."}
        )

    assert len(found["emails"]) == 1
    assert error["error_code"] == "PERMISSION_DENIED"
    assert set(error["error_details"]) == {"required_scope"}
    assert error["error_details"]["required_scope"] == SEND
    assert "gmail.send" in error["error_message"] and "`gmail-mcp auth`" in error["error_message"]
    assert sandbox.stats()["sent"] == 0


# -- gmail-mcp status --------------------------------------------------------------------------


@pytest.fixture
def status_home(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GMAIL_MCP_HOME", str(home))
    monkeypatch.setenv("GMAIL_MCP_API_ROOT", sandbox.url + "/")
    return home


def test_status_shows_the_account_scopes_token_file_and_expiry(
    sandbox: Any, status_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = status_home / "token.json"
    stored_login(sandbox, token, (READONLY, SEND))

    status = cli.main(["status"])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    account = next(line for line in lines if line.startswith("account:"))
    assert re.fullmatch(rf"account: +{re.escape(sandbox.mailbox.owner)} \([\d,]+ messages\)", account)
    assert [line for line in lines if line is not account] == [
        f"config folder:   {status_home}",
        f"oauth client:    {status_home / 'credentials.json'} (missing)",
        f"token:           {token} (mode 0600)",
        "scopes:          gmail.readonly, gmail.send",
        # What `serve` leaves out for this login, and why (a readonly + send login drafts nothing).
        "hidden tool:     create-draft (needs gmail.compose, not granted)",
        "hidden tool:     create-filter (needs gmail.modify, gmail.settings.basic, not granted)",
        "hidden tool:     create-label (needs gmail.labels, not granted)",
        "hidden tool:     delete-draft (needs gmail.compose, not granted)",
        "hidden tool:     delete-filter (needs gmail.settings.basic, not granted)",
        "hidden tool:     delete-label (needs gmail.labels, not granted)",
        "hidden tool:     manage-labels (needs gmail.modify, not granted)",
        "hidden tool:     mark-email-as-read (needs gmail.modify, not granted)",
        "hidden tool:     modify-emails (needs gmail.modify, not granted)",
        "hidden tool:     rename-label (needs gmail.labels, not granted)",
        "hidden tool:     send-draft (needs gmail.compose, not granted)",
        "hidden tool:     trash-email (needs gmail.modify, not granted)",
        "hidden tool:     update-draft (needs gmail.compose, not granted)",
        f"access token:    valid until {saved(token)['expiry']}",
        "status:          ok",
    ]


def test_status_without_a_login_fails_and_says_to_run_auth(
    status_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status_home.mkdir()
    (status_home / "credentials.json").write_text("{}")  # the Google Cloud step is done

    status = cli.main(["status"])

    out = capsys.readouterr().out
    assert status != 0
    assert "run `gmail-mcp auth`" in out and "status:          NOT OK" in out


def test_status_without_an_oauth_client_names_the_google_cloud_step_first(
    status_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["status"])

    out = capsys.readouterr().out
    [problem] = [line for line in out.splitlines() if line.startswith("problem:")]
    assert status != 0
    # `gmail-mcp auth` would fail without the client file: that file, and how to get it, come first.
    assert problem.index(f"No OAuth client file at {status_home / 'credentials.json'}") < problem.index(
        "Then run `gmail-mcp auth`."
    )
    assert "'Desktop app'" in problem and "Google Cloud" in problem


class _Unanswered:
    """A port that accepts connections and never answers: a network that swallows requests."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"


@pytest.mark.parametrize("network", ["silent", "refused"])
def test_status_answers_within_seconds_when_gmail_cannot_be_reached(
    sandbox: Any,
    status_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    network: str,
) -> None:
    stored_login(sandbox, status_home / "token.json", (READONLY,))
    silent = _Unanswered()
    if network == "refused":
        silent.socket.close()  # nothing listens there any more
    monkeypatch.setenv("GMAIL_MCP_API_ROOT", silent.url)

    started = time.monotonic()
    status = cli.main(["status"])
    took = time.monotonic() - started
    silent.socket.close()

    out = capsys.readouterr().out
    assert status != 0 and "status:          NOT OK" in out
    assert took < 5, f"status took {took:.1f} s"


@pytest.mark.parametrize(
    ("opened", "problem"),
    [
        ("token.json", "readable by other users"),
        (".", "open to other users"),
    ],
    ids=["token-file", "folder"],
)
def test_status_reports_a_login_others_can_read(
    sandbox: Any, status_home: Path, capsys: pytest.CaptureFixture[str], opened: str, problem: str
) -> None:
    stored_login(sandbox, status_home / "token.json", (READONLY,))
    (status_home / opened).chmod(0o750 if opened == "." else 0o640)

    status = cli.main(["status"])

    out = capsys.readouterr().out
    assert status != 0
    assert any(line.startswith("problem:") and problem in line for line in out.splitlines()), out
    assert mode(status_home / "token.json") == 0o600  # already made private by reading it
