"""`gmail-mcp auth --imap --xoauth2`: the OAuth login (through the sandbox's OAuth stand-in) used for IMAP XOAUTH2."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp import cli
from tests.imap import gmail_responder
from tests.imap.certs import self_signed
from tests.imap.gmail_responder import Gmail
from tests.test_auth import FakeBrowser, browser, client_file, follower, home, https_only  # noqa: F401  (fixtures)
from tests.test_auth_grants import WAIT, query_of

USER = "alice@gmail.com"


@pytest.fixture
def gmail(sandbox: Any, tmp_path: Path) -> Iterator[Gmail]:
    """The scripted Gmail, accepting the access tokens the sandbox's OAuth server issued."""

    def issued_by_the_sandbox(token: str) -> bool:
        request = urllib.request.Request(
            sandbox.url + "/gmail/v1/users/me/profile", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status == 200 and token.startswith("ya29.sandbox-")
        except urllib.error.HTTPError as refused:
            refused.close()
            return False

    state = Gmail(USER, "no password for this one", accept_token=issued_by_the_sandbox)
    state.certificate = self_signed(tmp_path / "tls")  # type: ignore[attr-defined]
    with gmail_responder.serving(state, state.certificate):  # type: ignore[attr-defined]
        yield state


def test_xoauth2_login_asks_for_full_mail_access_and_logs_in_to_imap_with_the_token(
    home: Path,  # noqa: F811  (the fixtures of tests/test_auth.py, imported above)
    client_file: Path,  # noqa: F811
    browser: FakeBrowser,  # noqa: F811
    gmail: Gmail,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(
        [
            "auth", "--imap", "--xoauth2", "--email", USER, "--credentials", str(client_file),
            "--timeout", str(WAIT), "--imap-host", "127.0.0.1", "--imap-port", str(gmail.port),
            "--ca-file", str(gmail.certificate.cert),  # type: ignore[attr-defined]
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 0, err
    assert query_of(browser.opened[0])["scope"] == "https://mail.google.com/"
    record = json.loads((home / "imap-default.json").read_text())
    assert (record["user"], record["method"], record["storage"]) == (USER, "xoauth2", "oauth-token")
    token = home / "imap-default.token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and json.loads(token.read_text())["refresh_token"]
    assert "AUTHENTICATE" in gmail.commands and "LOGIN" not in gmail.commands
    assert not (home / "imap-default.secret.json").exists()
