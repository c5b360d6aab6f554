"""MCP resources: an email, a conversation, an attachment and a label's newest mail, by URI.

    gmail://{account}/messages/{id}                      the email, as the read tool shows it
    gmail://{account}/threads/{id}                       the conversation, as the thread tool shows it
    gmail://{account}/messages/{id}/attachments/{part}   the attachment's text as the attachment tool
                                                         shows it; an image or any other file itself
                                                         (a blob, for the client)
    gmail://{account}/labels/{label}                     the 20 newest emails with that label

A read returns the same fenced text the tools give (with their largest page, 100,000 characters,
and `next_offset` when there is more), so a resource is no way around the fence. A template is
offered exactly when the tool that reads the same thing is: the mode, `--tools`, `--read-only` and
the granted scopes decide for both (the label template goes with search). `{account}` is resolved
by `App.for_account` alone ("me" until several accounts are served); ids are opaque strings, so
IMAP ids fit. Completions: `account`, label names for `label`, and for `part` the attachments
of the email named by `id`.

Errors are JSON-RPC errors whose `data` is the API reference's error object: INVALID_PARAMS and
NOT_FOUND as -32602 (what the SDK answers for an unknown resource), the others as -32603.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.shared.exceptions import MCPError
from mcp.shared.uri_template import UriTemplate
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, Completion, ResourceTemplate, ResourceTemplateReference

from gmail_mcp.actions import reading
from gmail_mcp.config import LABEL_RESOURCE_PAGE
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, NotFoundError
from gmail_mcp.surface import views
from gmail_mcp.surface.calls import run_call
from gmail_mcp.surface.names import Tool
from gmail_mcp.surface.params import MAX_CHARS
from gmail_mcp.surface.render import render

if TYPE_CHECKING:
    from gmail_mcp.surface.app import App

MAX_COMPLETIONS = 100  # the protocol's most values per completion


@dataclass(frozen=True)
class Template:
    uri: str
    name: str
    title: str
    description: str
    tool: Tool  # offered together with this tool
    read: Callable[..., ReadResourceContents]  # (app, **the URI's variables) -> contents

    @property
    def parsed(self) -> UriTemplate:
        return UriTemplate.parse(self.uri)


def _text(text: str) -> ReadResourceContents:
    return ReadResourceContents(content=text, mime_type="text/plain")


def _message(app: App, id: str) -> ReadResourceContents:
    from gmail_mcp.surface.tools import core

    return _text(render(core.read_email(app, _id(id, "email"), max_chars=MAX_CHARS)))


def _thread(app: App, id: str) -> ReadResourceContents:
    from gmail_mcp.surface.tools import enhanced

    return _text(render(enhanced.read_thread(app, _id(id, "conversation"), max_chars=MAX_CHARS)))


def _attachment(app: App, id: str, part: str) -> ReadResourceContents:
    found = reading.read_attachment(app.account, _id(id, "email"), _id(part, "attachment"))
    document = found.document
    if document.data is not None:  # an image, or a file that is not text: the client shows it
        return ReadResourceContents(content=document.data, mime_type=document.mime_type)
    return _text(render(views.attachment_content(found, 0, MAX_CHARS)))


def _label(app: App, label: str) -> ReadResourceContents:
    from gmail_mcp.surface.tools import core

    backend = app.backend()
    found = backend.resolve_label(_id(label, "label"))
    page = backend.list_messages(label_ids=[found.id], max_results=LABEL_RESOURCE_PAGE)
    return _text(render(core.email_list(app, page)))


def _id(value: str, what: str) -> str:
    if not value.strip():
        raise InvalidParamsError(f"The URI names no {what}: take ids from the list and search tools.")
    return value


TEMPLATES = (
    Template(
        "gmail://{account}/messages/{id}",
        "email",
        "Email",
        "An email (account: me): headers, labels, attachments and body as text, fenced as mail data.",
        Tool.READ_EMAIL,
        _message,
    ),
    Template(
        "gmail://{account}/threads/{id}",
        "conversation",
        "Conversation",
        "A whole conversation (account: me), oldest first, fenced as mail data.",
        Tool.READ_THREAD,
        _thread,
    ),
    Template(
        "gmail://{account}/messages/{id}/attachments/{part}",
        "attachment",
        "Attachment",
        "An attachment (part: its part_id, attachment_id or filename): text, PDF and Office files as "
        "fenced text, images and other files as they are.",
        Tool.READ_ATTACHMENT,
        _attachment,
    ),
    Template(
        "gmail://{account}/labels/{label}",
        "label",
        "Label",
        f"The {LABEL_RESOURCE_PAGE} newest emails with a label (its name or id), fenced as mail data.",
        Tool.SEARCH_EMAILS,
        _label,
    ),
)


def offered(offered_tools: Iterable[str]) -> list[Template]:
    """The templates whose reading tool is offered."""
    names = set(offered_tools)
    return [t for t in TEMPLATES if t.tool in names]


def listing(templates: Iterable[Template]) -> list[ResourceTemplate]:
    return [
        ResourceTemplate(uri_template=t.uri, name=t.name, title=t.title, description=t.description)
        for t in templates
    ]


async def read(
    app: App, templates: Iterable[Template], uri: str, context: Any | None = None
) -> list[ReadResourceContents]:
    """The contents of `uri`, read on the App's workers (a backend call blocks) as a tool call is
    (`calls.run_call`): progress reported through the request's `context` when the client asked
    for it, and stopped at its next step (a quota wait, a retry) when the client cancels.

    Raises:
        MCPError: no template matches (-32602), or the read failed (the error object as `data`).
    """
    for template in templates:
        variables = template.parsed.match(uri)
        if variables is None:
            continue
        arguments = {k: v if isinstance(v, str) else "/".join(v) for k, v in variables.items()}
        try:
            target = app.for_account(arguments.pop("account"))
            call = partial(template.read, target, **arguments)
            return [await run_call(call, app.workers, context)]
        except GmailMcpError as error:
            raise _protocol_error(error, uri) from error
    raise MCPError(
        code=INVALID_PARAMS,
        message=f"Unknown resource: {uri}. The resource templates say which URIs exist.",
        data={"uri": uri},
    )


def _protocol_error(error: GmailMcpError, uri: str) -> MCPError:
    code = INVALID_PARAMS if isinstance(error, InvalidParamsError | NotFoundError) else INTERNAL_ERROR
    return MCPError(code=code, message=error.message, data={**error.to_dict(), "uri": uri})


async def complete(
    app: App, templates: Iterable[Template], ref: Any, name: str, value: str, context: Any
) -> Completion | None:
    """Values for a template variable: accounts, label names, or the attachments of the email `id`."""
    if not isinstance(ref, ResourceTemplateReference) or ref.uri not in {t.uri for t in templates}:
        return None
    given = dict(getattr(context, "arguments", None) or {})
    if name == "account":
        return _matching(app.account_names(), value)
    if name not in ("label", "part"):
        return None
    try:
        target = app.for_account(given.get("account") or "me")
        if name == "label":
            found = await anyio.to_thread.run_sync(target.backend().list_labels, limiter=app.workers)
            return _matching([label.name for label in found], value)
        if not given.get("id"):
            return None
        message = await anyio.to_thread.run_sync(
            target.backend().get_message, given["id"], limiter=app.workers
        )
    except GmailMcpError:
        return None  # no completions rather than an error while someone is typing
    return _matching([a.part_id for a in views.mime.list_attachments(message.payload)], value)


def _matching(values: Iterable[str], prefix: str) -> Completion:
    found = sorted({v for v in values if v.lower().startswith(prefix.lower())}, key=str.lower)
    return Completion(values=found[:MAX_COMPLETIONS], total=len(found), has_more=len(found) > MAX_COMPLETIONS)
