"""Batch requests: googleapiclient's BatchHttpRequest against POST /batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    for i in range(60):
        box.insert_raw(f"From: a@example.com\r\nSubject: m{i}\r\n\r\nbody {i}\r\n".encode())
    return box


def run_batch(service: Any, requests_: list[Any]) -> dict[str, tuple[Any, HttpError | None]]:
    results: dict[str, tuple[Any, HttpError | None]] = {}
    batch = service.new_batch_http_request(
        callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc))
    )
    for request in requests_:
        batch.add(request)
    batch.execute()
    return results


@pytest.fixture
def roomy_sandbox(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    """A sandbox whose per-user concurrency cap lets a whole 50-part batch through at once."""
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(max_concurrent=50)) as server:
        yield server


def test_a_batch_of_50_gets_is_one_request_of_50_parts_each_charged_2026_costs(
    mailbox: Mailbox, roomy_sandbox: SandboxServer
) -> None:
    service = service_on(roomy_sandbox)
    ids = [m.id for m in mailbox.all_messages()[:50]]
    results = run_batch(service, [service.users().messages().get(userId="me", id=i) for i in ids])
    assert [results[str(n + 1)][0]["id"] for n in range(50)] == ids
    stats = roomy_sandbox.stats()
    assert {
        k: stats[k] for k in ("requests", "batch_requests", "batch_parts", "quota_units", "by_method")
    } == {
        "requests": 1,
        "batch_requests": 1,
        "batch_parts": 50,
        "quota_units": 50 * 20,  # messages.get: 20 units for projects created since May 2026
        "by_method": {"gmail.users.messages.get": 50},
    }


def test_each_part_fails_or_succeeds_on_its_own(gmail_service: Any, mailbox: Mailbox) -> None:
    good = mailbox.all_messages()[0].id
    messages = gmail_service.users().messages()
    results = run_batch(
        gmail_service,
        [
            messages.get(userId="me", id=good, format="minimal"),
            messages.get(userId="me", id="00000000000000ff"),
            messages.modify(userId="me", id=good, body={"addLabelIds": ["STARRED"]}),
            messages.modify(userId="me", id=good, body={"addLabelIds": ["NOPE"]}),
        ],
    )
    assert results["1"][0]["id"] == good
    assert results["3"][0]["labelIds"] == ["INBOX", "STARRED", "UNREAD"]
    failures = {rid: (exc.resp.status, exc.reason) for rid, (_, exc) in results.items() if exc is not None}
    assert failures == {"2": (404, "Requested entity was not found."), "4": (400, "Invalid label: NOPE")}


def test_a_batch_of_more_than_100_parts_is_refused_whole(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    ids = [m.id for m in mailbox.all_messages()]
    batch = gmail_service.new_batch_http_request()
    for i in (ids * 2)[:101]:
        batch.add(gmail_service.users().messages().get(userId="me", id=i))
    with pytest.raises(HttpError) as info:
        batch.execute()
    assert info.value.resp.status == 400
    assert sandbox.stats()["by_method"] == {}


def test_batch_responses_use_crlf_and_echo_content_ids(sandbox: SandboxServer, mailbox: Mailbox) -> None:
    message_id = mailbox.all_messages()[0].id
    body = (
        "--xyz\r\nContent-Type: application/http\r\nContent-ID: <item-1>\r\n\r\n"
        f"GET /gmail/v1/users/me/messages/{message_id}?format=minimal HTTP/1.1\r\n"
        "Authorization: Bearer test\r\n\r\n"
        "--xyz\r\nContent-Type: application/http\r\nContent-ID: <item-2>\r\n\r\n"
        "DELETE /gmail/v1/users/me/labels/INBOX HTTP/1.1\r\n\r\n"
        "--xyz--\r\n"
    )
    reply = requests.post(
        sandbox.url + "/batch/gmail/v1",
        data=body.encode(),
        headers={"Content-Type": "multipart/mixed; boundary=xyz", "Authorization": "Bearer outer"},
        timeout=10,
    )
    boundary = reply.headers["Content-Type"].split("boundary=")[1]
    parts = reply.content.decode().split(f"--{boundary}")
    assert parts[0] == "" and parts[-1] == "--\r\n"
    first, second = parts[1], parts[2]
    assert first.startswith(
        "\r\nContent-Type: application/http\r\nContent-ID: <response-item-1>\r\n\r\nHTTP/1.1 200 OK\r\n"
    )
    assert f'"id": "{message_id}"' in first
    # the second part had no Authorization of its own and inherited the batch's
    assert "Content-ID: <response-item-2>\r\n\r\nHTTP/1.1 400 Bad Request\r\n" in second


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/mixed; boundary=xyz", b"no boundary lines at all"),
        ("multipart/mixed; boundary=xyz", b"--xyz--\r\n"),
        ("application/json", b"{}"),
    ],
)
def test_malformed_batches_are_400(sandbox: SandboxServer, content_type: str, body: bytes) -> None:
    reply = requests.post(
        sandbox.url + "/batch", data=body, headers={"Content-Type": content_type}, timeout=10
    )
    assert (reply.status_code, reply.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")


# -- the per-user concurrency cap ---------------------------------------------------------------


def test_a_batch_of_50_against_the_default_cap_of_10_gets_40_per_part_429s(
    gmail_service: Any, mailbox: Mailbox, sandbox: SandboxServer
) -> None:
    ids = [m.id for m in mailbox.all_messages()[:50]]
    results = run_batch(gmail_service, [gmail_service.users().messages().get(userId="me", id=i) for i in ids])
    answered = [n for n in range(50) if results[str(n + 1)][1] is None]
    refused = {
        (exc.resp.status, exc.reason, exc.error_details[0]["reason"])
        for _, exc in results.values()
        if exc is not None
    }
    assert answered == list(range(10))  # the first ten parts got the ten slots, deterministically
    assert refused == {(429, "Too many concurrent requests for user", "rateLimitExceeded")}
    stats = sandbox.stats()
    # The refused parts reached Gmail (counted) but spent no quota (messages.get: 20 units, 2026).
    assert (stats["by_method"], stats["quota_units"], stats["concurrency_limited"]) == (
        {"gmail.users.messages.get": 50},
        10 * 20,
        40,
    )


def test_the_slots_of_a_batch_are_free_again_once_it_is_answered(
    gmail_service: Any, mailbox: Mailbox
) -> None:
    ids = [m.id for m in mailbox.all_messages()[:10]]
    for _ in range(3):
        results = run_batch(
            gmail_service, [gmail_service.users().messages().get(userId="me", id=i) for i in ids]
        )
        assert all(exc is None for _, exc in results.values())


def test_a_call_arriving_while_the_slots_are_taken_is_refused_with_429(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    with sandbox.app.gateway.concurrency.slots(10) as granted:  # ten calls of other clients in flight
        assert granted == 10
        with pytest.raises(HttpError) as refused:
            gmail_service.users().labels().list(userId="me").execute()
    assert (refused.value.resp.status, refused.value.reason) == (429, "Too many concurrent requests for user")
    assert gmail_service.users().labels().list(userId="me").execute()["labels"]
