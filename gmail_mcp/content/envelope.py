"""What a raw message really sends: every recipient, its subject and its files, read strictly.

Whatever the allow-list checks, the person approves and the audit records must be read from the
bytes that are about to leave, not from the arguments that built them: a generator bug, a header
injected through an encoded word, or a draft written by another client with a second To or Bcc
header would otherwise reach people nobody checked. The header block is split here (not by the
lenient stdlib parser, which ends the headers at the first line it does not understand while a
mail server may read on), every To/Cc/Bcc instance counts, and each address header is read by two
parsers that must agree. Anything ambiguous is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from email import policy
from email.utils import getaddresses

from gmail_mcp.content.charsets import decode_surrogates, decode_words
from gmail_mcp.content.mimetree import header_param, list_attachments, parse_rfc822
from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.models import MimePart

__all__ = ["Attached", "Envelope", "envelope_differences", "header_names", "read_envelope"]

_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:(.*)", re.S)  # RFC 5322 field name; obsolete space before ':'
# Every line end a mail program might honour (CRLF, LF, a bare CR) ends a header line here, so
# no field can hide behind a line end only some readers see.
_LINE = re.compile(rb"([^\r\n]*)(?:\r\n|\n|\r|$)")
_ADDRESS_FIELDS = ("to", "cc", "bcc")
_ADDR_SPEC = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+")


@dataclass(frozen=True)
class Attached:
    """A file a message carries: its name as the recipient sees it, its size and its SHA-256."""

    filename: str
    size: int
    sha256: str
    inline: bool = False

    @classmethod
    def of(cls, filename: str, data: bytes, *, inline: bool = False) -> Attached:
        return cls(filename, len(data), hashlib.sha256(data).hexdigest(), inline)


@dataclass(frozen=True)
class Envelope:
    """Who a message goes to (every To, Cc and Bcc address, as written), its subject and its files.

    The subject and the filenames are exactly what a recipient's mail program decodes (line
    breaks, bidi controls and all): show them with `headers.visible`.
    """

    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    attachments: tuple[Attached, ...] = ()
    sender: str = ""  # the From address, when the message names one (else Gmail writes the login's)

    def recipients(self) -> tuple[str, ...]:
        return (*self.to, *self.cc, *self.bcc)


def _split_header_block(raw: bytes) -> list[bytes]:
    """The top-level header fields, each unfolded.

    Raises:
        InvalidParamsError: a header line that is neither a field nor a continuation.
    """
    fields: list[bytes] = []
    for match in _LINE.finditer(raw):
        line = match.group(1)
        if not line:
            break  # the blank line: the body starts
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise _unreadable("it starts with a continuation line")
            fields[-1] += line
        elif _FIELD.fullmatch(line):
            fields.append(line)
        else:
            raise _unreadable(f"a header line is not a header field: {line[:60]!r}")
    return fields


def _unreadable(why: str) -> InvalidParamsError:
    return InvalidParamsError(
        f"The message cannot be read reliably ({why}), so who it goes to cannot be checked. Nothing "
        "was sent; rewrite it (for a draft: fix it in Gmail or write a new one).",
        field="message",
    )


def header_names(raw: bytes) -> list[str]:
    """The names of the top-level header fields, lower-case, in order (repeats kept).

    Raises:
        InvalidParamsError: the header block cannot be split into fields.
    """
    return [_name(field) for field in _split_header_block(raw)]


def _name(field: bytes) -> str:
    match = _FIELD.fullmatch(field)
    assert match is not None  # _split_header_block keeps only fields
    return match.group(1).decode("ascii").lower()


def _value(field: bytes) -> str:
    match = _FIELD.fullmatch(field)
    assert match is not None
    return decode_surrogates(match.group(2).decode("utf-8", "surrogateescape")).strip()


def _addresses(name: str, value: str) -> list[str]:
    """The addresses of one address header, read by two parsers that must agree.

    Raises:
        InvalidParamsError: they disagree, or an address is not one.
    """
    lenient = [address for _name, address in getaddresses([value]) if address]
    try:
        parsed = policy.default.header_factory(name, value)
        strict = [a.addr_spec for a in getattr(parsed, "addresses", ())]
    except Exception as exc:  # the stdlib raises a zoo of errors on broken headers
        raise _unreadable(f"its {name.title()} header cannot be parsed") from exc
    if Counter(a.casefold() for a in lenient) != Counter(a.casefold() for a in strict):
        raise _unreadable(f"its {name.title()} header reads two ways: {lenient} or {strict}")
    for address in lenient:
        if not _ADDR_SPEC.fullmatch(address):
            raise _unreadable(f"{address!r} in its {name.title()} header is not an email address")
    if "@" in value and not lenient:
        raise _unreadable(f"its {name.title()} header holds no readable address")
    return lenient


def read_envelope(raw: bytes) -> Envelope:
    """Every recipient of every To, Cc and Bcc header, the subject, the attached files and the sender.

    Raises:
        InvalidParamsError: the header block cannot be split into fields, an address header reads
            two ways or holds something that is not an address, or there is more than one Subject
            or more than one From address.
    """
    found: dict[str, list[str]] = {name: [] for name in (*_ADDRESS_FIELDS, "from")}
    subjects: list[str] = []
    for field in _split_header_block(raw):
        name = _name(field)
        if name in found:
            found[name] += _addresses(name, _value(field))
        elif name == "subject":
            subjects.append(decode_words(_value(field)).strip())
    if len(subjects) > 1:
        raise _unreadable(f"it has {len(subjects)} Subject headers")
    if len(found["from"]) > 1:
        raise _unreadable(f"it names {len(found['from'])} senders")
    root = parse_rfc822(raw)
    parts = {part.part_id: part for part in root.walk()}
    attachments = tuple(
        Attached.of(
            _exact_filename(parts[info.part_id]) or info.filename,
            parts[info.part_id].data or b"",
            inline=info.inline,
        )
        for info in list_attachments(root)
    )
    return Envelope(
        to=tuple(found["to"]),
        cc=tuple(found["cc"]),
        bcc=tuple(found["bcc"]),
        subject=subjects[0] if subjects else "",
        attachments=attachments,
        sender=found["from"][0] if found["from"] else "",
    )


def _exact_filename(part: MimePart) -> str:
    """The filename as the recipient's mail program decodes it (RFC 2231, then RFC 2047 words)."""
    name = header_param(part.header("Content-Disposition"), "filename") or header_param(
        part.header("Content-Type"), "name"
    )
    return decode_words(name) if name else ""


def envelope_differences(expected: Envelope, actual: Envelope) -> list[str]:
    """How `actual` differs from `expected`, in words ([] when they are the same).

    Addresses compare case-insensitively, as a multiset per field, senders too; subjects exactly;
    files by name, size and SHA-256, in order.
    """
    problems = []
    for field in _ADDRESS_FIELDS:
        want = Counter(a.casefold() for a in getattr(expected, field))
        got = Counter(a.casefold() for a in getattr(actual, field))
        if extra := sorted((got - want).elements()):
            problems.append(f"{field.title()} would also go to {', '.join(extra)}")
        if missing := sorted((want - got).elements()):
            problems.append(f"{field.title()} would not go to {', '.join(missing)}")
    if expected.sender.casefold() != actual.sender.casefold():
        problems.append(
            f"it would be sent as {actual.sender or 'the login'!r}, not {expected.sender or 'the login'!r}"
        )
    if expected.subject != actual.subject:
        problems.append(f"the subject would be {actual.subject!r}, not {expected.subject!r}")
    if expected.attachments != actual.attachments:
        names = [a.filename for a in actual.attachments]
        problems.append(
            f"the attached files would be {names}, not {[a.filename for a in expected.attachments]}"
        )
    return problems
