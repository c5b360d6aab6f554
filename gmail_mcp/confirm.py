"""--confirm-send: before anything is sent, the person (not the model) approves it through MCP elicitation.

The question is asked by a resolver that runs before the tool body, so it works on every protocol
revision the SDK speaks: mid-call on older ones, as an input-required round on newer ones. A
declined, cancelled or impossible question means nothing is sent, and the tool says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit
from pydantic import BaseModel, Field

from gmail_mcp.errors import PermissionDeniedError


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


def require_approval(outcome: object) -> None:
    """Raise unless the person approved (or no approval was needed).

    Raises:
        PermissionDeniedError: declined, cancelled, or the client cannot ask.
    """
    if isinstance(outcome, AcceptedElicitation):
        data = outcome.data
        if isinstance(data, NoQuestion):
            if data.approved:
                return
            raise PermissionDeniedError(f"Nothing was sent: {data.reason}.", confirmation="unsupported")
        if isinstance(data, Approval) and data.send:
            return
        raise PermissionDeniedError(
            "Nothing was sent: the user did not approve sending.", confirmation="declined"
        )
    action = getattr(outcome, "action", "cancel")
    raise PermissionDeniedError(
        f"Nothing was sent: the user {'declined' if action == 'decline' else 'cancelled'} the confirmation.",
        confirmation=action,
    )


def addresses(value: str | None) -> list[str]:
    """Comma-separated addresses for display; the real parsing happens before sending."""
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]
