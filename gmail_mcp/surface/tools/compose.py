"""Writing on from mail already there: forwarding an email with its files (issue 16).

Reply to all and sending as an alias are parameters of the sending tools (`params.ReplyAll`,
`params.FromAlias`, which adds the alias's signature); forwarding is a tool of its own, sent through the one send
path (prepared and checked, confirmed, audited, sent exactly once) like every other message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve

from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.surface.app import App, app_of
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import Bcc, Cc, EmailId, FromAlias, Note, To
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import SendResult
from gmail_mcp.surface.tools.core import SENDS, SENDS_MAIL, sent

if TYPE_CHECKING:
    from gmail_mcp.actions import sending
    from gmail_mcp.surface import confirm
else:  # loaded when a tool that sends is first built or called: listing tools needs neither
    sending = lazy_module("gmail_mcp.actions.sending")
    confirm = lazy_module("gmail_mcp.surface.confirm")

TOOLS = Registry(enhanced=True)


def prepare_forward(
    ctx: Context,
    email_id: str,
    recipient_id: str,
    message: str,
    cc: str | None,
    bcc: str | None,
    from_alias: str | None,
) -> sending.Prepared:
    return sending.prepare_forward(
        app_of(ctx).account,
        tool=Tool.FORWARD_EMAIL,
        email_id=email_id,
        to=recipient_id,
        cc=cc,
        bcc=bcc,
        note=message,
        from_alias=from_alias,
    )


def ask_forward(
    ctx: Context, prepared: Annotated[sending.Prepared, Resolve(prepare_forward)]
) -> Elicit[confirm.Approval] | confirm.NoQuestion:
    return confirm.ask(ctx, prepared, "Forward this email")


@TOOLS.tool(
    Tool.FORWARD_EMAIL,
    "Forward email",
    SENDS_MAIL,
    SENDS,
    "Forward an email with its files, as Gmail does.",
    presets=[Preset.COMPOSE],
)
def forward_email(
    app: App,
    email_id: EmailId,
    recipient_id: To,
    prepared: Annotated[sending.Prepared, Resolve(prepare_forward)],
    approval: Annotated[ElicitationResult[confirm.Approval], Resolve(ask_forward)],
    message: Note = "",
    cc: Cc = None,
    bcc: Bcc = None,
    from_alias: FromAlias = None,
) -> SendResult:
    return sent(app, prepared, approval)
