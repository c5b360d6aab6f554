"""Deterministic MIME writing for the seed mailbox.

The stdlib generator picks random boundaries and refolds headers as it likes, so the seed writes
its raw text itself: CRLF line endings, boundaries derived from the content, explicit transfer
encodings and charsets, and no clock. Only the standard library is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from itertools import groupby
from typing import Literal
from urllib.parse import quote

CRLF = "\r\n"
UTC = UTC
# Locale-independent names: strftime's %a / %b follow LC_TIME and would break determinism.
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip

Encoding = Literal["B", "Q"]
TransferEncoding = Literal["7bit", "8bit", "quoted-printable", "base64"]


@dataclass(frozen=True)
class Zone:
    """A sender's UTC offset, with the one daylight-saving change that falls inside the seed's dates."""

    standard_hours: float
    summer_hours: float | None = None
    summer_ends: datetime | None = None

    def tz(self, moment: datetime) -> timezone:
        """The fixed offset in force at `moment` (an aware datetime)."""
        in_summer = (
            self.summer_hours is not None and self.summer_ends is not None and moment < self.summer_ends
        )
        hours = self.summer_hours if in_summer and self.summer_hours is not None else self.standard_hours
        return timezone(timedelta(hours=hours))


GMT = Zone(0)
PACIFIC = Zone(-8, -7, datetime(2026, 11, 1, 9, tzinfo=UTC))
EASTERN = Zone(-5, -4, datetime(2026, 11, 1, 6, tzinfo=UTC))
LONDON = Zone(0, 1, datetime(2026, 10, 25, 1, tzinfo=UTC))
PARIS = Zone(1, 2, datetime(2026, 10, 25, 1, tzinfo=UTC))
ATHENS = Zone(2, 3, datetime(2026, 10, 25, 1, tzinfo=UTC))
MOSCOW = Zone(3)
SHANGHAI = Zone(8)
TOKYO = Zone(9)


@dataclass(frozen=True)
class Person:
    """A correspondent: display name, address, home time zone and how a non-ASCII name is encoded."""

    name: str
    email: str
    zone: Zone = GMT
    name_charset: str = "UTF-8"
    name_encoding: Encoding = "B"

    @property
    def domain(self) -> str:
        """The part of the address after the @."""
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Part:
    """One MIME entity: ASCII header fields and its already-encoded body (CRLF line endings)."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def render(self) -> bytes:
        """The entity as bytes: folded headers, a blank line, the body."""
        head = "".join(header_line(name, value) for name, value in self.headers)
        return head.encode("ascii") + CRLF.encode() + self.body


@dataclass(frozen=True)
class Mail:
    """A message before rendering. `sent_at` is UTC; the Date header shows it in the sender's zone."""

    sender: Person
    to: tuple[Person, ...]
    subject: str
    sent_at: datetime
    body: Part
    cc: tuple[Person, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    subject_charset: str = "UTF-8"
    subject_encoding: Encoding = "B"
    fixed_message_id: str | None = None

    @property
    def message_id(self) -> str:
        """A Message-ID derived from sender, time and subject, so it is stable across runs."""
        if self.fixed_message_id is not None:
            return self.fixed_message_id
        key = f"{self.sender.email}|{self.sent_at.isoformat()}|{self.subject}".encode()
        digest = hashlib.sha256(key).hexdigest()
        domain = self.sender.domain
        host = domain if domain.startswith("mail.") else f"mail.{domain}"
        return f"<{digest[:12]}.{digest[12:20]}@{host}>"

    @property
    def internal_date_ms(self) -> int:
        """Gmail's internalDate for this message: the same instant as its Date header."""
        return int(self.sent_at.timestamp()) * 1000

    def render(self) -> bytes:
        """The complete RFC 822 message."""
        local = self.sent_at.astimezone(self.sender.zone.tz(self.sent_at))
        fields: list[tuple[str, str]] = [
            ("Date", format_datetime(local)),
            ("From", address(self.sender)),
            ("To", ", ".join(address(p) for p in self.to)),
        ]
        if self.cc:
            fields.append(("Cc", ", ".join(address(p) for p in self.cc)))
        fields.append(("Subject", subject_value(self.subject, self.subject_charset, self.subject_encoding)))
        fields.append(("Message-ID", self.message_id))
        if self.in_reply_to:
            fields.append(("In-Reply-To", self.in_reply_to))
        if self.references:
            fields.append(("References", " ".join(self.references)))
        fields.extend(self.headers)
        fields.append(("MIME-Version", "1.0"))
        return Part((*fields, *self.body.headers), self.body.body).render()


def prose(block: str) -> str:
    """A triple-quoted block as message text: dedented, ending with exactly one newline."""
    return textwrap.dedent(block).strip("\n") + "\n"


def at(stamp: str) -> datetime:
    """A UTC moment written as "2026-09-14 16:12"."""
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def reply(
    parent: Mail,
    sender: Person,
    sent_at: str,
    body: Part,
    *,
    to: Sequence[Person] | None = None,
    cc: Sequence[Person] = (),
    prefix: str = "Re: ",
    headers: tuple[tuple[str, str], ...] = (),
) -> Mail:
    """A reply to `parent` with the threading headers a mail client writes (one "Re:", full References)."""
    return Mail(
        sender=sender,
        to=tuple(to) if to is not None else (parent.sender,),
        cc=tuple(cc),
        subject=prefix + strip_prefixes(parent.subject),
        sent_at=at(sent_at),
        body=body,
        in_reply_to=parent.message_id,
        references=(*parent.references, parent.message_id),
        headers=headers,
        subject_charset=parent.subject_charset,
        subject_encoding=parent.subject_encoding,
    )


def reply_all(parent: Mail, sender: Person, sent_at: str, body: Part) -> Mail:
    """A reply to the parent's sender, copying everyone else the parent was addressed to."""
    if parent.sender.email == sender.email:
        return reply(parent, sender, sent_at, body, to=parent.to, cc=parent.cc)
    others = [p for p in (*parent.to, *parent.cc) if p.email not in (sender.email, parent.sender.email)]
    return reply(parent, sender, sent_at, body, cc=others)


def strip_prefixes(subject: str) -> str:
    """The subject without its leading "Re:" / "Fwd:" markers."""
    while subject[:3].lower() == "re:" or subject[:4].lower() == "fwd:":
        subject = subject.partition(":")[2].lstrip()
    return subject


# ---------------------------------------------------------------- headers


def encoded_words(text: str, charset: str = "UTF-8", encoding: Encoding = "B") -> str:
    """`text` as RFC 2047 encoded words, separated by spaces.

    Words are at most 66 characters, so that even after "Subject: " a line that holds one stays
    within RFC 2047's 76 characters.

    Words are cut between characters, never inside a multi-byte sequence, and each one is encoded on
    its own (stateful charsets such as ISO-2022-JP return to ASCII at the end of every word).
    """
    words: list[str] = []
    chunk = ""
    for char in text:
        if chunk and len(_encoded_word(chunk + char, charset, encoding)) > 66:
            words.append(_encoded_word(chunk, charset, encoding))
            chunk = char
        else:
            chunk += char
    if chunk:
        words.append(_encoded_word(chunk, charset, encoding))
    return " ".join(words)


def _q_safe(byte: int) -> bool:
    return byte < 0x80 and (chr(byte).isalnum() or chr(byte) in "!*+-/")


def _encoded_word(text: str, charset: str, encoding: Encoding) -> str:
    data = text.encode(charset)
    if encoding == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        # The "phrase" subset of RFC 2047 section 5: safe in display names as well as subjects.
        payload = "".join(
            "_" if byte == 0x20 else chr(byte) if _q_safe(byte) else f"={byte:02X}" for byte in data
        )
    return f"=?{charset}?{encoding}?{payload}?="


def subject_value(subject: str, charset: str = "UTF-8", encoding: Encoding = "B") -> str:
    """A Subject field body: ASCII as is; otherwise encoded words after any ASCII "Re: "/"Fwd: " prefix."""
    if subject.isascii():
        return subject
    rest = strip_prefixes(subject)
    prefix = subject[: len(subject) - len(rest)]
    if not prefix.isascii():
        prefix, rest = "", subject
    return prefix + encoded_words(rest, charset, encoding)


_SPECIALS = frozenset('()<>[]:;@\\,."')


def address(person: Person) -> str:
    """A mailbox as `Name <addr>`, quoting or RFC 2047-encoding the display name as needed."""
    if not person.name:
        return person.email
    if not person.name.isascii():
        # One encoded word only: CPython's address parser keeps the space between adjacent encoded
        # words in a display name (RFC 2047 says to drop it), so a split name would read differently.
        name = _encoded_word(person.name, person.name_charset, person.name_encoding)
        if len(name) > 70:
            raise ValueError(f"display name {person.name!r} does not fit one encoded word")
    elif _SPECIALS.intersection(person.name):
        name = '"' + person.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        name = person.name
    return f"{name} <{person.email}>"


def header_line(name: str, value: str) -> str:
    """`Name: value` + CRLF, folded at spaces outside quoted strings so lines stay within 76
    characters where possible."""
    if not (name + value).isascii() or "\r" in value or "\n" in value:
        raise ValueError(f"header {name} must be one line of ASCII")
    lines: list[str] = []
    current = f"{name}:"
    for token in _fold_points(value):
        if len(current) + 1 + len(token) > 76 and current != f"{name}:":
            lines.append(current)
            current = " " + token
        else:
            current += " " + token
    lines.append(current)
    return CRLF.join(lines) + CRLF


def _fold_points(value: str) -> list[str]:
    """`value` split at the spaces where a fold is safe: never inside a quoted string, which some
    parsers do not unfold."""
    tokens: list[str] = []
    for piece in value.split(" "):
        if tokens and tokens[-1].replace('\\"', "").count('"') % 2:
            tokens[-1] += " " + piece
        else:
            tokens.append(piece)
    return tokens


def rfc2231_param(name: str, value: str, *, segment: int = 0) -> str:
    """An RFC 2231 extended parameter (`name*=UTF-8''...`), split into `name*0*=`, `name*1*=` ... pieces
    of at most `segment` encoded characters when `segment` is set. A piece may end inside a UTF-8
    sequence, as real mailers' pieces do: RFC 2231 joins the octets before decoding them."""
    encoded = quote(value.encode("utf-8"), safe="!#$&+-.^_`|~")
    if not segment:
        return f"{name}*=UTF-8''{encoded}"
    pieces: list[str] = []
    while encoded:
        cut = min(segment, len(encoded))
        # Never cut a %XX escape in half.
        while "%" in encoded[max(cut - 2, 0) : cut]:
            cut -= 1
        pieces.append(encoded[:cut])
        encoded = encoded[cut:]
    params = [f"{name}*0*=UTF-8''{pieces[0]}"]
    params += [f"{name}*{index}*={piece}" for index, piece in enumerate(pieces[1:], start=1)]
    return "; ".join(params)


# ---------------------------------------------------------------- bodies


def encode_body(data: bytes, cte: TransferEncoding) -> bytes:
    """`data` (canonical form: CRLF line breaks) in the given transfer encoding, ending with CRLF."""
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        text = binascii.b2a_qp(data.replace(b"\r\n", b"\n"), quotetabs=False, istext=True)
        body = text.replace(b"\n", b"\r\n")
    else:
        if cte == "7bit" and not data.isascii():
            raise ValueError("7bit body must be ASCII")
        if any(len(line) > 998 for line in data.split(b"\r\n")):
            raise ValueError("line longer than 998 octets")
        body = data
    return body if body.endswith(b"\r\n") else body + b"\r\n"


def _canonical(text: str, charset: str) -> bytes:
    lines = text.split("\n")
    if charset.upper() == "ISO-2022-JP":
        # Encoded line by line so every line ends back in ASCII, as RFC 1468 requires.
        return b"\r\n".join(line.encode("iso2022_jp") for line in lines)
    return "\r\n".join(lines).encode(charset)


def text_part(
    text: str,
    subtype: str = "plain",
    *,
    charset: str = "UTF-8",
    cte: TransferEncoding | None = None,
    params: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> Part:
    """A text/* part. Without `cte`: 7bit when ASCII with short lines, quoted-printable otherwise."""
    data = _canonical(text, charset)
    if cte is None:
        short = all(len(line) <= 78 for line in data.split(b"\r\n"))
        cte = "7bit" if data.isascii() and short else "quoted-printable"
    return Part(
        (
            ("Content-Type", f'text/{subtype}; charset="{charset}"{params}'),
            ("Content-Transfer-Encoding", cte),
            *headers,
        ),
        encode_body(data, cte),
    )


def html_part(html: str, *, charset: str = "UTF-8", cte: TransferEncoding = "quoted-printable") -> Part:
    """A text/html part (quoted-printable by default, as most mailers send HTML)."""
    return text_part(html, "html", charset=charset, cte=cte)


def attachment(
    data: bytes,
    mime_type: str,
    filename: str,
    *,
    inline: bool = False,
    content_id: str | None = None,
    filename_segment: int | None = None,
    type_params: str = "",
) -> Part:
    """A base64 attachment. A non-ASCII `filename` is written the RFC 2231 way (`filename*=`),
    split into `filename*0*=` / `filename*1*=` pieces when `filename_segment` is given."""
    disposition = "inline" if inline else "attachment"
    if filename.isascii():
        type_field = f'{mime_type}{type_params}; name="{filename}"'
        disposition += f'; filename="{filename}"'
    else:
        type_field = f"{mime_type}{type_params}"
        disposition += "; " + rfc2231_param("filename", filename, segment=filename_segment or 0)
    fields = [("Content-Type", type_field), ("Content-Disposition", disposition)]
    if content_id:
        fields.append(("Content-ID", f"<{content_id}>"))
    fields.append(("Content-Transfer-Encoding", "base64"))
    return Part(tuple(fields), encode_body(data, "base64"))


def message_part(inner: bytes, filename: str) -> Part:
    """A forwarded message attached whole (message/rfc822); `inner` is a complete raw message."""
    return Part(
        (
            ("Content-Type", f'message/rfc822; name="{filename}"'),
            ("Content-Disposition", f'attachment; filename="{filename}"'),
            ("Content-Transfer-Encoding", "7bit" if inner.isascii() else "8bit"),
        ),
        inner if inner.endswith(b"\r\n") else inner + b"\r\n",
    )


def multipart(subtype: str, *parts: Part, type_params: str = "") -> Part:
    """A multipart/* entity whose boundary is a digest of its parts: fixed, and never in the content."""
    rendered = [part.render() for part in parts]
    digest = hashlib.sha256(subtype.encode() + b"".join(rendered)).hexdigest()
    # "=_" cannot occur in base64 or quoted-printable text, which is why real mailers use it too.
    boundary = f"=_{subtype[:3]}_{digest[:28]}"
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + chunk + b"\r\n" for chunk in rendered) + f"--{boundary}--\r\n".encode()
    return Part((("Content-Type", f'multipart/{subtype}; boundary="{boundary}"{type_params}'),), body)


def alternative(text: str, html: str, *, charset: str = "UTF-8") -> Part:
    """multipart/alternative of a plain-text and an HTML rendering of the same message."""
    return multipart("alternative", text_part(text, charset=charset), html_part(html, charset=charset))


def simple_html(text: str) -> str:
    """The HTML a webmail client sends beside plain text: a div per paragraph, quotes as blockquotes."""
    paragraphs: list[str] = []
    for paragraph in text.strip("\n").split("\n\n"):
        blocks: list[str] = []
        for quoted, run in groupby(paragraph.split("\n"), key=lambda line: line.startswith(">")):
            lines = list(run)
            if quoted:
                inner = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines)
                blocks.append(
                    '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;'
                    f'padding-left:1ex">{simple_html(inner)}</blockquote>'
                )
            else:
                escaped = (html.escape(line, quote=False) for line in lines)
                blocks.append("<div>" + "<br>\n".join(escaped) + "</div>")
        paragraphs.append("\n".join(blocks))
    return '<div dir="ltr">' + "\n<div><br></div>\n".join(paragraphs) + "</div>\n"


def webmail_body(text: str) -> Part:
    """multipart/alternative of `text` and its `simple_html` rendering, as Gmail's composer sends."""
    return alternative(text, simple_html(text))


# ---------------------------------------------------------------- quoting in replies


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def quote_gmail(parent: Mail, text: str, reader: Zone, *, apple: bool = False) -> str:
    """Quoted history as Gmail writes it ("On Wed, Sep 9, 2026 at 9:45 AM Name <addr> wrote:"), or as
    Apple Mail does with `apple` ("On 9 Sep 2026, at 09:45, Name <addr> wrote:"), then `> ` lines."""
    when = parent.sent_at.astimezone(reader.tz(parent.sent_at))
    sender = f"{parent.sender.name} <{parent.sender.email}>"
    if apple:
        intro = f"On {when.day} {MONTHS[when.month - 1][:3]} {when.year}, at {when:%H:%M}, {sender} wrote:"
    else:
        day = f"{DAYS[when.weekday()][:3]}, {MONTHS[when.month - 1][:3]} {when.day}, {when.year}"
        intro = f"On {day} at {_clock(when)} {sender} wrote:"
    quoted = "\n".join(">" if not line else f"> {line}" for line in text.rstrip("\n").split("\n"))
    return f"{intro}\n{quoted}\n"


def quote_outlook(parent: Mail, text: str, reader: Zone) -> str:
    """Outlook-style quoted history: a "-----Original Message-----" block with the parent's headers."""
    when = parent.sent_at.astimezone(reader.tz(parent.sent_at))
    sent = f"{DAYS[when.weekday()]}, {MONTHS[when.month - 1]} {when.day}, {when.year} {_clock(when)}"
    lines = [
        "-----Original Message-----",
        f"From: {parent.sender.name} <{parent.sender.email}>",
        f"Sent: {sent}",
        "To: " + "; ".join(f"{p.name} <{p.email}>" for p in parent.to),
    ]
    if parent.cc:
        lines.append("Cc: " + "; ".join(f"{p.name} <{p.email}>" for p in parent.cc))
    lines += [f"Subject: {parent.subject}", "", text.rstrip("\n")]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Stored:
    """A seeded message and the labels it carries in the mailbox."""

    mail: Mail
    system_labels: tuple[str, ...]
    user_labels: tuple[str, ...] = field(default=())


def keep(mail: Mail, labels: str, *user_labels: str) -> Stored:
    """`mail` with space-separated system label ids and any user label names."""
    return Stored(mail, tuple(labels.split()), user_labels)
