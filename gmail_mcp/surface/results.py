"""Tool results: the output schemas of the MCP tools.

Field names follow spec/api-reference.md exactly (including its camelCase `threadId` and label
visibility fields); extra fields are additions the reference allows.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Result(BaseModel):
    # Python names in code, the reference's names on the wire.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class EmailItem(Result):
    id: str
    thread_id: str = Field(alias="threadId")
    sender: str = Field("", alias="from")
    subject: str = ""
    date: str = ""
    snippet: str = ""
    labels: list[str] = []
    unread: bool = False
    has_attachments: bool = False


class EmailList(Result):
    emails: list[EmailItem]
    next_page_token: str | None = None


class Attachment(Result):
    filename: str
    mime_type: str
    size: int
    attachment_id: str
    part_id: str = ""  # stable, unlike Gmail's attachment ids: download-attachment also takes it


class Email(Result):
    subject: str
    sender: str = Field(alias="from")
    to: str
    cc: str = ""
    date: str
    content: str
    content_type: Literal["text", "markdown", "html"]
    thread_id: str
    message_id: str
    labels: list[str] = []
    attachments: list[Attachment] | None = None
    next_offset: int | None = None


class ThreadMessage(Result):
    message_id: str
    sender: str = Field(alias="from")
    to: str
    date: str
    content: str
    content_type: Literal["text", "markdown", "html"]
    unread: bool = False
    attachments: list[Attachment] = []
    truncated: bool = False


class ThreadResult(Result):
    thread_id: str
    subject: str
    messages: list[ThreadMessage]
    message_count: int
    next_message_index: int | None = None


class SendResult(Result):
    status: Literal["success"] = "success"
    message_id: str
    thread_id: str


class DraftResult(Result):
    status: Literal["success"] = "success"
    draft_id: str
    message_id: str


class Done(Result):
    """An action's outcome in words, for tools whose reference result is a message."""

    status: Literal["success"] = "success"
    message: str


class OpenResult(Done):
    url: str


class DownloadResult(Done):
    path: str
    size: int
    mime_type: str
    filename: str = ""  # the attachment's own name (the saved file's may differ: never overwrites)


class LabelsChanged(Done):
    labels: list[str]


class DraftMessage(Result):
    id: str
    thread_id: str = Field("", alias="threadId")
    to: str = ""
    subject: str = ""
    date: str = ""
    snippet: str = ""


class DraftItem(Result):
    id: str
    message: DraftMessage


class DraftList(Result):
    drafts: list[DraftItem]
    next_page_token: str | None = None


class LabelItem(Result):
    id: str
    name: str
    type: Literal["system", "user"]
    message_list_visibility: Literal["show", "hide"] | None = Field(None, alias="messageListVisibility")
    label_list_visibility: Literal["labelShow", "labelShowIfUnread", "labelHide"] | None = Field(
        None, alias="labelListVisibility"
    )


class LabelList(Result):
    labels: list[LabelItem]
