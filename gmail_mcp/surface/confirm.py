"""--confirm-send: before anything is sent, the person (not the model) approves it through MCP elicitation.

The question is asked by a resolver that runs before the tool body, so it works on every protocol
revision the SDK speaks: mid-call on older ones, as an input-required round on newer ones. A
declined, cancelled or impossible question becomes a `Decision` that sends nothing (see actions.approval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit
from pydantic import BaseModel, Field

from gmail_mcp.actions.approval import APPROVED, NOT_ASKED, Decision


class Approval(BaseModel):
    send: bool = Field(title="Send", description="Send this email now?")


@dataclass(frozen=True)
class NoQuestion:
    """Why no question was asked: not needed, or the client cannot ask."""

    approved: bool
    reason: str = ""


def question(
    ctx: Context[Any, Any],
    enabled: bool,
    *,
    action: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    subject: str = "",
    attachments: Sequence[str] = (),
) -> Elicit[Approval] | NoQuestion:
    """The approval request a resolver returns (or why there is none)."""
    if not enabled:
        return NoQuestion(approved=True)
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return NoQuestion(
            approved=False,
            reason="this server is set to ask before sending (--confirm-send), and the MCP client "
            "cannot ask the user (no elicitation support)",
        )
    lines = [f"{action}?", f"To: {', '.join(to) or '(nobody)'}"]
    lines += [f"Cc: {', '.join(cc)}"] if cc else []
    lines += [f"Bcc: {', '.join(bcc)}"] if bcc else []
    lines.append(f"Subject: {subject}")
    lines += [f"Attachments: {', '.join(attachments)}"] if attachments else []
    return Elicit("\n".join(lines), Approval)


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


def addresses(value: str | None) -> list[str]:
    """Comma-separated addresses for display; the real parsing happens before sending."""
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]
