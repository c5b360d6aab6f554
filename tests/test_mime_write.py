"""Writing mail: recipients, reply threading headers, header injection, limits, message structure,
and a property test that what we write reads back unchanged."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gmail_mcp.content import mime
from gmail_mcp.content.mime import OutgoingAttachment, build_message, parse_recipients
from gmail_mcp.errors import InvalidParamsError

BOB = Address("Bob", "bob", "example.com")
WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def build(**overrides: object) -> email.message.EmailMessage:
    arguments: dict[str, object] = {
        "sender": "Ann <ann@example.com>",
        "to": [BOB],
        "subject": "Hello",
        "body": "Plain words.\n",
        "date": WHEN,
        "message_id": "<fixed@example.com>",
    }
    arguments.update(overrides)
    return build_message(**arguments)  # type: ignore[arg-type]


def reparse(message: email.message.EmailMessage) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(bytes(message), policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def content(part: email.message.EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends back to LF."""
    return str(part.get_content()).replace("\r\n", "\n")


# --- reply subjects and references ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Re: Lunch"),
        ("Re: Lunch", "Re: Lunch"),
        ("RE: re: Re: Lunch", "Re: Lunch"),
        ("Re[2]: Lunch", "Re: Lunch"),
        ("Re(3): Lunch", "Re: Lunch"),
        ("AW: Sv: Lunch", "Re: Lunch"),
        ("Fwd: Lunch", "Re: Fwd: Lunch"),
        ("Re: Fwd: Re: Lunch", "Re: Fwd: Re: Lunch"),
        ("  re :Lunch  ", "Re: Lunch"),
        ("Reply hazy, try again", "Re: Reply hazy, try again"),
        ("Area 51", "Re: Area 51"),
        ("", "Re:"),
        ("Re:", "Re:"),
    ],
)
def test_reply_subject_has_exactly_one_re(subject: str, expected: str) -> None:
    assert mime.reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("message_id", "references", "expected"),
    [
        ("<b@x>", "", ("<b@x>", "<b@x>")),
        ("<c@x>", "<a@x> <b@x>", ("<c@x>", "<a@x> <b@x> <c@x>")),
        ("<c@x>", "<a@x>\r\n <b@x>\t<a@x>", ("<c@x>", "<a@x> <b@x> <c@x>")),
        ("<b@x>", "<b@x> <a@x>", ("<b@x>", "<a@x> <b@x>")),
        ("c@x", "<a@x>", ("<c@x>", "<a@x> <c@x>")),
        (" <c@x> ", "garbage <a@x> more", ("<c@x>", "<a@x> <c@x>")),
        ("", "<a@x>", ("", "<a@x>")),
    ],
)
def test_reply_references_append_the_parent_to_its_references(
    message_id: str, references: str, expected: tuple[str, str]
) -> None:
    assert mime.reply_references(message_id, references) == expected


def test_long_reference_chains_keep_the_root_and_the_newest_ids() -> None:
    chain = " ".join(f"<m{i}@x>" for i in range(30))

    in_reply_to, references = mime.reply_references("<m30@x>", chain)

    ids = references.split()
    assert in_reply_to == "<m30@x>"
    assert ids == ["<m0@x>", *[f"<m{i}@x>" for i in range(12, 31)]]


def test_message_ids_are_unique_and_on_the_given_domain() -> None:
    ids = {mime.make_message_id("example.com") for _ in range(100)}

    assert len(ids) == 100
    assert all(i.startswith("<") and i.endswith("@example.com>") for i in ids)


@pytest.mark.parametrize("domain", ["", "not a domain", "localhost", "ex\r\nample.com"])
def test_message_ids_fall_back_to_a_safe_domain(domain: str) -> None:
    assert mime.make_message_id(domain).endswith("@gmail-mcp.local>")


# --- recipients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bob@example.com", [("", "bob@example.com")]),
        ("Bob <bob@example.com>", [("Bob", "bob@example.com")]),
        ('"Doe, John" <jd@example.com>', [("Doe, John", "jd@example.com")]),
        ('"Say \\"hi\\"" <hi@example.com>', [('Say "hi"', "hi@example.com")]),
        (
            "a@example.com, b@example.org; c@example.net",
            [("", "a@example.com"), ("", "b@example.org"), ("", "c@example.net")],
        ),
        (
            ["a@example.com", "Bee <b@example.org>, c@example.net"],
            [("", "a@example.com"), ("Bee", "b@example.org"), ("", "c@example.net")],
        ),
        ("a@example.com, A@EXAMPLE.COM, a@example.com", [("", "a@example.com")]),
        ("user@bücher.de", [("", "user@xn--bcher-kva.de")]),
        ("Zoë Ådahl <zoe@example.se>", [("Zoë Ådahl", "zoe@example.se")]),
        ("mailto:x@example.com", [("", "x@example.com")]),
        ("first.last+tag@sub.example.co.uk", [("", "first.last+tag@sub.example.co.uk")]),
        (" , ;", []),
        ([], []),
        (None, []),
    ],
)
def test_recipients_are_parsed_validated_and_deduplicated(
    value: str | list[str] | None, expected: list[tuple[str, str]]
) -> None:
    parsed = parse_recipients(value, "to")

    assert [(a.display_name, a.addr_spec) for a in parsed] == expected


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("bob", "bob"),
        ("bob@localhost", "bob@localhost"),
        ("ok@example.com, broken@", "broken@"),
        ("a..b@example.com", "a..b@example.com"),
        (".a@example.com", ".a@example.com"),
        ("a@-example.com", "a@-example.com"),
        ("a@example..com", "a@example..com"),
        ("a@1.2.3.4", "a@1.2.3.4"),
        ("Bob <>", "Bob <>"),
        ("a b@example.com", "a b@example.com"),
        ("ünï@example.com", "ünï@example.com"),
    ],
)
def test_invalid_recipients_are_refused_naming_the_entry(value: str, bad: str) -> None:
    with pytest.raises(InvalidParamsError) as raised:
        parse_recipients(value, "cc")

    assert raised.value.code == "INVALID_PARAMS"
    assert raised.value.details == {"field": "cc", "value": bad}


# --- header injection and limits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "character"),
    [
        ("a\rb", "U+000D"),
        ("a\nb", "U+000A"),
        ("a\r\nBcc: evil@example.com", "U+000D"),
        ("a\x00b", "U+0000"),
        ("a\tb", "U+0009"),
        ("a\x0bBcc: evil@example.com", "U+000B"),
        ("a\x0cBcc: evil@example.com", "U+000C"),
        ("a\x1cBcc: evil@example.com", "U+001C"),
        ("a\x1dBcc: evil@example.com", "U+001D"),
        ("a\x1eBcc: evil@example.com", "U+001E"),
        ("a\x85Bcc: evil@example.com", "U+0085"),
        ("a\u2028Bcc: evil@example.com", "U+2028"),
        ("a\u2029Bcc: evil@example.com", "U+2029"),
        ("invoice\u202efdp.exe", "U+202E"),
        ("a\u2066b\u2069", "U+2066"),
        ("pay\u200bpal", "U+200B"),
        ("lone \ud800 surrogate", "U+D800"),
    ],
)
def test_header_values_with_line_breaks_controls_or_bidi_are_refused(value: str, character: str) -> None:
    with pytest.raises(InvalidParamsError) as raised:
        mime.check_header_value(value, "subject")

    assert raised.value.details == {"field": "subject", "character": character}


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?q?x=0D=0ABcc:_spy@evil.example?=",
        "Re: =?UTF-8?B?eA0KQmNjOiBzcHlAZXZpbC5leGFtcGxl?=",
        "=?utf-8*en?q?x?=",
        "=?utf-8?q?with space?=",
    ],
)
def test_header_values_with_encoded_word_syntax_are_refused(value: str) -> None:
    with pytest.raises(InvalidParamsError) as raised:
        mime.check_header_value(value, "subject")

    assert raised.value.details == {"field": "subject"}


@pytest.mark.parametrize(
    "value",
    ["Équipe 👨\u200d👩\u200d👧", "می\u200cخواهم", "क्\u200dष", "a = b? yes", "50% off?=no", "שלום world"],
)
def test_joiners_and_ordinary_punctuation_are_accepted(value: str) -> None:
    assert mime.check_header_value(value, "subject") == value


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "Hi\r\nBcc: evil@example.com"}, "subject"),
        ({"sender": "Ann <ann@example.com>\nBcc: evil@example.com"}, "sender"),
        ({"in_reply_to": "<a@x>\r\nX-Evil: 1"}, "in_reply_to"),
        ({"references": "<a@x>\nX-Evil: 1"}, "references"),
        ({"message_id": "<a@x>\nX-Evil: 1"}, "message_id"),
        ({"attachments": [OutgoingAttachment("a\r\nb.txt", b"x")]}, "attachments"),
        ({"attachments": [OutgoingAttachment("a.txt", b"x", "text/plain\r\nX-Evil: 1")]}, "attachments"),
    ],
)
def test_build_message_refuses_line_breaks_in_any_header_value(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidParamsError) as raised:
        build(**overrides)

    assert raised.value.details["field"] == field


def test_parse_recipients_refuses_line_breaks_before_splitting() -> None:
    with pytest.raises(InvalidParamsError) as raised:
        parse_recipients("bob@example.com\r\nBcc: evil@example.com", "to")

    assert raised.value.details == {"field": "to", "character": "U+000D"}


@pytest.mark.parametrize(
    "sizes",
    [
        [mime.MAX_ATTACHMENTS_BYTES + 1],
        [mime.MAX_ATTACHMENTS_BYTES // 2, mime.MAX_ATTACHMENTS_BYTES // 2 + 1],
        [1] * 3 + [mime.MAX_ATTACHMENTS_BYTES - 2],
    ],
)
def test_attachments_over_25_mb_in_total_are_refused_before_building(sizes: list[int]) -> None:
    blob = bytes(max(sizes))  # one buffer sliced: the test needs the sizes, not distinct bytes
    attachments = [OutgoingAttachment(f"f{i}.bin", blob[:size]) for i, size in enumerate(sizes)]

    with pytest.raises(InvalidParamsError) as raised:
        build(attachments=attachments)

    assert raised.value.details == {
        "field": "attachments",
        "total_bytes": sum(sizes),
        "limit_bytes": 26_214_400,
    }


def test_exactly_25_mb_of_attachments_is_accepted_and_fits_the_35_mb_raw_limit() -> None:
    half = bytes(mime.MAX_ATTACHMENTS_BYTES // 2)

    message = build(attachments=[OutgoingAttachment("a.bin", half), OutgoingAttachment("b.bin", half)])

    assert [p.get_filename() for p in message.iter_attachments()] == ["a.bin", "b.bin"]
    assert len(bytes(message)) <= mime.MAX_RAW_MESSAGE_BYTES == 36_700_160


# --- body kinds and structure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("Hi Bob,\n\nSee you at 10.\n\nAnn", "text"),
        ("x < y and y > z", "text"),
        ("Prices: 5 * 3 = 15", "text"),
        ("- only one dash line", "text"),
        ("# Agenda\n\nItems follow", "markdown"),
        ("This is **important**.", "markdown"),
        ("This is *really* it.", "markdown"),
        ("See [the doc](https://example.com/doc).", "markdown"),
        ("Run `make test` first.", "markdown"),
        ("```\ncode\n```", "markdown"),
        ("Todo:\n- milk\n- eggs", "markdown"),
        ("Steps:\n1. open\n2. close", "markdown"),
        ("<p>Hello</p>", "html"),
        ("<!DOCTYPE html><html><body>Hi</body></html>", "html"),
        ("Line one<br>line two", "html"),
        ('Click <a href="https://example.com">here</a>', "html"),
    ],
)
def test_body_kind_tells_text_markdown_and_html_apart(body: str, kind: str) -> None:
    assert mime.body_kind(body) == kind


def test_plain_text_body_is_one_utf8_text_part_with_all_headers() -> None:
    message = reparse(
        build(
            cc=[Address("", "carol", "example.org")],
            bcc=[Address("", "dave", "example.net")],
            in_reply_to="<p@x>",
            references="<r@x> <p@x>",
            body="Grüße\n",
        )
    )

    headers = {k: str(v) for k, v in message.items()}
    assert headers == {
        "From": "Ann <ann@example.com>",
        "To": "Bob <bob@example.com>",
        "Cc": "carol@example.org",
        "Bcc": "dave@example.net",
        "Subject": "Hello",
        "Date": "Wed, 18 Nov 2026 09:30:00 +0000",
        "Message-ID": "<fixed@example.com>",
        "In-Reply-To": "<p@x>",
        "References": "<r@x> <p@x>",
        "MIME-Version": "1.0",
        "Content-Type": 'text/plain; charset="utf-8"',
        "Content-Transfer-Encoding": "quoted-printable",
    }
    assert content(message) == "Grüße\n"


@pytest.mark.parametrize(
    "subject", ["Grüße aus Köln und München " * 5, "日本語の件名 " * 8, "x" * 300 + " é"]
)
def test_long_non_ascii_subjects_fold_without_losing_spaces(subject: str) -> None:
    raw = bytes(build(subject=subject))

    header = raw.split(b"\r\nDate:")[0].split(b"Subject: ")[1]
    assert all(len(line) <= 78 for line in header.split(b"\r\n"))
    assert mime.decode_header(mime.parse_rfc822(raw).header("Subject")) == subject.strip()
    assert str(reparse(build(subject=subject))["Subject"]) == subject  # the stdlib reads it exactly too


def test_raw_message_uses_crlf_and_stays_7bit() -> None:
    raw = bytes(build(subject="Überraschung", body="Grüße aus Köln\n"))

    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.isascii()
    assert b"Subject: =?utf-8?" in raw


def test_markdown_body_gets_an_html_alternative_without_raw_html() -> None:
    body = "# Plan\n\nSee **this** and [that](https://example.com/a).\nNext line <script>alert(1)</script>\n"

    message = reparse(build(body=body))

    assert message.get_content_type() == "multipart/alternative"
    plain, html = (content(part) for part in message.iter_parts())
    assert plain == body
    assert "<h1>Plan</h1>" in html
    assert '<a href="https://example.com/a">that</a>' in html
    assert "<strong>this</strong>" in html
    assert "<br />\nNext line &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_body_gets_a_plain_text_alternative_rendered_from_it() -> None:
    body = '<p>Hello <b>Bob</b>, read <a href="https://example.com/r">the report</a>.</p>'

    message = reparse(build(body=body))

    plain, html = (content(part) for part in message.iter_parts())
    assert plain == "Hello **Bob**, read [the report](https://example.com/r).\n"
    assert html == body + "\n"


def test_attachments_get_guessed_types_and_rfc2231_filenames() -> None:
    message = build(
        attachments=[
            OutgoingAttachment("Bericht für März.pdf", b"%PDF-1.4"),
            OutgoingAttachment("notes", b"plain", "text/plain"),
            OutgoingAttachment("weird.zzz-unknown", b"\x00\x01"),
            OutgoingAttachment("forward.eml", b"From: a@b.example\r\n\r\nhi"),
        ]
    )
    raw = bytes(message)

    assert b"filename*=utf-8''Bericht%20f%C3%BCr%20M%C3%A4rz.pdf" in raw
    parts = list(reparse(message).iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parts] == [
        ("Bericht für März.pdf", "application/pdf", b"%PDF-1.4"),
        ("notes", "text/plain", "plain"),
        ("weird.zzz-unknown", "application/octet-stream", b"\x00\x01"),
        ("forward.eml", "application/octet-stream", b"From: a@b.example\r\n\r\nhi"),
    ]


def test_mime_version_appears_once_at_the_top() -> None:
    raw = bytes(build(body="**md**", attachments=[OutgoingAttachment("a.txt", b"x")]))

    assert raw.count(b"MIME-Version:") == 1


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5), "Fri, 02 Jan 2026 03:04:05 +0000"),
        (
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "Fri, 02 Jan 2026 03:04:05 +0200",
        ),
    ],
)
def test_date_header_is_rfc5322_and_naive_times_are_utc(date: datetime, expected: str) -> None:
    assert build(date=date)["Date"] == expected


def test_without_sender_there_is_no_from_and_message_id_uses_a_local_domain() -> None:
    message = build(sender=None, message_id=None)

    assert message["From"] is None
    assert str(message["Message-ID"]).endswith("@gmail-mcp.local>")


def test_message_id_defaults_to_the_senders_domain() -> None:
    assert str(build(message_id=None)["Message-ID"]).endswith("@example.com>")


def test_sender_must_be_exactly_one_address() -> None:
    with pytest.raises(InvalidParamsError) as raised:
        build(sender="a@example.com, b@example.com")

    assert raised.value.details["field"] == "sender"


# --- round trip: what we write, we read back -----------------------------------------------------

# clean_text removes these by design (zero-width, bidi controls, soft hyphen) and turns NBSP into a
# space; control characters (Cc), surrogates (Cs) and line/paragraph separators (Zl, Zp) are not
# text anyone types into a subject or a name. Excluded from the generated text.
_REMOVED_BY_DESIGN = (
    "\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad"  # zero-width, soft hyphen
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"  # bidi controls
    "\xa0"  # NBSP, which clean_text turns into a space
)
_TEXT = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=_REMOVED_BY_DESIGN)
# Long enough to fold over several lines, which is where header encoding goes wrong.
_LINE = st.text(_TEXT, min_size=1, max_size=150).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_LINE, name=_LINE)
def test_any_subject_and_display_name_survive_a_round_trip(subject: str, name: str) -> None:
    """Modulo documented normalisation: runs of whitespace are one space, ends are stripped."""
    raw = bytes(build(subject=subject, to=[Address(name, "bob", "example.com")]))

    root = mime.parse_rfc822(raw)

    assert mime.decode_header(root.header("Subject")) == subject
    assert mime.decode_addresses(root.header("To")) == [(name, "bob@example.com")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.text(st.one_of(_TEXT, st.sampled_from("\n\r\t ")), max_size=400))
def test_any_text_body_survives_a_round_trip(body: str) -> None:
    """Modulo clean_text's documented normalisation (CRLF/CR → LF, trailing whitespace, blank runs).

    Markdown-looking bodies are sent with the text/plain part as written, which format="text"
    returns; trailing "> " lines are kept because include_quoted=True.
    """
    raw = bytes(build(body=body))

    root = mime.parse_rfc822(raw)
    read = mime.extract_body(root, format="text", include_quoted=True)

    if mime.body_kind(body) == "html":
        assert read.content_type == "text"  # the text rendered from it; its fidelity is htmlmd's
    else:
        assert read.content == mime.clean_text(body)
        assert read.source_mime_type == "text/plain"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filename=st.text(_TEXT, min_size=1, max_size=60).map(str.strip).filter(bool))
@example(filename="<>")  # the stdlib's parameter unquoting strips <...> too
@example(filename="<draft>")
def test_any_attachment_filename_survives_a_round_trip(filename: str) -> None:
    """Modulo stripping the ends; runs of spaces inside the name are kept."""
    raw = bytes(build(attachments=[OutgoingAttachment(filename, b"data", "application/octet-stream")]))

    listed = mime.list_attachments(mime.parse_rfc822(raw))

    assert [(a.filename, a.mime_type, a.size) for a in listed] == [(filename, "application/octet-stream", 4)]
