"""users.labels, users.threads and users.history through the real client."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from gmail_mcp.sandbox import Mailbox
from tests.conftest import FakeClock

DAY_MS = 86_400_000


def mail(subject: str, extra: str = "") -> bytes:
    return f"From: a@example.com\r\nTo: you@example.com\r\nSubject: {subject}\r\n{extra}\r\nbody {subject}\r\n".encode()


def http_error(request: Any) -> HttpError:
    with pytest.raises(HttpError) as info:
        request.execute()
    return info.value


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox(clock=fake_clock)


def test_system_labels_are_listed_as_gmail_lists_them(gmail_service: Any) -> None:
    labels = {
        label["id"]: label for label in gmail_service.users().labels().list(userId="me").execute()["labels"]
    }
    assert set(labels) == {
        "INBOX", "UNREAD", "STARRED", "IMPORTANT", "SENT", "DRAFT", "TRASH", "SPAM", "CHAT",
        "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS",
    }  # fmt: skip
    assert labels["INBOX"] == {"id": "INBOX", "name": "INBOX", "type": "system"}
    assert labels["SPAM"] == {
        "id": "SPAM",
        "name": "SPAM",
        "messageListVisibility": "hide",
        "labelListVisibility": "labelHide",
        "type": "system",
    }


def test_user_label_create_get_patch_update_delete(gmail_service: Any, mailbox: Mailbox) -> None:
    labels = gmail_service.users().labels()
    created = labels.create(
        userId="me", body={"name": "Work", "color": {"textColor": "#000000", "backgroundColor": "#ffffff"}}
    ).execute()
    assert created == {
        "id": "Label_1",
        "name": "Work",
        "messageListVisibility": "show",
        "labelListVisibility": "labelShow",
        "type": "user",
        "color": {"textColor": "#000000", "backgroundColor": "#ffffff"},
    }
    mailbox.insert_raw(mail("a"), labels=("INBOX", "UNREAD", "Label_1"))
    mailbox.insert_raw(mail("b"), labels=("Work",))
    assert labels.get(userId="me", id="Label_1").execute() == {
        **created,
        "messagesTotal": 2,
        "messagesUnread": 1,
        "threadsTotal": 2,
        "threadsUnread": 1,
    }
    patched = labels.patch(userId="me", id="Label_1", body={"labelListVisibility": "labelHide"}).execute()
    assert (patched["name"], patched["labelListVisibility"]) == ("Work", "labelHide")
    renamed = labels.update(userId="me", id="Label_1", body={"name": "Job"}).execute()
    assert renamed["name"] == "Job"
    found = gmail_service.users().messages().list(userId="me", q="label:job").execute()
    assert found["resultSizeEstimate"] == 2  # search sees the new name
    assert labels.delete(userId="me", id="Label_1").execute() == ""
    remaining = (
        gmail_service.users().messages().list(userId="me", includeSpamTrash=True).execute()["messages"]
    )
    assert all(
        "Label_1"
        not in gmail_service.users().messages().get(userId="me", id=m["id"]).execute().get("labelIds", [])
        for m in remaining
    )


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"name": "Existing"}, 409, "alreadyExists"),
        ({"name": "existing"}, 409, "alreadyExists"),
        ({"name": "Inbox"}, 400, "invalidArgument"),
        ({"name": "  "}, 400, "invalidArgument"),
        ({"name": "Fine", "labelListVisibility": "sometimes"}, 400, "invalidArgument"),
        ({"name": "Fine", "color": {"textColor": "red"}}, 400, "invalidArgument"),
        # Only Gmail's palette: #123456 is a fine colour, but not one of Gmail's.
        (
            {"name": "Fine", "color": {"textColor": "#ffffff", "backgroundColor": "#123456"}},
            400,
            "invalidArgument",
        ),
        (
            {"name": "Fine", "color": {"textColor": "#fffffe", "backgroundColor": "#4a86e8"}},
            400,
            "invalidArgument",
        ),
    ],
)
def test_label_creation_is_refused_like_gmail(
    gmail_service: Any, body: dict[str, Any], status: int, reason: str
) -> None:
    labels = gmail_service.users().labels()
    labels.create(userId="me", body={"name": "Existing"}).execute()
    error = http_error(labels.create(userId="me", body=body))
    assert (error.resp.status, error.error_details[0]["reason"]) == (status, reason)


@pytest.mark.parametrize("action", ["delete", "update"])
def test_system_labels_cannot_be_deleted_or_renamed(gmail_service: Any, action: str) -> None:
    labels = gmail_service.users().labels()
    request = (
        labels.delete(userId="me", id="INBOX")
        if action == "delete"
        else labels.update(userId="me", id="INBOX", body={"name": "Mine"})
    )
    assert http_error(request).resp.status == 400


def test_unknown_label_is_404(gmail_service: Any) -> None:
    assert http_error(gmail_service.users().labels().get(userId="me", id="Label_99")).resp.status == 404


def thread_of_three(mailbox: Mailbox, clock: FakeClock) -> list[str]:
    now = int(clock() * 1000)
    first = mailbox.insert_raw(mail("Trip", "Message-ID: <t1@x>\r\n"), internal_date_ms=now - 3 * DAY_MS)
    second = mailbox.insert_raw(
        mail("Re: Trip", "Message-ID: <t2@x>\r\nIn-Reply-To: <t1@x>\r\n"), internal_date_ms=now - 2 * DAY_MS
    )
    third = mailbox.insert_raw(
        mail("Re: Trip", "References: <t1@x> <t2@x>\r\n"), internal_date_ms=now - DAY_MS, labels=("INBOX",)
    )
    return [first, second, third]


def test_threads_list_and_get(gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock) -> None:
    ids = thread_of_three(mailbox, fake_clock)
    lone = mailbox.insert_raw(mail("Lone"), internal_date_ms=int(fake_clock() * 1000) - 10 * DAY_MS)
    threads = gmail_service.users().threads()
    listed = threads.list(userId="me").execute()
    assert [t["id"] for t in listed["threads"]] == [ids[0], lone]
    assert listed["threads"][0]["snippet"] == "body Re: Trip"
    assert listed["resultSizeEstimate"] == 2
    got = threads.get(userId="me", id=ids[0], format="metadata", metadataHeaders=["Subject"]).execute()
    assert [m["id"] for m in got["messages"]] == ids
    assert [m["payload"]["headers"] for m in got["messages"]] == [
        [{"name": "Subject", "value": s}] for s in ("Trip", "Re: Trip", "Re: Trip")
    ]
    assert got["historyId"] == str(max(int(m["historyId"]) for m in got["messages"]))


def test_thread_modify_trash_untrash_delete(
    gmail_service: Any, mailbox: Mailbox, fake_clock: FakeClock
) -> None:
    ids = thread_of_three(mailbox, fake_clock)
    threads = gmail_service.users().threads()
    modified = threads.modify(userId="me", id=ids[0], body={"removeLabelIds": ["UNREAD"]}).execute()
    assert [m.get("labelIds") for m in modified["messages"]] == [["INBOX"], ["INBOX"], ["INBOX"]]
    trashed = threads.trash(userId="me", id=ids[0]).execute()
    assert all("TRASH" in m["labelIds"] for m in trashed["messages"])
    assert "threads" not in threads.list(userId="me").execute()
    threads.untrash(userId="me", id=ids[0]).execute()
    assert threads.delete(userId="me", id=ids[0]).execute() == ""
    assert http_error(threads.get(userId="me", id=ids[0])).resp.status == 404


def test_history_reports_each_change_after_the_start(gmail_service: Any, mailbox: Mailbox) -> None:
    kept = mailbox.insert_raw(mail("kept"))
    start = mailbox.history_id
    added = mailbox.insert_raw(mail("new"), labels=("INBOX",))
    messages = gmail_service.users().messages()
    messages.modify(
        userId="me", id=kept, body={"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]}
    ).execute()
    messages.delete(userId="me", id=added).execute()
    history = gmail_service.users().history().list(userId="me", startHistoryId=str(start)).execute()
    assert history == {
        "history": [
            {
                "id": str(start + 1),
                "messages": [{"id": added, "threadId": added}],
                "messagesAdded": [{"message": {"id": added, "threadId": added, "labelIds": ["INBOX"]}}],
            },
            {
                "id": str(start + 2),
                "messages": [{"id": kept, "threadId": kept}],
                "labelsAdded": [
                    {
                        "message": {"id": kept, "threadId": kept, "labelIds": ["INBOX", "STARRED"]},
                        "labelIds": ["STARRED"],
                    }
                ],
            },
            {
                "id": str(start + 3),
                "messages": [{"id": kept, "threadId": kept}],
                "labelsRemoved": [
                    {
                        "message": {"id": kept, "threadId": kept, "labelIds": ["INBOX", "STARRED"]},
                        "labelIds": ["UNREAD"],
                    }
                ],
            },
            {
                "id": str(start + 4),
                "messages": [{"id": added, "threadId": added}],
                "messagesDeleted": [{"message": {"id": added, "threadId": added, "labelIds": ["INBOX"]}}],
            },
        ],
        "historyId": str(start + 4),
    }


def test_history_filters_by_type_and_label_and_pages(gmail_service: Any, mailbox: Mailbox) -> None:
    start = mailbox.history_id
    ids = [mailbox.insert_raw(mail(f"m{i}"), labels=("INBOX",)) for i in range(3)]
    gmail_service.users().messages().modify(
        userId="me", id=ids[0], body={"addLabelIds": ["STARRED"]}
    ).execute()
    history = gmail_service.users().history()
    starred = history.list(userId="me", startHistoryId=str(start), labelId="STARRED").execute()
    assert [r["id"] for r in starred["history"]] == [str(start + 4)]
    page = history.list(
        userId="me", startHistoryId=str(start), historyTypes=["messageAdded"], maxResults=2
    ).execute()
    rest = history.list(
        userId="me", startHistoryId=str(start), historyTypes=["messageAdded"], pageToken=page["nextPageToken"]
    ).execute()
    assert [r["messagesAdded"][0]["message"]["id"] for r in page["history"] + rest["history"]] == ids
    assert "nextPageToken" not in rest
    assert history.list(userId="me", startHistoryId=str(mailbox.history_id)).execute() == {
        "historyId": str(mailbox.history_id)
    }


@pytest.mark.parametrize("start", ["abc", "-1"])
def test_history_needs_a_numeric_start(gmail_service: Any, start: str) -> None:
    error = http_error(gmail_service.users().history().list(userId="me", startHistoryId=start))
    assert (error.resp.status, error.error_details[0]["reason"]) == (400, "invalidArgument")


def test_label_colours_from_gmails_palette_are_accepted_in_any_case(gmail_service: Any) -> None:
    created = (
        gmail_service.users()
        .labels()
        .create(
            userId="me", body={"name": "Red", "color": {"textColor": "#FFFFFF", "backgroundColor": "#FB4C2F"}}
        )
        .execute()
    )
    assert created["color"] == {"textColor": "#ffffff", "backgroundColor": "#fb4c2f"}
