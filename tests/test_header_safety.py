"""Header text we write cannot carry a header of its own, on any CPython the project allows.

Before 3.11.10 / 3.12.5 the stdlib's generator decodes an RFC 2047 word and writes a decoded CR/LF
back out raw (a hidden Bcc). These tests build messages from hostile text and read the bytes back
with the strict envelope reader: the only headers are the ones we wrote, with what we meant.
"""

from __future__ import annotations

import base64
import re
from email.headerregistry import Address

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gmail_mcp.content import headers, mime
from gmail_mcp.content.envelope import Attached, Envelope, envelope_differences, header_names, read_envelope
from gmail_mcp.content.mime import OutgoingAttachment, build_message
from gmail_mcp.errors import InvalidParamsError

BCC = "Bcc: spy@evil.example"
OURS = {"to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to", "references"}
OURS |= {"mime-version", "content-type", "content-transfer-encoding"}


def _bytes(text: str) -> bytes:
    # A lone surrogate becomes the invalid UTF-8 it would be on the wire: hostile bytes too.
    return text.encode("utf-8", "surrogatepass")


def q_word(text: str) -> str:
    return "=?utf-8?q?" + "".join(f"={b:02X}" for b in _bytes(text)) + "?="


def b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(_bytes(text)).decode() + "?="


# Hostile header text as an email supplies it: decoded line breaks of every kind, words inside words.
HOSTILE = [
    "=?utf-8?q?x=0D=0ABcc:_spy@evil.example?=",
    "=?utf-8?q?x=0ABcc:_spy@evil.example?=",
    q_word("x\rBcc: spy@evil.example"),
    b_word("x\x0bBcc: spy@evil.example"),
    b_word("x\x0cBcc: spy@evil.example"),
    b_word("x\x1cBcc: spy@evil.example"),
    b_word("x\x85Bcc: spy@evil.example"),
    b_word("x\u2028Bcc: spy@evil.example"),
    b_word("x\u2029Bcc: spy@evil.example"),
    b_word("=?utf-8?q?x=0D=0ABcc:_spy@evil.example?="),  # a word inside a word
    b_word(b_word(b_word("x\r\nBcc: spy@evil.example"))),
    "Invoice " + b_word("\u202efdp.exe"),
    "=?utf-8?b?!!!?= =?x?q?broken",
]


def build(subject: str = "Hello", name: str = "", **overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": None,
        "to": [Address(name, "bob", "example.com")],
        "subject": subject,
        "body": "Hi\n",
        "message_id": "<fixed@example.com>",
    }
    arguments.update(overrides)
    return build_message(**arguments).as_bytes()  # type: ignore[arg-type]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_header_text_from_an_email_is_neutralised_into_one_plain_line(hostile: str) -> None:
    safe = headers.neutralise(hostile)

    assert headers.check_argument(safe, "subject") == safe
    assert "\n" not in mime.decode_header(safe) and "=?" not in safe


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_reply_to_a_hostile_subject_carries_no_extra_header(hostile: str) -> None:
    raw = build(subject=mime.reply_subject(headers.neutralise(hostile)), name=headers.neutralise(hostile))

    assert set(header_names(raw)) <= OURS and "bcc" not in header_names(raw)
    assert read_envelope(raw).recipients() == ("bob@example.com",)
    assert not [line for line in re.split(rb"\r\n|\n|\r", raw) if line.lower().startswith(b"bcc")]


def test_a_multiply_encoded_subject_is_decoded_fully() -> None:
    assert headers.neutralise(b_word(b_word("Grüße"))) == "Grüße"
    assert headers.neutralise(b_word(b_word("x\r\nBcc: spy@evil.example"))) == "x Bcc: spy@evil.example"


@pytest.mark.parametrize("hostile", HOSTILE[:9])
def test_decoding_a_header_never_leaves_a_line_break(hostile: str) -> None:
    decoded = mime.decode_header(hostile)

    assert decoded.splitlines() == [decoded]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("invoice\u202efdp.exe", "invoice<U+202E>fdp.exe"),
        ("a\u2028b\u2029c\x85d", "a<U+2028>b<U+2029>c<U+0085>d"),
        ("\u2066iso\u2069 pay\u200bpal", "<U+2066>iso<U+2069> pay<U+200B>pal"),
        ("👨\u200d👩\u200d👧 می\u200cخواهم", "👨\u200d👩\u200d👧 می\u200cخواهم"),
    ],
)
def test_characters_that_hide_or_reorder_text_are_made_visible(text: str, shown: str) -> None:
    assert headers.visible(text) == shown


_PIECES = st.one_of(
    st.characters(),
    st.sampled_from(["=?", "?=", "=?utf-8?q?", "=0D=0A", "\r\n", "Bcc: ", "\u2028", "\u200d"]),
)
_ANY_TEXT = st.lists(_PIECES, max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_ANY_TEXT, _ANY_TEXT.map(b_word), _ANY_TEXT.map(q_word), st.sampled_from(HOSTILE)))
@example(text=b_word("a" * 200 + "\r\nBcc: spy@evil.example"))
def test_any_text_from_an_email_neutralised_passes_the_check_and_builds_a_clean_message(text: str) -> None:
    safe = headers.neutralise(text)

    assert headers.check_argument(safe, "subject") == safe
    raw = build(subject=mime.reply_subject(safe), name=safe)
    names = header_names(raw)
    assert set(names) <= OURS and len(names) == len(set(names))
    envelope = read_envelope(raw)
    assert envelope.recipients() == ("bob@example.com",)
    assert envelope.subject == mime.reply_subject(safe)


@pytest.mark.parametrize(
    "filename",
    [
        "Bericht für März " * 8 + ".pdf",
        "報告書" * 30 + ".xlsx",
        "a" * 120 + ".txt",
        'quote " and back\\slash.txt',
        " leading space.txt",
    ],
)
def test_long_and_special_filenames_are_encoded_by_us_and_read_back_exactly(filename: str) -> None:
    raw = build(attachments=[OutgoingAttachment(filename, b"data", "application/octet-stream")])

    assert all(len(line) <= 998 for line in raw.split(b"\r\n")) and raw.isascii()
    assert [a.filename for a in read_envelope(raw).attachments] == [filename]


@pytest.mark.parametrize("field", ["subject", "name", "filename"])
def test_building_refuses_what_the_argument_check_refuses(field: str) -> None:
    hostile = "=?utf-8?q?x=0D=0ABcc:_spy@evil.example?="
    arguments: dict[str, object] = {
        "subject": {"subject": hostile},
        "name": {"name": hostile},
        "filename": {"attachments": [OutgoingAttachment(hostile, b"x")]},
    }[field]

    with pytest.raises(InvalidParamsError):
        build(**arguments)  # type: ignore[arg-type]


def test_every_instance_of_to_cc_and_bcc_counts() -> None:
    raw = (
        b"To: ana@example.org\r\nCc: bo@example.org\r\nTo: second@evil.example\r\n"
        b"bcc : hidden@evil.example\r\nBCC: third@evil.example\r\nSubject: x\r\n\r\nbody\r\n"
    )

    envelope = read_envelope(raw)

    assert envelope.to == ("ana@example.org", "second@evil.example")
    assert envelope.bcc == ("hidden@evil.example", "third@evil.example")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            b"To: a@example.org\r\nnot a header line\r\nBcc: x@evil.example\r\n\r\n", id="stray-line"
        ),
        pytest.param(b"To: a@example.org\r\nSubject: one\r\nSubject: two\r\n\r\n", id="two-subjects"),
        pytest.param(b'To: a@example.org, "x" <b@c@d>\r\n\r\n', id="not-an-address"),
        pytest.param(b" folded first\r\nTo: a@example.org\r\n\r\n", id="continuation-first"),
    ],
)
def test_a_message_that_reads_two_ways_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidParamsError):
        read_envelope(raw)


def test_a_bare_cr_cannot_hide_a_header_from_the_reader() -> None:
    envelope = read_envelope(b"To: a@example.org\r\nSubject: hi\rBcc: hidden@evil.example\r\n\r\nx")

    assert envelope.bcc == ("hidden@evil.example",)


def test_differences_name_every_extra_or_missing_recipient_and_changed_file() -> None:
    expected = Envelope(("a@example.org",), (), (), "Hi", (Attached.of("r.pdf", b"1"),))
    actual = Envelope(("A@Example.org",), (), ("spy@evil.example",), "Hi", (Attached.of("r.pdf", b"2"),))

    assert envelope_differences(expected, actual) == [
        "Bcc would also go to spy@evil.example",
        "the attached files would be ['r.pdf'], not ['r.pdf']",
    ]
    assert envelope_differences(expected, expected) == []
