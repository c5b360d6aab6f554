"""The nine core tools of the API reference.

Each tool parses its arguments (its typed parameters are the input schema), calls one action or
backend method, and shapes the result (its return model is the output schema).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve

from gmail_mcp.actions import labelnames, mailbox
from gmail_mcp.backend import Feature
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.gmail import scopes
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App, app_of
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import (
    Bcc,
    Cc,
    Chars,
    EmailId,
    Format,
    FromAlias,
    Message,
    MoreTerms,
    Offset,
    Page,
    PageToken,
    Query,
    Quoted,
    ReplyAll,
    ReplyTo,
    Subject,
    To,
)
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import Done, DraftList, DraftResult, Email, EmailList, OpenResult, SendResult
from gmail_mcp.surface.toolkit import READ, Hints

if TYPE_CHECKING:
    from gmail_mcp.actions import sending
    from gmail_mcp.content import mime
    from gmail_mcp.models import MessagePage
    from gmail_mcp.surface import confirm
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail
    # Loaded when a tool that sends is first built or called: listing the tools needs neither.
    sending = lazy_module("gmail_mcp.actions.sending")
    confirm = lazy_module("gmail_mcp.surface.confirm")

TOOLS = Registry(enhanced=False)
WRITE = Hints(read_only=False)
SENDS_MAIL = Hints(read_only=False, idempotent=False, open_world=True)
GMAIL_ID = re.compile(r"^[0-9a-fA-F]{6,32}$")

# The narrowest scopes each tool needs. Sending also reads: a reply looks up its thread, and a send
# whose answer was lost is looked for before anything is sent again.
SENDS = (scopes.SEND, scopes.READONLY)
DRAFTS = (scopes.COMPOSE, scopes.READONLY)
READS = (scopes.READONLY,)
CHANGES = (scopes.MODIFY,)


def search(app: App, query: str, max_results: int, page_token: str | None) -> EmailList:
    return email_list(app, app.backend().list_messages(query, max_results=max_results, page_token=page_token))


def email_list(app: App, page: MessagePage) -> EmailList:
    """A page of emails as a list result, user labels by name (one cached labels.list)."""
    names = app.account.label_names.of(i for m in page.messages for i in m.label_ids)
    return EmailList(
        emails=[views.email_item(m, names) for m in page.messages], next_page_token=page.next_page_token
    )


def prepare_send_email(
    ctx: Context,
    recipient_id: To,
    subject: Subject,
    message: Message,
    thread_id: ReplyTo,
    cc: Cc,
    bcc: Bcc,
    reply_all: bool,
    from_alias: str | None,
) -> sending.Prepared:
    return sending.prepare_send(
        app_of(ctx).account,
        tool=Tool.SEND_EMAIL,
        to=recipient_id,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=message,
        thread_id=thread_id,
        reply_all=reply_all,
        from_alias=from_alias,
    )


def sent(app: App, prepared: sending.Prepared, approval: ElicitationResult[confirm.Approval]) -> SendResult:
    """Send `prepared` as approved; the result says the subject it went with."""
    ref = sending.send(app.account, prepared, confirm.decision(approval))
    return SendResult(message_id=ref.id, thread_id=ref.thread_id, subject=sending.subject_of(prepared))


def ask_send_email(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_email)]
) -> Elicit[confirm.Approval] | confirm.NoQuestion:
    return confirm.ask(ctx, prepared, "Send this email")


@TOOLS.tool(
    Tool.SEND_EMAIL,
    "Send email",
    SENDS_MAIL,
    SENDS,
    "Send an email.",
    presets=[Preset.COMPOSE],
)
def send_email(
    app: App,
    recipient_id: To,
    subject: Subject,
    message: Message,
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_email)],
    approval: Annotated[ElicitationResult[confirm.Approval], Resolve(ask_send_email)],
    thread_id: ReplyTo = None,
    cc: Cc = None,
    bcc: Bcc = None,
    reply_all: ReplyAll = False,
    from_alias: FromAlias = None,
) -> SendResult:
    # The arguments built `prepared` (in its resolver); what is sent is exactly that, as approved.
    return sent(app, prepared, approval)


@TOOLS.tool(
    Tool.GET_UNREAD_EMAILS,
    "Unread emails",
    READ,
    READS,
    "Unread inbox emails, newest first.",
    presets=[Preset.TRIAGE],
)
def get_unread_emails(
    app: App, query: MoreTerms = None, max_results: Page = 20, page_token: PageToken = None
) -> EmailList:
    return search(app, f"is:unread in:inbox {query or ''}".strip(), max_results, page_token)


@TOOLS.tool(
    Tool.READ_EMAIL,
    "Read email",
    READ,
    READS,
    "Read an email (it stays unread).",
    presets=[Preset.TRIAGE],
)
def read_email(
    app: App,
    email_id: EmailId,
    offset: Offset = 0,
    max_chars: Chars = 20_000,
    format: Format = "auto",
    include_quoted: Quoted = False,
) -> Email:
    message = app.backend().get_message(email_id)
    body = mime.extract_body(message.payload, format=format, include_quoted=include_quoted)
    content, next_offset = views.page(body.content, offset, max_chars)
    return Email(
        subject=message.subject,
        sender=message.sender,
        to=message.to,
        cc=message.cc,
        date=views.iso_date(message.date, message.internal_date),
        content=content,
        content_type=body.content_type,
        thread_id=message.thread_id,
        message_id=message.id,
        labels=labelnames.shown(message.label_ids, app.account.label_names.of(message.label_ids)),
        attachments=views.attachments(message) if app.settings.enhanced else None,
        next_offset=next_offset,
        note=body.note,
    )


@TOOLS.tool(
    Tool.SEARCH_EMAILS,
    "Search emails",
    READ,
    READS,
    "Gmail search (from: to: subject: is:unread has:attachment after:2024/1/31 label: OR), newest first.",
    presets=[Preset.TRIAGE],
)
def search_emails(app: App, query: Query, max_results: Page = 20, page_token: PageToken = None) -> EmailList:
    return search(app, query, max_results, page_token)


@TOOLS.tool(
    Tool.TRASH_EMAIL,
    "Trash email",
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Move an email to Trash (kept there 30 days).",
    presets=[Preset.TRIAGE],
)
def trash_email(app: App, email_id: EmailId) -> Done:
    mailbox.trash(app.account, Tool.TRASH_EMAIL, email_id)
    return Done(message=f"Email {email_id} moved to Trash.")


@TOOLS.tool(
    Tool.MARK_EMAIL_AS_READ, "Mark as read", WRITE, CHANGES, "Mark an email as read.", presets=[Preset.TRIAGE]
)
def mark_email_as_read(app: App, email_id: EmailId) -> Done:
    mailbox.mark_read(app.account, Tool.MARK_EMAIL_AS_READ, email_id)
    return Done(message=f"Email {email_id} marked as read.")


@TOOLS.tool(
    Tool.OPEN_EMAIL,
    "Open email",
    READ,
    READS,
    "Open an email in Gmail in this computer's browser.",
    needs=[Feature.WEB_URL],
)
def open_email(app: App, email_id: EmailId) -> OpenResult:
    if not GMAIL_ID.fullmatch(email_id):
        raise InvalidParamsError(
            f"{email_id!r} is not a Gmail email id (hexadecimal); take ids from list or search results.",
            email_id=email_id,
        )
    if not app.backend().get_summaries([email_id]):
        raise NotFoundError(f"Email {email_id} was not found in Gmail.", email_id=email_id)
    url = app.mail_url(email_id)
    opened = app.settings.open_browser and bool(app.opener(url))
    where = "Opened in the browser" if opened else "Could not open a browser here; open this URL"
    return OpenResult(message=f"{where}: {url}", url=url)


@TOOLS.tool(
    Tool.CREATE_DRAFT,
    "Create draft",
    Hints(read_only=False, idempotent=False),
    DRAFTS,
    "Save a draft, not sent.",
    presets=[Preset.COMPOSE],
)
def create_draft(
    app: App,
    recipient: To,
    subject: Subject,
    message: Message,
    thread_id: ReplyTo = None,
    cc: Cc = None,
    bcc: Bcc = None,
    reply_all: ReplyAll = False,
    from_alias: FromAlias = None,
) -> DraftResult:
    draft = sending.create_draft(
        app.account,
        tool=Tool.CREATE_DRAFT,
        to=recipient,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=message,
        thread_id=thread_id,
        reply_all=reply_all,
        from_alias=from_alias,
    )
    return DraftResult(draft_id=draft.id, message_id=draft.message.id, subject=draft.message.subject)


@TOOLS.tool(
    Tool.LIST_DRAFTS, "List drafts", READ, READS, "List drafts, newest first.", presets=[Preset.COMPOSE]
)
def list_drafts(app: App, max_results: Page = 10, page_token: PageToken = None) -> DraftList:
    page = app.backend().list_drafts(max_results=max_results, page_token=page_token)
    return DraftList(drafts=[views.draft_item(d) for d in page.drafts], next_page_token=page.next_page_token)
