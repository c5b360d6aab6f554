"""--confirm-send: before anything is sent, the person (not the model) approves it through MCP elicitation.

The question is asked by a resolver that runs before the tool body, so it works on every protocol
revision the SDK speaks: mid-call on older ones, as an input-required round on newer ones. A
declined, cancelled or impossible question becomes a `Decision` that sends nothing (see actions.approval).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit
from pydantic import BaseModel, Field

from gmail_mcp.actions.approval import APPROVED, NOT_ASKED, Decision
from gmail_mcp.actions.outgoing import Outgoing, Prepared, Refused
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.surface.app import app_of

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail

logger = logging.getLogger("gmail_mcp")


class Approval(BaseModel):
    send: bool = Field(title="Send", description="Send this email now?")


@dataclass(frozen=True)
class NoQuestion:
    """Why no question was asked: not needed, or the client cannot ask."""

    approved: bool
    reason: str = ""


def ask(ctx: Context[Any, Any], prepared: Prepared, action: str) -> Elicit[Approval] | NoQuestion:
    """The approval request for a prepared message (a resolver's answer), or why there is none.

    Fail closed: a message that could not be prepared is not asked about (the tool reports why and
    sends nothing), and any failure while building the question means no approval.
    """
    try:
        if isinstance(prepared, Refused):
            return NoQuestion(approved=False, reason="the email could not be prepared")
        if not app_of(ctx).settings.confirm_send:
            return NoQuestion(approved=True)
        capabilities = ctx.client_capabilities
        elicitation = capabilities.elicitation if capabilities is not None else None
        # A form is what we ask with; a client declaring only URL elicitation cannot answer one.
        if elicitation is None or (elicitation.form is None and elicitation.url is not None):
            return NoQuestion(
                approved=False,
                reason="this server is set to ask before sending (--confirm-send), and the MCP client "
                "cannot ask the user (no elicitation support)",
            )
        return Elicit(render(prepared, action), Approval)
    except Exception:
        logger.exception("building the confirmation question failed")
        return NoQuestion(approved=False, reason="the confirmation question could not be prepared")


def render(outgoing: Outgoing, action: str) -> str:
    """The question: what the bytes about to leave really send, nothing taken from the arguments.

    Recipients, subject, files and the start of the body, each from the message read back from its
    own bytes; characters that hide, reorder or break text are shown as <U+XXXX>. The body comes
    last and every line of it is marked, so text in it cannot pass for another To: line.
    """
    envelope = outgoing.envelope
    lines = [f"{action}?"]
    lines += [f"From: {mime.visible(envelope.sender)}"] if envelope.sender else []
    lines.append(f"To: {_joined(envelope.to) or '(nobody)'}")
    lines += [f"Cc: {_joined(envelope.cc)}"] if envelope.cc else []
    lines += [f"Bcc: {_joined(envelope.bcc)}"] if envelope.bcc else []
    lines.append(f"Subject: {mime.visible(envelope.subject)}")
    files = [
        f"{mime.visible(a.filename)} ({a.size:,} bytes{', inline' if a.inline else ''})"
        for a in envelope.attachments
    ]
    lines += [f"Attachments: {', '.join(files)}"] if files else []
    if outgoing.preview:
        lines.append("Message begins:")
        lines += [f"| {mime.visible(line)}" for line in outgoing.preview.splitlines()]
    return "\n".join(lines)


def _joined(addresses: Sequence[str]) -> str:
    return ", ".join(mime.visible(a) for a in addresses)


def decision(outcome: object) -> Decision:
    """What an elicitation outcome (or a `NoQuestion`) means for the send."""
    if isinstance(outcome, AcceptedElicitation):
        data = outcome.data
        if isinstance(data, NoQuestion):
            return NOT_ASKED if data.approved else Decision("unsupported", data.reason)
        if isinstance(data, Approval) and data.send:
            return APPROVED
        return Decision("declined", "the user did not approve sending")
    action = str(getattr(outcome, "action", "cancel"))
    return Decision("declined" if action == "decline" else "cancelled", answer=action)
