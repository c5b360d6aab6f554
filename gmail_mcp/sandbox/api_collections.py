"""Handlers for users.threads, users.drafts, users.labels and users.settings.sendAs (see `api_messages`
for the contract)."""

from __future__ import annotations

from gmail_mcp.sandbox.api_messages import Handler, Result, label_changes
from gmail_mcp.sandbox.apierror import invalid
from gmail_mcp.sandbox.call import Call, object_field
from gmail_mcp.sandbox.resources import (
    THREAD_FORMATS,
    Key,
    message_labels,
    message_ref,
    message_resource,
    paginate,
    parse_format,
    thread_labels,
    thread_resource,
)
from gmail_mcp.sandbox.store import StoredMessage

# ----- threads --------------------------------------------------------------------------------


def threads_list(call: Call) -> Result:
    """users.threads.list: threads with a matching message, by their newest matching message."""
    mailbox = call.mailbox
    found = mailbox.search(call.arg("q"), call.args("labelIds"), call.flag("includeSpamTrash"))
    newest: dict[str, StoredMessage] = {}
    for message in found:  # newest first, so the first seen is the thread's newest match
        newest.setdefault(message.thread_id, message)

    def key(thread_id: str) -> Key:
        return (newest[thread_id].internal_date_ms, thread_id)

    ordered = sorted(newest, key=key, reverse=True)
    page, token = paginate(ordered, key, call.count(), call.arg("pageToken"))
    out: dict[str, object] = {}
    if page:
        items = []
        for thread_id in page:
            messages = mailbox.thread(thread_id)
            history_id = max(m.history_id for m in messages)
            snippet = call.behaviour.snippet(messages[-1].snippet)
            items.append({"id": thread_id, "snippet": snippet, "historyId": str(history_id)})
        out["threads"] = items
    if token:
        out["nextPageToken"] = token
    out["resultSizeEstimate"] = len(ordered)
    return out


def threads_get(call: Call) -> Result:
    """users.threads.get: every message, oldest first, trash and spam included."""
    messages = call.mailbox.thread(call.params["id"])
    fmt = parse_format(call.arg("format"), THREAD_FORMATS)
    return thread_resource(call, messages, fmt, call.args("metadataHeaders"))


def threads_modify(call: Call) -> Result:
    """users.threads.modify: the label change applies to every message of the thread."""
    add, remove = label_changes(call)
    messages = call.mailbox.thread(call.params["id"])
    for message in messages:
        call.mailbox.modify(message, add, remove)
    return thread_labels(messages)


def threads_trash(call: Call) -> Result:
    """users.threads.trash."""
    messages = call.mailbox.thread(call.params["id"])
    for message in messages:
        call.mailbox.modify(message, ["TRASH"], [])
    return thread_labels(messages)


def threads_untrash(call: Call) -> Result:
    """users.threads.untrash."""
    messages = call.mailbox.thread(call.params["id"])
    for message in messages:
        call.mailbox.modify(message, [], ["TRASH"])
    return thread_labels(messages)


def threads_delete(call: Call) -> Result:
    """users.threads.delete: permanent."""
    for message in call.mailbox.thread(call.params["id"]):
        call.mailbox.delete(message)
    return None


# ----- drafts ---------------------------------------------------------------------------------


def _draft_summary(draft_id: str, message: StoredMessage) -> dict[str, object]:
    return {"id": draft_id, "message": message_labels(message)}


def drafts_list(call: Call) -> Result:
    """users.drafts.list: newest first, filtered by `q` like messages."""
    drafts = call.mailbox.drafts()
    by_message = {message.id: draft_id for draft_id, message in drafts.items()}
    found = [
        m for m in call.mailbox.search(call.arg("q"), [], call.flag("includeSpamTrash")) if m.id in by_message
    ]
    page, token = paginate(found, StoredMessage.sort_key, call.count(), call.arg("pageToken"))
    out: dict[str, object] = {}
    if page:
        out["drafts"] = [{"id": by_message[m.id], "message": message_ref(m)} for m in page]
    if token:
        out["nextPageToken"] = token
    out["resultSizeEstimate"] = len(found)
    return out


def drafts_get(call: Call) -> Result:
    """users.drafts.get: {id, message} with the message in the asked format."""
    message = call.mailbox.draft(call.params["id"])
    fmt = parse_format(call.arg("format"))
    return {"id": call.params["id"], "message": message_resource(call, message, fmt, [])}


def drafts_create(call: Call) -> Result:
    """users.drafts.create."""
    body = object_field(call.body, "message")
    raw = call.raw_message(body, "draft.message.raw")
    draft_id, message = call.mailbox.create_draft(
        raw, call.thread_id(body), searchable_at_ms=call.searchable_at_ms()
    )
    return _draft_summary(draft_id, message)


def drafts_update(call: Call) -> Result:
    """users.drafts.update: the message is replaced (it gets a new id)."""
    draft_id = call.params["id"]
    call.mailbox.draft(draft_id)  # 400/404 before looking at the body
    body = object_field(call.body, "message")
    raw = call.raw_message(body, "draft.message.raw")
    message = call.mailbox.update_draft(
        draft_id, raw, call.thread_id(body), searchable_at_ms=call.searchable_at_ms()
    )
    return _draft_summary(draft_id, message)


def drafts_send(call: Call) -> Result:
    """users.drafts.send: sends the draft (updated first when a message comes with the call)."""
    draft_id = call.body.get("id")
    if not isinstance(draft_id, str) or not draft_id:
        raise invalid("Invalid draft: the draft id is required")
    call.mailbox.draft(draft_id)
    body = object_field(call.body, "message")
    if call.media is not None or "raw" in body:
        raw = call.raw_message(body, "draft.message.raw")
        call.mailbox.update_draft(draft_id, raw, call.thread_id(body))
    message, envelope = call.mailbox.send_draft(
        draft_id,
        rewrite_message_id=call.behaviour.rewrite_message_id,
        searchable_at_ms=call.searchable_at_ms(),
    )
    call.on_sent(message, envelope)
    return message_labels(message)


def drafts_delete(call: Call) -> Result:
    """users.drafts.delete."""
    call.mailbox.delete_draft(call.params["id"])
    return None


# ----- labels ---------------------------------------------------------------------------------


def labels_list(call: Call) -> Result:
    """users.labels.list: no counts, as Gmail."""
    return {"labels": call.mailbox.labels.all_resources()}


def labels_get(call: Call) -> Result:
    """users.labels.get: the label with its message and thread counts."""
    resource = call.mailbox.labels.resource(call.params["id"])
    return {**resource, **call.mailbox.label_counts(str(resource["id"]))}


def labels_create(call: Call) -> Result:
    """users.labels.create."""
    return call.mailbox.labels.create(call.body).resource()


def _update(call: Call, *, patch: bool) -> Result:
    label = call.mailbox.labels.update(call.params["id"], call.body, patch=patch)
    call.mailbox.relabel_docs(label.id)
    return label.resource()


def labels_update(call: Call) -> Result:
    """users.labels.update (PUT: the whole label)."""
    return _update(call, patch=False)


def labels_patch(call: Call) -> Result:
    """users.labels.patch (only the given fields)."""
    return _update(call, patch=True)


def labels_delete(call: Call) -> Result:
    """users.labels.delete: also removes the label from every message."""
    call.mailbox.delete_label(call.params["id"])
    return None


# ----- settings -------------------------------------------------------------------------------


def send_as_list(call: Call) -> Result:
    """users.settings.sendAs.list: the primary address first, then the custom "from" addresses."""
    return {"sendAs": [entry.resource() for entry in call.mailbox.send_as.all()]}


def send_as_get(call: Call) -> Result:
    """users.settings.sendAs.get."""
    return call.mailbox.send_as.get(call.params["sendAsEmail"]).resource()


HANDLERS: dict[str, Handler] = {
    "gmail.users.threads.list": threads_list,
    "gmail.users.threads.get": threads_get,
    "gmail.users.threads.modify": threads_modify,
    "gmail.users.threads.trash": threads_trash,
    "gmail.users.threads.untrash": threads_untrash,
    "gmail.users.threads.delete": threads_delete,
    "gmail.users.drafts.list": drafts_list,
    "gmail.users.drafts.get": drafts_get,
    "gmail.users.drafts.create": drafts_create,
    "gmail.users.drafts.update": drafts_update,
    "gmail.users.drafts.send": drafts_send,
    "gmail.users.drafts.delete": drafts_delete,
    "gmail.users.labels.list": labels_list,
    "gmail.users.labels.get": labels_get,
    "gmail.users.labels.create": labels_create,
    "gmail.users.labels.update": labels_update,
    "gmail.users.labels.patch": labels_patch,
    "gmail.users.labels.delete": labels_delete,
    "gmail.users.settings.sendAs.list": send_as_list,
    "gmail.users.settings.sendAs.get": send_as_get,
}
