"""The enhanced tools: paging, whole conversations, attachments, labels and draft management.

`server_enhanced.build_enhanced_server` adds them to the core server.
"""

from typing import Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from pydantic import Field

from gmail_mcp.actions import mailbox, sending
from gmail_mcp.config import DEFAULT_MAX_RESULTS_CAP
from gmail_mcp.surface import confirm, views
from gmail_mcp.surface.app import App, app_of
from gmail_mcp.surface.confirm import Approval, NoQuestion
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import (
    Done,
    DownloadResult,
    DraftResult,
    EmailList,
    LabelList,
    LabelsChanged,
    SendResult,
    ThreadResult,
)
from gmail_mcp.surface.toolkit import READ, Hints
from gmail_mcp.surface.tools.core import (
    CHANGES,
    DRAFTS,
    READS,
    SENDS,
    SENDS_MAIL,
    search,
)

TOOLS = Registry(enhanced=True)
LabelNames = list[str]


@TOOLS.tool(
    Tool.LIST_EMAILS,
    "List emails",
    READ,
    READS,
    "Emails matching a Gmail query, newest first, a page at a time.",
    presets=[Preset.TRIAGE],
)
def list_emails(
    app: App,
    query: str = "in:inbox",
    page_size: Annotated[int, Field(le=DEFAULT_MAX_RESULTS_CAP)] = 20,
    page_token: str | None = None,
) -> EmailList:
    return search(app, query, page_size, page_token)


@TOOLS.tool(
    Tool.READ_THREAD,
    "Read conversation",
    READ,
    READS,
    "Read a whole conversation, oldest first. If it does not fit, call again with start=next_message_index.",
    presets=[Preset.TRIAGE],
)
def read_thread(
    app: App,
    thread_id: str,
    start: Annotated[int, Field(ge=0)] = 0,
    max_chars: int = 40_000,
) -> ThreadResult:
    return views.thread_result(app.backend().get_thread(thread_id), start, views.clamp_chars(max_chars))


@TOOLS.tool(
    Tool.DOWNLOAD_ATTACHMENT,
    "Download attachment",
    Hints(read_only=False),
    READS,
    "Save an attachment to save_path, in an allowed download folder. attachment_id: as listed (an "
    "old one still works), or the attachment's part_id or filename. Never overwrites: returns the "
    "path used.",
)
def download_attachment(app: App, email_id: str, attachment_id: str, save_path: str) -> DownloadResult:
    saved = mailbox.download(app.account, Tool.DOWNLOAD_ATTACHMENT, email_id, attachment_id, save_path)
    return DownloadResult(
        message=f"Saved {saved.size:,} bytes to {saved.path}.",
        path=str(saved.path),
        size=saved.size,
        mime_type=saved.mime_type,
        filename=saved.filename,
    )


def prepare_send_with_files(
    ctx: Context,
    recipient_id: str,
    subject: str,
    message: str,
    attachment_paths: list[str],
    thread_id: str | None,
    cc: str | None,
    bcc: str | None,
    reply_all: bool,
    from_alias: str | None,
    signature: bool,
) -> sending.Prepared:
    return sending.prepare_send(
        app_of(ctx).account,
        tool=Tool.SEND_EMAIL_WITH_ATTACHMENT,
        to=recipient_id,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=message,
        thread_id=thread_id,
        attachment_paths=attachment_paths,
        reply_all=reply_all,
        from_alias=from_alias,
        signature=signature,
    )


def ask_send_with_files(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_with_files)]
) -> Elicit[Approval] | NoQuestion:
    return confirm.ask(ctx, prepared, "Send this email with attachments")


@TOOLS.tool(
    Tool.SEND_EMAIL_WITH_ATTACHMENT,
    "Send email with files",
    SENDS_MAIL,
    SENDS,
    "Send an email with files from the allowed attachment folders. thread_id makes it a reply.",
    presets=[Preset.COMPOSE],
)
def send_email_with_attachment(
    app: App,
    recipient_id: str,
    subject: str,
    message: str,
    attachment_paths: Annotated[list[str], Field(min_length=1, max_length=20)],
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_with_files)],
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_send_with_files)],
    thread_id: str | None = None,
    cc: str | None = None,
    bcc: str | None = None,
    reply_all: bool = False,
    from_alias: str | None = None,
    signature: bool = True,
) -> SendResult:
    ref = sending.send(app.account, prepared, confirm.decision(approval))
    return SendResult(message_id=ref.id, thread_id=ref.thread_id)


@TOOLS.tool(
    Tool.MANAGE_LABELS,
    "Label email",
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Add or remove labels on an email, by name or id (INBOX, STARRED, UNREAD are labels too). "
    "create_missing creates unknown add_labels.",
    presets=[Preset.TRIAGE],
)
def manage_labels(
    app: App,
    email_id: str,
    add_labels: LabelNames = [],  # noqa: B006  (pydantic copies defaults)
    remove_labels: LabelNames = [],  # noqa: B006
    create_missing: bool = False,
) -> LabelsChanged:
    labels = mailbox.change_labels(
        app.account, Tool.MANAGE_LABELS, email_id, add_labels, remove_labels, create_missing=create_missing
    )
    return LabelsChanged(message=f"Labels of {email_id} updated.", labels=labels)


@TOOLS.tool(
    Tool.LIST_LABELS,
    "List labels",
    READ,
    READS,
    "List all labels with their ids.",
    presets=[Preset.TRIAGE, Preset.ADMIN],
)
def list_labels(app: App) -> LabelList:
    return LabelList(labels=[views.label_item(label) for label in app.backend().list_labels()])


@TOOLS.tool(
    Tool.UPDATE_DRAFT,
    "Update draft",
    Hints(read_only=False, destructive=True),
    DRAFTS,
    "Change a draft: only the fields given are replaced; attachments are kept.",
    presets=[Preset.COMPOSE],
)
def update_draft(
    app: App,
    draft_id: str,
    recipient: str | None = None,
    subject: str | None = None,
    message: str | None = None,
    cc: str | None = None,
    bcc: str | None = None,
) -> DraftResult:
    draft = sending.update_draft(
        app.account,
        tool=Tool.UPDATE_DRAFT,
        draft_id=draft_id,
        to=recipient,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=message,
    )
    return DraftResult(draft_id=draft.id, message_id=draft.message.id)


def prepare_send_draft(ctx: Context, draft_id: str) -> sending.Prepared:
    return sending.prepare_draft_send(app_of(ctx).account, tool=Tool.SEND_DRAFT, draft_id=draft_id)


def ask_send_draft(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_draft)]
) -> Elicit[Approval] | NoQuestion:
    return confirm.ask(ctx, prepared, "Send this draft")


@TOOLS.tool(
    Tool.SEND_DRAFT, "Send draft", SENDS_MAIL, DRAFTS, "Send an existing draft.", presets=[Preset.COMPOSE]
)
def send_draft(
    app: App,
    draft_id: str,
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_draft)],
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_send_draft)],
) -> SendResult:
    ref = sending.send(app.account, prepared, confirm.decision(approval))
    return SendResult(message_id=ref.id, thread_id=ref.thread_id)


@TOOLS.tool(
    Tool.DELETE_DRAFT,
    "Delete draft",
    Hints(read_only=False, destructive=True),
    DRAFTS,
    "Delete a draft permanently (drafts do not go to Trash).",
    presets=[Preset.COMPOSE],
)
def delete_draft(app: App, draft_id: str) -> Done:
    mailbox.delete_draft(app.account, Tool.DELETE_DRAFT, draft_id)
    return Done(message=f"Draft {draft_id} deleted.")
