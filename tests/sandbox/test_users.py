"""A sandbox serving several Gmail users: each its own mailbox and quota, a token acting as one user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock
from tests.helpers import control, service_on
from tests.sandbox.test_auth import CLIENT, GMAIL, REDIRECT, authorize, pkce
from tests.sandbox.test_filters_and_delivery import deliver, mail
from tests.sandbox.test_send_and_drafts import encode, outgoing
from tests.test_e2e import child_env, spawn

BOB = "bob@example.org"


@pytest.fixture
def two_users(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    bob = Mailbox.seeded(owner=BOB, small=True, clock=fake_clock)
    with SandboxServer(mailbox, clock=fake_clock, others=[bob]) as server:
        yield server


def as_user(server: SandboxServer, address: str | None = None) -> Any:
    """A Gmail client whose token the sandbox did not issue: the first user's, or `user:ADDRESS`."""
    return service_on(server, Credentials(token=f"user:{address}" if address else "anything"))


def subjects(service: Any, user_id: str = "me") -> set[str]:
    listed = service.users().messages().list(userId=user_id, labelIds=["INBOX"]).execute()
    ids = [m["id"] for m in listed.get("messages", [])]
    return {
        next(h["value"] for h in got["payload"]["headers"] if h["name"] == "Subject")
        for got in (
            service.users().messages().get(userId=user_id, id=i, format="metadata").execute() for i in ids
        )
    }


def status_of(request: Any) -> int:
    with pytest.raises(HttpError) as refused:
        request.execute()
    return int(refused.value.resp.status)


def test_each_user_has_a_mailbox_of_its_own_at_me_or_at_its_address(two_users: SandboxServer) -> None:
    bob = as_user(two_users, BOB)
    assert (
        subjects(bob)
        == subjects(bob, BOB)
        == {
            "Welcome to your sandbox mailbox",
            "Your laptop is ready for pickup",
        }
    )
    first = subjects(as_user(two_users))
    assert "Welcome to your sandbox mailbox" not in first and len(first) > 10
    assert bob.users().getProfile(userId="me").execute()["emailAddress"] == BOB


def test_a_token_reaches_only_its_own_user(two_users: SandboxServer) -> None:
    first, bob = as_user(two_users), as_user(two_users, BOB)
    assert status_of(first.users().messages().list(userId=BOB)) == 403
    assert status_of(bob.users().messages().list(userId="you@example.com")) == 403
    with pytest.raises(HttpError) as refused:
        bob.users().labels().list(userId="you@example.com").execute()
    assert "Delegation denied for bob@example.org" in str(refused.value)
    # a stand-in token naming no user of this sandbox is no login at all
    stranger = requests.get(
        two_users.url + "/gmail/v1/users/me/profile",
        headers={"Authorization": "Bearer user:eve@example.net"},
        timeout=10,
    )
    assert stranger.status_code == 401


def test_mail_sent_by_one_user_is_in_that_users_sent_mail_only(two_users: SandboxServer) -> None:
    bob, first = as_user(two_users, BOB), as_user(two_users)
    raw = outgoing("To: ann@example.org\nSubject: From Bob")
    sent = bob.users().messages().send(userId="me", body={"raw": encode(raw)}).execute()
    assert bob.users().messages().get(userId="me", id=sent["id"]).execute()["labelIds"] == ["SENT"]
    assert status_of(first.users().messages().get(userId="me", id=sent["id"])) == 404
    assert two_users.stats()["outbox"][-1]["from"] == BOB
    # Bob's own address is his primary send-as address; the first user's is not his to use.
    aliases = bob.users().settings().sendAs().list(userId="me").execute()["sendAs"]
    assert [a["sendAsEmail"] for a in aliases] == [BOB]


def test_quota_is_counted_per_user(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    bob_box = Mailbox.seeded(owner=BOB, small=True, clock=fake_clock)
    with SandboxServer(mailbox, clock=fake_clock, others=[bob_box], quota_per_minute=12) as server:
        bob, first = as_user(server, BOB), as_user(server)
        for _ in range(3):  # getProfile costs 4 units in 2026: 12 is three calls a minute
            bob.users().getProfile(userId="me").execute()
        assert status_of(bob.users().getProfile(userId="me")) == 403  # userRateLimitExceeded
        assert first.users().getProfile(userId="me").execute()["emailAddress"] == "you@example.com"
        assert server.stats()["by_user"] == {
            BOB: {"calls": 3, "quota_units": 12},
            "you@example.com": {"calls": 1, "quota_units": 4},
        }


def test_a_consent_is_given_as_the_user_its_login_hint_names(two_users: SandboxServer) -> None:
    verifier, challenge = pkce()
    redirect = authorize(two_users, GMAIL + "readonly", challenge, login_hint="BOB@example.org")
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    tokens = requests.post(two_users.url + "/token", data=form, timeout=10).json()
    service = service_on(two_users, Credentials(token=tokens["access_token"]))
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == BOB
    assert status_of(service.users().getProfile(userId="you@example.com")) == 403

    unknown = authorize(two_users, GMAIL + "readonly", challenge, login_hint="eve@example.net")
    assert unknown.status_code == 400 and "bob@example.org" in unknown.text


def test_a_refresh_token_minted_elsewhere_can_be_accepted_for_one_user(two_users: SandboxServer) -> None:
    accepted = control(two_users, "/__sandbox/tokens", {"refresh_token": "1//bobs", "user": BOB})
    assert accepted["user"] == BOB
    form = {"grant_type": "refresh_token", "refresh_token": "1//bobs", "client_id": CLIENT}
    access = requests.post(two_users.url + "/token", data=form, timeout=10).json()["access_token"]
    service = service_on(two_users, Credentials(token=access))
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == BOB
    refused = requests.post(
        two_users.url + "/__sandbox/tokens",
        json={"refresh_token": "x", "user": "eve@example.net"},
        timeout=10,
    )
    assert refused.status_code == 400


def test_the_mail_page_finds_a_message_of_any_user(two_users: SandboxServer) -> None:
    bob = as_user(two_users, BOB)
    email_id = bob.users().messages().list(userId="me").execute()["messages"][0]["id"]
    page = requests.get(f"{two_users.url}/mail/{email_id}", timeout=10)
    assert page.status_code == 200 and "Your laptop is ready" in page.text


def test_users_need_addresses_of_their_own(fake_clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="address of its own"):
        SandboxServer(Mailbox("a@example.org"), others=[Mailbox("A@example.org")], clock=fake_clock)


def test_the_command_serves_every_user_given_the_first_with_the_demo_mailbox(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "gmail_mcp", "sandbox", "--port", "0", "--user", "ann@example.org"]
    argv += ["--user", BOB]
    with spawn(argv, child_env(tmp_path)) as child:
        line = child.wait_for_stderr(r"for (.*) at (http://127\.0\.0\.1:\d+)")
        assert line[1] == f"ann@example.org, {BOB}"
        server = type("Url", (), {"url": line[2]})()
        ann = as_user(server, "ann@example.org")
        assert ann.users().getProfile(userId="me").execute()["emailAddress"] == "ann@example.org"
        assert len(subjects(ann)) > 10  # the demo mailbox, under the first user's address
        assert len(subjects(as_user(server, BOB))) == 2


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--user", "a@example.org", "--owner", "b@example.org"], "with several, give each as --user"),
        (["--user", "not an address"], "takes an email address"),
        (["--user", "a@example.org", "--user", "A@example.org"], "address of its own"),
    ],
)
def test_users_the_command_cannot_serve_are_refused_in_one_line(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from gmail_mcp.sandbox import main

    assert main(argv) == 2
    assert complaint in capsys.readouterr().err


def test_incoming_mail_is_delivered_to_the_user_it_names_and_an_unknown_user_is_404(
    two_users: SandboxServer,
) -> None:
    status, _ = deliver(two_users, mail("ann@example.org", "For Bob only"), user=BOB.upper())
    unknown, _ = deliver(two_users, mail("ann@example.org", "Lost"), user="nobody@example.org")
    assert (status, unknown) == (200, 404)
    assert "For Bob only" in subjects(as_user(two_users, BOB))
    assert "For Bob only" not in subjects(as_user(two_users))
