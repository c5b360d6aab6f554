"""One mailbox the agent acts on: its settings (policy, folders), its backend and its audit log.

Every action takes an `Account`. A server may serve several (`serve --account A --account B`): each
has its own backend (so its own quota pacing), audit log, download budget and folders
(`Paths.for_account`), and its name. The backend is created on first use (so a server answers
`initialize` and `tools/list` without importing the Google client) and not kept when creating it
fails (no login yet): the next call tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gmail_mcp.actions.audit import AuditLog
from gmail_mcp.actions.downloads import DownloadBudget
from gmail_mcp.actions.labelnames import LabelNames
from gmail_mcp.backend import MailBackend
from gmail_mcp.common import steps
from gmail_mcp.config import Settings
from gmail_mcp.errors import AuthError, CancelledCallError, GmailMcpError

if TYPE_CHECKING:
    from gmail_mcp.actions.reading import Reading

T = TypeVar("T")
logger = logging.getLogger("gmail_mcp")


class Account:
    def __init__(
        self,
        settings: Settings,
        backend_factory: Callable[[], MailBackend],
        audit: AuditLog | None = None,
    ) -> None:
        self.name = settings.paths.account
        self.settings = settings
        self.audit = audit if audit is not None else AuditLog(settings.paths.audit_log)
        self.downloads = DownloadBudget(settings.max_download_bytes, settings.max_session_download_bytes)
        self._factory = backend_factory
        self._backend: MailBackend | None = None
        self._reading: Reading | None = None
        self._lock = threading.Lock()
        self.label_names = LabelNames(self.backend)

    def backend(self) -> MailBackend:
        with self._lock:
            if self._backend is None:
                self._backend = self._factory()
            return self._backend

    def reading(self) -> Reading:
        """This account's attachment reading (its cache and extractor), made on first use."""
        with self._lock:
            if self._reading is None:
                from gmail_mcp.actions.reading import Reading

                self._reading = Reading(self.settings.read_limits)
            return self._reading

    def warm_up(self) -> None:
        """Create the backend and let it get ready (token refresh), so the first tool call pays none
        of it. Meant for a background thread; a failure is left for the first call to report."""
        try:
            self.backend().warm_up()
        except GmailMcpError as exc:
            logger.debug("warming up the mail backend failed: %s", exc.message)
        except Exception:
            logger.debug("warming up the mail backend failed", exc_info=True)

    def close(self) -> None:
        """Close the backend's connections, if it was ever created."""
        with self._lock:
            backend = self._backend
        if backend is not None:
            backend.close()

    @property
    def protected_files(self) -> set[Path]:
        """This server's own secrets and records: never attached (under any name), never overwritten."""
        paths = self.settings.paths
        # Every account's login: the OAuth tokens, and the IMAP record, app-password file and token.
        logins = (
            {*paths.config_dir.glob("imap-*.json"), *paths.config_dir.glob("token-*.json")}
            if paths.config_dir.is_dir()
            else set()
        )
        base = paths.config_dir / "token.json"
        return {paths.token, base, paths.credentials, paths.audit_log, paths.http_token, *logins}

    def audited(
        self,
        tool: str,
        action: Callable[[], T],
        *,
        result_fields: Callable[[T], dict[str, Any]] | None = None,
        **fields: Any,
    ) -> T:
        """Run a mailbox change and record its outcome (with `result_fields(result)` when given).

        A call the client cancelled says so: "cancelled" when it stopped before the change, and
        `cancelled_by_client` beside "ok" or "unknown" when the change was done, or may have been,
        without the client learning of it.
        """
        try:
            result = action()
        except GmailMcpError as exc:
            # A send whose answer was lost may have happened: the record says so, not "error".
            if exc.details.get("outcome") == "unknown":
                outcome = "unknown"
            else:
                outcome = "cancelled" if isinstance(exc, CancelledCallError) else "error"
            self.audit.record(tool, outcome, error_code=exc.code, **fields, **_cancelled())
            raise
        done = result_fields(result) if result_fields else {}
        self.audit.record(tool, "ok", **{**fields, **done, **_cancelled()})
        return result

    def record_refusal(self, tool: str, error: GmailMcpError) -> None:
        """Audit a call refused before it ran (bad or unknown arguments) to a tool that changes something."""
        self.audit.record(tool, "refused", error_code=error.code, reason=error.message)

    def record_failure(self, tool: str, error: GmailMcpError) -> None:
        """Audit tool calls refused for the login (failed logins); other refusals are audited where made."""
        if isinstance(error, AuthError):
            self.audit.record(tool, "auth-failed", error_code=error.code, reason=error.message)


def _cancelled() -> dict[str, Any]:
    """The audit field of a call the client cancelled (the MCP answer, if any, never reaches it)."""
    return {"cancelled_by_client": True} if steps.current().cancelled else {}
