"""IMAP FETCH answers (as IMAPClient parsed them) -> domain models. The only module that knows FETCH keys.

A list fetches headers, flags and BODYSTRUCTURE (never bodies), then the first 2 KB of each
message's first text part for its snippet. A read fetches the whole message with BODY.PEEK[] and
parses it with the content package. Nothing here sets \\Seen: every body item is a PEEK.
"""

from __future__ import annotations

import base64
import binascii
import quopri
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gmail_mcp.content import mime
from gmail_mcp.content.mimetree import is_attachment
from gmail_mcp.imap import folders as labels
from gmail_mcp.imap.folders import FolderMap
from gmail_mcp.models import Message, MessageSummary, MimePart

HEADER_FIELDS = "FROM TO CC BCC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
SUMMARY_ITEMS = [
    "UID",
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "BODYSTRUCTURE",
    f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]",
]
GMAIL_ITEMS = ["X-GM-MSGID", "X-GM-THRID", "X-GM-LABELS"]
FULL_ITEMS = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"]
SNIPPET_BYTES = 2048
SNIPPET_CHARS = 200
Answer = Mapping[bytes, Any]


@dataclass(frozen=True)
class TextPart:
    """Where a message's first readable text is: its section, type, charset and transfer encoding."""

    section: str
    mime_type: str
    charset: str | None
    encoding: str


@dataclass(frozen=True)
class Ids:
    """The ids a message gets: its id, its thread's id, and its labels."""

    id: str
    thread_id: str
    label_ids: tuple[str, ...]


def body_item(answer: Answer, prefix: bytes) -> bytes:
    """The bytes of the first FETCH item whose key starts with `prefix` (servers echo the section differently)."""
    for key, value in answer.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix) and isinstance(value, bytes):
            return value
    return b""


def header_part(answer: Answer) -> MimePart:
    """The fetched header fields, parsed (and decoded for display) by the content package."""
    block = body_item(answer, b"BODY[HEADER") or body_item(answer, b"BODY[]")
    head, _, _ = block.partition(b"\r\n\r\n")
    return mime.parse_rfc822(head + b"\r\n\r\n")


def labels_of(answer: Answer, folder: str, folder_map: FolderMap, *, gmail: bool) -> tuple[str, ...]:
    """Gmail label ids from X-GM-LABELS (Gmail) or from the folder (elsewhere), plus the flags."""
    found: list[str] = []
    if gmail:
        for raw in answer.get(b"X-GM-LABELS", ()) or ():
            name = _decode_label(raw)
            found.append(labels.GMAIL_SYSTEM.get(name, name))
        own = folder_map.label_of(folder)
        if own in ("TRASH", "SPAM"):  # Gmail leaves the selected folder's own label out
            found.append(own)
    else:
        own = folder_map.label_of(folder)
        if own:
            found.append(own)
    flags = {f.lower() if isinstance(f, bytes) else str(f).encode().lower() for f in answer.get(b"FLAGS", ())}
    if b"\\seen" not in flags:
        found.append("UNREAD")
    if b"\\flagged" in flags:
        found.append("STARRED")
    if b"\\draft" in flags:
        found.append("DRAFT")
    return tuple(dict.fromkeys(found))


def _decode_label(raw: Any) -> str:
    from imapclient.imap_utf7 import decode

    text = decode(raw) if isinstance(raw, bytes) else str(raw)
    return text


def summary(answer: Answer, ids: Ids, snippet_text: str = "") -> MessageSummary:
    head = header_part(answer)
    structure = answer.get(b"BODYSTRUCTURE")
    return MessageSummary(
        id=ids.id,
        thread_id=ids.thread_id,
        subject=mime.decode_header(head.header("Subject")),
        sender=head.header("From") or "",
        to=head.header("To") or "",
        cc=head.header("Cc") or "",
        date=head.header("Date") or "",
        snippet=snippet_text,
        label_ids=ids.label_ids,
        internal_date=_aware(answer.get(b"INTERNALDATE")),
        size_estimate=int(answer.get(b"RFC822.SIZE") or 0),
        has_attachments=structure_has_attachments(structure) if structure is not None else False,
    )


def headers_message(answer: Answer, ids: Ids) -> Message:
    """A message known by its headers and flags (a summary fetch): what replies and thread lists need."""
    head = header_part(answer)
    return Message(
        **summary(answer, ids).model_dump(),
        bcc=head.header("Bcc") or "",
        rfc822_message_id=(head.header("Message-ID") or "").strip(),
        in_reply_to=(head.header("In-Reply-To") or "").strip(),
        references=" ".join((head.header("References") or "").split()),
        payload=head,
    )


def message(answer: Answer, ids: Ids) -> Message:
    """A whole message from BODY.PEEK[]; attachment parts get ids ("part:<part id>") to fetch them by."""
    raw = body_item(answer, b"BODY[]")
    payload = _with_attachment_ids(mime.parse_rfc822(raw))
    body = mime.extract_body(payload, format="text")
    return Message(
        id=ids.id,
        thread_id=ids.thread_id,
        subject=mime.decode_header(payload.header("Subject")),
        sender=payload.header("From") or "",
        to=payload.header("To") or "",
        cc=payload.header("Cc") or "",
        bcc=payload.header("Bcc") or "",
        date=payload.header("Date") or "",
        snippet=snippet(body.content),
        label_ids=ids.label_ids,
        internal_date=_aware(answer.get(b"INTERNALDATE")),
        size_estimate=int(answer.get(b"RFC822.SIZE") or len(raw)),
        has_attachments=any(is_attachment(p) or p.mime_type == "message/rfc822" for p in payload.walk()[1:]),
        rfc822_message_id=(payload.header("Message-ID") or "").strip(),
        in_reply_to=(payload.header("In-Reply-To") or "").strip(),
        references=" ".join((payload.header("References") or "").split()),
        payload=payload,
    )


def _with_attachment_ids(part: MimePart) -> MimePart:
    children = tuple(_with_attachment_ids(p) for p in part.parts)
    update: dict[str, Any] = {"parts": children} if part.parts else {}
    if not part.mime_type.startswith("multipart/") and (
        is_attachment(part) or part.mime_type.startswith("message/")
    ):
        update["attachment_id"] = "part:" + part.part_id
    return part.model_copy(update=update) if update else part


def snippet(text: str) -> str:
    return " ".join(mime.clean_text(text).split())[:SNIPPET_CHARS]


# -- BODYSTRUCTURE -----------------------------------------------------------------------------


def _leaves(structure: Any, section: str = "") -> list[tuple[str, Sequence[Any]]]:
    """(section, leaf) for every leaf part, in order; message/rfc822 parts are leaves here."""
    if structure is None:
        return []
    if structure.is_multipart:
        found: list[tuple[str, Sequence[Any]]] = []
        for index, child in enumerate(structure[0], start=1):
            found += _leaves(child, f"{section}.{index}" if section else str(index))
        return found
    return [(section or "1", structure)]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def _params(value: Any) -> dict[str, str]:
    items = list(value) if isinstance(value, list | tuple) else []
    return {_text(k).lower(): _text(v) for k, v in zip(items[::2], items[1::2], strict=False)}


def _disposition(leaf: Sequence[Any]) -> tuple[str, dict[str, str]]:
    """The leaf's Content-Disposition (its position depends on the leaf's type, RFC 3501 7.4.2)."""
    kind = _text(leaf[0]).lower()
    index = 9 if kind == "text" else 10 if kind == "message" and _text(leaf[1]).lower() == "rfc822" else 8
    value = leaf[index] if len(leaf) > index else None
    if isinstance(value, tuple) and value and isinstance(value[0], bytes):
        return _text(value[0]).lower(), _params(value[1] if len(value) > 1 else None)
    return "", {}


def structure_has_attachments(structure: Any) -> bool:
    """Has-attachments from BODYSTRUCTURE alone, by the content package's rule (a file is attached).

    A message that is one non-text part (a PDF sent bare) counts, as in the REST backend. A
    structure the server built oddly (from hostile MIME) counts as none rather than failing a list.
    """
    try:
        if not structure.is_multipart:
            return _text(structure[0]).lower() not in ("text", "multipart")
        for _, leaf in _leaves(structure):
            kind = f"{_text(leaf[0])}/{_text(leaf[1])}".lower()
            how, params = _disposition(leaf)
            named = "filename" in params or "name" in _params(leaf[2])
            if how == "attachment" or kind == "message/rfc822" or (named and how != "inline"):
                return True
    except (IndexError, TypeError, AttributeError):
        return False
    return False


def first_text(structure: Any) -> TextPart | None:
    """The first text/plain part that is not an attachment, else the first text/html one (None if none)."""
    candidates = []
    try:
        for section, leaf in _leaves(structure):
            kind = f"{_text(leaf[0])}/{_text(leaf[1])}".lower()
            how, _ = _disposition(leaf)
            if kind in ("text/plain", "text/html") and how != "attachment":
                encoding = _text(leaf[5]).lower() if len(leaf) > 5 else ""
                candidates.append(TextPart(section, kind, _params(leaf[2]).get("charset"), encoding))
    except (IndexError, TypeError, AttributeError):
        return None  # an odd structure: no snippet rather than a failed list
    plain = next((c for c in candidates if c.mime_type == "text/plain"), None)
    return plain or (candidates[0] if candidates else None)


def snippet_of(part: TextPart, data: bytes) -> str:
    """A snippet from the start of a text part (cut anywhere: a partial base64 or QP tail is dropped)."""
    decoded = _transfer_decode(data, part.encoding)
    headers = (
        mime_header(
            "Content-Type", f"{part.mime_type}; charset={part.charset}" if part.charset else part.mime_type
        ),
    )
    leaf = MimePart(mime_type=part.mime_type, headers=headers, data=decoded, size=len(decoded))
    return snippet(mime.extract_body(leaf, format="text").content)


def mime_header(name: str, value: str) -> Any:
    from gmail_mcp.models import Header

    return Header(name=name, value=value)


def _transfer_decode(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        compact = b"".join(data.split())
        compact = compact[: len(compact) - len(compact) % 4]
        try:
            return base64.b64decode(compact)
        except (binascii.Error, ValueError):
            return b""
    if encoding == "quoted-printable":
        return quopri.decodestring(data.rsplit(b"=", 1)[0] if data[-3:].count(b"=") else data)
    return data


def _aware(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
