"""Grants from the sandbox's OAuth stand-in without a browser, and the token store that keeps them.

The helpers here talk to the sandbox's consent and token endpoints directly (as the login's
browser and oauthlib would), so other auth tests can start from a saved login in one call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from google.oauth2.credentials import Credentials

from gmail_mcp.gmail.auth import TokenStore
from gmail_mcp.gmail.scopes import READONLY

CLIENT_ID = "1234567890-sandbox.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox"
WAIT = 30.0  # seconds: the bound on every wait for another thread or process
REDIRECT = "http://127.0.0.1:9/"  # never contacted: the consent redirect is read, not followed
VERIFIER = "the-verifier-" + "v" * 43


def client_config(auth_uri: str, token_uri: str) -> dict[str, Any]:
    """An OAuth client file in Google's 'installed' (Desktop app) format."""
    return {
        "installed": {
            "client_id": CLIENT_ID,
            "project_id": "gmail-mcp-tests",
            "auth_uri": auth_uri,
            "token_uri": token_uri,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": ["http://localhost"],
        }
    }


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def saved(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def authorization_code(sandbox: Any, challenge: str, scopes: tuple[str, ...] = (READONLY,)) -> str:
    """The code the sandbox's consent page hands to the loopback redirect."""
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": " ".join(scopes),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
    }
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(_NoRedirect).open(
            sandbox.url + "/o/oauth2/auth?" + urlencode(query), timeout=WAIT
        )
    with redirect.value as answer:  # an HTTPError holds the open response: close it here
        assert answer.code == 302
        return query_of(answer.headers["Location"])["code"]


def exchange(sandbox: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST /token: (status, JSON answer)."""
    request = urllib.request.Request(sandbox.url + "/token", data=urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def code_form(code: str, verifier: str | None = VERIFIER) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
    }
    return form if verifier is None else {**form, "code_verifier": verifier}


def stored_login(sandbox: Any, token: Path, scopes: tuple[str, ...]) -> TokenStore:
    """A fresh grant for `scopes` from the sandbox, saved at `token` as `gmail-mcp auth` saves it."""
    status, answer = exchange(sandbox, code_form(authorization_code(sandbox, s256(VERIFIER), scopes)))
    assert status == 200, answer
    store = TokenStore(token)
    store.write(
        Credentials(
            token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            token_uri=sandbox.url + "/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=list(scopes),
            # google-auth keeps expiries as naive UTC
            expiry=datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=answer["expires_in"]),
        )
    )
    return store


# -- PKCE ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verifier", "refusal"),
    [
        (VERIFIER, None),
        (
            "another-verifier-" + "w" * 40,
            {"error": "invalid_grant", "error_description": "Invalid code verifier."},
        ),
        (None, {"error": "invalid_grant", "error_description": "Missing code verifier."}),
    ],
    ids=["right", "wrong", "missing"],
)
def test_sandbox_exchanges_a_code_only_for_the_verifier_of_its_challenge(
    sandbox: Any, verifier: str | None, refusal: dict[str, str] | None
) -> None:
    code = authorization_code(sandbox, s256(VERIFIER))

    status, answer = exchange(sandbox, code_form(code, verifier))

    if refusal is None:
        assert status == 200 and answer["refresh_token"].startswith("1//sandbox-")
    else:
        assert (status, answer) == (400, refusal)


# -- the token store ----------------------------------------------------------------------------


class _UnwritableCredentials(Credentials):
    def to_json(self, strip: Any = None) -> str:
        raise OSError("No space left on device")


def test_a_failed_save_keeps_the_old_token_and_leaves_no_temp_file(sandbox: Any, tmp_path: Path) -> None:
    token = tmp_path / "config" / "token.json"
    stored_login(sandbox, token, (READONLY,))
    before = token.read_bytes()

    with pytest.raises(OSError, match="No space"):
        TokenStore(token).write(_UnwritableCredentials(token="new", refresh_token="new"))

    assert token.read_bytes() == before
    assert [path.name for path in token.parent.iterdir()] == ["token.json"]


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604])
def test_a_token_file_readable_by_others_is_tightened_on_load_with_a_warning(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, loose: int
) -> None:
    token = tmp_path / "config" / "token.json"
    stored_login(sandbox, token, (READONLY,))
    token.chmod(loose)

    credentials = TokenStore(token).load()

    assert credentials.refresh_token == saved(token)["refresh_token"]
    assert mode(token) == 0o600
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert str(token) in warning.getMessage() and f"mode {loose:04o}" in warning.getMessage()
