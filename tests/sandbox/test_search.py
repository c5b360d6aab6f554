"""The sandbox's Gmail search language: each operator and combinator, on small documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmail_mcp.sandbox.search import SearchDoc, parse_query
from gmail_mcp.sandbox.search_tokens import Kind, Token, normalize, tokenize

OWNER = "me@example.org"
NOW_MS = 1_780_000_000_000  # the sandbox clock in these tests (2026-05-28)
DAY_MS = 86_400_000

BASE = SearchDoc(
    sender="Ana Pérez <ana@example.com>",
    to="Owner <me@example.org>",
    cc="",
    bcc="",
    subject="Hello",
    text="",
    label_ids=frozenset({"INBOX"}),
    label_names=frozenset(),
    filenames=(),
    has_attachment=False,
    internal_date_ms=NOW_MS,
    size=1000,
    message_id="abc@example.com",
)


def doc(**changes: Any) -> SearchDoc:
    """A message that differs from BASE only in `changes` (label sets given as tuples)."""
    for key in ("label_ids", "label_names"):
        if key in changes:
            changes[key] = frozenset(changes[key])
    return replace(BASE, **changes)


def utc_ms(iso: str) -> int:
    return (datetime.fromisoformat(iso) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def matches(query: str, message: SearchDoc) -> bool:
    return parse_query(query, now_ms=NOW_MS, owner=OWNER).matches(message)


def check(query: str, hit: SearchDoc, miss: SearchDoc) -> None:
    assert (matches(query, hit), matches(query, miss)) == (True, False)


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("meet", doc(text="Let's meet today"), doc(text="meeting at noon")),
        ("MEET", doc(text="let's meet"), doc(text="meetings")),
        ('"quarterly report"', doc(text="the quarterly report is due"), doc(text="report quarterly")),
        ('"report-q3"', doc(text="see report q3."), doc(text="see report q4.")),
        ("perez", doc(), doc(sender="Bob <bob@example.com>")),
        ("pérez", doc(sender="Juan Perez <jp@example.com>"), doc(sender="Bob <bob@example.com>")),
        ("hello", doc(), doc(subject="Goodbye")),
        ("owner", doc(), doc(to="bob@example.com")),
        ("carol", doc(cc="Carol <c@example.com>"), doc(bcc="Carol <c@example.com>")),
        ("invoice", doc(filenames=("Invoice-2026.pdf",)), doc(filenames=("receipt.pdf",))),
        ("ana@example.com", doc(), doc(sender="Bob <bob@example.com>")),
        ("議事録", doc(text="会議の議事録を送ります"), doc(text="会議の予定です")),
        ("agenda", doc(text="会議のagendaです"), doc(text="会議の予定です")),
        ("ｒｅｐｏｒｔ", doc(text="the report"), doc(text="the rapport")),
    ],
)
def test_bare_words_and_phrases_match_whole_words_in_subject_people_body_and_filenames(
    query: str, hit: SearchDoc, miss: SearchDoc
) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("from:ana", doc(), doc(sender="Bob <bob@example.com>")),
        ("from:example.com", doc(), doc(sender="Ana <ana@example.org>")),
        ("from:ana@example.com", doc(), doc(sender="Mary <mary.ana@example.com>")),
        ("FROM:ANA@EXAMPLE.COM", doc(), doc(sender="Bob <bob@example.com>")),
        ("from:ana@example", doc(), doc(sender="Ana <ana@sample.com>")),
        ("from:@example.com", doc(sender="x@mail.example.com"), doc(sender="x@example.com.evil.net")),
        ('from:"Ana Pérez"', doc(), doc(sender="Ana Lopez <ana@example.com>")),
        ("from:me", doc(sender="Owner <ME@example.org>"), doc()),
        ("from: ana", doc(), doc(sender="Bob <bob@example.com>")),
        ("to:me", doc(), doc(to="Bob <bob@example.com>")),
        ("to:bob", doc(to="Bob <bob@example.com>, eve@example.com"), doc(cc="Bob <bob@example.com>")),
        ("cc:carol", doc(cc="carol@example.com"), doc(to="carol@example.com")),
        ("cc:me", doc(cc="me@example.org"), doc()),
        ("bcc:dave", doc(bcc="Dave <dave@example.com>"), doc(cc="Dave <dave@example.com>")),
        ("deliveredto:me@example.org", doc(delivered_to="me@example.org"), doc(delivered_to="x@example.org")),
        ("deliveredto:me", doc(delivered_to="me@example.org"), doc()),
    ],
)
def test_address_operators_match_their_header_by_name_or_address(
    query: str, hit: SearchDoc, miss: SearchDoc
) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("subject:dinner", doc(subject="Dinner tonight?"), doc(text="dinner")),
        ('subject:"dinner tonight"', doc(subject="Dinner tonight?"), doc(subject="Tonight, dinner")),
        ("subject:(dinner movie)", doc(subject="Dinner and a movie"), doc(subject="Dinner alone")),
        ("subject:(dinner OR movie)", doc(subject="Movie night"), doc(subject="Lunch")),
        ("subject:{dinner movie}", doc(subject="Movie night"), doc(subject="Lunch")),
        ("subject:(dinner -movie)", doc(subject="Dinner alone"), doc(subject="Dinner and a movie")),
        ("subject:(dinner from:bob)", doc(subject="Dinner", sender="bob@x.com"), doc(subject="Dinner")),
    ],
)
def test_subject_matches_words_and_phrases_of_the_subject_only(
    query: str, hit: SearchDoc, miss: SearchDoc
) -> None:
    check(query, hit, miss)


SYSTEM_PLACES = [
    ("inbox", "INBOX"),
    ("sent", "SENT"),
    ("draft", "DRAFT"),
    ("drafts", "DRAFT"),
    ("trash", "TRASH"),
    ("spam", "SPAM"),
    ("starred", "STARRED"),
    ("important", "IMPORTANT"),
    ("unread", "UNREAD"),
]


@pytest.mark.parametrize("operator", ["label", "in", "is"])
@pytest.mark.parametrize(("name", "label_id"), SYSTEM_PLACES)
def test_system_labels_are_found_by_label_in_and_is(operator: str, name: str, label_id: str) -> None:
    check(f"{operator}:{name.upper()}", doc(label_ids=(label_id,)), doc(label_ids=("CATEGORY_SOCIAL",)))


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("label:work-projects", doc(label_names=("Work/Projects",)), doc(label_names=("Work",))),
        ("label:Work/Projects", doc(label_names=("Work/Projects",)), doc(label_names=("Projects",))),
        ("label:work", doc(label_names=("Work",)), doc(label_names=("Work/Projects",))),
        ('label:"Receipts 2026"', doc(label_names=("Receipts 2026",)), doc(label_names=("Receipts 2025",))),
        ("label:RECEIPTS-2026", doc(label_names=("Receipts 2026",)), doc(label_names=("Receipts",))),
        ("in:work", doc(label_names=("Work",)), doc()),
        ("is:read", doc(), doc(label_ids=("UNREAD",))),
        ("-is:starred", doc(), doc(label_ids=("STARRED",))),
        ("is:unstarred", doc(), doc(label_ids=("STARRED",))),
        ("is:unimportant", doc(), doc(label_ids=("IMPORTANT",))),
        ("category:primary", doc(label_ids=("CATEGORY_PERSONAL",)), doc(label_ids=("CATEGORY_SOCIAL",))),
        ("category:Social", doc(label_ids=("CATEGORY_SOCIAL",)), doc(label_ids=("CATEGORY_PERSONAL",))),
        ("category:promotions", doc(label_ids=("CATEGORY_PROMOTIONS",)), doc()),
        ("category:updates", doc(label_ids=("CATEGORY_UPDATES",)), doc()),
        ("category:forums", doc(label_ids=("CATEGORY_FORUMS",)), doc()),
        ("category:reservations", doc(label_ids=("CATEGORY_RESERVATIONS",)), doc()),
        ("category:purchases", doc(label_ids=("CATEGORY_PURCHASES",)), doc()),
        ("has:attachment", doc(has_attachment=True), doc()),
        ("has:userlabels", doc(label_names=("Work",)), doc()),
        ("has:nouserlabels", doc(), doc(label_names=("Work",))),
        ("filename:pdf", doc(filenames=("report.pdf",)), doc(filenames=("report.docx",), text="pdf")),
        ("filename:report.pdf", doc(filenames=("a.txt", "Report.PDF")), doc(filenames=("summary.pdf",))),
        ('filename:"q3 report"', doc(filenames=("Q3 Report.xlsx",)), doc(filenames=("q3-summary report",))),
        ("rfc822msgid:abc@example.com", doc(), doc(message_id="abcd@example.com")),
        ("rfc822msgid:<abc@example.com>", doc(), doc(message_id="")),
    ],
)
def test_label_state_category_attachment_and_id_operators(
    query: str, hit: SearchDoc, miss: SearchDoc
) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize(
    "query", ["in:chats", "in:snoozed", "is:snoozed", "is:muted", "has:drive", "is:bogus", "category:x"]
)
def test_states_the_sandbox_never_has_match_nothing(query: str) -> None:
    everything = doc(label_ids=("INBOX", "UNREAD", "STARRED"), has_attachment=True, label_names=("x",))
    assert not matches(query, everything)
    assert matches("-" + query, everything)  # understood as a condition, not searched as words


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        (
            "list:info@example.com",
            doc(list_id="Info list <info.example.com>"),
            doc(list_id="<news.example.com>"),
        ),
        ("list:example.com", doc(list_id="<info.example.com>"), doc(list_id="")),
        ("has:drive", doc(links=frozenset({"drive"})), doc()),
        ("has:drive", doc(links=frozenset({"spreadsheet"})), doc(links=frozenset({"youtube"}))),
        ("has:document", doc(links=frozenset({"document"})), doc(links=frozenset({"spreadsheet"}))),
        ("has:spreadsheet", doc(links=frozenset({"spreadsheet"})), doc(links=frozenset({"drive"}))),
        ("has:presentation", doc(links=frozenset({"presentation"})), doc(links=frozenset({"document"}))),
        ("has:youtube", doc(links=frozenset({"youtube"})), doc(links=frozenset({"drive"}))),
    ],
)
def test_list_and_link_operators(query: str, hit: SearchDoc, miss: SearchDoc) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        (
            "holiday AROUND 3 vacation",
            doc(text="holiday plans and a vacation"),
            doc(text="holiday a b c d vacation"),
        ),
        ("holiday AROUND 3 vacation", doc(text="vacation then holiday"), doc(text="holiday only")),
        ("holiday AROUND 0 vacation", doc(text="holiday vacation"), doc(text="holiday, the vacation")),
        ('"team lunch" AROUND 2 friday', doc(subject="Team lunch on Friday"), doc(text="team friday lunch")),
        ('"secret AROUND 5 birthday"', doc(text="a secret for the birthday"), doc(text="birthday secret")),
        (
            "holiday AROUND 2 vacation from:ana",
            doc(text="holiday vacation"),
            doc(sender="bo@x.org", text="holiday vacation"),
        ),
        ("from:ana AROUND 2 vacation", doc(text="vacation"), doc(text="holiday")),  # not words: AND
        ("holiday AROUND vacation", doc(text="holiday around vacation"), doc(text="holiday vacation")),
    ],
)
def test_around_finds_words_near_each_other(query: str, hit: SearchDoc, miss: SearchDoc) -> None:
    check(query, hit, miss)


def test_in_anywhere_matches_every_message_and_its_negation_none() -> None:
    messages = [doc(), doc(label_ids=("TRASH",)), doc(label_ids=("SPAM",)), doc(label_ids=())]
    assert [matches("in:anywhere", m) for m in messages] == [True] * 4
    assert [matches("-in:anywhere", m) for m in messages] == [False] * 4


MARCH_FIRST_PST = "2026-03-01T08:00:00+00:00"  # midnight PST, as Gmail reads 2026/03/01
JUST_BEFORE_MARCH = "2026-03-01T07:59:59.999+00:00"


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("after:2026/03/01", MARCH_FIRST_PST, JUST_BEFORE_MARCH),
        ("after:2026-03-01", MARCH_FIRST_PST, JUST_BEFORE_MARCH),
        ("after:03/01/2026", MARCH_FIRST_PST, JUST_BEFORE_MARCH),
        ("after:2026/3/1", MARCH_FIRST_PST, JUST_BEFORE_MARCH),
        ("newer:2026/03/01", MARCH_FIRST_PST, JUST_BEFORE_MARCH),
        ("before:2026/03/01", JUST_BEFORE_MARCH, MARCH_FIRST_PST),
        ("older:2026/03/01", JUST_BEFORE_MARCH, MARCH_FIRST_PST),
        # PST all year: in July it is still 08:00 UTC, not 07:00 (PDT).
        ("after:2026/07/01", "2026-07-01T08:00:00+00:00", "2026-07-01T07:30:00+00:00"),
        # Epoch seconds are exact instants.
        ("after:1700000000", "2023-11-14T22:13:20+00:00", "2023-11-14T22:13:19.999+00:00"),
        ("before:1700000000", "2023-11-14T22:13:19.999+00:00", "2023-11-14T22:13:20+00:00"),
        ("after:2026/02/01 before:2026/03/01", "2026-02-15T12:00:00+00:00", MARCH_FIRST_PST),
    ],
)
def test_dates_are_midnight_pst_and_epoch_seconds_are_exact(query: str, hit: str, miss: str) -> None:
    check(query, doc(internal_date_ms=utc_ms(hit)), doc(internal_date_ms=utc_ms(miss)))


@pytest.mark.parametrize(
    ("query", "hit_age_ms", "miss_age_ms"),
    [
        ("newer_than:2d", 2 * DAY_MS, 2 * DAY_MS + 1),
        ("older_than:2d", 2 * DAY_MS + 1, 2 * DAY_MS),
        ("Newer_Than:3D", DAY_MS, 4 * DAY_MS),
        ("newer_than:1m", 30 * DAY_MS, 31 * DAY_MS),
        ("older_than:1y", 366 * DAY_MS, 364 * DAY_MS),
    ],
)
def test_relative_dates_count_back_from_the_sandbox_clock(
    query: str, hit_age_ms: int, miss_age_ms: int
) -> None:
    check(query, doc(internal_date_ms=NOW_MS - hit_age_ms), doc(internal_date_ms=NOW_MS - miss_age_ms))


@pytest.mark.parametrize(
    ("query", "hit_size", "miss_size"),
    [
        ("larger:1K", 1024, 1023),
        ("larger:2M", 2 * 1024 * 1024, 2 * 1024 * 1024 - 1),
        ("larger:1.5m", 1536 * 1024, 1536 * 1024 - 1),
        ("larger:10KB", 10240, 10239),
        ("smaller:1K", 1023, 1024),
        ("size:1000", 1000, 999),
    ],
)
def test_sizes_take_bytes_or_1024_based_suffixes(query: str, hit_size: int, miss_size: int) -> None:
    check(query, doc(size=hit_size), doc(size=miss_size))


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("ana dinner", doc(text="dinner"), doc(text="lunch")),
        ("ana AND dinner", doc(text="dinner"), doc(text="lunch")),
        ("dinner OR movie", doc(text="a movie"), doc(text="lunch")),
        ("{dinner movie}", doc(text="a movie"), doc(text="lunch")),
        ("dinner or movie", doc(text="dinner or movie"), doc(text="a movie")),  # lower-case or is a word
        ("dinner -movie", doc(text="dinner"), doc(text="dinner and a movie")),
        ("-from:ana", doc(sender="bob@example.com"), doc()),
        ("-{dinner movie}", doc(text="lunch"), doc(text="a movie")),
        ("-(dinner movie)", doc(text="dinner"), doc(text="dinner and a movie")),
        ('-"dinner movie"', doc(text="movie dinner"), doc(text="dinner movie")),
        ("--dinner", doc(text="dinner"), doc(text="lunch")),
        ("from:(ana OR bob)", doc(sender="bob@example.com"), doc(sender="carol@example.com")),
        ("from:{ana bob}", doc(sender="bob@example.com"), doc(sender="carol@example.com")),
        ("-from:(ana OR bob)", doc(sender="carol@example.com"), doc(sender="bob@example.com")),
        # OR binds tighter than the implicit AND: (alpha OR beta) gamma.
        ("alpha OR beta gamma", doc(text="beta gamma"), doc(text="alpha")),
        ("gamma alpha OR beta", doc(text="gamma beta"), doc(text="alpha")),
        ("alpha OR beta OR gamma", doc(text="gamma"), doc(text="delta")),
        ("-alpha OR beta", doc(text="alpha beta"), doc(text="alpha")),
        ("alpha (beta OR gamma)", doc(text="alpha gamma"), doc(text="beta gamma")),
        ("(alpha OR beta) (gamma OR delta)", doc(text="beta delta"), doc(text="alpha beta")),
    ],
)
def test_combinators_and_precedence(query: str, hit: SearchDoc, miss: SearchDoc) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize(
    ("query", "hit", "miss"),
    [
        ("foo:bar", doc(text="foo: bar"), doc(text="bar")),
        ("after:yesterday", doc(text="the day after yesterday"), doc(text="yesterday")),
        ("larger:huge", doc(text="larger: huge"), doc(size=10**9)),
        ('"quarterly report', doc(text="quarterly report"), doc(text="report quarterly")),
        ("(dinner movie", doc(text="dinner movie"), doc(text="dinner")),
        ("dinner)", doc(text="dinner"), doc(text="lunch")),
        ("dinner & movie", doc(text="movie, dinner"), doc(text="dinner")),
        ("dinner OR", doc(text="dinner"), doc(text="lunch")),
        ("+dinner", doc(text="dinner"), doc(text="dinners")),
        ("subject:", doc(text="subject"), doc()),
        pytest.param("(" * 5000 + "dinner" + ")" * 5000, doc(text="dinner"), doc(text="lunch"), id="deep"),
    ],
)
def test_odd_queries_are_read_leniently_as_gmail_does(query: str, hit: SearchDoc, miss: SearchDoc) -> None:
    check(query, hit, miss)


@pytest.mark.parametrize("query", ["", "   ", "&", "-", "()", "{}", "OR AND"])
def test_queries_without_conditions_match_everything(query: str) -> None:
    parsed = parse_query(query, now_ms=NOW_MS, owner=OWNER)
    assert (parsed.matches(doc()), parsed.matches(doc(label_ids=()))) == (True, True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("in:trash", True),
        ("in:spam", True),
        ("in:anywhere", True),
        ("label:trash", True),
        ("label:spam", True),
        ("is:trash", True),
        ("is:spam", True),
        ("IN:Trash", True),
        ("from:ana OR in:trash", True),
        ("(in:spam)", True),
        ("{in:trash in:inbox}", True),
        ("--in:trash", True),
        ("-in:trash", False),
        ("-(in:spam from:ana)", False),
        ("-in:anywhere", False),
        ("in:inbox", False),
        ("trash", False),
        ("subject:spam", False),
        ("label:trash-bin", False),
        ("", False),
    ],
)
def test_includes_spam_trash_when_the_query_asks_for_them(query: str, expected: bool) -> None:
    assert parse_query(query, now_ms=NOW_MS, owner=OWNER).includes_spam_trash is expected


ODD_QUERIES = [
    '"unclosed',
    "(unclosed",
    ")(",
    "{",
    "}",
    "- -",
    "AND OR",
    "from:",
    "from:()",
    "label:",
    "subject:(",
    ":",
    "::",
    "after:2026/02/30",
    pytest.param("after:" + "9" * 5000, id="long-epoch"),
    pytest.param("larger:" + "9" * 400, id="long-size"),
    pytest.param("newer_than:" + "9" * 400 + "d", id="long-age"),
    pytest.param("-" * 10_000 + "a", id="many-negations"),
    pytest.param("-(" * 3000, id="deep-negated-groups"),
    pytest.param("{(" * 3000, id="deep-mixed-groups"),
    "\x00\u200b\ufeff",
    "rfc822msgid:",
    "from:²",
    "after:²",
    "larger:٣K",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_syntax_never_raises(query: str) -> None:
    parsed = parse_query(query, now_ms=NOW_MS, owner=OWNER)
    assert parsed.matches(doc()) in (True, False)
    assert parsed.includes_spam_trash in (True, False)


PIECES = ["a", "b", " ", "-", '"', "(", ")", "{", "}", ":", "OR", "AND", "from:", "label:", "in:", "after:"]
PIECES += ["larger:", "newer_than:", "2026/01/01", "1K", "議", "é", "@", "me"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.text(max_size=60)))
def test_any_query_parses_and_evaluates(query: str) -> None:
    parsed = parse_query(query, now_ms=NOW_MS, owner=OWNER)
    assert parsed.matches(doc(text="a b", label_ids=("TRASH",))) in (True, False)


@pytest.mark.parametrize(
    ("query", "tokens"),
    [
        (
            '-from:(ana OR "b c")',
            [
                Token(Kind.NOT, "-"),
                Token(Kind.OPERATOR, "from"),
                Token(Kind.OPEN, "("),
                Token(Kind.WORD, "ana"),
                Token(Kind.OR, "OR"),
                Token(Kind.PHRASE, "b c"),
                Token(Kind.CLOSE, ")"),
            ],
        ),
        (
            "Label:Work/x foo:bar",
            [Token(Kind.OPERATOR, "label"), Token(Kind.WORD, "Work/x"), Token(Kind.WORD, "foo:bar")],
        ),
        (
            "a-b - {c}",
            [
                Token(Kind.WORD, "a-b"),
                Token(Kind.WORD, "-"),
                Token(Kind.OPEN_BRACE, "{"),
                Token(Kind.WORD, "c"),
                Token(Kind.CLOSE_BRACE, "}"),
            ],
        ),
        ('"open', [Token(Kind.PHRASE, "open")]),
    ],
)
def test_queries_split_into_tokens(query: str, tokens: list[Token]) -> None:
    assert tokenize(query) == tokens


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Ana Pérez <ana@example.com>", " ana perez ana example com "),
        ("Straße ＡＢＣ", " strasse abc "),
        ("会議のagenda、ガイド", " 会議の agenda ガイド "),
        ("snake_case!", " snake case "),
        ("!!! ...", ""),
    ],
)
def test_mail_text_normalizes_to_folded_words(text: str, words: str) -> None:
    assert normalize(text) == words
