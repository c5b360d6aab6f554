"""Gmail's JSON resources (Message, Thread, Draft) and its list paging, built from the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from gmail_mcp.sandbox.apierror import invalid
from gmail_mcp.sandbox.call import Call
from gmail_mcp.sandbox.payload import b64url, metadata_json, part_json
from gmail_mcp.sandbox.store import StoredMessage

MESSAGE_FORMATS = ("full", "metadata", "minimal", "raw")
THREAD_FORMATS = ("full", "metadata", "minimal")

T = TypeVar("T")
Key = tuple[int, str]


def parse_format(value: str | None, allowed: Sequence[str] = MESSAGE_FORMATS) -> str:
    """The `format` parameter (case-insensitive, default full); 400 for anything else."""
    if value is None or value == "":
        return "full"
    lowered = value.lower()
    if lowered not in allowed:
        raise invalid(
            f"Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), \"{value}\""
        )
    return lowered


def message_ref(message: StoredMessage) -> dict[str, object]:
    """{id, threadId}: what lists return."""
    return {"id": message.id, "threadId": message.thread_id}


def message_labels(message: StoredMessage) -> dict[str, object]:
    """{id, threadId, labelIds}: what modify, trash and send return (labelIds omitted when none)."""
    out = message_ref(message)
    if message.label_ids:
        out["labelIds"] = sorted(message.label_ids)
    return out


def message_resource(
    call: Call, message: StoredMessage, fmt: str, metadata_headers: list[str]
) -> dict[str, object]:
    """A Message in one of Gmail's formats, keys in Gmail's order (attachment ids issued afresh)."""
    out = message_labels(message)
    out["snippet"] = call.behaviour.snippet(message.snippet)
    if fmt in ("full", "metadata"):
        root = call.mailbox.parsed(message).root
        if fmt == "full":
            ids = call.ids()
            out["payload"] = part_json(root, lambda part_id: ids.issue(message.id, part_id))
        else:
            out["payload"] = metadata_json(root, metadata_headers)
    out["sizeEstimate"] = len(message.raw)
    if fmt == "raw":
        out["raw"] = b64url(message.raw)
    out["historyId"] = str(message.history_id)
    out["internalDate"] = str(message.internal_date_ms)
    return out


def thread_resource(
    call: Call, messages: list[StoredMessage], fmt: str, metadata_headers: list[str]
) -> dict[str, object]:
    """A Thread with its messages oldest first."""
    return {
        "id": messages[0].thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [message_resource(call, m, fmt, metadata_headers) for m in messages],
    }


def thread_labels(messages: list[StoredMessage]) -> dict[str, object]:
    """What threads.modify/trash/untrash return."""
    return {
        "id": messages[0].thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [message_labels(m) for m in messages],
    }


def encode_token(key: Key) -> str:
    """A page token: the sort key of the last item served, as digits (Gmail's are numeric)."""
    when, item_id = key
    return f"{max(when, 0):015d}{int(item_id, 16):020d}"


def _decode_token(token: str) -> Key:
    if len(token) != 35 or not token.isdigit():
        raise invalid("Invalid pageToken")
    return int(token[:15]), f"{int(token[15:]):016x}"


def paginate(
    items: list[T], key: Callable[[T], Key], page_size: int, token: str | None
) -> tuple[list[T], str | None]:
    """One page of items sorted newest first; the token resumes after the last item served, so
    mail arriving between pages does not shift what comes next."""
    if token:
        after = _decode_token(token)
        items = [item for item in items if key(item) < after]
    page = items[:page_size]
    more = len(items) > page_size
    return page, encode_token(key(page[-1])) if more and page else None
