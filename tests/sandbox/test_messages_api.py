"""users.messages through the real googleapiclient: list, get in every format, change, delete."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.conftest import FakeClock
from tests.helpers import service_on

DAY_MS = 86_400_000


def mail(
    subject: str, *, sender: str = "Ann <ann@example.com>", body: str = "Hello.", extra: str = ""
) -> bytes:
    return (
        f"From: {sender}\r\nTo: you@example.com\r\nSubject: {subject}\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def http_error(request: Any) -> HttpError:
    with pytest.raises(HttpError) as info:
        request.execute()
    return info.value


def reason(error: HttpError) -> tuple[int, str, str]:
    return error.resp.status, error.error_details[0]["reason"], error.reason


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    """An empty mailbox: these tests put in exactly the mail they reason about."""
    return Mailbox(clock=fake_clock)


def now_ms(clock: FakeClock) -> int:
    return int(clock() * 1000)


def test_list_is_newest_first_and_pages_with_tokens(
    gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    ids = [
        mailbox.insert_raw(mail(f"n{i}"), internal_date_ms=now_ms(fake_clock) - i * DAY_MS) for i in range(5)
    ]
    pages = []
    token = None
    while True:
        page = gmail_service.users().messages().list(userId="me", maxResults=2, pageToken=token).execute()
        pages.append(page)
        token = page.get("nextPageToken")
        if not token:
            break
    assert [[m["id"] for m in p["messages"]] for p in pages] == [ids[0:2], ids[2:4], ids[4:5]]
    assert [p["resultSizeEstimate"] for p in pages] == [5, 5, 5]
    assert pages[0]["messages"][0] == {"id": ids[0], "threadId": ids[0]}


def test_mail_arriving_between_pages_does_not_shift_the_next_page(
    gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    ids = [
        mailbox.insert_raw(mail(f"n{i}"), internal_date_ms=now_ms(fake_clock) - i * DAY_MS) for i in range(4)
    ]
    first = gmail_service.users().messages().list(userId="me", maxResults=2).execute()
    mailbox.insert_raw(mail("newer"), internal_date_ms=now_ms(fake_clock) + DAY_MS)
    second = (
        gmail_service.users()
        .messages()
        .list(userId="me", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    assert [m["id"] for m in second["messages"]] == ids[2:4]


def test_an_empty_result_has_no_messages_key(gmail_service: Any, mailbox: Mailbox) -> None:
    mailbox.insert_raw(mail("something"))
    assert gmail_service.users().messages().list(userId="me", q="nomatchanywhere").execute() == {
        "resultSizeEstimate": 0
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"inbox"}),
        ({"includeSpamTrash": True}, {"inbox", "trash", "spam"}),
        ({"q": "in:trash"}, {"trash"}),
        ({"q": "in:anywhere"}, {"inbox", "trash", "spam"}),
        ({"labelIds": ["SPAM"]}, {"spam"}),
        ({"q": "-in:trash"}, {"inbox"}),
    ],
)
def test_trash_and_spam_are_excluded_unless_asked_for(
    gmail_service: Any, mailbox: Mailbox, params: dict[str, Any], expected: set[str]
) -> None:
    names = {
        mailbox.insert_raw(mail("inbox")): "inbox",
        mailbox.insert_raw(mail("trash"), labels=("TRASH",)): "trash",
        mailbox.insert_raw(mail("spam"), labels=("SPAM",)): "spam",
    }
    found = gmail_service.users().messages().list(userId="me", **params).execute().get("messages", [])
    assert {names[m["id"]] for m in found} == expected


def test_label_filters_are_anded_with_each_other_and_with_the_query(
    gmail_service: Any, mailbox: Mailbox
) -> None:
    wanted = mailbox.insert_raw(mail("quarterly report"), labels=("INBOX", "STARRED"))
    mailbox.insert_raw(mail("quarterly report"), labels=("INBOX",))
    mailbox.insert_raw(mail("lunch"), labels=("INBOX", "STARRED"))
    found = (
        gmail_service.users()
        .messages()
        .list(userId="me", labelIds=["INBOX", "STARRED"], q="subject:report")
        .execute()
    )
    assert found["messages"] == [{"id": wanted, "threadId": wanted}]


def test_max_results_above_500_is_capped_at_500(gmail_service: Any, mailbox: Mailbox) -> None:
    for i in range(501):
        mailbox.insert_raw(mail(f"bulk {i}"))
    page = gmail_service.users().messages().list(userId="me", maxResults=1000).execute()
    assert (len(page["messages"]), page["resultSizeEstimate"], "nextPageToken" in page) == (500, 501, True)


def test_get_minimal_and_raw_formats(gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock) -> None:
    raw = mail("Formats", body="Body text")
    message_id = mailbox.insert_raw(raw, internal_date_ms=now_ms(fake_clock))
    messages = gmail_service.users().messages()
    minimal = messages.get(userId="me", id=message_id, format="minimal").execute()
    history_id = minimal["historyId"]
    common = {
        "id": message_id,
        "threadId": message_id,
        "labelIds": ["INBOX", "UNREAD"],
        "snippet": "Body text",
        "sizeEstimate": len(raw),
        "historyId": history_id,
        "internalDate": str(now_ms(fake_clock)),
    }
    assert minimal == common
    assert messages.get(userId="me", id=message_id, format="raw").execute() == {
        **common,
        "raw": base64.urlsafe_b64encode(raw).decode(),
    }


def test_get_full_and_metadata_formats(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(mail("Formats", body="Body text"))
    messages = gmail_service.users().messages()
    full = messages.get(userId="me", id=message_id).execute()
    assert full["payload"]["body"] == {
        "size": 11,
        "data": base64.urlsafe_b64encode(b"Body text\r\n").decode(),
    }
    metadata = messages.get(
        userId="me", id=message_id, format="metadata", metadataHeaders=["subject"]
    ).execute()
    assert metadata["payload"] == {
        "partId": "",
        "mimeType": "text/plain",
        "filename": "",
        "headers": [{"name": "Subject", "value": "Formats"}],
        "body": {"size": 0},
    }


@pytest.mark.parametrize(
    ("message_id", "expected"),
    [
        ("not-an-id", (400, "invalidArgument", "Invalid id value")),
        ("123", (400, "invalidArgument", "Invalid id value")),
        ("00000000000000ff", (404, "notFound", "Requested entity was not found.")),
    ],
)
def test_malformed_ids_are_400_and_unknown_ids_404(
    gmail_service: Any, message_id: str, expected: tuple[int, str, str]
) -> None:
    error = http_error(gmail_service.users().messages().get(userId="me", id=message_id))
    assert reason(error) == expected


def test_an_unknown_format_is_400(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(mail("x"))
    request = gmail_service.users().messages().get(userId="me", id=message_id)
    request.uri = request.uri.replace("alt=json", "alt=json&format=bogus")
    assert reason(http_error(request))[:2] == (400, "invalidArgument")


def test_modify_trash_untrash_and_delete(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(mail("to file"))
    messages = gmail_service.users().messages()
    modified = messages.modify(
        userId="me", id=message_id, body={"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]}
    ).execute()
    assert modified == {"id": message_id, "threadId": message_id, "labelIds": ["INBOX", "STARRED"]}
    assert messages.trash(userId="me", id=message_id).execute()["labelIds"] == ["INBOX", "STARRED", "TRASH"]
    assert messages.untrash(userId="me", id=message_id).execute()["labelIds"] == ["INBOX", "STARRED"]
    assert messages.delete(userId="me", id=message_id).execute() == ""
    assert reason(http_error(messages.get(userId="me", id=message_id)))[0] == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"addLabelIds": ["Label_404"]}, "Invalid label: Label_404"),
        ({"removeLabelIds": ["NOPE"]}, "Invalid label: NOPE"),
        (
            {"addLabelIds": ["STARRED"], "removeLabelIds": ["STARRED"]},
            "A label cannot be both added and removed",
        ),
        ({"addLabelIds": ["SENT"]}, "Invalid label: SENT"),
        ({"removeLabelIds": ["SENT"]}, "Invalid label: SENT"),
        ({"addLabelIds": ["DRAFT"]}, "Invalid label: DRAFT"),
    ],
)
def test_invalid_label_changes_are_400(
    gmail_service: Any, mailbox: Mailbox, body: dict[str, Any], message: str
) -> None:
    message_id = mailbox.insert_raw(mail("x"))
    error = http_error(gmail_service.users().messages().modify(userId="me", id=message_id, body=body))
    assert reason(error) == (400, "invalidArgument", message)


def test_batch_modify_and_batch_delete_skip_unknown_ids(gmail_service: Any, mailbox: Mailbox) -> None:
    ids = [mailbox.insert_raw(mail(f"m{i}")) for i in range(3)]
    messages = gmail_service.users().messages()
    messages.batchModify(
        userId="me", body={"ids": [*ids, "00000000000000ff"], "removeLabelIds": ["UNREAD", "INBOX"]}
    ).execute()
    assert all("labelIds" not in messages.get(userId="me", id=i, format="minimal").execute() for i in ids)
    messages.batchDelete(userId="me", body={"ids": ids[:2]}).execute()
    assert gmail_service.users().messages().list(userId="me").execute()["resultSizeEstimate"] == 1


def test_batch_modify_without_changes_is_400(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(mail("x"))
    error = http_error(gmail_service.users().messages().batchModify(userId="me", body={"ids": [message_id]}))
    assert reason(error) == (400, "invalidArgument", "No label add or removes specified")


@pytest.mark.parametrize(
    ("method", "params", "dated_by_header"),
    [
        ("insert", {}, False),
        ("insert", {"internalDateSource": "dateHeader"}, True),
        ("import_", {}, True),
        ("import_", {"internalDateSource": "receivedTime"}, False),
    ],
)
def test_insert_and_import_take_the_date_gmail_takes(
    gmail_service: Any, fake_clock: FakeClock, method: str, params: dict[str, str], dated_by_header: bool
) -> None:
    raw = mail("dated", extra="Date: Tue, 01 Sep 2026 10:00:00 +0000\r\n")
    body = {"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": ["INBOX"]}
    created = getattr(gmail_service.users().messages(), method)(userId="me", body=body, **params).execute()
    assert created["labelIds"] == ["INBOX"]
    got = gmail_service.users().messages().get(userId="me", id=created["id"], format="minimal").execute()
    header_ms = 1_788_256_800_000
    assert got["internalDate"] == str(header_ms if dated_by_header else now_ms(fake_clock))


ATTACHED = (
    b"From: a@example.com\r\nTo: you@example.com\r\nSubject: file\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b'--b\r\nContent-Type: application/octet-stream; name="data.bin"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--b--\r\n"
)


def attachment_id_of(service: Any, message_id: str) -> str:
    payload = service.users().messages().get(userId="me", id=message_id).execute()["payload"]
    return str(payload["parts"][1]["body"]["attachmentId"])


def test_attachments_are_fetched_by_their_id(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(ATTACHED)
    attachment_id = attachment_id_of(gmail_service, message_id)
    got = (
        gmail_service.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=message_id, id=attachment_id)
        .execute()
    )
    assert got == {
        "attachmentId": attachment_id,
        "size": 5,
        "data": base64.urlsafe_b64encode(b"\0\1\2\3\4").decode(),
    }
    error = http_error(
        gmail_service.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=message_id, id="ANGjdJbogus")
    )
    assert reason(error) == (400, "invalidArgument", "Invalid attachment token")


def test_attachment_ids_differ_on_every_fetch_and_each_works_until_it_expires(
    gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    message_id = mailbox.insert_raw(ATTACHED)
    attachments = gmail_service.users().messages().attachments()
    first = attachment_id_of(gmail_service, message_id)
    fake_clock.advance(300)
    second = attachment_id_of(gmail_service, message_id)
    assert first != second
    for attachment_id in (first, second):
        assert attachments.get(userId="me", messageId=message_id, id=attachment_id).execute()["size"] == 5
    fake_clock.advance(300)  # the first is now 600 s old: the default lifetime
    expired = http_error(attachments.get(userId="me", messageId=message_id, id=first))
    assert reason(expired) == (400, "invalidArgument", "Invalid attachment token")
    assert attachments.get(userId="me", messageId=message_id, id=second).execute()["size"] == 5


def test_an_attachment_id_works_only_for_its_own_message(gmail_service: Any, mailbox: Mailbox) -> None:
    first, second = mailbox.insert_raw(ATTACHED), mailbox.insert_raw(ATTACHED)
    stolen = attachment_id_of(gmail_service, first)
    error = http_error(
        gmail_service.users().messages().attachments().get(userId="me", messageId=second, id=stolen)
    )
    assert reason(error) == (400, "invalidArgument", "Invalid attachment token")


def test_with_rotation_off_an_attachment_keeps_one_id(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(attachment_id_ttl=0)) as server:
        service = service_on(server)
        message_id = mailbox.insert_raw(ATTACHED)
        attachment_id = attachment_id_of(service, message_id)
        fake_clock.advance(86_400)
        assert attachment_id_of(service, message_id) == attachment_id
        got = (
            service.users().messages().attachments().get(userId="me", messageId=message_id, id=attachment_id)
        )
        assert got.execute()["size"] == 5


def test_search_goes_through_q(gmail_service: Any, mailbox: Mailbox) -> None:
    wanted = mailbox.insert_raw(mail("Invoice 42", sender="Billing <billing@shop.example>"))
    mailbox.insert_raw(mail("Invoice 43", sender="Ann <ann@example.com>"))
    found = (
        gmail_service.users().messages().list(userId="me", q="from:billing@shop.example invoice").execute()
    )
    assert found["messages"] == [{"id": wanted, "threadId": wanted}]


def test_another_users_mailbox_is_forbidden(gmail_service: Any) -> None:
    error = http_error(gmail_service.users().messages().list(userId="someone@example.org"))
    assert reason(error)[:2] == (403, "forbidden")


def test_the_owner_address_works_as_user_id(gmail_service: Any, mailbox: Mailbox) -> None:
    mailbox.insert_raw(mail("x"))
    assert (
        gmail_service.users().messages().list(userId="You@Example.com").execute()["resultSizeEstimate"] == 1
    )


def test_profile_counts_messages_threads_and_history(gmail_service: Any, mailbox: Mailbox) -> None:
    mailbox.insert_raw(mail("one"))
    mailbox.insert_raw(mail("two"))
    assert gmail_service.users().getProfile(userId="me").execute() == {
        "emailAddress": "you@example.com",
        "messagesTotal": 2,
        "threadsTotal": 2,
        "historyId": str(mailbox.history_id),
    }


def test_snippets_carry_html_entities_as_gmails_do(gmail_service: Any, mailbox: Mailbox) -> None:
    message_id = mailbox.insert_raw(mail("Q&A", body='It\'s <b>"5 > 3"</b> & more'))
    messages = gmail_service.users().messages()
    expected = "It&#39;s &lt;b&gt;&quot;5 &gt; 3&quot;&lt;/b&gt; &amp; more"
    assert messages.get(userId="me", id=message_id, format="minimal").execute()["snippet"] == expected
    assert gmail_service.users().threads().list(userId="me").execute()["threads"][0]["snippet"] == expected


def test_with_escaping_off_snippets_are_plain_text(mailbox: Mailbox, fake_clock: FakeClock) -> None:
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(escape_snippets=False)) as server:
        message_id = mailbox.insert_raw(mail("x", body="It's fine & dandy"))
        got = service_on(server).users().messages().get(userId="me", id=message_id, format="minimal")
        assert got.execute()["snippet"] == "It's fine & dandy"


def test_list_and_link_searches_read_the_stored_mail(gmail_service: Any, mailbox: Mailbox) -> None:
    listed = mailbox.insert_raw(mail("digest", extra="List-Id: Weekly <weekly.lists.example.org>\r\n"))
    shared = mailbox.insert_raw(
        mail("doc", body="See https://docs.google.com/spreadsheets/d/1abc/edit and https://youtu.be/xyz")
    )
    mailbox.insert_raw(mail("plain", body="nothing linked"))
    messages = gmail_service.users().messages()

    def found(query: str) -> list[str]:
        return [m["id"] for m in messages.list(userId="me", q=query).execute().get("messages", [])]

    assert found("list:weekly@lists.example.org") == [listed]
    assert found("has:drive") == found("has:spreadsheet") == found("has:youtube") == [shared]
    assert found("has:document") == []


def test_fields_trims_the_answer_to_what_was_asked(gmail_service: Any, mailbox: Mailbox) -> None:
    ids = [
        mailbox.insert_raw(mail(f"m{i}", extra="X-Entity-Ref-ID: ref-" + str(i) + "\r\n")) for i in range(3)
    ]
    messages = gmail_service.users().messages()
    listed = messages.list(userId="me", maxResults=2, fields="messages/id,nextPageToken").execute()
    assert listed == {"messages": [{"id": ids[2]}, {"id": ids[1]}], "nextPageToken": listed["nextPageToken"]}
    got = messages.get(
        userId="me",
        id=ids[0],
        format="metadata",
        metadataHeaders=["X-Entity-Ref-ID"],
        fields="id,labelIds,payload(headers)",
    ).execute()
    assert got == {
        "id": ids[0],
        "labelIds": ["INBOX", "UNREAD"],
        "payload": {"headers": [{"name": "X-Entity-Ref-ID", "value": "ref-0"}]},
    }
    assert messages.get(userId="me", id=ids[0], fields="*").execute()["id"] == ids[0]


@pytest.mark.parametrize("fields", ["messages(", "messages)id", ",", "a//b", "messages(id,)"])
def test_a_malformed_field_selection_is_400(gmail_service: Any, fields: str) -> None:
    error = http_error(gmail_service.users().messages().list(userId="me", fields=fields))
    assert reason(error) == (400, "invalidParameter", f"Invalid field selection {fields}")
