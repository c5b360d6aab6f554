"""The tools over the IMAP backend against a real IMAP server (Dovecot) and an SMTP sink, through an MCP client."""

from __future__ import annotations

import base64
import email
import email.policy
import os
from datetime import UTC, datetime
from typing import Any

import pytest

from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.models import FilterAction, FilterCriteria
from tests.imap.conftest import DATA, ImapHarness, raw_client
from tests.imap.dovecot import Account
from tests.imap.proxy import Proxy
from tests.imap.smtp_sink import Sink
from tests.mcp_harness import Harness
from tests.test_server import CORE_TOOLS, ENHANCED_TOOLS

pytestmark = pytest.mark.anyio


def folder_messages(server: Account, folder: str) -> dict[str, tuple[bytes, ...]]:
    """Message-ID -> flags of every message in `folder`, looked at directly."""
    client = raw_client(server)
    try:
        client.select_folder(folder, readonly=True)
        answers = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    finally:
        client.logout()
    found = {}
    for answer in answers.values():
        header = next(v for k, v in answer.items() if k.startswith(b"BODY[HEADER"))
        message_id = email.message_from_bytes(header)["Message-ID"].strip()
        found[message_id] = tuple(answer[b"FLAGS"])
    return found


async def find(client: Any, query: str) -> dict[str, Any]:
    emails = (await client.ok("search-emails", {"query": query}))["emails"]
    assert len(emails) == 1, emails
    return dict(emails[0])


async def test_every_core_tool_but_open_email_is_offered_and_open_email_is_absent(
    imap_harness: ImapHarness,
) -> None:
    async with imap_harness.client() as client:
        core = {t.name for t in (await client.client.list_tools()).tools}
    async with imap_harness.client(enhanced=True) as client:
        enhanced = {t.name for t in (await client.client.list_tools()).tools}
    assert core == CORE_TOOLS - {"open-email"}
    # The mailbox history and filters are the Gmail API's own.
    assert enhanced == ENHANCED_TOOLS - {
        "open-email",
        "list-changes",
        "list-filters",
        "create-filter",
        "delete-filter",
    }


async def test_results_have_the_same_shape_as_the_rest_backend(
    imap_harness: ImapHarness, harness: Harness
) -> None:
    shapes: dict[str, dict[str, Any]] = {}
    for name, which in (("imap", imap_harness), ("rest", harness)):
        async with which.client(enhanced=True) as client:
            unread = (await client.ok("get-unread-emails", {"max_results": 3}))["emails"]
            item = unread[0]
            read = await client.ok("read-email", {"email_id": item["id"]})
            thread = await client.ok("read-thread", {"thread_id": item["threadId"]})
            drafts = (await client.ok("list-drafts", {}))["drafts"]
            labels = (await client.ok("list-labels", {}))["labels"]
        shapes[name] = {
            "item": {k: type(v) for k, v in item.items()},
            "read": {k: type(v) for k, v in read.items()},
            "thread": set(thread),
            "thread_message": set(thread["messages"][0]),
            "draft": (set(drafts[0]), set(drafts[0]["message"])),
            # Gmail's visibility settings, which IMAP has not: left out, as every null field is.
            "label": set(labels[0]) - {"messageListVisibility", "labelListVisibility"},
        }
    assert shapes["imap"] == shapes["rest"]


async def test_unread_emails_carry_snippets_labels_and_threads_decoded_from_any_charset(
    imap_harness: ImapHarness,
) -> None:
    async with imap_harness.client() as client:
        unread = (await client.ok("get-unread-emails", {}))["emails"]
    assert [(e["from"], e["subject"], e["snippet"], e["labels"], e["unread"]) for e in unread] == [
        (
            "Zoë Müller <zoe@example.org>",
            "Grüße aus Zürich",
            "Hallo Alice, schöne Grüße aus Zürich! Das Treffen ist am Donnerstag.",
            ["INBOX", "UNREAD"],
            True,
        ),
        (
            "André Dupont <andre@example.fr>",
            "Café déjà vu",
            "Bonjour Alice, le café était délicieux. À bientôt, André.",  # ISO-8859-1 on the wire
            ["INBOX", "UNREAD"],
            True,
        ),
        (
            "Bob <bob@example.net>",
            "Re: Lunch on Friday?",
            "Great, see you there. I booked a table.",
            ["INBOX", "UNREAD"],
            True,
        ),
    ]
    assert [e["date"] for e in unread] == [
        "2026-11-16T08:15:00+01:00",
        "2026-11-15T17:40:00+01:00",
        "2026-11-11T09:00:00+00:00",
    ]


async def test_folders_with_non_ascii_names_are_labels_and_searchable(imap_harness: ImapHarness) -> None:
    async with imap_harness.client(enhanced=True) as client:
        labels = {label["name"]: label["type"] for label in (await client.ok("list-labels", {}))["labels"]}
        invoice = await find(client, 'label:"Rechnungen/Über 2026"')
        news = await find(client, "label:Заметки")
        by_word = await find(client, "Grüße")
        by_subject = await find(client, "subject:café")
        none = (await client.ok("search-emails", {"query": "from:nobody@example.org"}))["emails"]
    assert labels["Rechnungen/Über 2026"] == labels["Заметки"] == "user"
    assert labels["INBOX"] == labels["TRASH"] == labels["SENT"] == "system"
    assert (invoice["subject"], invoice["labels"], invoice["has_attachments"]) == (
        "Your invoice for November",
        ["Rechnungen/Über 2026"],
        True,
    )
    # KOI8-R HTML, quoted-printable: the snippet is the text a person reads.
    assert (news["subject"], news["snippet"]) == (
        "Новости",
        "Привет, мир! Read more at [our site](https://example.com/n).",
    )
    assert by_word["subject"] == "Grüße aus Zürich"
    assert by_subject["subject"] == "Café déjà vu"
    assert none == []


async def test_reading_leaves_every_message_unseen(
    imap_harness: ImapHarness, imap_server: Account, tmp_path: Any
) -> None:
    before = folder_messages(imap_server, "INBOX")
    async with imap_harness.client(enhanced=True) as client:
        for item in (await client.ok("list-emails", {"query": "in:inbox"}))["emails"]:
            await client.ok("read-email", {"email_id": item["id"]})
            await client.ok("read-thread", {"thread_id": item["threadId"]})
    assert folder_messages(imap_server, "INBOX") == before
    assert sum(b"\\Seen" not in flags for flags in before.values()) == 3


async def test_read_email_decodes_a_non_utf8_message_and_lists_attachments(imap_harness: ImapHarness) -> None:
    async with imap_harness.client(enhanced=True) as client:
        cafe = await client.ok("read-email", {"email_id": (await find(client, "subject:café"))["id"]})
        invoice = await client.ok("read-email", {"email_id": (await find(client, "subject:invoice"))["id"]})
    assert cafe["content"] == "Bonjour Alice, le café était délicieux. À bientôt, André."
    assert invoice["attachments"] == [
        {
            "filename": "Rechnung März.pdf",
            "mime_type": "application/pdf",
            "size": 48,
            "attachment_id": "part:1",
            "part_id": "1",
        }
    ]


async def test_download_attachment_saves_the_file_in_the_download_folder(
    imap_harness: ImapHarness, tmp_path: Any
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    async with imap_harness.client(enhanced=True, download_dirs=(folder,)) as client:
        invoice = await find(client, "subject:invoice")
        saved = await client.ok(
            "download-attachment",
            {"email_id": invoice["id"], "attachment_id": "part:1", "save_path": str(folder / "invoice.pdf")},
        )
    assert saved["size"] == 48 and saved["mime_type"] == "application/pdf"
    assert (folder / "invoice.pdf").read_bytes().startswith(b"%PDF-1.4")


async def test_trash_moves_the_email_to_the_trash_folder(
    imap_harness: ImapHarness, imap_server: Account
) -> None:
    async with imap_harness.client() as client:
        cafe = await find(client, "subject:café")
        done = await client.ok("trash-email", {"email_id": cafe["id"]})
        gone = (await client.ok("search-emails", {"query": "subject:café"}))["emails"]
        trashed = (await client.ok("search-emails", {"query": "in:trash"}))["emails"]
    assert done["status"] == "success"
    assert gone == []
    assert [(e["subject"], e["labels"]) for e in trashed] == [("Café déjà vu", ["TRASH", "UNREAD"])]
    assert "<cafe-1@example.fr>" not in folder_messages(imap_server, "INBOX")
    assert "<cafe-1@example.fr>" in folder_messages(imap_server, "Trash")


async def test_mark_as_read_sets_seen_on_the_server(imap_harness: ImapHarness, imap_server: Account) -> None:
    async with imap_harness.client() as client:
        welcome = await find(client, "subject:Zürich")
        await client.ok("mark-email-as-read", {"email_id": welcome["id"]})
        after = await find(client, "subject:Zürich")
    assert b"\\Seen" in folder_messages(imap_server, "INBOX")["<welcome-1@example.org>"]
    assert (after["unread"], after["labels"]) == (False, ["INBOX"])


async def test_a_reply_threads_and_reaches_the_smtp_server_once(
    imap_harness: ImapHarness, imap_server: Account, smtp_server: Sink
) -> None:
    async with imap_harness.client(enhanced=True) as client:
        lunch = await find(client, "subject:lunch is:unread")
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "bob@example.net",
                "subject": "ignored for a reply",
                "message": "Booked for 12:30.",
                "thread_id": lunch["threadId"],
                "bcc": "secret-boss@example.org",
            },
        )
        thread = await client.ok("read-thread", {"thread_id": lunch["threadId"]})
    assert len(smtp_server.received) == 1
    received = smtp_server.received[0]
    wire = email.message_from_bytes(received.data, policy=email.policy.default)
    assert received.sender == imap_server.user
    assert sorted(received.recipients) == ["bob@example.net", "secret-boss@example.org"]
    assert wire["Bcc"] is None  # in the envelope only
    assert (wire["Subject"], wire["In-Reply-To"], wire["References"]) == (
        "Re: Lunch on Friday?",
        "<lunch-3@example.net>",
        "<lunch-1@example.net> <lunch-2@example.test> <lunch-3@example.net>",
    )
    assert wire["From"] == imap_server.user
    # Filed once in Sent (this server does not file sent mail itself), in the same conversation.
    sent_folder = folder_messages(imap_server, "Sent")
    assert wire["Message-ID"] in sent_folder and len(sent_folder) == 2
    assert sent["thread_id"] == lunch["threadId"]
    assert [m["content"] for m in thread["messages"]][-1] == "Booked for 12:30."
    assert thread["message_count"] == 4


async def test_drafts_go_to_the_drafts_folder_and_are_sent_from_there(
    imap_harness: ImapHarness, imap_server: Account, smtp_server: Sink
) -> None:
    async with imap_harness.client(enhanced=True) as client:
        created = await client.ok(
            "create-draft", {"recipient": "carol@example.org", "subject": "Offsite", "message": "Draft one."}
        )
        listed = (await client.ok("list-drafts", {}))["drafts"]
        updated = await client.ok("update-draft", {"draft_id": created["draft_id"], "message": "Draft two."})
        after_update = (await client.ok("list-drafts", {}))["drafts"]
        await client.ok("send-draft", {"draft_id": updated["draft_id"]})
        after_send = (await client.ok("list-drafts", {}))["drafts"]
        missing = await client.error("delete-draft", {"draft_id": updated["draft_id"]})
    assert [d["message"]["subject"] for d in listed] == ["Offsite", "Notes for the meeting"]
    assert created["draft_id"] == listed[0]["id"] == created["message_id"]
    assert [d["message"]["snippet"] for d in after_update] == [
        "Draft two.",
        "Agenda: budget, hiring, the offsite.",
    ]
    assert updated["draft_id"] != created["draft_id"]
    assert [d["message"]["subject"] for d in after_send] == ["Notes for the meeting"]
    assert len(smtp_server.received) == 1
    assert b"Draft two." in smtp_server.received[0].data
    assert missing["error_code"] == "NOT_FOUND"
    drafts = folder_messages(imap_server, "Drafts")
    assert list(drafts.values()) == [(b"\\Seen", b"\\Draft")] or all(b"\\Draft" in f for f in drafts.values())
    assert len(drafts) == 1


async def test_create_draft_sets_the_draft_flag(imap_harness: ImapHarness, imap_server: Account) -> None:
    async with imap_harness.client() as client:
        await client.ok(
            "create-draft", {"recipient": "carol@example.org", "subject": "Flagged", "message": "Hi"}
        )
    flags = [f for f in folder_messages(imap_server, "Drafts").values()]
    assert len(flags) == 2 and all(b"\\Draft" in f for f in flags)


async def test_labels_are_flags_and_folders(imap_harness: ImapHarness, imap_server: Account) -> None:
    async with imap_harness.client(enhanced=True) as client:
        welcome = await find(client, "subject:Zürich")
        starred = await client.ok("manage-labels", {"email_id": welcome["id"], "add_labels": ["STARRED"]})
        filed = await client.ok(
            "manage-labels", {"email_id": welcome["id"], "add_labels": ["Reisen"], "create_missing": True}
        )
        unknown = await client.error("manage-labels", {"email_id": welcome["id"], "add_labels": ["Nope"]})
        archived = await client.ok("manage-labels", {"email_id": welcome["id"], "remove_labels": ["INBOX"]})
        found_in_label = await find(client, "label:Reisen")
    assert starred["labels"] == ["INBOX", "UNREAD", "STARRED"]
    assert filed["labels"] == ["INBOX", "UNREAD", "STARRED", "Reisen"]
    assert unknown["error_code"] == "NOT_FOUND"
    assert archived["labels"] == ["UNREAD", "STARRED"]
    assert "<welcome-1@example.org>" in folder_messages(imap_server, "Archive")
    assert "<welcome-1@example.org>" not in folder_messages(imap_server, "INBOX")
    assert found_in_label["subject"] == "Grüße aus Zürich"


async def test_pages_are_bounded_and_continue_with_the_token(imap_harness: ImapHarness) -> None:
    async with imap_harness.client(enhanced=True) as client:
        first = await client.ok("list-emails", {"query": "in:anywhere", "page_size": 4})
        second = await client.ok(
            "list-emails", {"query": "in:anywhere", "page_token": first.get("next_page_token")}
        )
        bad = await client.error("list-emails", {"query": "in:anywhere", "page_token": "../../etc"})
    assert len(first["emails"]) == 4 and first.get("next_page_token")
    assert len(second["emails"]) == 4 and second.get("next_page_token") is None
    assert not {e["id"] for e in first["emails"]} & {e["id"] for e in second["emails"]}
    # Newest first across folders.
    dates = [datetime.fromisoformat(e["date"]).astimezone(UTC) for e in first["emails"] + second["emails"]]
    assert dates == sorted(dates, reverse=True)
    assert bad["error_code"] == "INVALID_PARAMS"


async def test_hostile_ids_and_queries_are_refused_with_the_right_code(imap_harness: ImapHarness) -> None:
    async with imap_harness.client() as client:
        welcome = await find(client, "subject:Zürich")
        validity, uid, folder = welcome["id"].split(".")
        forged = await client.error("read-email", {"email_id": "../../INBOX"})
        renumbered = await client.error("read-email", {"email_id": f"{int(validity) + 1}.{uid}.{folder}"})
        absent = await client.error("read-email", {"email_id": f"{validity}.999.{folder}"})
        unsupported = await client.error("search-emails", {"query": "category:promotions"})
        injected = await client.error("search-emails", {"query": 'subject:"x\r\nA1 LOGOUT"'})
        bad_label = await client.error(
            "create-draft",
            {"recipient": "a@example.org", "subject": "x\r\nBcc: evil@example.org", "message": "m"},
        )
        still_there = await find(client, "subject:Zürich")
    assert forged["error_code"] == "INVALID_PARAMS"
    assert renumbered["error_code"] == absent["error_code"] == "NOT_FOUND"
    assert unsupported["error_code"] == "INVALID_PARAMS" and "from:" in unsupported["error_message"]
    assert injected["error_code"] == bad_label["error_code"] == "INVALID_PARAMS"
    assert still_there["id"] == welcome["id"]  # the connection was never broken into two commands


async def test_lists_fetch_headers_not_bodies(
    imap_harness: ImapHarness, imap_server: Account, imap_proxy: Proxy
) -> None:
    big = os.urandom(3 * 1024 * 1024)
    raw = (
        b"From: big@example.org\r\nTo: alice@example.test\r\nSubject: Holiday photos\r\n"
        b"Message-ID: <big-1@example.org>\r\nDate: Tue, 17 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"Photos attached.\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; "
        b'filename="beach.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(big).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )
    client = raw_client(imap_server)
    client.append("INBOX", raw, flags=[])
    client.logout()
    async with imap_harness.client() as mcp:
        await mcp.ok("get-unread-emails", {})  # connect and log in first
        imap_proxy.reset()
        unread = (await mcp.ok("get-unread-emails", {}))["emails"]
        listed = imap_proxy.to_client
        imap_proxy.reset()
        await mcp.ok("read-email", {"email_id": unread[0]["id"]})
        read = imap_proxy.to_client
    assert (unread[0]["subject"], unread[0]["snippet"], unread[0]["has_attachments"]) == (
        "Holiday photos",
        "Photos attached.",
        True,
    )
    assert listed < 10_000  # four messages' headers, structures and snippets
    assert read > 4_000_000  # the whole message, base64 and all


async def test_a_dropped_connection_is_reconnected_without_a_failed_call(
    imap_harness: ImapHarness, imap_server: Account, imap_proxy: Proxy
) -> None:
    async with imap_harness.client() as client:
        before = (await client.ok("get-unread-emails", {}))["emails"]
        imap_server.kick()  # the server closes every connection of the user
        after_kick = (await client.ok("get-unread-emails", {}))["emails"]
        imap_proxy.drop()  # the network drops them
        after_drop = await client.ok("read-email", {"email_id": before[0]["id"]})
        marked = await client.ok("mark-email-as-read", {"email_id": before[1]["id"]})
    assert after_kick == before
    assert after_drop["subject"] == "Grüße aus Zürich"
    assert marked["status"] == "success"
    assert imap_proxy.connections == 3


async def test_a_wrong_app_password_gives_auth_error_with_the_steps(
    imap_harness: ImapHarness, imap_server: Account, servers: Any, fake_clock: Any
) -> None:
    from gmail_mcp.common.retry import Backoff
    from gmail_mcp.imap import connect
    from gmail_mcp.imap.pool import PasswordLogin, Secret

    wrong = connect.backend(
        servers,
        PasswordLogin(imap_server.user, Secret("wrong password")),
        backoff=Backoff(clock=fake_clock, sleep=fake_clock.sleep),
    )
    imap_harness.backend_factory = lambda: wrong
    async with imap_harness.client() as client:
        error = await client.error("get-unread-emails", {})
    assert error["error_code"] == "AUTH_ERROR"
    assert "https://myaccount.google.com/apppasswords" in error["error_message"]
    assert "2-Step Verification" in error["error_message"]
    assert "wrong password" not in str(error)


async def test_files_are_sent_as_attachments_and_a_draft_keeps_its_attachments_when_updated(
    imap_harness: ImapHarness, imap_server: Account, smtp_server: Sink, tmp_path: Any
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "notes.txt").write_text("Agenda for Friday\n")
    invoice = (
        (DATA / "invoice.eml")
        .read_bytes()
        .replace(b"Message-ID: <invoice-11@example.com>", b"Message-ID: <d2@x>")
    )
    client = raw_client(imap_server)
    client.append("Drafts", invoice, flags=[b"\\Draft", b"\\Seen"])
    client.logout()
    async with imap_harness.client(enhanced=True, attachment_dirs=(outbox,)) as mcp:
        await mcp.ok(
            "send-email-with-attachment",
            {
                "recipient_id": "bob@example.net",
                "subject": "Notes",
                "message": "Attached.",
                "attachment_paths": ["notes.txt"],
            },
        )
        draft = next(
            d
            for d in (await mcp.ok("list-drafts", {}))["drafts"]
            if d["message"]["subject"].startswith("Your")
        )
        updated = await mcp.ok("update-draft", {"draft_id": draft["id"], "message": "New text, same file."})
        read = await mcp.ok("read-email", {"email_id": updated["message_id"]})
    sent = email.message_from_bytes(smtp_server.received[0].data, policy=email.policy.default)
    assert [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()] == [
        ("notes.txt", "Agenda for Friday\n")
    ]
    assert read["content"] == "New text, same file."
    assert [(a["filename"], a["size"]) for a in read["attachments"]] == [("Rechnung März.pdf", 48)]


def test_an_attachment_is_handed_over_in_pieces_by_its_part_id(imap_backend: Any) -> None:
    invoice = imap_backend.list_messages("subject:invoice").messages[0]
    pieces: list[bytes] = []
    size = imap_backend.save_attachment(invoice.id, "part:1", pieces.append)
    assert size == 48 and b"".join(pieces).startswith(b"%PDF-1.4")
    with pytest.raises(Exception, match="not an attachment id") as refused:
        imap_backend.save_attachment(invoice.id, "../../etc/passwd", pieces.append)
    assert getattr(refused.value, "code", "") == "INVALID_PARAMS"


async def test_modify_emails_stars_and_trashes_by_query_and_untrashes_by_ids(
    imap_harness: ImapHarness, imap_server: Account
) -> None:
    async with imap_harness.client(enhanced=True) as client:
        dry = await client.ok("modify-emails", {"query": "in:inbox", "actions": ["star"], "dry_run": True})
        starred = await client.ok("modify-emails", {"query": "in:inbox", "actions": ["star"]})
        again = await client.ok("modify-emails", {"query": "in:inbox", "actions": ["star"]})
        cafe = await find(client, "subject:café")
        trashed = await client.ok("modify-emails", {"query": "subject:café", "actions": ["trash", "read"]})
        in_trash = (await client.ok("search-emails", {"query": "in:trash"}))["emails"]
        back = await client.ok("modify-emails", {"ids": [in_trash[0]["id"]], "actions": ["untrash"]})
    inbox = folder_messages(imap_server, "INBOX")
    assert dry["count"] == starred["count"] == len(inbox) and again["count"] == 0
    assert trashed["count"] == 1 and in_trash[0]["subject"] == cafe["subject"] == "Café déjà vu"
    assert in_trash[0]["labels"] == ["TRASH", "STARRED"]  # read, starred, in the Trash folder
    assert back["count"] == 1
    assert all(b"\\Flagged" in flags for flags in inbox.values())
    assert "<cafe-1@example.fr>" in inbox and "<cafe-1@example.fr>" not in folder_messages(
        imap_server, "Trash"
    )


async def test_history_and_filters_are_refused_plainly_if_ever_asked_over_imap(imap_backend: Any) -> None:
    calls = [
        lambda: imap_backend.list_history("1"),
        imap_backend.list_filters,
        lambda: imap_backend.create_filter(
            FilterCriteria(subject="x"), FilterAction(add_label_ids=("STARRED",))
        ),
        lambda: imap_backend.delete_filter("f1"),
    ]
    for call in calls:
        with pytest.raises(InvalidParamsError, match="only through the Gmail API"):
            call()


def folder_names(server: Account) -> set[str]:
    client = raw_client(server)
    try:
        return {name for _, _, name in client.list_folders()}
    finally:
        client.logout()


async def test_a_label_is_renamed_and_deleted_as_its_folder(
    imap_harness: ImapHarness, imap_server: Account
) -> None:
    async with imap_harness.client(enhanced=True) as client:
        welcome = await find(client, "subject:Zürich")
        await client.ok(
            "manage-labels", {"email_id": welcome["id"], "add_labels": ["Reisen"], "create_missing": True}
        )
        renamed = await client.ok("rename-label", {"label": "reisen", "new_name": "Travel"})
        found_in_label = await find(client, "label:Travel")
        system = await client.error("rename-label", {"label": "INBOX", "new_name": "Mine"})
        nameless = await client.error("rename-label", {"label": "Travel", "new_name": "Bad*Name"})
        after_rename = folder_names(imap_server)
        # A folder is deleted with the emails in it: while it holds one, the label is kept.
        holding = await client.error("delete-label", {"label": "Travel"})
        still_there = folder_messages(imap_server, "Travel")
        await client.ok("create-label", {"name": "Empty"})
        deleted = await client.ok("delete-label", {"label": "Empty"})
        labels = {label["name"] for label in (await client.ok("list-labels", {}))["labels"]}
    assert renamed["name"] == "Travel"
    assert "Travel" in after_rename and "Reisen" not in after_rename
    assert found_in_label["subject"] == "Grüße aus Zürich"
    assert system["error_code"] == "INVALID_PARAMS" and "system label" in system["error_message"]
    assert nameless["error_code"] == "INVALID_PARAMS"
    assert holding["error_code"] == "INVALID_PARAMS" and "holds 1 email;" in holding["error_message"]
    assert "<welcome-1@example.org>" in still_there
    assert deleted["name"] == "Empty" and deleted["emails"] == 0
    assert "Empty" not in labels and "Empty" not in folder_names(imap_server)
    assert "Travel" in labels and "<welcome-1@example.org>" in folder_messages(imap_server, "Travel")
