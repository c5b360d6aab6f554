"""The Gmail backend's one error boundary: each way Gmail fails becomes one error, code and words pinned.

Every failure is produced by the sandbox over real HTTP and read through the real Google client, so
what is pinned here is what an agent is told when Gmail answers that way.
"""

from __future__ import annotations

import email.message
import email.policy
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from gmail_mcp.errors import (
    AuthError,
    GmailMcpError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UpstreamError,
)
from gmail_mcp.gmail.client import GmailClient
from gmail_mcp.gmail.scopes import COMPOSE, READONLY
from tests.helpers import inject, make_client

SENDING_CAP = "User-rate limit exceeded.  Retry after 2026-11-19T17:00:00.000Z (Mail sending)"
PROFILE = "gmail.users.getProfile"


def a_message() -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = "you@example.com"
    message["To"] = "friend@example.org"
    message["Subject"] = "Hello"
    message.set_content("Hello there.")
    return message.as_bytes()


def failure_of(call: Any) -> GmailMcpError:
    with pytest.raises(GmailMcpError) as raised:
        call()
    return raised.value


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> GmailClient:
    # Two attempts, so the retried failures say how many there were without a long storm.
    return make_client(sandbox, fake_clock, max_attempts=2)


# (what Gmail answers, the call, the error it becomes, its message, its details)
BOUNDARY = [
    pytest.param(
        {"status": 429, "message": SENDING_CAP, "method": "gmail.users.messages.send"},
        lambda c: c.send_message(a_message()),
        QuotaExceededError,
        "Gmail's daily sending limit is reached; sending works again after 2026-11-19T17:00:00.000Z. "
        "Nothing was sent.",
        {"retry_after": "2026-11-19T17:00:00.000Z"},
        id="daily-sending-cap",
    ),
    pytest.param(
        None,
        lambda c: c.get_message("ffffffffffffffff"),
        NotFoundError,
        "Message ffffffffffffffff was not found in Gmail: it may have been deleted, or the id is wrong.",
        {"email_id": "ffffffffffffffff"},
        id="404",
    ),
    pytest.param(
        None,
        lambda c: c.get_message("not-an-id!"),
        InvalidParamsError,
        "Message not-an-id!: that is not a valid Gmail id.",
        {"email_id": "not-an-id!"},
        id="400-invalid-id",
    ),
    pytest.param(
        {"status": 403, "reason": "insufficientPermissions", "method": "gmail.users.drafts.delete"},
        lambda c: c.delete_draft("r123"),
        PermissionDeniedError,
        "The saved Gmail login does not grant gmail.compose, which this needs. "
        "Run `gmail-mcp auth` to grant it (without --read-only).",
        {"required_scope": COMPOSE, "draft_id": "r123"},
        id="403-missing-scope",
    ),
    pytest.param(
        {"status": 403, "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "method": PROFILE},
        lambda c: c.get_profile(),
        PermissionDeniedError,
        "The saved Gmail login does not grant gmail.readonly, which this needs. "
        "Run `gmail-mcp auth` to grant it (without --read-only).",
        {"required_scope": READONLY},
        id="403-missing-scope-by-grpc-status",
    ),
    pytest.param(
        {"status": 403, "reason": "dailyLimitExceeded", "method": PROFILE},
        lambda c: c.get_profile(),
        QuotaExceededError,
        "The Google Cloud project's daily Gmail API quota is used up; it resets at midnight Pacific time.",
        {},
        id="403-daily-project-quota",
    ),
    pytest.param(
        {"status": 403, "reason": "userRateLimitExceeded", "method": PROFILE, "count": 2, "retry_after": 5},
        lambda c: c.get_profile(),
        QuotaExceededError,
        "Gmail's rate limit kept refusing after 2 attempts; try again after retry_after seconds.",
        {"retry_after": 5},
        id="403-rate-limit",
    ),
    pytest.param(
        {"status": 429, "method": PROFILE, "count": 2, "retry_after": 3},
        lambda c: c.get_profile(),
        QuotaExceededError,
        "Gmail's rate limit kept refusing after 2 attempts; try again after retry_after seconds.",
        {"retry_after": 3},
        id="429",
    ),
    pytest.param(
        {"status": 403, "reason": "domainPolicy", "message": "Blocked by the domain", "method": PROFILE},
        lambda c: c.get_profile(),
        PermissionDeniedError,
        "Gmail refused: Blocked by the domain.",
        {},
        id="403-other",
    ),
    pytest.param(
        {"status": 413, "method": PROFILE},
        lambda c: c.get_profile(),
        InvalidParamsError,
        "Gmail refused the request as too large (HTTP 413: Request Entity Too Large). Gmail takes "
        "messages up to 35 MB with at most 25 MB of attachments; nothing was changed.",
        {},
        id="413",
    ),
    pytest.param(
        {"status": 409, "message": "Label name exists or conflicts", "method": PROFILE},
        lambda c: c.get_profile(),
        InvalidParamsError,
        "Gmail rejected the request: Label name exists or conflicts.",
        {},
        id="other-4xx",
    ),
    pytest.param(
        {"status": 503, "method": PROFILE, "count": 2},
        lambda c: c.get_profile(),
        UpstreamError,
        "Gmail kept failing (HTTP 503 backendError) after 2 attempts; try again in a minute.",
        {},
        id="5xx",
    ),
]


@pytest.mark.parametrize(("fault", "call", "kind", "message", "details"), BOUNDARY)
def test_each_way_gmail_fails_becomes_one_error_that_says_what_to_do(
    sandbox: Any,
    client: GmailClient,
    fault: dict[str, Any] | None,
    call: Any,
    kind: type[GmailMcpError],
    message: str,
    details: dict[str, Any],
) -> None:
    if fault is not None:
        inject(sandbox, **{"count": 1, **fault})
    error = failure_of(lambda: call(client))
    assert (type(error), error.message, error.details) == (kind, message, details)
    assert error.__cause__ is not None  # chained to what Gmail answered, for the logs


def test_a_connection_gmail_keeps_dropping_is_an_upstream_error_about_the_network(
    sandbox: Any, client: GmailClient
) -> None:
    inject(sandbox, reset=True, count=10, method=PROFILE)  # httplib2 itself tries a pooled one twice
    error = failure_of(client.get_profile)
    assert type(error) is UpstreamError
    assert error.message.startswith("Could not reach Gmail (")
    assert error.message.endswith(") after 2 attempts; check the network connection and try again.")
    assert isinstance(error.__cause__, OSError)


def test_a_login_gmail_keeps_refusing_after_refreshes_says_to_log_in_again(
    sandbox: Any, fake_clock: Any
) -> None:
    sandbox.app.oauth.accept_refresh_token("1//refresh-me")
    credentials = Credentials(
        token="expired",
        refresh_token="1//refresh-me",
        token_uri=sandbox.url + "/token",
        client_id="client",
        client_secret="secret",
    )
    client = make_client(sandbox, fake_clock, credentials=credentials)
    inject(sandbox, status=401, count=3, method=PROFILE)  # google-auth refreshes twice, then gives up
    error = failure_of(client.get_profile)
    assert (type(error), error.message, error.details) == (
        AuthError,
        "Gmail rejected the saved login (401). Run `gmail-mcp auth` to log in again.",
        {},
    )


def test_a_login_that_cannot_be_renewed_says_so_and_to_log_in_again(sandbox: Any, fake_clock: Any) -> None:
    client = make_client(sandbox, fake_clock, credentials=Credentials(token="no-refresh-token"))
    inject(sandbox, status=401, count=1, method=PROFILE)
    error = failure_of(client.get_profile)
    assert type(error) is AuthError
    assert error.message.startswith("Could not renew the saved Gmail login (")
    assert error.message.endswith("). Run `gmail-mcp auth` to log in again.")


def test_a_batch_parts_error_is_chained_to_what_gmail_answered_for_it(client: GmailClient) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.get_messages(["ffffffffffffffff"])
    assert type(raised.value.__cause__).__name__ == "HttpError"
    assert raised.value.details == {"email_id": "ffffffffffffffff"}
