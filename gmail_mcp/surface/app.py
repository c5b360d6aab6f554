"""What the tools share: the settings, the accounts they act on, how to open a URL, and their threads.

A server serves one account, or several (`serve --account A --account B`). With several, every tool
takes an optional `account` argument (the server adds it to each schema and takes it out of the
arguments: `server.GmailServer`), and the whole call, its resolvers and its body, acts on that
account: `App.account` is the account of the call being run (`acting_as`), the first one when the
call named none. Tools and actions are written for one account and never see the others.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import anyio

from gmail_mcp.actions.account import Account
from gmail_mcp.config import TOOL_THREADS, Settings
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.surface.names import Tool

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend

# The account of the tool call being run in this context (None: the first). Worker threads get it
# too: anyio runs each tool body in a copy of the caller's context.
_ACTING: contextvars.ContextVar[Account | None] = contextvars.ContextVar("gmail_mcp_account", default=None)
# The account a resource URI names while one account is served (Gmail's own word for it); with
# several, the first (each is also named by its own name).
ME = "me"


@dataclass
class App:
    settings: Settings
    accounts: Sequence[Account]  # in the order given; the first is the default
    opener: Callable[[str], object]
    # The threads tool bodies run on: this server's own, never anyio's default pool, which the
    # stdio transport needs to read requests and write answers (see registry.bind).
    workers: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(TOOL_THREADS))
    clock: Callable[[], float] = time.time  # epoch seconds: when a look at the changes was taken

    def __post_init__(self) -> None:
        names = [a.name for a in self.accounts]
        if not names or len(set(names)) != len(names):
            raise ValueError("a server needs at least one account, each with a name of its own")

    @property
    def account(self) -> Account:
        """The account the tool call being run acts on: the one it named, else the first."""
        acting = _ACTING.get()
        return acting if acting is not None and any(acting is a for a in self.accounts) else self.accounts[0]

    @property
    def several_accounts(self) -> bool:
        return len(self.accounts) > 1

    def account_named(self, name: str | None) -> Account:
        """The account called `name` (None or "": the first). The one place a name from a tool call
        or a resource URI (`{account}`) becomes an account.

        Raises:
            InvalidParamsError: no account has that name; the details list the names there are.
        """
        if not name:
            return self.accounts[0]
        found = next((a for a in self.accounts if a.name == name), None)
        if found is None:
            names = [a.name for a in self.accounts]
            raise InvalidParamsError(
                f"No account is called {name!r}; this server serves {', '.join(names)}. Call "
                f"{Tool.LIST_ACCOUNTS}, or leave account out for the first.",
                account=name,
                accounts=names,
            )
        return found

    @contextlib.contextmanager
    def acting_as(self, account: Account) -> Iterator[None]:
        """Run what follows (a tool call) on `account`."""
        token = _ACTING.set(account)
        try:
            yield
        finally:
            _ACTING.reset(token)

    def backend(self) -> MailBackend:
        return self.account.backend()

    def mail_url(self, email_id: str) -> str:
        return self.settings.mail_url_template.format(id=email_id)

    def for_account(self, name: str) -> App:
        """The App acting on the account a resource URI names (`me`: the first; with several, also
        each one's name): the one place such names resolve.

        Raises:
            NotFoundError: no account of that name is served here.
        """
        if name == ME:
            account = self.accounts[0]
        elif self.several_accounts and any(a.name == name for a in self.accounts):
            account = self.account_named(name)
        else:
            names = self.account_names()
            raise NotFoundError(
                f"No account {name!r} is served here; use {' or '.join(repr(n) for n in names)}.",
                account=name,
                accounts=names,
            )
        return (
            self
            if account is self.accounts[0] and not self.several_accounts
            else replace(self, accounts=[account])
        )

    def account_names(self) -> list[str]:
        """What a resource URI's {account} may be: `me`, or with several accounts their names."""
        return [a.name for a in self.accounts] if self.several_accounts else [ME]


def app_of(ctx: Any) -> App:
    """The App of the server handling a request (for resolvers, which get only the Context)."""
    app = getattr(ctx.mcp_server, "app", None)
    if not isinstance(app, App):
        raise RuntimeError("this server was not built by gmail-mcp's build_server")
    return app
