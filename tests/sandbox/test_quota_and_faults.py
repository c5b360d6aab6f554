"""Per-user quota over a rolling minute of the fake clock, and injected faults."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.conftest import FakeClock
from tests.helpers import service_on


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    box = Mailbox(clock=fake_clock)
    for i in range(5):
        box.insert_raw(f"From: a@example.com\r\nSubject: m{i}\r\n\r\nbody\r\n".encode())
    return box


@pytest.fixture
def sandbox(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    # These tests are about the quota alone: no concurrency cap, so a 21-part batch is one unit of work.
    behaviour = Behaviour(max_concurrent=0)
    with SandboxServer(mailbox, quota_per_minute=100, clock=fake_clock, behaviour=behaviour) as server:
        yield server


def fault(sandbox: SandboxServer, spec: Any) -> requests.Response:
    return requests.post(sandbox.url + "/__sandbox/faults", json=spec, timeout=10)


def outcome(request: Any) -> str:
    try:
        request.execute()
        return "ok"
    except HttpError as exc:
        return f"{exc.resp.status} {exc.error_details[0]['reason']}"


def test_calls_past_the_per_minute_quota_get_403_user_rate_limit_until_the_window_rolls(
    gmail_service: Any, sandbox: SandboxServer, fake_clock: FakeClock
) -> None:
    listing = gmail_service.users().messages().list  # 5 units, against 100 a minute
    for _ in range(10):
        listing(userId="me").execute()
    fake_clock.advance(30)
    for _ in range(10):
        listing(userId="me").execute()
    with pytest.raises(HttpError) as info:
        listing(userId="me").execute()
    error = info.value
    # Google's shape for the per-user limit: 403, reason userRateLimitExceeded, domain usageLimits.
    assert (error.resp.status, error.error_details[0]["reason"], error.error_details[0]["domain"]) == (
        403,
        "userRateLimitExceeded",
        "usageLimits",
    )
    assert "Queries per minute per user" in error.reason
    assert {k: sandbox.stats()[k] for k in ("quota_units", "throttled")} == {
        "quota_units": 100,
        "throttled": 1,
    }
    fake_clock.advance(29.9)  # the first ten are 59.9 s old: still inside the minute
    assert outcome(listing(userId="me")) == "403 userRateLimitExceeded"
    fake_clock.advance(0.2)
    assert outcome(listing(userId="me")) == "ok"


def charges(sandbox: SandboxServer, service: Any, mailbox: Mailbox) -> dict[str, int]:
    """Units the sandbox charges for one call of each method the product reads with."""
    message = mailbox.all_messages()[0]
    calls = {
        "messages.list": service.users().messages().list(userId="me"),
        "messages.get": service.users().messages().get(userId="me", id=message.id),
        "threads.get": service.users().threads().get(userId="me", id=message.thread_id),
        "labels.list": service.users().labels().list(userId="me"),
        "history.list": service.users().history().list(userId="me", startHistoryId="1"),
    }
    charged = {}
    for name, request in calls.items():
        before = sandbox.stats()["quota_units"]
        request.execute()
        charged[name] = sandbox.stats()["quota_units"] - before
    return charged


def test_by_default_the_sandbox_charges_googles_2026_costs_at_6000_a_minute(
    mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    with SandboxServer(mailbox, clock=fake_clock) as sandbox:
        service = service_on(sandbox)
        assert charges(sandbox, service, mailbox) == {
            "messages.list": 5,
            "messages.get": 20,
            "threads.get": 40,
            "labels.list": 1,
            "history.list": 2,
        }
        assert spend_until_refused(sandbox, service, mailbox) == 6000


def test_legacy_costs_are_the_old_table_at_15000_a_minute(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    with SandboxServer(mailbox, clock=fake_clock, quota_costs="legacy") as sandbox:
        service = service_on(sandbox)
        assert charges(sandbox, service, mailbox) == {
            "messages.list": 5,
            "messages.get": 5,
            "threads.get": 5,
            "labels.list": 1,
            "history.list": 2,
        }
        assert spend_until_refused(sandbox, service, mailbox) == 15000


def test_an_explicit_per_minute_limit_overrides_the_regimes(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    with SandboxServer(mailbox, clock=fake_clock, quota_costs="legacy", quota_per_minute=600) as sandbox:
        assert spend_until_refused(sandbox, service_on(sandbox), mailbox) == 600


def test_an_unknown_cost_table_is_refused(mailbox: Mailbox) -> None:
    with pytest.raises(ValueError, match="2026"):
        SandboxServer(mailbox, quota_costs="2025")


def spend_until_refused(sandbox: SandboxServer, service: Any, mailbox: Mailbox) -> int:
    """Units charged within one minute (the fake clock stands still) until the sandbox refuses:
    dear batchModify calls first, then 1-unit labels.list calls to use up the rest exactly."""
    ids = [mailbox.all_messages()[0].id]
    modify = service.users().messages().batchModify
    while outcome(modify(userId="me", body={"ids": ids, "addLabelIds": ["STARRED"]})) == "ok":
        pass
    while outcome(service.users().labels().list(userId="me")) == "ok":
        pass
    assert sandbox.stats()["throttled"] == 2
    return int(sandbox.stats()["quota_units"])


def test_each_batch_part_is_charged_and_throttled_on_its_own(gmail_service: Any, mailbox: Mailbox) -> None:
    outcomes: list[str] = []
    batch = gmail_service.new_batch_http_request(
        callback=lambda rid, resp, exc: outcomes.append("ok" if exc is None else str(exc.resp.status))
    )
    message_id = mailbox.all_messages()[0].id
    for _ in range(6):  # 20 units each (2026 costs) against a quota of 100
        batch.add(gmail_service.users().messages().get(userId="me", id=message_id))
    batch.execute()
    assert outcomes == ["ok"] * 5 + ["403"]


def test_a_fault_fails_the_next_count_calls_then_lets_them_through(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    assert fault(sandbox, {"status": 503, "count": 2}).status_code == 200
    calls = [outcome(gmail_service.users().labels().list(userId="me")) for _ in range(3)]
    assert calls == ["503 backendError", "503 backendError", "ok"]
    assert sandbox.stats()["faults_injected"] == 2


def test_a_fault_for_one_method_leaves_others_alone(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    fault(sandbox, {"status": 500, "method": "gmail.users.messages.get"})
    message_id = mailbox.all_messages()[0].id
    assert outcome(gmail_service.users().messages().list(userId="me")) == "ok"
    assert outcome(gmail_service.users().messages().get(userId="me", id=message_id)) == "500 backendError"
    assert outcome(gmail_service.users().messages().get(userId="me", id=message_id)) == "ok"


def test_an_applied_fault_takes_effect_and_still_fails(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    message_id = mailbox.all_messages()[0].id
    fault(sandbox, {"status": 500, "method": "gmail.users.messages.modify", "applied": True})
    request = (
        gmail_service.users().messages().modify(userId="me", id=message_id, body={"addLabelIds": ["STARRED"]})
    )
    assert outcome(request) == "500 backendError"
    assert "STARRED" in mailbox.message(message_id).label_ids


def test_reason_message_and_retry_after_are_sent_as_asked(gmail_service: Any, sandbox: SandboxServer) -> None:
    fault(
        sandbox, {"status": 403, "reason": "userRateLimitExceeded", "message": "Slow down", "retry_after": 7}
    )
    with pytest.raises(HttpError) as info:
        gmail_service.users().labels().list(userId="me").execute()
    error = info.value
    assert (error.resp.status, error.reason, error.error_details[0]["reason"]) == (
        403,
        "Slow down",
        "userRateLimitExceeded",
    )
    assert error.resp["retry-after"] == "7"


def raw_get(
    sandbox: SandboxServer, path: str, method: str = "GET", body: bytes | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(urlsplit(sandbox.url).netloc, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Authorization": "Bearer t"})
        response = connection.getresponse()
        response.read()  # the whole answer, so the connection can close under it
        return response
    finally:
        connection.close()


def test_a_reset_fault_closes_the_connection_without_an_answer(sandbox: SandboxServer) -> None:
    fault(sandbox, {"reset": True, "method": "gmail.users.labels.list"})
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(sandbox, "/gmail/v1/users/me/labels")
    assert raw_get(sandbox, "/gmail/v1/users/me/labels").status == 200


def test_an_applied_reset_loses_the_answer_of_a_send_that_happened(sandbox: SandboxServer) -> None:
    fault(sandbox, {"reset": True, "applied": True, "method": "gmail.users.messages.send"})
    raw = b'{"raw": "VG86IGJvQGV4YW1wbGUuY29tDQpTdWJqZWN0OiB4DQoNCng="}'
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(sandbox, "/gmail/v1/users/me/messages/send", "POST", raw)
    assert sandbox.stats()["sent"] == 1


def test_a_batch_fault_fails_the_envelope_before_any_part_runs(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    fault(sandbox, {"status": 503, "method": "batch"})
    batch = gmail_service.new_batch_http_request()
    batch.add(gmail_service.users().messages().get(userId="me", id=mailbox.all_messages()[0].id))
    with pytest.raises(HttpError) as info:
        batch.execute()
    assert info.value.resp.status == 503
    assert sandbox.stats()["by_method"] == {}


@pytest.mark.parametrize(
    "spec",
    [
        {"status": 200},
        {"status": 500, "count": 0},
        {"status": "500"},
        {"status": 500, "method": "gmail.users.nothing"},
        {"status": 500, "color": "red"},
        {"count": 2},
        {"oauth": "invalid_client"},
        {"status": 500, "retry_after": -1},
        {"status": 500, "applied": "yes"},
        ["not", "an", "object"],
    ],
)
def test_invalid_fault_specs_are_400_with_a_reason(sandbox: SandboxServer, spec: object) -> None:
    reply = fault(sandbox, spec)
    assert reply.status_code == 400 and reply.json()["error"]["message"].startswith("Invalid fault: ")


def test_faults_can_be_listed_and_cleared(gmail_service: Any, sandbox: SandboxServer) -> None:
    fault(sandbox, {"status": 500, "count": 3})
    fault(sandbox, {"oauth": "invalid_grant"})
    pending = requests.get(sandbox.url + "/__sandbox/faults", timeout=10).json()
    assert (len(pending["faults"]), pending["oauth"]) == (1, ["invalid_grant"])
    assert requests.delete(sandbox.url + "/__sandbox/faults", timeout=10).json() == {
        "faults": [],
        "oauth": [],
        "consents": [],
    }
    assert outcome(gmail_service.users().labels().list(userId="me")) == "ok"


def test_reset_zeroes_the_counters_but_keeps_the_mail(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    gmail_service.users().messages().list(userId="me").execute()
    zeroed = requests.post(sandbox.url + "/__sandbox/reset", timeout=10).json()
    assert zeroed["by_user"] == {}
    assert {k: v for k, v in zeroed.items() if k not in ("by_method", "outbox", "by_user")} == dict.fromkeys(
        ("requests", "batch_requests", "batch_parts", "quota_units", "throttled", "sent", "upload_requests"),
        0,
    ) | {"faults_injected": 0, "concurrency_limited": 0}
    assert zeroed["by_method"] == {} and len(mailbox.all_messages()) == 5


def test_a_storm_fails_calls_at_its_rate_the_same_way_every_run(
    gmail_service: Any, sandbox: SandboxServer, fake_clock: FakeClock
) -> None:
    def storm() -> list[str]:
        fault(sandbox, {"status": 503, "rate": 0.3, "seed": 7, "count": 1000})
        calls = []
        for n in range(60):
            if n % 20 == 0:
                fake_clock.advance(60)  # getProfile costs 4 units (2026): 20 a minute fit this quota
            calls.append(outcome(gmail_service.users().getProfile(userId="me")))
        requests.delete(sandbox.url + "/__sandbox/faults", timeout=10)
        fake_clock.advance(60)  # a fresh quota minute for the second run
        return calls

    first = storm()
    assert 10 <= first.count("503 backendError") <= 26 and set(first) == {"ok", "503 backendError"}
    assert storm() == first


@pytest.mark.parametrize("rate", [0, 1.5, "often"])
def test_a_storm_rate_must_be_a_probability(sandbox: SandboxServer, rate: object) -> None:
    assert fault(sandbox, {"status": 503, "rate": rate}).status_code == 400
