"""The nine core tools of the API reference.

Each tool parses its arguments (its typed parameters are the input schema), calls one action or
backend method, and shapes the result (its return model is the output schema).
"""

import re
from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from pydantic import Field

from gmail_mcp.actions import mailbox, sending
from gmail_mcp.backend import Feature
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.config import DEFAULT_MAX_RESULTS_CAP
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.gmail import scopes
from gmail_mcp.surface import confirm, views
from gmail_mcp.surface.app import App, app_of
from gmail_mcp.surface.confirm import Approval, NoQuestion
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import Done, DraftList, DraftResult, Email, EmailList, OpenResult, SendResult
from gmail_mcp.surface.toolkit import READ, Hints

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail

TOOLS = Registry(enhanced=False)
WRITE = Hints(read_only=False)
SENDS_MAIL = Hints(read_only=False, idempotent=False, open_world=True)
GMAIL_ID = re.compile(r"^[0-9a-fA-F]{6,32}$")
MaxResults = Annotated[int, Field(le=DEFAULT_MAX_RESULTS_CAP)]

# The narrowest scopes each tool needs. Sending also reads: a reply looks up its thread, and a send
# whose answer was lost is looked for before anything is sent again.
SENDS = (scopes.SEND, scopes.READONLY)
DRAFTS = (scopes.COMPOSE, scopes.READONLY)
READS = (scopes.READONLY,)
CHANGES = (scopes.MODIFY,)


def search(app: App, query: str, max_results: int, page_token: str | None) -> EmailList:
    page = app.backend().list_messages(query, max_results=max_results, page_token=page_token)
    return EmailList(
        emails=[views.email_item(m) for m in page.messages], next_page_token=page.next_page_token
    )


def prepare_send_email(
    ctx: Context,
    recipient_id: str,
    subject: str,
    message: str,
    thread_id: str | None,
    cc: str | None,
    bcc: str | None,
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
    )


def ask_send_email(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_send_email)]
) -> Elicit[Approval] | NoQuestion:
    return confirm.ask(ctx, prepared, "Send this email")


@TOOLS.tool(
    Tool.SEND_EMAIL,
    "Send email",
    SENDS_MAIL,
    SENDS,
    "Send an email. recipient_id: one or more addresses, comma-separated. thread_id makes it a "
    "threaded reply (subject 'Re: <thread subject>').",
)
def send_email(
    app: App,
    recipient_id: str,
    subject: str,
    message: str,
    prepared: Annotated[sending.Prepared, Resolve(prepare_send_email)],
    approval: Annotated[ElicitationResult[Approval], Resolve(ask_send_email)],
    thread_id: str | None = None,
    cc: str | None = None,
    bcc: str | None = None,
) -> SendResult:
    # The arguments built `prepared` (in its resolver); what is sent is exactly that, as approved.
    ref = sending.send(app.account, prepared, confirm.decision(approval))
    return SendResult(message_id=ref.id, thread_id=ref.thread_id)


@TOOLS.tool(
    Tool.GET_UNREAD_EMAILS,
    "Unread emails",
    READ,
    READS,
    "Unread inbox emails, newest first. query adds Gmail search terms.",
)
def get_unread_emails(
    app: App,
    query: str | None = None,
    max_results: MaxResults = 20,
    page_token: str | None = None,
) -> EmailList:
    return search(app, f"is:unread in:inbox {query or ''}".strip(), max_results, page_token)


@TOOLS.tool(
    Tool.READ_EMAIL,
    "Read email",
    READ,
    READS,
    "Read an email (HTML as Markdown; format=html for the raw HTML). It stays unread. Long bodies "
    "come in pieces: call again with offset=next_offset.",
)
def read_email(
    app: App,
    email_id: str,
    offset: int = 0,
    max_chars: int = 20_000,
    format: Literal["auto", "text", "html"] = "auto",
    include_quoted: bool = False,
) -> Email:
    message = app.backend().get_message(email_id)
    body = mime.extract_body(message.payload, format=format, include_quoted=include_quoted)
    content, next_offset = views.page(body.content, offset, views.clamp_chars(max_chars))
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
        labels=list(message.label_ids),
        attachments=views.attachments(message) if app.settings.enhanced else None,
        next_offset=next_offset,
        note=body.note,
    )


@TOOLS.tool(
    Tool.SEARCH_EMAILS,
    "Search emails",
    READ,
    READS,
    "Search with Gmail syntax (from: to: subject: is:unread has:attachment after:2024/1/31 "
    'label: OR -word "phrase"). Newest first.',
)
def search_emails(
    app: App, query: str, max_results: MaxResults = 20, page_token: str | None = None
) -> EmailList:
    return search(app, query, max_results, page_token)


@TOOLS.tool(
    Tool.TRASH_EMAIL,
    "Trash email",
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Move an email to Trash (kept there 30 days).",
)
def trash_email(app: App, email_id: str) -> Done:
    mailbox.trash(app.account, Tool.TRASH_EMAIL, email_id)
    return Done(message=f"Email {email_id} moved to Trash.")


@TOOLS.tool(Tool.MARK_EMAIL_AS_READ, "Mark as read", WRITE, CHANGES, "Mark an email as read.")
def mark_email_as_read(app: App, email_id: str) -> Done:
    mailbox.mark_read(app.account, Tool.MARK_EMAIL_AS_READ, email_id)
    return Done(message=f"Email {email_id} marked as read.")


@TOOLS.tool(
    Tool.OPEN_EMAIL,
    "Open email",
    READ,
    READS,
    "Open an email in Gmail in the server computer's browser; returns the URL.",
    needs=[Feature.WEB_URL],
)
def open_email(app: App, email_id: str) -> OpenResult:
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
    "Save a draft, not sent. recipient: one or more addresses, comma-separated. thread_id makes it a reply.",
)
def create_draft(
    app: App,
    recipient: str,
    subject: str,
    message: str,
    thread_id: str | None = None,
    cc: str | None = None,
    bcc: str | None = None,
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
    )
    return DraftResult(draft_id=draft.id, message_id=draft.message.id)


@TOOLS.tool(Tool.LIST_DRAFTS, "List drafts", READ, READS, "List drafts, newest first.")
def list_drafts(app: App, max_results: MaxResults = 10, page_token: str | None = None) -> DraftList:
    page = app.backend().list_drafts(max_results=max_results, page_token=page_token)
    return DraftList(drafts=[views.draft_item(d) for d in page.drafts], next_page_token=page.next_page_token)
