"""users.settings.filters, incoming mail (POST /__sandbox/deliver) and history that expires."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.conftest import FakeClock
from tests.helpers import service_on
from tests.sandbox.discovery import assert_conforms
from tests.sandbox.test_auth import GMAIL, login

DAY = 86_400.0


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox(clock=fake_clock)


def mail(sender: str, subject: str, extra: str = "") -> bytes:
    return f"From: {sender}\r\nTo: you@example.com\r\nSubject: {subject}\r\n{extra}\r\nHello.\r\n".encode()


def deliver(sandbox: SandboxServer, raw: bytes, **extra: Any) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"raw": base64.urlsafe_b64encode(raw).decode().rstrip("="), **extra}).encode()
    request = urllib.request.Request(sandbox.url + "/__sandbox/deliver", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:  # the error holds the open response
            return exc.code, json.loads(exc.read())


def status_of(request: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as info:
        request.execute()
    return info.value.resp.status, str(info.value.reason)


# -- filters ------------------------------------------------------------------------------------


def test_a_filter_is_created_listed_fetched_and_deleted(gmail_service: Any, mailbox: Mailbox) -> None:
    label = gmail_service.users().labels().create(userId="me", body={"name": "Bank"}).execute()
    filters = gmail_service.users().settings().filters()
    assert filters.list(userId="me").execute() == {}  # Gmail leaves the key out when there is none
    body = {
        "criteria": {"from": "alerts@bank.example", "hasAttachment": False, "subject": " Statement "},
        "action": {"addLabelIds": [label["id"]], "removeLabelIds": ["INBOX"]},
    }
    created = filters.create(userId="me", body=body).execute()
    assert_conforms(created, "Filter")
    assert created == {
        "id": created["id"],
        "criteria": {"from": "alerts@bank.example", "subject": "Statement"},
        "action": {"addLabelIds": [label["id"]], "removeLabelIds": ["INBOX"]},
    }
    listed = filters.list(userId="me").execute()
    assert_conforms(listed, "ListFiltersResponse")
    assert listed == {"filter": [created]}
    assert filters.get(userId="me", id=created["id"]).execute() == created
    assert filters.delete(userId="me", id=created["id"]).execute() == ""
    assert filters.list(userId="me").execute() == {}
    assert status_of(filters.get(userId="me", id=created["id"]))[0] == 404
    assert status_of(filters.delete(userId="me", id=created["id"]))[0] == 404


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"action": {"addLabelIds": ["STARRED"]}}, "criteria"),
        ({"criteria": {"excludeChats": True}, "action": {"addLabelIds": ["STARRED"]}}, "criteria"),
        ({"criteria": {"from": "a@example.com"}}, "actions"),
        ({"criteria": {"from": "a@example.com"}, "action": {"addLabelIds": []}}, "actions"),
        ({"criteria": {"from": "a@example.com"}, "action": {"addLabelIds": ["Label_99"]}}, "Invalid label"),
        ({"criteria": {"from": "a@example.com"}, "action": {"addLabelIds": ["SENT"]}}, "Invalid label"),
        (
            {
                "criteria": {"from": "a@example.com"},
                "action": {"addLabelIds": ["STARRED"], "removeLabelIds": ["STARRED"]},
            },
            "both added and removed",
        ),
        ({"criteria": {"from": "a@example.com"}, "action": {"forward": "me@evil.example"}}, "forwarding"),
        ({"criteria": {"size": 1000}, "action": {"addLabelIds": ["STARRED"]}}, "size"),
        ({"criteria": {"sizeComparison": "larger"}, "action": {"addLabelIds": ["STARRED"]}}, "size"),
        ({"criteria": {"from": 7}, "action": {"addLabelIds": ["STARRED"]}}, "TYPE_STRING"),
        ({"criteria": {"sender": "a"}, "action": {"addLabelIds": ["STARRED"]}}, "Unknown name"),
    ],
)
def test_filters_gmail_refuses_are_400(gmail_service: Any, body: dict[str, Any], reason: str) -> None:
    status, message = status_of(gmail_service.users().settings().filters().create(userId="me", body=body))
    assert status == 400 and reason in message


def test_the_same_filter_twice_is_refused(gmail_service: Any) -> None:
    filters = gmail_service.users().settings().filters()
    body = {"criteria": {"query": "invoice"}, "action": {"addLabelIds": ["STARRED"]}}
    filters.create(userId="me", body=body).execute()
    assert status_of(filters.create(userId="me", body=body)) == (400, "Filter already exists")


def test_creating_and_deleting_filters_takes_the_settings_scope_and_no_other(
    sandbox: SandboxServer, gmail_factory: Any
) -> None:
    body = {"criteria": {"query": "invoice"}, "action": {"addLabelIds": ["STARRED"]}}
    full = gmail_factory(Credentials(token=login(sandbox, "https://mail.google.com/")["access_token"]))
    assert full.users().settings().filters().list(userId="me").execute() == {}
    assert status_of(full.users().settings().filters().create(userId="me", body=body))[0] == 403
    settings = gmail_factory(Credentials(token=login(sandbox, GMAIL + "settings.basic")["access_token"]))
    created = settings.users().settings().filters().create(userId="me", body=body).execute()
    reader = gmail_factory(Credentials(token=login(sandbox, GMAIL + "readonly")["access_token"]))
    assert reader.users().settings().filters().list(userId="me").execute() == {"filter": [created]}
    assert status_of(reader.users().settings().filters().delete(userId="me", id=created["id"]))[0] == 403


# -- incoming mail ------------------------------------------------------------------------------


def test_delivered_mail_arrives_unread_in_the_inbox_with_a_category_and_a_history_record(
    sandbox: SandboxServer, gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    start = mailbox.history_id
    status, answer = deliver(sandbox, mail("ana@example.org", "Lunch?"))
    assert status == 200
    assert_conforms(answer, "Message")
    assert answer == {
        "id": answer["id"],
        "threadId": answer["id"],
        "labelIds": sorted(["CATEGORY_PERSONAL", "INBOX", "UNREAD"]),
    }
    raw = gmail_service.users().messages().get(userId="me", id=answer["id"], format="raw").execute()["raw"]
    assert base64.urlsafe_b64decode(raw + "==").startswith(b"Delivered-To: you@example.com\r\nFrom: ana@")
    history = gmail_service.users().history().list(userId="me", startHistoryId=str(start)).execute()
    assert [list(h) for h in history["history"]] == [["id", "messages", "messagesAdded"]]
    search = gmail_service.users().messages().list(userId="me", q="lunch")
    assert "messages" not in search.execute()  # not indexed yet, as new mail in Gmail
    fake_clock.advance(2)
    assert [m["id"] for m in search.execute()["messages"]] == [answer["id"]]


@pytest.mark.parametrize(
    ("extra", "category"),
    [
        ("List-Id: <team.lists.example.org>\r\n", "CATEGORY_FORUMS"),
        ("List-Unsubscribe: <mailto:stop@shop.example>\r\n", "CATEGORY_PROMOTIONS"),
        ("Precedence: bulk\r\n", "CATEGORY_PROMOTIONS"),
        ("Auto-Submitted: auto-generated\r\n", "CATEGORY_UPDATES"),
        ("Auto-Submitted: no\r\n", "CATEGORY_PERSONAL"),
    ],
)
def test_delivered_mail_is_put_in_a_category_by_its_headers(
    sandbox: SandboxServer, extra: str, category: str
) -> None:
    assert category in deliver(sandbox, mail("news@example.org", "News", extra))[1]["labelIds"]


def test_filters_act_on_delivered_mail_but_not_on_inserted_mail(
    sandbox: SandboxServer, gmail_service: Any, mailbox: Mailbox
) -> None:
    bank = gmail_service.users().labels().create(userId="me", body={"name": "Bank"}).execute()["id"]
    filters = gmail_service.users().settings().filters()
    filters.create(
        userId="me",
        body={
            "criteria": {"from": "alerts@bank.example", "negatedQuery": "urgent"},
            "action": {"addLabelIds": [bank], "removeLabelIds": ["INBOX", "UNREAD"]},
        },
    ).execute()
    filters.create(
        userId="me", body={"criteria": {"to": "billing"}, "action": {"addLabelIds": ["STARRED"]}}
    ).execute()
    _, filed = deliver(sandbox, mail("Bank <alerts@bank.example>", "Your statement"))
    assert filed["labelIds"] == sorted(["CATEGORY_PERSONAL", bank])
    _, urgent = deliver(sandbox, mail("alerts@bank.example", "urgent: card blocked"))
    assert urgent["labelIds"] == sorted(["CATEGORY_PERSONAL", "INBOX", "UNREAD"])
    cc = "From: a@example.org\r\nTo: you@example.com\r\nCc: billing@example.com\r\nSubject: x\r\n\r\nx\r\n"
    assert "STARRED" in deliver(sandbox, cc.encode())[1]["labelIds"]
    inserted = mailbox.insert_raw(mail("alerts@bank.example", "Inserted"))
    assert mailbox.message(inserted).label_ids == {"INBOX", "UNREAD"}


def test_a_delivered_reply_joins_its_thread(sandbox: SandboxServer, gmail_service: Any) -> None:
    _, first = deliver(sandbox, mail("ana@example.org", "Plan", "Message-ID: <p1@example.org>\r\n"))
    _, reply = deliver(sandbox, mail("bo@example.org", "Re: Plan", "In-Reply-To: <p1@example.org>\r\n"))
    assert reply["threadId"] == first["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"raw": 5}', 400),
        (b'{"raw": "!!!"}', 400),
        (b'{"raw": ""}', 400),
        (b'{"raw": "SGk", "extra": 1}', 400),
        (b'{"raw": "SGk", "user": "nobody@example.com"}', 404),
    ],
)
def test_a_bad_delivery_is_refused(
    sandbox: SandboxServer, mailbox: Mailbox, body: bytes, status: int
) -> None:
    request = urllib.request.Request(sandbox.url + "/__sandbox/deliver", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    with info.value as refused:  # the error holds the open response
        assert refused.code == status
    assert mailbox.all_messages() == []


def test_the_user_may_be_named_by_address(sandbox: SandboxServer, mailbox: Mailbox) -> None:
    status, answer = deliver(sandbox, mail("a@example.org", "Hi"), user="YOU@example.com")
    assert status == 200 and mailbox.message(answer["id"])


# -- history expiry -----------------------------------------------------------------------------


def test_history_older_than_a_week_is_forgotten_and_its_start_ids_answer_404(
    sandbox: SandboxServer, gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    old_start = mailbox.history_id
    deliver(sandbox, mail("a@example.org", "Old"))
    history = gmail_service.users().history()
    fake_clock.advance(6 * DAY)
    assert len(history.list(userId="me", startHistoryId=str(old_start)).execute()["history"]) == 1
    fake_clock.advance(2 * DAY)
    recent_start = mailbox.history_id
    assert status_of(history.list(userId="me", startHistoryId=str(old_start))) == (
        404,
        "Requested entity was not found.",
    )
    # The newest id forgotten is too old as well; from anything newer the history is whole.
    assert status_of(history.list(userId="me", startHistoryId=str(recent_start)))[0] == 404
    deliver(sandbox, mail("b@example.org", "New"))
    _, newer = deliver(sandbox, mail("c@example.org", "Newer"))
    answer = history.list(userId="me", startHistoryId=str(recent_start + 1)).execute()
    assert_conforms(answer, "ListHistoryResponse")
    assert answer["historyId"] == str(mailbox.history_id)
    assert [h["messagesAdded"][0]["message"]["id"] for h in answer["history"]] == [newer["id"]]


def test_without_retention_history_is_kept_for_ever(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    start = mailbox.history_id
    mailbox.insert_raw(mail("a@example.org", "Old"))
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(history_retention_s=None)) as server:
        fake_clock.advance(365 * DAY)
        answer = service_on(server).users().history().list(userId="me", startHistoryId=str(start)).execute()
        assert len(answer["history"]) == 1
