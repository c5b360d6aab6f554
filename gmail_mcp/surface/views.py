"""Domain models → tool results: dates, list items, readable bodies in bounded pieces."""

from __future__ import annotations

import email.utils
from datetime import datetime
from typing import TYPE_CHECKING

from gmail_mcp.lazy import lazy_module

if TYPE_CHECKING:
    from gmail_mcp.content import mime
    from gmail_mcp.models import AttachmentInfo, Draft, Label, Message, MessageSummary
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail
from gmail_mcp.surface.results import Attachment, DraftItem, DraftMessage, EmailItem, LabelItem


def iso_date(header: str, fallback: datetime | None) -> str:
    """The Date header as ISO 8601 with its own offset; Gmail's receive time when it is unreadable."""
    if header:
        try:
            return email.utils.parsedate_to_datetime(header).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return fallback.isoformat() if fallback else header


def email_item(summary: MessageSummary) -> EmailItem:
    return EmailItem(
        id=summary.id,
        thread_id=summary.thread_id,
        sender=summary.sender,
        subject=summary.subject,
        date=iso_date(summary.date, summary.internal_date),
        snippet=summary.snippet,
        labels=list(summary.label_ids),
        unread=summary.unread,
        has_attachments=summary.has_attachments,
    )


def draft_item(draft: Draft) -> DraftItem:
    message = draft.message
    return DraftItem(
        id=draft.id,
        message=DraftMessage(
            id=message.id,
            thread_id=message.thread_id,
            to=message.to,
            subject=message.subject,
            date=iso_date(message.date, message.internal_date),
            snippet=message.snippet,
        ),
    )


def label_item(label: Label) -> LabelItem:
    return LabelItem(
        id=label.id,
        name=label.name,
        type=label.type,
        message_list_visibility=label.message_list_visibility,
        label_list_visibility=label.label_list_visibility,
    )


PART_REF = "part:"  # attachment id for a part Gmail returned inline, without an attachment id


def attachment(info: AttachmentInfo) -> Attachment:
    """An attachment as the tools list it; every one can be downloaded by its id."""
    return Attachment(
        filename=info.filename,
        mime_type=info.mime_type,
        size=info.size,
        attachment_id=info.attachment_id or PART_REF + info.part_id,
    )


def attachments(message: Message) -> list[Attachment]:
    return [attachment(info) for info in mime.list_attachments(message.payload)]


def inline_part_data(message: Message, attachment_id: str) -> bytes | None:
    """The bytes of an attachment listed by part reference (Gmail sent them inline), else None."""
    if not attachment_id.startswith(PART_REF):
        return None
    part_id = attachment_id.removeprefix(PART_REF)
    return next((p.data for p in message.payload.walk() if p.part_id == part_id and p.data is not None), None)


MIN_CHARS, MAX_CHARS = 1_000, 100_000


def clamp_chars(requested: int) -> int:
    """A per-call character budget within sane bounds (a smaller or larger ask is adjusted, not refused)."""
    return max(MIN_CHARS, min(requested, MAX_CHARS))


def page(text: str, offset: int, max_chars: int) -> tuple[str, int | None]:
    """`text[offset:]` cut to at most `max_chars`, at a line or word end when one is near.

    Returns the piece and the offset to continue from, or None when the piece reaches the end.
    """
    offset = max(0, min(offset, len(text)))
    end = offset + max_chars
    if end >= len(text):
        return text[offset:], None
    # Prefer not to split a line, a word or a link: look back over the last tenth of the piece.
    floor = offset + max_chars * 9 // 10
    for separator in ("\n", " "):
        cut = text.rfind(separator, floor, end)
        if cut != -1:
            end = cut + 1
            break
    return text[offset:end], end
