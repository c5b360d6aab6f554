"""Forwarding a message as Gmail does: "Fwd:" subject, the forwarded-message block, its files.

Gmail's own layout, which every mail program reads as a forward:

    <the note>

    ---------- Forwarded message ---------
    From: Ann <ann@example.org>
    Date: Mon, 16 Nov 2026 10:02:00 +0000
    Subject: Plans
    To: Alex <you@example.com>

    <the message as a person reads it>

Everything here comes from an email and is hostile: the header values in the block are decoded
fully and neutralised (one plain line each, as a reply's subject is), the subject too; the body is
what `extract_body` shows a reader (hidden HTML text dropped), whole (quoted history included); the
files keep their bytes exactly, their names neutralised. Pure: the caller fetched the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gmail_mcp.content.charsets import decode_header
from gmail_mcp.content.compose import OutgoingAttachment, body_kind
from gmail_mcp.content.headers import neutralise
from gmail_mcp.content.htmlmd import html_to_markdown
from gmail_mcp.content.mimetree import decode_addresses, format_address, list_attachments
from gmail_mcp.models import MimePart

__all__ = ["FORWARD_MARKER", "Forward", "forward", "forward_subject"]

FORWARD_MARKER = "---------- Forwarded message ---------"
_FORWARD_PREFIX = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc)\s*:", re.I)
_MIME_TYPE = re.compile(r"[a-z0-9][\w.+-]*/[a-z0-9][\w.+-]*")
_BLOCK_HEADERS = ("From", "Date", "Subject", "To", "Cc")
_ADDRESS_HEADERS = frozenset({"From", "To", "Cc"})


@dataclass(frozen=True)
class Forward:
    """A forward ready to build: subject, body (and what it is written in) and the files."""

    subject: str
    body: str
    kind: Literal["text", "markdown"]
    attachments: tuple[OutgoingAttachment, ...]


def forward_subject(subject: str) -> str:
    """ "Fwd: " before the (neutralised) subject, unless it already says it is a forward."""
    plain = neutralise(subject)
    if _FORWARD_PREFIX.match(plain):
        return plain
    return f"Fwd: {plain}" if plain else "Fwd:"


def forward(original: MimePart, note: str, body: str, body_is_markdown: bool) -> Forward:
    """The forward of `original` (its parsed bytes) with `note` before it.

    `body` is the original as a person reads it (`extract_body(original, include_quoted=True)`),
    Markdown when `body_is_markdown` (an HTML email). The note may be plain text, Markdown or HTML
    (then carried as Markdown): the whole forward is Markdown when either part is, else plain text.
    """
    note_kind = body_kind(note) if note.strip() else "text"
    if note_kind == "html":
        note = html_to_markdown(note)
    kind: Literal["text", "markdown"] = "markdown" if body_is_markdown or note_kind != "text" else "text"
    block = "\n".join(
        f"{name}: {value}" for name in _BLOCK_HEADERS if (value := _header_line(original, name))
    )
    opening = f"{note.rstrip()}\n\n" if note.strip() else ""
    text = f"{opening}{FORWARD_MARKER}\n{block}\n\n{body.strip()}\n"
    return Forward(
        forward_subject(decode_header(original.header("Subject"))), text, kind, tuple(_files(original))
    )


def _header_line(original: MimePart, name: str) -> str:
    values = [header.value for header in original.headers if header.name.lower() == name.lower()]
    if name in _ADDRESS_HEADERS:
        mailboxes = [
            format_address(neutralise(display), neutralise(address))
            for value in values
            for display, address in decode_addresses(value)
        ]
        return ", ".join(mailboxes)
    return neutralise(decode_header(values[0])) if values else ""


def _files(original: MimePart) -> list[OutgoingAttachment]:
    """Every file the original carries (inline images and enclosed emails too), bytes unchanged."""
    parts = {part.part_id: part for part in original.walk()}
    files = []
    for info in list_attachments(original):
        mime_type = info.mime_type.lower()
        files.append(
            OutgoingAttachment(
                filename=neutralise(info.filename) or "attachment",
                data=parts[info.part_id].data or b"",
                # A type from the email is used only when it is plainly one; else guessed from the name.
                mime_type=mime_type if _MIME_TYPE.fullmatch(mime_type) else None,
            )
        )
    return files
