"""The seeded demo mailbox as a client sees it: everything readable, lists and counts consistent."""

from __future__ import annotations

from typing import Any

from gmail_mcp.sandbox import Mailbox, SandboxServer


def all_pages(list_call: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = list_call(userId="me", pageToken=token, **params).execute()
        items += page.get(key, [])
        token = page.get("nextPageToken")
        if not token:
            return items


def test_every_seeded_message_reads_in_every_format_through_batches(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    messages = gmail_service.users().messages()
    listed = all_pages(messages.list, "messages", includeSpamTrash=True, maxResults=30)
    failures: list[str] = []
    results: dict[str, dict[str, Any]] = {}

    def keep(request_id: str, response: Any, exception: Any) -> None:
        if exception is not None:
            failures.append(f"{request_id}: {exception}")
        else:
            results[request_id] = response

    per_batch = 10  # Gmail's per-user concurrency cap: a well-behaved client's batches fit in it
    for fmt in ("full", "metadata", "minimal", "raw"):
        for start in range(0, len(listed), per_batch):
            batch = gmail_service.new_batch_http_request(callback=keep)
            for item in listed[start : start + per_batch]:
                batch.add(
                    messages.get(userId="me", id=item["id"], format=fmt), request_id=f"{fmt}:{item['id']}"
                )
            batch.execute()
    assert failures == []
    assert len(results) == 4 * len(listed)
    assert all(results[f"full:{m['id']}"]["payload"]["headers"] for m in listed)
    assert sandbox.stats()["batch_requests"] == 4 * -(-len(listed) // per_batch)


def test_profile_threads_and_drafts_agree_with_the_seed(gmail_service: Any, mailbox: Mailbox) -> None:
    users = gmail_service.users()
    profile = users.getProfile(userId="me").execute()
    listed = all_pages(users.messages().list, "messages", includeSpamTrash=True, maxResults=500)
    threads = all_pages(users.threads().list, "threads", includeSpamTrash=True, maxResults=500)
    drafts = all_pages(users.drafts().list, "drafts", includeSpamTrash=True)
    assert (profile["messagesTotal"], profile["threadsTotal"]) == (len(listed), len(threads))
    assert {t["id"] for t in threads} == {m["threadId"] for m in listed}
    assert len(drafts) == len(mailbox.drafts()) > 0
    names = {label["name"] for label in users.labels().list(userId="me").execute()["labels"]}
    assert {"INBOX", "SENT"} <= names and len(names) > 14  # the seed's own labels are there too
