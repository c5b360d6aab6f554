"""The tools' parameters: each type says in one line what it accepts, with its bounds in the schema.

A model reads these lines (and nothing else about a parameter) before its first call, so each
says what to pass and where the value comes from, never the parameter's name again. Bounds are
`minimum`/`maximum` in the schema, and a value outside them is refused as INVALID_PARAMS naming
the bound (pydantic's message), never adjusted. Every word here is paid by every agent on every
turn (`tools/list` budgets: tests/test_params.py): keep them short.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from gmail_mcp.config import DEFAULT_MAX_FILES_PER_CALL, DEFAULT_MAX_RESULTS_CAP
from gmail_mcp.surface.names import Tool

# Characters of body per call of the tools that read mail.
MIN_CHARS, MAX_CHARS = 1_000, 100_000


def _given(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("is empty: take it from a list, search or read result")
    return value


# Ids: never empty, a rule checked here but not written in the schema (14 bytes an id, every turn).
NotEmpty = AfterValidator(_given)
EmailId = Annotated[str, NotEmpty, Field(description="From a list or search")]
ThreadId = Annotated[str, NotEmpty, Field(description="threadId of a listed email")]
ReplyTo = Annotated[str | None, NotEmpty, Field(description="threadId or email id to reply to")]
DraftId = Annotated[str, NotEmpty, Field(description=f"From {Tool.LIST_DRAFTS} or {Tool.CREATE_DRAFT}")]

Query = Annotated[str, Field(description="Gmail search syntax")]
MoreTerms = Annotated[str | None, Field(description="More search terms, e.g. from:ana")]
Page = Annotated[int, Field(ge=1, le=DEFAULT_MAX_RESULTS_CAP, description="Items per page")]
PageToken = Annotated[str | None, Field(description="From next_page_token")]

To = Annotated[str, Field(description="Addresses, comma-separated")]
Cc = Annotated[str | None, Field(description="Addresses, comma-separated")]
Bcc = Annotated[str | None, Field(description="Addresses, comma-separated")]
Subject = Annotated[str, Field(description="Replies get 'Re: <thread subject>'")]
Message = Annotated[str, Field(description="Plain text, Markdown or HTML")]

Offset = Annotated[int, Field(ge=0, description="From next_offset")]
Chars = Annotated[int, Field(ge=MIN_CHARS, le=MAX_CHARS, description="Characters per call")]
Format = Annotated[
    Literal["auto", "text", "html"],
    Field(description="auto: HTML as Markdown, text: text part, html: raw HTML"),
]
Quoted = Annotated[bool, Field(description="Unfold quoted earlier messages")]
Start = Annotated[int, Field(ge=0, description="From next_message_index")]

AttachmentRef = Annotated[str, NotEmpty, Field(description="attachment_id, part_id or filename")]
# An empty path is refused by the jail, with the allowed folders in the error.
SavePath = Annotated[str, Field(description="Relative to the download folder")]
AttachmentPaths = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=DEFAULT_MAX_FILES_PER_CALL,
        description="Files in the attachment folders (errors list them)",
    ),
]
Labels = Annotated[list[str], Field(description="Names or ids (INBOX, STARRED, UNREAD too)")]
CreateMissing = Annotated[bool, Field(description="Create add_labels that do not exist")]

# update-draft: each replaces the draft's own; left out, it is kept.
NewTo = Annotated[str | None, Field(description="Addresses, comma-separated")]
NewCc = Annotated[str | None, Field(description="Addresses; '' removes all")]
NewBcc = Annotated[str | None, Field(description="Addresses; '' removes all")]
NewSubject = Annotated[str | None, Field(description="A reply keeps its thread's")]
NewMessage = Annotated[str | None, Field(description="Plain text, Markdown or HTML")]

# Triage and organising (enhanced).
SomeLabels = Annotated[list[str] | None, Field(description="Label names or ids")]
Matching = Annotated[str | None, Field(description="Gmail search: every match (or give ids)")]
Dry = Annotated[bool, Field(description="Only count and show the first 10")]
Changes = Annotated[int, Field(ge=1, le=DEFAULT_MAX_RESULTS_CAP, description="Most changes listed")]
LabelName = Annotated[str, NotEmpty, Field(description="Parent/Child nests it")]
LabelRef = Annotated[str, NotEmpty, Field(description="Its name or id")]
Color = Annotated[str | None, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="Gmail palette, e.g. #4a86e8")]
FilterId = Annotated[str, NotEmpty, Field(description=f"From {Tool.LIST_FILTERS}")]

# Writing as the user does in Gmail (issue 16): reply to all, send as an alias.
ReplyAll = Annotated[bool, Field(description="With thread_id: all on it but you")]
# Sent as from an alias, mail carries that alias's Gmail signature, as Gmail's own compose does.
FromAlias = Annotated[str | None, Field(description="A verified send-as address; adds its signature")]
Note = Annotated[str, Field(description="Text above the forwarded message")]
