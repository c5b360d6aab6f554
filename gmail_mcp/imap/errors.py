"""The one error boundary of the IMAP backend: IMAP, SMTP and socket failures -> the error tree.

`translate` walks one table, most specific entry first: the first rule whose exception type and
server text match decides the error class, the message a model or person can act on, and whether
the failure may be retried (on a fresh connection, with backoff). Server texts are matched, never
parsed: IMAPClient has already parsed the response.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gmail_mcp.errors import (
    AuthError,
    GmailMcpError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UpstreamError,
)

APP_PASSWORD_STEPS = (
    "The mail server refused the login (AUTHENTICATIONFAILED). For Gmail, use an app password, not your "
    "Google password: 1. turn on 2-Step Verification at https://myaccount.google.com/security; "
    "2. create an app password at https://myaccount.google.com/apppasswords (16 letters); "
    "3. make sure IMAP is on (Gmail settings > Forwarding and POP/IMAP; always on since 2025); "
    "4. run `gmail-mcp auth --imap` and paste the app password (or set GMAIL_MCP_IMAP_PASSWORD)."
)
WEB_LOGIN_STEPS = (
    "Gmail wants a sign-in in the web browser before it allows this login ([ALERT] Please log in via "
    "your web browser). Sign in at https://mail.google.com from this computer, confirm any security "
    "prompt at https://myaccount.google.com/notifications, then run `gmail-mcp auth --imap` again "
    "with an app password."
)
TOO_MANY_CONNECTIONS = (
    "The mail server allows only a few simultaneous connections per account (Gmail: 15, shared with "
    "every phone and mail program), and they are all in use; gmail-mcp kept retrying. Close other "
    "mail programs or wait a minute, then try again."
)
CONNECTION_LOST = (
    "Could not reach the mail server, or lost the connection to it, through every retry ({detail}); "
    "check the network and the server name and port, then try again."
)
UNTRUSTED_CERTIFICATE = (
    "The mail server's TLS certificate is not trusted ({detail}). gmail-mcp never turns TLS off: for a "
    "server with its own certificate authority, pass it with --ca-file PATH."
)


@dataclass(frozen=True)
class Rule:
    """One row of the table: these exception types, with this server text, become this error."""

    kinds: tuple[type[BaseException], ...]
    pattern: re.Pattern[str] | None
    error: type[GmailMcpError]
    message: str
    retryable: bool = False


def _text(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


_IMAP = imaplib.IMAP4.error
_CONNECTION = (
    imaplib.IMAP4.abort,
    smtplib.SMTPServerDisconnected,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    OSError,
)

# Most specific first: a login refused for too many connections is not a bad password, and a
# certificate failure is not a dropped connection.
RULES: tuple[Rule, ...] = (
    Rule(
        (_IMAP, *_CONNECTION),
        _text(r"too many simultaneous connections", r"maximum number of connections"),
        QuotaExceededError,
        TOO_MANY_CONNECTIONS,
        retryable=True,
    ),
    Rule((_IMAP,), _text(r"log ?in via your web ?browser", r"WEBALERT"), AuthError, WEB_LOGIN_STEPS),
    Rule((ssl.SSLCertVerificationError,), None, UpstreamError, UNTRUSTED_CERTIFICATE),
    # smtplib's errors are OSErrors too: the server's refusals come before the dropped connections.
    Rule((smtplib.SMTPAuthenticationError,), None, AuthError, APP_PASSWORD_STEPS),
    Rule(
        (smtplib.SMTPRecipientsRefused,),
        None,
        InvalidParamsError,
        "The mail server refused the recipients ({detail}). Nothing was sent.",
    ),
    Rule(
        (smtplib.SMTPSenderRefused,),
        None,
        PermissionDeniedError,
        "The mail server refused to send from this account ({detail}). Nothing was sent.",
    ),
    Rule(
        (smtplib.SMTPResponseException,),
        None,
        InvalidParamsError,
        "The mail server refused the message ({detail}).",
    ),
    Rule(
        (_IMAP,),
        _text(r"AUTHENTICATIONFAILED", r"invalid credentials", r"authentication failed", r"LOGIN failed"),
        AuthError,
        APP_PASSWORD_STEPS,
    ),
    Rule(
        (_IMAP,),
        _text(r"\[UNAVAILABLE\]", r"\[INUSE\]", r"try again later"),
        UpstreamError,
        "The mail server is busy ({detail}); gmail-mcp kept retrying. Try again in a minute.",
        True,
    ),
    Rule(_CONNECTION, None, UpstreamError, CONNECTION_LOST, retryable=True),
    Rule(
        (_IMAP,),
        _text(r"\[NONEXISTENT\]", r"\[TRYCREATE\]", r"doesn't exist", r"does not exist", r"unknown mailbox"),
        NotFoundError,
        "{what} was not found on the mail server ({detail}).",
    ),
    Rule(
        (_IMAP,),
        _text(r"\[OVERQUOTA\]", r"\[LIMIT\]", r"quota"),
        QuotaExceededError,
        "The mail server refused: a limit or quota is reached ({detail}).",
    ),
    Rule(
        (_IMAP,),
        _text(r"\[ALREADYEXISTS\]", r"already exists"),
        InvalidParamsError,
        "{what} already exists on the mail server ({detail}).",
    ),
    Rule(
        (smtplib.SMTPException,), None, InvalidParamsError, "The mail server refused the message ({detail})."
    ),
    Rule((_IMAP,), None, InvalidParamsError, "The mail server refused {what} ({detail})."),
)


def match(exc: BaseException) -> Rule | None:
    """The first rule of the table that covers `exc`, or None (then it is not a mail failure)."""
    detail = describe(exc)
    for rule in RULES:
        if isinstance(exc, rule.kinds) and (rule.pattern is None or rule.pattern.search(detail)):
            return rule
    return None


def retryable(exc: BaseException) -> bool:
    """Whether `exc` may be retried on a fresh connection (a pure decision on the table)."""
    rule = match(exc)
    return rule is not None and rule.retryable


def translate(
    exc: BaseException, what: str = "The request", details: Mapping[str, Any] | None = None
) -> GmailMcpError:
    """The `GmailMcpError` for `exc` (which the caller chains with `from`).

    Raises:
        TypeError: `exc` is not a failure of the mail servers or the network (a bug: let it surface).
    """
    if isinstance(exc, GmailMcpError):
        return exc
    rule = match(exc)
    if rule is None:
        raise TypeError(f"not a mail server failure: {exc!r}") from exc
    return rule.error(rule.message.format(detail=describe(exc), what=what), **dict(details or {}))


def describe(exc: BaseException) -> str:
    """The server's words (bytes decoded), short; never a credential (servers do not echo them)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}".strip()[:300]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{who}: {code}" for who, (code, _) in exc.recipients.items())
        return refused[:300]
    text = str(exc) or type(exc).__name__
    return text.replace("\r", " ").replace("\n", " ")[:300]
