"""Tool results: the output schemas of the MCP tools, and how each field reads as text.

Field names follow spec/api-reference.md exactly (including its camelCase `threadId` and label
visibility fields); extra fields are additions the reference allows. `structuredContent` carries
these models as JSON; the text the model reads is rendered from them by `surface/render.py`.

How a field reads is declared on the field, with these markers (see render.py for the layout):

- `Token(key)`: a short value the server vouches for (an id, a date, a count, a label id, an
  enum), on its item's first line as `key=value`; `BARE`: the value alone (dates, labels), `ID`:
  the value alone, leading the line; on a `bool`, the flag's name in the text.
- `Said()`: a line in the server's own words, `key: value`.
- `Excerpt()`: a line of text from an email that previews its body (`> value`).
- `Body()`: multi-line text from an email, after a blank line.
- Unmarked `str` and `list[str]` fields are **text from an email** (`key: value` lines),
  unmarked `bool` fields are flags (their name, when true), numbers `key=value` tokens. A result holding any such text is
  fenced as untrusted. Leaving a new text field unmarked therefore fences it: the safe default.

`redundant()` names fields the text leaves out because another says the same (`threadId` equal to
the id); `structuredContent` keeps them.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


@dataclass(frozen=True)
class Token:
    """A short value the server vouches for, on its item's first line (`key=value`)."""

    key: str | None = None  # None: the field's wire name; "": the value alone
    lead: bool = False  # first on the line (the item's id)


BARE = Token("")
ID = Token("", lead=True)


@dataclass(frozen=True)
class Said:
    """A line in the server's own words, never text from an email."""


@dataclass(frozen=True)
class Excerpt:
    """A one-line preview of an email's body (Gmail's snippet), written `> value`."""


@dataclass(frozen=True)
class Body:
    """Multi-line text from an email: it closes its item, after a blank line."""


class Result(BaseModel):
    # Python names in code, the reference's names on the wire.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, defer_build=True)

    def redundant(self) -> set[str]:
        """Fields (Python names) the text leaves out because another field says the same."""
        return set()

    def image(self) -> tuple[bytes, str] | None:
        """An image the model sees after the text (MCP image content), with its MIME type; None
        for results without one. Never in `structuredContent`: the text says what it is."""
        return None


class EmailItem(Result):
    id: Annotated[str, ID]
    thread_id: Annotated[str, Token("thread")] = Field(alias="threadId")
    sender: str = Field("", alias="from")
    subject: str = ""
    date: Annotated[str, BARE] = ""
    snippet: Annotated[str, Excerpt()] = ""
    # System labels by id (INBOX), user labels by name (actions/labelnames): quoted when unsafe.
    labels: Annotated[list[str], BARE] = []
    unread: bool = False
    has_attachments: Annotated[bool, Token("attachments")] = False

    def redundant(self) -> set[str]:
        same_thread = {"thread_id"} if self.thread_id == self.id else set()
        return same_thread | ({"unread"} if "UNREAD" in self.labels else set())


class EmailList(Result):
    emails: list[EmailItem]
    next_page_token: Annotated[str | None, Token()] = None


class Attachment(Result):
    filename: str
    mime_type: Annotated[str, BARE]
    size: Annotated[int, Token()]
    attachment_id: Annotated[str, Token("id")]
    # Stable, unlike Gmail's attachment ids: download-attachment also takes it.
    part_id: Annotated[str, Token("part")] = ""


class Email(Result):
    subject: str
    sender: str = Field(alias="from")
    to: str
    cc: str = ""
    date: Annotated[str, BARE]
    content: Annotated[str, Body()]
    content_type: Annotated[Literal["text", "markdown", "html"], Token()]
    thread_id: Annotated[str, Token("thread")]
    message_id: Annotated[str, ID]
    labels: Annotated[list[str], BARE] = []  # as EmailItem's
    attachments: list[Attachment] | None = None
    next_offset: Annotated[int | None, Token()] = None
    note: Annotated[str, Said()] = ""  # the text part and the HTML differ: which one this is

    def redundant(self) -> set[str]:
        return {"thread_id"} if self.thread_id == self.message_id else set()


class ThreadMessage(Result):
    message_id: Annotated[str, ID]
    sender: str = Field(alias="from")
    to: str
    date: Annotated[str, BARE]
    content: Annotated[str, Body()]
    content_type: Annotated[Literal["text", "markdown", "html"], Token()]
    unread: bool = False
    attachments: list[Attachment] = []
    truncated: bool = False
    note: Annotated[str, Said()] = ""


class ThreadResult(Result):
    thread_id: Annotated[str, Token("thread")]
    subject: str
    messages: list[ThreadMessage]
    message_count: Annotated[int, Token("messages")]
    next_message_index: Annotated[int | None, Token()] = None


class SendResult(Result):
    status: Annotated[Literal["success"], BARE] = "success"
    message_id: Annotated[str, Token()]
    thread_id: Annotated[str, Token()]
    # The subject sent: a reply's is "Re: <thread subject>", whatever subject was asked for.
    subject: str = ""


class DraftResult(Result):
    status: Annotated[Literal["success"], BARE] = "success"
    draft_id: Annotated[str, Token()]
    message_id: Annotated[str, Token()]
    subject: str = ""  # the subject saved (a reply's: "Re: <thread subject>")


class Done(Result):
    """An action's outcome in words, for tools whose reference result is a message."""

    status: Annotated[Literal["success"], BARE] = "success"
    message: Annotated[str, Said()]


class OpenResult(Done):
    url: Annotated[str, Token()]


class DownloadResult(Done):
    path: str  # ends in the attachment's own (sanitised) file name: text from the email
    size: Annotated[int, Token()]
    mime_type: Annotated[str, Token()]
    filename: str = ""  # the attachment's own name (the saved file's may differ: never overwrites)


class AttachmentContent(Result):
    """What the attachment-reading tool returns: an attachment's text a piece at a time, or an image."""

    email_id: Annotated[str, Token("email")]
    part_id: Annotated[str, Token("part")]
    filename: str  # the attachment's own name: text from the email
    mime_type: Annotated[str, BARE]  # what the server found the file to be, not what the email claims
    size: Annotated[int, Token()]
    content_type: Annotated[Literal["text", "markdown", "image"], Token()]
    total_chars: Annotated[int | None, Token()] = None
    next_offset: Annotated[int | None, Token()] = None
    note: Annotated[str, Said()] = ""  # what was left out, or that an image follows
    content: Annotated[str, Body()] = ""
    _image: tuple[bytes, str] | None = PrivateAttr(default=None)

    def with_image(self, data: bytes) -> "AttachmentContent":
        """This result with `data` (an image of type `mime_type`) shown after its text."""
        self._image = (data, self.mime_type)
        return self

    def image(self) -> tuple[bytes, str] | None:
        return self._image


class LabelsChanged(Done):
    labels: list[str]  # names: anyone able to create a label chose them


class DraftMessage(Result):
    id: Annotated[str, Token("message")]
    thread_id: Annotated[str, Token("thread")] = Field("", alias="threadId")
    to: str = ""
    subject: str = ""
    date: Annotated[str, BARE] = ""
    snippet: Annotated[str, Excerpt()] = ""

    def redundant(self) -> set[str]:
        return {"thread_id"} if self.thread_id == self.id else set()


class DraftItem(Result):
    id: Annotated[str, Token("draft")]
    message: DraftMessage


class DraftList(Result):
    drafts: list[DraftItem]
    next_page_token: Annotated[str | None, Token()] = None


class LabelItem(Result):
    id: Annotated[str, ID]
    name: str  # user labels are named by whoever created them
    type: Annotated[Literal["system", "user"], BARE]
    message_list_visibility: Annotated[Literal["show", "hide"] | None, Token("message_list")] = Field(
        None, alias="messageListVisibility"
    )
    label_list_visibility: Annotated[
        Literal["labelShow", "labelShowIfUnread", "labelHide"] | None, Token("label_list")
    ] = Field(None, alias="labelListVisibility")

    def redundant(self) -> set[str]:
        return {"name"} if self.name == self.id else set()


class LabelList(Result):
    labels: list[LabelItem]


class AccountItem(Result):
    name: Annotated[str, ID]  # chosen by the person who started the server
    email: Annotated[str, Token()] = ""  # the login Gmail reports for it
    default: bool = False
    note: Annotated[str, Said()] = ""  # why its address is unknown (not logged in, ...)


class AccountList(Result):
    accounts: list[AccountItem]


class BulkResult(Done):
    """A change to many emails: how many, whether more remain, and (dry run) the first of them."""

    dry_run: bool = False
    count: Annotated[int, Token()]
    more: bool = False  # more emails match: call again with the same arguments
    estimate: Annotated[int | None, Token()] = None  # Gmail's estimate of all matches, when more
    added: list[str] = []  # label names (anyone able to create a label chose them)
    removed: list[str] = []
    emails: list[EmailItem] = []


class LabelResult(Done):
    id: Annotated[str, Token("label")]
    name: str  # user labels are named by whoever created them
    also: list[str] = []  # other labels created or renamed with it (parents, children): names
    emails: Annotated[int | None, Token()] = None  # a deleted label: how many emails carried it


class FilterItem(Result):
    id: Annotated[str, ID]
    # The criteria are whatever the filter's author wrote: text, fenced.
    sender: str = Field("", alias="from")
    to: str = ""
    subject: str = ""
    query: str = ""
    negated_query: str = ""
    has_attachment: bool = False
    size: Annotated[int | None, Token()] = None
    size_comparison: Annotated[Literal["smaller", "larger"] | None, Token()] = None
    add_labels: list[str] = []  # label names
    remove_labels: list[str] = []
    forward: str = ""


class FilterList(Result):
    filters: list[FilterItem]


class FilterResult(Done):
    id: Annotated[str, Token("filter")]
    applied: Annotated[int | None, Token()] = None  # existing emails it was applied to
    more: bool = False  # more existing emails match: continue with modify-emails
    search: str = ""  # the search the filter stands for (its author's words)


class LabelChangeItem(Result):
    id: Annotated[str, ID]
    thread_id: Annotated[str, Token("thread")] = Field(alias="threadId")
    added: list[str] = []  # label names
    removed: list[str] = []

    def redundant(self) -> set[str]:
        return {"thread_id"} if self.thread_id == self.id else set()


class ChangesResult(Done):
    """What changed since the last look."""

    since: Annotated[str, BARE] = ""  # when the last look was (empty on the first)
    new: list[EmailItem] = []
    changed: list[LabelChangeItem] = []
    deleted: Annotated[list[str], Token()] = []
    more: bool = False  # more changes: call again
    searched: bool = False  # the history was gone: `new` comes from a search since `since`
