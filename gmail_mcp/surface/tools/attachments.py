"""Attachments the model can read (enhanced): their text a piece at a time, or the image itself.

The client's model cannot see files the server writes (the download tool), so this tool hands
it the content: see `actions/reading.py` for how the attachment is found, fetched and read, and
`content/documents.py` for what can be read and the limits.
"""

from typing import Annotated

from pydantic import Field

from gmail_mcp.actions import reading
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import AttachmentContent
from gmail_mcp.surface.toolkit import READ
from gmail_mcp.surface.tools.core import READS

TOOLS = Registry(enhanced=True)


@TOOLS.tool(
    Tool.READ_ATTACHMENT,
    "Read attachment",
    READ,
    READS,
    "Read an attachment: text, CSV, JSON, HTML, PDF, DOCX, XLSX and PPTX as text, images as images. "
    "Long text comes in pieces: call again with offset=next_offset.",
)
def read_attachment(
    app: App,
    email_id: Annotated[str, Field(description="The email's id, from a list, search or read result.")],
    attachment_id: Annotated[
        str, Field(description=f"As {Tool.READ_EMAIL} lists it: its attachment_id, part_id or filename.")
    ],
    offset: Annotated[int, Field(ge=0, description="Character to start at: 0, or next_offset.")] = 0,
    max_chars: Annotated[
        int, Field(ge=views.MIN_CHARS, le=views.MAX_CHARS, description="Most characters to return.")
    ] = 20_000,
) -> AttachmentContent:
    found = reading.read_attachment(app.account, email_id, attachment_id)
    return views.attachment_content(found, offset, max_chars)
