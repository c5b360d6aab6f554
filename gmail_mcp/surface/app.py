"""What the tools share: the settings, the account they act on, how to open a URL, and their threads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from gmail_mcp.actions.account import Account
from gmail_mcp.config import TOOL_THREADS, Settings
from gmail_mcp.errors import NotFoundError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend

ME = "me"  # the account a resource URI names while one account is served (Gmail's own word for it)


@dataclass
class App:
    settings: Settings
    account: Account
    opener: Callable[[str], object]
    # The threads tool bodies run on: this server's own, never anyio's default pool, which the
    # stdio transport needs to read requests and write answers (see registry.bind).
    workers: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(TOOL_THREADS))

    def backend(self) -> MailBackend:
        return self.account.backend()

    def mail_url(self, email_id: str) -> str:
        return self.settings.mail_url_template.format(id=email_id)

    def for_account(self, name: str) -> App:
        """The App acting on the account a resource URI names: the one place such names resolve.

        Raises:
            NotFoundError: no account of that name is served here.
        """
        if name != ME:
            raise NotFoundError(
                f"No account {name!r} is served here; use {ME!r}.",
                account=name,
                accounts=self.account_names(),
            )
        return self

    def account_names(self) -> list[str]:
        """What a resource URI's {account} may be."""
        return [ME]


def app_of(ctx: Any) -> App:
    """The App of the server handling a request (for resolvers, which get only the Context)."""
    app = getattr(ctx.mcp_server, "app", None)
    if not isinstance(app, App):
        raise RuntimeError("this server was not built by gmail-mcp's build_server")
    return app
