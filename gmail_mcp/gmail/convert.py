"""Gmail API JSON → domain models. The only module that knows Gmail's field names."""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal, cast

# Not the `mime` facade: summaries need only these, and the facade brings the HTML and writing code.
from gmail_mcp.content.charsets import clean_text, decode_header
from gmail_mcp.content.mimetree import list_attachments
from gmail_mcp.errors import UpstreamError
from gmail_mcp.models import (
    Draft,
    FilterAction,
    FilterCriteria,
    Header,
    HistoryEvent,
    HistoryPage,
    Label,
    MailFilter,
    Message,
    MessageRef,
    MessageSummary,
    MimePart,
    Profile,
    SendAs,
    Thread,
)

# Multipart levels below the root a list looks into for attachments; real mail nests three or four
# (mixed > related > alternative > text). Below that the selection asks only whether there are parts.
SUMMARY_PART_DEPTH = 6


def _part_fields(depth: int) -> str:
    own = "mimeType,filename,headers,body/size"
    return f"{own},parts({_part_fields(depth - 1)})" if depth else f"{own},parts/mimeType"


# What a list needs of each message: a format=full answer reduced by Google's `fields` selection to
# the headers and the MIME structure, without body data. It costs the quota of format=metadata
# (Gmail charges messages.get the same whatever the format), and the structure says exactly which
# attachments a read of the message will list, where metadata's headers allow only a guess from the top-level
# Content-Type. Every header of the message comes too (metadataHeaders exists only for
# format=metadata): a few KB more per message on the wire, no more calls and no more units.
SUMMARY_FIELDS = (
    f"id,threadId,labelIds,snippet,internalDate,sizeEstimate,payload({_part_fields(SUMMARY_PART_DEPTH)})"
)
# What a reply (to all) needs of the message it answers.
THREADING_HEADERS = (
    *("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "References", "In-Reply-To"),
)

JSON = dict[str, Any]


def snippet(text: str) -> str:
    """Gmail's snippets carry HTML entities (&#39;); the model wants the characters."""
    return clean_text(html.unescape(text))


def b64url_decode(data: str) -> bytes:
    """Gmail's base64url, with or without padding; never raises."""
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


_DATA_MEMBER = re.compile(rb'"data"\s*:\s*"')
_B64URL = re.compile(rb"[A-Za-z0-9_-]*={0,2}")
_TO_STANDARD_ALPHABET = bytes.maketrans(b"-_", b"+/")
_SKELETON_MAX = 64 * 1024  # an attachments.get answer without its data is a few hundred bytes
DECODE_PIECE = 1 << 18  # base64 characters decoded at a time (a multiple of 4)


def attachment_pieces(body: bytes) -> Iterator[bytes]:
    """The file in the raw JSON body of an attachments.get answer, decoded a piece at a time.

    `json.loads` would hold the body, its text and the base64 string at once (4x the file before
    decoding even starts); here the base64 is decoded straight out of the body, so the body plus
    one piece is all the memory used. The value is found without a parser of our own: the JSON
    module must read the rest of the document with the value taken out, as an object whose
    "data" is then empty, and the value must be plain base64url (no escapes).

    Raises:
        UpstreamError: the body is not JSON.
    """
    span = _data_span(body)
    if span is None:  # not the usual shape: the ordinary way, more memory for the same answer
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise UpstreamError(f"Gmail's answer for an attachment was not JSON ({exc}).") from exc
        yield b64url_decode(answer.get("data", "") if isinstance(answer, dict) else "")
        return
    start, end = span
    view = memoryview(body)
    for offset in range(start, end, DECODE_PIECE):
        piece = view[offset : min(offset + DECODE_PIECE, end)].tobytes().translate(_TO_STANDARD_ALPHABET)
        if len(piece) % 4:  # the last piece of unpadded base64
            piece += b"=" * (-len(piece) % 4)
        yield binascii.a2b_base64(piece)


def _data_span(body: bytes) -> tuple[int, int] | None:
    """Where the value of the top-level "data" member lies in `body`, if the document says so."""
    for match in _DATA_MEMBER.finditer(body):
        start = match.end()
        end = body.find(b'"', start)
        if end < 0 or len(body) - (end - start) > _SKELETON_MAX:
            continue
        try:
            skeleton = json.loads(body[:start] + body[end:])
        except ValueError:
            continue
        if (
            isinstance(skeleton, dict)
            and skeleton.get("data") == ""
            and _B64URL.fullmatch(memoryview(body)[start:end])
        ):
            return start, end
    return None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def part_from_json(part: JSON) -> MimePart:
    body = part.get("body") or {}
    data = body.get("data")
    return MimePart(
        part_id=part.get("partId", ""),
        mime_type=(part.get("mimeType") or "text/plain").lower(),
        filename=decode_header(part.get("filename") or ""),
        headers=tuple(
            Header(name=h.get("name", ""), value=h.get("value", "")) for h in part.get("headers", [])
        ),
        size=int(body.get("size") or 0),
        data=b64url_decode(data) if data is not None else None,
        attachment_id=body.get("attachmentId"),
        parts=tuple(part_from_json(child) for child in part.get("parts", [])),
    )


def _headers(payload: JSON) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in payload.get("headers", []):
        found.setdefault(header.get("name", "").lower(), header.get("value", ""))
    return found


def _internal_date(message: JSON) -> datetime | None:
    raw = message.get("internalDate")
    if raw is None:
        return None
    try:
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def has_attachments(payload: JSON, root: MimePart, *, structure: bool = True) -> bool:
    """Whether a read of the message lists any attachment: `mime.list_attachments` of the MIME structure.

    `payload` is a format=full answer's, whole or reduced to its structure (`SUMMARY_FIELDS`), and
    `root` the same converted. Without the structure (`structure` False: format=metadata), below the depth the selection
    looks into, and where a multipart came back unsplit with its body as data (mail whose boundary
    never appears: a read's recovering parser looks into the data, which a list does not
    fetch), the answer is a guess from the top-level type.
    """
    if structure and not _cut_off(payload, SUMMARY_PART_DEPTH) and not _unsplit(root):
        return bool(list_attachments(root))
    return _guessed_attachments(root)


def _cut_off(part: JSON, depth: int) -> bool:
    """Whether parts lie more than `depth` levels below `part` (the selection holds only their type)."""
    children = part.get("parts") or []
    return bool(children) and (depth == 0 or any(_cut_off(child, depth - 1) for child in children))


def _unsplit(root: MimePart) -> bool:
    return any(p.mime_type.startswith("multipart/") and not p.parts and p.size for p in root.walk())


def _guessed_attachments(root: MimePart) -> bool:
    """Has-attachments from the top-level type alone: multipart/mixed (and report) is how mail
    carries files, a message that is one file (a PDF sent bare) is one; multipart/alternative
    and related are one body's renderings and their images."""
    kind = root.mime_type
    if kind in ("multipart/mixed", "multipart/report"):
        return True
    return not kind.startswith(("text/", "multipart/"))


def summary_from_json(message: JSON, *, structure: bool = True) -> MessageSummary:
    """A list's view of a message (`structure`: see `has_attachments`)."""
    payload = message.get("payload") or {}
    return _summary(message, part_from_json(payload) if payload else None, structure)


def _summary(message: JSON, root: MimePart | None, structure: bool) -> MessageSummary:
    payload = message.get("payload") or {}
    headers = _headers(payload)
    return MessageSummary(
        id=message["id"],
        thread_id=str(message.get("threadId") or message["id"]),
        subject=decode_header(headers.get("subject")),
        sender=decode_header(headers.get("from")),
        to=decode_header(headers.get("to")),
        cc=decode_header(headers.get("cc")),
        date=decode_header(headers.get("date")),
        snippet=snippet(message.get("snippet", "")),
        label_ids=tuple(message.get("labelIds", [])),
        internal_date=_internal_date(message),
        size_estimate=int(message.get("sizeEstimate") or 0),
        has_attachments=has_attachments(payload, root, structure=structure) if root else False,
    )


def message_from_json(message: JSON, *, structure: bool = True) -> Message:
    """A whole message (format=full), or its headers (format=metadata: `structure` False)."""
    payload_json = message.get("payload") or {}
    headers = _headers(payload_json)
    root = part_from_json(payload_json) if payload_json else None
    return Message(
        **_summary(message, root, structure).model_dump(),
        bcc=decode_header(headers.get("bcc")),
        rfc822_message_id=headers.get("message-id", "").strip(),
        in_reply_to=headers.get("in-reply-to", "").strip(),
        references=" ".join(headers.get("references", "").split()),
        payload=root or MimePart(),
    )


def ref_from_json(message: JSON) -> MessageRef:
    return MessageRef(
        id=message["id"],
        thread_id=str(message.get("threadId") or message["id"]),
        label_ids=tuple(message.get("labelIds", [])),
    )


def draft_from_json(draft: JSON) -> Draft:
    message = draft.get("message") or {}
    summary = summary_from_json({"id": message.get("id", ""), **message})
    return Draft(id=draft["id"], message=summary)


def thread_from_json(thread: JSON, *, structure: bool = True) -> Thread:
    return Thread(
        id=thread["id"],
        snippet=snippet(thread.get("snippet", "")),
        messages=tuple(message_from_json(m, structure=structure) for m in thread.get("messages", [])),
    )


def label_from_json(label: JSON) -> Label:
    color = label.get("color") or {}
    kind = "system" if label.get("type") == "system" else "user"
    return Label(
        id=label["id"],
        name=str(label.get("name") or label["id"]),
        type=cast(Literal["system", "user"], kind),
        message_list_visibility=label.get("messageListVisibility"),
        label_list_visibility=label.get("labelListVisibility"),
        text_color=color.get("textColor"),
        background_color=color.get("backgroundColor"),
        messages_total=label.get("messagesTotal"),
        messages_unread=label.get("messagesUnread"),
    )


def profile_from_json(profile: JSON) -> Profile:
    return Profile(
        email_address=profile.get("emailAddress", ""),
        messages_total=int(profile.get("messagesTotal") or 0),
        threads_total=int(profile.get("threadsTotal") or 0),
        history_id=str(profile.get("historyId", "")),
    )


def send_as_from_json(entry: JSON) -> SendAs:
    """A users.settings.sendAs resource (Google leaves out empty and false fields)."""
    primary = bool(entry.get("isPrimary"))
    return SendAs(
        email=str(entry.get("sendAsEmail", "")),
        display_name=str(entry.get("displayName") or ""),
        signature=str(entry.get("signature") or ""),
        primary=primary,
        default=bool(entry.get("isDefault")),
        # The login needs no verification; a custom address is usable once its owner accepted it.
        verified=primary or entry.get("verificationStatus") == "accepted",
    )


_HISTORY_KINDS = {
    "messagesAdded": "added",
    "messagesDeleted": "deleted",
    "labelsAdded": "labels_added",
    "labelsRemoved": "labels_removed",
}


def history_from_json(answer: JSON) -> HistoryPage:
    """A history.list answer as one event per change, in the order Gmail lists them."""
    events = []
    for record in answer.get("history", []):
        history_id = int(record.get("id") or 0)
        for key, kind in _HISTORY_KINDS.items():
            for entry in record.get(key, []):
                message = entry.get("message") or {}
                if not message.get("id"):
                    continue
                events.append(
                    HistoryEvent(
                        history_id=history_id,
                        kind=cast(Any, kind),
                        message_id=str(message["id"]),
                        thread_id=str(message.get("threadId") or message["id"]),
                        label_ids=tuple(message.get("labelIds", [])),
                        changed=tuple(entry.get("labelIds", [])),
                    )
                )
    return HistoryPage(
        events=tuple(events),
        next_page_token=answer.get("nextPageToken"),
        history_id=str(answer.get("historyId", "")),
    )


def filter_from_json(found: JSON) -> MailFilter:
    criteria = found.get("criteria") or {}
    action = found.get("action") or {}
    comparison = criteria.get("sizeComparison")
    return MailFilter(
        id=str(found.get("id", "")),
        criteria=FilterCriteria(
            sender=str(criteria.get("from") or ""),
            to=str(criteria.get("to") or ""),
            subject=str(criteria.get("subject") or ""),
            query=str(criteria.get("query") or ""),
            negated_query=str(criteria.get("negatedQuery") or ""),
            has_attachment=bool(criteria.get("hasAttachment")),
            exclude_chats=bool(criteria.get("excludeChats")),
            size=criteria.get("size") if comparison in ("smaller", "larger") else None,
            size_comparison=comparison if comparison in ("smaller", "larger") else None,
        ),
        action=FilterAction(
            add_label_ids=tuple(action.get("addLabelIds", [])),
            remove_label_ids=tuple(action.get("removeLabelIds", [])),
            forward=str(action.get("forward") or ""),
        ),
    )


def filter_to_json(criteria: FilterCriteria, action: FilterAction) -> JSON:
    """A Filter request body, with only the fields that say something."""
    wire = {
        "from": criteria.sender,
        "to": criteria.to,
        "subject": criteria.subject,
        "query": criteria.query,
        "negatedQuery": criteria.negated_query,
        "hasAttachment": criteria.has_attachment,
        "excludeChats": criteria.exclude_chats,
        "size": criteria.size,
        "sizeComparison": criteria.size_comparison,
    }
    acts = {
        "addLabelIds": list(action.add_label_ids),
        "removeLabelIds": list(action.remove_label_ids),
        "forward": action.forward,
    }
    return {
        # By identity: a size of 0 is said (0 == False would drop it, leaving sizeComparison alone).
        "criteria": {k: v for k, v in wire.items() if v is not None and v is not False and v != ""},
        "action": {k: v for k, v in acts.items() if v not in ("", [])},
    }
