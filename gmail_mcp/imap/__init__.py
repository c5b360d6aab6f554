"""The IMAP backend: the same tools over IMAP and SMTP, with an app password or OAuth (XOAUTH2).

    client.py       ImapBackend, the `MailBackend` (messages, sending, threads, drafts); labels.py
    mailbox.py      per-connection work: locating ids, searching, fetching summaries and messages
    pool.py         the bounded connection pool (timeouts, reconnects with backoff), logins
    query.py        Gmail search syntax -> IMAP SEARCH for servers without X-GM-RAW
    folders.py      folders as labels (special-use roles), ids.py message and thread ids
    convert.py      FETCH answers -> domain models; smtp.py sending; errors.py the one error boundary
    credentials.py  the stored login (OS keyring or a 0600 file); login.py `gmail-mcp auth --imap`

The library is IMAPClient, chosen on merit: it parses every IMAP response (FETCH, BODYSTRUCTURE,
LIST, SEARCH) into Python values, encodes and decodes folder names in modified UTF-7, quotes
arguments and sends 8-bit search values as literals, and has Gmail's extensions (X-GM-RAW,
X-GM-LABELS, X-GM-MSGID, X-GM-THRID) and XOAUTH2 built in; it is maintained and typed. `imaplib`
and aioimaplib hand back raw response lines that we would have to parse ourselves (the thing not to
do). IMAPClient is synchronous; the backend is called from tool bodies, which run in worker threads,
and each call borrows one connection from a small bounded pool (`pool.py`) with timeouts on every
socket operation, so no call holds the MCP transport's threads for longer than its own timeouts.
Sending uses the standard library's smtplib (implicit TLS or STARTTLS; never plain).
"""

from __future__ import annotations

from gmail_mcp.backend import Feature
from gmail_mcp.config import GMAIL_IMAP_HOSTS


def features(imap_host: str) -> frozenset[str]:
    """What the IMAP backend can do with this server: Gmail's web pages only on Gmail.

    Decided from the host name, so `tools/list` never waits for a connection.
    """
    if imap_host.strip().lower().rstrip(".") in GMAIL_IMAP_HOSTS:
        return frozenset({Feature.WEB_URL})
    return frozenset()
