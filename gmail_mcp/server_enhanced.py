"""The enhanced server: the core server plus paging, attachments, labels, threads and draft tools.

It adds tools to what `server.build_server` makes; it does not copy it.
"""

from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.types import CallToolResult
from pydantic import Field

from gmail_mcp.lazy import lazy_module
from gmail_mcp.surface import confirm, views

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail
from gmail_mcp.errors import GmailMcpError, InvalidParamsError
from gmail_mcp.server import MAX_LIST, App, build_server, search
from gmail_mcp.surface.confirm import Approval, NoQuestion
from gmail_mcp.surface.results import (
    Done,
    DownloadResult,
    DraftResult,
    EmailList,
    LabelList,
    LabelsChanged,
    SendResult,
    ThreadMessage,
    ThreadResult,
)
from gmail_mcp.surface.toolkit import READ, GmailMCPServer, Hints, untrusted

LabelNames = list[str]


def build_enhanced_server(app: App) -> GmailMCPServer:
    server = build_server(app)
    register_enhanced_tools(server, app)
    return server


def register_enhanced_tools(server: GmailMCPServer, app: App) -> None:
    guard = app.guard

    @server.register(
        "list-emails",
        "List emails",
        READ,
        "Emails matching a Gmail query, newest first, a page at a time.",
    )
    def list_emails(
        query: str = "in:inbox",
        page_size: Annotated[int, Field(le=MAX_LIST)] = 20,
        page_token: str | None = None,
    ) -> EmailList:
        return search(app, query, page_size, page_token)

    @server.register(
        "read-thread",
        "Read conversation",
        READ,
        "Read a whole conversation, oldest first. If it does not fit, call again with "
        "start=next_message_index.",
    )
    def read_thread(
        thread_id: str,
        start: Annotated[int, Field(ge=0)] = 0,
        max_chars: int = 40_000,
    ) -> Annotated[CallToolResult, ThreadResult]:
        thread = app.backend().get_thread(thread_id)
        messages: list[ThreadMessage] = []
        budget = views.clamp_chars(max_chars)
        next_index: int | None = None
        for index, message in enumerate(thread.messages[start:], start=start):
            if budget <= 0:
                next_index = index
                break
            body = mime.extract_body(message.payload)
            content, rest = views.page(body.content, 0, budget)
            budget -= len(content)
            messages.append(
                ThreadMessage(
                    message_id=message.id,
                    sender=message.sender,
                    to=message.to,
                    date=views.iso_date(message.date, message.internal_date),
                    content=content,
                    content_type=body.content_type,
                    unread=message.unread,
                    attachments=views.attachments(message),
                    truncated=rest is not None,
                )
            )
        result = ThreadResult(
            thread_id=thread.id,
            subject=thread.messages[0].subject if thread.messages else "",
            messages=messages,
            message_count=len(thread.messages),
            next_message_index=next_index,
        )
        return untrusted(result, [(m.content, f"email {m.message_id} from {m.sender}") for m in messages])

    @server.register(
        "download-attachment",
        "Download attachment",
        Hints(read_only=False),
        "Save an attachment to save_path, in an allowed download folder. Never overwrites: returns the "
        "path used.",
    )
    def download_attachment(
        email_id: str,
        attachment_id: str,
        save_path: str,
    ) -> DownloadResult:
        backend = app.backend()
        message = backend.get_message(email_id)
        listed = {a.attachment_id: a for a in views.attachments(message)}
        info = listed.get(attachment_id)
        filename = info.filename if info else "attachment"
        data = views.inline_part_data(message, attachment_id)
        if data is None:
            data = backend.get_attachment(email_id, attachment_id)
        path = guard.save_download(save_path, filename, data, email_id=email_id)
        mime_type = info.mime_type if info else "application/octet-stream"
        return DownloadResult(
            message=f"Saved {len(data):,} bytes to {path}.",
            path=str(path),
            size=len(data),
            mime_type=mime_type,
        )

    def ask_send_with_files(
        ctx: Context,
        recipient_id: str,
        subject: str,
        attachment_paths: list[str],
        cc: str | None,
        bcc: str | None,
    ) -> Elicit[Approval] | NoQuestion:
        return confirm.question(
            ctx,
            app.settings.confirm_send,
            action="Send this email with attachments",
            to=confirm.addresses(recipient_id),
            cc=confirm.addresses(cc),
            bcc=confirm.addresses(bcc),
            subject=subject,
            attachments=attachment_paths,
        )

    @server.register(
        "send-email-with-attachment",
        "Send email with files",
        Hints(read_only=False, idempotent=False, open_world=True),
        "Send an email with files from the allowed attachment folders. thread_id makes it a reply.",
    )
    def send_email_with_attachment(
        recipient_id: str,
        subject: str,
        message: str,
        attachment_paths: Annotated[list[str], Field(min_length=1, max_length=20)],
        approval: Annotated[ElicitationResult[Approval], Resolve(ask_send_with_files)],
        thread_id: str | None = None,
        cc: str | None = None,
        bcc: str | None = None,
    ) -> SendResult:
        ref = guard.send_new(
            app.backend,
            tool="send-email-with-attachment",
            approval=confirm.decision(approval),
            to=recipient_id,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=message,
            thread_id=thread_id,
            attachment_paths=attachment_paths,
        )
        return SendResult(message_id=ref.id, thread_id=ref.thread_id)

    @server.register(
        "manage-labels",
        "Label email",
        Hints(read_only=False, destructive=True),
        "Add or remove labels on an email, by name or id (INBOX, STARRED, UNREAD are labels too). "
        "create_missing creates unknown add_labels.",
    )
    def manage_labels(
        email_id: str,
        add_labels: LabelNames = [],  # noqa: B006  (pydantic copies defaults)
        remove_labels: LabelNames = [],  # noqa: B006
        create_missing: bool = False,
    ) -> LabelsChanged:
        if not add_labels and not remove_labels:
            raise InvalidParamsError("Give add_labels or remove_labels.", email_id=email_id)
        backend = app.backend()
        add = [guard.label_id(backend, name, create=create_missing) for name in add_labels]
        remove = [guard.label_id(backend, name, create=False) for name in remove_labels]
        ref = guard.audited(
            "manage-labels",
            lambda: backend.modify_message(email_id, add=add, remove=remove),
            email_id=email_id,
            added=add,
            removed=remove,
        )
        names = {label.id: label.name for label in backend.list_labels()}
        now = [names.get(label_id, label_id) for label_id in ref.label_ids]
        return LabelsChanged(message=f"Labels of {email_id} updated.", labels=now)

    @server.register("list-labels", "List labels", READ, "List all labels with their ids.")
    def list_labels() -> LabelList:
        return LabelList(labels=[views.label_item(label) for label in app.backend().list_labels()])

    @server.register(
        "update-draft",
        "Update draft",
        Hints(read_only=False, destructive=True),
        "Change a draft: only the fields given are replaced; attachments are kept.",
    )
    def update_draft(
        draft_id: str,
        recipient: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        cc: str | None = None,
        bcc: str | None = None,
    ) -> DraftResult:
        backend = app.backend()
        current = backend.get_draft(draft_id).message
        from gmail_mcp.models import Message  # loaded with the first mail read, not at start

        assert isinstance(current, Message)  # get_draft returns the whole message
        body = message if message is not None else mime.extract_body(current.payload, format="text").content
        outgoing = guard.prepare(
            app.backend,
            tool="update-draft",
            to=recipient if recipient is not None else current.to,
            cc=cc if cc is not None else current.cc,
            bcc=bcc if bcc is not None else current.bcc,
            subject=subject if subject is not None else current.subject,
            body=body,
            thread_id=current.thread_id if current.in_reply_to else None,
            attachments=guard.draft_attachments(backend, current),
        )
        draft = guard.save_draft(app.backend, outgoing, draft_id=draft_id)
        return DraftResult(draft_id=draft.id, message_id=draft.message.id)

    def ask_send_draft(ctx: Context, draft_id: str) -> Elicit[Approval] | NoQuestion:
        if not app.settings.confirm_send:
            return NoQuestion(approved=True)
        try:
            draft = app.backend().get_draft(draft_id).message
        except GmailMcpError:
            return NoQuestion(approved=True)  # the send itself reports the problem, and sends nothing
        from gmail_mcp.models import Message

        assert isinstance(draft, Message)
        return confirm.question(
            ctx,
            True,
            action="Send this draft",
            to=confirm.addresses(draft.to),
            cc=confirm.addresses(draft.cc),
            bcc=confirm.addresses(draft.bcc),
            subject=draft.subject,
            attachments=[a.filename for a in mime.list_attachments(draft.payload) if not a.inline],
        )

    @server.register(
        "send-draft",
        "Send draft",
        Hints(read_only=False, idempotent=False, open_world=True),
        "Send an existing draft.",
    )
    def send_draft(
        draft_id: str, approval: Annotated[ElicitationResult[Approval], Resolve(ask_send_draft)]
    ) -> SendResult:
        guard.approved("send-draft", confirm.decision(approval), draft_id=draft_id)
        ref = guard.send_draft(app.backend, draft_id)
        return SendResult(message_id=ref.id, thread_id=ref.thread_id)

    @server.register(
        "delete-draft",
        "Delete draft",
        Hints(read_only=False, destructive=True),
        "Delete a draft permanently (drafts do not go to Trash).",
    )
    def delete_draft(draft_id: str) -> Done:
        guard.audited("delete-draft", lambda: app.backend().delete_draft(draft_id), draft_id=draft_id)
        return Done(message=f"Draft {draft_id} deleted.")
