"""The one error tree of gmail-mcp, with the codes of the API reference.

    GmailMcpError                 (code)
    ├── AuthError                 AUTH_ERROR         no token, expired or revoked token, bad token file
    ├── NotFoundError             NOT_FOUND          message, draft, label, thread or attachment absent
    ├── QuotaExceededError        QUOTA_EXCEEDED     rate limit that outlasted the retries, daily caps
    ├── InvalidParamsError        INVALID_PARAMS     bad ids, bad arguments, Gmail 400s
    ├── PermissionDeniedError     PERMISSION_DENIED  missing OAuth scope, policy refusals (file jails,
    │                                                 recipient allow-list, declined confirmation)
    ├── UpstreamError             UPSTREAM_ERROR     5xx, timeouts and resets that outlasted the retries
    └── CancelledCallError        CANCELLED          the client cancelled the call (MCP sends no answer
                                                      to a cancelled request: this reaches the audit log)

Lower-level exceptions (googleapiclient's HttpError, google-auth's RefreshError, OSError; IMAP and
SMTP errors) are translated into this tree at one boundary per backend (`gmail/executor.py`,
`imap/errors.py`), chained with ``from``. Every error
carries a message a model can act on and `details` (ids, paths, scopes) for structured use.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GmailMcpError(Exception):
    """Base of every error gmail-mcp reports to a caller."""

    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """The API reference's error object."""
        return {
            "status": "error",
            "error_message": self.message,
            "error_code": self.code,
            "error_details": self.details,
        }


class AuthError(GmailMcpError):
    code = "AUTH_ERROR"


class NotFoundError(GmailMcpError):
    code = "NOT_FOUND"


class QuotaExceededError(GmailMcpError):
    code = "QUOTA_EXCEEDED"


class InvalidParamsError(GmailMcpError):
    code = "INVALID_PARAMS"


class PermissionDeniedError(GmailMcpError):
    code = "PERMISSION_DENIED"


class UpstreamError(GmailMcpError):
    code = "UPSTREAM_ERROR"


class CancelledCallError(GmailMcpError):
    """The client cancelled the call, which stopped between two steps (see `common/steps.py`).

    Raised where a call checks for a cancel; `outcome: "unknown"` in its details when a change
    that may have taken effect was under way (a send retried after a lost answer).
    """

    code = "CANCELLED"
