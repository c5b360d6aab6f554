"""The enhanced tools: paging, whole conversations, attachments, labels and draft management.

`server_enhanced.build_enhanced_server` adds them to the core server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve

from gmail_mcp.actions import mailbox
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App, app_of
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import (
    AttachmentPaths,
    AttachmentRef,
    Bcc,
    Cc,
    Chars,
    CreateMissing,
    DraftId,
    EmailId,
    FromAlias,
    Labels,
    Message,
    NewBcc,
    NewCc,
    NewMessage,
    NewSubject,
    NewTo,
    Page,
    PageToken,
    Query,
    ReplyAll,
    ReplyTo,
    SavePath,
    Start,
    Subject,
    ThreadId,
    To,
)
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
from gmail_mcp.surface.tools.core import CHANGES, DRAFTS, READS, SENDS, SENDS_MAIL, search, sent

if TYPE_CHECKING:
    from gmail_mcp.actions import sending
    from gmail_mcp.surface import confirm
else:  # loaded when a tool that sends is first built or called: listing tools needs neither
    sending = lazy_module("gmail_mcp.actions.sending")
    confirm = lazy_module("gmail_mcp.surface.confirm")

TOOLS = Registry(enhanced=True)


@TOOLS.tool(
    Tool.LIST_EMAILS,
    "List emails",
    READ,
    READS,
    "Emails matching a Gmail query, newest first.",
    presets=[Preset.TRIAGE],
)
def list_emails(
    app: App, query: Query = "in:inbox", page_size: Page = 20, page_token: PageToken = None
) -> EmailList:
    return search(app, query, page_size, page_token)


@TOOLS.tool(
    Tool.READ_THREAD,
    "Read conversation",
    READ,
    READS,
    "Read a conversation, oldest first.",
    presets=[Preset.TRIAGE],
)
def read_thread(app: App, thread_id: ThreadId, start: Start = 0, max_chars: Chars = 40_000) -> ThreadResult:
    return views.thread_result(app.backend().get_thread(thread_id), start, max_chars)


@TOOLS.tool(
    Tool.DOWNLOAD_ATTACHMENT,
    "Download attachment",
    Hints(read_only=False, idempotent=False),  # each call writes a new file
    READS,
    "Save an attachment as a new file; never overwrites.",
)
def download_attachment(
    app: App, email_id: EmailId, attachment_id: AttachmentRef, save_path: SavePath
) -> DownloadResult:
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
    recipient_id: To,
    subject: Subject,
    message: Message,
    attachment_paths: AttachmentPaths,
    thread_id: ReplyTo,
    cc: Cc,
    bcc: Bcc,
    reply_all: bool,
    from_alias: str | None,
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
    )


def ask_send_with_files(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_with_files)]
) -> Elicit[confirm.Approval] | confirm.NoQuestion:
    return confirm.ask(ctx, prepared, "Send this email with attachments")


@TOOLS.tool(
    Tool.SEND_EMAIL_WITH_ATTACHMENT,
    "Send email with files",
    SENDS_MAIL,
    SENDS,
    "Send an email with files.",
    presets=[Preset.COMPOSE],
)
def send_email_with_attachment(
    app: App,
    recipient_id: To,
    subject: Subject,
    message: Message,
    attachment_paths: AttachmentPaths,
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_with_files)],
    approval: Annotated[ElicitationResult[confirm.Approval], Resolve(ask_send_with_files)],
    thread_id: ReplyTo = None,
    cc: Cc = None,
    bcc: Bcc = None,
    reply_all: ReplyAll = False,
    from_alias: FromAlias = None,
) -> SendResult:
    return sent(app, prepared, approval)


@TOOLS.tool(
    Tool.MANAGE_LABELS,
    "Label email",
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Add or remove labels on an email.",
    presets=[Preset.TRIAGE],
)
def manage_labels(
    app: App,
    email_id: EmailId,
    add_labels: Labels = [],  # noqa: B006  (pydantic copies defaults)
    remove_labels: Labels = [],  # noqa: B006
    create_missing: CreateMissing = False,
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
    "Change the given fields of a draft; attachments stay.",
    presets=[Preset.COMPOSE],
)
def update_draft(
    app: App,
    draft_id: DraftId,
    recipient: NewTo = None,
    subject: NewSubject = None,
    message: NewMessage = None,
    cc: NewCc = None,
    bcc: NewBcc = None,
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
    return DraftResult(draft_id=draft.id, message_id=draft.message.id, subject=draft.message.subject)


def prepare_send_draft(ctx: Context, draft_id: DraftId) -> sending.Prepared:
    return sending.prepare_draft_send(app_of(ctx).account, tool=Tool.SEND_DRAFT, draft_id=draft_id)


def ask_send_draft(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_draft)]
) -> Elicit[confirm.Approval] | confirm.NoQuestion:
    return confirm.ask(ctx, prepared, "Send this draft")


@TOOLS.tool(
    Tool.SEND_DRAFT, "Send draft", SENDS_MAIL, DRAFTS, "Send an existing draft.", presets=[Preset.COMPOSE]
)
def send_draft(
    app: App,
    draft_id: DraftId,
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_draft)],
    approval: Annotated[ElicitationResult[confirm.Approval], Resolve(ask_send_draft)],
) -> SendResult:
    return sent(app, prepared, approval)


@TOOLS.tool(
    Tool.DELETE_DRAFT,
    "Delete draft",
    Hints(read_only=False, destructive=True),
    DRAFTS,
    "Delete a draft for good (drafts skip Trash).",
    presets=[Preset.COMPOSE],
)
def delete_draft(app: App, draft_id: DraftId) -> Done:
    mailbox.delete_draft(app.account, Tool.DELETE_DRAFT, draft_id)
    return Done(message=f"Draft {draft_id} deleted.")
