"""GmailClient against the sandbox over real HTTP: request counts, quota, retries, no duplicate sends."""

from __future__ import annotations

import base64
import email
import email.policy
from collections import Counter
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from gmail_mcp.errors import (
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UpstreamError,
)
from gmail_mcp.gmail.scopes import READONLY
from gmail_mcp.models import Message
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.helpers import control, inject, make_client, reset_stats


def raw_email(
    subject: str, to: str = "friend@example.org", body: str = "Hello there.", size: int = 0
) -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = "you@example.com"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid(domain="test.example")
    message.set_content(body + ("x" * size))
    return message.as_bytes()


def biggest_thread(mailbox: Any) -> tuple[str, int]:
    thread_id, size = Counter(m.thread_id for m in mailbox.all_messages()).most_common(1)[0]
    return thread_id, size


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    return make_client(sandbox, fake_clock)


def test_a_first_listing_of_20_stays_under_gmails_concurrency_cap(sandbox: Any, client: Any) -> None:
    reset_stats(sandbox)
    page = client.list_messages("in:inbox", max_results=20)
    stats = sandbox.stats()
    assert len(page.messages) == 20
    # Batches start at 10, what Gmail is reported to work on at once for one user; 2026 costs:
    # messages.list 5 + 20 x messages.get 20, and a new client's label list (1), asked for beside
    # the listing and settled before the details, so never among the calls of a batch.
    assert (stats["requests"], stats["batch_requests"], stats["quota_units"]) == (4, 2, 405 + 1)
    assert stats["concurrency_limited"] == 0
    assert stats["by_method"] == {
        "gmail.users.messages.list": 1,
        "gmail.users.labels.list": 1,
        "gmail.users.messages.get": 20,
    }
    assert all(m.subject and m.sender and m.date for m in page.messages)


def test_a_warm_listing_of_20_is_two_requests_and_405_units_where_gmail_allows(
    sandbox_factory: Any, fake_clock: Any
) -> None:
    roomy = sandbox_factory(behaviour=Behaviour(max_concurrent=50))  # the benchmark's setting
    client = make_client(roomy, fake_clock)
    client.list_messages("in:inbox", max_results=20)
    reset_stats(roomy)
    page = client.list_messages("in:inbox", max_results=20)
    stats = roomy.stats()
    assert len(page.messages) == 20
    # 2026 costs: messages.list 5 + 20 x messages.get 20.
    assert (stats["requests"], stats["batch_requests"], stats["quota_units"]) == (2, 1, 405)


def test_a_warm_50_message_listing_is_one_batch_where_gmail_allows(
    sandbox_factory: Any, fake_clock: Any
) -> None:
    roomy = sandbox_factory(behaviour=Behaviour(max_concurrent=50))
    client = make_client(roomy, fake_clock)
    for _ in range(2):  # batches of 10, 20 and 20, then 40 and 10: each clean one proves more
        client.list_messages("in:anywhere", max_results=50)
    reset_stats(roomy)
    page = client.list_messages("in:anywhere", max_results=50)
    stats = roomy.stats()
    assert len(page.messages) == 50
    assert (stats["requests"], stats["batch_requests"], stats["quota_units"]) == (2, 1, 5 + 20 * 50)
    assert page.next_page_token


@pytest.mark.parametrize(("cap", "most_requests"), [(10, 9), (5, 15), (2, 31)])  # with the label list
def test_listing_50_adapts_to_the_concurrency_cap_without_errors(
    sandbox_factory: Any, fake_clock: Any, cap: int, most_requests: int
) -> None:
    capped = sandbox_factory(behaviour=Behaviour(max_concurrent=cap))
    client = make_client(capped, fake_clock)
    reset_stats(capped)
    before = fake_clock()
    page = client.list_messages("in:anywhere", max_results=50)
    stats = capped.stats()
    assert len(page.messages) == 50  # every one, no error
    assert stats["requests"] <= most_requests, stats
    # Refused parts cost nothing; none was read twice (and the label list, 1, went beside the listing).
    assert stats["quota_units"] == 5 + 20 * 50 + 1
    assert fake_clock() == before  # refused parts were sent again at once, in smaller batches
    reset_stats(capped)
    again = client.list_messages("in:anywhere", max_results=50)  # what it learnt, it keeps
    assert [m.id for m in again.messages] == [m.id for m in page.messages]
    assert capped.stats()["requests"] <= stats["requests"]


def test_the_google_client_resources_are_built_once_not_per_request(client: Any) -> None:
    # googleapiclient rebuilds a Resource from the discovery document on every users().messages()
    # (~0.9 ms): built per request, that was most of a 50-message page's CPU.
    assert client._messages() is client._messages()
    assert client._threads() is client._threads()
    assert client._drafts() is client._drafts()
    assert client._labels_api() is client._labels_api()


def test_reading_a_ten_message_thread_costs_one_request(sandbox: Any, mailbox: Any, client: Any) -> None:
    thread_id, size = biggest_thread(mailbox)
    assert size == 10
    reset_stats(sandbox)
    thread = client.get_thread(thread_id)
    assert sandbox.stats()["requests"] == 1
    assert len(thread.messages) == 10
    assert all(isinstance(m, Message) and m.payload.walk() for m in thread.messages)


def test_pages_follow_each_other_without_overlap(client: Any) -> None:
    first = client.list_messages("in:anywhere", max_results=30)
    second = client.list_messages("in:anywhere", max_results=30, page_token=first.next_page_token)
    assert not {m.id for m in first.messages} & {m.id for m in second.messages}


def test_a_call_meeting_three_503s_succeeds_after_the_exact_backoff(sandbox: Any, fake_clock: Any) -> None:
    client = make_client(sandbox, fake_clock, rand=lambda: 0.5, base=1.0, cap=32.0)
    slept: list[float] = []
    sleep = fake_clock.sleep
    client._exec._backoff.sleep = lambda s: (slept.append(s), sleep(s))  # record what the policy sleeps
    inject(sandbox, status=503, count=3, method="gmail.users.getProfile", reason="backendError")
    reset_stats(sandbox)
    profile = client.get_profile()
    assert profile.email_address == "you@example.com"
    assert slept == [0.5, 1.0, 2.0]
    assert sandbox.stats()["by_method"]["gmail.users.getProfile"] == 4


@pytest.mark.parametrize(
    ("status", "reason", "error"),
    [(404, "notFound", NotFoundError), (400, "invalidArgument", InvalidParamsError)],
)
def test_client_errors_are_tried_once(
    sandbox: Any, client: Any, status: int, reason: str, error: type
) -> None:
    inject(sandbox, status=status, count=5, method="gmail.users.getProfile", reason=reason)
    reset_stats(sandbox)
    with pytest.raises(error):
        client.get_profile()
    assert sandbox.stats()["by_method"]["gmail.users.getProfile"] == 1
    control(sandbox, "/__sandbox/faults", method="DELETE")


def test_an_unknown_message_is_not_found_with_its_id(client: Any) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.get_message("ffffffffffffffff")
    assert raised.value.details == {"email_id": "ffffffffffffffff"}


def test_a_malformed_id_is_invalid_params(client: Any) -> None:
    with pytest.raises(InvalidParamsError):
        client.get_message("not-an-id!")


def test_a_5xx_storm_that_outlasts_the_retries_is_an_upstream_error(sandbox: Any, fake_clock: Any) -> None:
    client = make_client(sandbox, fake_clock, max_attempts=3)
    inject(sandbox, status=503, count=10, method="gmail.users.labels.list")
    with pytest.raises(UpstreamError):
        client.list_labels()
    assert sandbox.stats()["by_method"]["gmail.users.labels.list"] == 3


def test_only_failed_batch_parts_are_retried(sandbox: Any, mailbox: Any, client: Any) -> None:
    ids = [m.id for m in mailbox.all_messages()[:20]]
    inject(sandbox, status=503, count=3, method="gmail.users.messages.get")
    reset_stats(sandbox)
    summaries = client.get_summaries(ids)
    stats = sandbox.stats()
    assert [s.id for s in summaries] == ids
    # Two batches of 10 (Gmail's concurrency cap), then the three that met a 503.
    assert (stats["batch_requests"], stats["batch_parts"]) == (3, 23)


def test_a_rate_limited_batch_part_waits_as_retry_after_asks(
    sandbox: Any, client: Any, fake_clock: Any
) -> None:
    ids = [m.id for m in client.list_messages("in:inbox", max_results=5).messages]
    inject(
        sandbox,
        status=429,
        count=1,
        method="gmail.users.messages.get",
        reason="rateLimitExceeded",
        retry_after=7,
    )
    before = fake_clock()
    assert len(client.get_summaries(ids)) == 5
    assert fake_clock() - before >= 7


def test_listing_20_with_details_costs_105_units_on_a_legacy_project(
    sandbox_factory: Any, fake_clock: Any
) -> None:
    sandbox = sandbox_factory(quota_costs="legacy")
    client = make_client(sandbox, fake_clock, costs="legacy")
    before = client._exec._limiter.reserved
    client.list_messages("in:inbox", max_results=20)
    stats = sandbox.stats()
    # A new client's batches of 10: one list and two batches, 5 units each, and its label list (1).
    assert (stats["requests"], stats["quota_units"]) == (4, 106)
    assert client._exec._limiter.reserved - before == 106


def test_a_call_whose_quota_turn_is_beyond_max_wait_fails_at_once_with_retry_after(
    sandbox: Any, fake_clock: Any
) -> None:
    client = make_client(sandbox, fake_clock, units_per_minute=100, max_wait=30)
    page = client.list_messages("in:inbox", max_results=4)  # 5 + 4 x 20 of the minute's 100 units
    reset_stats(sandbox)
    before = fake_clock()
    with pytest.raises(QuotaExceededError) as raised:
        client.get_message(page.messages[0].id)  # 20 more: its turn is when the first 85 leave
    assert raised.value.details == {"retry_after": 60}
    assert fake_clock() == before  # refused without waiting
    assert sandbox.stats()["requests"] == 0


def test_a_batch_whose_quota_turn_is_beyond_max_wait_fails_at_once(sandbox: Any, fake_clock: Any) -> None:
    client = make_client(sandbox, fake_clock, units_per_minute=100, max_wait=30)
    ids = [m.id for m in client.list_messages("in:inbox", max_results=4).messages]  # 85 of 100 units
    reset_stats(sandbox)
    before = fake_clock()
    with pytest.raises(QuotaExceededError) as raised:
        client.get_summaries(ids)  # 80 more units: not before the first 85 leave the window
    assert raised.value.details == {"retry_after": 60}
    assert (fake_clock(), sandbox.stats()["requests"]) == (before, 0)


def test_a_retry_after_longer_than_max_wait_is_not_slept(sandbox: Any, fake_clock: Any) -> None:
    client = make_client(sandbox, fake_clock, max_wait=60)
    inject(sandbox, status=429, count=1, method="gmail.users.getProfile", retry_after=600)
    before = fake_clock()
    with pytest.raises(QuotaExceededError) as raised:
        client.get_profile()
    assert raised.value.details["retry_after"] == 600
    assert fake_clock() == before


def test_a_concurrency_refusal_is_retried_without_slowing_the_pace(sandbox: Any, client: Any) -> None:
    inject(
        sandbox,
        status=429,
        count=2,
        method="gmail.users.getProfile",
        reason="rateLimitExceeded",
        message="Too many concurrent requests for user",
    )
    client.get_profile()
    limiter = client._exec._limiter
    assert (limiter.rate, limiter.refusals) == (6000, 0)  # too many in flight is not quota spent


def test_a_quota_refusal_slows_the_pace(sandbox: Any, client: Any) -> None:
    client.list_labels()
    inject(sandbox, status=403, count=1, method="gmail.users.getProfile", reason="userRateLimitExceeded")
    client.get_profile()
    limiter = client._exec._limiter
    assert limiter.refusals == 1 and limiter.rate < 6000


def test_rate_limit_refusals_teach_the_client_the_accounts_real_quota(
    sandbox_factory: Any, fake_clock: Any
) -> None:
    # A legacy project at 600 units a minute, and a client with the server's defaults
    # (2026 costs at 6,000 a minute): it believes reads cost 20 of 6,000, Gmail counts 5 of 600.
    sandbox = sandbox_factory(quota_costs="legacy", quota_per_minute=600)
    client = make_client(sandbox, fake_clock)
    message_id = client.list_messages("in:anywhere", max_results=1).messages[0].id
    reset_stats(sandbox)
    started = fake_clock()
    for _ in range(600):  # 3,000 units: five minutes' worth
        client.get_summaries([message_id])
    stats = sandbox.stats()
    assert stats["quota_units"] == 3000
    # The first refusal teaches the limit; then the rate creeps back up by a tenth a minute and
    # meets a refusal about every other minute, never a storm of them. A perfect pacer would take
    # 240 s (five windows starting at 0, 60, ..., 240); each cut costs a little of a window.
    assert stats["throttled"] <= 3
    assert 240 <= fake_clock() - started <= 305


def test_the_daily_sending_cap_is_quota_exceeded_with_its_time_and_not_retried(
    sandbox: Any, client: Any
) -> None:
    inject(
        sandbox,
        status=429,
        count=1,
        method="gmail.users.messages.send",
        reason="rateLimitExceeded",
        message="User-rate limit exceeded.  Retry after 2026-11-19T08:00:00.000Z (Mail sending)",
    )
    with pytest.raises(QuotaExceededError) as raised:
        client.send_message(raw_email("Too many"))
    assert raised.value.details["retry_after"] == "2026-11-19T08:00:00.000Z"
    assert sandbox.stats()["by_method"]["gmail.users.messages.send"] == 1


def test_messages_over_5mb_are_sent_with_a_resumable_upload(sandbox: Any, client: Any) -> None:
    reset_stats(sandbox)
    ref = client.send_message(raw_email("Big report", size=6 * 1024 * 1024))
    stats = sandbox.stats()
    assert stats["upload_requests"] >= 2  # the session start and at least one chunk
    assert stats["by_method"]["gmail.users.messages.send"] == 1
    raw = client.get_raw(ref.id)
    assert len(raw) > 6 * 1024 * 1024
    assert b"Subject: Big report" in raw


def test_labels_are_cached_and_refreshed_after_a_change(sandbox: Any, client: Any) -> None:
    client.list_labels()
    reset_stats(sandbox)
    client.list_labels()
    client.resolve_label("Travel Plans")
    assert sandbox.stats()["requests"] == 0
    created = client.create_label("Receipts 2027")
    assert created.name in {label.name for label in client.list_labels()}
    assert sandbox.stats()["by_method"]["gmail.users.labels.list"] == 1


def test_a_missing_scope_names_the_scope_to_grant(sandbox: Any, fake_clock: Any) -> None:
    credentials = readonly_credentials(sandbox)
    client = make_client(sandbox, fake_clock, credentials=credentials)
    assert client.get_profile().email_address == "you@example.com"
    with pytest.raises(PermissionDeniedError) as raised:
        client.send_message(raw_email("Not allowed"))
    assert raised.value.details["required_scope"].endswith("gmail.send")


def readonly_credentials(sandbox: Any) -> Credentials:
    """A token the sandbox issued for gmail.readonly only, through its OAuth stand-in."""
    import hashlib
    import secrets
    import urllib.parse
    import urllib.request

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:9/"
    query = urllib.parse.urlencode(
        {
            "client_id": "test-client",
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": READONLY,
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "access_type": "offline",
        }
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{sandbox.url}/o/oauth2/auth?{query}", timeout=10)
        raise AssertionError("the consent page should redirect")
    except urllib.error.HTTPError as answer:
        with answer:  # the error holds the open response
            location = answer.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    form = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": "test-client",
            "client_secret": "secret",
            "code_verifier": verifier,
        }
    ).encode()
    with urllib.request.urlopen(f"{sandbox.url}/token", data=form, timeout=10) as response:
        token = __import__("json").loads(response.read())
    return Credentials(token=token["access_token"], scopes=[READONLY])


def test_the_client_reserves_exactly_the_units_gmail_charges(sandbox: Any, mailbox: Any, client: Any) -> None:
    thread_id, _ = biggest_thread(mailbox)
    reset_stats(sandbox)
    before = client._exec._limiter.reserved
    page = client.list_messages("in:inbox", max_results=10)
    client.get_message(page.messages[0].id)
    client.get_thread(thread_id)
    client.list_threads(max_results=5)
    client.list_labels()
    client.get_profile()
    draft = client.create_draft(raw_email("Units"))
    client.update_draft(draft.id, raw_email("Units, again"))
    client.delete_draft(draft.id)
    client.modify_message(page.messages[0].id, remove=["UNREAD"])
    client.trash_message(page.messages[1].id)
    client.send_message(raw_email("Units sent"))
    assert client._exec._limiter.reserved - before == sandbox.stats()["quota_units"]
