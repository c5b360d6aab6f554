"""Several accounts served at once: each tool acts on the account asked for, quota and audit apart.

The sandbox serves two users: the seeded one (the first account, "default") and Bob's small
mailbox (the account "work"). One account is served exactly as before: no `account` argument.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from google.oauth2.credentials import Credentials
from mcp.shared.exceptions import MCPError
from mcp.types import ResourceTemplateReference

from gmail_mcp import cli
from gmail_mcp.config import Paths
from gmail_mcp.gmail.auth import TokenStore
from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.oauth import SANDBOX_CLIENT_ID
from tests.conftest import FakeClock
from tests.helpers import control
from tests.mcp_harness import Harness
from tests.test_e2e import child_env, spawn, stdio_client

pytestmark = pytest.mark.anyio

BOB = "bob@example.org"


@pytest.fixture
def two_users(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(
        mailbox, clock=fake_clock, others=[Mailbox.seeded(owner=BOB, small=True, clock=fake_clock)]
    ) as server:
        yield server


@pytest.fixture
def harness(two_users: SandboxServer, fake_clock: FakeClock, tmp_path: Path) -> Harness:
    return Harness(two_users, fake_clock, tmp_path, more_accounts={"work": BOB})


def audit(harness: Harness, account: str) -> list[tuple[str, str]]:
    path = harness.settings(account).paths.audit_log
    records = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [(r["tool"], r["outcome"]) for r in records]


async def subjects(client: Any, **account: str) -> set[str]:
    found = await client.ok("search-emails", {"query": "in:inbox", "max_results": 50, **account})
    return {email["subject"] for email in found["emails"]}


async def test_one_account_is_served_exactly_as_before(
    fake_clock: FakeClock, sandbox: Any, tmp_path: Path
) -> None:
    async with Harness(sandbox, fake_clock, tmp_path).client(enhanced=True) as client:
        tools = (await client.client.list_tools()).tools
    assert "list-accounts" not in {tool.name for tool in tools}
    assert all("account" not in tool.input_schema.get("properties", {}) for tool in tools)


async def test_with_two_accounts_every_tool_takes_an_account_and_list_accounts_names_them(
    harness: Harness,
) -> None:
    async with harness.client(enhanced=True) as client:
        tools = {tool.name: tool for tool in (await client.client.list_tools()).tools}
        listed = await client.ok("list-accounts")
    for name, tool in tools.items():
        properties = tool.input_schema.get("properties", {})
        if name == "list-accounts":
            assert "account" not in properties
        else:
            assert properties["account"] == {
                "type": "string",
                "enum": ["default", "work"],
                "default": "default",
            }
            assert "account" not in tool.input_schema.get("required", [])
    assert listed == {
        "accounts": [
            {"name": "default", "email": "you@example.com", "default": True, "note": ""},
            {"name": "work", "email": BOB, "default": False, "note": ""},
        ]
    }


async def test_each_tool_acts_on_the_account_asked_for_and_audits_there(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        assert await subjects(client, account="work") == {
            "Welcome to your sandbox mailbox",
            "Your laptop is ready for pickup",
        }
        assert "Welcome to your sandbox mailbox" not in await subjects(client)  # the first by default
        laptop = await client.ok("search-emails", {"query": "subject:laptop", "account": "work"})
        email_id = laptop["emails"][0]["id"]
        read = await client.ok("read-email", {"email_id": email_id, "account": "work"})
        missing = await client.error("read-email", {"email_id": email_id})  # not in the first account
        await client.ok("mark-email-as-read", {"email_id": email_id, "account": "work"})
        saved = await client.ok(
            "download-attachment",
            {
                "email_id": email_id,
                "attachment_id": "checklist.txt",
                "save_path": "checklist.txt",
                "account": "work",
            },
        )
        forwarded = await client.ok(
            "forward-email", {"email_id": email_id, "recipient_id": "it@example.org", "account": "work"}
        )
    assert read["subject"] == "Your laptop is ready for pickup" and missing["error_code"] == "NOT_FOUND"
    # Downloads go to the account's own folder.
    assert Path(saved["path"]) == harness.settings("work").paths.downloads / "checklist.txt"
    outbox = harness.sandbox.stats()["outbox"]
    assert [(entry["id"], entry["from"]) for entry in outbox] == [(forwarded["message_id"], BOB)]
    assert audit(harness, "work") == [
        ("mark-email-as-read", "ok"),
        ("download-attachment", "ok"),
        ("forward-email", "attempt"),
        ("forward-email", "ok"),
    ]
    assert audit(harness, "default") == []
    assert harness.settings("work").paths.audit_log != harness.settings().paths.audit_log


async def test_quota_is_paced_per_account(harness: Harness) -> None:
    # 100 units a minute, no waiting: a search of Bob's two messages costs 5 + 2 x 20.
    async with harness.client(quota_per_minute=100, max_wait=0) as client:
        for _ in range(2):
            await client.ok("search-emails", {"query": "in:inbox", "account": "work"})
        spent = await client.error("search-emails", {"query": "in:inbox", "account": "work"})
        first = await client.ok("search-emails", {"query": "in:inbox", "max_results": 2})
    assert spent["error_code"] == "QUOTA_EXCEEDED"
    assert len(first["emails"]) == 2
    # Two searches (the first with the label list beside its listing: 1), then the third's
    # listing (5): its details would have gone over.
    assert harness.sandbox.stats()["by_user"][BOB]["quota_units"] == 45 + 1 + 45 + 5


async def test_an_unknown_account_is_refused_with_the_names_there_are(harness: Harness) -> None:
    async with harness.client() as client:
        error = await client.error("trash-email", {"email_id": "18c9abcdef012345", "account": "home"})
        refused = await client.error("list-accounts", {"account": "work"})
    assert error["error_code"] == "INVALID_PARAMS"
    assert error["error_details"]["accounts"] == ["default", "work"]
    assert refused["error_code"] == "INVALID_PARAMS"  # list-accounts is about all of them
    assert audit(harness, "default") == [("trash-email", "refused")]
    assert harness.sandbox.stats()["by_method"] == {}


async def test_an_account_whose_login_fails_is_named_and_the_others_still_listed(
    harness: Harness, two_users: SandboxServer
) -> None:
    harness.more_accounts = {"work": "eve@example.net"}  # no such user: its token is no login
    async with harness.client() as client:
        listed = await client.ok("list-accounts")
    work = listed["accounts"][1]
    assert (work["name"], work["email"]) == ("work", "") and work["note"]
    assert listed["accounts"][0]["email"] == "you@example.com"


async def test_serve_with_two_accounts_on_the_built_in_sandbox(tmp_path: Path) -> None:
    with anyio.fail_after(90):
        async with stdio_client(
            "--sandbox", "--account", "personal", "--account", "work", home=tmp_path / "home"
        ) as client:
            listed = await client.ok("list-accounts")
            work = await subjects(client, account="work")
            personal = await subjects(client)
    assert [(a["name"], a["email"]) for a in listed["accounts"]] == [
        ("personal", "you@example.com"),
        ("work", "work@example.com"),
    ]
    assert work == {"Welcome to your sandbox mailbox", "Your laptop is ready for pickup"}
    assert len(personal) > 10


# -- logins per account, rehearsed against a sandbox of two users ------------------------------------


def test_auth_and_status_keep_a_login_per_account(
    two_users: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GMAIL_MCP_HOME", str(home))
    argv = [sys.executable, "-m", "gmail_mcp", "auth", "--no-browser", "--sandbox-url", two_users.url]
    argv += ["--account", "work", "--email", BOB, "--timeout", "60"]
    env = {k: v for k, v in child_env(home).items() if k != "OAUTHLIB_INSECURE_TRANSPORT"}
    with spawn(argv, env) as auth:
        url = auth.wait_for_stderr(r"^(http://\S+)$", timeout=60)[1]
        with urllib.request.urlopen(url, timeout=60) as page:  # the person's browser
            page.read()
        assert auth.finish(timeout=60) == 0, auth.stderr()
    assert "login_hint=bob%40example.org" in url
    profile = Paths.resolve({"GMAIL_MCP_HOME": str(home)}).sandbox_profile(two_users.url)
    assert profile.for_account("work").token.name == "token-work.json"
    assert not profile.token.exists()  # the default account's login is another one

    assert cli.main(["status", "--sandbox-url", two_users.url, "--account", "work"]) == 0
    out = capsys.readouterr().out
    assert f"account:         {BOB}" in out and "token-work.json" in out
    assert cli.main(["status", "--sandbox-url", two_users.url]) == 1
    assert "--sandbox-url" in capsys.readouterr().out


async def test_serve_on_a_separate_sandbox_needs_a_login_for_each_account_after_the_first(
    two_users: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GMAIL_MCP_HOME", str(home))
    argv = ["serve", "--sandbox-url", two_users.url, "--account", "default", "--account", "work"]
    assert cli.main(argv) == 2
    assert "gmail-mcp auth --sandbox-url" in capsys.readouterr().err

    profile = Paths.resolve({"GMAIL_MCP_HOME": str(home)}).sandbox_profile(two_users.url)
    accept = {"refresh_token": "1//work", "user": BOB, "client_id": SANDBOX_CLIENT_ID}
    control(two_users, "/__sandbox/tokens", accept)
    TokenStore(profile.for_account("work").token).write(
        Credentials(
            token=None,
            refresh_token="1//work",
            token_uri=two_users.url + "/token",
            client_id=SANDBOX_CLIENT_ID,
            client_secret="x",
            scopes=["https://mail.google.com/"],
        )
    )
    with anyio.fail_after(60):
        async with stdio_client(
            "--sandbox-url", two_users.url, "--account", "default", "--account", "work", home=home
        ) as client:
            listed = await client.ok("list-accounts")
    assert [(a["name"], a["email"]) for a in listed["accounts"]] == [
        ("default", "you@example.com"),
        ("work", BOB),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--sandbox", "--account", "a/b"],
        ["serve", "--sandbox", "--account", "a", "--account", "a"],
        ["auth", "--account", "../x"],
        ["status", "--account", ".hidden"],
    ],
)
def test_account_names_that_cannot_be_file_names_or_repeat_are_refused(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GMAIL_MCP_HOME", str(tmp_path))
    assert cli.main(argv) == 2
    assert "account" in capsys.readouterr().err


async def test_resource_uris_carry_the_account(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        laptop = await client.ok("search-emails", {"query": "subject:laptop", "account": "work"})
        email_id = laptop["emails"][0]["id"]
        read = await client.client.read_resource(f"gmail://work/messages/{email_id}")
        first = await client.ok("search-emails", {"query": "in:inbox", "max_results": 1})
        mine = await client.client.read_resource(f"gmail://me/messages/{first['emails'][0]['id']}")
        completed = await client.client.complete(
            ResourceTemplateReference(type="ref/resource", uri="gmail://{account}/messages/{id}"),
            {"name": "account", "value": ""},
        )
        with pytest.raises(MCPError):
            await client.client.read_resource(f"gmail://home/messages/{email_id}")
    assert "Your laptop is ready for pickup" in read.contents[0].text  # type: ignore[union-attr]
    assert first["emails"][0]["subject"] in mine.contents[0].text  # type: ignore[union-attr]
    assert completed.completion.values == ["default", "work"]
