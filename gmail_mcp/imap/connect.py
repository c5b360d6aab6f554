"""Building an `ImapBackend` from settings and a login: the pool, the SMTP sender, the mailbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gmail_mcp.common.retry import Backoff
from gmail_mcp.config import IMAP_HOST, IMAP_POOL_SIZE, IMAP_PORT, SMTP_HOST, SMTP_PORT
from gmail_mcp.imap.client import ImapBackend
from gmail_mcp.imap.mailbox import Mailbox
from gmail_mcp.imap.pool import ConnectionPool, Endpoint, Login, open_connection
from gmail_mcp.imap.smtp import SmtpSender


@dataclass(frozen=True)
class Servers:
    """Where the IMAP and SMTP servers are, and an extra CA to trust (test servers)."""

    imap_host: str = IMAP_HOST
    imap_port: int = IMAP_PORT
    smtp_host: str = SMTP_HOST
    smtp_port: int = SMTP_PORT
    ca_file: Path | None = None
    smtp_implicit_tls: bool | None = None  # None: implicit TLS on port 465, STARTTLS elsewhere

    def imap(self) -> Endpoint:
        return Endpoint(self.imap_host, self.imap_port, self.ca_file)

    def smtp(self) -> Endpoint:
        return Endpoint(self.smtp_host, self.smtp_port, self.ca_file)


def backend(
    servers: Servers,
    login: Login,
    *,
    pool_size: int = IMAP_POOL_SIZE,
    backoff: Backoff | None = None,
    check_after: float = 0.0,
) -> ImapBackend:
    """An `ImapBackend` (it connects on its first call, not here)."""
    pool = ConnectionPool(
        servers.imap(),
        login,
        size=pool_size,
        backoff=backoff,
        connect=open_connection,
        check_after=check_after,
    )
    return ImapBackend(
        Mailbox(pool),
        SmtpSender(servers.smtp(), login, backoff=backoff, implicit_tls=servers.smtp_implicit_tls),
    )


def verify(servers: Servers, login: Login) -> None:
    """Log in to the IMAP server once and out again (what `gmail-mcp auth --imap` checks).

    Raises:
        GmailMcpError: the login failed (AUTH_ERROR with the app-password steps), or the server
            could not be reached.
    """
    pool = ConnectionPool(servers.imap(), login, size=1, backoff=Backoff(max_attempts=2, deadline=20.0))
    try:
        pool.capabilities()
    finally:
        pool.close()
