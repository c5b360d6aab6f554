"""The person's approval of a send, as a plain decision the actions layer can enforce.

How the question is asked (MCP elicitation) is the surface's business; here a send only learns
whether it was approved and, if not, why, so that nothing is sent without a yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gmail_mcp.errors import PermissionDeniedError

Outcome = Literal["approved", "not-asked", "declined", "cancelled", "unsupported"]


@dataclass(frozen=True)
class Decision:
    """Whether a send may go ahead: approved by the person, or no approval was needed."""

    outcome: Outcome
    reason: str = ""  # why, when the person's own words do not say it (e.g. the client cannot ask)
    answer: str = ""  # what the person answered, as the client reported it ("decline", "cancel")

    @property
    def approved(self) -> bool:
        return self.outcome in ("approved", "not-asked")


APPROVED = Decision("approved")
NOT_ASKED = Decision("not-asked")


def require_approval(decision: Decision) -> None:
    """Return only when the send may go ahead.

    Raises:
        PermissionDeniedError: declined, cancelled, or the person could not be asked.
    """
    if decision.approved:
        return
    if decision.outcome == "unsupported":
        raise PermissionDeniedError(f"Nothing was sent: {decision.reason}.", confirmation="unsupported")
    if decision.reason:
        raise PermissionDeniedError(f"Nothing was sent: {decision.reason}.", confirmation=decision.outcome)
    raise PermissionDeniedError(
        f"Nothing was sent: the user {decision.outcome} the confirmation.",
        confirmation=decision.answer or decision.outcome,
    )
