"""Handlers for users.messages, attachments, getProfile and history.list.

Each handler takes a `Call` (the caller holds the mailbox lock) and returns the JSON object Gmail
answers with, or None for Gmail's empty 204 answers.
"""

from __future__ import annotations

from collections.abc import Callable

from gmail_mcp.sandbox.apierror import invalid, not_found
from gmail_mcp.sandbox.call import Call
from gmail_mcp.sandbox.history import HISTORY_TYPES, select
from gmail_mcp.sandbox.payload import b64url
from gmail_mcp.sandbox.resources import message_labels, message_ref, message_resource, paginate, parse_format
from gmail_mcp.sandbox.store import StoredMessage

Result = dict[str, object] | None
Handler = Callable[[Call], Result]


def get_profile(call: Call) -> Result:
    """users.getProfile."""
    mailbox = call.mailbox
    return {
        "emailAddress": mailbox.owner,
        "messagesTotal": len(mailbox.all_messages()),
        "threadsTotal": mailbox.thread_count(),
        "historyId": str(mailbox.history_id),
    }


def messages_list(call: Call) -> Result:
    """users.messages.list: newest first; no `messages` key at all when nothing matches."""
    found = call.mailbox.search(call.arg("q"), call.args("labelIds"), call.flag("includeSpamTrash"))
    page, token = paginate(found, StoredMessage.sort_key, call.count(), call.arg("pageToken"))
    out: dict[str, object] = {}
    if page:
        out["messages"] = [message_ref(m) for m in page]
    if token:
        out["nextPageToken"] = token
    out["resultSizeEstimate"] = len(found)
    return out


def messages_get(call: Call) -> Result:
    """users.messages.get in any format."""
    message = call.mailbox.message(call.params["id"])
    fmt = parse_format(call.arg("format"))
    return message_resource(call, message, fmt, call.args("metadataHeaders"))


def attachments_get(call: Call) -> Result:
    """users.messages.attachments.get: 400 for an id that is unknown, expired or of another message."""
    message = call.mailbox.message(call.params["messageId"])
    part = call.ids().part_for(message.id, call.params["id"], call.mailbox.parsed(message).root)
    if part is None:
        raise invalid("Invalid attachment token")
    return {"attachmentId": call.params["id"], "size": len(part.data), "data": b64url(part.data)}


def messages_send(call: Call) -> Result:
    """users.messages.send."""
    raw = call.raw_message(call.body, "raw")
    message, envelope = call.mailbox.send(
        raw,
        call.thread_id(call.body),
        rewrite_message_id=call.behaviour.rewrite_message_id,
        searchable_at_ms=call.searchable_at_ms(),
    )
    call.on_sent(message, envelope)
    return message_labels(message)


def _date_source(call: Call, default: str) -> str:
    value = call.arg("internalDateSource") or default
    if value not in ("receivedTime", "dateHeader"):
        raise invalid(f"Invalid value at 'internal_date_source', \"{value}\"")
    return value


def _store_incoming(call: Call, default_source: str) -> Result:
    raw = call.raw_message(call.body, "raw")
    labels = call.label_list(call.body, "labelIds")
    for ignored in ("deleted", "neverMarkSpam", "processForCalendar"):
        call.flag(ignored)  # validated, but they change nothing in a sandbox
    when = call.mailbox.now_ms() if _date_source(call, default_source) == "receivedTime" else None
    message = call.mailbox.add(
        raw, labels, when, thread_id=call.thread_id(call.body), searchable_at_ms=call.searchable_at_ms()
    )
    return message_labels(message)


def messages_insert(call: Call) -> Result:
    """users.messages.insert: stored as given (no spam check, no sending)."""
    return _store_incoming(call, "receivedTime")


def messages_import(call: Call) -> Result:
    """users.messages.import: like a delivery; the date comes from the Date header by default."""
    return _store_incoming(call, "dateHeader")


def label_changes(call: Call) -> tuple[list[str], list[str]]:
    """The addLabelIds and removeLabelIds of a modify body, validated: SENT and DRAFT follow what
    happened to a message (it was sent, it is a draft) and cannot be added or removed."""
    add = call.label_list(call.body, "addLabelIds")
    remove = call.label_list(call.body, "removeLabelIds")
    if set(add) & set(remove):
        raise invalid("A label cannot be both added and removed")
    for fixed in ("SENT", "DRAFT"):
        if fixed in add or fixed in remove:
            raise invalid(f"Invalid label: {fixed}")
    return add, remove


def messages_modify(call: Call) -> Result:
    """users.messages.modify."""
    add, remove = label_changes(call)
    message = call.mailbox.message(call.params["id"])
    call.mailbox.modify(message, add, remove)
    return message_labels(message)


def messages_trash(call: Call) -> Result:
    """users.messages.trash."""
    message = call.mailbox.message(call.params["id"])
    call.mailbox.modify(message, ["TRASH"], [])
    return message_labels(message)


def messages_untrash(call: Call) -> Result:
    """users.messages.untrash."""
    message = call.mailbox.message(call.params["id"])
    call.mailbox.modify(message, [], ["TRASH"])
    return message_labels(message)


def messages_delete(call: Call) -> Result:
    """users.messages.delete: permanent."""
    call.mailbox.delete(call.mailbox.message(call.params["id"]))
    return None


def messages_batch_modify(call: Call) -> Result:
    """users.messages.batchModify: up to 1,000 ids; unknown ids are skipped."""
    add, remove = label_changes(call)
    if not add and not remove:
        raise invalid("No label add or removes specified")
    for message in call.mailbox.require_message_ids(call.body.get("ids", [])):
        call.mailbox.modify(message, add, remove)
    return None


def messages_batch_delete(call: Call) -> Result:
    """users.messages.batchDelete: permanent, up to 1,000 ids."""
    for message in call.mailbox.require_message_ids(call.body.get("ids", [])):
        call.mailbox.delete(message)
    return None


def history_list(call: Call) -> Result:
    """users.history.list: records after startHistoryId, oldest first; 404 once the history from
    that start has been forgotten (`Behaviour.history_retention_s`)."""
    start_text = call.arg("startHistoryId")
    if not start_text:
        raise invalid("Missing required parameter: startHistoryId")
    if not start_text.isdigit():
        raise invalid(f"Invalid value at 'start_history_id' (TYPE_UINT64), \"{start_text}\"")
    retention = call.behaviour.history_retention_s
    if retention is not None:
        call.mailbox.trim_history(call.mailbox.now_ms() - int(retention * 1000))
    if int(start_text) <= call.mailbox.history_floor:
        raise not_found()
    kinds = set(call.args("historyTypes"))
    unknown = kinds - set(HISTORY_TYPES)
    if unknown:
        raise invalid(f"Invalid value at 'history_types', \"{sorted(unknown)[0]}\"")
    label = call.arg("labelId")
    label_id = call.mailbox.labels.require([label])[0] if label else None
    records = select(call.mailbox.history(), int(start_text), kinds, label_id)
    token = call.arg("pageToken")
    if token:
        if not token.isdigit():
            raise invalid("Invalid pageToken")
        records = [r for r in records if r.id >= int(token)]
    size = call.count()
    page = records[:size]
    out: dict[str, object] = {}
    if page:
        out["history"] = [r.resource() for r in page]
    if len(records) > size:
        out["nextPageToken"] = str(records[size].id)
    out["historyId"] = str(call.mailbox.history_id)
    return out


HANDLERS: dict[str, Handler] = {
    "gmail.users.getProfile": get_profile,
    "gmail.users.messages.list": messages_list,
    "gmail.users.messages.get": messages_get,
    "gmail.users.messages.attachments.get": attachments_get,
    "gmail.users.messages.send": messages_send,
    "gmail.users.messages.insert": messages_insert,
    "gmail.users.messages.import": messages_import,
    "gmail.users.messages.modify": messages_modify,
    "gmail.users.messages.trash": messages_trash,
    "gmail.users.messages.untrash": messages_untrash,
    "gmail.users.messages.delete": messages_delete,
    "gmail.users.messages.batchModify": messages_batch_modify,
    "gmail.users.messages.batchDelete": messages_batch_delete,
    "gmail.users.history.list": history_list,
}
