"""The OAuth stand-ins (consent, PKCE exchange, refresh, revoke) and bearer checks on Gmail calls."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.auth.credentials import Credentials as BaseCredentials
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock

GMAIL = "https://www.googleapis.com/auth/gmail."
CLIENT = "sandbox-client.apps.googleusercontent.com"
REDIRECT = "http://127.0.0.1:8765/"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize(sandbox: SandboxServer, scopes: str, challenge: str, **extra: str) -> requests.Response:
    params = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scopes,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        **extra,
    }
    return requests.get(sandbox.url + "/o/oauth2/auth", params=params, allow_redirects=False, timeout=10)


def login(sandbox: SandboxServer, scopes: str) -> dict[str, Any]:
    """The whole installed-app flow: consent, then code + verifier for tokens."""
    verifier, challenge = pkce()
    redirect = urlsplit(authorize(sandbox, scopes, challenge).headers["Location"])
    code = parse_qs(redirect.query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "client_secret": "anything",
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    reply = requests.post(sandbox.url + "/token", data=form, timeout=10)
    assert reply.status_code == 200, reply.text
    tokens: dict[str, Any] = reply.json()
    return tokens


def credentials(sandbox: SandboxServer, tokens: dict[str, Any]) -> Credentials:
    return Credentials(
        token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token"),
        token_uri=sandbox.url + "/token",
        client_id=CLIENT,
        client_secret="anything",
    )


def test_consent_redirects_to_the_loopback_with_code_and_state(sandbox: SandboxServer) -> None:
    reply = authorize(sandbox, GMAIL + "readonly", pkce()[1])
    location = urlsplit(reply.headers["Location"])
    query = parse_qs(location.query)
    assert (reply.status_code, f"{location.scheme}://{location.netloc}{location.path}") == (302, REDIRECT)
    assert (query["state"], query["scope"], query["code"][0].startswith("4/")) == (
        ["xyz"],
        [GMAIL + "readonly"],
        True,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "https://evil.example/cb"},
        {"client_id": ""},
        {"response_type": "token"},
        {"scope": ""},
    ],
)
def test_consent_refuses_bad_requests(sandbox: SandboxServer, change: dict[str, str]) -> None:
    assert authorize(sandbox, GMAIL + "readonly", pkce()[1], **change).status_code == 400


def test_the_code_exchange_returns_google_shaped_tokens(sandbox: SandboxServer) -> None:
    tokens = login(sandbox, f"{GMAIL}modify {GMAIL}labels")
    assert set(tokens) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert (tokens["expires_in"], tokens["scope"], tokens["token_type"]) == (
        3599,
        f"{GMAIL}modify {GMAIL}labels",
        "Bearer",
    )


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"code_verifier": "wrong-verifier-wrong-verifier-wrong-verifier"}, 400, "invalid_grant"),
        ({"code_verifier": ""}, 400, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1:9999/"}, 400, "redirect_uri_mismatch"),
        ({"client_id": "other-client"}, 401, "invalid_client"),
        ({"code": "4/unknown"}, 400, "invalid_grant"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_the_code_exchange_checks_client_redirect_and_verifier(
    sandbox: SandboxServer, change: dict[str, str], status: int, error: str
) -> None:
    verifier, challenge = pkce()
    code = parse_qs(urlsplit(authorize(sandbox, GMAIL + "readonly", challenge).headers["Location"]).query)[
        "code"
    ][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        **change,
    }
    reply = requests.post(sandbox.url + "/token", data=form, timeout=10)
    assert (reply.status_code, reply.json()["error"]) == (status, error)


def test_a_code_works_once(sandbox: SandboxServer) -> None:
    verifier, challenge = pkce()
    code = parse_qs(urlsplit(authorize(sandbox, GMAIL + "readonly", challenge).headers["Location"]).query)[
        "code"
    ][0]
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT, "redirect_uri": REDIRECT}
    form["code_verifier"] = verifier
    assert requests.post(sandbox.url + "/token", data=form, timeout=10).status_code == 200
    assert requests.post(sandbox.url + "/token", data=form, timeout=10).json()["error"] == "invalid_grant"


def test_an_expired_token_is_refreshed_by_google_auth_and_the_call_succeeds(
    sandbox: SandboxServer, gmail_factory: Callable[[BaseCredentials], Any], fake_clock: FakeClock
) -> None:
    tokens = login(sandbox, GMAIL + "readonly")
    creds = credentials(sandbox, tokens)
    service = gmail_factory(creds)
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == "you@example.com"
    fake_clock.advance(3600)  # expired for the sandbox; google-auth refreshes on the 401
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == "you@example.com"
    assert creds.token != tokens["access_token"]


def test_an_expired_token_gets_401_by_the_sandbox_clock(
    sandbox: SandboxServer, fake_clock: FakeClock
) -> None:
    token = login(sandbox, GMAIL + "readonly")["access_token"]
    url = sandbox.url + "/gmail/v1/users/me/profile"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    fake_clock.advance(3599)
    reply = requests.get(url, headers=headers, timeout=10)
    error = reply.json()["error"]
    assert (reply.status_code, error["status"], error["errors"][0]["reason"]) == (
        401,
        "UNAUTHENTICATED",
        "authError",
    )
    assert error["message"].startswith("Request had invalid authentication credentials.")


def test_injected_invalid_grant_fails_the_next_refresh_only(sandbox: SandboxServer) -> None:
    creds = credentials(sandbox, login(sandbox, GMAIL + "readonly"))
    requests.post(sandbox.url + "/__sandbox/faults", json={"oauth": "invalid_grant"}, timeout=10)
    with pytest.raises(RefreshError) as info:
        creds.refresh(AuthRequest())
    assert "invalid_grant" in str(info.value) and "Token has been expired or revoked." in str(info.value)
    creds.refresh(AuthRequest())
    assert creds.token


def test_revoking_ends_the_grant(sandbox: SandboxServer) -> None:
    tokens = login(sandbox, GMAIL + "readonly")
    reply = requests.post(sandbox.url + "/revoke", params={"token": tokens["refresh_token"]}, timeout=10)
    assert reply.status_code == 200
    profile = requests.get(
        sandbox.url + "/gmail/v1/users/me/profile",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert profile.status_code == 401
    with pytest.raises(RefreshError):
        credentials(sandbox, tokens).refresh(AuthRequest())


def test_a_missing_bearer_token_is_401_with_www_authenticate(sandbox: SandboxServer) -> None:
    reply = requests.get(sandbox.url + "/gmail/v1/users/me/profile", timeout=10)
    assert (reply.status_code, reply.json()["error"]["errors"][0]["reason"]) == (401, "authError")
    assert reply.headers["WWW-Authenticate"].startswith("Bearer ")


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    box = Mailbox(clock=fake_clock)
    box.insert_raw(b"From: a@example.com\r\nSubject: hi\r\n\r\nhi\r\n")
    return box


def _send(service: Any, message_id: str) -> Any:
    raw = base64.urlsafe_b64encode(b"To: bo@example.com\r\nSubject: x\r\n\r\nx").decode()
    return service.users().messages().send(userId="me", body={"raw": raw})


ACTIONS: dict[str, Callable[[Any, str], Any]] = {
    "read": lambda s, m: s.users().messages().get(userId="me", id=m),
    "send": _send,
    "modify": lambda s, m: s.users().messages().modify(userId="me", id=m, body={"addLabelIds": ["STARRED"]}),
    "trash": lambda s, m: s.users().messages().trash(userId="me", id=m),
    "delete": lambda s, m: s.users().messages().delete(userId="me", id=m),
    "draft": lambda s, m: s.users().drafts().list(userId="me"),
    "label": lambda s, m: s.users().labels().create(userId="me", body={"name": "New"}),
}


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (GMAIL + "readonly", {"read", "draft"}),
        (GMAIL + "send", {"send"}),
        (GMAIL + "compose", {"send", "draft"}),
        (GMAIL + "labels", {"label"}),
        (GMAIL + "modify", {"read", "send", "modify", "trash", "draft", "label"}),
        ("https://mail.google.com/", set(ACTIONS)),
    ],
)
def test_scopes_are_enforced_per_method(
    sandbox: SandboxServer,
    gmail_factory: Callable[[BaseCredentials], Any],
    mailbox: Mailbox,
    scope: str,
    allowed: set[str],
) -> None:
    service = gmail_factory(Credentials(token=login(sandbox, scope)["access_token"]))
    outcomes = {}
    for name, action in ACTIONS.items():
        message_id = mailbox.insert_raw(b"From: a@example.com\r\nSubject: hi\r\n\r\nhi\r\n")
        try:
            action(service, message_id).execute()
            outcomes[name] = "ok"
        except HttpError as exc:
            outcomes[name] = f"{exc.resp.status} {exc.error_details[0]['reason']}"
    assert outcomes == {name: "ok" if name in allowed else "403 insufficientPermissions" for name in ACTIONS}


def test_the_oauth_client_endpoint_serves_a_desktop_app_client_of_this_sandbox(
    sandbox: SandboxServer,
) -> None:
    answer = requests.get(sandbox.url + "/__sandbox/oauth-client", timeout=10)

    assert answer.status_code == 200
    client = answer.json()["installed"]  # what Google Cloud's download of a Desktop app client holds
    assert (client["auth_uri"], client["token_uri"]) == (
        sandbox.url + "/o/oauth2/auth",
        sandbox.url + "/token",
    )
    assert client["client_id"] and client["client_secret"]
    assert client["redirect_uris"] == ["http://localhost"]


# -- granular consent and refresh tokens minted elsewhere ----------------------------------------


def test_a_partial_grant_gives_only_the_scopes_the_person_left_ticked(sandbox: SandboxServer) -> None:
    asked = f"{GMAIL}readonly {GMAIL}send {GMAIL}labels"
    spec = {"oauth": "partial_grant", "grant": [GMAIL + "readonly", GMAIL + "labels"]}
    assert requests.post(sandbox.url + "/__sandbox/faults", json=spec, timeout=10).status_code == 200
    verifier, challenge = pkce()
    redirect = parse_qs(urlsplit(authorize(sandbox, asked, challenge).headers["Location"]).query)
    assert redirect["scope"] == [f"{GMAIL}readonly {GMAIL}labels"]
    tokens = login(sandbox, asked)  # the fault was used up: the next consent grants everything
    assert tokens["scope"] == asked
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"][0],
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    partial = requests.post(sandbox.url + "/token", data=form, timeout=10).json()
    assert partial["scope"] == f"{GMAIL}readonly {GMAIL}labels"
    send = requests.post(
        sandbox.url + "/gmail/v1/users/me/messages/send",
        json={"raw": "VG86IGJvQGV4YW1wbGUuY29tDQoNCmhp"},
        headers={"Authorization": f"Bearer {partial['access_token']}"},
        timeout=10,
    )
    assert (send.status_code, send.json()["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")


def test_a_partial_grant_of_nothing_asked_for_is_access_denied(sandbox: SandboxServer) -> None:
    spec = {"oauth": "partial_grant", "grant": [GMAIL + "labels"]}
    requests.post(sandbox.url + "/__sandbox/faults", json=spec, timeout=10)
    location = authorize(sandbox, GMAIL + "readonly", pkce()[1]).headers["Location"]
    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": ["xyz"]}


@pytest.mark.parametrize(
    "spec",
    [
        {"oauth": "partial_grant"},
        {"oauth": "partial_grant", "grant": []},
        {"oauth": "partial_grant", "grant": "gmail.readonly"},
        {"oauth": "invalid_grant", "grant": [GMAIL + "readonly"]},
    ],
)
def test_malformed_partial_grants_are_refused(sandbox: SandboxServer, spec: dict[str, Any]) -> None:
    reply = requests.post(sandbox.url + "/__sandbox/faults", json=spec, timeout=10)
    assert reply.status_code == 400


def refreshed_scope(sandbox: SandboxServer, refresh_token: str, client_id: str) -> str:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    reply = requests.post(sandbox.url + "/token", data=form, timeout=10)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["scope"])


def test_a_refresh_token_registered_through_the_control_endpoint_is_refreshed(sandbox: SandboxServer) -> None:
    minted_elsewhere = "1//another-program-" + secrets.token_urlsafe(16)
    creds = Credentials(
        token=None,
        refresh_token=minted_elsewhere,
        token_uri=sandbox.url + "/token",
        client_id="other-client",
        client_secret="x",
    )
    with pytest.raises(RefreshError):
        creds.refresh(AuthRequest())  # not issued here: refused, as Google would
    spec = {"refresh_token": minted_elsewhere, "client_id": "other-client", "scopes": [GMAIL + "readonly"]}
    reply = requests.post(sandbox.url + "/__sandbox/tokens", json=spec, timeout=10)
    assert reply.json() == spec
    creds.refresh(AuthRequest())
    assert refreshed_scope(sandbox, minted_elsewhere, "other-client") == GMAIL + "readonly"
    profile = requests.get(
        sandbox.url + "/gmail/v1/users/me/profile",
        headers={"Authorization": f"Bearer {creds.token}"},
        timeout=10,
    )
    assert profile.status_code == 200
    other_client = Credentials(
        token=None,
        refresh_token=minted_elsewhere,
        token_uri=sandbox.url + "/token",
        client_id="x",
        client_secret="x",
    )
    with pytest.raises(RefreshError):
        other_client.refresh(AuthRequest())


def test_a_refresh_token_accepted_for_any_client_defaults_to_full_access(sandbox: SandboxServer) -> None:
    sandbox.app.oauth.accept_refresh_token("1//any")
    creds = Credentials(
        token=None, refresh_token="1//any", token_uri=sandbox.url + "/token", client_id="c", client_secret="x"
    )
    creds.refresh(AuthRequest())
    assert refreshed_scope(sandbox, "1//any", "yet-another-client") == "https://mail.google.com/"


@pytest.mark.parametrize(
    "spec",
    [{}, {"refresh_token": ""}, {"refresh_token": "x", "scopes": []}, {"refresh_token": "x", "extra": 1}, []],
)
def test_malformed_token_registrations_are_400(sandbox: SandboxServer, spec: Any) -> None:
    assert requests.post(sandbox.url + "/__sandbox/tokens", json=spec, timeout=10).status_code == 400
