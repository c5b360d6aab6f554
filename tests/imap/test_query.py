"""Gmail search syntax -> IMAP SEARCH on servers without X-GM-RAW: whole criteria, and the refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.imap.client import ImapBackend
from gmail_mcp.imap.folders import FolderMap
from gmail_mcp.imap.query import Search, translate

FOLDERS = FolderMap.from_listing(
    [
        ((b"\\HasNoChildren",), b"/", "INBOX"),
        ((b"\\HasNoChildren", b"\\Sent"), b"/", "Sent"),
        ((b"\\HasNoChildren", b"\\Trash"), b"/", "Trash"),
        ((b"\\HasNoChildren",), b"/", "Junk"),  # no special-use: found by its usual name
        ((b"\\Noselect", b"\\HasChildren"), b"/", "Rechnungen"),
        ((b"\\HasNoChildren",), b"/", "Rechnungen/Über 2026"),
        ((b"\\HasNoChildren",), b"/", "My Projects"),
    ]
)


def search(query: str) -> Search:
    return translate(query, FOLDERS, today=lambda: date(2026, 11, 18))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", Search(None, [b"ALL"])),
        ("from:bob is:unread", Search(None, [b"FROM", b"bob", b"UNSEEN"])),
        ("is:unread in:inbox", Search(("INBOX",), [b"UNSEEN"])),
        (
            '"lunch plans" -from:bob',
            Search(None, [b"TEXT", b"lunch plans", b"NOT", [b"FROM", b"bob", b"ALL"]]),
        ),
        ("from:a OR from:b", Search(None, [b"OR", [b"FROM", b"a", b"ALL"], [b"FROM", b"b", b"ALL"]])),
        ("{is:starred is:unread}", Search(None, [b"OR", b"FLAGGED", b"UNSEEN"])),
        (
            "(from:a subject:x) OR to:c",
            Search(None, [b"OR", [b"FROM", b"a", b"SUBJECT", b"x", b"ALL"], [b"TO", b"c", b"ALL"]]),
        ),
        ('subject:"Grüße aus"', Search(None, [b"SUBJECT", "Grüße aus".encode()], "UTF-8")),
        (
            "after:2026/11/01 before:2026-11-15 newer_than:2d",
            Search(
                None,
                [b"SINCE", date(2026, 11, 1), b"BEFORE", date(2026, 11, 15), b"SINCE", date(2026, 11, 16)],
            ),
        ),
        ("larger:5M smaller:10k", Search(None, [b"LARGER", 5 * 1024 * 1024, b"SMALLER", 10 * 1024])),
        ("has:attachment", Search(None, [b"HEADER", b"Content-Type", b"multipart/mixed"])),
        ("rfc822msgid:<a@b>", Search(None, [b"HEADER", b"Message-ID", b"<a@b>"])),
        ("https://example.com/x", Search(None, [b"TEXT", b"https://example.com/x"])),
        ("label:my-projects in:sent", Search(("My Projects", "Sent"), [b"ALL"])),
        ('label:"Rechnungen/Über 2026"', Search(("Rechnungen/Über 2026",), [b"ALL"])),
        ("in:spam label:unread", Search(("Junk",), [b"UNSEEN"])),
    ],
)
def test_gmail_queries_become_imap_search_criteria(query: str, expected: Search) -> None:
    assert search(query) == expected


def test_in_anywhere_searches_every_real_folder() -> None:
    assert search("in:anywhere").folders == (
        "INBOX",
        "Sent",
        "Trash",
        "Junk",
        "Rechnungen/Über 2026",
        "My Projects",
    )
    assert FOLDERS.searched_by_default() == ["INBOX", "Sent", "Rechnungen/Über 2026", "My Projects"]


@pytest.mark.parametrize(
    "query",
    [
        "category:social",
        "filename:a.pdf",
        "is:important",
        "-in:inbox",
        "from:a OR in:sent",
        "(from:a",
        "from:a)",
        'subject:"open',
        "OR from:a",
        "after:yesterday",
        "newer_than:2x",
    ],
)
def test_what_cannot_be_translated_is_refused_with_what_can(query: str) -> None:
    with pytest.raises(InvalidParamsError) as refused:
        search(query)
    assert "from:" in refused.value.message and refused.value.details["query"]


def test_an_unknown_label_lists_the_folders_there_are() -> None:
    with pytest.raises(NotFoundError) as missing:
        search("label:Nope")
    assert "My Projects" in missing.value.details["available"]


def test_non_ascii_values_inside_or_groups_reach_the_server_intact(imap_backend: ImapBackend) -> None:
    page = imap_backend.list_messages("{subject:café subject:Grüße} -from:nobody")
    assert sorted(m.subject for m in page.messages) == ["Café déjà vu", "Grüße aus Zürich"]


def test_a_search_sees_nothing_in_trash_or_junk_unless_asked(
    imap_backend: ImapBackend, imap_server: Any
) -> None:
    cafe = imap_backend.list_messages("subject:café").messages[0]
    imap_backend.trash_message(cafe.id)
    assert imap_backend.list_messages("subject:café").messages == ()
    assert [
        m.subject for m in imap_backend.list_messages("subject:café", include_spam_trash=True).messages
    ] == ["Café déjà vu"]
