"""Attachments the model can read (enhanced): their text a piece at a time, or the image itself.

The client's model cannot see files the server writes (the download tool), so this tool hands
it the content: see `actions/reading.py` for how the attachment is found, fetched and read, and
`content/documents.py` for what can be read and the limits.
"""

from gmail_mcp.actions import reading
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import AttachmentRef, Chars, EmailId, Offset
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
    "An attachment's text (PDF, Office, CSV, HTML...) or image.",
    presets=[Preset.TRIAGE],
)
def read_attachment(
    app: App,
    email_id: EmailId,
    attachment_id: AttachmentRef,
    offset: Offset = 0,
    max_chars: Chars = 20_000,
) -> AttachmentContent:
    found = reading.read_attachment(app.account, email_id, attachment_id)
    return views.attachment_content(found, offset, max_chars)
