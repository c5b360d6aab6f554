"""Raw RFC 822 bytes to Gmail's message JSON: the `payload` part tree, snippet and search text.

Parsing uses the standard library's `compat32` policy, the most forgiving one: real spam has
broken boundaries, unknown charsets and raw 8-bit headers, and none of that may raise. Bodies are
returned exactly as transfer-decoded, in their original charset, as Gmail does.

Part ids follow Gmail: the root is ``""``, its children ``"0"``, ``"1"``, grandchildren ``"0.1"``;
a ``message/rfc822`` part ``"1"`` holds the forwarded message's root as ``"1.0"``.
"""

from __future__ import annotations

import base64
import email
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.generator import BytesGenerator
from email.message import Message

from gmail_mcp.sandbox.mimetext import collapse, decode_header, decode_text, header_text, html_to_text

BIG_BODY = 256 * 1024  # Gmail serves bodies above this by attachmentId even without a filename
SNIPPET_LENGTH = 200
_MAX_DEPTH = 40  # deeper nesting is served as one opaque part rather than risking recursion limits


@dataclass(frozen=True)
class Part:
    """One MIME part, decoded once."""

    part_id: str
    mime_type: str
    filename: str
    headers: tuple[tuple[str, str], ...]
    data: bytes  # transfer-decoded body; for message/rfc822 the inner message's bytes
    charset: str | None
    attachment: bool  # served as {attachmentId, size} rather than inline data
    parts: tuple[Part, ...] = ()

    def header(self, name: str) -> str:
        """The first value of a header (decoded), or ''."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), "")

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def walk(self) -> Iterator[Part]:
        """This part and all below it, depth first."""
        yield self
        for child in self.parts:
            yield from child.walk()


@dataclass(frozen=True)
class ParsedMail:
    """A parsed message: the part tree plus what search and lists need."""

    root: Part
    text: str  # readable body text (plain preferred, else HTML converted)
    snippet: str
    filenames: tuple[str, ...] = field(default=())
    has_attachment: bool = False


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw message bytes; never raises on malformed mail."""
    message = email.message_from_bytes(raw, policy=policy.compat32)
    root = _build(message, "", 0)
    text = _body_text(root)
    files = tuple(p.filename for p in root.walk() if p.attachment and p.filename)
    has_attachment = any(
        p.attachment and (p.filename or p.mime_type == "message/rfc822") for p in root.walk()
    )
    return ParsedMail(root, text, collapse(text)[:SNIPPET_LENGTH].rstrip(), files, has_attachment)


def _header_items(message: Message) -> tuple[tuple[str, str], ...]:
    items: list[tuple[str, str]] = []
    for name, value in message.raw_items():
        items.append((str(name), decode_header(str(value))))
    return tuple(items)


def _mime_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except Exception:  # a Content-Type the parser chokes on is read as the default
        return "text/plain"


def _filename(message: Message) -> str:
    """RFC 2231 and quoted names, read after raw 8-bit bytes became text (the stdlib would turn
    them into replacement characters), then any encoded-words Gmail also decodes."""
    clean = Message()
    for wanted in ("content-disposition", "content-type"):
        value = next((str(v) for name, v in message.raw_items() if name.lower() == wanted), None)
        if value is not None:
            clean[wanted] = header_text(value)
    try:
        filename = clean.get_filename()
    except Exception:
        return ""
    return decode_header(str(filename)) if filename else ""


def _disposition(message: Message) -> str:
    try:
        return message.get_content_disposition() or ""
    except Exception:
        return ""


def _charset(message: Message) -> str | None:
    try:
        value = message.get_param("charset")
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 form
        value = value[2]
    return str(value) if value else None


def _serialized(message: Message) -> bytes:
    """The message as bytes; the fallback for parts the parser split into pieces it cannot decode."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=policy.compat32).flatten(message)
        return buffer.getvalue()
    except Exception:
        return message.as_string().encode("utf-8", errors="surrogateescape")


def _body_of(message: Message) -> bytes:
    """The serialized body of a part without its headers."""
    raw = _serialized(message)
    for separator in (b"\r\n\r\n", b"\n\n"):
        _head, found, body = raw.partition(separator)
        if found:
            return body
    return b""


def _leaf_data(message: Message) -> bytes:
    if message.is_multipart():
        return _body_of(message)
    try:
        data = message.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = message.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""


def _child_id(parent: str, index: int) -> str:
    return f"{parent}.{index}" if parent else str(index)


def _build(message: Message, part_id: str, depth: int) -> Part:
    headers = _header_items(message)
    mime_type = _mime_type(message)
    filename = _filename(message)
    charset = _charset(message)
    payload = message.get_payload()
    if depth < _MAX_DEPTH and mime_type.startswith("multipart/") and isinstance(payload, list):
        children = tuple(
            _build(child, _child_id(part_id, index), depth + 1)
            for index, child in enumerate(payload)
            if isinstance(child, Message)
        )
        return Part(part_id, mime_type, filename, headers, b"", charset, False, children)
    inner = payload[0] if isinstance(payload, list) and payload else None
    if depth < _MAX_DEPTH and mime_type == "message/rfc822" and isinstance(inner, Message):
        inner_root = _build(inner, _child_id(part_id, 0), depth + 1)
        return Part(part_id, mime_type, filename, headers, _serialized(inner), charset, True, (inner_root,))
    data = _leaf_data(message)
    attachment = bool(filename) or _disposition(message) == "attachment" or len(data) > BIG_BODY
    return Part(part_id, mime_type, filename, headers, data, charset, attachment)


def _body_text(root: Part) -> str:
    plain: list[str] = []
    markup: list[str] = []
    for part in root.walk():
        if part.attachment or part.parts:
            continue
        if part.mime_type == "text/plain" or (part is root and part.mime_type.startswith("multipart/")):
            plain.append(decode_text(part.data, part.charset))
        elif part.mime_type == "text/html":
            markup.append(html_to_text(decode_text(part.data, part.charset)))
    chosen = plain if any(text.strip() for text in plain) else markup
    return "\n".join(chosen)


def b64url(data: bytes) -> str:
    """Gmail's base64url with padding."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def attachment_id(message_id: str, part_id: str) -> str:
    """A long opaque id, stable for one message and part (Gmail's look much like this)."""
    seed = f"{message_id}/{part_id}".encode()
    digest = b"".join(hashlib.sha256(seed + bytes([n])).digest() for n in range(4))
    return "ANGjdJ" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def part_json(part: Part, attachment_ids: Callable[[str], str]) -> dict[str, object]:
    """A part in Gmail's `full` format."""
    body: dict[str, object]
    if part.mime_type.startswith("multipart/") and not part.data:
        body = {"size": 0}
    elif part.attachment:
        body = {"attachmentId": attachment_ids(part.part_id), "size": len(part.data)}
    elif part.data:
        body = {"size": len(part.data), "data": b64url(part.data)}
    else:
        body = {"size": 0}
    out: dict[str, object] = {
        "partId": part.part_id,
        "mimeType": part.mime_type,
        "filename": part.filename,
        "headers": [{"name": name, "value": value} for name, value in part.headers],
        "body": body,
    }
    if part.parts:
        out["parts"] = [part_json(child, attachment_ids) for child in part.parts]
    return out


def metadata_json(root: Part, wanted: list[str]) -> dict[str, object]:
    """The root part in Gmail's `metadata` format: headers only (filtered when asked), no body."""
    names = {name.lower() for name in wanted}
    headers = [
        {"name": name, "value": value} for name, value in root.headers if not names or name.lower() in names
    ]
    return {
        "partId": root.part_id,
        "mimeType": root.mime_type,
        "filename": root.filename,
        "headers": headers,
        "body": {"size": 0},
    }


# Links Gmail's has:drive, has:document, ... look for (Drive files and folders, Docs, Sheets,
# Slides, YouTube videos).
_LINK_KINDS = (
    ("document", re.compile(rb"docs\.google\.com/document/", re.IGNORECASE)),
    ("spreadsheet", re.compile(rb"docs\.google\.com/spreadsheets/", re.IGNORECASE)),
    ("presentation", re.compile(rb"docs\.google\.com/presentation/", re.IGNORECASE)),
    ("drive", re.compile(rb"drive\.google\.com/", re.IGNORECASE)),
    ("youtube", re.compile(rb"(?:www\.|m\.)?(?:youtube\.com/watch|youtu\.be/)", re.IGNORECASE)),
)


def link_kinds(root: Part) -> frozenset[str]:
    """The kinds of Google link (drive, document, spreadsheet, presentation, youtube) in the
    message's text and HTML bodies."""
    found = set()
    for part in root.walk():
        if part.attachment or part.parts or not part.mime_type.startswith("text/"):
            continue
        found |= {kind for kind, pattern in _LINK_KINDS if pattern.search(part.data)}
    return frozenset(found)
