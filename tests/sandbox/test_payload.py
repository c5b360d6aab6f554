"""Raw mail to Gmail JSON: header decoding, the part tree, bodies, attachments and snippets."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmail_mcp.sandbox.mimetext import decode_header, decode_text, html_to_text
from gmail_mcp.sandbox.payload import BIG_BODY, metadata_json, parse_mail, part_json


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def fake_ids(part_id: str) -> str:
    return f"att-{part_id}"


@pytest.mark.parametrize(
    ("raw_value", "expected"),
    [
        ("plain subject", "plain subject"),
        ("=?utf-8?q?Caf=C3=A9?= au lait", "Café au lait"),
        ("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "éé"),  # space between adjacent words is dropped
        ("=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", "€"),  # a character split across two words
        ("=?iso-8859-1?q?na=EFve?=", "naïve"),
        ("=?x-no-such-charset?q?abc?=", "abc"),
        ("=?utf-8*en?q?hello?=", "hello"),  # RFC 2231 language tag
        ("Re: =?utf-8?q?Gr=C3=BC=C3=9Fe?=!", "Re: Grüße!"),
        ("folded\r\n line", "folded line"),
        ("raw \udcc3\udca9t\udcc3\udca9", "raw été"),  # 8-bit header bytes as the parser carries them
        ("=?utf-8?b?!!!not-base64?=", "=?utf-8?b?!!!not-base64?="),  # not an encoded-word at all
    ],
)
def test_header_values_are_unfolded_and_decoded_like_gmail(raw_value: str, expected: str) -> None:
    assert decode_header(raw_value) == expected


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        (b"caf\xe9", "iso-8859-1", "café"),
        (b"caf\xc3\xa9", "us-ascii", "café"),  # mislabelled UTF-8 still reads
        (b"caf\xc3\xa9", "unknown-8bit", "café"),
        (b"caf\xe9", None, "café"),  # neither UTF-8 nor declared: Windows-1252
        (b"caf\xe9", "rot13", "café"),  # a codec that is not a charset is ignored
        (b"\xff\xfe", "utf-8", "\ufffd\ufffd"),
    ],
)
def test_bodies_are_read_in_their_charset_with_fallbacks(
    data: bytes, charset: str | None, expected: str
) -> None:
    assert decode_text(data, charset) == expected


def test_html_to_text_drops_scripts_and_decodes_entities() -> None:
    markup = "<html><head><style>p{}</style></head><body><p>Tom &amp; Jerry</p><script>x()</script>Bye</body>"
    assert html_to_text(markup).split() == ["Tom", "&", "Jerry", "Bye"]


NESTED = (
    b"From: Ann <ann@example.com>\r\n"
    b"To: you@example.com\r\n"
    b"Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Voil=E0\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Voil\xc3\xa0</p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b"Content-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0=\r\n"
    b"--outer--\r\n"
)


def test_full_payload_has_gmail_part_ids_bodies_and_attachment_ids() -> None:
    parsed = parse_mail(NESTED)
    assert part_json(parsed.root, fake_ids) == {
        "partId": "",
        "mimeType": "multipart/mixed",
        "filename": "",
        "headers": [
            {"name": "From", "value": "Ann <ann@example.com>"},
            {"name": "To", "value": "you@example.com"},
            {"name": "Subject", "value": "Résumé"},
            {"name": "MIME-Version", "value": "1.0"},
            {"name": "Content-Type", "value": 'multipart/mixed; boundary="outer"'},
        ],
        "body": {"size": 0},
        "parts": [
            {
                "partId": "0",
                "mimeType": "multipart/alternative",
                "filename": "",
                "headers": [{"name": "Content-Type", "value": 'multipart/alternative; boundary="inner"'}],
                "body": {"size": 0},
                "parts": [
                    {
                        "partId": "0.0",
                        "mimeType": "text/plain",
                        "filename": "",
                        "headers": [
                            {"name": "Content-Type", "value": "text/plain; charset=iso-8859-1"},
                            {"name": "Content-Transfer-Encoding", "value": "quoted-printable"},
                        ],
                        # transfer-decoded but still in its own charset, as Gmail returns it;
                        # the line break before a boundary belongs to the boundary
                        "body": {"size": 5, "data": b64(b"Voil\xe0")},
                    },
                    {
                        "partId": "0.1",
                        "mimeType": "text/html",
                        "filename": "",
                        "headers": [{"name": "Content-Type", "value": "text/html; charset=utf-8"}],
                        "body": {"size": 13, "data": b64(b"<p>Voil\xc3\xa0</p>")},
                    },
                ],
            },
            {
                "partId": "1",
                "mimeType": "application/pdf",
                "filename": "résumé.pdf",
                "headers": [
                    {"name": "Content-Type", "value": "application/pdf"},
                    {
                        "name": "Content-Disposition",
                        "value": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
                    },
                    {"name": "Content-Transfer-Encoding", "value": "base64"},
                ],
                "body": {"attachmentId": "att-1", "size": 5},
            },
        ],
    }
    assert (parsed.snippet, parsed.filenames, parsed.has_attachment) == ("Voilà", ("résumé.pdf",), True)


FORWARD = (
    b"From: you@example.com\r\nSubject: Fwd: plans\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
    b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: Bob <bob@example.com>\r\nSubject: plans\r\nContent-Type: text/plain\r\n\r\nDinner at 8?\r\n"
    b"--b--\r\n"
)


def test_forwarded_message_is_an_attachment_whose_parts_hold_the_inner_message() -> None:
    forwarded = part_json(parse_mail(FORWARD).root, fake_ids)["parts"][1]  # type: ignore[index]
    assert forwarded == {
        "partId": "1",
        "mimeType": "message/rfc822",
        "filename": "",
        "headers": [{"name": "Content-Type", "value": "message/rfc822"}],
        "body": {"attachmentId": "att-1", "size": forwarded["body"]["size"]},
        "parts": [
            {
                "partId": "1.0",
                "mimeType": "text/plain",
                "filename": "",
                "headers": [
                    {"name": "From", "value": "Bob <bob@example.com>"},
                    {"name": "Subject", "value": "plans"},
                    {"name": "Content-Type", "value": "text/plain"},
                ],
                "body": {"size": 12, "data": b64(b"Dinner at 8?")},
            }
        ],
    }


@pytest.mark.parametrize(
    ("size", "served_by_id"),
    [(BIG_BODY, False), (BIG_BODY + 1, True)],
)
def test_bodies_over_256_kb_are_served_by_attachment_id_even_without_a_filename(
    size: int, served_by_id: bool
) -> None:
    raw = b"Subject: big\r\nContent-Type: text/html\r\n\r\n" + b"x" * size
    body = part_json(parse_mail(raw).root, fake_ids)["body"]
    assert ("attachmentId" in body) is served_by_id  # type: ignore[operator]


def test_metadata_payload_keeps_only_the_asked_headers_case_insensitively() -> None:
    root = parse_mail(NESTED).root
    assert metadata_json(root, ["subject", "FROM", "X-Missing"]) == {
        "partId": "",
        "mimeType": "multipart/mixed",
        "filename": "",
        "headers": [
            {"name": "From", "value": "Ann <ann@example.com>"},
            {"name": "Subject", "value": "Résumé"},
        ],
        "body": {"size": 0},
    }


@pytest.mark.parametrize(
    ("raw", "snippet"),
    [
        (b"Subject: a\r\n\r\nHello   there,\r\n\r\n  friend.", "Hello there, friend."),
        (
            b"Content-Type: text/html\r\n\r\n<style>b{}</style><p>Caf&eacute;&nbsp;&amp;\xe2\x80\x8b more</p>",
            "Café & more",
        ),
        (b"Subject: a\r\n\r\n" + b"word " * 100, ("word " * 40).strip()),
    ],
)
def test_snippet_is_readable_text_collapsed_to_200_characters(raw: bytes, snippet: str) -> None:
    assert parse_mail(raw).snippet == snippet


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"no headers at all",
        b'Content-Type: multipart/mixed; boundary="missing"\r\n\r\nno parts here',
        b"Content-Type: text/plain; charset=bogus\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
        + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 60,
    ],
)
def test_malformed_mail_parses_without_raising(raw: bytes) -> None:
    parsed = parse_mail(raw)
    assert part_json(parsed.root, fake_ids)["partId"] == ""


MIME_PIECES = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/html; charset=x-bogus\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%E2%82\r\n",
        b"Subject: =?utf-8?b?4oI=?= =?koi8-r?q?=C1?=\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"=?\r\n",
        b"\xff\xfe\x00",
        b"<p>&amp;<script>",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MIME_PIECES, st.binary(max_size=40)), max_size=30))
def test_any_bytes_parse_into_a_payload_without_raising(pieces: list[bytes]) -> None:
    parsed = parse_mail(b"".join(pieces))
    payload = part_json(parsed.root, fake_ids)
    assert payload["partId"] == "" and len(parsed.snippet) <= 200
