"""Domain models shared by every backend, and nothing backend-specific.

`GmailClient` returns these, never raw Gmail JSON, so that a second backend (IMAP) can
implement the same methods. MIME interpretation of a `MimePart` tree lives in `mime.py`.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Header(_Frozen):
    name: str
    value: str


class MimePart(_Frozen):
    """One node of a message's MIME tree.

    `data` holds the part's body after transfer decoding (still in its own charset) when
    the backend returned it inline; otherwise `attachment_id` names it for a later fetch.
    """

    part_id: str = ""
    mime_type: str = "text/plain"
    filename: str = ""
    headers: tuple[Header, ...] = ()
    size: int = 0
    data: bytes | None = None
    attachment_id: str | None = None
    parts: tuple["MimePart", ...] = ()

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        lowered = name.lower()
        return next((h.value for h in self.headers if h.name.lower() == lowered), None)

    def walk(self) -> "list[MimePart]":
        """This part and every part below it, depth first, in document order."""
        found = [self]
        for child in self.parts:
            found.extend(child.walk())
        return found


# How a tool names an attachment by its part ("part:1.2") when there is no attachment id, or to
# find it again when the id it had is no longer valid.
PART_REFERENCE = "part:"


class AttachmentInfo(_Frozen):
    """An attachment (or inline image, or forwarded message) found in a MIME tree."""

    filename: str
    mime_type: str
    size: int
    attachment_id: str | None = None
    part_id: str = ""
    inline: bool = False
    content_id: str | None = None
    charset: str | None = None  # what its Content-Type declares (a text attachment's encoding)


class MessageSummary(_Frozen):
    """What a list shows of a message: headers and flags, no body."""

    id: str
    thread_id: str
    subject: str = ""
    sender: str = ""
    to: str = ""
    cc: str = ""
    date: str = ""
    snippet: str = ""
    label_ids: tuple[str, ...] = ()
    internal_date: datetime | None = None
    size_estimate: int = 0
    has_attachments: bool = False

    @property
    def unread(self) -> bool:
        return "UNREAD" in self.label_ids


class Message(MessageSummary):
    """A whole message: the summary plus its threading headers and MIME tree."""

    bcc: str = ""
    rfc822_message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    payload: MimePart = Field(default_factory=MimePart)


class MessagePage(_Frozen):
    messages: tuple[MessageSummary, ...]
    next_page_token: str | None = None
    result_size_estimate: int = 0


class MessageRef(_Frozen):
    """A message known only by its ids (what send, import and modify return)."""

    id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()


class Thread(_Frozen):
    id: str
    snippet: str = ""
    messages: tuple[Message, ...] = ()


class ThreadSummary(_Frozen):
    id: str
    snippet: str = ""


class ThreadPage(_Frozen):
    threads: tuple[ThreadSummary, ...]
    next_page_token: str | None = None
    result_size_estimate: int = 0


class Draft(_Frozen):
    id: str
    message: MessageSummary


class RawDraft(_Frozen):
    """A draft as the RFC 822 bytes Gmail would send, with its ids."""

    id: str
    message_id: str
    thread_id: str
    raw: bytes


class RawMessage(_Frozen):
    """A message as its exact RFC 822 bytes, with its ids (what a forward is built from)."""

    id: str
    thread_id: str
    raw: bytes


class DraftPage(_Frozen):
    drafts: tuple[Draft, ...]
    next_page_token: str | None = None
    result_size_estimate: int = 0


class Label(_Frozen):
    id: str
    name: str
    type: Literal["system", "user"] = "user"
    message_list_visibility: Literal["show", "hide"] | None = None
    label_list_visibility: Literal["labelShow", "labelShowIfUnread", "labelHide"] | None = None
    text_color: str | None = None
    background_color: str | None = None
    messages_total: int | None = None
    messages_unread: int | None = None


class Profile(_Frozen):
    email_address: str
    messages_total: int = 0
    threads_total: int = 0
    history_id: str = ""


class SendAs(_Frozen):
    """An address the account may send mail as (Gmail's "Send mail as"): its login, or a custom
    "from" address usable once `verified`; with the HTML signature Gmail keeps for it."""

    email: str
    display_name: str = ""
    signature: str = ""  # HTML, as Gmail stores it (Gmail itself adds it only in its web interface)
    primary: bool = False
    default: bool = False
    verified: bool = True


class IdPage(_Frozen):
    """One page of message ids, without details (what a bulk change needs)."""

    ids: tuple[str, ...]
    next_page_token: str | None = None
    result_size_estimate: int = 0


class HistoryEvent(_Frozen):
    """One change to one message, as the mailbox history records it."""

    history_id: int
    kind: Literal["added", "deleted", "labels_added", "labels_removed"]
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()  # the message's labels, when the record gives them
    changed: tuple[str, ...] = ()  # the labels added or removed


class HistoryPage(_Frozen):
    events: tuple[HistoryEvent, ...]
    next_page_token: str | None = None
    history_id: str = ""  # the mailbox's current history id


class FilterCriteria(_Frozen):
    """What a filter matches, as Gmail defines it (users.settings.filters)."""

    sender: str = ""  # Gmail's `from`
    to: str = ""  # To, Cc and Bcc
    subject: str = ""
    query: str = ""
    negated_query: str = ""
    has_attachment: bool = False
    exclude_chats: bool = False
    size: int | None = None
    size_comparison: Literal["smaller", "larger"] | None = None


class FilterAction(_Frozen):
    add_label_ids: tuple[str, ...] = ()
    remove_label_ids: tuple[str, ...] = ()
    forward: str = ""


class MailFilter(_Frozen):
    id: str
    criteria: FilterCriteria
    action: FilterAction
